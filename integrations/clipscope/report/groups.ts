// Groups for the report: dates bucketed by calendar month or ISO 8601 week, and each category's
// share of each group's posts with Wilson 95 % intervals — pure functions over a run's result.
import { wilson } from '../../core/stats.ts';
import { comparePaths } from '../../engine/discover.ts';
import type { RunResult } from '../../core/types.ts';
import { NO_VALUE, TOP_LEVEL } from '../../engine/groups.ts';

type TimeUnit = 'month' | 'week';

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

/** Weeks only when the median week (empty weeks included) has at least this many posts: a share of
 * 20 posts still has a 95 % interval some ±20 points wide (30 % → 14.5–51.9 %); from fewer, a weekly
 * line is mostly noise, and months pool four times as many posts per point. */
export const MIN_MEDIAN_PER_WEEK = 20;

interface TimeUnitChoice {
  unit: TimeUnit;
  /** Why: `long` — the dates span more than WEEKS_UP_TO_DAYS; `sparse` — the median week has fewer
   * than MIN_MEDIAN_PER_WEEK posts; `weekly` — short and dense enough for weeks; `empty` — no dates. */
  reason: 'long' | 'sparse' | 'weekly' | 'empty';
  /** Days from the first date to the last. */
  spanDays: number;
  /** Median posts per ISO week over every week of the span, empty weeks included (null: not counted,
   * because the span alone decided). */
  medianPerWeek: number | null;
}

/** The median of numbers (the mean of the middle two for an even count); NaN for none. */
function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Months or ISO weeks for a time chart of posts with these dates (one day per post): weeks when the
 * dates span at most WEEKS_UP_TO_DAYS days and the median week holds at least `minPerWeek` posts
 * (default MIN_MEDIAN_PER_WEEK), months otherwise.
 */
export function timeUnitFor(days: readonly string[], minPerWeek = MIN_MEDIAN_PER_WEEK): TimeUnitChoice {
  if (days.length === 0) return { unit: 'month', reason: 'empty', spanDays: 0, medianPerWeek: null };
  let lo = days[0];
  let hi = days[0];
  for (const d of days) {
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  const spanDays = (dayMs(hi) - dayMs(lo)) / DAY_MS;
  if (spanDays > WEEKS_UP_TO_DAYS) return { unit: 'month', reason: 'long', spanDays, medianPerWeek: null };
  const perWeek = new Map(periodsBetween(lo, hi, 'week').map((p) => [p, 0]));
  for (const d of days) {
    const p = periodOf(d, 'week');
    perWeek.set(p, (perWeek.get(p) ?? 0) + 1);
  }
  const medianPerWeek = median([...perWeek.values()]);
  return medianPerWeek >= minPerWeek ? { unit: 'week', reason: 'weekly', spanDays, medianPerWeek } : { unit: 'month', reason: 'sparse', spanDays, medianPerWeek };
}

/** The unit alone (see timeUnitFor). */
export function chooseTimeUnit(days: readonly string[], minPerWeek = MIN_MEDIAN_PER_WEEK): TimeUnit {
  return timeUnitFor(days, minPerWeek).unit;
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

interface GroupRow {
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

interface PeriodRow {
  /** "2024-03" or "2024-W09". */
  period: string;
  n: number;
  cells: ShareCell[];
}

export interface TimeSeries {
  unit: TimeUnit;
  /** How the unit was chosen (absent when the caller fixed it). */
  choice?: TimeUnitChoice;
  categories: string[];
  /** Every period from the first dated unit's to the last's. */
  periods: PeriodRow[];
  /** Units with a date. */
  dated: number;
  /** Units without one. */
  undated: number;
}

interface TimeSeriesOptions {
  /** Months or weeks; default chosen by timeUnitFor() from the dates. */
  unit?: TimeUnit;
  /** The first and last day the periods run over (default: the units' own first and last date), so
   * series of several groups share one time axis. */
  span?: [string, string];
}

/** Each category's share per period (all groups together). Null when no unit has a date. */
export function timeSeries(units: readonly Unit[], categories: readonly string[], opts: TimeUnit | TimeSeriesOptions = {}): TimeSeries | null {
  const { unit, span } = typeof opts === 'string' ? { unit: opts, span: undefined } : opts;
  const dated = units.filter((u): u is Unit & { date: string } => typeof u.date === 'string');
  if (dated.length === 0 && !span) return null;
  const cats = allCategories(units, categories);
  const days = dated.map((u) => u.date);
  const choice = unit ? undefined : timeUnitFor(days);
  const chosen = unit ?? choice!.unit;
  const first = span?.[0] ?? days.reduce((a, b) => (b < a ? b : a));
  const last = span?.[1] ?? days.reduce((a, b) => (b > a ? b : a));
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
  return { unit: chosen, ...(choice ? { choice } : {}), categories: cats, periods, dated: dated.length, undated: units.length - dated.length };
}

/** The first and last date of the units (null when none has one). */
export function dateSpan(units: readonly Unit[]): [string, string] | null {
  let lo: string | null = null;
  let hi: string | null = null;
  for (const u of units) {
    if (typeof u.date !== 'string') continue;
    if (lo === null || u.date < lo) lo = u.date;
    if (hi === null || u.date > hi) hi = u.date;
  }
  return lo === null ? null : [lo, hi!];
}

/** One time series per group, on the overall series' unit and time axis (small multiples). */
export function groupTimeSeries(units: readonly Unit[], categories: readonly string[], groups: readonly string[], unit: TimeUnit): { group: string; series: TimeSeries }[] {
  const span = dateSpan(units);
  if (!span) return [];
  return groups.map((group) => ({ group, series: timeSeries(units.filter((u) => u.group === group), categories, { unit, span })! }));
}
