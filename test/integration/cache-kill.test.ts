// The embedding cache end to end, through the real CLI on models/synthetic-tiny:
// - a classify run SIGKILLed after some batches were committed resumes with only the remainder,
//   and its final results equal those of an uninterrupted run;
// - identical bytes under two names are embedded once, a renamed file is not embedded again, a file
//   changed under the same name (same size, other bytes) is.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../integrations/core/random.ts';
import { openStore, STORE_FILE, type EmbeddingStore } from '../../integrations/engine/store.ts';
import type { RunResult } from '../../integrations/core/types.ts';
import { pngWithHeader } from '../fixtures/png.ts';
import { NOBODY, permissionCheckImpossible, runningAsRoot } from '../unprivileged.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'clipscope.js');
const MODEL = path.join(ROOT, 'models', 'synthetic-tiny');
const IMAGES = 48;
/** An hour ago: files older than the store's "racy" window, so the path → hash memo is used. */
const PAST = new Date(Date.now() - 3_600_000);

let work: string;

/** An uncompressed RGB PNG (deflate level 0: the size depends only on width and height). */
function png(width: number, height: number, seed: string): Buffer {
  const random = createRandom(seed);
  const [r0, g0, b0] = [random() * 255, random() * 255, random() * 255];
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1); // filter byte 0 (None), then pixels
    for (let x = 0; x < width; x++) {
      const noise = random() * 60;
      raw[row + 1 + x * 3] = (r0 + (x * 255) / width + noise) % 256;
      raw[row + 2 + x * 3] = (g0 + (y * 255) / height + noise) % 256;
      raw[row + 3 + x * 3] = (b0 + noise) % 256;
    }
  }
  return pngWithHeader(width, height, 8, 2, zlib.deflateSync(raw, { level: 0 })); // 8-bit RGB
}

function writeImage(dir: string, name: string, seed: string): void {
  const file = path.join(dir, name);
  fs.writeFileSync(file, png(48, 40, seed));
  fs.utimesSync(file, PAST, PAST);
}

/** A fresh copy of the generated image folder. */
function imageFolder(name: string): string {
  const dir = path.join(work, name);
  fs.cpSync(path.join(work, 'images'), dir, { recursive: true, preserveTimestamps: true });
  return dir;
}

function classifyArgs(images: string, cache: string, out: string): string[] {
  return [
    CLI, 'classify',
    '--images', images,
    '--dictionary', path.join(work, 'dictionary.yaml'),
    '--model', MODEL,
    '--out', `${out}.csv`,
    '--json', `${out}.json`,
    '--cache', cache,
    // One image per call: each image's embedding does not depend on its batch companions, so the
    // resumed run can be compared with the uninterrupted one exactly.
    '--batch-size', '1',
    '--threads', '1',
  ];
}

function runCli(args: string[], user: { uid?: number; gid?: number } = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], ...user });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function classify(images: string, cache: string, out: string): Promise<RunResult> {
  const r = await runCli(classifyArgs(images, cache, out));
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(fs.readFileSync(`${out}.json`, 'utf8')) as RunResult;
}

/** The key of the one model a test cache holds. */
const MODEL_KEY_OF = (store: EmbeddingStore): string => {
  const models = store.stats().models;
  expect(models).toHaveLength(1);
  return models[0].modelKey;
};

function cachedImages(cache: string): number {
  const store = openStore({ dir: cache, readonly: true, log: () => {} });
  try {
    return store.stats().images;
  } finally {
    store.close();
  }
}

