// The Groups page as CSV downloads (group-shares.csv, group-shares-by-period.csv) read back with
// the project's strict RFC 4180 reader: one row per group × category with the Wilson interval of the page, group names that a
// spreadsheet would run kept as text; and the name of the published joined table.
import { readRfc4180, readRfc4180Records } from '../fixtures/rfc4180.ts';
import { describe, expect, it } from 'vitest';
import { GROUP_FILES, groupSharesCsv, joinedTableFile, periodSharesCsv, SHARE_METHOD } from '../../integrations/clipscope/group-downloads.ts';
import { groupShares, groupTimeSeries, timeSeries, type Unit } from '../../integrations/clipscope/report/groups.ts';
import type { GroupReport } from '../../integrations/clipscope/report/groups-report.ts';

const TOL = 1e-6;

function units(group: string, category: string, count: number, date?: string): Unit[] {
  return Array.from({ length: count }, (_, i) => ({ group, category, image: `${group}/${category}/${i}.jpg`, ...(date ? { date } : {}) }));
}

// A: 10 posts, 3 Campaign (Wilson 0.107791–0.603222, see groups.test.ts); "=cmd": 2 posts, both Other.
const data: Unit[] = [...units('A', 'Campaign', 3, '2024-01-05'), ...units('A', 'Other', 7, '2024-02-05'), ...units('=cmd', 'Other', 2, '2024-01-20')];
const shares = groupShares(data, ['Campaign', 'Other']);
const time = timeSeries(data, ['Campaign', 'Other'], 'month')!;
const report = { shares, time, groupTime: groupTimeSeries(data, time.categories, ['A', '=cmd'], 'month') } as unknown as GroupReport;

describe('group-shares.csv', () => {
  const rows = readRfc4180Records(groupSharesCsv(report)!);

  it('has one row per group × category and the rows of all posts, with counts, shares and Wilson bounds', () => {
    expect(rows.map((r) => [r.level, r.group, r.category])).toEqual([
      ['group', "'=cmd", 'Campaign'], // (groups in code-point order: "=" before "A")
      ['group', "'=cmd", 'Other'],
      ['group', 'A', 'Campaign'],
      ['group', 'A', 'Other'],
      ['all', '', 'Campaign'],
      ['all', '', 'Other'],
    ]);
    const a = rows[2];
    expect([a.count, a.n, a.share]).toEqual(['3', '10', '0.3']);
    expect(Math.abs(Number(a.ci_low) - 0.107791)).toBeLessThan(TOL);
    expect(Math.abs(Number(a.ci_high) - 0.603222)).toBeLessThan(TOL);
    expect(a.method).toBe(SHARE_METHOD);
    expect(rows[5]).toMatchObject({ count: '9', n: '12', share: String(9 / 12) });
  });

  it('is absent without groups, and published under downloads/', () => {
    expect(groupSharesCsv({ shares: null } as GroupReport)).toBeNull();
    expect(GROUP_FILES.shares).toBe('downloads/group-shares.csv');
  });
});

describe('group-shares-by-period.csv', () => {
  const rows = readRfc4180Records(periodSharesCsv(report)!);

  it('has every period × category for all posts, then per group; empty periods with an empty share', () => {
    expect(rows).toHaveLength(2 * 2 + 2 * 2 * 2);
    expect(rows[0]).toMatchObject({ level: 'all', group: '', unit: 'month', period: '2024-01', category: 'Campaign', count: '3', n: '5', share: '0.6' });
    const emptyPeriod = rows.find((r) => r.group === "'=cmd" && r.period === '2024-02')!;
    expect(emptyPeriod).toMatchObject({ count: '0', n: '0', share: '', ci_low: '', ci_high: '', method: '' });
    const aFeb = rows.filter((r) => r.group === 'A' && r.period === '2024-02');
    expect(aFeb.map((r) => [r.category, r.count, r.n, r.share])).toEqual([
      ['Campaign', '0', '7', '0'],
      ['Other', '7', '7', '1'],
    ]);
  });

  it('names each interval’s estimator in a method column, as group-shares.csv does', () => {
    const header = readRfc4180(periodSharesCsv(report)!)[0];
    expect(header.at(-1)).toBe('method');
    const withInterval = rows.filter((r) => r.n !== '0');
    expect(withInterval.length).toBeGreaterThan(0);
    for (const r of withInterval) expect(r.method).toBe(SHARE_METHOD);
    expect(SHARE_METHOD).toBe('Wilson score interval, 95 %');
  });

    it('is absent without dates', () => {
    expect(periodSharesCsv({ time: null, groupTime: [] } as unknown as GroupReport)).toBeNull();
  });
});

describe('the joined posts table', () => {
  it('is named like the CLI names its write-back, in the table format', () => {
    expect(joinedTableFile({ source: 'posts.csv' })).toBe('downloads/posts.classified.csv');
    expect(joinedTableFile({ source: 'tweets.jsonl' })).toBe('downloads/tweets.classified.jsonl');
  });
});
