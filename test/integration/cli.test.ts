// The `clipscope` command as a user runs it (a child process): exit codes, messages on stderr, and
// the files and JSON the classify, embed and tokenize commands write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClipscope } from '../fixtures/cli.ts';
import { cp, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRfc4180Records } from '../fixtures/rfc4180.ts';

const ROOT = join(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'models/synthetic-tiny');

let tmp: string;
let images: string;
let dictionary: string;

/** The command, run in this test's working folder. */
const clipscope = (args: string[]) => runClipscope(args, tmp);

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-cli-'));
  images = join(tmp, 'images');
  await mkdir(join(images, 'nested'), { recursive: true });
  for (const name of ['horse.png', 'coins.png']) await cp(join(ROOT, 'content/images', name), join(images, name));
  await cp(join(ROOT, 'content/images/rocket.jpg'), join(images, 'nested/rocket.jpg'));
  await writeFile(join(images, 'truncated.png'), (await readFile(join(ROOT, 'content/images/coins.png'))).subarray(0, 200));
  dictionary = join(tmp, 'dictionary.yaml');
  await writeFile(dictionary, '"Animals":\n  - "a horse"\n  - "a cat"\n"Things":\n  - "coins"\n  - "a rocket"\n');
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const base = () => ['classify', '--images', images, '--dictionary', dictionary, '--model', MODEL, '--threads', '1'];

