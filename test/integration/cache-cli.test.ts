// `clipscope cache stats|prune|clear` through the real CLI, on a store filled directly (no model
// runs) except for the model key, which prune computes from models/synthetic-tiny like a run does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashImages } from '../../integrations/engine/hash.ts';
import { loadModel } from '../../integrations/engine/model/load.ts';
import { modelKeyOf } from '../../integrations/engine/run.ts';
import { openStore } from '../../integrations/engine/store.ts';
import { runClipscope } from '../fixtures/cli.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MODEL = path.join(ROOT, 'models', 'synthetic-tiny');

let work: string;

const cli = (args: string[], env: Record<string, string> = {}) => runClipscope(['cache', ...args], work, env);

/** A unit vector (what the store keeps) of length `dim` derived from `seed`. */
const vec = (seed: number, dim: number) => {
  const values = Array.from({ length: dim }, (_, i) => seed + i + 1);
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
};

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'clipscope-cache-cli-'));
});
afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('clipscope cache', () => {
  it('stats reports a missing cache without creating one, and honours CLIPSCOPE_CACHE_DIR', async () => {
    const r = await cli(['stats', '--json'], { CLIPSCOPE_CACHE_DIR: 'from-env' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ location: path.join(work, 'from-env', 'embeddings.sqlite'), exists: false, images: 0 });
    expect(fs.existsSync(path.join(work, 'from-env'))).toBe(false);
  });

  it('a file where the cache folder should be is named as the problem, with exit code 2', async () => {
    fs.writeFileSync(path.join(work, 'a-file'), 'not a folder');
    for (const args of [['stats'], ['stats', '--json'], ['prune', '--images', '.'], ['clear'], ['merge', 'shard-1']]) {
      const r = await cli(args, { CLIPSCOPE_CACHE_DIR: 'a-file' });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`The embedding cache folder CLIPSCOPE_CACHE_DIR=a-file cannot be used: ${path.join(work, 'a-file')} is a file, not a folder.`);
      expect(r.stdout).toBe('');
    }
    const flag = await cli(['stats', '--cache', 'a-file/inner']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(`The embedding cache folder --cache a-file/inner cannot be used: a file stands where a folder is expected in ${path.join(work, 'a-file', 'inner')}.`);
    expect(fs.readFileSync(path.join(work, 'a-file'), 'utf8')).toBe('not a folder');
  });

  it('stats, prune --images/--model and clear work on the --cache store', async () => {
    const images = path.join(work, 'photos');
    fs.mkdirSync(images);
    fs.writeFileSync(path.join(images, 'a.png'), 'bytes of a');
    fs.writeFileSync(path.join(images, 'b.png'), 'bytes of b');
    const present = (await hashImages([...['a.png', 'b.png'].map((p) => ({ path: p, absPath: path.join(images, p), size: 10, mtimeMs: 0 }))])).images.map((h) => h.sha256);

    const model = await loadModel(MODEL, { threads: 1, lazy: true });
    const tinyKey = modelKeyOf(model.info);
    await model.close();

    const store = openStore({ dir: path.join(work, 'c'), log: () => {} });
    store.recordModel(tinyKey, { name: 'synthetic-tiny', checksum: 'x', dim: 4 });
    store.putImageEmbeddings(tinyKey, [...present, 'gone-sha'].map((sha256, i) => ({ sha256, embedding: vec(i, 4) })));
    store.putTextEmbeddings(tinyKey, [{ text: 'a cat', embedding: vec(9, 4) }]);
    store.recordModel('old-model-key', { name: 'old-model', checksum: 'y', dim: 2 });
    store.putImageEmbeddings('old-model-key', [{ sha256: present[0], embedding: vec(1, 2) }]);
    store.close();

    const stats = await cli(['stats', '--cache', 'c']);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toContain(path.join(work, 'c', 'embeddings.sqlite'));
    expect(stats.stdout).toMatch(/4 image embeddings, 1 text embedding\b/);
    expect(stats.stdout).toMatch(/old-model\s+old-model-k\S*\s+2\s+1\s+0/);
    expect(stats.stdout).toMatch(/synthetic-tiny\s+\w{12}\s+4\s+3\s+1/);

    const pruned = await cli(['prune', '--cache', 'c', '--images', 'photos', '--model', MODEL, '--json']);
    expect(pruned.code, pruned.stderr).toBe(0);
    // old-model's one image and the image no longer under photos/.
    expect(JSON.parse(pruned.stdout)).toMatchObject({ pruned: { images: 2, texts: 0, models: 1 }, kept: { images: 2 } });
    const after = JSON.parse((await cli(['stats', '--cache', 'c', '--json'])).stdout);
    expect(after).toMatchObject({ exists: true, usable: true, images: 2, texts: 1 });
    expect(after.models.map((m: { name: string }) => m.name)).toEqual(['synthetic-tiny']);

    const refused = await cli(['prune', '--cache', 'c']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/neither --images nor --model/);

    const cleared = await cli(['clear', '--cache', 'c']);
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toMatch(/removed 2 image embeddings and 1 text embedding/);
    expect(JSON.parse((await cli(['stats', '--cache', 'c', '--json'])).stdout)).toMatchObject({ images: 0, texts: 0, models: [] });
  });
});
