// Posts tables: read the table a researcher already has (one row per post, an image path
// column — the seed's `df['Image'].unique()`), turn its image paths into the run's image list, and
// write the same table back with the classification columns joined on.
//
// Formats: CSV (delimiter detected from the header line: comma, semicolon or tab; a UTF-8 BOM is kept)
// and JSON Lines (.jsonl/.ndjson). Parquet is refused with a hint: reading it would be cheap
// (hyparquet), but writing it back unchanged is not — no maintained pure-JS writer reproduces
// pandas' schema metadata (index, categorical and time-zone dtypes, nested types), so a round trip
// would silently change column types. Researchers convert with one pandas line instead.
//
// Round trip guarantees (tested in test/unit/table.test.ts):
// - every row, in order, and every column, in order, with each original cell unchanged: CSV cells are
//   kept as the strings read (so ids like 0012 or 1.70e18 stay as they were), JSON Lines rows are
//   kept as their original text and the new keys appended to it (so 64-bit ids are not rounded
//   through JavaScript numbers);
// - the added columns are results.ts's seed columns without `Image` (the table has its own image
//   column), e.g. `Classification`, `Classification Label`, `Classification Probability`, then
//   `Classification Margin`, `P(<category>)`…, `sha256`, and `Classification Status`
//   (classified | missing | unreadable | no image). Rows without a classified image get empty cells
//   (null in JSON Lines): pandas reads them as NaN.
// - Formula escaping (csv.ts) applies to the added text cells only; original cells are the
//   user's own data and are never touched. Any cell holding a CR, LF, the delimiter or a quote is
//   quoted, whatever line end the table uses (csv.ts).
//
// Paths: relative paths are resolved against --images-root, or without it against the table's
// folder. What the report publishes is a path relative to the root; without --images-root and with
// absolute paths in the table, the root is the deepest folder holding all of them, so no machine
// prefix (/home/alice/…) is published. A path outside an explicit root is published as
// `external-<8 hex of the folder's hash>/<file name>`: stable, but it reveals no folder name.
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { parse } from 'csv-parse/sync';
import { writeFileAtomic } from './atomic.ts';
import { csvText, escapeFormula } from './csv.ts';
import { comparePaths } from './discover.ts';
import { ClipscopeError, show } from './errors.ts';
import { groupValue, parseDateCell } from './groups.ts';
import { forEachLimited } from './pool.ts';
import { csvHeader, toCsvRows } from './results.ts';
import type { DiscoveredImage, RunResult, SkippedFile, TableInfo, TableRowRef, TableRowStatus } from '../core/types.ts';

type TableFormat = 'csv' | 'jsonl';

interface CsvDialect {
  delimiter: string;
  /** The file started with a UTF-8 byte order mark (Excel writes one); written back likewise. */
  bom: boolean;
  eol: '\n' | '\r\n';
}

export type PostsTable =
  | { format: 'csv'; source: string; columns: string[]; rows: string[][]; dialect: CsvDialect }
  | {
      format: 'jsonl';
      source: string;
      /** Keys in order of first appearance. */
      columns: string[];
      /** Each row's original text (trimmed), for a byte-faithful write-back. */
      lines: string[];
      records: Record<string, unknown>[];
      eol: '\n' | '\r\n';
    };

const FORMATS: Record<string, TableFormat> = { '.csv': 'csv', '.tsv': 'csv', '.txt': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/** The format of a table file from its extension; a clear refusal for Parquet, JSON and the rest. */
export function tableFormatOf(file: string): TableFormat {
  const ext = extname(file).toLowerCase();
  const format = FORMATS[ext];
  if (format) return format;
  if (ext === '.parquet' || ext === '.pq') {
    throw new ClipscopeError(
      'table',
      `Table ${basename(file)} is a Parquet file, which clipscope does not read`,
      `Convert it in pandas: pd.read_parquet("${basename(file)}").to_csv("posts.csv", index=False), then pass --table posts.csv (the written-back CSV reads into pandas as before).`,
    );
  }
  if (ext === '.json') {
    throw new ClipscopeError('table', `Table ${basename(file)} has the extension .json`, 'clipscope reads CSV (.csv, .tsv) and JSON Lines (.jsonl, .ndjson: one JSON object per line). If the file has one object per line, rename it to .jsonl; from pandas: df.to_json("posts.jsonl", orient="records", lines=True).');
  }
  throw new ClipscopeError('table', `Cannot tell the format of table ${basename(file)} from its extension ${show(ext || '(none)')}`, 'Use a .csv, .tsv, .jsonl or .ndjson file.');
}

// ---------------------------------------------------------------------------------------------
// Reading

/** The delimiter of the header line (outside quotes): the most frequent of comma, semicolon, tab. */
export function detectDelimiter(text: string): string {
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch in counts) counts[ch]++;
  }
  return Object.entries(counts).reduce((best, cur) => (cur[1] > best[1] ? cur : best), [',', 0])[0];
}