/** The part of a result that must not depend on the cache: everything per image. */
const classifications = (r: RunResult) => r.images;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'clipscope-cache-kill-'));
  const images = path.join(work, 'images');
  fs.mkdirSync(images);
  for (let i = 0; i < IMAGES; i++) writeImage(images, `img-${String(i).padStart(2, '0')}.png`, `image ${i}`);
  fs.writeFileSync(
    path.join(work, 'dictionary.yaml'),
    ['Warm:', '  - "a warm red photo"', '  - "an orange picture"', 'Cold:', '  - "a cold blue photo"', 'Green:', '  - "a green field"', ''].join('\n'),
  );
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('embedding cache through the CLI', () => {
  let reference: RunResult;

  it('an uninterrupted run embeds every image once', async () => {
    reference = await classify(path.join(work, 'images'), path.join(work, 'cache-reference'), path.join(work, 'reference'));
    expect(reference.stats).toMatchObject({ images: IMAGES, embedded: IMAGES, fromCache: 0, skipped: 0 });
  });

  it('a run killed after some batches resumes with only the remainder and ends with the same results', async () => {
    const cache = path.join(work, 'cache-killed');
    const child = spawn(process.execPath, classifyArgs(path.join(work, 'images'), cache, path.join(work, 'killed')), {
      cwd: work,
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    let ended = false;
    void exited.then(() => (ended = true));
    // Poll the store (as another process would) until some batches are committed, then kill.
    while (!ended && cachedImages(cache) < 6) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const committed = cachedImages(cache);
    expect(committed).toBeGreaterThanOrEqual(6);
    expect(committed).toBeLessThan(IMAGES);
    // A killed run leaves no results file behind (and never half of one).
    expect(fs.existsSync(path.join(work, 'killed.json'))).toBe(false);

    const resumed = await classify(path.join(work, 'images'), cache, path.join(work, 'resumed'));
    expect(resumed.stats).toMatchObject({ images: IMAGES, embedded: IMAGES - committed, fromCache: committed, skipped: 0 });
    expect(classifications(resumed)).toEqual(classifications(reference));
    expect(fs.readFileSync(path.join(work, 'resumed.csv'), 'utf8')).toBe(fs.readFileSync(path.join(work, 'reference.csv'), 'utf8'));
  });

  it('a NaN embedding in the cache is embedded again and its row replaced, not used', async () => {
    const cache = path.join(work, 'cache-nan');
    fs.cpSync(path.join(work, 'cache-reference'), cache, { recursive: true });
    const victim = reference.images.find((i) => i.path === 'img-05.png')!.sha256;
    const nan = new Uint8Array(new Float32Array(32).fill(Number.NaN).buffer);
    const raw = new DatabaseSync(path.join(cache, STORE_FILE));
    expect(Number(raw.prepare('UPDATE image_embeddings SET embedding = ? WHERE sha256 = ?').run(nan, victim).changes)).toBe(1);
    raw.close();

    const result = await classify(path.join(work, 'images'), cache, path.join(work, 'nan'));
    expect(result.stats).toMatchObject({ images: IMAGES, embedded: 1, fromCache: IMAGES - 1, skipped: 0 });
    expect(classifications(result)).toEqual(classifications(reference));
    const store = openStore({ dir: cache, readonly: true, log: () => {} });
    try {
      expect(store.getImageEmbeddings(MODEL_KEY_OF(store), [victim]).get(victim)?.every(Number.isFinite)).toBe(true);
    } finally {
      store.close();
    }
  });

  it.skipIf(permissionCheckImpossible(new URL('../../integrations/engine/store.ts', import.meta.url)))(
    'a read-only cache is read: its embeddings are used, new ones are not saved, and the run says so once (as user nobody when root)',
    async () => {
      const cache = path.join(work, 'cache-readonly');
      fs.cpSync(path.join(work, 'cache-reference'), cache, { recursive: true });
      const file = path.join(cache, STORE_FILE);
      const bytesBefore = fs.readFileSync(file);
      fs.chmodSync(file, 0o444);
      fs.chmodSync(cache, 0o555);
      const images = imageFolder('images-readonly');
      writeImage(images, 'new.png', 'not in the cache');
      const out = path.join(work, 'readonly-out');
      fs.mkdirSync(out);
      fs.chmodSync(out, 0o777);
      fs.chmodSync(work, 0o755);

      const r = await runCli(classifyArgs(images, cache, path.join(out, 'r')), runningAsRoot ? NOBODY : {});
      expect(r.code, r.stderr).toBe(0);
      const notes = r.stderr.split('\n').filter((l) => l.includes('newly embedded ones are not saved'));
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(/^the embedding cache .*cache-readonly\/embeddings\.sqlite cannot be written \(.*readonly.*\): embeddings found in it are used, newly embedded ones are not saved\.$/);
      const result = JSON.parse(fs.readFileSync(path.join(out, 'r.json'), 'utf8')) as RunResult;
      expect(result.stats).toMatchObject({ images: IMAGES + 1, embedded: 1, fromCache: IMAGES, skipped: 0 });
      expect(result.images.filter((i) => i.path !== 'new.png')).toEqual(classifications(reference));
      expect(fs.readFileSync(file).equals(bytesBefore)).toBe(true);
      expect(fs.readdirSync(cache).sort()).toEqual(['.gitignore', STORE_FILE]);
    },
  );

  it('embeds identical bytes once, reuses a renamed file and re-embeds a file changed under its name', async () => {
    const cache = path.join(work, 'cache-reference'); // holds all 48 images from the first test
    const images = imageFolder('images-edited');
    const before = new Map(reference.images.map((i) => [i.path, i.sha256]));

    fs.renameSync(path.join(images, 'img-01.png'), path.join(images, 'renamed.png'));
    writeImage(images, 'dup-a.png', 'duplicate');
    writeImage(images, 'dup-b.png', 'duplicate');
    const changed = path.join(images, 'img-02.png');
    const oldSize = fs.statSync(changed).size;
    writeImage(images, 'img-02.png', 'changed content');
    // Same size, other bytes, another mtime: only the mtime tells the memo the file changed.
    expect(fs.statSync(changed).size).toBe(oldSize);
    fs.utimesSync(changed, new Date(PAST.getTime() + 1000), new Date(PAST.getTime() + 1000));

    const result = await classify(images, cache, path.join(work, 'edited'));
    const sha = new Map(result.images.map((i) => [i.path, i.sha256]));
    // 47 old contents from the cache (img-01 under its new name among them); the changed file and
    // the duplicated content are embedded, the duplicate once for both names.
    expect(result.stats).toMatchObject({ images: IMAGES + 2, embedded: 2, fromCache: IMAGES - 1, skipped: 0 });
    expect(sha.get('renamed.png')).toBe(before.get('img-01.png'));
    expect(sha.get('dup-a.png')).toBe(sha.get('dup-b.png'));
    expect(sha.get('img-02.png')).not.toBe(before.get('img-02.png'));
    const byPath = new Map(result.images.map((i) => [i.path, i]));
    expect(byPath.get('dup-b.png')!.categories).toEqual(byPath.get('dup-a.png')!.categories);
    const old = reference.images.find((i) => i.path === 'img-01.png')!;
    expect(byPath.get('renamed.png')!.categories).toEqual(old.categories);
  });
});
