import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { textPieces, writeFileAtomic } from '../../integrations/engine/atomic.ts';
import { csvChunks, csvHeader, jsonChunks, roundSeed, toCsv, toCsvRows, toJson, writeResults, type ExtraColumns } from '../../integrations/engine/results.ts';
import { csvText, escapeFormula } from '../../integrations/engine/csv.ts';
import { UNCERTAIN } from '../../integrations/core/types.ts';
import type { ImageResult, RunResult } from '../../integrations/core/types.ts';
import { FORMULA_CASES } from '../fixtures/formula-cases.ts';
import { readRfc4180, readRfc4180Records } from '../fixtures/rfc4180.ts';

// Simulated disk-full: when `fault.code` is set, writes through file handles opened on a temporary
// file write half of the data and then fail with that code, the way a full disk does.
const fault = vi.hoisted(() => ({ code: null as string | null }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (...args: Parameters<typeof real.open>) => {
    const handle = await real.open(...args);
    if (!fault.code || !String(args[0]).endsWith('.tmp')) return handle;
    const code = fault.code;
    return new Proxy(handle, {
      get(target, prop) {
        if (prop === 'writeFile') {
          return async (data: string | Uint8Array | Iterable<string | Uint8Array>) => {
            const bytes = typeof data === 'string' || data instanceof Uint8Array ? Buffer.from(data) : Buffer.concat([...data].map((c) => Buffer.from(c)));
            await target.write(bytes.subarray(0, bytes.length >> 1));
            throw Object.assign(new Error(`${code}: simulated`), { code });
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  return { ...real, open, default: { ...real, open } };
});

const SEED_TOP1 = ['Image', 'Classification', 'Classification Label', 'Classification Probability'];
const SEED_TOP2 = ['Image', 'Classification_1', 'Classification_label_1', 'Classification_prob_1', 'Classification_2', 'Classification_label_2', 'Classification_prob_2'];

function image(path: string, overrides: Partial<ImageResult> = {}): ImageResult {
  return {
    path,
    sha256: path.length.toString(16).padStart(64, '0'),
    size: 1234,
    category: 'Interviews & Media',
    label: 'Visuals from a TV or media broadcast, including distinct channel or media branding.',
    probability: 71.3125,
    margin: 44.53125,
    top: [
      { category: 'Interviews & Media', label: 'Visuals from a TV or media broadcast, including distinct channel or media branding.', probability: 71.3125 },
      { category: 'Political Events', label: 'Focused visuals of attendees or participants of a political rally or event.', probability: 26.78125 },
    ],
    categories: { 'Political Events': 26.78125, 'Interviews & Media': 73.21875 },
    ...overrides,
  };
}

function runResult(images: ImageResult[]): RunResult {
  return {
    schema: 'clipscope.results/v1',
    run: {
      clipscopeVersion: '0.1.0',
      model: { name: 'demo', checksum: 'c'.repeat(64), projectionDim: 512, logitScale: 100, variant: 'fp32' },
      dictionary: { source: 'political-dictionary.yaml', hash: 'd'.repeat(64), categories: 2, phrases: 2 },
      scoring: 'seed',
      topK: 2,
      column: 'Classification',
      thresholds: { minProbability: null, minMargin: null },
      startedAt: '2026-01-01T00:00:00.000Z',
    },
    dictionary: {
      source: 'political-dictionary.yaml',
      hash: 'd'.repeat(64),
      categories: [
        { name: 'Political Events', slug: 'political-events', phrases: [{ text: 'Focused visuals of attendees or participants of a political rally or event.' }] },
        { name: 'Interviews & Media', slug: 'interviews-media', phrases: [{ text: 'Visuals from a TV or media broadcast, including distinct channel or media branding.' }] },
      ],
    },
    images,
    skipped: [{ path: 'broken.jpg', reason: 'not an image' }],
    stats: { images: images.length + 1, embedded: images.length, fromCache: 0, skipped: 1, seconds: 1.5 },
  };
}

const parseCsv = (text: string) => readRfc4180(text);

describe('roundSeed (numpy round(2): half to even on ×100)', () => {
  it.each([
    [71.3125, 71.31],
    [26.78125, 26.78],
    [79.625, 79.62],
    [0.125, 0.12],
    [0.375, 0.38],
    [48, 48],
    [99.999, 100],
    [0.004, 0],
    [1e-30, 0],
    [100, 100],
  ])('%f → %f', (value, expected) => {
    expect(roundSeed(value)).toBe(expected);
  });
});

describe('CSV: the seed columns', () => {
  const result = runResult([image('afd.bund/2125.jpg'), image('afd.bund/0001.jpg', { probability: 48, top: [{ category: 'Interviews & Media', label: 'x', probability: 48 }] })]);

  it('top-1: Image, <column>, <column> Label, <column> Probability, then the extras', () => {
    const [header, ...rows] = parseCsv(toCsv(result, { topK: 1 }));
    expect(header.slice(0, 4)).toEqual(SEED_TOP1);
    expect(header.slice(4)).toEqual(['Classification Margin', 'P(Political Events)', 'P(Interviews & Media)', 'sha256']);
    // Sorted by path; the relative path is the Image; rounded like the seed.
    expect(rows[1].slice(0, 4)).toEqual(['afd.bund/2125.jpg', 'Interviews & Media', 'Visuals from a TV or media broadcast, including distinct channel or media branding.', '71.31']);
    expect(rows[1].slice(4)).toEqual(['44.53', '26.78', '73.22', image('afd.bund/2125.jpg').sha256]);
    expect(rows[0][0]).toBe('afd.bund/0001.jpg');
    expect(rows).toHaveLength(2); // skipped images are not rows
  });

  it('top-2: the _1/_label_1/_prob_1 shape', () => {
    const [header, ...rows] = parseCsv(toCsv(result, { topK: 2 }));
    expect(header.slice(0, 7)).toEqual(SEED_TOP2);
    expect(header[7]).toBe('Classification Margin');
    expect(rows[1].slice(0, 7)).toEqual([
      'afd.bund/2125.jpg',
      'Interviews & Media',
      'Visuals from a TV or media broadcast, including distinct channel or media branding.',
      '71.31',
      'Political Events',
      'Focused visuals of attendees or participants of a political rally or event.',
      '26.78',
    ]);
    // Fewer choices than k: empty cells, the row keeps its width.
    expect(rows[0].slice(4, 7)).toEqual(['', '', '']);
    expect(rows[0]).toHaveLength(header.length);
  });

  it('--column names the prefix; k = 3 adds _3 columns', () => {
    expect(csvHeader(['A'], 1, 'CLIP')).toEqual(['Image', 'CLIP', 'CLIP Label', 'CLIP Probability', 'CLIP Margin', 'P(A)', 'sha256']);
    const header = toCsvRows(result, { topK: 3, column: 'Type' }).header;
    expect(header.slice(0, 10)).toEqual(['Image', 'Type_1', 'Type_label_1', 'Type_prob_1', 'Type_2', 'Type_label_2', 'Type_prob_2', 'Type_3', 'Type_label_3', 'Type_prob_3']);
  });

  it('defaults to the run’s topK and column', () => {
    expect(toCsvRows(result).header.slice(0, 7)).toEqual(SEED_TOP2);
  });

  it('numbers stay numbers (unquoted), text with commas, quotes and newlines round-trips', () => {
    const tricky = runResult([image('dir, with "quotes"/😀 é.jpg', { label: 'line one\nline two, "quoted"', top: [{ category: 'Political Events', label: 'line one\nline two, "quoted"', probability: 50 }] })]);
    const text = toCsv(tricky, { topK: 1 });
    expect(text).toMatch(/,50,/);
    const [, row] = parseCsv(text);
    expect(row[0]).toBe('dir, with "quotes"/😀 é.jpg');
    expect(row[2]).toBe('line one\nline two, "quoted"');
    expect(readRfc4180Records(text)[0]['Classification Probability']).toBe('50');
  });

  it('Uncertain images: the category column says Uncertain, label and probability show the best guess', () => {
    const unsure = runResult([image('u.jpg', { category: UNCERTAIN })]);
    const [, top1] = parseCsv(toCsv(unsure, { topK: 1 }));
    expect(top1.slice(1, 4)).toEqual([UNCERTAIN, 'Visuals from a TV or media broadcast, including distinct channel or media branding.', '71.31']);
    const [, top2] = parseCsv(toCsv(unsure, { topK: 2 }));
    expect(top2[1]).toBe(UNCERTAIN);
    expect(top2[4]).toBe('Political Events');
  });

  it('formula injection: text cells starting with = + - @ get a quote; numbers do not', () => {
    const hostile = runResult(['=HYPERLINK("http://x").jpg', '+1.jpg', '-2.jpg', '@cmd.jpg', 'safe.jpg'].map((p) => image(p)));
    const rows = parseCsv(toCsv(hostile, { topK: 1 })).slice(1);
    expect(rows.map((r) => r[0])).toEqual(["'+1.jpg", "'-2.jpg", "'=HYPERLINK(\"http://x\").jpg", "'@cmd.jpg", 'safe.jpg']);
    expect(rows[0][3]).toBe('71.31');
    const raw = parseCsv(toCsv(hostile, { topK: 1, escapeFormulas: false })).slice(1);
    expect(raw.map((r) => r[0])).toContain('=HYPERLINK("http://x").jpg');
  });

  it.each(FORMULA_CASES)('formula injection: a path or label starting with %s gets a quote', (_name, text) => {
    const hostile = runResult([image(`${text}.jpg`, { label: text, top: [{ category: 'Political Events', label: text, probability: 50 }] })]);
    const [, row] = readRfc4180(toCsv(hostile, { topK: 1 }));
    expect([row[0], row[2]]).toEqual([`'${text}.jpg`, `'${text}`]);
  });

  it('has no byte-order mark, so the first column is exactly "Image"', () => {
    expect(toCsv(result).startsWith('Image,')).toBe(true);
  });
});

describe('JSON: everything, stable key order', () => {
  // Deliberately scrambled key order and an absPath that must never be written.
  const scrambled = {
    ...image('b.jpg'),
    absPath: '/home/someone/secret/b.jpg',
    categories: { 'Interviews & Media': 73.21875, 'Political Events': 26.78125 },
  } as ImageResult;
  const reordered = Object.fromEntries(Object.entries(scrambled).reverse()) as unknown as ImageResult;
  const result = runResult([reordered, image('a.jpg')]);
  const text = toJson(result);
  const parsed = JSON.parse(text);

  it('pretty-printed with a trailing newline and the documented key order', () => {
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "schema": "clipscope.results/v1",\n');
    expect(Object.keys(parsed)).toEqual(['schema', 'run', 'dictionary', 'images', 'skipped', 'stats']);
    expect(Object.keys(parsed.run)).toEqual(['clipscopeVersion', 'startedAt', 'model', 'dictionary', 'scoring', 'topK', 'column', 'thresholds']);
    expect(Object.keys(parsed.images[1])).toEqual(['path', 'sha256', 'size', 'category', 'label', 'probability', 'margin', 'top', 'categories']);
  });

  it('images sorted by path; category maps in dictionary order; values unrounded', () => {
    expect(parsed.images.map((i: ImageResult) => i.path)).toEqual(['a.jpg', 'b.jpg']);
    expect(Object.keys(parsed.images[1].categories)).toEqual(['Political Events', 'Interviews & Media']);
    expect(parsed.images[1].probability).toBe(71.3125);
    expect(parsed.skipped).toEqual([{ path: 'broken.jpg', reason: 'not an image' }]);
    expect(parsed.stats).toEqual({ images: 3, embedded: 2, fromCache: 0, skipped: 1, seconds: 1.5 });
  });

  it('never writes absolute paths', () => {
    expect(text).not.toContain('absPath');
    expect(text).not.toContain('/home/someone');
  });

  it('the same result built in another key order gives the same bytes', () => {
    expect(toJson(runResult([image('a.jpg'), scrambled]))).toBe(text);
  });
});

describe('chunked output (csvChunks, jsonChunks): a large run is written in pieces, byte for byte the whole text', () => {
  // Paths and categories with what JSON and CSV must escape: quotes, commas, line breaks, a formula.
  const many = Array.from({ length: 1234 }, (_, i) =>
    image(`${i % 7 === 0 ? '=cmd|' : ''}dir "${i % 3}",\n/img-${String(i).padStart(5, '0')}.jpg`, { probability: i / 7, margin: i % 2 ? 0.5 : 1e-7 }),
  ).reverse();
  const extra: ExtraColumns = { columns: [{ csv: 'validated', json: 'validated' }], values: (img) => (img.path.endsWith('1.jpg') ? ['right'] : null) };
  const cases: [string, RunResult][] = [
    ['no images', runResult([])],
    ['one image', runResult([image('a.jpg')])],
    ['1,234 images', runResult(many)],
  ];

  it.each(cases)('JSON, %s: the same bytes as JSON.stringify of the whole, with 2-space indent', (_, result) => {
    for (const opts of [{}, { extra }]) {
      const pieces = [...jsonChunks(result, opts)];
      const text = pieces.join('');
      expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
      expect(text).toBe(toJson(result, opts));
      expect(JSON.parse(text).images).toHaveLength(result.images.length);
      if (result.images.length > 1000) expect(pieces.length).toBeGreaterThan(3 + 6 * 2); // the images in several pieces
    }
    const withExtra = JSON.parse(toJson(result, { extra }));
    expect(withExtra.images.filter((i: { validated?: string }) => i.validated === 'right')).toHaveLength(result.images.filter((i) => i.path.endsWith('1.jpg')).length);
  });

  it.each(cases)('CSV, %s: the same bytes as one csv-stringify call over every row', (_, result) => {
    for (const opts of [{ topK: 1 }, { topK: 2, extra }, { topK: 1, escapeFormulas: false }]) {
      const { header, rows } = toCsvRows(result, opts);
      const escaped = (row: readonly (string | number)[]) => (opts.escapeFormulas === false ? row : row.map(escapeFormula));
      const pieces = [...csvChunks(result, opts)];
      expect(pieces.join('')).toBe(csvText([header, ...rows].map(escaped)));
      expect(pieces.join('')).toBe(toCsv(result, opts));
      if (result.images.length > 1000) expect(pieces.length).toBeGreaterThan(2);
    }
  });

  it('writeResults streams the pieces into the files: the same bytes as the texts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clipscope-chunks-'));
    try {
      const result = runResult(many);
      await writeResults(result, { csv: join(dir, 'r.csv'), json: join(dir, 'r.json'), extra });
      expect(await readFile(join(dir, 'r.json'), 'utf8')).toBe(toJson(result, { extra }));
      expect(await readFile(join(dir, 'r.csv'), 'utf8')).toBe(toCsv(result, { extra }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('writeResults and writeFileAtomic', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clipscope-results-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const result = runResult([image('a.jpg')]);

  it('writes the CSV and JSON, replacing old files, leaving no temporary files', async () => {
    const csv = join(dir, 'results.csv');
    const json = join(dir, 'results.json');
    await writeFile(csv, 'old csv');
    await writeResults(result, { csv, json, topK: 1, column: 'Classification' });
    expect(parseCsv(await readFile(csv, 'utf8'))[0].slice(0, 4)).toEqual(SEED_TOP1);
    expect(JSON.parse(await readFile(json, 'utf8')).images[0].path).toBe('a.jpg');
    expect((await readdir(dir)).sort()).toEqual(['results.csv', 'results.json']);
  });

  it.each(['ENOSPC', 'EDQUOT'])('%s: a clear error, the previous results intact, no temporary file left', async (code) => {
    const csv = join(dir, `full-${code}.csv`);
    await writeFile(csv, 'previous complete results\n');
    fault.code = code;
    try {
      await expect(writeResults(result, { csv, topK: 1 })).rejects.toMatchObject({
        name: 'ClipscopeError',
        kind: 'io',
        message: expect.stringMatching(new RegExp(`Disk full while writing ${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\. The previous file \\(if any\\) is intact\\.`)),
        hint: expect.stringMatching(/Free some space/),
      });
    } finally {
      fault.code = null;
    }
    expect(await readFile(csv, 'utf8')).toBe('previous complete results\n');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a missing output folder is named', async () => {
    const target = join(dir, 'no-such-folder', 'r.json');
    await expect(writeFileAtomic(target, '{}')).rejects.toMatchObject({ kind: 'io', message: expect.stringContaining(`Cannot write ${target}: its folder does not exist`) });
  });

  it('writes bytes exactly', async () => {
    const target = join(dir, 'bytes.bin');
    await writeFileAtomic(target, Uint8Array.from([0, 255, 10]));
    expect([...(await readFile(target))]).toEqual([0, 255, 10]);
  });

  it('writes a long text in pieces, byte for byte, emoji and all', async () => {
    // 200,000 code units with surrogate pairs straddling the 65,536-unit piece boundaries.
    const text = `${'a'.repeat(65_535)}😀${'é€'.repeat(33_000)}😀`.repeat(2);
    const target = join(dir, 'long.txt');
    await writeFileAtomic(target, text);
    expect(await readFile(target, 'utf8')).toBe(text);
  });
});

describe('textPieces', () => {
  it.each([
    ['', 4, []],
    ['abcdefgh', 4, ['abcd', 'efgh']],
    ['abcdefghi', 4, ['abcd', 'efgh', 'i']],
    ['abc😀fgh', 4, ['abc', '😀fg', 'h']],
    ['😀😀', 2, ['😀', '😀']],
    ['a😀b', 2, ['a', '😀', 'b']],
  ] as const)('%j in pieces of %i', (text, size, pieces) => {
    expect([...textPieces(text, size)]).toEqual(pieces);
    expect([...textPieces(text, size)].join('')).toBe(text);
  });
});
