// Formatting helpers for the report: numbers as a reader expects them, and site URLs that work under
// any base path (GitHub Pages serves a project site under /<repo>/).
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

/** Seconds as "0.8 s", "42 s" or "3 min 05 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return `${m} min ${String(s).padStart(2, '0')} s`;
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

/** A site-relative asset path (e.g. "_clipscope/thumbs/ab12.webp", already URL-safe) under the base. */
export function assetUrl(base: string, relative: string): string {
  const prefix = base.endsWith('/') ? base : `${base}/`;
  return prefix + relative.replace(/^\/+/, '');
}
