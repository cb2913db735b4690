import { describe, expect, it } from 'vitest';
import { paginate, sampleCategory, sortByProbability, stratifiedSample } from '../../integrations/core/sampling.ts';
import { buildReport, secondChoice, standaloneFileName, thumbnailRequests } from '../../integrations/clipscope/report/report.ts';
import { makeRunResult } from '../fixtures/make-run-result.ts';

const result = makeRunResult({ syntheticCount: 300, seed: 'sampling-test' });
const images = result.images;
const category = images[0].category;

describe('sampleCategory', () => {
  it('draws the same images for the same seed, whatever the input order', () => {
    const a = sampleCategory(images, category, 5, 42);
    const b = sampleCategory(images.slice().reverse(), category, 5, 42);
    expect(a.map((i) => i.path)).toEqual(b.map((i) => i.path));
    expect(a).toHaveLength(5);
    expect(new Set(a.map((i) => i.path)).size).toBe(5);
    expect(a.every((i) => i.category === category)).toBe(true);
  });

  it('draws different images for a different seed', () => {
    const a = sampleCategory(images, category, 5, 42).map((i) => i.path);
    const b = sampleCategory(images, category, 5, 43).map((i) => i.path);
    expect(a).not.toEqual(b);
  });

  it('pins the draw (a change of the generator or seed scheme must be deliberate)', () => {
    const drawn = sampleCategory(images, 'Green', 3, 'clipscope').map((i) => i.path);
    expect(drawn).toMatchInlineSnapshot(`
      [
        "synthetic/img-00009.jpg",
        "synthetic/img-00288.jpg",
        "synthetic/img-00128.jpg",
      ]
    `);
  });

  it('returns all members when n exceeds the category', () => {
    const count = images.filter((i) => i.category === category).length;
    expect(sampleCategory(images, category, 10_000, 1)).toHaveLength(count);
    expect(sampleCategory(images, 'no such category', 3, 1)).toEqual([]);
  });

  it('does not change one category when another loses images', () => {
    const other = images.find((i) => i.category !== category)!.category;
    const before = sampleCategory(images, category, 4, 7).map((i) => i.path);
    const fewer = images.filter((i) => !(i.category === other && i.path.endsWith('1.jpg')));
    expect(sampleCategory(fewer, category, 4, 7).map((i) => i.path)).toEqual(before);
  });
});

describe('stratifiedSample', () => {
  it('takes up to perCategory from each category, deterministically', () => {
    const cats = [...new Set(images.map((i) => i.category))];
    const a = stratifiedSample(images, cats, 3, 's', 'validation');
    const b = stratifiedSample(images, cats, 3, 's', 'validation');
    expect(a.map((i) => i.path)).toEqual(b.map((i) => i.path));
    for (const c of cats) expect(a.filter((i) => i.category === c)).toHaveLength(3);
  });
});

describe('sortByProbability and paginate', () => {
  it('sorts both ways with ties broken by path', () => {
    const tied = [
      { path: 'b', sha256: '2', category: 'x', probability: 50 },
      { path: 'a', sha256: '1', category: 'x', probability: 50 },
      { path: 'c', sha256: '3', category: 'x', probability: 10 },
    ];
    expect(sortByProbability(tied, 'lowest-first').map((i) => i.path)).toEqual(['c', 'a', 'b']);
    expect(sortByProbability(tied, 'highest-first').map((i) => i.path)).toEqual(['a', 'b', 'c']);
  });

  it('splits into pages and always has one page', () => {
    const pages = paginate([1, 2, 3, 4, 5], 2);
    expect(pages.map((p) => p.items)).toEqual([[1, 2], [3, 4], [5]]);
    expect(pages[2]).toMatchObject({ page: 3, pages: 3, start: 4 });
    expect(paginate([], 10)).toEqual([{ page: 1, pages: 1, start: 0, items: [] }]);
    expect(() => paginate([1], 0)).toThrow(/positive integer/);
  });
});

