// Merging shard caches (store.ts mergeFrom, engine/cache-merge.ts): counts per source, entries
// already there kept, damaged ones not copied, idempotent, all-or-nothing per source (an error or a
// SIGKILL in the middle leaves the destination as it was), and mismatched models refused before
// anything is written.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mergeCaches } from '../../integrations/engine/cache-merge.ts';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import { openStore, STORE_FILE } from '../../integrations/engine/store.ts';

let work: string;
const dir = (name: string) => path.join(work, name);
const silent = () => {};

/** A unit vector of length `dim` derived from `seed`. */
const vec = (seed: number, dim = 4) => {
  const values = Array.from({ length: dim }, (_, i) => seed + i + 1);
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
};

function fill(name: string, modelKey: string, shas: string[], opts: { dim?: number; texts?: string[]; name?: string } = {}): void {
  const store = openStore({ dir: dir(name), log: silent });
  store.recordModel(modelKey, { name: opts.name ?? 'tiny', checksum: 'c', dim: opts.dim ?? 4 });
  store.putImageEmbeddings(modelKey, shas.map((sha256, i) => ({ sha256, embedding: vec(i, opts.dim) })));
  if (opts.texts) store.putTextEmbeddings(modelKey, opts.texts.map((text, i) => ({ text, embedding: vec(100 + i, opts.dim) })));
  store.putFileHashes(shas.map((sha256) => ({ path: `/data/${name}/${sha256}.jpg`, size: 1, mtimeMs: 0, sha256 })));
  store.close();
}

function stats(name: string) {
  const store = openStore({ dir: dir(name), log: silent, readonly: true });
  try {
    return store.stats();
  } finally {
    store.close();
  }
}

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'clipscope-merge-'));
});
afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('mergeCaches', () => {
  it('counts what each source brought, keeps what is there, and is idempotent', () => {
    fill('s0', 'key-tiny', ['a', 'b'], { texts: ['a cat'] });
    fill('s1', 'key-tiny', ['c', 'd', 'e'], { texts: ['a cat'] });
    fill('dest', 'key-tiny', ['a']);
    const logs: string[] = [];
    const report = mergeCaches({ dest: dir('dest'), sources: [dir('s0'), dir('s1')], log: (m) => logs.push(m) });
    expect(report.location).toBe(path.join(dir('dest'), STORE_FILE));
    expect(report.sources.map((s) => s.models.map((m) => ({ images: m.images, texts: m.texts })))).toEqual([
      [{ images: { added: 1, present: 1, damaged: 0 }, texts: { added: 1, present: 0, damaged: 0 } }],
      [{ images: { added: 3, present: 0, damaged: 0 }, texts: { added: 0, present: 1, damaged: 0 } }],
    ]);
    expect(report.sources.map((s) => s.fileHashes)).toEqual([2, 3]);
    expect(logs[0]).toBe(`${dir('s0')}: 1 new image embedding (1 already there) and 1 new text embedding (0 already there) of tiny.`);
    expect(stats('dest')).toMatchObject({ images: 5, texts: 1, fileHashes: 6 });

    const again = mergeCaches({ dest: dir('dest'), sources: [dir('s0'), dir('s1')], log: silent });
    expect(again.sources.flatMap((s) => s.models.map((m) => m.images.added + m.texts.added))).toEqual([0, 0]);
    expect(again.sources.map((s) => s.fileHashes)).toEqual([0, 0]); // same memos: nothing newer
    expect(stats('dest')).toMatchObject({ images: 5, texts: 1, fileHashes: 6 });
  });

  it('copies the embeddings bit for bit and leaves damaged ones behind', () => {
    fill('s0', 'key-tiny', ['a', 'b', 'c']);
    const raw = new DatabaseSync(path.join(dir('s0'), STORE_FILE));
    raw.prepare("UPDATE image_embeddings SET embedding = ? WHERE sha256 = 'b'").run(new Uint8Array(4 * 4)); // zeros: not unit length
    raw.prepare("UPDATE image_embeddings SET embedding = ? WHERE sha256 = 'c'").run(new Uint8Array(3)); // wrong length
    raw.close();
    const report = mergeCaches({ dest: dir('dest'), sources: [dir('s0')], log: silent });
    expect(report.sources[0].models[0].images).toEqual({ added: 1, present: 0, damaged: 2 });
    const dest = openStore({ dir: dir('dest'), log: silent, readonly: true });
    expect([...dest.getImageEmbeddings('key-tiny', ['a', 'b', 'c']).entries()]).toEqual([['a', vec(0)]]);
    dest.close();
  });

  it('refuses sources of different models before writing anything, naming each', () => {
    fill('s0', 'key-tiny-000000', ['a'], { name: 'synthetic-tiny' });
    fill('s1', 'key-other-00000', ['b'], { name: 'clip-vit-base-patch32' });
    fill('s2', 'key-tiny-000000', [], { name: 'synthetic-tiny' }); // an empty shard does not count
    let error: unknown;
    try {
      mergeCaches({ dest: dir('dest'), sources: [dir('s0'), dir('s1'), dir('s2')], log: silent });
    } catch (e) {
      error = e;
    }
    expect(isClipscopeError(error)).toBe(true);
    expect((error as Error).message).toContain('The caches hold image embeddings of different models');
    expect((error as Error).message).toContain(`${dir('s0')}: synthetic-tiny (key key-tiny-000)`);
    expect((error as Error).message).toContain(`${dir('s1')}: clip-vit-base-patch32 (key key-other-00)`);
    expect(fs.existsSync(dir('dest'))).toBe(false);
  });

  it('rolls a failing source back whole: rows copied before the failure are not kept', () => {
    fill('dest', 'key-k', ['x']);
    // The source's first model (key-a, sorted first) copies fine; its second, key-k, has another
    // width than in dest — the merge fails after key-a's rows were inserted.
    fill('s0', 'key-a', ['a1', 'a2']);
    const store = openStore({ dir: dir('s0'), log: silent });
    store.recordModel('key-k', { name: 'tiny', checksum: 'c', dim: 8 });
    store.putImageEmbeddings('key-k', [{ sha256: 'k1', embedding: vec(1, 8) }]);
    store.close();
    const before = stats('dest');
    expect(() => mergeCaches({ dest: dir('dest'), sources: [dir('s0')], log: silent })).toThrow(/model key key-k has embeddings of length 8 there and 4 here/);
    expect(stats('dest')).toEqual({ ...before, bytes: expect.any(Number), models: before.models });
  });

  it('a merge killed at any moment leaves the destination readable with all or nothing of the source', async () => {
    const n = 20_000;
    const store = openStore({ dir: dir('big'), log: silent });
    store.recordModel('key-tiny', { name: 'tiny', checksum: 'c', dim: 4 });
    store.putImageEmbeddings('key-tiny', Array.from({ length: n }, (_, i) => ({ sha256: `img-${i}`, embedding: vec(i) })));
    store.close();
    fill('dest', 'key-tiny', ['before']);
    const child = spawn(process.execPath, [path.join(import.meta.dirname, '../fixtures/merge-child.ts'), dir('dest'), dir('big')], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const after = stats('dest');
    expect(after.location).not.toBeNull(); // opened and passed the integrity check
    expect([1, n + 1]).toContain(after.images);
  });
});