function eolOf(text: string): '\n' | '\r\n' {
  const i = text.indexOf('\n');
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n';
}

/** A CSV's line end: the first one outside quotes (a quoted header cell may hold a line break). */
function csvEolOf(text: string): '\n' | '\r\n' {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) return ch === '\r' && text[i + 1] === '\n' ? '\r\n' : '\n';
  }
  return '\n';
}

function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new ClipscopeError('table', `Table ${source} is not valid UTF-8 text`, 'Save it as UTF-8 (pandas writes UTF-8 by default; in Excel choose "CSV UTF-8").');
  }
}

/** Parse a table's text. `source` names the file in messages. */
export function parseTable(text: string, format: TableFormat, source: string, opts: { delimiter?: string } = {}): PostsTable {
  return format === 'csv' ? parseCsv(text, source, opts.delimiter) : parseJsonLines(text, source);
}

function parseCsv(text: string, source: string, forced?: string): PostsTable {
  const bom = text.charCodeAt(0) === 0xfeff;
  const body = bom ? text.slice(1) : text;
  const delimiter = forced ?? detectDelimiter(body);
  let records: string[][];
  try {
    records = parse(body, { delimiter, skip_empty_lines: true, relax_column_count_less: true }) as string[][];
  } catch (error) {
    const e = error as Error & { code?: string; lines?: number };
    throw new ClipscopeError(
      'table',
      `Table ${source} is not a readable CSV file${e.lines ? ` (line ${e.lines})` : ''}: ${e.message}`,
      `Check the quoting on that line; clipscope read the delimiter as ${show(delimiter)}.`,
      { cause: error },
    );
  }
  if (records.length === 0) throw new ClipscopeError('table', `Table ${source} is empty`, 'It needs a header line with the column names and one line per post.');
  const [columns, ...rows] = records;
  // Short rows (trailing empty cells left out) are padded: pandas reads those cells as NaN too.
  for (const r of rows) while (r.length < columns.length) r.push('');
  return { format: 'csv', source, columns, rows, dialect: { delimiter, bom, eol: csvEolOf(body) } };
}

function parseJsonLines(text: string, source: string): PostsTable {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const columns = new Set<string>();
  body.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ClipscopeError('table', `Line ${i + 1} of table ${source} is not valid JSON: ${(error as Error).message}`, 'A JSON Lines file has one JSON object per line.');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ClipscopeError('table', `Line ${i + 1} of table ${source} is ${show(value).slice(0, 40)}, not a JSON object`, 'A JSON Lines file has one JSON object ({"Image": …, …}) per line.');
    }
    for (const key of Object.keys(value)) columns.add(key);
    lines.push(line);
    records.push(value as Record<string, unknown>);
  });
  if (records.length === 0) throw new ClipscopeError('table', `Table ${source} is empty`, 'It needs one JSON object per post, one per line.');
  return { format: 'jsonl', source, columns: [...columns], lines, records, eol: eolOf(body) };
}

/** Read a posts table (CSV or JSON Lines) from a file. */
export async function readTable(file: string): Promise<PostsTable> {
  const format = tableFormatOf(file);
  const source = basename(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ClipscopeError(
      'table',
      code === 'ENOENT' ? `Table not found: ${file}` : `Cannot read table ${file}: ${code ?? String(error)}`,
      'Check the path given to --table (a relative path is resolved from the current folder).',
    );
  }
  const text = decodeUtf8(bytes, source);
  return parseTable(text, format, source, { delimiter: extname(file).toLowerCase() === '.tsv' ? '\t' : undefined });
}

function rowCount(table: PostsTable): number {
  return table.format === 'csv' ? table.rows.length : table.records.length;
}

/** A cell of the table: a string (CSV) or any JSON value (JSON Lines; undefined when the key is absent). */
function cellOf(table: PostsTable, row: number, column: string): unknown {
  if (table.format === 'csv') return table.rows[row][table.columns.indexOf(column)];
  const record = table.records[row];
  return Object.hasOwn(record, column) ? record[column] : undefined;
}

