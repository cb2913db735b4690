// Issue 8 through the command line: the generated bad-input corpus (test/bad-input/make-corpus.ts)
// classified by `clipscope classify` as a user runs it, and configurations the CLI must refuse.
//
// One classify run of the whole corpus (demo-colors model, the demo dictionary, the fault hook for
// the race and permission cases) is shared by the corpus assertions; a second run checks that a
// file rewritten mid-run did not poison the cache. Unit tests of the single stages (discover, hash,
// decode, dictionary, options, model loading) are elsewhere; this file proves the whole path.
import { copyFile, cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../integrations/core/types.ts';
import { BAD_OPTIONS, BAD_PATHS, type BadInput } from '../bad-input/bad-config.ts';
import { DEMO, faultNodeOptions, makeCorpus, type Corpus } from '../bad-input/make-corpus.ts';
import { runClipscope, type CliOutcome } from '../fixtures/cli.ts';
import { readRfc4180Records } from '../fixtures/rfc4180.ts';

const ROOT = join(import.meta.dirname, '../..');
const DEMO_MODEL = join(ROOT, 'models/demo-colors');
const TINY = join(ROOT, 'models/synthetic-tiny');
const DICTIONARY = join(ROOT, 'content/dictionary.yaml');

type Outcome = CliOutcome;

const clipscope = (args: string[], env: Record<string, string> = {}): Promise<Outcome> => runClipscope(args, work, env);

// The corpus is made at collection time so that each case becomes its own test below.
const work = await mkdtemp(join(tmpdir(), 'clipscope-robust-cli-'));
const corpus: Corpus = await makeCorpus(work);

let run: Outcome;
let result: RunResult;
let csvText: string;
/** The bytes race/changes.png had when it was found (the hook rewrites it mid-run). */
const ORIGINAL_CHANGES = join(work, 'changes-original.png');

beforeAll(async () => {
  await copyFile(join(corpus.root, 'race/changes.png'), ORIGINAL_CHANGES);
  run = await clipscope(
    [
      'classify',
      '--images', corpus.root,
      '--dictionary', DICTIONARY,
      '--model', DEMO_MODEL,
      '--out', 'results.csv',
      '--json', 'results.json',
      '--cache', 'cache',
      '--batch-size', '4',
      '--threads', '1',
    ],
    { NODE_OPTIONS: faultNodeOptions(corpus), ...corpus.faultEnv },
  );
  result = JSON.parse(await readFile(join(work, 'results.json'), 'utf8'));
  csvText = await readFile(join(work, 'results.csv'), 'utf8');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const imageAt = (path: string) => result.images.find((i) => i.path === path);
const skippedAt = (path: string) => result.skipped.filter((s) => s.path === path);

describe('the bad-input corpus through `clipscope classify`', () => {
  it('finishes with exit 0 and a summary that counts the skipped files', () => {
    expect(run.code, run.stderr).toBe(0);
    const skipped = corpus.cases.filter((c) => c.expect.kind === 'skipped').length;
    const classified = corpus.cases.filter((c) => c.expect.kind === 'classified').length;
    expect(run.stderr).toMatch(new RegExp(`Classified ${classified} images in [\\d.]+ s: \\d+ embedded now, 0 from the cache; ${skipped} files? skipped: (it|they) could not be used as (an image|images)\\.`));
    expect(result.stats).toMatchObject({ images: classified, skipped });
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.each(corpus.cases.map((c) => [c.path, c] as const))('%s', (_path, c) => {
    const e = c.expect;
    if (e.kind === 'classified') {
      const image = imageAt(c.path);
      expect(image, `${c.what}: classified`).toBeDefined();
      expect(skippedAt(c.path)).toEqual([]);
      if (e.category) expect(image!.category, c.what).toBe(e.category);
    } else if (e.kind === 'skipped') {
      expect(imageAt(c.path), `${c.what}: not classified`).toBeUndefined();
      const s = skippedAt(c.path);
      expect(s, `${c.what}: skipped once`).toHaveLength(1);
      expect(s[0].reason).toMatch(e.reason);
      // The summary on stderr lists it too (the first 20 by path are printed, then a count).
      const rank = result.skipped.findIndex((x) => x.path === c.path);
      if (rank < 20) expect(run.stderr).toContain(`  ${c.path}: ${s[0].reason}\n`);
      else expect(run.stderr).toContain(`  … and ${result.skipped.length - 20} more (all in results.json)\n`);
    } else {
      expect(imageAt(c.path), `${c.what}: not classified`).toBeUndefined();
      expect(skippedAt(c.path), `${c.what}: not listed`).toEqual([]);
    }
  });

  it('lists nothing that is not in the corpus (nothing from outside the root, no hidden file)', () => {
    const known = new Set(corpus.cases.map((c) => c.path));
    expect(result.images.map((i) => i.path).filter((p) => !known.has(p))).toEqual([]);
    expect(result.skipped.map((s) => s.path).filter((p) => !known.has(p))).toEqual([]);
  });

  it('writes no absolute path and nothing of the folder outside the root into the CSV, JSON or messages', () => {
    for (const [name, text] of [['results.json', JSON.stringify(result)], ['results.csv', csvText], ['stderr', run.stderr]] as const) {
      expect(text.includes(work), `${name} contains ${work}`).toBe(false);
      expect(text.includes('secret.png') && name !== 'stderr', `${name} mentions the outside file`).toBe(false);
    }
  });

  it('embeds identical bytes once and lists every path with the same sha256 and result', () => {
    const copies = corpus.duplicates.map((p) => imageAt(p)!);
    expect(new Set(copies.map((c) => c.sha256)).size).toBe(1);
    expect(new Set(copies.map((c) => JSON.stringify(c.categories))).size).toBe(1);
    // Distinct contents embedded: every classified path, less the extra copies and the link to
    // formats/palette.png (the same bytes under a second name).
    expect(result.stats.embedded).toBe(new Set(result.images.map((i) => i.sha256)).size);
    expect(result.stats.embedded).toBe(result.images.length - (corpus.duplicates.length - 1) - 1);
  });

  it('writes a CSV a standard parser reads: one row per classified path, names intact, formulas quoted', () => {
    const rows: Record<string, string>[] = readRfc4180Records(csvText);
    const paths = rows.map((r) => r.Image.replace(/^'(?=[=+\-@])/, ''));
    expect(paths).toEqual(result.images.map((i) => i.path));
    // A cell that would start with "=" gets a leading quote, so a spreadsheet shows it as text.
    expect(rows.find((r) => r.Image.includes('1+2'))!.Image).toBe("'=1+2.png");
    expect(rows.find((r) => r.Image.includes('HYPERLINK'))!.Image).toBe('names/=HYPERLINK("http-evil").png');
    expect(rows.find((r) => r.Image.includes('<script>'))!.Image).toBe('names/<script>alert(1)<script>.png');
  });

  it('a file rewritten mid-run did not poison the cache: its old bytes and its new bytes get their own results', async () => {
    // race/changes.png now holds the replacement (blue); put its original (red) bytes back under
    // another name. Had the run cached the blue pixels under the red file's sha256, the red copy
    // would now come out blue.
    await copyFile(ORIGINAL_CHANGES, join(corpus.root, 'race/original-again.png'));
    // The same faults: the unreadable file stays unreadable; the rewrite now writes the same bytes.
    const second = await clipscope(
      [
        'classify', '--images', corpus.root, '--dictionary', DICTIONARY, '--model', DEMO_MODEL,
        '--out', 'second.csv', '--json', 'second.json', '--cache', 'cache', '--threads', '1',
      ],
      { NODE_OPTIONS: faultNodeOptions(corpus), ...corpus.faultEnv },
    );
    expect(second.code, second.stderr).toBe(0);
    const again: RunResult = JSON.parse(await readFile(join(work, 'second.json'), 'utf8'));
    const at = (p: string) => again.images.find((i) => i.path === p);
    expect(at('race/original-again.png')?.category).toBe(DEMO.red);
    expect(at('race/changes.png')?.category).toBe(DEMO.blue);
    expect(at('race/vanishes.png')).toBeUndefined();
    // Everything else came from the cache.
    expect(again.stats.embedded).toBe(2);
  });
});

describe('EXIF orientation through `clipscope embed`', () => {
  it('the model sees a rotated photo as a person does: the same embedding as the upright picture', async () => {
    const folder = join(work, 'exif-only');
    await cp(join(corpus.root, 'exif'), folder, { recursive: true });
    const r = await clipscope(['embed', '--images', folder, '--model', TINY, '--out', 'exif.json', '--no-cache', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    const out: { items: { path: string; embedding: number[] }[] } = JSON.parse(await readFile(join(work, 'exif.json'), 'utf8'));
    const vector = (p: string) => out.items.find((i) => i.path === p.replace(/^exif\//, ''))!.embedding;
    const cos = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0); // unit vectors
    const upright = vector(corpus.exif.upright);
    // JPEG quality 100, 4:4:4: the rotated files decode to the upright pixels within rounding.
    for (const { path } of corpus.exif.rotated) expect(cos(vector(path), upright), path).toBeGreaterThan(0.999);
    // The same pixels without the tag are a different picture to the model.
    expect(cos(vector(corpus.exif.sideways), upright)).toBeLessThan(0.99);
  });
});

// ---------------------------------------------------------------------------------------------
// Configuration the CLI refuses (test/bad-input/bad-config.ts; the same list goes through
// `astro build` in test/e2e/robustness-site.test.ts): exit 2, the problem named, no stack trace.

async function refused(dir: string, args: string[]): Promise<Outcome> {
  const out = await clipscope(args);
  expect(out.code, out.stderr).toBe(2);
  expect(out.stderr).toMatch(/^clipscope: /m);
  expect(out.stderr).not.toMatch(/\n\s+at /);
  // Refused before anything was written.
  await expect(readFile(join(dir, 'out.csv'))).rejects.toThrow(/ENOENT/);
  return out;
}

const classifyArgs = (dir: string, over: BadInput = {}) => [
  'classify',
  '--images', over.images ?? join(ROOT, 'content/images'),
  '--dictionary', over.dictionary ?? DICTIONARY,
  '--model', over.model ?? DEMO_MODEL,
  '--out', join(dir, 'out.csv'),
  '--no-cache', '--threads', '1',
];

describe('configuration `clipscope classify` refuses (exit 2, the problem named, no stack trace)', () => {
  const caseDir = async (name: string) => {
    const dir = join(work, 'refusals', name.replace(/\W+/g, '-'));
    await mkdir(dir, { recursive: true });
    return dir;
  };

  it.each(BAD_PATHS.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const dir = await caseDir(name);
    const out = await refused(dir, classifyArgs(dir, await c.setup(dir)));
    expect(out.stderr).toMatch(c.message);
  });

  it.each(BAD_OPTIONS.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const dir = await caseDir(name);
    const out = await refused(dir, [...classifyArgs(dir), c.flag, String(c.value)]);
    expect(out.stderr).toContain(`Invalid value ${c.value} for ${c.flag}: expected ${c.expected}`);
  });
});
