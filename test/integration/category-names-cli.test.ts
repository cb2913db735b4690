// `clipscope classify` end to end (a child process, the demo model) with a dictionary whose category
// names are Object.prototype keys: every name is a category like any other in results.json and
// results.csv, and in a written-back posts table (with group values that are such keys too).
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../integrations/core/types.ts';
import { roundSeed } from '../../integrations/engine/results.ts';
import { readRfc4180 } from '../fixtures/rfc4180.ts';
import { runClipscope } from '../fixtures/cli.ts';

const ROOT = join(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'models/demo-colors');
const NAMES = ['toString', 'valueOf', 'hasOwnProperty', 'constructor', '__proto__'];
// Colour phrases the demo model tells apart, so every name wins some images.
const PHRASES = ['a red picture', 'a cold blue picture', 'a dark picture', 'a greyscale image', 'a warm brown photo'];
const IMAGES = ['astronaut.png', 'brick.png', 'camera.png', 'coffee.png', 'coins.png', 'horse.png', 'rocket.jpg'];

let tmp: string;

const clipscope = (args: string[]) => runClipscope(args, tmp, { CLIPSCOPE_CACHE_DIR: join(tmp, 'cache') });

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-names-'));
  await mkdir(join(tmp, 'images'));
  for (const name of IMAGES) await cp(join(ROOT, 'content/images', name), join(tmp, 'images', name));
  await writeFile(join(tmp, 'names.yaml'), NAMES.map((n, i) => `"${n}":\n  - "${PHRASES[i]}"\n`).join(''));
  await writeFile(join(tmp, 'names.json'), JSON.stringify(Object.fromEntries(NAMES.map((n, i) => [n, [PHRASES[i]]]))));
  const posts = ['id,party,Image', ...IMAGES.map((f, i) => `${i},${NAMES[i % NAMES.length]},images/${f}`)].join('\n') + '\n';
  await writeFile(join(tmp, 'posts.csv'), posts);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Every image's probabilities as own number properties under every name, summing to 100. */
function checkJson(json: RunResult): void {
  expect(json.dictionary.categories.map((c) => c.name)).toEqual(NAMES);
  expect(json.images).toHaveLength(IMAGES.length);
  for (const image of json.images) {
    expect(Object.keys(image.categories)).toEqual(NAMES);
    const values = NAMES.map((n) => Object.getOwnPropertyDescriptor(image.categories, n)?.value);
    for (const v of values) expect(typeof v).toBe('number');
    expect(Math.abs(values.reduce((a, b) => a + b, 0) - 100)).toBeLessThan(1e-6);
    expect(NAMES).toContain(image.category);
    expect(Object.getOwnPropertyDescriptor(image.categories, image.category)?.value).toBeCloseTo(image.probability, 9);
  }
}

describe('category names that are Object.prototype keys, through the CLI', () => {
  it.each(['names.yaml', 'names.json'])('%s: results.json and results.csv hold every name with its probabilities', async (dictionary) => {
    const r = await clipscope(['classify', '--images', 'images', '--dictionary', dictionary, '--model', MODEL, '--threads', '1', '--out', 'r.csv', '--json', 'r.json']);
    expect(r.code, r.stderr).toBe(0);
    const json: RunResult = JSON.parse(await readFile(join(tmp, 'r.json'), 'utf8'));
    checkJson(json);
    // More than one name actually predicted (the phrases are colours the demo model separates).
    expect(new Set(json.images.map((i) => i.category)).size).toBeGreaterThan(1);

    const [header, ...rows] = readRfc4180(await readFile(join(tmp, 'r.csv'), 'utf8'));
    expect(header.slice(4, 4 + 1 + NAMES.length)).toEqual(['Classification Margin', ...NAMES.map((n) => `P(${n})`)]);
    rows.forEach((row, i) => {
      const image = json.images[i];
      expect(row[0]).toBe(image.path);
      expect(row[1]).toBe(image.category);
      NAMES.forEach((n, k) => {
        expect(Number(row[5 + k])).toBe(roundSeed(Object.getOwnPropertyDescriptor(image.categories, n)!.value));
      });
    });
  });

  it('a posts table grouped by a column whose values are those names too', async () => {
    const r = await clipscope(['classify', '--table', 'posts.csv', '--group-by', 'party', '--dictionary', 'names.yaml', '--model', MODEL, '--threads', '1', '--out', 'posts.out.csv', '--json', 't.json']);
    expect(r.code, r.stderr).toBe(0);
    const json: RunResult = JSON.parse(await readFile(join(tmp, 't.json'), 'utf8'));
    checkJson(json);
    expect(json.rows!.map((row) => row.group)).toEqual(IMAGES.map((_, i) => NAMES[i % NAMES.length]));
    const [header, ...rows] = readRfc4180(await readFile(join(tmp, 'posts.out.csv'), 'utf8'));
    expect(header.slice(0, 4)).toEqual(['id', 'party', 'Image', 'Classification']);
    const byPath = new Map(json.images.map((i) => [i.path, i]));
    rows.forEach((row, i) => {
      expect(row.slice(0, 2)).toEqual([String(i), NAMES[i % NAMES.length]]);
      expect(row[3]).toBe(byPath.get(`images/${IMAGES[i]}`)!.category);
    });
  });
});
