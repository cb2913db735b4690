// Groups: compare how often each category occurs in groups of posts (issue 9) — pure functions.
//
// - The grouping key is a column of the posts table (--group-by party) or, for a folder run, the
//   first folder level under the image root (the seed's per-account folders), used only when some
//   images actually sit in subfolders.
// - The unit counted is the post (a table row whose image was classified): a researcher asks "how
//   often does party X post campaign material?", which is what pandas' `groupby('party')[col]
//   .value_counts(normalize=True)` answers on the written-back table. An image posted twice counts
//   twice; rows whose image is missing or unreadable are not in any denominator. In a folder run
//   the unit is the image.
// - Shares come with Wilson 95 % intervals (src/lib/stats.ts: the same maths as the validation page).
// - Dates are bucketed by calendar month or ISO 8601 week; every period between the first and the
//   last is listed (empty ones with n = 0), so a time axis has no silent gaps.
import { wilson } from '../../src/lib/stats.ts';
import { comparePaths } from './discover.ts';
import type { RunResult } from './types.ts';

/** The group of a row whose group cell is empty. */
export const NO_VALUE = '(empty)';
/** The group of images directly in the image root when others sit in subfolders. */
export const TOP_LEVEL = '(top level)';

/** The first folder level of a relative POSIX path, or null for a file directly in the root. */
export function folderGroupOf(path: string): string | null {
  const slash = path.indexOf('/');
  return slash > 0 ? path.slice(0, slash) : null;
}

/** Folder groups for a folder run: one per image, or null when no image sits in a subfolder. */
export function folderGroups(paths: readonly string[]): (string | null)[] | null {
  const groups = paths.map(folderGroupOf);
  if (!groups.some((g) => g !== null)) return null;
  return groups.map((g) => g ?? TOP_LEVEL);
}

/** A table cell as a group key: trimmed text; empty, null and missing cells are NO_VALUE. */
export function groupValue(cell: unknown): string {
  if (cell === null || cell === undefined) return NO_VALUE;
  const text = (typeof cell === 'string' ? cell : typeof cell === 'object' ? JSON.stringify(cell) : String(cell)).trim();
  return text === '' ? NO_VALUE : text;
}

// ---------------------------------------------------------------------------------------------
// Dates

function isoDay(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1000 || y > 9999) return null;
  const t = new Date(Date.UTC(y, m - 1, d));
  if (t.getUTCMonth() !== m - 1) return null; // 2024-02-30
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function fromEpoch(ms: number): string | null {
  const t = new Date(ms);
  return Number.isNaN(t.getTime()) ? null : t.toISOString().slice(0, 10);
}

/**
 * The day of a date cell, YYYY-MM-DD, or null. Read:
 * - ISO-like text "2024-03-05", "2024-03-05 14:00:00+01:00", "2024-03-05T…", "2024/03/05": the day
 *   as written (the post's local day; a time zone does not move it);
 * - German "05.03.2024";
 * - Unix time as a number or a string of digits: 9–10 digits are seconds, 12–13 digits milliseconds
 *   (pandas' `to_json` writes dates as epoch milliseconds); read as a UTC day.
 * Anything else (e.g. "3/5/2024", ambiguous between US and European order) is not a date.
 */
export function parseDateCell(cell: unknown): string | null {
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) return null;
    return epochDigits(String(Math.trunc(Math.abs(cell))).length, cell);
  }
  if (typeof cell !== 'string') return null;
  const text = cell.trim();
  let m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:$|[T\s])/.exec(text);
  if (m) return isoDay(+m[1], +m[2], +m[3]);
  m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:$|\s)/.exec(text);
  if (m) return isoDay(+m[3], +m[2], +m[1]);
  if (/^\d+(\.\d+)?$/.test(text)) return epochDigits(text.split('.')[0].length, Number(text));
  return null;
}

function epochDigits(digits: number, value: number): string | null {
  if (digits === 9 || digits === 10) return fromEpoch(value * 1000);
  if (digits === 12 || digits === 13) return fromEpoch(value);
  return null;
}

