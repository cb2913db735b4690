// End to end on models/synthetic-tiny: classify() and the CSV it leads to must equal a reference
// computed OUTSIDE the engine — onnxruntime-node driven directly here, one image and one phrase at a
// time (text padded to 77, not to the batch's longest), on tensors from the preprocessing module, with
// the scoring math written out again in float64 below.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { preprocessConfigFrom, preprocessImage } from '../../integrations/engine/preprocess.ts';
import { readClipTokenizer } from '../../integrations/engine/model/tokenizer.ts';
import { classify } from '../../integrations/engine/run.ts';
import type { EmbedPhases } from '../../integrations/engine/embed.ts';
import { writeResults } from '../../integrations/engine/results.ts';
import type { RunResult, ScoringMode } from '../../integrations/core/types.ts';
import { readRfc4180Records } from '../fixtures/rfc4180.ts';

const ROOT = join(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'models/synthetic-tiny');
const LONG_PHRASE = `a clock ${Array.from({ length: 90 }, (_, i) => `tick${i}`).join(' ')}`;
const DICTIONARY = {
  Animals: ['a photo of a cat', 'a horse in a field'],
  Space: ['an astronaut', 'a rocket launch', 'the deep field of the hubble telescope'],
  Textures: ['brick wall', 'gravel', 'grass'],
  Objects: ['a cup of coffee', 'coins', 'a camera', LONG_PHRASE],
};
/** CSV percentages are rounded to 2 decimals; allow the rounding plus float32 noise. */
const CSV_TOLERANCE = 0.0051 + 1e-3;
/** Unrounded percentages (JSON) between engine and reference: float32 inference, batched vs alone. */
const PERCENT_TOLERANCE = 1e-3;
/** ln(percent) between engine and reference: 1e-3 = 1e-5 in cosine at logit scale 100. */
const LOG_TOLERANCE = 1e-3;

let tmp: string;
let images: string;
let dictionary: string;

interface Reference {
  /** path → L2-normalised embedding (float64). */
  image: Map<string, Float64Array>;
  /** phrase → L2-normalised embedding (float64). */
  text: Map<string, Float64Array>;
}
let reference: Reference;

function normalized(v: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(v as ArrayLike<number>);
  const n = Math.hypot(...out);
  return out.map((x) => x / n);
}
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);
function softmaxPercent(logits: number[]): number[] {
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => (100 * x) / sum);
}

interface Expected {
  category: string;
  label: string;
  probability: number;
  categories: Record<string, number>;
  top: { category: string; label: string; probability: number }[];
}

