// Issue 8 through the command line: the generated bad-input corpus (test/bad-input/make-corpus.ts)
// classified by `clipscope classify` as a user runs it, and configurations the CLI must refuse.
//
// One classify run of the whole corpus (demo-colors model, the demo dictionary, the fault hook for
// the race and permission cases) is shared by the corpus assertions; a second run checks that a
// file rewritten mid-run did not poison the cache. Unit tests of the single stages (discover, hash,
// decode, dictionary, options, model loading) are elsewhere; this file proves the whole path.
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, GraphBuilder } from '../../integrations/engine/onnx-writer/graph.ts';
import type { RunResult } from '../../integrations/engine/types.ts';
import { DEMO, faultNodeOptions, makeCorpus, type Corpus } from '../bad-input/make-corpus.ts';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/clipscope.js');
const DEMO_MODEL = join(ROOT, 'models/demo-colors');
const TINY = join(ROOT, 'models/synthetic-tiny');
const DICTIONARY = join(ROOT, 'content/dictionary.yaml');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function clipscope(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: work, env: { ...process.env, CLIPSCOPE_CACHE_DIR: '', ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

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
    expect(run.stderr).toMatch(new RegExp(`Classified ${classified} images in [\\d.]+s: \\d+ embedded, 0 from the cache, ${skipped} skipped\\.`));
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
    const rows: Record<string, string>[] = parse(csvText, { columns: true });
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
// Configuration the CLI refuses: exit 2, a message that names the problem, no stack trace.

/** A "text tower" embedding into `width` values, to give a model towers of different sizes. */
function textGraphOfWidth(width: number): Uint8Array {
  const g = new GraphBuilder('narrow-text');
  g.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const f = g.op('Cast', ['input_ids'], { to: DataType.FLOAT });
  const mean = g.op('ReduceMean', [f], { axes: [1], keepdims: 1 });
  const w = g.float('w', [1, width], Array.from({ length: width }, (_, i) => i + 1));
  g.node('MatMul', [mean, w], ['text_embeds']);
  g.output('text_embeds', DataType.FLOAT, ['batch_size', width]);
  return g.toBytes();
}

interface Refusal {
  name: string;
  /** Files to write under the case's folder before the run (dictionary text, model changes). */
  setup?: (dir: string) => Promise<void>;
  /** Flags replacing the defaults (the case folder is `dir`). */
  args: (dir: string) => string[];
  message: RegExp;
}

const good = (dir: string, over: Record<string, string> = {}) => {
  const flags: Record<string, string> = { '--images': join(ROOT, 'content/images'), '--dictionary': DICTIONARY, '--model': DEMO_MODEL, ...over };
  return ['classify', ...Object.entries(flags).flat(), '--out', join(dir, 'out.csv'), '--no-cache', '--threads', '1'];
};
const dictionary = (text: string, name = 'dict.yaml') => ({
  setup: (dir: string) => writeFile(join(dir, name), text),
  args: (dir: string) => good(dir, { '--dictionary': join(dir, name) }),
});
const brokenModel = (change: (model: string) => Promise<void>) => ({
  setup: async (dir: string) => {
    await cp(TINY, join(dir, 'model'), { recursive: true });
    await change(join(dir, 'model'));
  },
  args: (dir: string) => good(dir, { '--model': join(dir, 'model') }),
});

const REFUSALS: Refusal[] = [
  { name: 'empty dictionary', ...dictionary('# nothing yet\n'), message: /dict\.yaml is empty/ },
  { name: 'category without phrases', ...dictionary('Red:\n  - "a red picture"\nEmpty:\n'), message: /dict\.yaml:3:1.*category "Empty" has no phrases/ },
  { name: 'non-string phrase', ...dictionary('Red:\n  - "a red picture"\n  - 42\n'), message: /dict\.yaml:3:5.*category "Red", phrase 2 is number 42, not text/ },
  {
    name: 'duplicate phrase across categories',
    ...dictionary('Red:\n  - "a red picture"\nDark:\n  - "a red picture"\n'),
    message: /the phrase "a red picture" is listed under both "Red" \(at .*dict\.yaml:2:5\) and "Dark"/,
  },
  { name: 'duplicate category keys in YAML', ...dictionary('Red:\n  - "a red picture"\nRed:\n  - "a deep red photo"\n'), message: /dict\.yaml:3:1.*duplicate category "Red"/ },
  {
    name: 'two categories with the same page URL',
    ...dictionary('"Red & Blue":\n  - "a red picture"\n"red / blue":\n  - "a blue picture"\n'),
    message: /"Red & Blue" .* and "red \/ blue" would share the page URL "red-blue"/,
  },
  { name: 'image folder that does not exist', args: (dir) => good(dir, { '--images': join(dir, 'nowhere') }), message: /Image folder .*nowhere does not exist/ },
  {
    name: 'empty image folder',
    setup: (dir) => mkdir(join(dir, 'empty')),
    args: (dir) => good(dir, { '--images': join(dir, 'empty') }),
    message: /No images found in .*empty/,
  },
  {
    name: 'image folder with only hidden files and non-images',
    setup: async (dir) => {
      await mkdir(join(dir, 'nothing'));
      await writeFile(join(dir, 'nothing/.hidden.png'), 'x');
      await writeFile(join(dir, 'nothing/notes.txt'), 'x');
    },
    args: (dir) => good(dir, { '--images': join(dir, 'nothing') }),
    message: /No images found in .*nothing/,
  },
  { name: 'model folder with a missing file', ...brokenModel((m) => unlink(join(m, 'tokenizer.json'))), message: /Model folder .*model is missing tokenizer\.json/ },
  {
    name: 'model folder with a file that is not ONNX',
    ...brokenModel((m) => writeFile(join(m, 'onnx/vision_model.onnx'), '<html>404 Not Found</html>')),
    message: /Could not load vision_model\.onnx .* as an ONNX model/,
  },
  {
    name: 'model whose towers embed into different sizes',
    ...brokenModel((m) => writeFile(join(m, 'onnx/text_model.onnx'), textGraphOfWidth(16))),
    message: /The towers of model model embed into different sizes: onnx\/text_model\.onnx gives 16/,
  },
  { name: 'batch size 0', args: (dir) => [...good(dir), '--batch-size', '0'], message: /Expected an integer ≥ 1 for option --batch-size but received "0"/ },
  { name: 'negative probability threshold', args: (dir) => [...good(dir), '--min-probability', '-5'], message: /Expected a percentage from 0 to 100 for option --min-probability but received "-5"/ },
  { name: 'negative margin threshold', args: (dir) => [...good(dir), '--min-margin', '-0.5'], message: /Expected a percentage from 0 to 100 for option --min-margin but received "-0.5"/ },
];

describe('configuration `clipscope classify` refuses (exit 2, the problem named, no stack trace)', () => {
  it.each(REFUSALS.map((r) => [r.name, r] as const))('%s', async (_name, r) => {
    const dir = join(work, 'refusals', r.name.replace(/\W+/g, '-'));
    await mkdir(dir, { recursive: true });
    await r.setup?.(dir);
    const out = await clipscope(r.args(dir));
    expect(out.code, out.stderr).toBe(2);
    expect(out.stderr).toMatch(/^clipscope: /m);
    expect(out.stderr).toMatch(r.message);
    expect(out.stderr).not.toMatch(/\n\s+at /);
    // Refused before anything was written.
    await expect(readFile(join(dir, 'out.csv'))).rejects.toThrow(/ENOENT/);
  });
});
