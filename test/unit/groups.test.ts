// Groups: shares per group × category with Wilson 95 % intervals, folder groups, dates and periods.
// The expected intervals are computed by hand from the Wilson formula
//   centre = (p + z²/2n) / (1 + z²/n),  half = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n),  z = 1.959964
// and agree with R's prop.test(k, n, correct = FALSE):
//   3/10 → [0.107791, 0.603222]    0/5 → [0, z²/(n+z²)] = [0, 0.434482]
//   5/5  → [n/(n+z²), 1] = [0.565518, 1]    1/2 → [0.094531, 0.905469]    4/17 → [0.095550, 0.472618]
import { describe, expect, it } from 'vitest';
import { folderGroupOf, folderGroups, groupValue, NO_VALUE, parseDateCell, TOP_LEVEL } from '../../integrations/engine/groups.ts';
import {
  cellImages,
  chooseTimeUnit,
  dateSpan,
  groupShares,
  groupTimeSeries,
  MIN_MEDIAN_PER_WEEK,
  isoWeek,
  periodOf,
  periodsBetween,
  timeSeries,
  timeUnitFor,
  unitsOf,
  type Unit,
} from '../../integrations/clipscope/report/groups.ts';
import type { ImageResult, RunResult } from '../../integrations/core/types.ts';

function units(group: string | null, category: string, count: number, image = (i: number) => `${group}/${category}/${i}.jpg`, date?: string): Unit[] {
  return Array.from({ length: count }, (_, i) => ({ group, category, image: image(i), ...(date ? { date } : {}) }));
}

describe('groupShares', () => {
  // A: 10 posts, 3 Campaign; B: 5 posts, none Campaign; (empty): 2 posts, 1 Campaign.
  const data: Unit[] = [
    ...units('B', 'Other', 5),
    ...units('A', 'Campaign', 3),
    ...units('A', 'Other', 7),
    ...units(NO_VALUE, 'Campaign', 1),
    ...units(NO_VALUE, 'Other', 1),
  ];
  const shares = groupShares(data, ['Campaign', 'Other']);

  it('orders groups by name with the placeholder group last, categories as given', () => {
    expect(shares.groups.map((g) => g.name)).toEqual(['A', 'B', NO_VALUE]);
    expect(shares.categories).toEqual(['Campaign', 'Other']);
    expect(shares.groups.map((g) => g.n)).toEqual([10, 5, 2]);
  });

  it('gives counts, shares and Wilson 95 % intervals that match the hand-computed values', () => {
    const [a, b, empty] = shares.groups;
    expect(a.cells[0]).toMatchObject({ category: 'Campaign', count: 3, n: 10, share: 0.3 });
    expect(a.cells[0].low).toBeCloseTo(0.107791, 5);
    expect(a.cells[0].high).toBeCloseTo(0.603222, 5);
    expect(b.cells[0]).toMatchObject({ count: 0, n: 5, share: 0, low: 0 });
    expect(b.cells[0].high).toBeCloseTo(0.434482, 5);
    expect(b.cells[1]).toMatchObject({ count: 5, share: 1, high: 1 });
    expect(b.cells[1].low).toBeCloseTo(0.565518, 5);
    expect(empty.cells[0].low).toBeCloseTo(0.094531, 5);
    expect(empty.cells[0].high).toBeCloseTo(0.905469, 5);
    // All posts together: 4 of 17 are Campaign.
    expect(shares.all.n).toBe(17);
    expect(shares.all.cells[0].share).toBeCloseTo(4 / 17, 12);
    expect(shares.all.cells[0].low).toBeCloseTo(0.09555, 5);
    expect(shares.all.cells[0].high).toBeCloseTo(0.472618, 5);
  });

  it("sums each group's shares to 1", () => {
    for (const g of shares.groups) expect(g.cells.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 12);
  });

  it('appends a category the list lacks (e.g. Uncertain) and keeps ungrouped units out of groups', () => {
    const s = groupShares([...units('A', 'Uncertain', 1), ...units(null, 'Other', 4)], ['Other']);
    expect(s.categories).toEqual(['Other', 'Uncertain']);
    expect(s.groups.map((g) => [g.name, g.n])).toEqual([['A', 1]]);
    expect(s.all.n).toBe(5);
  });

  it('counts distinct images per group and lists the distinct images of a cell', () => {
    const repeated: Unit[] = [
      { group: 'A', category: 'X', image: 'b.jpg' },
      { group: 'A', category: 'X', image: 'a.jpg' },
      { group: 'A', category: 'X', image: 'b.jpg' },
      { group: 'B', category: 'X', image: 'a.jpg' },
    ];
    const s = groupShares(repeated, ['X']);
    expect(s.groups[0]).toMatchObject({ name: 'A', n: 3, images: 2 });
    expect(cellImages(repeated, 'A', 'X')).toEqual(['a.jpg', 'b.jpg']);
    expect(cellImages(repeated, 'B', 'Y')).toEqual([]);
  });
});

