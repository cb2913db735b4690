// "Confidence" on the report is the probability of the image's category, not the seed's winning
// phrase share: an image can be 97 % "Political Events" with its best phrase at 11 %.
import { describe, expect, it } from 'vitest';
import { categoryMargin, categoryProbability, confidenceCategory, rankedCategories, secondCategory } from '../../integrations/core/confidence.ts';
import { sortByProbability } from '../../integrations/core/sampling.ts';
import { buildReport, secondChoice } from '../../integrations/clipscope/report/report.ts';
import type { ImageResult } from '../../integrations/core/types.ts';
import { makeRunResult } from '../fixtures/make-run-result.ts';

/** Nine phrases of "Political Events" share 97 %; the best one holds 11 %. */
function political(path: string, best: number, events: number): ImageResult {
  const rest = 100 - events;
  return {
    path,
    sha256: path.padEnd(64, '0'),
    size: 1,
    category: 'Political Events',
    label: 'A large assembly of supporters at an open-air political rally.',
    probability: best,
    margin: 0.5,
    top: [{ category: 'Political Events', label: 'A large assembly of supporters at an open-air political rally.', probability: best }],
    categories: { 'Political Events': events, 'Interviews & Media': rest * 0.75, Campaigning: rest * 0.25 },
  };
}

describe('categoryProbability and the second category', () => {
  it.each([
    // [what, image, category probability, second category, its probability]
    ['seed: many phrases share the category', political('a.jpg', 11, 97), 97, 'Interviews & Media', 2.25],
    ['seed: close race', political('b.jpg', 30, 51), 51, 'Interviews & Media', 36.75],
  ] as const)('%s', (_, image, p, second, q) => {
    expect(categoryProbability(image)).toBeCloseTo(p, 9);
    expect(secondCategory(image)).toEqual({ category: second, probability: expect.closeTo(q, 9) });
    expect(categoryMargin(image)).toBeCloseTo(p - q, 9);
  });

  it('an Uncertain image speaks of its best guess', () => {
    const image = { ...political('u.jpg', 11, 40), category: 'Uncertain' };
    expect(confidenceCategory(image)).toBe('Political Events');
    expect(categoryProbability(image)).toBeCloseTo(40, 9);
    expect(secondCategory(image)!.category).toBe('Interviews & Media');
  });

  it('with the seed rule the best phrase may not be in the most probable category: the margin is then negative', () => {
    const image = { ...political('c.jpg', 20, 30), categories: { 'Political Events': 30, 'Interviews & Media': 65, Campaigning: 5 } };
    expect(categoryProbability(image)).toBe(30);
    expect(secondCategory(image)).toEqual({ category: 'Interviews & Media', probability: 65 });
    expect(categoryMargin(image)).toBe(-35);
  });

  it('ranks categories by probability; equal values keep dictionary order', () => {
    expect(rankedCategories({ categories: { A: 10, B: 45, C: 45 } }).map((c) => c.category)).toEqual(['B', 'C', 'A']);
    expect(rankedCategories({})).toEqual([]);
  });

  it('results without a category map fall back to the top-1 probability', () => {
    expect(categoryProbability({ category: 'x', probability: 42 })).toBe(42);
    expect(secondCategory({ category: 'x', probability: 42 })).toBeNull();
  });
});

describe('the report uses category probabilities', () => {
  const result = makeRunResult({ syntheticCount: 40, seed: 'confidence' });
  result.images = result.images.map((img, i) => ({ ...political(`p/${String(i).padStart(3, '0')}.jpg`, 10 + (i % 5), 95 + (i % 4)), sha256: img.sha256 }));
  result.dictionary = {
    ...result.dictionary,
    categories: ['Political Events', 'Interviews & Media', 'Campaigning'].map((name, i) => ({ name, slug: `c${i}`, phrases: [{ text: `phrase ${i}` }] })),
  };
  const options = { samplesPerCategory: 4, standaloneSamples: 2, seed: 'x', pageSize: 10, listThumbnails: false, validation: { perCategory: 3, seed: 'v' } };
  const report = buildReport({ result, options });

  it('mean and median of a category are its members’ category probabilities, not their phrase shares', () => {
    const events = report.categories[0];
    expect(events.count).toBe(40);
    expect(events.meanProbability).toBeCloseTo(96.5, 9); // (95+96+97+98)/4, ten of each
    expect(events.medianProbability).toBeCloseTo(96.5, 9);
  });

  it('the second choice is the second category, even when the top-k list holds two phrases of one category', () => {
    const image = { ...political('d.jpg', 11, 97), top: [
      { category: 'Political Events', label: 'rally', probability: 11 },
      { category: 'Political Events', label: 'stage', probability: 10 },
    ] };
    expect(secondChoice(image)).toEqual({ category: 'Interviews & Media', label: '', probability: expect.closeTo(2.25, 9) });
  });

  it('an empty category lists the images closest to it, best first', () => {
    for (const empty of report.categories.slice(1)) {
      expect(empty.count).toBe(0);
      expect(empty.closest).toHaveLength(4);
      const ps = empty.closest.map((i) => result.images[i].categories[empty.name]);
      expect(ps).toEqual([...ps].sort((a, b) => b - a));
      const max = Math.max(...result.images.map((img) => img.categories[empty.name]));
      expect(ps[0]).toBe(max);
    }
    expect(report.categories[0].closest).toEqual([]);
  });

  it('sorts listings by category probability', () => {
    const a = { ...political('a', 50, 60) };
    const b = { ...political('b', 10, 99) };
    expect(sortByProbability([a, b], 'highest-first').map((i) => i.path)).toEqual(['b', 'a']);
  });
});

describe('postsOf (what the large view lists of a posts table)', () => {
  it('gives the classified rows of an image in table order, or a folder run’s group', async () => {
    const { postsOf } = await import('../../integrations/clipscope/report/report.ts');
    const result = makeRunResult({ syntheticCount: 3, seed: 'posts' });
    const [a, b] = result.images;
    result.rows = [
      { image: a.path, status: 'classified', group: 'SPD', date: '2024-03-05' },
      { image: b.path, status: 'classified', group: 'CDU' },
      { image: a.path, status: 'classified', group: 'AfD', date: '2024-04-01' },
      { image: a.path, status: 'missing', group: 'FDP' },
      { image: null, status: 'no image', group: 'SPD' },
    ];
    expect(postsOf(result, a)).toEqual([{ group: 'SPD', date: '2024-03-05' }, { group: 'AfD', date: '2024-04-01' }]);
    expect(postsOf(result, b)).toEqual([{ group: 'CDU' }]);
    expect(postsOf(result, result.images[2])).toEqual([]);
    const folder = makeRunResult({ syntheticCount: 1, seed: 'posts' });
    expect(postsOf(folder, { ...folder.images[0], group: 'account-a' })).toEqual([{ group: 'account-a' }]);
  });
});