export type TimeUnit = 'month' | 'week';

const DAY_MS = 86_400_000;

function dayMs(day: string): number {
  return Date.UTC(+day.slice(0, 4), +day.slice(5, 7) - 1, +day.slice(8, 10));
}

/** ISO 8601 week of a day: weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeek(day: string): { year: number; week: number } {
  const t = new Date(dayMs(day));
  const weekday = t.getUTCDay() || 7; // Monday 1 … Sunday 7
  t.setUTCDate(t.getUTCDate() + 4 - weekday); // the Thursday of the same week decides the year
  const year = t.getUTCFullYear();
  const week = Math.floor((t.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return { year, week };
}

/** The period of a day: "2024-03" (month) or "2024-W09" (ISO week). */
export function periodOf(day: string, unit: TimeUnit): string {
  if (unit === 'month') return day.slice(0, 7);
  const { year, week } = isoWeek(day);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Every period from the one of `first` to the one of `last` (days, first ≤ last), in order. */
export function periodsBetween(first: string, last: string, unit: TimeUnit): string[] {
  const out: string[] = [];
  if (unit === 'month') {
    let y = +first.slice(0, 4);
    let m = +first.slice(5, 7);
    const end = last.slice(0, 7);
    for (;;) {
      const p = `${y}-${String(m).padStart(2, '0')}`;
      out.push(p);
      if (p >= end) break;
      m++;
      if (m > 12) {
        m = 1;
        y++;
      }
    }
    return out;
  }
  const start = new Date(dayMs(first));
  start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() || 7) - 1)); // back to Monday
  const lastPeriod = periodOf(last, 'week');
  for (let t = start.getTime(); ; t += 7 * DAY_MS) {
    const p = periodOf(new Date(t).toISOString().slice(0, 10), 'week');
    out.push(p);
    if (p === lastPeriod) break;
  }
  return out;
}

/** Weeks for spans up to 26 weeks (half a year), months beyond: about 6 to 26 points per line
 * for the typical campaign period, never hundreds. */
export const WEEKS_UP_TO_DAYS = 182;