describe('folder groups and group values', () => {
  it('uses the first folder level, only when some image sits in a subfolder', () => {
    expect(folderGroupOf('afd.bund/2125.jpg')).toBe('afd.bund');
    expect(folderGroupOf('a/b/c.jpg')).toBe('a');
    expect(folderGroupOf('top.jpg')).toBeNull();
    expect(folderGroups(['a.jpg', 'b.jpg'])).toBeNull();
    expect(folderGroups(['x/a.jpg', 'b.jpg'])).toEqual(['x', TOP_LEVEL]);
  });

  it('reads cells as trimmed text, empty ones as the placeholder', () => {
    expect(groupValue(' SPD ')).toBe('SPD');
    expect(groupValue('')).toBe(NO_VALUE);
    expect(groupValue(null)).toBe(NO_VALUE);
    expect(groupValue(undefined)).toBe(NO_VALUE);
    expect(groupValue(3)).toBe('3');
    expect(groupValue(false)).toBe('false');
  });
});

describe('dates and periods', () => {
  it('reads ISO, German and Unix-time dates as the day written; refuses ambiguous or impossible ones', () => {
    expect(parseDateCell('2024-03-05')).toBe('2024-03-05');
    expect(parseDateCell('2024-03-05T23:30:00-05:00')).toBe('2024-03-05');
    expect(parseDateCell('2024-03-05 14:00:00+01:00')).toBe('2024-03-05');
    expect(parseDateCell('2024/3/5')).toBe('2024-03-05');
    expect(parseDateCell('05.03.2024')).toBe('2024-03-05');
    // 1709596800 s = 2024-03-05T00:00:00Z; pandas' to_json writes milliseconds.
    expect(parseDateCell(1709596800)).toBe('2024-03-05');
    expect(parseDateCell(1709596800000)).toBe('2024-03-05');
    expect(parseDateCell('1709596800')).toBe('2024-03-05');
    expect(parseDateCell('3/5/2024')).toBeNull();
    expect(parseDateCell('2024-02-30')).toBeNull();
    expect(parseDateCell('')).toBeNull();
    expect(parseDateCell(null)).toBeNull();
    expect(parseDateCell(42)).toBeNull();
  });

  it('numbers ISO 8601 weeks (known dates from the ISO calendar)', () => {
    expect(isoWeek('2021-01-03')).toEqual({ year: 2020, week: 53 });
    expect(isoWeek('2024-12-30')).toEqual({ year: 2025, week: 1 });
    expect(isoWeek('2024-03-05')).toEqual({ year: 2024, week: 10 });
    expect(periodOf('2024-03-05', 'week')).toBe('2024-W10');
    expect(periodOf('2024-03-05', 'month')).toBe('2024-03');
  });

  it('lists every period between two days, gaps included', () => {
    expect(periodsBetween('2024-01-15', '2024-04-02', 'month')).toEqual(['2024-01', '2024-02', '2024-03', '2024-04']);
    expect(periodsBetween('2023-11-30', '2024-01-01', 'month')).toEqual(['2023-11', '2023-12', '2024-01']);
    expect(periodsBetween('2024-12-28', '2025-01-06', 'week')).toEqual(['2024-W52', '2025-W01', '2025-W02']);
    expect(periodsBetween('2024-03-05', '2024-03-05', 'week')).toEqual(['2024-W10']);
  });

  it('chooses weeks for up to half a year, months beyond (when weeks are full enough)', () => {
    expect(chooseTimeUnit(['2024-01-01', '2024-06-30'], 0)).toBe('week'); // 181 days
    expect(chooseTimeUnit(['2024-01-01', '2024-07-02'], 0)).toBe('month'); // 183 days
  });

  /** Days of posts: `perWeek[i]` posts on the Monday of the i-th week from 2024-01-01 (a Monday). */
  const weeks = (perWeek: number[]) =>
    perWeek.flatMap((k, i) => Array<string>(k).fill(new Date(Date.UTC(2024, 0, 1 + 7 * i)).toISOString().slice(0, 10)));

  it.each([
    // name, posts per week (0: an empty week inside the span), unit, reason, median
    ['no dates', [], 'month', 'empty', null],
    ['full weeks', [20, 25, 30, 22], 'week', 'weekly', 23.5],
    ['median exactly the minimum', [20, 20, 20], 'week', 'weekly', 20],
    ['median just below (mean of the middle two)', [19, 20, 40, 40, 5, 10], 'month', 'sparse', 19.5],
    ['thin weeks', [30, 30, 5, 5], 'month', 'sparse', 17.5],
    ['an empty week counts as 0', [25, 0, 25, 0, 30], 'week', 'weekly', 25],
    ['empty weeks pull the median down', [40, 0, 0, 0, 40], 'month', 'sparse', 0],
    ['one week', [3], 'month', 'sparse', 3],
  ] as const)('%s: %j posts per week → %s (%s)', (_, perWeek, unit, reason, median) => {
    const choice = timeUnitFor(weeks([...perWeek]));
    expect(choice).toMatchObject({ unit, reason, medianPerWeek: median });
    expect(MIN_MEDIAN_PER_WEEK).toBe(20);
  });

  it('takes months for a long span without counting weeks, however full', () => {
    const days = weeks(Array(27).fill(50)); // 26 weeks + 1 day… 182 days: still weeks
    expect(timeUnitFor(days)).toMatchObject({ unit: 'week', spanDays: 182 });
    const longer = [...days, '2024-07-02'];
    expect(timeUnitFor(longer)).toMatchObject({ unit: 'month', reason: 'long', spanDays: 183, medianPerWeek: null });
  });

  it('records the choice in a series whose unit it chose, not in one whose unit was given', () => {
    const data = units('A', 'X', 3, (i) => `${i}.jpg`, '2024-01-10');
    expect(timeSeries(data, ['X'])!.choice).toMatchObject({ unit: 'month', reason: 'sparse', medianPerWeek: 3 });
    expect(timeSeries(data, ['X'], 'week')!.choice).toBeUndefined();
  });

  it('puts every group on the same periods and categories (small multiples)', () => {
    const data: Unit[] = [
      ...units('A', 'Campaign', 2, (i) => `a${i}.jpg`, '2024-01-10'),
      ...units('B', 'Other', 1, () => 'b.jpg', '2024-03-20'),
      ...units('B', 'Uncertain', 1, () => 'u.jpg', '2024-02-02'),
      ...units('B', 'Other', 1, () => 'undated.jpg'),
    ];
    expect(dateSpan(data)).toEqual(['2024-01-10', '2024-03-20']);
    const overall = timeSeries(data, ['Campaign', 'Other'], 'month')!;
    const per = groupTimeSeries(data, overall.categories, ['A', 'B'], 'month');
    expect(per.map((g) => g.group)).toEqual(['A', 'B']);
    for (const g of per) {
      expect(g.series.periods.map((p) => p.period)).toEqual(['2024-01', '2024-02', '2024-03']);
      expect(g.series.categories).toEqual(['Campaign', 'Other', 'Uncertain']);
    }
    expect(per[0].series.periods.map((p) => p.n)).toEqual([2, 0, 0]);
    expect(per[1].series.periods.map((p) => p.n)).toEqual([0, 1, 1]);
    expect(per[1].series).toMatchObject({ dated: 2, undated: 1 });
    expect(groupTimeSeries(units('A', 'X', 2), ['X'], ['A'], 'month')).toEqual([]);
  });

  it('gives shares per period with empty periods kept', () => {
    const data: Unit[] = [
      ...units('A', 'Campaign', 2, (i) => `m${i}.jpg`, '2024-01-10'),
      ...units('B', 'Other', 2, (i) => `n${i}.jpg`, '2024-01-20'),
      ...units('A', 'Campaign', 1, () => 'late.jpg', '2024-03-01'),
      ...units('A', 'Other', 1, () => 'undated.jpg'),
    ];
    const series = timeSeries(data, ['Campaign', 'Other'], 'month')!;
    expect(series.periods.map((p) => [p.period, p.n])).toEqual([
      ['2024-01', 4],
      ['2024-02', 0],
      ['2024-03', 1],
    ]);
    expect(series.periods[0].cells[0]).toMatchObject({ count: 2, n: 4, share: 0.5 });
    expect(series.periods[1].cells[0].share).toBeNaN();
    expect(series.periods[2].cells[0]).toMatchObject({ count: 1, share: 1 });
    expect(series).toMatchObject({ dated: 5, undated: 1 });
    expect(timeSeries(units('A', 'X', 2), ['X'])).toBeNull();
  });
});

