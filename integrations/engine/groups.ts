// Group keys and dates of posts — pure functions (the shares per group are the report's:
// integrations/clipscope/report/groups.ts).
//
// - The grouping key is a column of the posts table (--group-by party) or, for a folder run, the
//   first folder level under the image root (the seed's per-account folders), used only when some
//   images actually sit in subfolders.
// - The unit counted is the post (a table row whose image was classified): a researcher asks "how
//   often does party X post campaign material?", which is what pandas' `groupby('party')[col]
//   .value_counts(normalize=True)` answers on the written-back table. An image posted twice counts
//   twice; rows whose image is missing or unreadable are not in any denominator. In a folder run
//   the unit is the image.
// - Dates are bucketed by calendar month or ISO 8601 week; every period between the first and the
//   last is listed (empty ones with n = 0), so a time axis has no silent gaps.

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

