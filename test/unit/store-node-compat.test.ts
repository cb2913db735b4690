// The embedding store on the oldest Node.js that package.json's engines accepts (22.12):
// - node:sqlite may be missing (22.12 offers it only behind --experimental-sqlite): the run goes on
//   uncached with a message instead of failing to start;
// - DatabaseSync has no isOpen (before 22.15) and no isTransaction (before 22.16): the store must
//   still close its database and roll back a failed transaction.
// The older DatabaseSync is simulated with a proxy that hides those two getters.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, STORE_FILE } from '../../integrations/engine/store.ts';

type Sqlite = typeof import('node:sqlite');
/** This Node's node:sqlite (missing on 22.12 without --experimental-sqlite: nothing to simulate). */
const sqlite = process.getBuiltinModule('node:sqlite') as Sqlite | undefined;

/** node:sqlite as Node 22.12–22.14 has it: DatabaseSync without isOpen and isTransaction. */
const nodeWithoutGetters = {
  DatabaseSync: function OldDatabaseSync(...args: ConstructorParameters<Sqlite['DatabaseSync']>) {
    const db = new sqlite!.DatabaseSync(...args);
    return new Proxy(db, {
      get(target, key) {
        if (key === 'isOpen' || key === 'isTransaction') return undefined;
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  },
} as unknown as Sqlite;

let dir: string;
let logs: string[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clipscope-store-compat-'));
  logs = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A unit vector (the store keeps only those) of length `dim` derived from `seed`. */
const vector = (dim: number, seed: number) => {
  const values = Array.from({ length: dim }, (_, i) => Math.sin(seed + i));
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
};

describe('store on older Node.js', () => {
  it('without node:sqlite: no cache, a message that says why, and no exception', () => {
    const store = openStore({ dir, log: (m) => logs.push(m) }, null);
    expect(store.location).toBeNull();
    store.putImageEmbeddings('m', [{ sha256: 'a', embedding: vector(4, 1) }]);
    expect(store.getImageEmbeddings('m', ['a']).size).toBe(0);
    expect(logs.join('\n')).toMatch(/node:sqlite.*22\.13.*--experimental-sqlite.*without the embedding cache/);
    expect(fs.existsSync(path.join(dir, STORE_FILE))).toBe(false);
    store.close();
  });

  it.skipIf(!sqlite)('without DatabaseSync.isOpen: close() really closes the database (its write-ahead log is folded in)', () => {
    const store = openStore({ dir, log: (m) => logs.push(m) }, nodeWithoutGetters);
    store.putImageEmbeddings('m', [{ sha256: 'a', embedding: vector(4, 1) }]);
    expect(fs.existsSync(path.join(dir, `${STORE_FILE}-wal`))).toBe(true);
    store.close();
    // SQLite checkpoints and deletes the WAL when the last connection closes.
    expect(fs.existsSync(path.join(dir, `${STORE_FILE}-wal`))).toBe(false);
    expect(() => store.close()).not.toThrow();
    const again = openStore({ dir, log: (m) => logs.push(m) });
    expect([...again.getImageEmbeddings('m', ['a']).get('a')!]).toEqual([...vector(4, 1)]);
    again.close();
    expect(logs).toEqual([]);
  });

  it.skipIf(!sqlite)('without DatabaseSync.isTransaction: a failed write is rolled back and the next write works', () => {
    const store = openStore({ dir, log: (m) => logs.push(m) }, nodeWithoutGetters);
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
