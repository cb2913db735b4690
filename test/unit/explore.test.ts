// The Explore page's index (report/explore.ts) and its filters (core/explore.ts), as the browser uses them.
import { describe, expect, it } from 'vitest';
import { exploreIndex } from '../../integrations/clipscope/report/explore.ts';
import { applyFilter, filteredCsv, inDateRange, pageOf, sortRows, type ExploreFilter, type ExploreIndex } from '../../integrations/core/explore.ts';
import { buildReport } from '../../integrations/clipscope/report/report.ts';
import { categoryMargin, categoryProbability, secondCategory } from '../../integrations/core/confidence.ts';
import { makeRunResult } from '../fixtures/make-run-result.ts';
import { readRfc4180 } from '../fixtures/rfc4180.ts';

const result = makeRunResult({ syntheticCount: 200, seed: 'explore' });
result.rows = result.images.map((img, i) => ({ image: img.path, status: 'classified' as const, group: i % 3 === 0 ? 'A' : 'B', ...(i % 5 === 4 ? {} : { date: `2024-01-${String((i % 28) + 1).padStart(2, '0')}` }) }));
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
      expect(index.dates[i]).toEqual(i % 5 === 4 ? [] : [`2024-01-${String((i % 28) + 1).padStart(2, '0')}`]);
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
    ['a day range (both ends included)', { dateFrom: '2024-01-03', dateTo: '2024-01-05' }, (i: number) => i % 5 !== 4 && [2, 3, 4].includes(i % 28)],
    ['days from (open end), undated left out', { dateFrom: '2024-01-27' }, (i: number) => i % 5 !== 4 && i % 28 >= 26],
    ['days to', { dateTo: '2024-01-01' }, (i: number) => i % 5 !== 4 && i % 28 === 0],
    ['all at once', { category: 0, pMin: 20, marginMax: 50, group: index.groups.indexOf('B') }, (i: number) => index.category[i] === 0 && index.p[i] >= 20 && index.margin[i] <= 50 && i % 3 !== 0],
  ] as const)('%s', (_, filter, keep) => {
    const rows = applyFilter(index, { ...all, ...filter });
    expect(rows).toEqual(index.path.map((_, i) => i).filter((i) => keep(i)));
    if (Object.keys(filter).length > 0) expect(rows.length).toBeLessThan(index.path.length);
  });
});

describe('inDateRange', () => {
  it.each([
    [['2024-01-03'], '2024-01-03', '2024-01-03', true],
    [['2024-01-03'], '2024-01-04', null, false],
    [['2024-01-03'], null, '2024-01-02', false],
    [['2023-12-31', '2024-02-01'], '2024-01-01', '2024-01-31', false],
    [['2023-12-31', '2024-01-15'], '2024-01-01', '2024-01-31', true],
    [[], null, null, false],
  ] as const)('%j in [%s, %s]: %s', (days, from, to, expected) => {
    expect(inDateRange(days, from, to)).toBe(expected);
  });
});