export function chooseTimeUnit(days: readonly string[]): TimeUnit {
  if (days.length === 0) return 'month';
  let lo = days[0];
  let hi = days[0];
  for (const d of days) {
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  return (dayMs(hi) - dayMs(lo)) / DAY_MS <= WEEKS_UP_TO_DAYS ? 'week' : 'month';
}

// ---------------------------------------------------------------------------------------------
// Shares

/** One counted post (or image in a folder run). */
export interface Unit {
  /** null: the run has no grouping. */
  group: string | null;
  category: string;
  /** The image's published path. */
  image: string;
  date?: string;
}

/** The units a run's result counts: classified table rows, else the classified images. */
export function unitsOf(result: RunResult): Unit[] {
  const byPath = new Map(result.images.map((img) => [img.path, img]));
  const byColumn = result.grouping?.kind === 'column';
  if (result.rows) {
    const out: Unit[] = [];
    for (const row of result.rows) {
      const img = row.image === null ? undefined : byPath.get(row.image);
      if (row.status !== 'classified' || !img) continue;
      out.push({ group: byColumn ? (row.group ?? NO_VALUE) : null, category: img.category, image: img.path, ...(row.date ? { date: row.date } : {}) });
    }
    return out;
  }
  const byFolder = result.grouping?.kind === 'folder';
  return result.images.map((img) => ({ group: byFolder ? (img.group ?? TOP_LEVEL) : null, category: img.category, image: img.path }));
}

export interface ShareCell {
  category: string;
  /** Units of the group in this category. */
  count: number;
  /** Units of the group. */
  n: number;
  /** count / n (NaN when n = 0). */
  share: number;
  /** Wilson 95 % interval of the share. */
  low: number;
  high: number;
}

export interface GroupRow {
  name: string;
  /** Units (posts) of the group. */
  n: number;
  /** Distinct images of the group. */
  images: number;
  /** One cell per category, in the order of `categories`. */
  cells: ShareCell[];
}

export interface GroupShares {
  categories: string[];
  /** Groups in name order (code point), the placeholder groups "(empty)" / "(top level)" last. */
  groups: GroupRow[];
  /** All units together, for reference. */
  all: GroupRow;
}

function shareCells(units: readonly Unit[], categories: readonly string[]): ShareCell[] {
  const counts = new Map<string, number>();
  for (const u of units) counts.set(u.category, (counts.get(u.category) ?? 0) + 1);
  return categories.map((category) => {
    const count = counts.get(category) ?? 0;
    const { estimate, low, high } = wilson(count, units.length);
    return { category, count, n: units.length, share: estimate, low, high };
  });
}

function row(name: string, units: readonly Unit[], categories: readonly string[]): GroupRow {
  return { name, n: units.length, images: new Set(units.map((u) => u.image)).size, cells: shareCells(units, categories) };
}

/** Categories in the given order, then any category a unit has that the list lacks (name order). */
function allCategories(units: readonly Unit[], categories: readonly string[]): string[] {
  const known = new Set(categories);
  const extra = [...new Set(units.map((u) => u.category).filter((c) => !known.has(c)))].sort(comparePaths);
  return [...categories, ...extra];
}

function byGroupName(a: string, b: string): number {
  const placeholder = (s: string) => (s === NO_VALUE || s === TOP_LEVEL ? 1 : 0);
  return placeholder(a) - placeholder(b) || comparePaths(a, b);
}

/** Each category's share per group, with Wilson 95 % intervals. Units without a group are only in `all`. */
export function groupShares(units: readonly Unit[], categories: readonly string[]): GroupShares {
  const cats = allCategories(units, categories);
  const byGroup = new Map<string, Unit[]>();
  for (const u of units) {
    if (u.group === null) continue;
    const list = byGroup.get(u.group);
    if (list) list.push(u);
    else byGroup.set(u.group, [u]);
  }
  const groups = [...byGroup.keys()].sort(byGroupName).map((name) => row(name, byGroup.get(name)!, cats));
  return { categories: cats, groups, all: row('All', units, cats) };
}

/** The distinct images of a group × category cell, by path. */
export function cellImages(units: readonly Unit[], group: string, category: string): string[] {
  const paths = new Set<string>();
  for (const u of units) if (u.group === group && u.category === category) paths.add(u.image);
  return [...paths].sort(comparePaths);
}

export interface PeriodRow {
  /** "2024-03" or "2024-W09". */
  period: string;
  n: number;
  cells: ShareCell[];
}

export interface TimeSeries {
  unit: TimeUnit;
  categories: string[];
  /** Every period from the first dated unit's to the last's. */
  periods: PeriodRow[];
  /** Units with a date. */
  dated: number;
  /** Units without one. */
  undated: number;
}

/** Each category's share per period (all groups together). Null when no unit has a date. */
export function timeSeries(units: readonly Unit[], categories: readonly string[], unit?: TimeUnit): TimeSeries | null {
  const dated = units.filter((u): u is Unit & { date: string } => typeof u.date === 'string');
  if (dated.length === 0) return null;
  const cats = allCategories(units, categories);
  const days = dated.map((u) => u.date);
  const chosen = unit ?? chooseTimeUnit(days);
  const first = days.reduce((a, b) => (b < a ? b : a));
  const last = days.reduce((a, b) => (b > a ? b : a));
  const byPeriod = new Map<string, Unit[]>();
  for (const u of dated) {
    const p = periodOf(u.date, chosen);
    const list = byPeriod.get(p);
    if (list) list.push(u);
    else byPeriod.set(p, [u]);
  }
  const periods = periodsBetween(first, last, chosen).map((period) => {
    const list = byPeriod.get(period) ?? [];
    return { period, n: list.length, cells: shareCells(list, cats) };
  });
  return { unit: chosen, categories: cats, periods, dated: dated.length, undated: units.length - dated.length };
}
