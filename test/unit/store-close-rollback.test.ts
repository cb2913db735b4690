// Closing and rolling back the embedding store: close() really closes the database (SQLite folds the
// write-ahead log in when the last connection closes) and may be called twice; a batch that fails
// inside its transaction is rolled back as a whole and the next write works.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, STORE_FILE } from '../../integrations/engine/store.ts';

let dir: string;
let logs: string[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clipscope-store-close-'));
  logs = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A unit vector (the store keeps only those) of length `dim` derived from `seed`. */
const vector = (dim: number, seed: number) => {
  const values = Array.from({ length: dim }, (_, i) => Math.sin(seed + i));
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
};

describe('store close and rollback', () => {
  it('close() really closes the database (its write-ahead log is folded in), and twice is harmless', () => {
    const store = openStore({ dir, log: (m) => logs.push(m) });
    store.putImageEmbeddings('m', [{ sha256: 'a', embedding: vector(4, 1) }]);
    expect(fs.existsSync(path.join(dir, `${STORE_FILE}-wal`))).toBe(true);
    store.close();
    expect(fs.existsSync(path.join(dir, `${STORE_FILE}-wal`))).toBe(false);
    expect(() => store.close()).not.toThrow();
    const again = openStore({ dir, log: (m) => logs.push(m) });
    expect([...again.getImageEmbeddings('m', ['a']).get('a')!]).toEqual([...vector(4, 1)]);
    again.close();
    expect(logs).toEqual([]);
  });

  it('a failed write is rolled back as a whole and the next write works', () => {
    const store = openStore({ dir, log: (m) => logs.push(m) });
    store.putImageEmbeddings('m', [{ sha256: 'a', embedding: vector(4, 1) }]);
    // The second item has the wrong length: the batch fails inside its transaction, as a whole.
    expect(() =>
      store.putImageEmbeddings('m', [
        { sha256: 'b', embedding: vector(4, 2) },
        { sha256: 'c', embedding: vector(5, 3) },
      ]),
    ).toThrow(/length 5/);
    store.putImageEmbeddings('m', [{ sha256: 'd', embedding: vector(4, 4) }]);
    expect([...store.getImageEmbeddings('m', ['a', 'b', 'c', 'd']).keys()].sort()).toEqual(['a', 'd']);
    store.close();
  });
});