describe('unitsOf', () => {
  const image = (path: string, category: string, group?: string): ImageResult => ({
    path,
    sha256: path,
    size: 1,
    category,
    label: category,
    probability: 90,
    margin: 80,
    top: [],
    categories: {},
    ...(group ? { group } : {}),
  });
  const base = { images: [image('a.jpg', 'X'), image('b.jpg', 'Y')] } as unknown as RunResult;

  it('counts table rows (a repeated image once per row), only classified ones', () => {
    const result = {
      ...base,
      grouping: { kind: 'column', column: 'party' },
      rows: [
        { image: 'a.jpg', status: 'classified', group: 'P', date: '2024-01-01' },
        { image: 'a.jpg', status: 'classified', group: 'Q' },
        { image: 'gone.jpg', status: 'missing', group: 'P' },
        { image: null, status: 'no image', group: 'P' },
        { image: 'b.jpg', status: 'classified' },
      ],
    } as RunResult;
    expect(unitsOf(result)).toEqual([
      { group: 'P', category: 'X', image: 'a.jpg', date: '2024-01-01' },
      { group: 'Q', category: 'X', image: 'a.jpg' },
      { group: NO_VALUE, category: 'Y', image: 'b.jpg' },
    ]);
  });

  it('counts images in a folder run, grouped only when the run has folder groups', () => {
    const folder = { images: [image('x/a.jpg', 'X', 'x'), image('b.jpg', 'Y', TOP_LEVEL)], grouping: { kind: 'folder' } } as RunResult;
    expect(unitsOf(folder).map((u) => u.group)).toEqual(['x', TOP_LEVEL]);
    expect(unitsOf(base).map((u) => u.group)).toEqual([null, null]);
  });
});

