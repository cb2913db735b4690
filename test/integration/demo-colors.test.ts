// models/demo-colors: the hand-set colour model the demo report runs on. Generated into a temporary
// folder and loaded by the same loader as a real CLIP export; checks that its graphs match the
// TypeScript description of the model, that colour words mean the colours they name, and that the
// demo dictionary puts the 14 demo images where a person would (through the real classify()).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type ClipModel } from '../../integrations/engine/model/load.ts';
import { classify } from '../../integrations/engine/run.ts';
import {
  buildTextGraph,
  buildVisionGraph,
  CLIP_MEAN,
  CLIP_STD,
  colourWordIds,
  EMBED_DIM,
  embedPixels,
  TUNING,
  writeDemoColorsModel,
  type Rgb,
} from '../../scripts/models/demo-colors.ts';

const ROOT = join(import.meta.dirname, '../..');
const SIZE = 224;
const PIXELS = SIZE * SIZE;

let tmp: string;
let dir: string;
let model: ClipModel;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-demo-colors-'));
  dir = join(tmp, 'demo-colors');
  await writeDemoColorsModel(dir);
  model = await loadModel(dir, { threads: 1 });
});
afterAll(async () => {
  await model?.close();
  await rm(tmp, { recursive: true, force: true });
});

/** A synthetic picture: vertical stripes of the given sRGB (0..255) colours with relative widths. */
function stripes(colours: ReadonlyArray<readonly [Rgb, number]>): Uint8Array {
  const total = colours.reduce((s, [, w]) => s + w, 0);
  const columns: Rgb[] = [];
  for (const [rgb, w] of colours) for (let i = 0; i < Math.round((w / total) * SIZE); i++) columns.push(rgb);
  while (columns.length < SIZE) columns.push(colours[colours.length - 1][0]);
  const out = new Uint8Array(PIXELS * 3);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) out.set(columns[x], (y * SIZE + x) * 3);
  return out;
}

/** HWC sRGB bytes → CLIP-normalised CHW floats, as the engine's preprocessing produces them. */
function normalise(images: Uint8Array[]): Float32Array {
  const out = new Float32Array(images.length * 3 * PIXELS);
  images.forEach((rgb, i) => {
    for (let p = 0; p < PIXELS; p++) {
      for (let c = 0; c < 3; c++) out[(i * 3 + c) * PIXELS + p] = (rgb[p * 3 + c] / 255 - CLIP_MEAN[c]) / CLIP_STD[c];
    }
  });
  return out;
}

async function embedTexts(texts: string[]): Promise<Float32Array[]> {
  const flat = await model.embedTexts(texts.map((t) => model.tokenizer.encode(t)));
  return texts.map((_, i) => flat.slice(i * EMBED_DIM, (i + 1) * EMBED_DIM));
}

