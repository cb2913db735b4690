// Results: the CSV a researcher analyses (the seed notebook's columns) and the JSON with everything.
//
// CSV columns — the seed's shape first, so the seed's table is an exact prefix of ours:
//   top-1:   Image, <column>, <column> Label, <column> Probability
//   top-k>1: Image, <column>_1, <column>_label_1, <column>_prob_1, <column>_2, …, <column>_prob_k
// then clipscope's extra columns:  <column> Margin, (sigmoid scoring only) Categories — every
// category at or above the threshold, best first, joined with "; " — P(<category>) for every
// category in dictionary order, sha256; then a caller's ExtraColumns, if any (the site's validated,
// validated_category).
// - `Image` is the path relative to the image root (never an absolute machine path).
// - <column> / <column>_1 is the image's category, i.e. "Uncertain" when a threshold applied (the
//   label and probability still show the best choice, for inspection). <column>_2… are the ranked
//   choices as scored (seed mode: phrases, which may share a category; sum/ensemble: categories).
// - Percentages are rounded to 2 decimals the way the seed did (numpy's round: half to even) and
//   stay numbers; fewer than k choices leave the cells empty. Skipped images are not rows (they are
//   in the JSON's `skipped`).
// - Formula injection: text cells starting with = + - @ tab or CR (or full-width ＝＋－＠) get a
//   leading single quote (csv.ts), so a file named "=cmd|….jpg" cannot run in a spreadsheet.
//   Numbers are never touched. The JSON always has the raw values; pass escapeFormulas: false for a
//   byte-exact CSV.
//
// JSON: the whole RunResult, pretty-printed, keys in a fixed documented order (unknown keys after the
// known ones, sorted), images and skipped sorted by path, per-image category maps in dictionary order.
// Both files are written atomically (atomic.ts): a reader sees the old or the new file, never a mix;
// both are complete on disk before either is renamed into place.

import { writeFilesAtomic } from './atomic.ts';
import { csvText, escapeFormula } from './csv.ts';
import { comparePaths } from './discover.ts';
import type { ImageResult, RunResult } from '../core/types.ts';

const DEFAULT_COLUMN = 'Classification';

/** Columns written after clipscope's own, per image (the site adds the coders' consensus this way). */
export interface ExtraColumns {
  /** Each column's CSV header and JSON key. */
  columns: readonly { csv: string; json: string }[];
  /** One image's values, in column order; null when it has none (empty CSV cells, no JSON keys). */
  values(image: ImageResult): readonly string[] | null;
}

interface CsvOptions {
  /** Ranked choices per row; 1 gives the seed's top-1 shape. Default: the run's topK. */
  topK?: number;
  /** Column name prefix. Default: the run's column, else "Classification". */
  column?: string;
  /** Quote-prefix text cells that a spreadsheet would run as a formula. Default true. */
  escapeFormulas?: boolean;
  /** Columns after `sha256` (so the seed's and clipscope's columns stay an exact prefix). */
  extra?: ExtraColumns;
}

interface JsonOptions {
  /** Keys added to each image that has values (after the known keys, sorted). */
  extra?: ExtraColumns;
}

interface CsvTable {
  header: string[];
  rows: (string | number)[][];
}

interface WriteResultsOptions extends CsvOptions, JsonOptions {
  /** Where to write the CSV; omitted → no CSV. */
  csv?: string;
  /** Where to write the JSON; omitted → no JSON. */
  json?: string;
}