describe('clipscope classify', () => {
  it('writes the CSV and JSON, lists the skipped image and exits 0', async () => {
    const r = await clipscope([...base(), '--out', 'out.csv', '--json', 'out.json', '--top-k', '2', '--no-cache']);
    expect(r.stderr).toContain('Skipped 1 image:\n  truncated.png: ');
    expect(r.stderr).toMatch(/Classified 3 images in [\d.]+ s: 3 embedded now, 0 from the cache; 1 file skipped: it could not be used as an image\./);
    expect(r.code).toBe(0);
    const rows: Record<string, string>[] = readRfc4180Records(await readFile(join(tmp, 'out.csv'), 'utf8'));
    expect(rows.map((row) => row.Image)).toEqual(['coins.png', 'horse.png', 'nested/rocket.jpg']);
    expect(Object.keys(rows[0]).slice(0, 7)).toEqual(['Image', 'Classification_1', 'Classification_label_1', 'Classification_prob_1', 'Classification_2', 'Classification_label_2', 'Classification_prob_2']);
    const json = JSON.parse(await readFile(join(tmp, 'out.json'), 'utf8'));
    expect(json.skipped).toEqual([{ path: 'truncated.png', reason: expect.any(String) }]);
    expect(json.stats).toMatchObject({ images: 3, embedded: 3, fromCache: 0, skipped: 1 });
    // --no-cache: nothing was written to the default cache folder.
    await expect(readFile(join(tmp, '.clipscope/embeddings.sqlite'))).rejects.toThrow();
  });

  it('exits 1 with --fail-on-skip when an image was skipped (results are still written)', async () => {
    const r = await clipscope([...base(), '--out', 'strict.csv', '--fail-on-skip', '--cache', 'cache']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('clipscope: 1 image was skipped and --fail-on-skip is set');
    expect(await readFile(join(tmp, 'strict.csv'), 'utf8')).toContain('nested/rocket.jpg');
  });

  it('names the missing model file and says how to get a model (exit 2)', async () => {
    const model = join(tmp, 'broken-model');
    await cp(MODEL, model, { recursive: true });
    await unlink(join(model, 'onnx/vision_model.onnx'));
    const r = await clipscope(['classify', '--images', images, '--dictionary', dictionary, '--model', model, '--no-cache']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`clipscope: Model folder ${model} is missing onnx/vision_model.onnx`);
    expect(r.stderr).toContain('clipscope model fetch Xenova/clip-vit-base-patch32');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('names the file, the categories and the phrase of a bad dictionary (exit 2)', async () => {
    const bad = join(tmp, 'duplicate.yaml');
    await writeFile(bad, '"Animals":\n  - "a horse"\n"Things":\n  - "a horse"\n');
    const r = await clipscope([...base().slice(0, 3), '--dictionary', bad, '--model', MODEL, '--no-cache']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('duplicate.yaml');
    expect(r.stderr).toContain('a horse');
    expect(r.stderr).toContain('Animals');
    expect(r.stderr).toContain('Things');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a bad flag value with the flag, what it expects and what it got (exit 2)', async () => {
    const r = await clipscope([...base(), '--top-k', '0', '--no-cache']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('clipscope: Invalid value 0 for --top-k: expected an integer ≥ 1\n');
  });
});

describe('clipscope embed', () => {
  it('writes L2-normalised embeddings with path and sha256, sorted by path', async () => {
    const r = await clipscope(['embed', '--images', images, '--model', MODEL, '--out', 'embeddings.json', '--cache', 'cache', '--threads', '1']);
    expect(r.code).toBe(0);
    const out = JSON.parse(await readFile(join(tmp, 'embeddings.json'), 'utf8'));
    expect(out.model.name).toBe('synthetic-tiny');
    expect(out.dim).toBe(32);
    expect(out.items.map((i: { path: string }) => i.path)).toEqual(['coins.png', 'horse.png', 'nested/rocket.jpg']);
    for (const item of out.items) {
      expect(item.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(item.embedding).toHaveLength(32);
      expect(Math.hypot(...item.embedding)).toBeCloseTo(1, 5);
    }
    expect(out.skipped.map((s: { path: string }) => s.path)).toEqual(['truncated.png']);
    // The classify run before filled the same cache: nothing needed embedding again.
    expect(out.stats).toMatchObject({ embedded: 0, fromCache: 3 });
  });
});

describe('clipscope tokenize', () => {
  const long = Array.from({ length: 80 }, () => 'flag').join(' ');

  it('--json prints ids with start and end tokens, the tokens, and whether a phrase was cut', async () => {
    const r = await clipscope(['tokenize', '--model', MODEL, '--json', 'A photo of a CAT.', long]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out[0]).toEqual({
      text: 'A photo of a CAT.',
      ids: [49406, 320, 1125, 539, 320, 2368, 269, 49407],
      tokens: ['<|startoftext|>', 'a</w>', 'photo</w>', 'of</w>', 'a</w>', 'cat</w>', '.</w>', '<|endoftext|>'],
      tokenCount: 8,
      truncated: false,
    });
    expect(out[1]).toMatchObject({ truncated: true, tokenCount: 82 });
    expect(out[1].ids).toHaveLength(77);
    expect(out[1].ids.at(-1)).toBe(49407);
  });

  it('prints a table: token count, the tokens as words, and what the cut to 77 tokens drops', async () => {
    const r = await clipscope(['tokenize', '--model', MODEL, 'A photo of a CAT.', 'Collages of screenshots', long]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual(['tokens  phrase / how CLIP reads it', '     8  A photo of a CAT.', '        a photo of a cat .', '     6  Collages of screenshots', '        colla·ges of screenshots']);
    expect(r.stdout).toContain('        cut at 77 tokens, drops 5: "flag flag flag flag flag"\n');
    expect(r.stdout).toMatch(/3 phrases; 1 is cut to 77 tokens/);
  });

  it('--dictionary checks every phrase of a dictionary at once, under its category', async () => {
    const dict = join(tmp, 'long-dictionary.yaml');
    await writeFile(dict, `"Animals":\n  - "a horse"\n  - "${long}"\n"Things":\n  - "coins"\n  - "${long} rocket"\n`);
    const table = await clipscope(['tokenize', '--model', MODEL, '--dictionary', dict]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Animals:\n {5}4 {2}a horse\n/m);
    expect(table.stdout).toMatch(/^Things:\n {5}3 {2}coins\n/m);
    expect(table.stdout).toContain('drops 6: "flag flag flag flag flag rocket"');
    expect(table.stdout).toMatch(/4 phrases; 2 are cut to 77 tokens/);
    const json = JSON.parse((await clipscope(['tokenize', '--model', MODEL, '--dictionary', dict, '--json'])).stdout);
    expect(json.map((p: { category: string; truncated: boolean }) => [p.category, p.truncated])).toEqual([
      ['Animals', false],
      ['Animals', true],
      ['Things', false],
      ['Things', true],
    ]);
  });

  it('a missing model folder points to `clipscope model fetch`, never to a synthetic model', async () => {
    const r = await clipscope(['tokenize', '--model', join(tmp, 'no-model'), 'a cat']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Model folder ${join(tmp, 'no-model')} does not exist`);
    expect(r.stderr).toContain('npx clipscope model fetch Xenova/clip-vit-base-patch32');
    expect(r.stderr).not.toMatch(/synthetic|random weights/);
  });
});