/** Refuse a column the table does not have (or, in a CSV, has twice), naming the option and the columns. */
export function requireColumn(table: PostsTable, column: string, option: string): void {
  const found = table.columns.filter((c) => c === column).length;
  const listed = table.columns.slice(0, 30).map((c) => show(c)).join(', ') + (table.columns.length > 30 ? ', …' : '');
  if (found === 0) {
    const near = table.columns.find((c) => c.trim().toLowerCase() === column.trim().toLowerCase());
    throw new ClipscopeError(
      'table',
      `Table ${table.source} has no column ${show(column)} (${option})`,
      `${near !== undefined ? `Did you mean ${show(near)}? ` : ''}Its columns are ${listed}.`,
    );
  }
  if (found > 1) throw new ClipscopeError('table', `Table ${table.source} has ${found} columns named ${show(column)} (${option})`, 'Rename the duplicates so the column is unambiguous.');
}

// ---------------------------------------------------------------------------------------------
// Image paths

/** What happened to a row's image before classification ('pending': found, to classify). */
interface RowImage {
  image: string | null;
  status: TableRowStatus | 'pending';
}

export interface TableImages {
  /** One per distinct file, with its published path, sorted by path. */
  images: DiscoveredImage[];
  /** Paths that are missing or cannot be images, with reasons, sorted by path. */
  skipped: SkippedFile[];
  /** One per table row, in order. */
  rows: RowImage[];
  /** Distinct image paths in the column (after resolving). */
  unique: number;
  /** Files outside an explicit root, published under an anonymised folder. */
  external: number;
  /** One example of a missing path: the cell and where it was looked for (for the hint). */
  missingExample?: { cell: string; lookedAt: string };
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/** The deepest folder that holds every one of `absFiles` (absolute, normalised). */
export function commonFolder(absFiles: readonly string[]): string {
  let common = dirname(absFiles[0]).split(sep);
  for (const f of absFiles.slice(1)) {
    const parts = dirname(f).split(sep);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(sep) || sep;
}

function isInsideRoot(absFile: string, root: string): boolean {
  const rel = relative(root, absFile);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The path the report publishes for a file: relative to `root`, or anonymised outside it. */
export function publishedPath(absFile: string, root: string): string {
  if (isInsideRoot(absFile, root)) return toPosix(relative(root, absFile));
  const folder = createHash('sha256').update(dirname(absFile)).digest('hex').slice(0, 8);
  return `external-${folder}/${basename(absFile)}`;
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A cell's text as a path, or null for an empty cell. */
function pathCell(cell: unknown): string | null {
  if (cell === null || cell === undefined) return null;
  const text = typeof cell === 'string' ? cell : String(cell);
  return text.trim() === '' ? null : text;
}

type Probe = { ok: true; size: number; mtimeMs: number } | { ok: false; status: 'missing' | 'unreadable'; reason: string };

async function probe(abs: string): Promise<Probe> {
  let info: Stats;
  try {
    info = await stat(abs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, status: 'missing', reason: 'listed in the table but not found' };
    return { ok: false, status: 'unreadable', reason: `cannot read file information (${code ?? String(error)})` };
  }
  if (info.isDirectory()) return { ok: false, status: 'unreadable', reason: 'a folder, not an image file' };
  if (!info.isFile()) return { ok: false, status: 'unreadable', reason: 'not a regular file (device, FIFO or socket)' };
  try {
    await access(abs, constants.R_OK);
  } catch {
    return { ok: false, status: 'unreadable', reason: 'file not readable (permission denied)' };
  }
  return { ok: true, size: info.size, mtimeMs: info.mtimeMs };
}

/**
 * The root without --images-root: the table's folder when any path is relative (they start there);
 * when every path is absolute, the deepest folder holding them all (the seed's
 * /content/media/images/<account>/… become <account>/…). A common folder that is the file system
 * root would publish top-level names (home/alice/…), so then the table's folder is used and the
 * files outside it are anonymised.
 */
function autoRoot(cells: readonly string[], absFiles: readonly string[], base: string): string {
  if (absFiles.length === 0 || cells.some((c) => !isAbsolute(c))) return base;
  const common = commonFolder(absFiles);
  return dirname(common) === common ? base : common;
}

interface ResolveOptions {
  imageColumn: string;
  /** Folder relative paths start from, and the published paths are relative to. */
  imagesRoot?: string | null;
  /** The table file (its folder is where relative paths start without imagesRoot). */
  tableFile: string;
}

/** The distinct image files of the table's image column, checked on disk, with each row's outcome. */
export async function resolveTableImages(table: PostsTable, opts: ResolveOptions): Promise<TableImages> {
  const base = resolve(opts.imagesRoot ?? dirname(opts.tableFile));
  const n = rowCount(table);
  const cells: (string | null)[] = [];
  const absOf = new Map<string, string>(); // cell text → absolute path
  for (let r = 0; r < n; r++) {
    const cell = pathCell(cellOf(table, r, opts.imageColumn));
    cells.push(cell);
    if (cell !== null && !absOf.has(cell) && !URL_LIKE.test(cell)) absOf.set(cell, isAbsolute(cell) ? resolve(cell) : resolve(base, cell));
  }
  const distinct = [...new Set(absOf.values())];
  const root = opts.imagesRoot ? base : autoRoot([...absOf.keys()], distinct, base);

  const probes = new Map<string, Probe>();
  await forEachLimited(distinct, 32, async (abs) => {
    probes.set(abs, await probe(abs));
  });

  const images = new Map<string, DiscoveredImage>();
  const skipped = new Map<string, SkippedFile>();
  let external = 0;
  let missingExample: TableImages['missingExample'];
  const published = new Map<string, string>();
  for (const abs of distinct) {
    const path = publishedPath(abs, root);
    published.set(abs, path);
    if (!isInsideRoot(abs, root)) external++;
    const p = probes.get(abs)!;
    if (p.ok) images.set(path, { path, absPath: abs, size: p.size, mtimeMs: p.mtimeMs });
    else skipped.set(path, { path, reason: p.reason });
  }

  const rows: RowImage[] = cells.map((cell) => {
    if (cell === null) return { image: null, status: 'no image' };
    if (URL_LIKE.test(cell)) {
      const path = cell;
      skipped.set(path, { path, reason: 'a URL, not a local file (download the images and list their paths)' });
      return { image: path, status: 'missing' };
    }
    const abs = absOf.get(cell)!;
    const path = published.get(abs)!;
    const p = probes.get(abs)!;
    if (!p.ok && p.status === 'missing') missingExample ??= { cell, lookedAt: abs };
    return { image: path, status: p.ok ? 'pending' : p.status };
  });

  return {
    images: [...images.values()].sort((a, b) => comparePaths(a.path, b.path)),
    skipped: [...skipped.values()].sort((a, b) => comparePaths(a.path, b.path)),
    rows,
    unique: distinct.length,
    external,
    missingExample,
  };
}

/** Rows with their final status (after classification), group and date values, and the table's summary. */
export function tableRowRefs(
  table: PostsTable,
  rowImages: readonly RowImage[],
  classified: ReadonlySet<string>,
  opts: { imageColumn: string; groupBy: string | null; dateColumn: string | null; unique: number },
): { rows: TableRowRef[]; info: TableInfo } {
  const statuses: Record<TableRowStatus, number> = { classified: 0, missing: 0, unreadable: 0, 'no image': 0 };
  let undatedRows = 0;
  const rows = rowImages.map((ri, r) => {
    const status: TableRowStatus = ri.status === 'pending' ? (classified.has(ri.image!) ? 'classified' : 'unreadable') : ri.status;
    statuses[status]++;
    const ref: TableRowRef = { image: ri.image, status };
    if (opts.groupBy !== null) ref.group = groupValue(cellOf(table, r, opts.groupBy));
    if (opts.dateColumn !== null) {
      const day = parseDateCell(cellOf(table, r, opts.dateColumn));
      if (day) ref.date = day;
      else undatedRows++;
    }
    return ref;
  });
  return {
    rows,
    info: {
      source: table.source,
      format: table.format,
      imageColumn: opts.imageColumn,
      groupBy: opts.groupBy,
      dateColumn: opts.dateColumn,
      rows: rows.length,
      uniqueImages: opts.unique,
      statuses,
      undatedRows,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Writing back

/** The columns the write-back adds: results.ts's CSV columns without `Image`, then the row status. */
export function addedColumns(categories: readonly string[], topK: number, column: string): string[] {
  return [...csvHeader(categories, topK, column).slice(1), `${column} Status`];
}

/** Refuse a table that already has a column the write-back would add (e.g. a table written back before). */
export function checkNoClash(table: PostsTable, added: readonly string[], column: string): void {
  const existing = new Set(table.columns);
  const clash = added.filter((c) => existing.has(c));
  if (clash.length > 0) {
    throw new ClipscopeError(
      'table',
      `Table ${table.source} already has ${clash.length === 1 ? 'a column' : 'columns'} ${clash.slice(0, 4).map((c) => show(c)).join(', ')}${clash.length > 4 ? ', …' : ''} that the classification would add`,
      `Choose another column prefix with --column (now ${show(column)}), or drop those columns from the table first.`,
    );
  }
}

interface WriteBackOptions {
  column: string;
  topK: number;
  /** Quote-prefix added text cells a spreadsheet would run as formulas (CSV only). Default true. */
  escapeFormulas?: boolean;
}

/** The added cells of every row, in table order (null where the row has no classified image). */
function addedCells(result: RunResult, opts: WriteBackOptions): { header: string[]; cells: (string | number | null)[][] } {
  if (!result.rows) throw new ClipscopeError('table', 'This run did not classify a table, so there is nothing to write back', 'Run classify with --table.');
  const csv = toCsvRows(result, { column: opts.column, topK: opts.topK });
  const byPath = new Map(csv.rows.map((r) => [String(r[0]), r.slice(1)]));
  const width = csv.header.length - 1;
  const header = [...csv.header.slice(1), `${opts.column} Status`];
  const cells = result.rows.map((row) => {
    const found = row.status === 'classified' && row.image !== null ? byPath.get(row.image) : undefined;
    return [...(found ?? Array<null>(width).fill(null)), row.status];
  });
  return { header, cells };
}

/** The table's text with the classification columns joined on, in the table's own format. */
export function writeBackText(table: PostsTable, result: RunResult, opts: WriteBackOptions): string {
  const { header, cells } = addedCells(result, opts);
  if (cells.length !== rowCount(table)) {
    throw new ClipscopeError('table', `Table ${table.source} has ${rowCount(table)} rows, but the run classified ${cells.length}`, 'The run was made for another table: write back the table the run read.');
  }
  checkNoClash(table, header, opts.column);
  if (table.format === 'csv') {
    const escapeCells = opts.escapeFormulas ?? true;
    const ours = (c: string | number | null) => (escapeCells ? escapeFormula(c) : c);
    const rows = table.rows.map((r, i) => [...r, ...cells[i].map(ours)]);
    return csvText([[...table.columns, ...header.map(ours)], ...rows], table.dialect);
  }
  const keys = header.map((h) => JSON.stringify(h));
  const lines = table.lines.map((line, i) => {
    const inner = line.slice(0, line.lastIndexOf('}')).trimEnd();
    const added = cells[i].map((c, k) => `${keys[k]}:${JSON.stringify(c)}`).join(',');
    return `${inner}${inner === '{' ? '' : ','}${added}}`;
  });
  return lines.join(table.eol) + table.eol;
}

/** Refuse an --out that would overwrite the table or change its format (checked before a run). */
export function checkWriteBackTarget(tableFile: string, out: string): void {
  if (resolve(out) === resolve(tableFile)) {
    throw new ClipscopeError('table', `--out ${out} is the input table itself`, 'Write the classified table to a new file; the input stays as it is.');
  }
  const inFormat = tableFormatOf(tableFile);
  const outFormat = tableFormatOf(out);
  if (outFormat !== inFormat) {
    const name = (f: TableFormat) => (f === 'csv' ? 'CSV' : 'JSON Lines');
    throw new ClipscopeError('table', `--out ${out} is ${name(outFormat)}, but the table ${basename(tableFile)} is ${name(inFormat)}`, `The table is written back in its own format: use an --out file ending in ${inFormat === 'csv' ? '.csv' : '.jsonl'}.`);
  }
}

/** The default --out for a table: "<name>.classified.<ext>" beside the current folder's files. */
export function defaultWriteBackPath(tableFile: string): string {
  const ext = extname(tableFile);
  return `${basename(tableFile, ext)}.classified${ext}`;
}

/** Join the run's classifications onto the table as it was read for the run (the file is read once;
 * classify() hands the parsed table out through its `table` effect) and write it to `out` atomically.
 * The caller checks `out` first (checkWriteBackTarget), before the run. */
export async function writeTableBack(table: PostsTable, out: string, result: RunResult, opts: WriteBackOptions): Promise<void> {
  await writeFileAtomic(out, writeBackText(table, result, opts));
}
