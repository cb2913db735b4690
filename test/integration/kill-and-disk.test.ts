// Nothing lost: a clipscope process SIGKILLed while embedding, while writing its results,
// or during `astro build`, and a disk that fills up while results are written. After each, the
// results files are the old complete ones or the new complete ones — never truncated — and the next
// run resumes from the embedding cache.
//
// The kills are deterministic: test/bad-input/faults.ts, preloaded into the child process, sends
// SIGKILL at an exact point (reading a given image for decoding; half-way through writing a results
// file; just before or after its rename). The full disk is a real tmpfs when the tests run as root
// and may mount one, and an injected ENOSPC otherwise (and in addition).
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { closeSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../integrations/engine/store.ts';
import type { RunResult } from '../../integrations/core/types.ts';
import { writeSmallImages } from '../bad-input/make-corpus.ts';
import { buildSite } from '../e2e/helpers.ts';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/clipscope.js');
const HOOK = join(ROOT, 'test/bad-input/faults.ts');
const MODEL = join(ROOT, 'models/demo-colors');
const DICTIONARY = join(ROOT, 'content/dictionary.yaml');
const FIRST = 24;
const ALL = 48;

let work: string;
let images: string;
let out: string;
let cache: string;
let oldCsv: Buffer;
let oldJson: Buffer;
/** The complete new results (48 images), from the run that resumed after the kill. */
let newCsv: Buffer;
let newJson: RunResult;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function faultEnv(faults: object | null): Record<string, string> {
  if (!faults) return {};
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${HOOK}`.trim(), CLIPSCOPE_TEST_FAULTS: JSON.stringify(faults) };
}

function classify(into: string, faults: object | null = null): Promise<Outcome> {
  const args = [
    BIN, 'classify',
    '--images', images,
    '--dictionary', DICTIONARY,
    '--model', MODEL,
    '--out', join(into, 'results.csv'),
    '--json', join(into, 'results.json'),
    '--cache', cache,
    '--batch-size', '4',
    '--threads', '1',
  ];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: work, env: { ...process.env, ...faultEnv(faults) } }, (error, _stdout, stderr) => {
      const e = error as (Error & { code?: number; signal?: NodeJS.Signals }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stderr });
    });
  });
}

function cachedImages(dir: string): number {
  const store = openStore({ dir, readonly: true, log: () => {} });
  try {
    return store.stats().images;
  } finally {
    store.close();
  }
}

/** The results without what differs between two runs of the same input (time, cache counts). */
function stable(r: RunResult): unknown {
  const { startedAt: _t, ...run } = r.run;
  return { run, dictionary: r.dictionary, images: r.images, skipped: r.skipped, count: r.stats.images };
}

async function putOldResults(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.csv'), oldCsv);
  await writeFile(join(dir, 'results.json'), oldJson);
}

/** "old" or "new" for each results file in `dir`; throws on anything else (truncated, mixed). */
async function whichResults(dir: string): Promise<{ csv: 'old' | 'new'; json: 'old' | 'new' }> {
  const csv = await readFile(join(dir, 'results.csv'));
  const json = await readFile(join(dir, 'results.json'));
  const csvIs = csv.equals(oldCsv) ? 'old' : csv.equals(newCsv) ? 'new' : null;
  let jsonIs: 'old' | 'new' | null = json.equals(oldJson) ? 'old' : null;
  if (!jsonIs) {
    const parsed = JSON.parse(json.toString('utf8')) as RunResult; // throws when truncated
    if (JSON.stringify(stable(parsed)) === JSON.stringify(stable(newJson))) jsonIs = 'new';
  }
  if (!csvIs) throw new Error(`results.csv is neither the old nor the new file (${csv.length} bytes)`);
  if (!jsonIs) throw new Error(`results.json is neither the old nor the new file (${json.length} bytes)`);
  return { csv: csvIs, json: jsonIs };
}

const temps = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.tmp'));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'clipscope-kill-disk-'));
  images = join(work, 'images');
  out = join(work, 'out');
  cache = join(work, 'cache');
  await mkdir(out);
  await writeSmallImages(images, FIRST);
  const first = await classify(out);
  expect(first.code, first.stderr).toBe(0);
  oldCsv = await readFile(join(out, 'results.csv'));
  oldJson = await readFile(join(out, 'results.json'));
  // The folder grows: the next run has 24 new images to embed.
  await writeSmallImages(images, ALL - FIRST, { first: FIRST });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('SIGKILL through the CLI', () => {
  it('during embedding: the previous results stay whole, and the next run resumes from the cache', async () => {
    const killed = await classify(out, { kill: { at: 'read', file: 'images/img-00036.png' } });
    expect(killed.signal).toBe('SIGKILL');
    expect((await readFile(join(out, 'results.csv'))).equals(oldCsv)).toBe(true);
    expect((await readFile(join(out, 'results.json'))).equals(oldJson)).toBe(true);

    const committed = cachedImages(cache);
    expect(committed).toBeGreaterThan(FIRST); // batches before img-00036 were committed …
    expect(committed).toBeLessThan(ALL); // … and the kill came before the end

    const resumed = await classify(out);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`${ALL} images found: ${committed} in the cache, ${ALL - committed} to embed`);
    newCsv = await readFile(join(out, 'results.csv'));
    newJson = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(newJson.stats).toMatchObject({ images: ALL, embedded: ALL - committed, fromCache: committed, skipped: 0 });
  });

  // Where the kill lands → which version of (results.json, results.csv) must be on disk after it.
  // writeResults writes both temporary files completely before it renames either, JSON first.
  const points = [
    { file: 'results.json', at: 'write-half', json: 'old', csv: 'old' },
    { file: 'results.json', at: 'before-rename', json: 'old', csv: 'old' },
    { file: 'results.csv', at: 'write-half', json: 'old', csv: 'old' },
    { file: 'results.json', at: 'after-rename', json: 'new', csv: 'old' },
    { file: 'results.csv', at: 'before-rename', json: 'new', csv: 'old' },
    { file: 'results.csv', at: 'after-rename', json: 'new', csv: 'new' },
  ] as const;

  it.each(points)('while writing results ($file, $at): each file is the old or the new one, whole', async (p) => {
    expect(newJson, 'needs the resumed run above').toBeDefined();
    const dir = join(work, `write-${p.file}-${p.at}`);
    await putOldResults(dir);
    const killed = await classify(dir, { kill: { file: p.file, at: p.at } });
    expect(killed.signal).toBe('SIGKILL');
    expect(await whichResults(dir)).toEqual({ json: p.json, csv: p.csv });
  });

  it('the next run replaces both and removes the temporary files the killed runs left', async () => {
    const dir = join(work, 'write-results.json-write-half');
    expect((await temps(dir)).length).toBeGreaterThan(0); // the killed process could not clean up
    const again = await classify(dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`${ALL} in the cache, 0 to embed`);
    expect(await whichResults(dir)).toEqual({ json: 'new', csv: 'new' });
    expect(await temps(dir)).toEqual([]);
  });
});

describe('disk full while writing results', () => {
  const diskFullMessage = (file: string) => `clipscope: Disk full while writing ${file}. The previous file (if any) is intact.`;

  it('(injected ENOSPC on the second file) a clear error, exit 2, both previous files intact, no temporary file', async () => {
    const dir = join(work, 'enospc');
    await putOldResults(dir);
    const r = await classify(dir, { enospc: { file: 'results.csv' } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(diskFullMessage(join(dir, 'results.csv')));
    expect(r.stderr).toContain('Free some space');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // The JSON was complete in its temporary file, but is not put in place without the CSV.
    expect(await whichResults(dir)).toEqual({ json: 'old', csv: 'old' });
    expect(await temps(dir)).toEqual([]);
  });

  const mountable = (() => {
    if (process.getuid?.() !== 0) return false;
    const probe = join(tmpdir(), `clipscope-mount-probe-${process.pid}`);
    try {
      execFileSync('mkdir', ['-p', probe]);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
      execFileSync('umount', [probe]);
      return true;
    } catch {
      return false;
    } finally {
      execFileSync('rm', ['-rf', probe]);
    }
  })();

  it.skipIf(!mountable)('(a real full tmpfs, as root) a clear error, exit 2, the previous results intact', async () => {
    const disk = join(work, 'small-disk');
    await mkdir(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk]);
    try {
      await putOldResults(disk);
      // Fill what is left, so the new (larger) results cannot fit.
      const fd = openSync(join(disk, 'filler'), 'w');
      try {
        const block = Buffer.alloc(4096, 1);
        for (;;) writeSync(fd, block);
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        closeSync(fd);
      }
      const r = await classify(disk);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(diskFullMessage(join(disk, 'results.json')));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await whichResults(disk)).toEqual({ json: 'old', csv: 'old' });
      expect(await temps(disk)).toEqual([]);
    } finally {
      execFileSync('umount', [disk]);
    }
  });
});

describe('SIGKILL during `astro build`', () => {
  it('killed while embedding and while publishing: the next builds resume from the cache; dist/ never has a truncated results file', async () => {
    const siteCache = join(work, 'site-cache');
    const dist = join(work, 'dist');
    const env = (faults: object | null) => ({ CLIPSCOPE_IMAGES: images, ...faultEnv(faults) });

    // 1. Killed in the middle of embedding. The build uses the default batch size (16): image 40 is
    // read for the third batch, after the first has been committed.
    const first = await buildSite({ env: env({ kill: { at: 'read', file: 'images/img-00040.png' } }), cacheDir: siteCache, outDir: dist, expectFailure: true });
    expect(first.output).not.toContain('Complete!');
    const committed = cachedImages(siteCache);
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(ALL);

    // 2. Resumes from the cache; killed half-way through publishing results.json into dist/.
    const second = await buildSite({ env: env({ kill: { at: 'write-half', file: 'results.json' } }), cacheDir: siteCache, outDir: dist, expectFailure: true });
    expect(second.output).toContain(`${ALL} images found: ${committed} in the cache, ${ALL - committed} to embed`);
    const published = await readFile(join(dist, 'downloads/results.json'), 'utf8').catch(() => null);
    if (published !== null) expect((JSON.parse(published) as RunResult).images).toHaveLength(ALL); // whole, or not there
    expect(cachedImages(siteCache)).toBe(ALL);

    // 3. A clean build: everything from the cache, complete results in dist/, equal to the CLI's.
    const third = await buildSite({ env: env(null), cacheDir: siteCache, outDir: dist });
    expect(third.output).toContain(`${ALL} images found: ${ALL} in the cache, 0 to embed`);
    const site: RunResult = JSON.parse(await readFile(join(dist, 'downloads/results.json'), 'utf8'));
    expect(site.images.map((i) => [i.path, i.category, i.probability])).toEqual(newJson.images.map((i) => [i.path, i.category, i.probability]));
    await third.cleanup();
  });
});
