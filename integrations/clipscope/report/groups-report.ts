// The Groups page's model: each category's share per group with Wilson 95 % intervals, the
// images behind each group × category cell, and shares over time — computed from the run's result by
// the engine's pure functions (integrations/engine/groups.ts), once per build (memoised per report).
import { cellImages, groupShares, groupTimeSeries, timeSeries, unitsOf, type GroupShares, type TimeSeries, type Unit } from './groups.ts';
import type { Grouping, TableInfo } from '../../core/types.ts';
import type { ReportData } from './report.ts';
import { uniqueSlugs } from '../../core/dictionary.ts';
import { sha256Hex } from '../../engine/hash.ts';

interface GroupEntry {
  name: string;
  /** URL-safe, unique among the groups. */
  slug: string;
  /** Posts (table rows with a classified image) or, in a folder run, images. */
  n: number;
  /** Distinct images. */
  images: number;
}

export interface GroupCellPage {
  group: GroupEntry;
  category: { name: string; slug: string };
  /** Posts of the group in the category. */
  count: number;
  /** Indices (into report.result.images) of the cell's distinct images, by path. */
  members: number[];
  /** Posts per image in this cell (an image posted twice by the group counts 2). */
  posts: Map<string, number>;
}

export interface GroupReport {
  grouping: Grouping | null;
  /** What one counted unit is, in words: "post" for a table, "image" for a folder. */
  unit: { one: string; many: string };
  table: TableInfo | null;
  groups: GroupEntry[];
  shares: GroupShares | null;
  /** Category name → page slug (the category pages' slugs). A Map: a name is data, even "__proto__". */
  categorySlugs: Map<string, string>;
  time: TimeSeries | null;
  /** Per group, on the same time axis as `time` (small multiples); empty without dates or groups. */
  groupTime: { group: string; series: TimeSeries }[];
  /** The counted units, for the group × category listings (`groupCells`); empty without groups, as
   * nothing else reads them once the shares and time series are made (an object per image otherwise
   * held for the whole build). */
  units: Unit[];
}

const memo = new WeakMap<ReportData, GroupReport>();

export function groupReport(report: ReportData): GroupReport {
  const cached = memo.get(report);
  if (cached) return cached;
  const result = report.result;
  const units = unitsOf(result);
  const categoryNames = report.categories.map((c) => c.name);
  const shares = result.grouping ? groupShares(units, categoryNames) : null;
  const slugs = uniqueSlugs((shares?.groups ?? []).map((g) => g.name), sha256Hex);
  const groups = (shares?.groups ?? []).map((g) => ({ name: g.name, slug: slugs.get(g.name)!, n: g.n, images: g.images }));
  const time = timeSeries(units, categoryNames);
  const out: GroupReport = {
    grouping: result.grouping ?? null,
    unit: result.rows ? { one: 'post', many: 'posts' } : { one: 'image', many: 'images' },
    table: result.table ?? null,
    groups,
    shares,
    categorySlugs: new Map(report.categories.map((c) => [c.name, c.slug])),
    time,
    groupTime: time && shares ? groupTimeSeries(units, time.categories, shares.groups.map((g) => g.name), time.unit) : [],
    units: shares ? units : [],
  };
  memo.set(report, out);
  return out;
}

/** Whether the report has anything for the Groups page: groups, or dates to plot. */
export function hasGroupsPage(report: ReportData): boolean {
  const g = groupReport(report);
  return g.groups.length > 0 || g.time !== null;
}

/** Every group × category cell with its images (the listing pages); empty cells included. */
export function groupCells(report: ReportData): GroupCellPage[] {
  const g = groupReport(report);
  if (!g.shares) return [];
  const indexOf = new Map(report.result.images.map((img, i) => [img.path, i]));
  const cells: GroupCellPage[] = [];
  g.shares.groups.forEach((row, gi) => {
    for (const cell of row.cells) {
      const posts = new Map<string, number>();
      for (const u of g.units) if (u.group === row.name && u.category === cell.category) posts.set(u.image, (posts.get(u.image) ?? 0) + 1);
      cells.push({
        group: g.groups[gi],
        category: { name: cell.category, slug: g.categorySlugs.get(cell.category)! },
        count: cell.count,
        members: cellImages(g.units, row.name, cell.category).map((p) => indexOf.get(p)!),
        posts,
      });
    }
  });
  return cells;
}

/** The label of the grouping, e.g. `column "party"` or `first folder level`. */
export function groupingLabel(grouping: Grouping | null): string {
  if (!grouping) return '';
  return grouping.kind === 'column' ? `the column “${grouping.column}”` : 'the first folder level under the image folder';
}
