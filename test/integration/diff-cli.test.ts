// `clipscope diff` end to end (child processes, the demo model): two `classify --json` runs over the
// demo images, the second with one phrase moved to another category and one image added; the diff
// lists exactly the images whose best phrase moved, and refuses files that are not results.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../integrations/core/types.ts';
import { readRfc4180 } from '../fixtures/rfc4180.ts';
import { runClipscope } from '../fixtures/cli.ts';

const ROOT = join(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'models/demo-colors');
const IMAGES = ['chelsea.png', 'coffee.png', 'horse.png', 'rocket.jpg', 'astronaut.png'];
const ADDED = 'retina.jpg';

let tmp: string;

const clipscope = (args: string[]) => runClipscope(args, tmp, { CLIPSCOPE_CACHE_DIR: join(tmp, 'cache') });

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-diff-'));
  await mkdir(join(tmp, 'images'));
  for (const name of IMAGES) await cp(join(ROOT, 'content/images', name), join(tmp, 'images', name));
  const dictionary = await readFile(join(ROOT, 'content/dictionary.yaml'), 'utf8');
  // "a warm brown photo" moves from "Warm and brown" to "Red".
  const moved = dictionary.replace('  - "a warm brown photo"\n', '').replace('  - "a fiery red image"\n', '  - "a fiery red image"\n  - "a warm brown photo"\n');
  expect(moved).not.toBe(dictionary);
  await writeFile(join(tmp, 'moved.yaml'), moved);
  const first = await clipscope(['classify', '--images', 'images', '--dictionary', join(ROOT, 'content/dictionary.yaml'), '--model', MODEL, '--json', 'old.json', '--out', 'old.csv']);
  expect(first.code, first.stderr).toBe(0);
  await cp(join(ROOT, 'content/images', ADDED), join(tmp, 'images', ADDED));
  const second = await clipscope(['classify', '--images', 'images', '--dictionary', 'moved.yaml', '--model', MODEL, '--json', 'new.json', '--out', 'new.csv']);
  expect(second.code, second.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('clipscope diff', () => {
  it('lists exactly the images whose category changed, with the summary, on stdout and in --out and --json', async () => {
    const before = JSON.parse(await readFile(join(tmp, 'old.json'), 'utf8')) as RunResult;
    const after = JSON.parse(await readFile(join(tmp, 'new.json'), 'utf8')) as RunResult;
    // Expected from the runs themselves: the images present in both whose category differs.
    const expected = after.images.filter((n) => before.images.some((o) => o.path === n.path && o.sha256 === n.sha256 && o.category !== n.category)).map((i) => i.path);
    // The moved phrase is the best phrase of these two demo images (see content/dictionary.yaml).
    expect(expected).toEqual(['chelsea.png', 'coffee.png']);

    const { code, stdout, stderr } = await clipscope(['diff', 'old.json', 'new.json', '--out', 'diff.csv', '--json', 'diff.json']);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('2 of 5 images in both files changed category. Only in old.json: 0; only in new.json: 1.');
    expect(stdout).toMatch(/Warm and brown +3 +1 +-2\n/);
    expect(stdout).toMatch(/Red +0 +3 +\+3\n/);
    expect(stdout).toMatch(/chelsea\.png +Warm and brown +→ +Red +\d+\.\d % +\d+\.\d %\n/);

    const csv = readRfc4180(await readFile(join(tmp, 'diff.csv'), 'utf8'));
    expect(csv[0]).toEqual(['Image', 'sha256', 'Old Classification', 'New Classification', 'Old Probability', 'New Probability']);
    expect(csv.slice(1).map((r) => [r[0], r[2], r[3]])).toEqual([
      ['chelsea.png', 'Warm and brown', 'Red'],
      ['coffee.png', 'Warm and brown', 'Red'],
    ]);
    const sha = after.images.find((i) => i.path === 'chelsea.png')!.sha256;
    expect(csv[1][1]).toBe(sha);

    const json = JSON.parse(await readFile(join(tmp, 'diff.json'), 'utf8'));
    expect(json.schema).toBe('clipscope.diff/v1');
    expect(json.old.dictionaryHash).toBe(before.run.dictionary.hash);
    expect(json.new.dictionaryHash).toBe(after.run.dictionary.hash);
    expect(json.changed.map((c: { path: string }) => c.path)).toEqual(expected);
    expect(json.onlyNew).toEqual([{ path: ADDED, sha256: after.images.find((i) => i.path === ADDED)!.sha256 }]);
    expect(json.changed[0].newProbability).toBeCloseTo(after.images.find((i) => i.path === 'chelsea.png')!.probability, 9);
  });

  it.each([
    ['a results CSV', 'old.csv', /old\.csv is not a clipscope results file: it is not JSON/],
    ['a diff JSON', 'diff.json', /diff\.json is not a clipscope results file: its "schema" is "clipscope\.diff\/v1"/],
    ['a missing file', 'nothing.json', /Cannot read the results file nothing\.json: it does not exist/],
  ])('refuses %s with exit code 2 and the reason, no stack trace', async (_name, file, message) => {
    const { code, stderr } = await clipscope(['diff', 'old.json', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('clipscope classify --json');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