describe('Groups page layouts', async () => {
  const { shareByGroupCharts, timeShareChart, shareText, intervalText, groupColorMap, groupTimeCharts, CATEGORY_PALETTE, GROUP_PALETTE } = await import('../../src/lib/group-charts.ts');
  const data: Unit[] = [...units('A', 'Campaign', 3), ...units('A', 'Other', 7), ...units('B', 'Other', 5), ...units('C', 'Other', 1)];
  const shares = groupShares(data, ['Campaign', 'Other']);

  it('draws every category on one shared axis, whiskers at the interval bounds', () => {
    const charts = shareByGroupCharts(shares, { hrefOf: (g, c) => `/groups/${g}/${c}/1/` });
    expect(charts.panels.map((p) => p.category)).toEqual(['Campaign', 'Other']);
    const [campaign, other] = charts.panels;
    expect(campaign.xTicks).toEqual(other.xTicks);
    const a = campaign.rows[0];
    const span = campaign.right - campaign.left;
    // Axis 0..100 % (B's Other is 5/5 with high = 1): pixel = left + share × span.
    expect(campaign.xTicks.at(-1)!.label).toBe('100 %');
    expect(a.barWidth).toBeCloseTo(0.3 * span, 6);
    expect(a.lowX).toBeCloseTo(campaign.left + 0.107791 * span, 3);
    expect(a.highX).toBeCloseTo(campaign.left + 0.603222 * span, 3);
    expect(a.valueLabel).toBe('30.0 % · 3 of 10');
    expect(a.title).toBe('A: 3 of 10 posts in Campaign (30.0 %, 95 % interval 10.8–60.3 %)');
    expect(a.href).toBe('/groups/A/Campaign/1/');
    expect(charts.colors.get('A')).not.toBe(charts.colors.get('B'));
  });

  it('draws the largest groups when there are too many, and says how many are left out', () => {
    const charts = shareByGroupCharts(shares, { maxGroups: 2 });
    expect(charts.shown).toEqual(['A', 'B']);
    expect(charts.hidden).toBe(1);
  });

  it('formats shares and intervals like the rest of the report', () => {
    expect(shareText(0.3)).toBe('30.0 %');
    expect(shareText(Number.NaN)).toBe('–');
    expect(intervalText(0.107791, 0.603222)).toBe('10.8–60.3 %');
  });

  it('leaves a gap in a time line for a period without posts', () => {
    const series = timeSeries([...units('A', 'Campaign', 1, () => 'a.jpg', '2024-01-05'), ...units('A', 'Other', 1, () => 'b.jpg', '2024-03-05')], ['Campaign', 'Other'], 'month')!;
    const chart = timeShareChart(series);
    expect(chart.lines[0].points).toHaveLength(2); // January and March; February has no posts
    expect(chart.lines[0].path.match(/M/g)).toHaveLength(2); // two separate segments
    expect(chart.xTicks.map((t) => t.label)).toEqual(['2024-01', '2024-02', '2024-03']);
    expect(chart.counts.map((c) => c.height > 0)).toEqual([true, false, true]);
  });

  it('never gives a group a category colour: two palettes with no colour in common', () => {
    const categoryColors = new Set(CATEGORY_PALETTE.map((c) => c.toLowerCase()));
    expect(GROUP_PALETTE.filter((c) => categoryColors.has(c.toLowerCase()))).toEqual([]);
    expect(new Set(GROUP_PALETTE).size).toBe(GROUP_PALETTE.length);
    const charts = shareByGroupCharts(shares);
    expect([...charts.colors.values()]).toEqual(GROUP_PALETTE.slice(0, 3));
    const series = timeSeries([...units('A', 'Campaign', 1, () => 'a.jpg', '2024-01-05')], ['Campaign', 'Other'], 'month')!;
    expect(timeShareChart(series).lines.map((l) => l.color)).toEqual(CATEGORY_PALETTE.slice(0, 2));
  });

  it('takes the colours given for groups (groupColors) and the palette for the rest, skipping colours already given', () => {
    const colors = groupColorMap(['AfD', 'CDU', 'Grüne', 'SPD'], [['SPD', '#e3000f'], ['AfD', GROUP_PALETTE[0].toLowerCase()], ['Nobody', '#000']]);
    expect([...colors]).toEqual([
      ['AfD', GROUP_PALETTE[0].toLowerCase()],
      ['CDU', GROUP_PALETTE[1]], // the palette's first colour is AfD's already
      ['Grüne', GROUP_PALETTE[2]],
      ['SPD', '#e3000f'],
    ]);
    const charts = shareByGroupCharts(shares, { colors: groupColorMap(['A', 'B', 'C'], [['B', '#123456']]) });
    expect(charts.panels[0].rows.map((r) => r.color)).toEqual([GROUP_PALETTE[0], '#123456', GROUP_PALETTE[1]]);
  });

  it('draws a count axis under the time chart and a readout per period that names every share', () => {
    const data = [...units('A', 'Campaign', 3, (i) => `a${i}.jpg`, '2024-01-05'), ...units('A', 'Other', 7, (i) => `b${i}.jpg`, '2024-01-06'), ...units('A', 'Other', 1, () => 'c.jpg', '2024-03-05')];
    const chart = timeShareChart(timeSeries(data, ['Campaign', 'Other'], 'month')!);
    // Count axis from 0 (the strip's bottom) to the fullest period (10 posts, the top).
    expect(chart.countTicks.map((t) => [t.label, t.offset])).toEqual([
      ['0', chart.countsBottom],
      ['10', chart.countsTop],
    ]);
    expect(chart.counts[0]).toMatchObject({ y: chart.countsTop, height: chart.countsBottom - chart.countsTop });
    expect(chart.counts[2].height).toBeCloseTo((chart.countsBottom - chart.countsTop) / 10, 9);
    expect(chart.countsBottom).toBeLessThanOrEqual(chart.height);
    expect(chart.columns.map((c) => c.period)).toEqual(['2024-01', '2024-02', '2024-03']);
    const jan = chart.columns[0];
    expect(jan.tip.lines.map((l) => l.text)).toEqual(['2024-01: 10 posts', 'Campaign: 30.0 % (10.8–60.3 %), 3', 'Other: 70.0 % (39.7–89.2 %), 7']);
    expect(jan.tip.lines.map((l) => l.color)).toEqual([undefined, CATEGORY_PALETTE[0], CATEGORY_PALETTE[1]]);
    expect(jan.label).toBe('2024-01: 10 posts; Campaign 30.0 %, 95 % interval 10.8–60.3 %, 3 posts; Other 70.0 %, 95 % interval 39.7–89.2 %, 7 posts');
    expect(chart.columns[1].tip.lines.map((l) => l.text)).toEqual(['2024-02: 0 posts']);
    expect(chart.columns[2].label).toMatch(/^2024-03: 1 post; Campaign 0\.0 %.*, 0 posts; Other 100\.0 %.*, 1 post$/);
    // Columns tile the plot: each as wide as a period, side by side.
    expect(jan.x + jan.width).toBeCloseTo(chart.columns[1].x, 9);
    expect(jan.x).toBeCloseTo(chart.left, 9);
  });

  it('puts the small multiples of all groups on the same share and count axes', () => {
    const data: Unit[] = [
      ...units('A', 'Campaign', 8, (i) => `a${i}.jpg`, '2024-01-05'),
      ...units('A', 'Other', 2, (i) => `b${i}.jpg`, '2024-02-05'),
      ...units('B', 'Other', 1, () => 'c.jpg', '2024-01-09'),
      ...units('B', 'Campaign', 1, () => 'd.jpg', '2024-01-10'),
    ];
    const overall = timeSeries(data, ['Campaign', 'Other'], 'month')!;
    const charts = groupTimeCharts(groupTimeSeries(data, overall.categories, ['A', 'B'], 'month'));
    expect(charts.map((c) => [c.group, c.n])).toEqual([
      ['A', 10],
      ['B', 2],
    ]);
    const [a, b] = charts.map((c) => c.chart);
    expect(a.yTicks).toEqual(b.yTicks);
    expect(a.yTicks.at(-1)!.label).toBe('100 %');
    expect(a.countTicks).toEqual(b.countTicks);
    expect(a.countTicks.at(-1)!.label).toBe('8'); // A's January: the fullest period of any group
    expect(b.counts[0].height).toBeCloseTo(((a.countsBottom - a.countsTop) * 2) / 8, 9);
    expect(a.xTicks.map((t) => t.label)).toEqual(b.xTicks.map((t) => t.label));
  });
});