async function embedImages(images: Uint8Array[]): Promise<Float32Array[]> {
  const flat = await model.embedImages(normalise(images), images.length);
  return images.map((_, i) => flat.slice(i * EMBED_DIM, (i + 1) * EMBED_DIM));
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const unit = (v: Float32Array) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('generation', () => {
  it('writes a Hugging Face ONNX model folder the CLIP loader reads, with the demo logit scale', async () => {
    for (const f of ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config.model_type).toBe('clip');
    expect(config.projection_dim).toBe(EMBED_DIM);
    expect(model.info.projectionDim).toBe(EMBED_DIM);
    expect(model.info.logitScale).toBe(TUNING.logitScale);
    expect(model.info.preprocess.mean).toEqual([...CLIP_MEAN]);
  });

  it('is deterministic: the same graphs give the same bytes, and the written files are those bytes', async () => {
    const vision = buildVisionGraph().toBytes();
    const text = buildTextGraph().toBytes();
    expect(Buffer.from(buildVisionGraph().toBytes()).equals(Buffer.from(vision))).toBe(true);
    expect(Buffer.from(buildTextGraph().toBytes()).equals(Buffer.from(text))).toBe(true);
    expect((await readFile(join(dir, 'onnx/vision_model.onnx'))).equals(Buffer.from(vision))).toBe(true);
    expect((await readFile(join(dir, 'onnx/text_model.onnx'))).equals(Buffer.from(text))).toBe(true);
  });

  it('finds the colour words in the real CLIP vocabulary, multi-token words by a distinctive first fragment', () => {
    const { rows, skipped } = colourWordIds();
    const byWord = new Map(rows.map((r) => [r.word, r]));
    // Ids as OpenAI's tokenizer gives them ("red</w>" is 736).
    expect(byWord.get('red')).toEqual({ word: 'red', id: 736, token: 'red</w>' });
    expect(byWord.get('colourful')?.id).toBe(15562);
    expect(byWord.get('colorful')?.id).toBe(11444);
    expect(byWord.get('grey')?.id).toBe(5046);
    expect(byWord.get('gray')?.id).toBe(7048);
    // "greyscale" is grey + scale</w>: its row sits on the word-start fragment "grey" (not "grey</w>").
    expect(byWord.get('greyscale')).toEqual({ word: 'greyscale', id: 9190, token: 'grey' });
    expect(model.tokenizer.encode('greyscale').ids).toEqual([49406, 9190, 5879, 49407]);
    expect(skipped).toEqual([]);
    // Start, end and padding tokens never carry a colour.
    expect(rows.some((r) => r.id >= 49406)).toBe(false);
  });
});

describe('image tower', () => {
  it('computes what the TypeScript description of the model computes (tolerance 1e-4)', async () => {
    const picture = stripes([
      [[200, 40, 30], 3],
      [[20, 20, 20], 2],
      [[240, 240, 235], 1],
      [[60, 90, 200], 2],
      [[140, 90, 50], 1],
    ]);
    const [fromGraph] = await embedImages([picture]);
    const pixels = Array.from({ length: PIXELS }, (_, p) => ({
      rgb: [picture[p * 3] / 255, picture[p * 3 + 1] / 255, picture[p * 3 + 2] / 255] as Rgb,
      weight: 1,
    }));
    const fromMirror = unit(embedPixels(pixels));
    for (let d = 0; d < EMBED_DIM; d++) expect(Math.abs(fromGraph[d] - fromMirror[d])).toBeLessThan(1e-4);
  });

  // Which of these phrases fits a synthetic picture best. The picture is what a person would call
  // the expected phrase; the other phrases compete.
  const PHRASES = [
    'a red picture', 'an orange picture', 'a yellow picture', 'a green picture', 'a blue picture',
    'a purple picture', 'a pink picture', 'a brown picture', 'a black picture', 'a white picture',
    'a grey picture', 'a colourful picture', 'a black and white picture', 'a dark picture',
  ];
  const CASES: Array<[string, ReadonlyArray<readonly [Rgb, number]>, string]> = [
    ['pure red', [[[255, 0, 0], 1]], 'a red picture'],
    ['firebrick', [[[178, 34, 34], 1]], 'a red picture'],
    ['orange', [[[255, 165, 0], 1]], 'an orange picture'],
    ['yellow', [[[255, 255, 0], 1]], 'a yellow picture'],
    ['green', [[[0, 128, 0], 1]], 'a green picture'],
    ['royal blue', [[[65, 105, 225], 1]], 'a blue picture'],
    ['purple', [[[128, 0, 128], 1]], 'a purple picture'],
    ['hot pink', [[[255, 105, 180], 1]], 'a pink picture'],
    ['saddle brown', [[[139, 69, 19], 1]], 'a brown picture'],
    ['black', [[[0, 0, 0], 1]], 'a black picture'],
    ['white', [[[255, 255, 255], 1]], 'a white picture'],
    ['mid grey', [[[128, 128, 128], 1]], 'a grey picture'],
    ['rainbow stripes', [[[255, 0, 0], 1], [[255, 165, 0], 1], [[255, 255, 0], 1], [[0, 160, 0], 1], [[0, 0, 255], 1], [[128, 0, 128], 1]], 'a colourful picture'],
    ['black and white halves', [[[0, 0, 0], 1], [[255, 255, 255], 1]], 'a black and white picture'],
    ['dark, faintly tinted', [[[16, 16, 16], 6], [[48, 16, 16], 1], [[16, 32, 48], 1]], 'a dark picture'],
  ];

  it.each(CASES)('%s → "%s"', async (_name, colours, expected) => {
    const [image] = await embedImages([stripes(colours)]);
    const texts = await embedTexts(PHRASES);
    const cos = texts.map((t) => dot(t, image));
    const best = cos.indexOf(Math.max(...cos));
    expect(PHRASES[best]).toBe(expected);
    // Clearly ahead: at least 0.04 cosine (a factor e^0.8 ≈ 2.2 in probability at logit scale 20).
    const runnerUp = Math.max(...cos.filter((_, i) => i !== best));
    expect(cos[best] - runnerUp).toBeGreaterThan(0.04);
  });

  it('sees greyscale pictures as monochrome and warm colours as warm, blue as cold', async () => {
    const [grey, coffee, sea] = await embedImages([
      stripes([[[30, 30, 30], 1], [[120, 120, 120], 2], [[220, 220, 220], 1]]),
      stripes([[[120, 70, 35], 2], [[170, 40, 30], 1], [[230, 200, 170], 1]]),
      stripes([[[30, 60, 160], 2], [[40, 170, 190], 1], [[20, 30, 90], 1]]),
    ]);
    const [mono, colourful, warm, cold] = await embedTexts(['a monochrome photo', 'a colourful photo', 'a warm photo', 'a cold photo']);
    expect(dot(grey, mono)).toBeGreaterThan(dot(grey, colourful) + 0.3);
    expect(dot(coffee, warm)).toBeGreaterThan(dot(coffee, cold) + 0.3);
    expect(dot(sea, cold)).toBeGreaterThan(dot(sea, warm) + 0.3);
  });
});

describe('text tower', () => {
  it('gives a phrase without colour words an embedding orthogonal to every picture', async () => {
    const [nothing] = await embedTexts(['a photo of a horse']);
    expect(nothing.every(Number.isFinite)).toBe(true);
    expect(Math.hypot(...nothing)).toBeCloseTo(1, 5);
    const images = await embedImages([stripes([[[255, 0, 0], 1]]), stripes([[[0, 0, 0], 1], [[255, 255, 255], 1]])]);
    for (const image of images) expect(Math.abs(dot(nothing, image))).toBeLessThan(1e-6);
  });

  it('ignores padding and non-colour words: only the colour words of a phrase count', async () => {
    // Batched with a longer phrase, "red" is padded with end tokens; the words around it add nothing.
    const [alone, padded, framed] = (await embedTexts(['red', 'a photo of something else entirely, in red', 'red'])).map(unit);
    const [inBatch] = await embedTexts(['a red picture']);
    for (let d = 0; d < EMBED_DIM; d++) {
      expect(Math.abs(padded[d] - alone[d])).toBeLessThan(1e-3);
      expect(Math.abs(inBatch[d] - framed[d])).toBeLessThan(1e-3);
    }
  });
});

// The demo: what a person would call each of the 14 images, and the category the demo dictionary
// (content/dictionary.yaml) must give it.
const DEMO_EXPECTED: Record<string, string> = {
  // Truly greyscale files (one channel): no colour at all.
  'brick.png': 'Black and white',
  'camera.png': 'Black and white',
  'clock_motion.png': 'Black and white',
  'coins.png': 'Black and white',
  'grass.png': 'Black and white',
  'gravel.png': 'Black and white',
  'text.png': 'Black and white',
  // A black silhouette on white (an RGBA file without any colour).
  'horse.png': 'Black and white',
  // Espresso in a red-brown cup on a brown wooden table.
  'coffee.png': 'Warm and brown',
  // A tabby/ginger cat: tan and brown fur.
  'chelsea.png': 'Warm and brown',
  // Orange space suit (shaded orange reads as orange-brown) on a grey studio background.
  'astronaut.png': 'Warm and brown',
  // Fundus photograph: an orange-red disc on black.
  'retina.jpg': 'Red',
  // Falcon 9 on the pad under a deep navy dusk sky.
  'rocket.jpg': 'Blue and cold',
  // Nearly black field with small coloured galaxies.
  'hubble_deep_field.jpg': 'Dark',
};

describe('the demo report', () => {
  for (const scoring of ['seed', 'ensemble'] as const) {
    it(`puts every demo image in the category a person would (${scoring} scoring), clearly ahead`, async () => {
      const result = await classify(
        { images: join(ROOT, 'content/images'), dictionary: join(ROOT, 'content/dictionary.yaml'), model: dir, cache: null, scoring },
        { log: () => {} },
      );
      const got = Object.fromEntries(result.images.map((r) => [r.path, r.category]));
      expect(got).toEqual(DEMO_EXPECTED);
      expect(result.run.model.logitScale).toBe(TUNING.logitScale);
      for (const image of result.images) {
        // The winning category holds most of the probability (measured: 95–100 %).
        expect(image.categories[image.category], image.path).toBeGreaterThan(85);
      }
    });
  }
});
