// The Explore page's index shape and its filters, shared by the build (integrations/clipscope/report/
// explore.ts writes the index) and the browser (src/scripts/explore.ts filters it). Browser-safe, pure.
import type { ScoringMode } from './types.ts';
import { csvCell } from './format.ts';

export interface ExploreIndex {
  schema: 'clipscope.explore/v1';
  scoring: ScoringMode;
  /** Category names: the dictionary's, then Uncertain (and any other the results name). */
  categories: string[];
  groups: string[];
  phrases: string[];
  /** Image paths (relative to the image root, as the results name them). */
  path: string[];
  /** Index into `categories`. */
  category: number[];
  /** Category probability (core/confidence.ts), percent, one decimal. */
  p: number[];
  /** Points to the second category (negative when the best phrase's category is not the most probable). */
  margin: number[];
  /** Index into `categories`, -1 when there is none. */
  second: number[];
  secondP: number[];
  /** Indices into `groups` (posts-table groups or the folder group). */
  group: number[][];
  /** The image's post days (YYYY-MM-DD, the posts table's date column), sorted, distinct; [] when none. */
  dates: string[][];
  /** Index into `phrases`: the winning phrase. */
  label: number[];
  /** The winning phrase's share (seed scoring), percent, one decimal. */
  labelP: number[];
  /** Category probabilities for the large view: "index=percent;…", most probable first, tiny ones left out. */
  probs: string[];
  /** Site-relative path of the small thumbnail (list, else sample), or null. */
  thumb: (string | null)[];
  /** Site-relative path of the large view, its width and height (0 when none). */
  large: (string | null)[];
  largeW: number[];
  largeH: number[];
}

/** The filters of the Explore page, as the browser applies them (shared so they are tested here). */
export interface ExploreFilter {
  category: number | null;
  second: number | null;
  group: number | null;
  pMin: number;
  pMax: number;
  marginMin: number;
  marginMax: number;
  /** Inclusive ISO days (YYYY-MM-DD); an image passes when one of its post days is in the range. */
  dateFrom?: string | null;
  dateTo?: string | null;
}

/** Indices of the images that pass every filter, in index order or in `order` (all indices, e.g.
 * sortRows of every image: filtering a sorted list keeps it sorted, so a change of filter needs no
 * new sort). Ranges include both ends. */
export function applyFilter(index: ExploreIndex, f: ExploreFilter, order?: readonly number[]): number[] {
  const out: number[] = [];
  const n = order ? order.length : index.path.length;
  for (let k = 0; k < n; k++) {
    const i = order ? order[k] : k;
    if (f.category !== null && index.category[i] !== f.category) continue;
    if (f.second !== null && index.second[i] !== f.second) continue;
    if (f.group !== null && !index.group[i].includes(f.group)) continue;
    if (index.p[i] < f.pMin || index.p[i] > f.pMax) continue;
    if (index.margin[i] < f.marginMin || index.margin[i] > f.marginMax) continue;
    if ((f.dateFrom || f.dateTo) && !inDateRange(index.dates[i] ?? [], f.dateFrom ?? null, f.dateTo ?? null)) continue;
    out.push(i);
  }
  return out;
}

/** Whether one of the days lies in [from, to] (both ends included; a missing end is open). ISO days
 * compare as strings. An image without days never passes a date filter. */
export function inDateRange(days: readonly string[], from: string | null, to: string | null): boolean {
  return days.some((d) => (!from || d >= from) && (!to || d <= to));
}

export const SORT_KEYS = ['path', 'p', 'margin', 'second', 'group', 'date'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export interface ExploreSort {
  key: SortKey;
  descending: boolean;
}

/** Code-unit order: the same in every browser and locale (deterministic). */
const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The rows in the sort's order: by the key (probability, margin, second category in dictionary order,
 * first group by name, earliest post day, path), ascending or descending; images without a value
 * (no second category, no group, no day) come last either way; ties keep path order, then index
 * order, so the order is stable and deterministic. Returns a new array.
 */
export function sortRows(index: ExploreIndex, rows: readonly number[], sort: ExploreSort): number[] {
  const groupName = (i: number) => {
    const names = (index.group[i] ?? []).map((g) => index.groups[g]).sort(cmpStr);
    return names.length > 0 ? names[0] : null;
  };
  const value = (i: number): number | string | null => {
    switch (sort.key) {
      case 'p':
        return index.p[i];
      case 'margin':
        return index.margin[i];
      case 'second':
        return index.second[i] >= 0 ? index.second[i] : null;
      case 'group':
        return groupName(i);
      case 'date':
        return index.dates[i]?.[0] ?? null;
      case 'path':
        return index.path[i];
    }
  };
  const keyed = rows.map((i) => ({ i, v: value(i) }));
  const sign = sort.descending ? -1 : 1;
  keyed.sort((a, b) => {
    if (a.v === null || b.v === null) {
      if (a.v !== b.v) return a.v === null ? 1 : -1;
    } else if (a.v !== b.v) {
      return sign * (typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : cmpStr(String(a.v), String(b.v)));
    }
    return cmpStr(index.path[a.i], index.path[b.i]) || a.i - b.i;
  });
  return keyed.map((k) => k.i);
}

/** One page of a list: `page` (1-based) clamped to 1…pages; there is always at least one page. */
export function pageOf(total: number, page: number, size: number): { page: number; pages: number; start: number; end: number } {
  const pages = Math.max(1, Math.ceil(total / size));
  const p = Math.min(pages, Math.max(1, Number.isFinite(page) ? Math.floor(page) : 1));
  const start = (p - 1) * size;
  return { page: p, pages, start, end: Math.min(total, start + size) };
}

/** The filtered list as CSV (csvCell), the columns the page shows. */
export function filteredCsv(index: ExploreIndex, rows: readonly number[]): string {
  const name = (i: number) => (i >= 0 ? index.categories[i] : '');
  const lines = [['Image', 'Category', 'Category probability', 'Margin', 'Second category', 'Second probability', 'Groups', 'Dates', 'Phrase'].join(',')];
  for (const i of rows) {
    lines.push(
      [index.path[i], name(index.category[i]), index.p[i], index.margin[i], name(index.second[i]), index.secondP[i], index.group[i].map((g) => index.groups[g]).join('; '), (index.dates[i] ?? []).join('; '), index.phrases[index.label[i]]]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
