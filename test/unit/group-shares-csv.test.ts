// The Groups page's shares as a CSV download: long format with Wilson 95 % intervals.
import { describe, expect, it } from 'vitest';
import { groupSharesCsv } from '../../integrations/clipscope/report/groups-report.ts';
import { buildReport } from '../../integrations/clipscope/report/report.ts';
import { makeRunResult } from '../fixtures/make-run-result.ts';

const options = { samplesPerCategory: 4, standaloneSamples: 2, seed: 'x', pageSize: 10, listThumbnails: false, validation: { perCategory: 3, seed: 'v' } };

describe('groupSharesCsv', () => {
  it('writes count, n, share and the Wilson interval per group × category (worked example: 2 of 3)', () => {
    const result = makeRunResult({ syntheticCount: 4, seed: 'g' });
    const cats = result.dictionary.categories.map((c) => c.name);
    result.images = result.images.map((img, i) => ({ ...img, category: i < 2 ? cats[0] : cats[1] }));
    // Group "A, B" (a comma: quoted) posts images 0, 1 and 2: two of cats[0], one of cats[1]; group B posts image 3.
    result.rows = [0, 1, 2, 3].map((i) => ({ image: result.images[i].path, status: 'classified' as const, group: i < 3 ? 'A, B' : 'B' }));
    result.grouping = { kind: 'column', column: 'party' };
    const csv = groupSharesCsv(buildReport({ result, options }))!;
    const lines = csv.split('\n');
    expect(lines[0]).toBe('group,category,count,n,share,ci95_low,ci95_high');
    // Wilson 95 % for 2 of 3 (z = 1.96): centre 0.573079, half-width 0.365427.
    const row = lines.find((l) => l.startsWith(`"A, B",${cats[0]},`))!;
    const [, , count, n, share, low, high] = row.replace('"A, B"', 'A').split(',');
    expect([count, n, share]).toEqual(['2', '3', '0.666667']);
    expect(Number(low)).toBeCloseTo(0.207652, 4);
    expect(Number(high)).toBeCloseTo(0.938506, 4);
    // Every group × category, then the All rows.
    expect(lines.filter(Boolean)).toHaveLength(1 + 3 * cats.length);
    expect(lines.filter((l) => l.startsWith('All,'))).toHaveLength(cats.length);
    expect(csv.endsWith('\n')).toBe(true);
  });

  it('is absent when the run has no groups', () => {
    expect(groupSharesCsv(buildReport({ result: makeRunResult({ syntheticCount: 4 }), options }))).toBeNull();
  });
});