/** Round like numpy's `round(2)` in the seed: scale by 100, round half to even, scale back. */
export function roundSeed(value: number): number {
  const scaled = value * 100;
  const floor = Math.floor(scaled);
  const diff = scaled - floor;
  const rounded = diff > 0.5 || (diff === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return rounded / 100 + 0; // + 0 turns -0 into 0
}

/** The seed's column names for `topK` and `column`, then the extra columns. */
export function csvHeader(categories: readonly string[], topK: number, column: string, multiLabel = false): string[] {
  const seed = topK === 1 ? ['Image', column, `${column} Label`, `${column} Probability`] : ['Image', ...ranks(topK).flatMap((r) => [`${column}_${r}`, `${column}_label_${r}`, `${column}_prob_${r}`])];
  return [...seed, `${column} Margin`, ...(multiLabel ? [MULTI_LABEL_COLUMN] : []), ...categories.map((c) => `P(${c})`), 'sha256'];
}

/** The CSV column of sigmoid scoring's categories (all above the threshold). */
const MULTI_LABEL_COLUMN = 'Categories';

/** The CSV as a header and rows of cells (numbers stay numbers). */
/** The CSV's header and a function that makes one image's row (what toCsvRows and csvChunks share). */
function csvPlan(result: RunResult, opts: CsvOptions): { header: string[]; rowOf: (image: ImageResult) => (string | number)[] } {
  const topK = opts.topK ?? result.run.topK ?? 1;
  const column = opts.column ?? result.run.column ?? DEFAULT_COLUMN;
  if (!Number.isInteger(topK) || topK < 1) throw new RangeError(`toCsvRows: topK must be a whole number >= 1, got ${topK}`);
  const categories = result.dictionary.categories.map((c) => c.name);
  const extra = opts.extra;
  const multiLabel = result.run.scoring === 'sigmoid';
  const header = [...csvHeader(categories, topK, column, multiLabel), ...(extra?.columns.map((c) => c.csv) ?? [])];
  const rowOf = (image: ImageResult) => {
    const row: (string | number)[] = [image.path];
    if (topK === 1) {
      const first = image.top[0];
      row.push(image.category, first?.label ?? image.label, roundSeed(first?.probability ?? image.probability));
    } else {
      for (let r = 0; r < topK; r++) {
        const choice = image.top[r];
        if (!choice) row.push('', '', '');
        else row.push(r === 0 ? image.category : choice.category, choice.label, roundSeed(choice.probability));
      }
    }
    row.push(roundSeed(image.margin));
    if (multiLabel) row.push((image.labels ?? []).join('; '));
    for (const name of categories) {
      const p = Object.hasOwn(image.categories, name) ? image.categories[name] : undefined;
      row.push(p === undefined ? '' : roundSeed(p));
    }
    row.push(image.sha256);
    if (extra) {
      const values = extra.values(image);
      extra.columns.forEach((_, k) => {
        row.push(values?.[k] ?? '');
      });
    }
    return row;
  };
  return { header, rowOf };
}

export function toCsvRows(result: RunResult, opts: CsvOptions = {}): CsvTable {
  const { header, rowOf } = csvPlan(result, opts);
  return { header, rows: sortedByPath(result.images).map(rowOf) };
}

/** Rows (CSV) or images (JSON) per piece of the chunked output: a 100,000-image result is written in
 * pieces of a few hundred kB, not built as one ~70 MB string (with every row as arrays beside it). */
const CHUNK = 500;

/**
 * The CSV text in pieces, for a file write that never holds it whole: the same bytes as toCsv (UTF-8,
 * no BOM so the first column is exactly "Image"; "\n" line ends).
 */
export function* csvChunks(result: RunResult, opts: CsvOptions = {}): Generator<string> {
  const { header, rowOf } = csvPlan(result, opts);
  const escaped = (row: readonly (string | number)[]) => ((opts.escapeFormulas ?? true) ? row.map(escapeFormula) : row);
  yield csvText([escaped(header)]);
  const images = sortedByPath(result.images);
  for (let i = 0; i < images.length; i += CHUNK) yield csvText(images.slice(i, i + CHUNK).map((image) => escaped(rowOf(image))));
}

/** The CSV text (UTF-8, no BOM so the first column is exactly "Image"; "\n" line ends). */
export function toCsv(result: RunResult, opts: CsvOptions = {}): string {
  return [...csvChunks(result, opts)].join('');
}

/**
 * The JSON text in pieces: the same bytes as toJson, i.e. `JSON.stringify(canonical, null, 2)` plus a
 * newline, with the images array stringified one image at a time. (JSON.stringify's output has no raw
 * line break inside a string, so indenting a nested value's lines is a plain replace.)
 */
export function* jsonChunks(result: RunResult, opts: JsonOptions = {}): Generator<string> {
  const top = canonicalResult({ ...result, images: [] }) as Plain;
  const categoryOrder = result.dictionary?.categories?.map((c) => c.name) ?? [];
  const entries = Object.entries(top);
  yield '{';
  for (const [k, [key, value]] of entries.entries()) {
    yield `${k === 0 ? '' : ','}\n  ${JSON.stringify(key)}: `;
    if (key !== 'images') {
      yield indented(JSON.stringify(value, null, 2), '  ');
      continue;
    }
    const images = sortedByPath(result.images);
    if (images.length === 0) {
      yield '[]';
      continue;
    }
    yield '[';
    for (let i = 0; i < images.length; i += CHUNK) {
      const piece = images.slice(i, i + CHUNK).map((image, j) => {
        const item = canonicalImage(opts.extra ? withExtraKeys(image, opts.extra) : image, categoryOrder);
        return `${i + j === 0 ? '' : ','}\n    ${indented(JSON.stringify(item, null, 2), '    ')}`;
      });
      yield piece.join('');
    }
    yield '\n  ]';
  }
  yield entries.length === 0 ? '}\n' : '\n}\n';
}

/** The JSON text: canonical key order, 2-space indent, trailing newline. */
export function toJson(result: RunResult, opts: JsonOptions = {}): string {
  return [...jsonChunks(result, opts)].join('');
}

/** A nested value's JSON text with every line after its first indented by `pad`. */
function indented(json: string, pad: string): string {
  return json.replaceAll('\n', `\n${pad}`);
}

/** An image with the caller's extra keys (when it has values for them). */
function withExtraKeys(image: ImageResult, extra: ExtraColumns): ImageResult {
  const values = extra.values(image);
  return values ? { ...image, ...Object.fromEntries(extra.columns.map((c, k) => [c.json, values[k]])) } : image;
}

/** Write the CSV and/or JSON atomically, both complete before either replaces its old version (a
 * full disk leaves both old files). Throws ClipscopeError (kind "io") naming the file. */
export async function writeResults(result: RunResult, opts: WriteResultsOptions): Promise<void> {
  const files = [];
  if (opts.json) files.push({ path: opts.json, data: jsonChunks(result, opts) });
  if (opts.csv) files.push({ path: opts.csv, data: csvChunks(result, opts) });
  await writeFilesAtomic(files);
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON

type Plain = Record<string, unknown>;

const KEYS = {
  result: ['schema', 'run', 'dictionary', 'images', 'skipped', 'stats'],
  run: ['clipscopeVersion', 'startedAt', 'model', 'dictionary', 'scoring', 'topK', 'column', 'thresholds'],
  model: ['name', 'checksum', 'projectionDim', 'family', 'logitScale', 'logitBias', 'logitSource', 'variant'],
  runDictionary: ['source', 'hash', 'categories', 'phrases'],
  thresholds: ['minProbability', 'minMargin'],
  dictionary: ['source', 'hash', 'categories'],
  category: ['name', 'slug', 'phrases'],
  phrase: ['text', 'tokenCount', 'truncated'],
  image: ['path', 'sha256', 'size', 'width', 'height', 'group', 'category', 'labels', 'label', 'probability', 'margin', 'top', 'categories'],
  choice: ['category', 'label', 'probability'],
  skipped: ['path', 'reason'],
  stats: ['images', 'embedded', 'fromCache', 'skipped', 'seconds'],
} as const;

/** Keys never written: absolute machine paths must not leave the engine, even if a caller spread a
 * DiscoveredImage into a result. */
const NEVER_WRITTEN = new Set(['absPath']);

/**
 * A copy of `obj` with `known` keys first (in that order), then any other keys sorted; `shape`
 * rewrites selected values. Built with fromEntries so keys like "__proto__" stay plain data.
 */
function ordered(obj: unknown, known: readonly string[], shape: Record<string, (v: unknown) => unknown> = {}): unknown {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  const source = obj as Plain;
  const keys = Object.keys(source).filter((k) => !NEVER_WRITTEN.has(k) && source[k] !== undefined);
  const rest = keys.filter((k) => !known.includes(k)).sort(comparePaths);
  const order = [...known.filter((k) => keys.includes(k)), ...rest];
  // Own keys only: a category named "toString" is data, not Object.prototype's method.
  return Object.fromEntries(order.map((k) => [k, Object.hasOwn(shape, k) ? shape[k](source[k]) : source[k]]));
}

const list = (keys: readonly string[], shape?: Record<string, (v: unknown) => unknown>) => (v: unknown) => (Array.isArray(v) ? v.map((x) => ordered(x, keys, shape)) : v);

/** The result's canonical form without its images (jsonChunks writes those one at a time). */
function canonicalResult(result: RunResult): unknown {
  return ordered(result, KEYS.result, {
    run: (v) =>
      ordered(v, KEYS.run, {
        model: (m) => ordered(m, KEYS.model),
        dictionary: (d) => ordered(d, KEYS.runDictionary),
        thresholds: (t) => ordered(t, KEYS.thresholds),
      }),
    dictionary: (d) => ordered(d, KEYS.dictionary, { categories: list(KEYS.category, { phrases: list(KEYS.phrase) }) }),
    // images: written one at a time by jsonChunks (canonicalImage), never through here.
    skipped: (v) => list(KEYS.skipped)(sortedByPath(v as { path: string }[])),
    stats: (s) => ordered(s, KEYS.stats),
  });
}

function canonicalImage(image: ImageResult, categoryOrder: readonly string[]): unknown {
  return ordered(image, KEYS.image, { top: list(KEYS.choice), categories: (c) => ordered(c, categoryOrder) });
}

function sortedByPath<T extends { path: string }>(items: readonly T[]): T[] {
  return Array.isArray(items) ? [...items].sort((a, b) => comparePaths(a.path, b.path)) : (items as T[]);
}

function ranks(k: number): number[] {
  return Array.from({ length: k }, (_, i) => i + 1);
}