describe('buildReport', () => {
  const options = { samplesPerCategory: 4, standaloneSamples: 2, seed: 'x', pageSize: 10, listThumbnails: false, validation: { perCategory: 3, seed: 'v' } };
  const report = buildReport({ result, options });

  it('counts every image once, in dictionary order', () => {
    expect(report.categories.map((c) => c.name)).toEqual(result.dictionary.categories.map((c) => c.name));
    expect(report.categories.reduce((s, c) => s + c.count, 0)).toBe(images.length);
    expect(report.categories.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 9);
  });

  it('computes mean and median category probability per category', () => {
    const c = report.categories[0];
    const probs = c.members.map((i) => images[i].categories[c.name]).sort((a, b) => a - b);
    expect(c.meanProbability).toBeCloseTo(probs.reduce((a, b) => a + b, 0) / probs.length, 9);
    const mid = probs.length / 2;
    expect(c.medianProbability).toBeCloseTo(probs.length % 2 ? probs[Math.floor(mid)] : (probs[mid - 1] + probs[mid]) / 2, 9);
  });

  it('samples within the category and uses the first samples for the standalone file', () => {
    for (const c of report.categories) {
      expect(c.sample.length).toBe(Math.min(4, c.count));
      expect(c.sample.every((i) => images[i].category === c.name)).toBe(true);
      expect(c.standalone).toEqual(c.sample.slice(0, 2));
    }
  });

  it('counts phrase wins and flags truncated phrases', () => {
    const totalWins = report.categories.flatMap((c) => c.phrases).reduce((s, p) => s + p.wins, 0);
    expect(totalWins).toBe(images.length);
    expect(report.categories.find((c) => c.name === 'Red and pink')!.phrases[1].truncated).toBe(true);
  });

  it('adds an Uncertain category after the dictionary ones', () => {
    const r = makeRunResult({ syntheticCount: 10 });
    r.images[0] = { ...r.images[0], category: 'Uncertain' };
    const rep = buildReport({ result: r, options });
    const last = rep.categories.at(-1)!;
    expect(last).toMatchObject({ name: 'Uncertain', slug: 'uncertain', uncertain: true, count: 1 });
  });

  it('slugs categories the dictionary does not name like dictionary categories: "Ünsicher" → "unsicher", non-Latin names by hash, in any order', () => {
    const names = ['Ünsicher', 'Πολιτική', '政治', 'Uncertain'];
    const slugsOf = (order: string[]) => {
      const r = makeRunResult({ syntheticCount: 10 });
      for (const [i, name] of order.entries()) r.images[i] = { ...r.images[i], category: name };
      return new Map(buildReport({ result: r, options }).categories.map((c) => [c.name, c.slug]));
    };
    const a = slugsOf(names);
    expect(a.get('Ünsicher')).toBe('unsicher');
    expect(a.get('Uncertain')).toBe('uncertain');
    expect(a.get('Πολιτική')).toMatch(/^c-[0-9a-f]{8}$/);
    expect(a.get('政治')).toMatch(/^c-[0-9a-f]{8}$/);
    expect(a.get('政治')).not.toBe(a.get('Πολιτική'));
    expect(slugsOf(names.slice().reverse())).toEqual(a);
  });

  it('asks one thumbnail for images with the same bytes on the Adjudicate page: the first in path order', () => {
    const r = makeRunResult({ syntheticCount: 10 });
    r.images[3] = { ...r.images[3], sha256: r.images[7].sha256 };
    const rep = { ...buildReport({ result: r, options }), validationSet: [], adjudication: [{ sha256: r.images[7].sha256 }] } as unknown as Parameters<typeof thumbnailRequests>[0];
    const asked = thumbnailRequests(rep).filter((q) => q.role === 'validation');
    expect(asked.map((q) => q.index)).toEqual([3]);
  });

  it('requests thumbnails only for the images it shows, and a large view of each thumbnail shown', () => {
    const requests = thumbnailRequests(report);
    const large = new Set(requests.filter((r) => r.role === 'large').map((r) => r.index));
    expect(large).toEqual(new Set(report.categories.flatMap((c) => [...c.sample, ...c.closest])));
    const shown = new Set([...report.categories.flatMap((c) => [...c.sample, ...c.standalone]), ...report.validationSet]);
    expect(new Set(requests.map((r) => r.index))).toEqual(shown);
    expect(shown.size).toBeLessThan(images.length);
    const withList = thumbnailRequests({ ...report, options: { ...options, listThumbnails: true } });
    expect(withList.filter((r) => r.role === 'list')).toHaveLength(images.length);
  });

  it('names the standalone file by the run date and finds a second choice', () => {
    expect(standaloneFileName('2025-03-04T10:00:00Z')).toBe('2025-03-04-CLIP-Classification.html');
    // The second most probable category (not the seed's second phrase, which may share the category).
    for (const image of images.slice(0, 20)) {
      const second = secondChoice(image)!;
      expect(second.category).not.toBe(image.category);
      const others = Object.entries(image.categories).filter(([c]) => c !== image.category).map(([, p]) => p);
      expect(second.probability).toBe(Math.max(...others));
    }
  });
});
