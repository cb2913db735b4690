// The persistent embedding cache: one SQLite file (Node's built-in node:sqlite, no native build)
// holding L2-normalised image embeddings keyed by (model key, image sha256), text embeddings keyed
// by (model key, phrase) and a path → sha256 memo that saves re-hashing unchanged files.
//
// Durability and concurrency
// - WAL journal + synchronous=NORMAL. Every put* is one BEGIN IMMEDIATE … COMMIT transaction, so
//   a process killed at any moment (SIGKILL included) keeps every batch committed before: a commit
//   has reached the WAL through write() before it returns, and the OS keeps those pages even when
//   the process dies. SQLite never leaves a WAL database unreadable. NORMAL skips the fsync per
//   commit; the only thing it gives up is the last commits on a power cut, which costs a re-embed,
//   never a corrupt file — FULL would add an fsync to every batch for no gain in a cache.
// - Readers never block in WAL. Writers take the write lock at BEGIN (IMMEDIATE), so a second
//   writer waits up to busy_timeout; if it still cannot write it gets a ClipscopeError that names the
//   other run and what to do.
//
// Robustness: a store that is not a database, is truncated, fails PRAGMA quick_check or has a
// foreign or unknown schema is reported through `log`, renamed `*.corrupt-<time>` and replaced by a
// fresh one — never a crash. A blob whose length is not dim × 4 bytes,
// or that holds a value that is not finite (NaN, ±Infinity) or a vector that is not of unit length
// (|‖v‖ − 1| > UNIT_NORM_TOLERANCE), is treated as missing: the image or phrase is embedded again
// and the fresh embedding replaces the row. A damaged row can only cost a re-embed, never a wrong
// embedding.
//
// Blob format: float32, little-endian, no header. float16 was measured and rejected
// (5,000 random unit vectors of dim 512 against 20 random unit "phrases", logit scale 100):
//   max abs error per component 6.1e-5; 1 − cos(v, f16(v)) ≤ 3.0e-8; cosine error vs a phrase
//   ≤ 5.7e-5 (logit error ≤ 0.0057); softmax percentages off by up to 0.13 points; 12.7 % of the
//   2-decimal percentages the CSV prints change; the top-1 phrase flips for 2 of 5,000 images.
// float16 would halve 2 KiB per image (20 MB per 10,000 images at dim 512 — small anyway) but a
// cached run would no longer reproduce a fresh run bit for bit. float32 does.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClipscopeError } from './errors.ts';

/** File name of the database inside the cache directory. */
export const STORE_FILE = 'embeddings.sqlite';
const SCHEMA_NAME = 'clipscope.embeddings';
const SCHEMA_VERSION = 1;
const BYTES_PER_VALUE = 4;
/** How far from 1 the L2 norm of a stored embedding may be. Embeddings are normalised in float64 and
 * stored as float32, which leaves |‖v‖ − 1| below 1e-6 for any width up to 65,536 (float32's relative
 * precision, 6e-8, times a few); 1e-4 leaves room for that and for any export's rounding while still
 * refusing every vector a damaged row would hold (zeros, garbage bits, a half-written blob). */
const UNIT_NORM_TOLERANCE = 1e-4;
/** How long a writer waits for another process's write transaction before giving up. */
const DEFAULT_BUSY_TIMEOUT_MS = 15_000;
/** A file memo is trusted only when the file was last modified this long before it was hashed:
 * on a file system with coarse timestamps a change in the same tick would keep size and mtime. */
const RACY_MS = 2_000;
/** 16 KiB pages hold seven 2 KiB rows; SQLite's default 4 KiB page holds one, half empty. */
const PAGE_SIZE = 16_384;

interface ModelCacheStats {
  modelKey: string;
  /** Model folder name as recorded by recordModel; null when never recorded. */
  name: string | null;
  checksum: string | null;
  dim: number | null;
  images: number;
  texts: number;
  /** Last time a run recorded this model (ISO 8601), null when never recorded. */
  lastUsed: string | null;
}

export interface CacheStats {
  /** Database file, null when the cache is off or absent. */
  location: string | null;
  /** Bytes on disk (database + write-ahead log). */
  bytes: number;
  images: number;
  texts: number;
  fileHashes: number;
  models: ModelCacheStats[];
}

