// The Explore page's index (report/explore.ts) and its filters (core/explore.ts), as the browser uses them.
import { describe, expect, it } from 'vitest';
import { exploreIndex } from '../../integrations/clipscope/report/explore.ts';
import { applyFilter, filteredCsv, type ExploreFilter } from '../../integrations/core/explore.ts';
import { buildReport } from '../../integrations/clipscope/report/report.ts';
import { categoryMargin, categoryProbability, secondCategory } from '../../integrations/core/confidence.ts';
import { makeRunResult } from '../fixtures/make-run-result.ts';

const result = makeRunResult({ syntheticCount: 200, seed: 'explore' });
result.rows = result.images.map((img, i) => ({ image: img.path, status: 'classified' as const, group: i % 3 === 0 ? 'A' : 'B' }));
const options = { samplesPerCategory: 4, standaloneSamples: 2, seed: 'x', pageSize: 10, listThumbnails: false, validation: { perCategory: 3, seed: 'v' } };
const report = buildReport({ result, options });
const index = exploreIndex(report);
const all: ExploreFilter = { category: null, second: null, group: null, pMin: 0, pMax: 100, marginMin: -100, marginMax: 100 };

describe('exploreIndex', () => {
  it('holds every image with its category probability, margin and second category, rounded to one decimal', () => {
    expect(index.path).toEqual(result.images.map((i) => i.path));
    result.images.forEach((image, i) => {
      expect(index.categories[index.category[i]]).toBe(image.category);
      expect(Math.abs(index.p[i] - categoryProbability(image))).toBeLessThanOrEqual(0.05 + 1e-9);
      expect(Math.abs(index.margin[i] - categoryMargin(image))).toBeLessThanOrEqual(0.05 + 1e-9);
      expect(index.categories[index.second[i]]).toBe(secondCategory(image)!.category);
      expect(index.phrases[index.label[i]]).toBe(image.label);
      expect(index.groups[index.group[i][0]]).toBe(i % 3 === 0 ? 'A' : 'B');
      // The large view's list: most probable first, the image's own category in it.
      const pairs = index.probs[i].split(';').map((pair) => pair.split('=').map(Number));
      expect(pairs.map(([, p]) => p)).toEqual(pairs.map(([, p]) => p).sort((a, b) => b - a));
      expect(pairs).toContainEqual([index.category[i], Number(categoryProbability(image).toFixed(1))]);
    });
  });
});

describe('applyFilter', () => {
  it.each([
    ['no filter', {}, () => true],
    ['a category', { category: 1 }, (i: number) => index.category[i] === 1],
    ['a second category', { second: 0 }, (i: number) => index.second[i] === 0],
    ['a group', { group: index.groups.indexOf('A') }, (i: number) => i % 3 === 0],
    ['a probability range (both ends included)', { pMin: 30, pMax: 60 }, (i: number) => index.p[i] >= 30 && index.p[i] <= 60],
    ['a margin range', { marginMin: -100, marginMax: 5 }, (i: number) => index.margin[i] <= 5],
    ['all at once', { category: 0, pMin: 20, marginMax: 50, group: index.groups.indexOf('B') }, (i: number) => index.category[i] === 0 && index.p[i] >= 20 && index.margin[i] <= 50 && i % 3 !== 0],
  ] as const)('%s', (_, filter, keep) => {
    const rows = applyFilter(index, { ...all, ...filter });
    expect(rows).toEqual(index.path.map((_, i) => i).filter((i) => keep(i)));
    if (Object.keys(filter).length > 0) expect(rows.length).toBeLessThan(index.path.length);
  });
});

describe('filteredCsv', () => {
  it('writes the rows shown, quoting what needs quotes and defusing formulas', () => {
    expect(filteredCsv({ ...index, path: ['＝HYPERLINK.jpg'] }, [0]).split('\n')[1]).toMatch(/^'＝HYPERLINK\.jpg,/); // full-width too
    const tricky = { ...index, path: ['=cmd|x.jpg', 'a,"b".jpg'], category: [0, 1], p: [99.1, 50], margin: [90, -3.5], second: [1, -1], secondP: [0.5, 0], group: [[0], []], label: [0, 0], phrases: ['a photo'] };
    expect(filteredCsv(tricky, [0, 1])).toBe(
      'Image,Category,Category probability,Margin,Second category,Second probability,Groups,Phrase\n' +
        `'=cmd|x.jpg,${index.categories[0]},99.1,90,${index.categories[1]},0.5,A,a photo\n` +
        `"a,""b"".jpg",${index.categories[1]},50,-3.5,,0,,a photo\n`,
    );
  });
});
