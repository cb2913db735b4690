// Formatting helpers for the report and the command line: numbers, durations and sizes as a reader
// expects them, and site URLs that work under any base path (GitHub Pages serves a project site under
// /<repo>/). Browser-safe.
import { format } from 'd3-format';

const percent1 = format('.1f');
const integer = format(',d');

/** A probability in percent (0..100) as "71.3 %". */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${percent1(value)} %`;
}

/** A share 0..1 as "12.5 %". */
export function formatShare(value: number): string {
  return formatPercent(value * 100);
}

/** A count with thousands separators: "1,234". */
export function formatCount(value: number): string {
  return integer(value);
}

/** "1 image", "3 images", "1,234 images". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${formatCount(count)} ${count === 1 ? noun : nouns}`;
}

/** Seconds as "0.8 s", "42 s", "3 min 05 s" or "1 h 02 min" (rounded to the unit shown). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 9.95) return `${seconds.toFixed(1)} s`;
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  if (total < 3600) return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
  const minutes = Math.round(total / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A size in bytes with decimal (SI) units, as the Hugging Face Hub and GitHub show sizes: "512 B", "8.7 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** An ISO time as "2025-03-01 14:05 UTC" (UTC so every build machine prints the same). */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A site URL under the base path: `siteUrl('/my-repo/', 'category', 'a b')` → "/my-repo/category/a%20b/".
 * Each segment is percent-encoded, so names with spaces, quotes, `#`, `?` or `../` stay one segment.
 * A trailing slash is added for pages (directory-style build output); pass `file: true` for files.
 */
export function siteUrl(base: string, segments: readonly (string | number)[], opts: { file?: boolean } = {}): string {
  const prefix = base.endsWith('/') ? base : `${base}/`;
  const path = segments.map((s) => encodeURIComponent(String(s))).join('/');
  if (!path) return prefix;
  return opts.file ? `${prefix}${path}` : `${prefix}${path}/`;
}

/** The site folder of clipscope's assets: thumbnails, originals, the Workbench's data and text tower
 * (core/workbench.ts WORKBENCH_DIR). It holds no pages; the downloads (results, charts) are apart. */
export const ASSETS_DIR = '_clipscope';

/** A site-relative asset path (e.g. "_clipscope/thumbs/ab12.webp", already URL-safe) under the base. */
export function assetUrl(base: string, relative: string): string {
  const prefix = base.endsWith('/') ? base : `${base}/`;
  return prefix + relative.replace(/^\/+/, '');
}

/** Text a spreadsheet would run as a formula: starting with = + - @, tab or CR, or the full-width
 * ＝ ＋ － ＠ that some spreadsheets read the same way. */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** A cell as clipscope writes it into a CSV: text a spreadsheet would run gets a leading quote, so a
 * file named "=cmd|….jpg" stays text. Numbers are never touched (a negative number is data). The one
 * formula escape of every CSV clipscope writes (engine/csv.ts re-exports it). */
export function escapeFormula<T extends string | number | null>(cell: T): T | string {
  return typeof cell === 'string' && FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** One CSV cell for the CSVs the browser writes (the Explore list), as engine/csv.ts writes them:
 * formula-escaped, quoted when it holds a comma, quote or line break. */
export function csvCell(value: string | number): string {
  const s = String(escapeFormula(value));
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