interface PruneResult {
  images: number;
  texts: number;
  models: number;
  fileHashes: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface EmbeddingStore {
  /** Database file, null when the cache is off. */
  readonly location: string | null;
  /** False when nothing is saved: the cache is off, or opened read-only (then put*, recordModel,
   * prune and clear do nothing). */
  readonly writable: boolean;
  getImageEmbeddings(modelKey: string, sha256s: readonly string[]): Map<string, Float32Array>;
  /** One transaction per call: call it once per embedded batch. */
  putImageEmbeddings(modelKey: string, items: readonly { sha256: string; embedding: Float32Array }[]): void;
  getTextEmbeddings(modelKey: string, texts: readonly string[]): Map<string, Float32Array>;
  putTextEmbeddings(modelKey: string, items: readonly { text: string; embedding: Float32Array }[]): void;
  /** path → sha256 for the entries whose size and mtime still match what was hashed. Pass
   * absolute paths (relative ones collide between image roots). */
  getFileHashes(entries: readonly { path: string; size: number; mtimeMs: number }[]): Map<string, string>;
  putFileHashes(entries: readonly { path: string; size: number; mtimeMs: number; sha256: string }[]): void;
  recordModel(modelKey: string, info: { name: string; checksum: string; dim: number }): void;
  stats(): CacheStats;
  prune(opts: { keepSha256?: Set<string>; keepModelKeys?: Set<string> }): PruneResult;
  clear(): void;
  /** Copies every usable entry of another store (opened read-only) into this one, in ONE
   * transaction: a crash or an error leaves this store as it was before the call. Entries already
   * here are kept (an embedding depends only on the model and the bytes); damaged ones in `source`
   * are not copied. Throws a ClipscopeError when this store cannot be written. */
  mergeFrom(source: EmbeddingStore): MergeResult;
  close(): void;
}

/** What one source brought into a store, per model. */
export interface MergeResult {
  models: {
    modelKey: string;
    name: string | null;
    dim: number;
    images: MergeCounts;
    texts: MergeCounts;
  }[];
  /** path → sha256 memos copied or refreshed (newer ones win). */
  fileHashes: number;
}

interface MergeCounts {
  /** New here. */
  added: number;
  /** Already here (kept). */
  present: number;
  /** Not copied: wrong length, not finite or not of unit length in the source. */
  damaged: number;
}

interface OpenStoreOptions {
  /** Cache directory; null turns the cache off (a store that remembers nothing). */
  dir: string | null;
  /** Where problems with the store are reported (default: stderr). */
  log?: (msg: string) => void;
  /** Open an existing store without creating, repairing or writing anything (cache stats). */
  readonly?: boolean;
  busyTimeoutMs?: number;
}

/** node:sqlite: built in and unflagged from Node 22.13 (package.json's engines asks for 22.18). */
function sqliteModule(): typeof import('node:sqlite') {
  return process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite');
}

/** The cache directory: CLIPSCOPE_CACHE_DIR if set, else <cwd>/.clipscope. */
export function defaultCacheDir(cwd: string, env: NodeJS.ProcessEnv): string {
  const fromEnv = env.CLIPSCOPE_CACHE_DIR?.trim();
  return fromEnv ? path.resolve(cwd, fromEnv) : path.join(cwd, '.clipscope');
}

/** What is wrong with `dir` as a cache folder when a file stands where a folder is expected (the
 * folder itself or one above it), else null (a folder, or nothing yet). */
function cacheDirProblem(dir: string): string | null {
  try {
    return fs.statSync(dir).isDirectory() ? null : `${dir} is a file, not a folder`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? `a file stands where a folder is expected in ${dir}` : null;
  }
}

/** Throws the ClipscopeError for a cache folder that is a file (`setting` says where it was set). */
export function checkCacheDir(dir: string, setting: string): void {
  const problem = cacheDirProblem(dir);
  if (problem) {
    throw new ClipscopeError('cache', `The embedding cache folder ${setting} cannot be used: ${problem}.`, 'Point it at a folder (it is created when missing), or move the file away.');
  }
}

export function openStore(opts: OpenStoreOptions): EmbeddingStore {
  const log = opts.log ?? ((msg: string) => process.stderr.write(`clipscope: ${msg}\n`));
  if (opts.dir === null) return new NoopStore();
  const sqlite = sqliteModule();
  const open = (file: string, readonly: boolean, busyTimeoutMs: number) => openDatabase(sqlite.DatabaseSync, file, readonly, busyTimeoutMs);
  const file = path.join(path.resolve(opts.dir), STORE_FILE);
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const readOnlyStore = () => new SqliteStore(openReadOnly(sqlite.DatabaseSync, file, busyTimeoutMs), file, busyTimeoutMs, log, false);

  if (opts.readonly) {
    if (!fs.existsSync(file)) return new NoopStore();
    try {
      return readOnlyStore();
    } catch (e) {
      if (isBusy(e)) throw lockedError(file, busyTimeoutMs, e);
      log(`the embedding cache ${file} cannot be read (${describe(e)}).`);
      return new NoopStore();
    }
  }

  const problem = cacheDirProblem(path.dirname(file));
  if (problem) {
    log(`cannot use the cache folder: ${problem}; continuing without the cache.`);
    return new NoopStore();
  }
  try {
    createCacheDir(path.dirname(file));
  } catch (e) {
    log(`cannot create the cache directory ${path.dirname(file)} (${describe(e)}); continuing without the cache.`);
    return new NoopStore();
  }
  // Two attempts: the second one after moving a broken file aside.
  for (let attempt = 0; ; attempt++) {
    const identity = fileIdentity(file);
    try {
      return new SqliteStore(open(file, false, busyTimeoutMs), file, busyTimeoutMs, log);
    } catch (e) {
      if (isBusy(e)) throw lockedError(file, busyTimeoutMs, e);
      if (e instanceof NewerSchema) {
        log(`${e.message}; continuing without the cache (use --cache DIR for a separate cache).`);
        return new NoopStore();
      }
      if (isReadOnlyFailure(e) && fs.existsSync(file)) {
        // A cache on a read-only disk or folder (a shared or archived one): still worth reading.
        try {
          const store = readOnlyStore();
          log(`the embedding cache ${file} cannot be written (${describe(e)}): embeddings found in it are used, newly embedded ones are not saved.`);
          return store;
        } catch (readError) {
          if (isBusy(readError)) throw lockedError(file, busyTimeoutMs, readError);
          // Not readable either: reported below.
        }
      }
      if (attempt === 0 && (isCorrupt(e) || e instanceof ForeignSchema)) {
        // Another process may have moved it aside (and started a fresh one) meanwhile: only move the
        // file we looked at.
        if (fileIdentity(file) === identity) {
          const moved = moveAside(file);
          log(`the embedding cache ${file} is unreadable (${describe(e)}); moved it aside to ${path.basename(moved)} and starting a fresh cache.`);
        }
        continue;
      }
      log(`the embedding cache ${file} cannot be used (${describe(e)}); continuing without the cache.`);
      return new NoopStore();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Opening and checking

class ForeignSchema extends Error {}
class NewerSchema extends Error {}

function createCacheDir(dir: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  // Keeps the cache out of version control wherever it lives (as .pytest_cache does).
  fs.writeFileSync(path.join(dir, '.gitignore'), '# clipscope embedding cache\n*\n');
}

/**
 * Opens an existing store for reading only. SQLite reads a WAL database only where it can create
 * the shared-memory file beside it; in a folder this process may not write it cannot, so the file is
 * then opened as immutable (no locks, no WAL): nobody can be writing it there either, and a commit
 * still in a leftover WAL file is just not seen (those images are embedded again).
 */
function openReadOnly(Database: typeof DatabaseSync, file: string, busyTimeoutMs: number): DatabaseSync {
  try {
    return openDatabase(Database, file, true, busyTimeoutMs);
  } catch (e) {
    if (!isReadOnlyFailure(e)) throw e;
    const url = pathToFileURL(file);
    url.searchParams.set('immutable', '1');
    return openDatabase(Database, url, true, busyTimeoutMs);
  }
}

function openDatabase(Database: typeof DatabaseSync, file: string | URL, readonly: boolean, busyTimeoutMs: number): DatabaseSync {
  const db = new Database(file, { readOnly: readonly });
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    if (!readonly) {
      db.exec(`PRAGMA page_size = ${PAGE_SIZE}`); // only takes effect on a new, empty file
      // Reads the header: throws SQLITE_NOTADB on a file that is not a database.
      const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
      if (mode.journal_mode.toLowerCase() !== 'wal') throw new Error(`journal mode stayed ${mode.journal_mode}`);
      db.exec('PRAGMA synchronous = NORMAL');
    }
    quickCheck(db);
    checkSchema(db, readonly);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function quickCheck(db: DatabaseSync): void {
  const rows = db.prepare('PRAGMA quick_check(5)').all() as { quick_check: string }[];
  if (rows.length !== 1 || rows[0].quick_check !== 'ok') {
    const err = new Error(`integrity check failed: ${rows.map((r) => r.quick_check).join('; ')}`);
    (err as Error & { errcode: number }).errcode = SQLITE_CORRUPT;
    throw err;
  }
}

const TABLES = ['meta', 'models', 'image_embeddings', 'text_embeddings', 'file_hashes'];

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS models (
  id INTEGER PRIMARY KEY,
  model_key TEXT NOT NULL UNIQUE,
  name TEXT, checksum TEXT,
  dim INTEGER NOT NULL,
  last_used_ms INTEGER
);
CREATE TABLE IF NOT EXISTS image_embeddings (
  model_id INTEGER NOT NULL, sha256 TEXT NOT NULL, embedding BLOB NOT NULL,
  PRIMARY KEY (model_id, sha256)
);
CREATE TABLE IF NOT EXISTS text_embeddings (
  model_id INTEGER NOT NULL, text TEXT NOT NULL, embedding BLOB NOT NULL,
  PRIMARY KEY (model_id, text)
);
CREATE TABLE IF NOT EXISTS file_hashes (
  path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ms REAL NOT NULL, sha256 TEXT NOT NULL,
  recorded_ms INTEGER NOT NULL
);
`;

function tableNames(db: DatabaseSync): Set<string> {
  const rows = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[];
  return new Set(rows.map((r) => r.name));
}

function checkSchema(db: DatabaseSync, readonly: boolean): void {
  let tables = tableNames(db);
  if (tables.size === 0 && !readonly) {
    // A new store. Created under the write lock so two runs starting together agree.
    transaction(db, () => {
      db.exec(SCHEMA_SQL);
      const put = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
      put.run('schema', SCHEMA_NAME);
      put.run('version', String(SCHEMA_VERSION));
      put.run('created', new Date().toISOString());
    });
    tables = tableNames(db);
  }
  if (!tables.has('meta')) throw new ForeignSchema('not a clipscope cache (no meta table)');
  const meta = new Map(
    (db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]),
  );
  if (meta.get('schema') !== SCHEMA_NAME) throw new ForeignSchema(`not a clipscope cache (schema ${JSON.stringify(meta.get('schema') ?? null)})`);
  const version = Number(meta.get('version'));
  if (version > SCHEMA_VERSION) {
    throw new NewerSchema(`the embedding cache was written by a newer clipscope (schema version ${version}, this one reads ${SCHEMA_VERSION})`);
  }
  if (version !== SCHEMA_VERSION) throw new ForeignSchema(`unknown schema version ${JSON.stringify(meta.get('version') ?? null)}`);
  const missing = TABLES.filter((t) => !tables.has(t));
  if (missing.length > 0) throw new ForeignSchema(`tables missing: ${missing.join(', ')}`);
}

/** Renames the database and its WAL/shm files to `<name>.corrupt-<time>`; returns the new name. */
function moveAside(file: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = `${file}.corrupt-${stamp}`;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      fs.renameSync(file + suffix, target + suffix);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return target;
}

function fileIdentity(file: string): string | null {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_READONLY = 8;
const SQLITE_PERM = 3;

function errcode(e: unknown): number {
  const code = (e as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code & 0xff : -1;
}

function isBusy(e: unknown): boolean {
  const c = errcode(e);
  return c === SQLITE_BUSY || c === SQLITE_LOCKED;
}

function isCorrupt(e: unknown): boolean {
  const c = errcode(e);
  return c === SQLITE_CORRUPT || c === SQLITE_NOTADB;
}

/** Errors of a store this process may read but not write (read-only file, folder or disk). */
function isReadOnlyFailure(e: unknown): boolean {
  const c = errcode(e);
  return c === SQLITE_READONLY || c === SQLITE_CANTOPEN || c === SQLITE_PERM;
}

/** Errors after which the store is unusable for this run but the run can go on uncached. */
function isStoreFailure(e: unknown): boolean {
  const c = errcode(e);
  return isCorrupt(e) || c === SQLITE_IOERR || c === SQLITE_FULL || c === SQLITE_CANTOPEN || c === SQLITE_READONLY || c === SQLITE_PERM;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function lockedError(file: string, busyTimeoutMs: number, cause: unknown): ClipscopeError {
  return new ClipscopeError(
    'cache',
    `The embedding cache ${file} is locked by another clipscope process (a classify run, an astro build or a cache command); waited ${Math.round(busyTimeoutMs / 1000)} s for it.`,
    'Wait for the other run to finish and retry, give this run its own cache with --cache DIR (or CLIPSCOPE_CACHE_DIR), or run it with --no-cache.',
    { cause },
  );
}

function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (e) {
    // SQLite rolls back by itself on some errors; roll back only what is still open.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Blobs: float32 little-endian. Views instead of copies where the platform and alignment allow.

const LITTLE_ENDIAN = os.endianness() === 'LE';

export function embeddingToBlob(embedding: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength);
  const out = new Uint8Array(embedding.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < embedding.length; i++) view.setFloat32(i * BYTES_PER_VALUE, embedding[i], true);
  return out;
}

/** Rows per slab of embeddings read from the store (see #get). */
const SLAB_ROWS = 1024;

/** The embedding in a blob, or null when the blob does not hold exactly `dim` values. */
export function blobToEmbedding(blob: Uint8Array, dim: number): Float32Array | null {
  if (!(blob instanceof Uint8Array) || dim <= 0 || blob.byteLength !== dim * BYTES_PER_VALUE) return null;
  if (LITTLE_ENDIAN) {
    // node:sqlite hands out a fresh buffer per value, so a view is safe when it is aligned.
    if (blob.byteOffset % BYTES_PER_VALUE === 0) return new Float32Array(blob.buffer, blob.byteOffset, dim);
    return new Float32Array(blob.slice().buffer);
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = view.getFloat32(i * BYTES_PER_VALUE, true);
  return out;
}

/** Whether an embedding can be used as stored: every value finite and the L2 norm within
 * UNIT_NORM_TOLERANCE of 1. */
function isUnitEmbedding(embedding: Float32Array): boolean {
  let sum = 0;
  for (let i = 0; i < embedding.length; i++) sum += embedding[i] * embedding[i];
  // A NaN or ±Infinity value makes the sum NaN or Infinity, which fails the comparison.
  return Math.abs(Math.sqrt(sum) - 1) <= UNIT_NORM_TOLERANCE;
}

// ---------------------------------------------------------------------------------------------
// The stores

function emptyStats(location: string | null): CacheStats {
  return { location, bytes: 0, images: 0, texts: 0, fileHashes: 0, models: [] };
}

/** The store when the cache is off or unusable: remembers nothing. */
class NoopStore implements EmbeddingStore {
  readonly location = null;
  readonly writable = false;
  getImageEmbeddings(): Map<string, Float32Array> {
    return new Map();
  }
  putImageEmbeddings(): void {}
  getTextEmbeddings(): Map<string, Float32Array> {
    return new Map();
  }
  putTextEmbeddings(): void {}
  getFileHashes(): Map<string, string> {
    return new Map();
  }
  putFileHashes(): void {}
  recordModel(): void {}
  stats(): CacheStats {
    return emptyStats(null);
  }
  prune(): PruneResult {
    return { images: 0, texts: 0, models: 0, fileHashes: 0, bytesBefore: 0, bytesAfter: 0 };
  }
  clear(): void {}
  mergeFrom(): MergeResult {
    return { models: [], fileHashes: 0 };
  }
  close(): void {}
}

interface ModelRow {
  id: number;
  dim: number;
}

class SqliteStore implements EmbeddingStore {
  readonly location: string;
  readonly writable: boolean;
  #db: DatabaseSync;
  #busyTimeoutMs: number;
  #log: (msg: string) => void;
  /** Set when the database failed mid-run: the rest of the run goes on uncached. */
  #failed = false;
  #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync, file: string, busyTimeoutMs: number, log: (msg: string) => void, writable = true) {
    this.#db = db;
    this.location = file;
    this.writable = writable;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#log = log;
  }

  /** Runs a database operation; a lock timeout becomes a ClipscopeError, a broken store turns the
   * cache off for the rest of the run (with a message) instead of failing it. */
  #guard<T>(what: string, fallback: T, fn: () => T): T {
    if (this.#failed) return fallback;
    try {
      return fn();
    } catch (e) {
      if (isBusy(e)) throw lockedError(this.location, this.#busyTimeoutMs, e);
      if (isStoreFailure(e)) {
        this.#failed = true;
        this.#log(`the embedding cache ${this.location} failed while ${what} (${describe(e)}); continuing without the cache.`);
        return fallback;
      }
      throw e;
    }
  }

  /** Prepared once per store and reused: preparing is most of the cost of a small query. */
  #sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #model(modelKey: string): ModelRow | undefined {
    return this.#sql('SELECT id, dim FROM models WHERE model_key = ?').get(modelKey) as ModelRow | undefined;
  }

  /** The model's row, created on first write; its dim fixes the length of every blob. */
  #ensureModel(modelKey: string, dim: number): ModelRow {
    this.#sql('INSERT INTO models (model_key, dim) VALUES (?, ?) ON CONFLICT (model_key) DO NOTHING').run(modelKey, dim);
    const row = this.#model(modelKey)!;
    if (row.dim !== dim) {
      throw new Error(`embedding of length ${dim} for model key ${modelKey}, whose embeddings have length ${row.dim}`);
    }
    return row;
  }

  #get(table: 'image_embeddings' | 'text_embeddings', column: 'sha256' | 'text', modelKey: string, keys: readonly string[]): Map<string, Float32Array> {
    const found = new Map<string, Float32Array>();
    if (keys.length === 0) return found;
    const model = this.#model(modelKey);
    if (!model) return found;
    // The keys travel as a JSON array, a chunk at a time, and rows are read one at a time: a lookup
    // of 100,000 images never holds every key, row and blob at once.
    const select = this.#sql(`SELECT ${column} AS k, embedding AS v FROM ${table} WHERE model_id = ? AND ${column} IN (SELECT value FROM json_each(?))`);
    let wrongLength = 0;
    let notUnit = 0;
    // Each embedding is copied into a slab of up to SLAB_ROWS rows: a view of its row's own blob kept
    // one small native buffer per image alive (100,000 at 100,000 images), scattered over glibc's heap.
    let slab = new Float32Array(0);
    let used = 0;
    let rows = 0;
    for (const row of chunkedRows(keys, (chunk) => select.iterate(model.id, JSON.stringify(chunk)) as Iterable<{ k: string; v: Uint8Array }>)) {
      rows++;
      const embedding = blobToEmbedding(row.v, model.dim);
      if (!embedding) wrongLength++;
      else if (!isUnitEmbedding(embedding)) notUnit++;
      else {
        if (used === slab.length) {
          slab = new Float32Array(Math.max(1, Math.min(SLAB_ROWS, keys.length - rows + 1)) * model.dim);
          used = 0;
        }
        const copy = slab.subarray(used, used + model.dim);
        copy.set(embedding);
        used += model.dim;
        found.set(row.k, copy);
      }
    }
    const wrong = wrongLength + notUnit;
    if (wrong > 0) {
      const why = [wrongLength > 0 ? `${wrongLength} of the wrong length` : '', notUnit > 0 ? `${notUnit} not finite or not of unit length` : ''].filter(Boolean).join(', ');
      this.#log(`ignored ${wrong} damaged cache entr${wrong === 1 ? 'y' : 'ies'} in ${this.location} (${why}); they will be embedded again.`);
    }
    return found;
  }

  #put(table: 'image_embeddings' | 'text_embeddings', column: 'sha256' | 'text', modelKey: string, items: readonly { key: string; embedding: Float32Array }[]): void {
    if (items.length === 0) return;
    transaction(this.#db, () => {
      const model = this.#ensureModel(modelKey, items[0].embedding.length);
      const insert = this.#sql(
        `INSERT INTO ${table} (model_id, ${column}, embedding) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET embedding = excluded.embedding`,
      );
      for (const item of items) {
        if (item.embedding.length !== model.dim) {
          throw new Error(`embedding of length ${item.embedding.length} for ${JSON.stringify(item.key)}, expected ${model.dim}`);
        }
        insert.run(model.id, item.key, embeddingToBlob(item.embedding));
      }
    });
  }

  getImageEmbeddings(modelKey: string, sha256s: readonly string[]): Map<string, Float32Array> {
    return this.#guard('reading image embeddings', new Map(), () => this.#get('image_embeddings', 'sha256', modelKey, sha256s));
  }

  putImageEmbeddings(modelKey: string, items: readonly { sha256: string; embedding: Float32Array }[]): void {
    if (!this.writable) return;
    this.#guard('writing image embeddings', undefined, () =>
      this.#put('image_embeddings', 'sha256', modelKey, items.map((i) => ({ key: i.sha256, embedding: i.embedding }))),
    );
  }

  getTextEmbeddings(modelKey: string, texts: readonly string[]): Map<string, Float32Array> {
    return this.#guard('reading text embeddings', new Map(), () => this.#get('text_embeddings', 'text', modelKey, texts));
  }

  putTextEmbeddings(modelKey: string, items: readonly { text: string; embedding: Float32Array }[]): void {
    if (!this.writable) return;
    this.#guard('writing text embeddings', undefined, () =>
      this.#put('text_embeddings', 'text', modelKey, items.map((i) => ({ key: i.text, embedding: i.embedding }))),
    );
  }

  getFileHashes(entries: readonly { path: string; size: number; mtimeMs: number }[]): Map<string, string> {
    return this.#guard('reading file hashes', new Map(), () => {
      const found = new Map<string, string>();
      if (entries.length === 0) return found;
      const select = this.#sql('SELECT path, size, mtime_ms, sha256, recorded_ms FROM file_hashes WHERE path IN (SELECT value FROM json_each(?))');
      const byPath = new Map(entries.map((e) => [e.path, e]));
      const rows = chunkedRows(entries, (chunk) => select.iterate(JSON.stringify(chunk.map((e) => e.path))) as Iterable<{ path: string; size: number; mtime_ms: number; sha256: string; recorded_ms: number }>);
      for (const row of rows) {
        const entry = byPath.get(row.path);
        if (entry && row.size === entry.size && row.mtime_ms === entry.mtimeMs && entry.mtimeMs < row.recorded_ms - RACY_MS) {
          found.set(entry.path, row.sha256);
        }
      }
      return found;
    });
  }

  putFileHashes(entries: readonly { path: string; size: number; mtimeMs: number; sha256: string }[]): void {
    if (entries.length === 0 || !this.writable) return;
    this.#guard('writing file hashes', undefined, () =>
      transaction(this.#db, () => {
        const now = Date.now();
        const insert = this.#sql(
          'INSERT INTO file_hashes (path, size, mtime_ms, sha256, recorded_ms) VALUES (?, ?, ?, ?, ?) ' +
            'ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256, recorded_ms = excluded.recorded_ms',
        );
        for (const e of entries) insert.run(e.path, e.size, e.mtimeMs, e.sha256, now);
      }),
    );
  }

  recordModel(modelKey: string, info: { name: string; checksum: string; dim: number }): void {
    if (!this.writable) return;
    this.#guard('recording the model', undefined, () =>
      transaction(this.#db, () => {
        const existing = this.#model(modelKey);
        if (existing && existing.dim !== info.dim) {
          // Cannot happen for a real model key; if it does, none of its entries can be right.
          this.#log(`the embedding cache held ${info.name} embeddings of length ${existing.dim}, the model gives ${info.dim}; dropped them.`);
          this.#sql('DELETE FROM image_embeddings WHERE model_id = ?').run(existing.id);
          this.#sql('DELETE FROM text_embeddings WHERE model_id = ?').run(existing.id);
        }
        this.#sql(
            'INSERT INTO models (model_key, name, checksum, dim, last_used_ms) VALUES (?, ?, ?, ?, ?) ' +
              'ON CONFLICT (model_key) DO UPDATE SET name = excluded.name, checksum = excluded.checksum, dim = excluded.dim, last_used_ms = excluded.last_used_ms',
          )
          .run(modelKey, info.name, info.checksum, info.dim, Date.now());
      }),
    );
  }

  #bytes(): number {
    let total = 0;
    for (const suffix of ['', '-wal']) {
      try {
        total += fs.statSync(this.location + suffix).size;
      } catch {
        // no WAL file right now
      }
    }
    return total;
  }

  stats(): CacheStats {
    return this.#guard('reading statistics', emptyStats(this.location), () => {
      const models = (
        this.#sql(
            `SELECT model_key, name, checksum, dim, last_used_ms,
               (SELECT count(*) FROM image_embeddings i WHERE i.model_id = m.id) AS images,
               (SELECT count(*) FROM text_embeddings t WHERE t.model_id = m.id) AS texts
             FROM models m ORDER BY name, model_key`,
          )
          .all() as { model_key: string; name: string | null; checksum: string | null; dim: number; last_used_ms: number | null; images: number; texts: number }[]
      ).map(
        (r): ModelCacheStats => ({
          modelKey: r.model_key,
          name: r.name,
          checksum: r.checksum,
          dim: r.dim,
          images: r.images,
          texts: r.texts,
          lastUsed: r.last_used_ms === null ? null : new Date(r.last_used_ms).toISOString(),
        }),
      );
      const count = (table: string) => (this.#sql(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      return {
        location: this.location,
        bytes: this.#bytes(),
        images: count('image_embeddings'),
        texts: count('text_embeddings'),
        fileHashes: count('file_hashes'),
        models,
      };
    });
  }

  prune(opts: { keepSha256?: Set<string>; keepModelKeys?: Set<string> }): PruneResult {
    const bytesBefore = this.#bytes();
    if (!this.writable) return { images: 0, texts: 0, models: 0, fileHashes: 0, bytesBefore, bytesAfter: bytesBefore };
    const result = this.#guard('pruning', { images: 0, texts: 0, models: 0, fileHashes: 0 }, () =>
      transaction(this.#db, () => {
        const removed = { images: 0, texts: 0, models: 0, fileHashes: 0 };
        const run = (sql: string, ...params: string[]) => Number(this.#sql(sql).run(...params).changes);
        if (opts.keepModelKeys) {
          const keep = JSON.stringify([...opts.keepModelKeys]);
          const gone = 'model_id IN (SELECT id FROM models WHERE model_key NOT IN (SELECT value FROM json_each(?)))';
          removed.images += run(`DELETE FROM image_embeddings WHERE ${gone}`, keep);
          removed.texts += run(`DELETE FROM text_embeddings WHERE ${gone}`, keep);
          removed.models += run('DELETE FROM models WHERE model_key NOT IN (SELECT value FROM json_each(?))', keep);
        }
        if (opts.keepSha256) {
          const keep = JSON.stringify([...opts.keepSha256]);
          removed.images += run('DELETE FROM image_embeddings WHERE sha256 NOT IN (SELECT value FROM json_each(?))', keep);
          removed.fileHashes += run('DELETE FROM file_hashes WHERE sha256 NOT IN (SELECT value FROM json_each(?))', keep);
        }
        return removed;
      }),
    );
    if (result.images + result.texts + result.models + result.fileHashes > 0) this.#compact();
    return { ...result, bytesBefore, bytesAfter: this.#bytes() };
  }

  clear(): void {
    if (!this.writable) return;
    this.#guard('clearing', undefined, () =>
      transaction(this.#db, () => {
        for (const table of ['image_embeddings', 'text_embeddings', 'file_hashes', 'models']) this.#db.exec(`DELETE FROM ${table}`);
      }),
    );
    this.#compact();
  }

  mergeFrom(source: EmbeddingStore): MergeResult {
    if (!(source instanceof SqliteStore)) return { models: [], fileHashes: 0 };
    if (!this.writable) {
      throw new ClipscopeError('cache', `The embedding cache ${this.location} is read-only here: nothing can be merged into it.`, 'Run the command as a user who may write the cache folder and file, or merge into another --cache folder.');
    }
    const src = source.#db;
    try {
      return transaction(this.#db, () => {
        const result: MergeResult = { models: [], fileHashes: 0 };
        const models = src.prepare('SELECT id, model_key, name, checksum, dim, last_used_ms FROM models ORDER BY model_key').all() as {
          id: number;
          model_key: string;
          name: string | null;
          checksum: string | null;
          dim: number;
          last_used_ms: number | null;
        }[];
        for (const m of models) {
          const existing = this.#model(m.model_key);
          if (existing && existing.dim !== m.dim) {
            throw new ClipscopeError(
              'cache',
              `Cannot merge ${source.location} into ${this.location}: model key ${m.model_key.slice(0, 12)} has embeddings of length ${m.dim} there and ${existing.dim} here`,
              'One of the two caches is damaged; run `clipscope cache prune --model DIR` on it, or re-embed that shard.',
            );
          }
          this.#sql(
            'INSERT INTO models (model_key, name, checksum, dim, last_used_ms) VALUES (?, ?, ?, ?, ?) ' +
              'ON CONFLICT (model_key) DO UPDATE SET name = coalesce(models.name, excluded.name), checksum = coalesce(models.checksum, excluded.checksum), ' +
              'last_used_ms = max(coalesce(models.last_used_ms, 0), coalesce(excluded.last_used_ms, 0))',
          ).run(m.model_key, m.name, m.checksum, m.dim, m.last_used_ms);
          const target = this.#model(m.model_key)!;
          const copy = (table: 'image_embeddings' | 'text_embeddings', column: 'sha256' | 'text'): MergeCounts => {
            const counts: MergeCounts = { added: 0, present: 0, damaged: 0 };
            const insert = this.#sql(`INSERT INTO ${table} (model_id, ${column}, embedding) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`);
            const rows = src.prepare(`SELECT ${column} AS k, embedding AS v FROM ${table} WHERE model_id = ? ORDER BY ${column}`);
            for (const row of rows.iterate(m.id) as Iterable<{ k: string; v: Uint8Array }>) {
              const embedding = blobToEmbedding(row.v, m.dim);
              if (!embedding || !isUnitEmbedding(embedding)) counts.damaged++;
              else if (Number(insert.run(target.id, row.k, row.v).changes) > 0) counts.added++;
              else counts.present++;
            }
            return counts;
          };
          const images = copy('image_embeddings', 'sha256');
          const texts = copy('text_embeddings', 'text');
          result.models.push({ modelKey: m.model_key, name: m.name, dim: m.dim, images, texts });
        }
        const memo = this.#sql(
          'INSERT INTO file_hashes (path, size, mtime_ms, sha256, recorded_ms) VALUES (?, ?, ?, ?, ?) ' +
            'ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256, recorded_ms = excluded.recorded_ms ' +
            'WHERE excluded.recorded_ms > file_hashes.recorded_ms',
        );
        const hashes = src.prepare('SELECT path, size, mtime_ms, sha256, recorded_ms FROM file_hashes ORDER BY path');
        for (const h of hashes.iterate() as Iterable<{ path: string; size: number; mtime_ms: number; sha256: string; recorded_ms: number }>) {
          result.fileHashes += Number(memo.run(h.path, h.size, h.mtime_ms, h.sha256, h.recorded_ms).changes);
        }
        return result;
      });
    } catch (e) {
      if (isBusy(e)) throw lockedError(this.location, this.#busyTimeoutMs, e);
      if (e instanceof ClipscopeError) throw e;
      throw new ClipscopeError(
        'cache',
        `Merging ${source.location} into ${this.location} failed (${describe(e)}); nothing of it was merged (the merge of each source is one transaction).`,
        'Check the free disk space and that both caches are readable, then run the merge again: sources merged before are kept, merging them again changes nothing.',
        { cause: e },
      );
    }
  }

  /** Gives freed pages back to the file system. Skipped (the space is reused later) when another
   * process is using the store. */
  #compact(): void {
    if (this.#failed) return;
    try {
      this.#db.exec('VACUUM');
      this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch (e) {
      this.#log(`could not compact the embedding cache (${describe(e)}); the freed space will be reused.`);
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** Keys per lookup statement (see chunkedRows). */
const LOOKUP_CHUNK = 2000;

/** The rows of `query` run over `keys` a chunk at a time, yielded one at a time. */
function* chunkedRows<K, R>(keys: readonly K[], query: (chunk: readonly K[]) => Iterable<R>): Generator<R> {
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) yield* query(keys.slice(i, i + LOOKUP_CHUNK));
}
