// The embedding store: round trips, persistence across opens, concurrent writers in two processes,
// broken files moved aside, damaged rows treated as missing, prune/clear/stats.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import { blobToEmbedding, defaultCacheDir, embeddingToBlob, openStore, STORE_FILE, type EmbeddingStore } from '../../integrations/engine/store.ts';
import { writerId } from '../fixtures/writer-embedding.ts';

const WRITER = fileURLToPath(new URL('../fixtures/store-writer.ts', import.meta.url));

let dir: string;
let logs: string[];
const open = (extra: { readonly?: boolean; busyTimeoutMs?: number } = {}) => openStore({ dir, log: (m) => logs.push(m), ...extra });
/** The values scaled to unit length, as the store keeps embeddings. */
const unit = (values: number[]) => {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
};
const vec = (...values: number[]) => unit(values);
/** A deterministic unit embedding of length `dim` whose values all derive from `seed`. */
const embedding = (seed: number, dim = 8) => unit(Array.from({ length: dim }, (_, i) => Math.sin(seed * 31 + i) / 3));
const dbFile = () => path.join(dir, STORE_FILE);
const asideFiles = () => fs.readdirSync(dir).filter((f) => f.includes('.corrupt-'));

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clipscope-store-'));
  logs = [];
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Fills a store with `n` image embeddings of model "m" (keys img-0 …) in batches of 32. */
function fill(store: EmbeddingStore, n: number, dim = 8): void {
  for (let start = 0; start < n; start += 32) {
    const items = [];
    for (let i = start; i < Math.min(n, start + 32); i++) items.push({ sha256: `img-${i}`, embedding: embedding(i, dim) });
    store.putImageEmbeddings('m', items);
  }
}

describe('blobs', () => {
  it('round-trips float32 exactly, from a view with an offset too', () => {
    const big = Float32Array.from([9, 0.1, -2.5e-8, 3.4e38, -0, 7]);
    const view = big.subarray(1, 5); // byteOffset 4
    const back = blobToEmbedding(embeddingToBlob(view), 4)!;
    expect(Array.from(back)).toEqual(Array.from(view));
    expect(Object.is(back[3], -0)).toBe(true);
  });

  it('reads an unaligned blob by copying it', () => {
    const bytes = new Uint8Array(1 + 8);
    bytes.set(embeddingToBlob(Float32Array.from([1.5, -2])), 1);
    expect(Array.from(blobToEmbedding(bytes.subarray(1), 2)!)).toEqual([1.5, -2]);
  });

  it('rejects a blob of the wrong length', () => {
    expect(blobToEmbedding(new Uint8Array(12), 4)).toBeNull();
    expect(blobToEmbedding(new Uint8Array(20), 4)).toBeNull();
    expect(blobToEmbedding(new Uint8Array(16), 4)).not.toBeNull();
  });
});

describe('defaultCacheDir', () => {
  it('uses CLIPSCOPE_CACHE_DIR, resolved against cwd, else <cwd>/.clipscope', () => {
    expect(defaultCacheDir('/p', {})).toBe(path.join('/p', '.clipscope'));
    expect(defaultCacheDir('/p', { CLIPSCOPE_CACHE_DIR: '' })).toBe(path.join('/p', '.clipscope'));
    expect(defaultCacheDir('/p', { CLIPSCOPE_CACHE_DIR: 'c' })).toBe(path.resolve('/p', 'c'));
    expect(defaultCacheDir('/p', { CLIPSCOPE_CACHE_DIR: '/abs/c' })).toBe(path.resolve('/abs/c'));
  });
});