/** The three scoring modes, from the reference embeddings (logit scale 100: the config states none). */
function expectedFor(path: string, mode: ScoringMode, topK: number): Expected {
  const img = reference.image.get(path)!;
  const phrases = Object.entries(DICTIONARY).flatMap(([category, list]) => list.map((text) => ({ category, text })));
  const names = Object.keys(DICTIONARY);
  const cos = phrases.map((p) => dot(img, reference.text.get(p.text)!));
  const byDesc = (values: number[]) => values.map((_v, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  if (mode === 'ensemble') {
    const centroids = names.map((c) => {
      const rows = DICTIONARY[c as keyof typeof DICTIONARY].map((t) => reference.text.get(t)!);
      return normalized(rows[0].map((_, k) => rows.reduce((s, r) => s + r[k], 0) / rows.length));
    });
    const probs = softmaxPercent(centroids.map((c) => 100 * dot(img, c)));
    const bestPhrase = (c: string) => phrases.map((p, i) => ({ ...p, cos: cos[i] })).filter((p) => p.category === c).sort((a, b) => b.cos - a.cos)[0].text;
    const top = byDesc(probs).slice(0, topK).map((c) => ({ category: names[c], label: bestPhrase(names[c]), probability: probs[c] }));
    return { ...top[0], top, categories: Object.fromEntries(names.map((n, c) => [n, probs[c]])) };
  }
  const probs = softmaxPercent(cos.map((c) => 100 * c));
  const catProbs = names.map((n) => phrases.reduce((s, p, i) => s + (p.category === n ? probs[i] : 0), 0));
  const categories = Object.fromEntries(names.map((n, c) => [n, catProbs[c]]));
  if (mode === 'seed') {
    const top = byDesc(probs).slice(0, topK).map((i) => ({ category: phrases[i].category, label: phrases[i].text, probability: probs[i] }));
    return { ...top[0], top, categories };
  }
  const bestPhrase = (c: string) => phrases.map((p, i) => ({ ...p, prob: probs[i] })).filter((p) => p.category === c).sort((a, b) => b.prob - a.prob)[0].text;
  const top = byDesc(catProbs).slice(0, topK).map((c) => ({ category: names[c], label: bestPhrase(names[c]), probability: catProbs[c] }));
  return { ...top[0], top, categories };
}

async function computeReference(readable: string[]): Promise<Reference> {
  const cfg = preprocessConfigFrom(JSON.parse(await readFile(join(MODEL, 'preprocessor_config.json'), 'utf8')), 'preprocessor_config.json');
  const vision = await ort.InferenceSession.create(join(MODEL, 'onnx/vision_model.onnx'));
  const text = await ort.InferenceSession.create(join(MODEL, 'onnx/text_model.onnx'));
  const image = new Map<string, Float64Array>();
  for (const path of readable) {
    const { tensor } = await preprocessImage(await readFile(join(images, path)), cfg);
    const out = await vision.run({ pixel_values: new ort.Tensor('float32', tensor, [1, 3, cfg.cropHeight, cfg.cropWidth]) });
    image.set(path, normalized(out.image_embeds.data as Float32Array));
  }
  const tokenizer = await readClipTokenizer(MODEL);
  const textMap = new Map<string, Float64Array>();
  for (const phrase of Object.values(DICTIONARY).flat()) {
    const ids = tokenizer.encode(phrase).ids;
    const padded = Array.from({ length: 77 }, (_, i) => BigInt(i < ids.length ? ids[i] : tokenizer.padId));
    const mask = Array.from({ length: 77 }, (_, i) => BigInt(i < ids.length ? 1 : 0));
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', BigInt64Array.from(padded), [1, 77]) };
    if (text.inputNames.includes('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', BigInt64Array.from(mask), [1, 77]);
    const out = await text.run(feeds);
    textMap.set(phrase, normalized(out.text_embeds.data as Float32Array));
  }
  await vision.release();
  await text.release();
  return { image, text: textMap };
}

const readablePaths: string[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-classify-'));
  images = join(tmp, 'images');
  await mkdir(join(images, 'copies'), { recursive: true });
  for (const name of await readdir(join(ROOT, 'content/images'))) {
    if (!/\.(png|jpe?g)$/i.test(name)) continue;
    await cp(join(ROOT, 'content/images', name), join(images, name));
    readablePaths.push(name);
  }
  // The same bytes under a second name (embedded once), a file that is not an image, an empty one.
  await cp(join(ROOT, 'content/images/horse.png'), join(images, 'copies/horse again.png'));
  readablePaths.push('copies/horse again.png');
  await writeFile(join(images, 'broken.jpg'), Buffer.from('this is not a JPEG at all'));
  await writeFile(join(images, 'empty.png'), Buffer.alloc(0));
  dictionary = join(tmp, 'dictionary.json');
  await writeFile(dictionary, JSON.stringify(DICTIONARY));
  reference = await computeReference(readablePaths);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function run(extra: Record<string, unknown> = {}, logs: string[] = []): Promise<RunResult> {
  return classify(
    { images, dictionary, model: MODEL, cache: null, threads: 1, ...extra },
    { log: (m) => logs.push(m), now: () => new Date('2026-01-02T03:04:05Z') },
  );
}

describe('classify() on synthetic-tiny', () => {
  const results = new Map<ScoringMode, RunResult>();
  const logs: string[] = [];
  beforeAll(async () => {
    for (const mode of ['seed', 'sum', 'ensemble'] as const) results.set(mode, await run({ scoring: mode, batchSize: 4 }, logs));
  });

  it.each(['seed', 'sum', 'ensemble'] as const)('%s: every image equals the reference (categories, labels, percentages)', (mode) => {
    const result = results.get(mode)!;
    expect(result.images.map((i) => i.path)).toEqual([...readablePaths].sort());
    for (const image of result.images) {
      const want = expectedFor(image.path, mode, 1);
      expect([image.path, image.category, image.label]).toEqual([image.path, want.category, want.label]);
      expect(Math.abs(image.probability - want.probability)).toBeLessThan(PERCENT_TOLERANCE);
      for (const [name, p] of Object.entries(want.categories)) {
        expect(Math.abs(image.categories[name] - p)).toBeLessThan(PERCENT_TOLERANCE);
        // Small probabilities too, relatively: their logarithms are the logits (up to a constant),
        // so this checks the logit scale even where the winner's probability saturates at 100 %.
        if (p > 1e-30) expect(Math.abs(Math.log(image.categories[name]) - Math.log(p))).toBeLessThan(LOG_TOLERANCE);
      }
    }
    // The images are not all alike: the comparison covers more than one label.
    expect(new Set(result.images.map((i) => i.label)).size).toBeGreaterThan(1);
  });

  it.each(['seed', 'sum', 'ensemble'] as const)('%s: the CSV parses to the seed columns with the reference values (±0.0061)', async (mode) => {
    const csv = join(tmp, `${mode}.csv`);
    await writeResults(results.get(mode)!, { csv });
    const rows: Record<string, string>[] = readRfc4180Records(await readFile(csv, 'utf8'));
    expect(Object.keys(rows[0]).slice(0, 4)).toEqual(['Image', 'Classification', 'Classification Label', 'Classification Probability']);
    expect(rows.map((r) => r.Image)).toEqual([...readablePaths].sort());
    for (const row of rows) {
      const want = expectedFor(row.Image, mode, 1);
      expect([row.Image, row.Classification, row['Classification Label']]).toEqual([row.Image, want.category, want.label]);
      expect(Math.abs(Number(row['Classification Probability']) - want.probability)).toBeLessThan(CSV_TOLERANCE);
    }
  });

  it('seed with --top-k 2: the two best phrases per image in the _1/_2 columns', async () => {
    const result = await run({ scoring: 'seed', topK: 2, column: 'Type' });
    const csv = join(tmp, 'top2.csv');
    await writeResults(result, { csv });
    const rows: Record<string, string>[] = readRfc4180Records(await readFile(csv, 'utf8'));
    expect(Object.keys(rows[0]).slice(0, 7)).toEqual(['Image', 'Type_1', 'Type_label_1', 'Type_prob_1', 'Type_2', 'Type_label_2', 'Type_prob_2']);
    for (const row of rows) {
      const want = expectedFor(row.Image, 'seed', 2);
      for (const r of [1, 2]) {
        expect(row[`Type_${r}`]).toBe(want.top[r - 1].category);
        expect(row[`Type_label_${r}`]).toBe(want.top[r - 1].label);
        expect(Math.abs(Number(row[`Type_prob_${r}`]) - want.top[r - 1].probability)).toBeLessThan(CSV_TOLERANCE);
      }
    }
  });

  it('lists the undecodable images with a reason and classifies the rest', () => {
    const result = results.get('seed')!;
    expect(result.skipped.map((s) => s.path)).toEqual(['broken.jpg', 'empty.png']);
    for (const s of result.skipped) expect(s.reason.length).toBeGreaterThan(3);
    expect(result.stats).toMatchObject({ images: readablePaths.length, skipped: 2, fromCache: 0 });
    // horse.png and copies/horse again.png hold the same bytes: one inference for both.
    expect(result.stats.embedded).toBe(readablePaths.length - 1);
    const horses = result.images.filter((i) => i.path.endsWith('.png') && i.path.includes('horse'));
    expect(horses).toHaveLength(2);
    expect(horses[0].sha256).toBe(horses[1].sha256);
  });

  it('records run metadata, token counts, and reports the cut phrase', () => {
    const result = results.get('seed')!;
    expect(result.run).toMatchObject({
      model: { name: 'synthetic-tiny', logitScale: 100, projectionDim: 32, variant: 'fp32' },
      dictionary: { source: 'dictionary.json', categories: 4, phrases: 12 },
      scoring: 'seed',
      topK: 1,
      column: 'Classification',
      thresholds: { minProbability: null, minMargin: null },
      startedAt: '2026-01-02T03:04:05.000Z',
    });
    expect(result.run.clipscopeVersion).toMatch(/^\d+\.\d+\.\d+/);
    const long = result.dictionary.categories[3].phrases[3];
    expect(long).toMatchObject({ text: LONG_PHRASE, truncated: true });
    expect(long.tokenCount).toBeGreaterThan(77);
    expect(result.dictionary.categories[0].phrases[0]).toMatchObject({ truncated: false, tokenCount: 7 });
    expect(logs.some((l) => l.includes('has ' + long.tokenCount + ' tokens') && l.includes('Objects'))).toBe(true);
  });

  it('puts no absolute path into the result', () => {
    const text = JSON.stringify(results.get('sum'));
    expect(text).not.toContain(tmp);
    expect(text).not.toContain('absPath');
  });

  it('gives the same results with batch size 1 and 7 (tolerance 1e-4)', async () => {
    const [one, seven] = [await run({ batchSize: 1 }), await run({ batchSize: 7 })];
    expect(one.images.map((i) => [i.path, i.category, i.label])).toEqual(seven.images.map((i) => [i.path, i.category, i.label]));
    one.images.forEach((a, n) => {
      const b = seven.images[n];
      expect(Math.abs(a.probability - b.probability)).toBeLessThan(1e-4);
      for (const c of Object.keys(a.categories)) expect(Math.abs(a.categories[c] - b.categories[c])).toBeLessThan(1e-4);
    });
    expect(one.skipped).toEqual(seven.skipped);
  });

  it('puts images below a threshold into Uncertain', async () => {
    const result = await run({ minProbability: 99.9 });
    const plain = results.get('seed')!;
    plain.images.forEach((image, n) => {
      const got = result.images[n];
      expect(got.category).toBe(image.probability < 99.9 ? 'Uncertain' : image.category);
      expect(got.label).toBe(image.label);
    });
    expect(result.images.some((i) => i.category === 'Uncertain')).toBe(true);
  });
});

describe('classify() with the cache', () => {
  it('embeds each content once, then takes everything from the cache with identical results', async () => {
    const cache = join(tmp, 'cache');
    const progress: number[] = [];
    const phases: EmbedPhases[] = [];
    const first = await classify(
      { images, dictionary, model: MODEL, cache, threads: 1, batchSize: 5 },
      { log: () => {}, progress: (p) => progress.push(p.done), phases: (p) => phases.push(p) },
    );
    expect(first.stats).toMatchObject({ embedded: readablePaths.length - 1, fromCache: 0 });
    expect(progress.at(-1)).toBe(readablePaths.length + 1); // 14 distinct contents + 2 undecodable
    // One phase report per batch of 5, covering every content handed to the model.
    expect(phases.map((p) => p.images)).toEqual([5, 5, 5, 1]);
    for (const p of phases) expect(p.prepareSeconds >= 0 && p.inferSeconds > 0).toBe(true);
    const second = await classify({ images, dictionary, model: MODEL, cache, threads: 1 }, { log: () => {}, phases: (p) => phases.push(p) });
    expect(second.stats).toMatchObject({ embedded: 0, fromCache: readablePaths.length - 1, skipped: 2 });
    // Only the two undecodable files are tried again (a failure is not cached): one batch of 2.
    expect(phases.slice(4).map((p) => p.images)).toEqual([2]);
    expect(second.images).toEqual(first.images);
  });

  it('stops with a clear message on an unusable dictionary or image folder', async () => {
    const bad = join(tmp, 'bad.yaml');
    await writeFile(bad, 'Animals:\n  - "a cat"\nPlants:\n  - "a cat"\n');
    await expect(run({ dictionary: bad })).rejects.toMatchObject({ kind: 'dictionary' });
    await expect(run({ images: join(tmp, 'nope') })).rejects.toThrow(`Image folder ${join(tmp, 'nope')} does not exist`);
    await expect(run({ topK: 0 })).rejects.toThrow('Invalid value 0 for option topK (in options): expected an integer ≥ 1');
  });
});
