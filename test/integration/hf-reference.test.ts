// clipscope against Hugging Face's own code: tiny random SigLIP models — and a CLIP model as the
// control — built, run and exported by transformers (scripts/reference/make_hf_fixtures.py), whose
// outputs are committed in test/fixtures/models/<model>/reference.json. No Python runs here. The
// folders are copied to a temporary folder first (loading writes a checksum sidecar).
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
//   and 0.67 points of one phrase's sigmoid probability on rings-96.png (concentric rings downscaled 3×, the
//   worst case; random tiny towers amplify pixel differences more than trained ones).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type ClipModel } from '../../integrations/engine/model/load.ts';
import { preprocessImage, tensorSize } from '../../integrations/engine/preprocess.ts';
import { expectScoresLikeHf } from '../fixtures/hf-scores.ts';
import { cosine } from '../fixtures/vectors.ts';

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


/** Images at the model's 32×32 need no resize; the others are downscaled. */
const tolerance = (image: string) =>
  image.endsWith('-32.png') ? { cosine: 0.99999, logit: 0.01, points: 0.05 } : { cosine: 0.9999, logit: 0.1, points: 1 };

const SIGLIP_PREPROCESS = { exactResize: true, cropHeight: 32, cropWidth: 32, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
const cases = [
  { name: 'siglip-tiny', hf: 'SiglipModel', family: 'siglip', source: 'onnx/model.onnx', context: 64, preprocess: { ...SIGLIP_PREPROCESS, resample: 2 } },
  { name: 'siglip2-tiny', hf: 'SiglipModel', family: 'siglip', source: 'model.safetensors', context: 64, preprocess: { ...SIGLIP_PREPROCESS, resample: 3 } },
  { name: 'clip-tiny', hf: 'CLIPModel', family: 'clip', source: 'default (OpenAI CLIP: 100)', context: 77, preprocess: { shortestEdge: 32, cropHeight: 32, cropWidth: 32, resample: 3 } },
] as const;

describe.each(cases)('$name against transformers ($hf)', ({ name, family, source, context, preprocess }) => {
  let dir: string;
  let ref: Reference;
  let model: ClipModel;
  let imageEmbeds: Float32Array;
  let textEmbeds: Float32Array;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `clipscope-${name}-`));
    await cp(join(ROOT, name), dir, { recursive: true });
    ref = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8'));
    model = await loadModel(dir, { threads: 1 });
    const cfg = model.info.preprocess;
    const pixels = new Float32Array(ref.images.length * tensorSize(cfg));
    for (const [i, file] of ref.images.entries()) {
      await preprocessImage(await readFile(join(ROOT, 'images', file)), cfg, { out: pixels, offset: i * tensorSize(cfg) });
    }
    imageEmbeds = await model.embedImages(pixels, ref.images.length);
    textEmbeds = await model.embedTexts(ref.phrases.map((p) => model.tokenizer.encode(p)));
  });
  afterAll(async () => {
    await model?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is detected from config.json, with the logit scale and bias from the weights (SigLIP) or the default (CLIP)', () => {
    expect(model.info.family).toBe(family);
    expect(model.info.logitSource).toBe(source);
    expect(model.info.logitScale).toBeCloseTo(ref.logit_scale, 4);
    expect(model.info.logitBias).toBeCloseTo(ref.logit_bias, 5);
    expect(model.info.contextLength).toBe(context);
    expect(model.info.preprocess).toMatchObject(preprocess);
  });

  it.runIf(family === 'siglip')("gives Hugging Face's token ids, padded to exactly 64 (no start token, end token kept when cut)", () => {
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

  it.runIf(family === 'clip')("gives Hugging Face's token ids (CLIP: start token; padded to the longest phrase, as causal attention allows)", () => {
    const tok = model.tokenizer;
    expect(tok.padTo).toBeNull();
    const padded = ref.phrases.map((p) => {
      const ids = tok.encode(p).ids;
      return [...ids, ...new Array(77 - ids.length).fill(tok.padId)];
    });
    expect(padded).toEqual(ref.input_ids);
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
    expectScoresLikeHf(ref, model.info, { images: imageEmbeds, texts: textEmbeds }, tolerance);
  });
});

describe("SigLIP with tokenizer_config.json padding_side \"left\" (transformers 5's Siglip2Tokenizer default)", () => {
  it.each(['siglip-tiny', 'siglip2-tiny'])("%s: pads before the phrase and gives Hugging Face's embeddings of left-padded ids", async (name) => {
    const dir = await mkdtemp(join(tmpdir(), `clipscope-${name}-left-`));
    try {
      await cp(join(ROOT, name), dir, { recursive: true });
      const config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
      await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, padding_side: 'left' }));
      const ref = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8')) as Reference & { input_ids_padded_left: number[][]; text_embeds_padded_left: number[][] };
      const model = await loadModel(dir, { threads: 1 });
      try {
        const tok = model.tokenizer;
        expect(tok.padLeft).toBe(true);
        const ids = ref.phrases.map((p) => {
          const t = tok.encode(p).ids;
          return [...new Array(64 - t.length).fill(tok.padId), ...t];
        });
        expect(ids).toEqual(ref.input_ids_padded_left);
        const dim = model.info.projectionDim;
        const embeds = await model.embedTexts(ref.phrases.map((p) => tok.encode(p)));
        for (const [i, e] of ref.text_embeds_padded_left.entries()) expect(cosine(embeds.subarray(i * dim, (i + 1) * dim), e)).toBeGreaterThanOrEqual(0.9999);
        // …and they are not the right-padded ones (the padding side matters to SigLIP).
        expect(Math.min(...ref.text_embeds.map((e, i) => cosine(embeds.subarray(i * dim, (i + 1) * dim), e)))).toBeLessThan(0.999);
      } finally {
        await model.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