describe('openStore', () => {
  it('round-trips image and text embeddings per model key', () => {
    const store = open();
    expect(store.location).toBe(dbFile());
    expect(logs).toEqual([]);
    store.putImageEmbeddings('m', [
      { sha256: 'a', embedding: vec(1, 2, 3) },
      { sha256: 'b', embedding: vec(-1, 0.5, 0.25) },
    ]);
    store.putTextEmbeddings('m', [{ text: 'a photo of a cat 🐈', embedding: vec(0.1, 0.2, 0.3) }]);
    store.putImageEmbeddings('other', [{ sha256: 'a', embedding: vec(7, 7) }]);

    const images = store.getImageEmbeddings('m', ['a', 'b', 'missing']);
    expect([...images.keys()].sort()).toEqual(['a', 'b']);
    expect(Array.from(images.get('b')!)).toEqual(Array.from(vec(-1, 0.5, 0.25)));
    expect(Array.from(store.getImageEmbeddings('other', ['a']).get('a')!)).toEqual(Array.from(vec(7, 7)));
    expect(store.getImageEmbeddings('unknown-model', ['a']).size).toBe(0);
    expect(store.getImageEmbeddings('m', []).size).toBe(0);

    const texts = store.getTextEmbeddings('m', ['a photo of a cat 🐈', 'a photo of a dog']);
    expect([...texts.keys()]).toEqual(['a photo of a cat 🐈']);
    expect(texts.get('a photo of a cat 🐈')![1]).toBe(vec(0.1, 0.2, 0.3)[1]);
    store.close();
    expect(logs).toEqual([]);
  });

  it('creates a missing cache directory that keeps itself out of git', () => {
    const store = openStore({ dir: path.join(dir, 'new', 'cache'), log: (m) => logs.push(m) });
    store.putImageEmbeddings('m', [{ sha256: 'a', embedding: vec(1) }]);
    store.close();
    expect(fs.readFileSync(path.join(dir, 'new', 'cache', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(fs.existsSync(path.join(dir, 'new', 'cache', STORE_FILE))).toBe(true);
  });

  it('a later put of the same key replaces the embedding', () => {
    const store = open();
    store.putImageEmbeddings('m', [{ sha256: 'a', embedding: vec(1, 2) }]);
    store.putImageEmbeddings('m', [{ sha256: 'a', embedding: vec(3, 4) }]);
    expect(Array.from(store.getImageEmbeddings('m', ['a']).get('a')!)).toEqual(Array.from(vec(3, 4)));
    store.close();
  });

  it('refuses an embedding whose length differs from the model’s', () => {
    const store = open();
    store.putImageEmbeddings('m', [{ sha256: 'a', embedding: vec(1, 2) }]);
    expect(() => store.putImageEmbeddings('m', [{ sha256: 'b', embedding: vec(1, 2, 3) }])).toThrow(/length 3/);
    // The failed batch left nothing behind.
    expect(store.getImageEmbeddings('m', ['a', 'b']).size).toBe(1);
    store.close();
  });

  it('a second open sees committed data, also while the first is still open', () => {
    const first = open();
    fill(first, 100);
    const second = open();
    expect(second.getImageEmbeddings('m', ['img-0', 'img-99']).size).toBe(2);
    first.close();
    second.close();
    const third = open({ readonly: true });
    const got = third.getImageEmbeddings('m', Array.from({ length: 100 }, (_, i) => `img-${i}`));
    expect(got.size).toBe(100);
    expect(Array.from(got.get('img-42')!)).toEqual(Array.from(embedding(42)));
    third.close();
  });

  it('a null dir is a store that caches nothing', () => {
    const store = openStore({ dir: null });
    expect(store.location).toBeNull();
    store.putImageEmbeddings('m', [{ sha256: 'a', embedding: vec(1) }]);
    expect(store.getImageEmbeddings('m', ['a']).size).toBe(0);
    expect(store.stats()).toMatchObject({ location: null, images: 0 });
  });

  it('readonly on a missing store creates nothing', () => {
    const store = open({ readonly: true });
    expect(store.location).toBeNull();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('file hash memo', () => {
  const old = Date.now() - 60_000;
  it('returns a hash only while size and mtime match', () => {
    const store = open();
    store.putFileHashes([
      { path: '/r/a.jpg', size: 10, mtimeMs: old, sha256: 'ha' },
      { path: '/r/b.jpg', size: 20, mtimeMs: old + 0.25, sha256: 'hb' },
      { path: '/r/c.jpg', size: 30, mtimeMs: old, sha256: 'hc' },
    ]);
    const memo = store.getFileHashes([
      { path: '/r/a.jpg', size: 10, mtimeMs: old }, // unchanged
      { path: '/r/b.jpg', size: 20, mtimeMs: old + 0.5 }, // touched
      { path: '/r/c.jpg', size: 31, mtimeMs: old }, // grew
      { path: '/r/d.jpg', size: 1, mtimeMs: old }, // never hashed
    ]);
    expect([...memo]).toEqual([['/r/a.jpg', 'ha']]);
    store.close();
  });

  it('looks up any number of files and embeddings (in chunks of 2,000 keys): all found, nothing extra', () => {
    const store = open();
    const n = 4500;
    const files = Array.from({ length: n }, (_, i) => ({ path: `/r/${i}.jpg`, size: i + 1, mtimeMs: old, sha256: `h${i}` }));
    store.putFileHashes(files);
    const asked = [...files.map(({ path, size, mtimeMs }) => ({ path, size, mtimeMs })), { path: '/r/none.jpg', size: 1, mtimeMs: old }];
    const memo = store.getFileHashes(asked);
    expect(memo.size).toBe(n);
    expect(memo.get('/r/0.jpg')).toBe('h0');
    expect(memo.get('/r/4499.jpg')).toBe('h4499');
    expect(memo.has('/r/none.jpg')).toBe(false);
    const items = Array.from({ length: n }, (_, i) => ({ sha256: `s${i}`, embedding: embedding(i) }));
    store.putImageEmbeddings('m', items);
    const found = store.getImageEmbeddings('m', [...items.map((i) => i.sha256), 'missing']);
    expect(found.size).toBe(n);
    expect([...found.get('s4321')!]).toEqual([...embedding(4321)]);
    // Copied into shared slabs of rows: every one its own values, whichever slab and place it has.
    for (const { sha256, embedding: e } of items) expect(found.get(sha256)).toEqual(e);
    const first = found.get('s0')!;
    first.fill(0);
    expect([...found.get('s1')!]).toEqual([...embedding(1)]);
    store.close();
  });

  it('does not trust a hash taken right after the file changed (coarse timestamps)', () => {
    const store = open();
    const now = Date.now();
    store.putFileHashes([{ path: '/r/new.jpg', size: 10, mtimeMs: now, sha256: 'h' }]);
    expect(store.getFileHashes([{ path: '/r/new.jpg', size: 10, mtimeMs: now }]).size).toBe(0);
    store.close();
  });
});

describe('broken stores', () => {
  it('moves a file of garbage bytes aside and starts a fresh store', () => {
    fs.writeFileSync(dbFile(), Buffer.alloc(64 * 1024, 0x5a));
    const store = open();
    expect(store.location).toBe(dbFile());
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/unreadable.*moved it aside/);
    expect(asideFiles()).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, asideFiles()[0]))).toEqual(Buffer.alloc(64 * 1024, 0x5a));
    store.putImageEmbeddings('m', [{ sha256: 'a', embedding: vec(1) }]);
    expect(store.getImageEmbeddings('m', ['a']).size).toBe(1);
    store.close();
  });

  it.each([0.5, 0.001])('moves a database truncated to %f of its size aside', (fraction) => {
    const before = open();
    fill(before, 300, 64);
    before.close();
    const size = fs.statSync(dbFile()).size;
    fs.truncateSync(dbFile(), Math.floor(size * fraction));
    const store = open();
    expect(logs.join('\n')).toMatch(/unreadable/);
    expect(asideFiles()).toHaveLength(1);
    // Nothing of the broken file comes back; the fresh store works.
    expect(store.getImageEmbeddings('m', ['img-0', 'img-299']).size).toBe(0);
    fill(store, 3, 64);
    expect(store.getImageEmbeddings('m', ['img-0', 'img-1', 'img-2']).size).toBe(3);
    store.close();
  });

  it('after a cut anywhere in the file, opening never throws and returns no wrong embedding', () => {
    const keys = Array.from({ length: 300 }, (_, i) => `img-${i}`);
    const before = open();
    fill(before, 300, 64);
    before.close();
    const intact = fs.readFileSync(dbFile());
    // Cuts inside the last pages can remove only unused space; those stores stay valid.
    for (const fraction of [0.99, 0.97, 0.9, 0.75, 0.3]) {
      fs.rmSync(dir, { recursive: true });
      fs.mkdirSync(dir);
      fs.writeFileSync(dbFile(), intact.subarray(0, Math.floor(intact.length * fraction)));
      logs = [];
      const store = open();
      const got = store.getImageEmbeddings('m', keys);
      if (logs.length > 0) expect(got.size).toBe(0);
      for (const [key, value] of got) expect(Array.from(value)).toEqual(Array.from(embedding(Number(key.slice(4)), 64)));
      store.close();
    }
  });

  it('moves a page overwritten with garbage aside', () => {
    const before = open();
    fill(before, 300);
    before.close();
    const fd = fs.openSync(dbFile(), 'r+');
    fs.writeSync(fd, Buffer.alloc(16_384, 0xff), 0, 16_384, 16_384 * 3);
    fs.closeSync(fd);
    const store = open();
    expect(logs.join('\n')).toMatch(/unreadable/);
    expect(asideFiles()).toHaveLength(1);
    store.close();
  });

  it('moves a SQLite database with a foreign schema aside', () => {
    const other = new DatabaseSync(dbFile());
    other.exec('CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (\'keep me\')');
    other.close();
    const store = open();
    expect(logs.join('\n')).toMatch(/not a clipscope cache/);
    expect(asideFiles()).toHaveLength(1);
    expect(store.stats().images).toBe(0);
    store.close();
  });

  it('leaves a store of a newer schema version alone and runs uncached', () => {
    open().close();
    const raw = new DatabaseSync(dbFile());
    raw.exec("UPDATE meta SET value = '99' WHERE key = 'version'");
    raw.close();
    const store = open();
    expect(store.location).toBeNull();
    expect(logs.join('\n')).toMatch(/newer clipscope/);
    expect(asideFiles()).toHaveLength(0);
  });

  it('treats a blob of the wrong length as missing, and a new put repairs it', () => {
    const store = open();
    fill(store, 3);
    const raw = new DatabaseSync(dbFile());
    raw.prepare("UPDATE image_embeddings SET embedding = ? WHERE sha256 = 'img-1'").run(new Uint8Array(8 * 4 - 2));
    raw.close();
    const got = store.getImageEmbeddings('m', ['img-0', 'img-1', 'img-2']);
    expect([...got.keys()].sort()).toEqual(['img-0', 'img-2']);
    expect(logs.join('\n')).toMatch(/ignored 1 damaged cache entry/);
    store.putImageEmbeddings('m', [{ sha256: 'img-1', embedding: embedding(1) }]);
    expect(Array.from(store.getImageEmbeddings('m', ['img-1']).get('img-1')!)).toEqual(Array.from(embedding(1)));
    store.close();
  });

  it.each([
    ['NaN', (v: Float32Array) => v.fill(Number.NaN)],
    ['one +Infinity', (v: Float32Array) => (v[3] = Number.POSITIVE_INFINITY)],
    ['all zeros', (v: Float32Array) => v.fill(0)],
    ['twice unit length', (v: Float32Array) => v.forEach((x, i) => {
      v[i] = 2 * x;
    })],
    ['norm 1 + 2e-4 (tolerance 1e-4)', (v: Float32Array) => v.forEach((x, i) => {
      v[i] = x * (1 + 2e-4);
    })],
  ])('treats a stored embedding with %s as missing, and a new put repairs it', (_, damage) => {
    const store = open();
    fill(store, 3);
    store.putTextEmbeddings('m', [{ text: 'a cat', embedding: embedding(7) }]);
    const bad = embedding(1);
    damage(bad);
    const raw = new DatabaseSync(dbFile());
    raw.prepare("UPDATE image_embeddings SET embedding = ? WHERE sha256 = 'img-1'").run(embeddingToBlob(bad));
    raw.prepare("UPDATE text_embeddings SET embedding = ? WHERE text = 'a cat'").run(embeddingToBlob(bad));
    raw.close();
    expect([...store.getImageEmbeddings('m', ['img-0', 'img-1', 'img-2']).keys()].sort()).toEqual(['img-0', 'img-2']);
    expect(store.getTextEmbeddings('m', ['a cat']).size).toBe(0);
    expect(logs.join('\n')).toMatch(/ignored 1 damaged cache entry .*\(1 not finite or not of unit length\); they will be embedded again/);
    store.putImageEmbeddings('m', [{ sha256: 'img-1', embedding: embedding(1) }]);
    expect(Array.from(store.getImageEmbeddings('m', ['img-1']).get('img-1')!)).toEqual(Array.from(embedding(1)));
    store.close();
  });

  it('keeps an embedding whose norm is off by float32 rounding (within the 1e-4 tolerance)', () => {
    const store = open();
    const v = embedding(5, 512).map((x) => x * (1 + 5e-5));
    store.putImageEmbeddings('m', [{ sha256: 'a', embedding: v }]);
    expect(store.getImageEmbeddings('m', ['a']).size).toBe(1);
    expect(logs).toEqual([]);
    store.close();
  });

  it('a store damaged while in use: reads give nothing, writes are skipped, no exception', () => {
    const before = open();
    fill(before, 2000, 512); // 4 MB, more than SQLite's page cache holds
    before.close();
    const store = open();
    expect(logs).toEqual([]);
    const fd = fs.openSync(dbFile(), 'r+');
    const size = fs.fstatSync(fd).size;
    for (let offset = 16_384 * 5; offset < size; offset += 16_384) fs.writeSync(fd, Buffer.alloc(16_384, 0xee), 0, 16_384, offset);
    fs.closeSync(fd);
    const got = store.getImageEmbeddings('m', Array.from({ length: 2000 }, (_, i) => `img-${i}`));
    expect(got.size).toBe(0);
    expect(logs.join('\n')).toMatch(/failed while reading image embeddings.*continuing without the cache/);
    expect(() => store.putImageEmbeddings('m', [{ sha256: 'x', embedding: embedding(1, 512) }])).not.toThrow();
    store.close();
    // The next open moves it aside.
    logs = [];
    open().close();
    expect(asideFiles()).toHaveLength(1);
  });

  it('an unusable cache directory means no cache, not a crash', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const store = openStore({ dir: path.join(file, 'cache'), log: (m) => logs.push(m) });
    expect(store.location).toBeNull();
    expect(logs.join('\n')).toMatch(/continuing without the cache/);
    expect(logs.join('\n')).toContain(`a file stands where a folder is expected in ${path.join(file, 'cache')}`);
    logs = [];
    expect(openStore({ dir: file, log: (m) => logs.push(m) }).location).toBeNull();
    expect(logs).toEqual([`cannot use the cache folder: ${file} is a file, not a folder; continuing without the cache.`]);
  });
});

describe('concurrency', () => {
  it('a writer blocked past busy_timeout gets a ClipscopeError that says what to do', () => {
    const store = open({ busyTimeoutMs: 50 });
    fill(store, 1);
    const holder = new DatabaseSync(dbFile());
    holder.exec('BEGIN IMMEDIATE');
    let error: unknown;
    try {
      store.putImageEmbeddings('m', [{ sha256: 'x', embedding: embedding(1) }]);
    } catch (e) {
      error = e;
    }
    // Readers are not blocked by a writer in WAL mode.
    expect(store.getImageEmbeddings('m', ['img-0']).size).toBe(1);
    holder.exec('ROLLBACK');
    holder.close();
    expect(isClipscopeError(error)).toBe(true);
    expect((error as Error).message).toMatch(/locked by another clipscope process/);
    expect((error as { hint?: string }).hint).toMatch(/--cache DIR.*--no-cache/);
    // Once the lock is gone the same store writes again.
    store.putImageEmbeddings('m', [{ sha256: 'x', embedding: embedding(1) }]);
    expect(store.getImageEmbeddings('m', ['x']).size).toBe(1);
    store.close();
  });

  it('two processes writing many batches at once never corrupt the store', async () => {
    const batches = 40;
    const run = (tag: number) =>
      new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--no-warnings', WRITER, dir, String(tag), String(batches)], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const results = await Promise.all([run(1), run(2)]);
    for (const r of results) {
      // Either done, or stopped with the clear message (never a crash, never another error).
      if (r.code !== 0) expect(r.stderr).toMatch(/locked by another clipscope process/);
      else expect(r.stderr).toBe('');
    }
    expect(results.some((r) => r.code === 0)).toBe(true);

    const store = open();
    expect(logs).toEqual([]); // opened cleanly: passes quick_check and the schema check
    results.forEach((r, index) => {
      const tag = index + 1;
      const keys = [];
      for (let b = 0; b < batches; b++) for (let i = 0; i < 32; i++) keys.push(`${tag}-${b}-${i}`);
      const got = store.getImageEmbeddings('model-A', keys);
      if (r.code === 0) expect(got.size).toBe(keys.length);
      for (const [key, value] of got) {
        const [, b, i] = key.split('-').map(Number);
        expect(writerId(value)).toBe(tag * 1_000_000 + b * 1_000 + i);
      }
    });
    const stats = store.stats();
    expect(stats.fileHashes).toBe(stats.images);
    store.close();
  });
});

describe('SIGKILL', () => {
  it('a writer killed mid-run keeps every committed batch, whole, and leaves a clean store', async () => {
    const batches = 100_000; // more than it can write before the kill
    const child = spawn(process.execPath, ['--no-warnings', WRITER, dir, '3', String(batches)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let committed = -1;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const done = out.match(/batch (\d+)\n/g);
        if (done && done.length > 20 && committed < 0) {
          committed = done.length; // batches reported committed before the kill
          child.kill('SIGKILL');
        }
      });
      child.on('error', reject);
      child.on('close', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer ended without the kill (${signal})`))));
    });

    const store = open();
    expect(logs).toEqual([]);
    const perBatch = new Map<number, number>();
    const keys = [];
    for (let b = 0; b < committed + 50; b++) for (let i = 0; i < 32; i++) keys.push(`3-${b}-${i}`);
    for (const [key, value] of store.getImageEmbeddings('model-A', keys)) {
      const [, b, i] = key.split('-').map(Number);
      expect(writerId(value)).toBe(3_000_000 + b * 1_000 + i);
      perBatch.set(b, (perBatch.get(b) ?? 0) + 1);
    }
    // Every batch reported before the kill is there; every batch is all or nothing.
    for (let b = 0; b < committed; b++) expect(perBatch.get(b)).toBe(32);
    for (const n of perBatch.values()) expect(n).toBe(32);
    store.close();
  });
});

describe('stats, prune, clear', () => {
  function populate(): EmbeddingStore {
    const store = open();
    store.recordModel('key-b32', { name: 'clip-b32', checksum: 'c1', dim: 8 });
    store.putImageEmbeddings('key-b32', ['s1', 's2', 's3'].map((sha256, i) => ({ sha256, embedding: embedding(i) })));
    store.putTextEmbeddings('key-b32', ['cat', 'dog'].map((text, i) => ({ text, embedding: embedding(10 + i) })));
    store.recordModel('key-tiny', { name: 'tiny', checksum: 'c2', dim: 4 });
    store.putImageEmbeddings('key-tiny', ['s1', 's4'].map((sha256, i) => ({ sha256, embedding: embedding(i, 4) })));
    store.putFileHashes([
      { path: '/r/1.jpg', size: 1, mtimeMs: 0, sha256: 's1' },
      { path: '/r/4.jpg', size: 1, mtimeMs: 0, sha256: 's4' },
    ]);
    return store;
  }

  it('stats counts entries per model, with names, and the file size', () => {
    const store = populate();
    const stats = store.stats();
    expect(stats).toMatchObject({ location: dbFile(), images: 5, texts: 2, fileHashes: 2 });
    expect(stats.bytes).toBeGreaterThan(0);
    expect(stats.models.map((m) => [m.name, m.modelKey, m.checksum, m.dim, m.images, m.texts])).toEqual([
      ['clip-b32', 'key-b32', 'c1', 8, 3, 2],
      ['tiny', 'key-tiny', 'c2', 4, 2, 0],
    ]);
    expect(Date.parse(stats.models[0].lastUsed!)).toBeGreaterThan(0);
    store.close();
  });

  it('prune drops images no longer present and models not kept', () => {
    const store = populate();
    const result = store.prune({ keepSha256: new Set(['s1', 's2']), keepModelKeys: new Set(['key-b32']) });
    // key-tiny: 2 images; then s3 of key-b32; file hash of s4.
    expect(result).toMatchObject({ images: 3, texts: 0, models: 1, fileHashes: 1 });
    const stats = store.stats();
    expect(stats.models.map((m) => [m.modelKey, m.images, m.texts])).toEqual([['key-b32', 2, 2]]);
    expect(store.getImageEmbeddings('key-b32', ['s1', 's2', 's3']).size).toBe(2);
    expect(store.getFileHashes([{ path: '/r/1.jpg', size: 1, mtimeMs: 0 }]).get('/r/1.jpg')).toBe('s1');
    expect(store.prune({})).toMatchObject({ images: 0, texts: 0, models: 0, fileHashes: 0 });
    store.close();
  });

  it('prune gives freed space back to the file system', () => {
    const store = open();
    fill(store, 600, 512);
    const result = store.prune({ keepSha256: new Set(['img-0']) });
    expect(result.images).toBe(599);
    expect(result.bytesAfter).toBeLessThan(result.bytesBefore / 4);
    store.close();
  });

  it('clear empties everything and the store stays usable', () => {
    const store = populate();
    store.clear();
    expect(store.stats()).toMatchObject({ images: 0, texts: 0, fileHashes: 0, models: [] });
    store.putImageEmbeddings('key-b32', [{ sha256: 's1', embedding: vec(1, 2) }]);
    expect(store.getImageEmbeddings('key-b32', ['s1']).size).toBe(1);
    store.close();
    // Another open sees the cleared, valid store.
    const again = open();
    expect(again.stats().images).toBe(1);
    expect(logs).toEqual([]);
    again.close();
  });
});