describe('sortRows', () => {
  // Five images: ties on purpose (p of 0 and 3, group of 1 and 2), missing values (second, group, day).
  const tiny: ExploreIndex = {
    ...index,
    categories: ['cat', 'dog', 'bird'],
    groups: ['zeta', 'alpha'],
    path: ['e.jpg', 'b.jpg', 'd.jpg', 'a.jpg', 'c.jpg'],
    p: [50, 90, 10, 50, 70],
    margin: [5, -2, 30, 0, 12],
    second: [2, -1, 0, 1, 0],
    group: [[0], [1], [0, 1], [], [0]],
    dates: [['2024-03-01'], [], ['2024-01-02', '2024-05-01'], ['2024-02-01'], ['2024-01-02']],
  };
  const rows = [0, 1, 2, 3, 4];
  const paths = (key: Parameters<typeof sortRows>[2]['key'], descending = false) => sortRows(tiny, rows, { key, descending }).map((i) => tiny.path[i]);
  it.each([
    ['path', false, ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg']],
    ['path', true, ['e.jpg', 'd.jpg', 'c.jpg', 'b.jpg', 'a.jpg']],
    ['p', false, ['d.jpg', 'a.jpg', 'e.jpg', 'c.jpg', 'b.jpg']], // the tie at 50 in path order
    ['p', true, ['b.jpg', 'c.jpg', 'a.jpg', 'e.jpg', 'd.jpg']], // ties stay in path order descending too
    ['margin', false, ['b.jpg', 'a.jpg', 'e.jpg', 'c.jpg', 'd.jpg']],
    ['margin', true, ['d.jpg', 'c.jpg', 'e.jpg', 'a.jpg', 'b.jpg']],
    ['second', false, ['c.jpg', 'd.jpg', 'a.jpg', 'e.jpg', 'b.jpg']], // dictionary order; none last
    ['second', true, ['e.jpg', 'a.jpg', 'c.jpg', 'd.jpg', 'b.jpg']], // none last either way
    ['group', false, ['b.jpg', 'd.jpg', 'c.jpg', 'e.jpg', 'a.jpg']], // first group by name; no group last
    ['group', true, ['c.jpg', 'e.jpg', 'b.jpg', 'd.jpg', 'a.jpg']],
    ['date', false, ['c.jpg', 'd.jpg', 'a.jpg', 'e.jpg', 'b.jpg']], // earliest day; undated last
    ['date', true, ['e.jpg', 'a.jpg', 'c.jpg', 'd.jpg', 'b.jpg']],
  ] as const)('by %s (descending: %s)', (key, descending, expected) => {
    expect(paths(key, descending)).toEqual(expected);
  });
  it('does not change its input and gives the same order from any starting order', () => {
    const input = [4, 2, 0, 3, 1];
    expect(sortRows(tiny, input, { key: 'p', descending: false })).toEqual(sortRows(tiny, rows, { key: 'p', descending: false }));
    expect(input).toEqual([4, 2, 0, 3, 1]);
  });
  it('filtering the sorted list of all images gives the sorted filtered list', () => {
    const every = index.path.map((_, i) => i);
    for (const sort of [{ key: 'p', descending: true }, { key: 'date', descending: false }, { key: 'group', descending: true }] as const) {
      const filter = { ...all, pMin: 20, marginMax: 60, dateFrom: '2024-01-05' };
      const filtered = applyFilter(index, filter, sortRows(index, every, sort));
      expect(filtered).toEqual(sortRows(index, applyFilter(index, filter), sort));
      expect(filtered.length).toBeGreaterThan(0);
      expect(filtered.length).toBeLessThan(every.length);
    }
  });
  it('the CSV follows the order it is given', () => {
    const order = sortRows(index, applyFilter(index, all), { key: 'p', descending: true });
    const csvPaths = readRfc4180(filteredCsv(index, order)).slice(1).map((r) => r[0]);
    expect(csvPaths).toEqual(order.map((i) => index.path[i]));
    const ps = order.map((i) => index.p[i]);
    expect(ps).toEqual([...ps].sort((a, b) => b - a));
  });
});

describe('pageOf', () => {
  it.each([
    [0, 1, 300, { page: 1, pages: 1, start: 0, end: 0 }],
    [300, 1, 300, { page: 1, pages: 1, start: 0, end: 300 }],
    [301, 1, 300, { page: 1, pages: 2, start: 0, end: 300 }],
    [301, 2, 300, { page: 2, pages: 2, start: 300, end: 301 }],
    [301, 3, 300, { page: 2, pages: 2, start: 300, end: 301 }], // past the end: the last page
    [301, 0, 300, { page: 1, pages: 2, start: 0, end: 300 }], // before the start: the first
    [900, 2, 300, { page: 2, pages: 3, start: 300, end: 600 }],
    [10, Number.NaN, 300, { page: 1, pages: 1, start: 0, end: 10 }],
  ])('%i rows, page %s of size %i', (total, page, size, expected) => {
    expect(pageOf(total, page, size)).toEqual(expected);
  });
});

describe('filteredCsv', () => {
  it('writes the rows shown, quoting what needs quotes and defusing formulas', () => {
    expect(filteredCsv({ ...index, path: ['＝HYPERLINK.jpg'] }, [0]).split('\n')[1]).toMatch(/^'＝HYPERLINK\.jpg,/); // full-width too
    const tricky = { ...index, path: ['=cmd|x.jpg', 'a,"b".jpg'], category: [0, 1], p: [99.1, 50], margin: [90, -3.5], second: [1, -1], secondP: [0.5, 0], group: [[0], []], dates: [['2024-01-02', '2024-01-09'], []], label: [0, 0], phrases: ['a photo'] };
    expect(filteredCsv(tricky, [0, 1])).toBe(
      'Image,Category,Category probability,Margin,Second category,Second probability,Groups,Dates,Phrase\n' +
        `'=cmd|x.jpg,${index.categories[0]},99.1,90,${index.categories[1]},0.5,A,2024-01-02; 2024-01-09,a photo\n` +
        `"a,""b"".jpg",${index.categories[1]},50,-3.5,,0,,,a photo\n`,
    );
  });
});
