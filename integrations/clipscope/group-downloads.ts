// The Groups page as data, published beside the results so nobody has to rebuild it in pandas:
// - downloads/group-shares.csv: each category's share of each group's posts with its Wilson 95 %
//   interval, one row per group × category (tidy, "long" format), plus the rows of all posts together;
// - downloads/group-shares-by-period.csv (with a date column): the same per month/ISO week, for all
//   posts and per group;
// - downloads/<table>.classified.<ext> (a posts table run): the table itself with the classification
//   columns joined on, exactly as `clipscope classify --table … --out` writes it back.
// CSV through the project's one writer (engine/csv.ts), text cells formula-escaped. Shares and bounds
// are fractions 0–1; a share of an empty period is empty.
import { csvText, escapeFormula, type CsvCell } from '../engine/csv.ts';
import { defaultWriteBackPath, writeBackText, type PostsTable } from '../engine/table.ts';
import type { RunResult } from '../core/types.ts';
import type { GroupReport } from './report/groups-report.ts';
import type { ShareCell, TimeSeries } from './report/groups.ts';

export const GROUP_FILES = {
  shares: 'downloads/group-shares.csv',
  periods: 'downloads/group-shares-by-period.csv',
} as const;

/** The site path of the written-back posts table ("downloads/posts.classified.csv"). */
export function joinedTableFile(table: Pick<PostsTable, 'source'>): string {
  return `downloads/${defaultWriteBackPath(table.source)}`;
}

export const SHARE_METHOD = 'Wilson score interval, 95 %';

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
const text = (s: string) => escapeFormula(s);
/** category, count, n, share, ci_low, ci_high, method (the interval's estimator; empty with no interval, n = 0). */
const cellColumns = (c: ShareCell): CsvCell[] => [text(c.category), c.count, c.n, num(c.share), c.n > 0 ? c.low : null, c.n > 0 ? c.high : null, c.n > 0 ? SHARE_METHOD : null];

/** group-shares.csv: level ("group" or "all"), group, category, count, n, share, ci_low, ci_high, method. */
export function groupSharesCsv(g: GroupReport): string | null {
  if (!g.shares) return null;
  const rows: CsvCell[][] = [['level', 'group', 'category', 'count', 'n', 'share', 'ci_low', 'ci_high', 'method']];
  for (const row of g.shares.groups) for (const c of row.cells) rows.push(['group', text(row.name), ...cellColumns(c)]);
  for (const c of g.shares.all.cells) rows.push(['all', null, ...cellColumns(c)]);
  return csvText(rows);
}

/** group-shares-by-period.csv: level, group, unit ("month"/"week"), period, category, count, n, share, ci_low, ci_high, method. */
export function periodSharesCsv(g: GroupReport): string | null {
  if (!g.time) return null;
  const rows: CsvCell[][] = [['level', 'group', 'unit', 'period', 'category', 'count', 'n', 'share', 'ci_low', 'ci_high', 'method']];
  const add = (level: string, group: string | null, series: TimeSeries) => {
    for (const p of series.periods) for (const c of p.cells) rows.push([level, group === null ? null : text(group), series.unit, p.period, ...cellColumns(c)]);
  };
  add('all', null, g.time);
  for (const { group, series } of g.groupTime) add('group', group, series);
  return csvText(rows);
}

/** The joined table's text (see writeBackText), named for the downloads folder. */
export function joinedTable(table: PostsTable, result: RunResult): { file: string; data: string; type: string } {
  return {
    file: joinedTableFile(table),
    data: writeBackText(table, result, { column: result.run.column, topK: result.run.topK }),
    type: table.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
  };
}