describe('group page slugs', async () => {
  const { buildReport } = await import('../../integrations/clipscope/report/report.ts');
  const { groupReport } = await import('../../integrations/clipscope/report/groups-report.ts');
  const { makeRunResult } = await import('../fixtures/make-run-result.ts');
  const options = { samplesPerCategory: 4, standaloneSamples: 2, seed: 1, pageSize: 50, listThumbnails: false, validation: { perCategory: 3, seed: 1 } };
  const slugsOf = (names: string[]) => {
    const result = makeRunResult({ syntheticCount: 12, seed: 'group-slugs' });
    result.grouping = { kind: 'folder' };
    for (const [i, image] of result.images.entries()) image.group = names[i % names.length];
    return new Map(groupReport(buildReport({ result, options })).groups.map((g) => [g.name, g.slug]));
  };

  it('are unique, readable where the name is Latin, and the same whatever order the groups come in', () => {
    const names = ['Ünsicher', 'Grüne', 'GRÜNE', '日本', 'Ελλάδα', 'Россия'];
    const a = slugsOf(names);
    expect(a.get('Ünsicher')).toBe('unsicher');
    expect(a.get('Grüne')).toMatch(/^grune-[0-9a-f]{8}$/);
    expect(a.get('GRÜNE')).toMatch(/^grune-[0-9a-f]{8}$/);
    for (const name of ['日本', 'Ελλάδα', 'Россия']) expect(a.get(name)).toMatch(/^c-[0-9a-f]{8}$/);
    expect(new Set(a.values()).size).toBe(names.length);
    expect(slugsOf(names.slice().reverse())).toEqual(a);
    expect(slugsOf(['Россия', 'Ελλάδα'])).toEqual(new Map([['Ελλάδα', a.get('Ελλάδα')], ['Россия', a.get('Россия')]]));
  });
});

describe('the report group colours', async () => {
  const { buildReport } = await import('../../integrations/clipscope/report/report.ts');
  const { makeRunResult } = await import('../fixtures/make-run-result.ts');
  const { reportGroupColors, GROUP_PALETTE } = await import('../../src/lib/group-charts.ts');

  it('are the groupColors given, else the palette in group order, computed once per report', () => {
    const result = makeRunResult({ syntheticCount: 12, seed: 'group-colours' });
    result.grouping = { kind: 'folder' };
    for (const [i, image] of result.images.entries()) image.group = ['A', 'B', 'C'][i % 3];
    const options = { samplesPerCategory: 4, standaloneSamples: 2, seed: 1, pageSize: 50, listThumbnails: false, validation: { perCategory: 3, seed: 1 }, groupColors: [['B', '#123456']] as [string, string][] };
    const report = buildReport({ result, options });
    const colors = reportGroupColors(report);
    expect([...colors]).toEqual([['A', GROUP_PALETTE[0]], ['B', '#123456'], ['C', GROUP_PALETTE[1]]]);
    expect(reportGroupColors(report)).toBe(colors);
  });
});
