// publishAssets (prepare.ts): the cache's files reach dist/ as hard links where they share a file
// system, as copies where they do not; bytes from memory are written; the first failure stops it.
// And thumbnailProgress: the progress lines of a long thumbnail step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishAssets, thumbnailProgress } from '../../integrations/clipscope/prepare.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clipscope-publish-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cacheFiles(root: string, n: number): Promise<Map<string, { file: string; type: string }>> {
  const assets = new Map<string, { file: string; type: string }>();
  for (let i = 0; i < n; i++) {
    const file = join(root, `thumb-${i}.webp`);
    await writeFile(file, `bytes of ${i}`, { mode: 0o444 });
    assets.set(`_clipscope/thumbs/thumb-${i}.webp`, { file, type: 'image/webp' });
  }
  return assets;
}

describe('publishAssets', () => {
  it('links the cached files on one file system and writes the in-memory ones', async () => {
    const assets: Map<string, { file: string; type: string } | { data: string; type: string }> = await cacheFiles(dir, 20);
    assets.set('downloads/results.json', { data: '{"a":1}', type: 'application/json' });
    const out = join(dir, 'dist');
    const count = await publishAssets(assets, out);
    expect(count).toEqual({ linked: 20, copied: 0, written: 1 });
    const published = await stat(join(out, '_clipscope', 'thumbs', 'thumb-7.webp'));
    expect(published.ino).toBe((await stat(join(dir, 'thumb-7.webp'))).ino);
    expect(await readFile(join(out, '_clipscope', 'thumbs', 'thumb-7.webp'), 'utf8')).toBe('bytes of 7');
    expect(await readFile(join(out, 'downloads', 'results.json'), 'utf8')).toBe('{"a":1}');
    // No temporary file is left anywhere.
    expect((await readdir(join(out, '_clipscope', 'thumbs'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  // /dev/shm is a tmpfs: another file system than the temporary folder on most Linux machines.
  const otherFs = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev;
  it.skipIf(!otherFs)('copies when dist/ is on another file system than the cache', async () => {
    const shm = await mkdtemp('/dev/shm/clipscope-publish-');
    try {
      const assets = await cacheFiles(dir, 5);
      const out = join(shm, 'dist');
      const count = await publishAssets(assets, out);
      expect(count).toEqual({ linked: 0, copied: 5, written: 0 });
      expect(await readFile(join(out, '_clipscope', 'thumbs', 'thumb-3.webp'), 'utf8')).toBe('bytes of 3');
      expect((await stat(join(out, '_clipscope', 'thumbs', 'thumb-3.webp'))).nlink).toBe(1);
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  });

  it('rejects with the error of a missing cache file and leaves no temporary file', async () => {
    const assets = await cacheFiles(dir, 3);
    assets.set('_clipscope/thumbs/gone.webp', { file: join(dir, 'gone.webp'), type: 'image/webp' });
    const out = join(dir, 'dist-missing');
    await expect(publishAssets(assets, out)).rejects.toMatchObject({
      kind: 'io',
      message: `Cannot publish _clipscope/thumbs/gone.webp: its file ${join(dir, 'gone.webp')} is gone.`,
    });
    expect((await readdir(join(out, '_clipscope', 'thumbs'))).filter((f) => f.startsWith('.') || f.includes('gone'))).toEqual([]);
  });
});

describe('thumbnailProgress', () => {
  it('logs at most every 5 s, with counts and an ETA from the rate so far, and nothing at the end', () => {
    let t = 0;
    const lines: string[] = [];
    const progress = thumbnailProgress((m) => lines.push(m), () => t);
    t = 1000;
    progress({ done: 100, total: 20000, made: 100, reused: 0 });
    expect(lines).toEqual([]);
    t = 5000;
    progress({ done: 1000, total: 20000, made: 400, reused: 600 });
    // 1,000 in 5 s → 200/s → 19,000 left in 95 s.
    expect(lines).toEqual(['Thumbnails: 1,000/20,000 (400 made, 600 reused from the cache) · ETA 1 min 35 s']);
    t = 9000;
    progress({ done: 2000, total: 20000, made: 400, reused: 1600 });
    expect(lines).toHaveLength(1);
    t = 60000;
    progress({ done: 20000, total: 20000, made: 400, reused: 19600 });
    expect(lines).toHaveLength(1);
  });
});
