// clipscope against Hugging Face's own code: tiny random SigLIP models built, run and exported by
// transformers (scripts/reference/make_hf_fixtures.py), whose outputs are committed in
// test/fixtures/models/<model>/reference.json. No Python runs here.
//
// Preprocessing differs in implementation (clipscope resizes with libvips, HF with PIL), so the test
// images are ones where the resize is well-defined: the model's exact size (32×32, no resize) and
// integer-factor downscales (64 → 32, 96 → 32), PNG and JPEG. Tolerances:
// - token ids exact; text embeddings cosine ≥ 0.9999 (ONNX vs PyTorch, float32);
// - images at the model's size (no resize): embeddings cosine ≥ 0.99999, logits within 0.01,
//   probabilities (percent) within 0.05 points;
// - downscaled images: cosine ≥ 0.9999, logits within 0.1, probabilities within 1 point. BILINEAR
//   (siglip-tiny) runs Pillow's arithmetic (decode.ts) and meets the tight tolerances; BICUBIC
//   (siglip2-tiny) runs libvips, whose cubic differs slightly from PIL's: measured cosine 0.999985
//   and 0.52 points of sigmoid probability on rings-96.png (concentric rings downscaled 3×, the
//   worst case; random tiny towers amplify pixel differences more than trained ones).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type ClipModel } from '../../integrations/engine/model/load.ts';
import { preprocessImage, tensorSize } from '../../integrations/engine/preprocess.ts';
import { scoreImages } from '../../integrations/engine/score.ts';

const ROOT = 'test/fixtures/models';

interface Reference {
  logit_scale: number;
  logit_bias: number;
  max_length: number;
  phrases: string[];
  categories: string[];
  input_ids: number[][];
  images: string[];
  image_embeds: number[][];
  text_embeds: number[][];
  logits_per_image: number[][];
  softmax: number[][];
  sigmoid: number[][];
}

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
};

/** Images at the model's 32×32 need no resize; the others are downscaled. */
const tolerance = (image: string) =>
  image.endsWith('-32.png') ? { cosine: 0.99999, logit: 0.01, points: 0.05 } : { cosine: 0.9999, logit: 0.1, points: 1 };

const cases = [
  { name: 'siglip-tiny', source: 'onnx/model.onnx', resample: 2 },
  { name: 'siglip2-tiny', source: 'model.safetensors', resample: 3 },
] as const;

describe.each(cases)('$name against transformers (SiglipModel)', ({ name, source, resample }) => {
  const dir = join(ROOT, name);
  let ref: Reference;
  let model: ClipModel;
  let imageEmbeds: Float32Array;
  let textEmbeds: Float32Array;

  beforeAll(async () => {
    ref = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8'));
    model = await loadModel(dir, { threads: 1 });
    const cfg = model.info.preprocess;
    const pixels = new Float32Array(ref.images.length * tensorSize(cfg));
    for (const [i, file] of ref.images.entries()) {
      await preprocessImage(await readFile(join(ROOT, 'images', file)), cfg, pixels, i * tensorSize(cfg));
    }
    imageEmbeds = await model.embedImages(pixels, ref.images.length);
    textEmbeds = await model.embedTexts(ref.phrases.map((p) => model.tokenizer.encode(p)));
  });
  afterAll(() => model?.close());

  it('is detected as SigLIP from config.json, with the logit scale and bias read from the weights', () => {
    expect(model.info.family).toBe('siglip');
    expect(model.info.logitSource).toBe(source);
    expect(model.info.logitScale).toBeCloseTo(ref.logit_scale, 4);
    expect(model.info.logitBias).toBeCloseTo(ref.logit_bias, 5);
    expect(model.info.contextLength).toBe(64);
    expect(model.info.preprocess).toMatchObject({ exactResize: true, cropHeight: 32, cropWidth: 32, resample, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  });

  it("gives Hugging Face's token ids, padded to exactly 64 (no start token, end token kept when cut)", () => {
    const tok = model.tokenizer;
    expect(tok.bosId).toBeNull();
    expect(tok.padTo).toBe(64);
    const ids = ref.phrases.map((p) => {
      const t = tok.encode(p);
      return [...t.ids, ...new Array(tok.padTo! - t.ids.length).fill(tok.padId)];
    });
    expect(ids).toEqual(ref.input_ids);
    const long = tok.encode(ref.phrases[ref.phrases.length - 1]);
    expect(long.truncated).toBe(true);
    expect(long.ids.at(-1)).toBe(tok.eosId);
  });

  it("gives Hugging Face's text embeddings (cosine ≥ 0.9999)", () => {
    const dim = model.info.projectionDim;
    const worst = Math.min(...ref.text_embeds.map((e, i) => cosine(textEmbeds.subarray(i * dim, (i + 1) * dim), e)));
    expect(worst).toBeGreaterThanOrEqual(0.9999);
  });

  it("gives Hugging Face's image embeddings on exact-size and integer-factor images (cosine ≥ 0.9999)", () => {
    const dim = model.info.projectionDim;
    const cos = ref.image_embeds.map((e, i) => cosine(imageEmbeds.subarray(i * dim, (i + 1) * dim), e));
    for (const [i, c] of cos.entries()) expect(c, ref.images[i]).toBeGreaterThanOrEqual(tolerance(ref.images[i]).cosine);
  });

  it('gives logits_per_image, softmax and sigmoid probabilities within tolerance', () => {
    const dim = model.info.projectionDim;
    const phrases = ref.phrases.map((text, i) => ({ text, category: ref.categories[i] }));
    const categories = [...new Set(ref.categories)];
    const score = (mode: 'seed' | 'sigmoid') =>
      scoreImages({
        imageEmbeds, count: ref.images.length, dim, textEmbeds, phrases, categories, mode,
        logitScale: model.info.logitScale, logitBias: model.info.logitBias, topK: ref.phrases.length,
      });
    const seed = score('seed');
    const sigmoid = score('sigmoid');
    for (let i = 0; i < ref.images.length; i++) {
      const tol = tolerance(ref.images[i]);
      const img = imageEmbeds.subarray(i * dim, (i + 1) * dim);
      for (let p = 0; p < ref.phrases.length; p++) {
        const logit = model.info.logitScale * cosine(img, textEmbeds.subarray(p * dim, (p + 1) * dim)) + model.info.logitBias;
        expect(Math.abs(logit - ref.logits_per_image[i][p])).toBeLessThan(tol.logit);
      }
      // seed: top lists the phrases ranked; each phrase's softmax share against HF's.
      for (const choice of seed[i].top) {
        const p = ref.phrases.indexOf(choice.label);
        expect(Math.abs(choice.probability - 100 * ref.softmax[i][p])).toBeLessThan(tol.points);
      }
      // sigmoid: a category's probability is its best phrase's sigmoid.
      for (const c of categories) {
        const best = Math.max(...ref.phrases.map((_, p) => (ref.categories[p] === c ? 100 * ref.sigmoid[i][p] : -Infinity)));
        expect(Math.abs(sigmoid[i].categories[c] - best)).toBeLessThan(tol.points);
      }
      const above = categories.filter((c) => sigmoid[i].categories[c] >= 50);
      expect(new Set(sigmoid[i].labels)).toEqual(new Set(above));
    }
  });
});
