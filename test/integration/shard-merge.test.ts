// Sharded runs end to end, through the real CLI: three `embed --shard K/3` runs fill three caches,
// `cache merge` joins them, and `classify` on the merged cache embeds nothing and writes the same
// CSV, byte for byte, as an unsharded run. Also: bad --shard values and mismatched models (exit 2),
// and an idempotent second merge.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClipscope } from '../fixtures/cli.ts';
import { readRfc4180Records } from '../fixtures/rfc4180.ts';

const ROOT = join(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'models/synthetic-tiny');
const OTHER_MODEL = join(ROOT, 'models/demo-colors');

let tmp: string;
let images: string;
let dictionary: string;

/** The command, run in this test's working folder. */
const clipscope = (args: string[]) => runClipscope(args, tmp);

const classifyArgs = () => ['classify', '--images', images, '--dictionary', dictionary, '--model', MODEL, '--threads', '1'];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-shard-'));
  images = join(tmp, 'images');
  await mkdir(join(images, 'copies'), { recursive: true });
  await cp(join(ROOT, 'content/images'), images, { recursive: true, filter: (src) => !src.endsWith('.md') });
  // The same bytes under another name (one part embeds both), and a file no part can read.
  await cp(join(ROOT, 'content/images/horse.png'), join(images, 'copies/horse-again.png'));
  await writeFile(join(images, 'truncated.png'), (await readFile(join(ROOT, 'content/images/coins.png'))).subarray(0, 200));
  dictionary = join(tmp, 'dictionary.yaml');
  await writeFile(dictionary, '"Animals":\n  - "a horse"\n  - "a cat"\n"Things":\n  - "coins"\n  - "a rocket"\n"Faces":\n  - "a portrait"\n');
}, 60_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('sharded embedding, cache merge and classify', () => {
  const embeddedPerShard: number[] = [];

  it('three shards embed disjoint parts that add up to every distinct image', async () => {
    for (const k of [0, 1, 2]) {
      const r = await clipscope(['embed', '--images', images, '--model', MODEL, '--shard', `${k}/3`, '--cache', `shard-${k}`, '--threads', '1']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`shard ${k}/3: \\d+ of 16 images`));
      const m = /: (\d+) embedded, 0 from the cache/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      embeddedPerShard.push(Number(m![1]));
    }
    // 16 files, two of them the same bytes and one truncated: 14 distinct readable contents, each
    // embedded by exactly one part.
    expect(embeddedPerShard.reduce((a, b) => a + b, 0)).toBe(14);
    expect(embeddedPerShard.every((n) => n > 0)).toBe(true);
  });

  it('cache merge says what each shard brought, and a second merge brings nothing', async () => {
    const r = await clipscope(['cache', 'merge', '--cache', 'merged', 'shard-0', 'shard-1', 'shard-2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.sources.map((s: { source: string }) => s.source)).toEqual(['shard-0', 'shard-1', 'shard-2']);
    expect(report.sources.map((s: { models: { images: { added: number } }[] }) => s.models[0].images.added)).toEqual(embeddedPerShard);
    for (const k of [0, 1, 2]) expect(r.stderr).toContain(`shard-${k}: ${embeddedPerShard[k]} new image embedding`);

    const again = await clipscope(['cache', 'merge', '--cache', 'merged', 'shard-0', 'shard-1', 'shard-2']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('0 new image embeddings');
    for (const k of [0, 1, 2]) expect(again.stderr).toContain(`shard-${k}: 0 new image embeddings (${embeddedPerShard[k]} already there)`);
  });

  it('classify on the merged cache embeds nothing and writes the same CSV as an unsharded run', async () => {
    const merged = await clipscope([...classifyArgs(), '--cache', 'merged', '--out', 'merged.csv']);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toMatch(/Classified 15 images in [^:]+: 0 embedded now, 14 from the cache; 1 file skipped/);
    const fresh = await clipscope([...classifyArgs(), '--no-cache', '--out', 'fresh.csv']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toMatch(/14 embedded now, 0 from the cache/);
    const a = await readFile(join(tmp, 'merged.csv'));
    const b = await readFile(join(tmp, 'fresh.csv'));
    expect(a.length).toBeGreaterThan(0);
    expect(a.equals(b)).toBe(true);
  });

  it('classify --shard K/N gives parts whose rows together are the rows of the whole run', async () => {
    const rows: Record<string, string>[] = [];
    const skipped: string[] = [];
    for (const k of [0, 1, 2]) {
      const r = await clipscope([...classifyArgs(), '--cache', 'merged', '--shard', `${k}/3`, '--out', `part-${k}.csv`, '--json', `part-${k}.json`]);
      expect(r.code, r.stderr).toBe(0);
      rows.push(...(readRfc4180Records(await readFile(join(tmp, `part-${k}.csv`), 'utf8')) as Record<string, string>[]));
      const json = JSON.parse(await readFile(join(tmp, `part-${k}.json`), 'utf8'));
      expect(json.run.shard).toEqual({ index: k, count: 3 });
      skipped.push(...json.skipped.map((s: { path: string }) => s.path));
    }
    const whole: Record<string, string>[] = readRfc4180Records(await readFile(join(tmp, 'fresh.csv'), 'utf8'));
    const byImage = (x: Record<string, string>, y: Record<string, string>) => (x.Image < y.Image ? -1 : 1);
    expect(rows.sort(byImage)).toEqual(whole.sort(byImage));
    expect(skipped).toEqual(['truncated.png']); // reported by exactly one part
  });

  it('refuses to merge caches of different models, naming each, and merges nothing', async () => {
    const r = await clipscope(['embed', '--images', join(ROOT, 'content/images'), '--model', OTHER_MODEL, '--shard', '0/3', '--cache', 'other-model', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    const m = await clipscope(['cache', 'merge', '--cache', 'mixed', 'shard-0', 'other-model']);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('The caches hold image embeddings of different models');
    expect(m.stderr).toMatch(/shard-0: synthetic-tiny \(key [0-9a-f]{12}\)/);
    expect(m.stderr).toMatch(/other-model: demo-colors \(key [0-9a-f]{12}\)/);
    expect(m.stderr).not.toMatch(/\n\s+at /);
    const stats = await clipscope(['cache', 'stats', '--cache', 'mixed', '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ exists: false });
  });

  it.each([
    [['4/3'], /Invalid value 4\/3 for --shard: expected K from 0 to 2 in K\/3 \(parts are numbered from 0/],
    [['1/0'], /Invalid value 1\/0 for --shard: expected a number of parts N from 1 to 1,000,000 in K\/N/],
    [['one/three'], /Invalid value one\/three for --shard: expected a shard "K\/N"/],
  ])('refuses --shard %s with exit code 2 and what K/N must be', async ([value], message) => {
    const r = await clipscope(['embed', '--images', images, '--model', MODEL, '--shard', value, '--cache', 'never']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses classify --shard with --table (exit 2), saying how to shard a table run', async () => {
    await writeFile(join(tmp, 'posts.csv'), 'Image\nhorse.png\n');
    const r = await clipscope(['classify', '--table', 'posts.csv', '--images-root', images, '--dictionary', dictionary, '--model', MODEL, '--shard', '0/2', '--no-cache']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('clipscope: --shard cannot be used with --table');
    expect(r.stderr).toContain('clipscope embed --images');
  });

  it('refuses a source that is not a cache, or the destination itself (exit 2)', async () => {
    const missing = await clipscope(['cache', 'merge', '--cache', 'merged', 'no-such-folder']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Cannot merge no-such-folder: it does not exist');
    await mkdir(join(tmp, 'empty-folder'));
    const empty = await clipscope(['cache', 'merge', '--cache', 'merged', 'empty-folder']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('Cannot merge empty-folder: there is no embedding cache in it (no embeddings.sqlite)');
    const self = await clipscope(['cache', 'merge', '--cache', 'merged', 'merged']);
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('Cannot merge merged into itself');
  });
});
