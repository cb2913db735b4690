// clipscope against Hugging Face's own code for SigLIP 2 NaFlex (model_type "siglip2"): a tiny random
// Siglip2Model built, run and exported by transformers 5.18 (scripts/reference/make_naflex_fixtures.py:
// patch 4, at most 24 patches), whose outputs are in test/fixtures/models/siglip2-naflex-tiny/
// reference.json. No Python runs here; the folder is copied to a temporary one (loading writes a
// checksum sidecar).
//
// The images (test/fixtures/models/images/naflex-*) have eight shapes — very wide, very tall, tiny
// (upsampled), a square padded to 24 patches, a JPEG, RGBA, greyscale, palette — whose grids run
// from 2×12 to 12×2. Tolerances, with what was measured:
// - patch grids (spatial_shapes) and masks exact;
// - patches: those of AutoImageProcessor's torchvision Siglip2ImageProcessor to the reference's 7
//   decimals, and within one 8-bit level (2/255 after normalising) of Siglip2ImageProcessorPil, which
//   rounds a few pixels differently (1 level on 4 of the 8 images, 0 on the rest);
// - image embeddings cosine ≥ 0.999999 (measured 1 − 2e-13), text embeddings ≥ 0.9999 (measured
//   1 − 1e-13);
// - logits within 0.001 (measured 6e-6), softmax and sigmoid probabilities within 0.01 points
//   (measured 1e-4 and 5e-5).
// Measured once, not kept: with Pillow's rounding instead of PyTorch's (Siglip2ImageProcessorPil's
// patches) cosine ≥ 0.9999996, 0.03 points; with libvips' linear kernel (sharp) 66 levels off on the
// upsampled images, cosine 0.9906, 10.6 points.
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type ClipModel } from '../../integrations/engine/model/load.ts';
import { embedImages } from '../../integrations/engine/embed.ts';
import { naflexSize, preprocessImage, tensorSize } from '../../integrations/engine/preprocess.ts';
import { expectScoresLikeHf } from '../fixtures/hf-scores.ts';
import { runClipscope } from '../fixtures/cli.ts';
import { cosine } from '../fixtures/vectors.ts';

const ROOT = 'test/fixtures/models';
const NAME = 'siglip2-naflex-tiny';

interface Reference {
  patch_size: number;
  max_num_patches: number;
  logit_scale: number;
  logit_bias: number;
  phrases: string[];
  categories: string[];
  input_ids: number[][];
  images: string[];
  spatial_shapes: [number, number][];
  pixel_attention_mask: number[][];
  pixel_values: number[][];
  pixel_levels_pil: number[][];
  image_embeds: number[][];
  text_embeds: number[][];
  logits_per_image: number[][];
  softmax: number[][];
  sigmoid: number[][];
}


describe('SigLIP 2 NaFlex against transformers (Siglip2Model, Siglip2ImageProcessor)', () => {
  let dir: string;
  let ref: Reference;
  let model: ClipModel;
  let perImage: number;
  let pixels: Float32Array;
  const grids: number[] = [];
  let imageEmbeds: Float32Array;
  let textEmbeds: Float32Array;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `clipscope-${NAME}-`));
    await cp(join(ROOT, NAME), dir, { recursive: true });
    ref = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8'));
    model = await loadModel(dir, { threads: 1 });
    const cfg = model.info.preprocess;
    perImage = tensorSize(cfg);
    pixels = new Float32Array(ref.images.length * perImage).fill(Number.NaN); // padding must be written
    for (const [i, file] of ref.images.entries()) {
      const { grid } = await preprocessImage(await readFile(join(ROOT, 'images', file)), cfg, { out: pixels, offset: i * perImage });
      grids.push(grid!.rows, grid!.cols);
    }
    // All eight images, of six different grids, in one batch.
    imageEmbeds = await model.embedImages(pixels, ref.images.length, grids);
    textEmbeds = await model.embedTexts(ref.phrases.map((p) => model.tokenizer.encode(p)));
  });
  afterAll(async () => {
    await model?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is detected from config.json (model_type "siglip2") and runs as SigLIP, with the trained logit values from the weights', () => {
    expect(model.info.family).toBe('siglip');
    expect(model.info.logitSource).toBe('model.safetensors');
    expect(model.info.logitScale).toBeCloseTo(ref.logit_scale, 4);
    expect(model.info.logitBias).toBeCloseTo(ref.logit_bias, 5);
    expect(model.info.contextLength).toBe(64);
    expect(model.info.preprocess).toMatchObject({ naflex: { patchSize: 4, maxNumPatches: 24 }, resample: 2, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(perImage).toBe(24 * 3 * 4 * 4);
  });

  it("gives Hugging Face's patch grids (spatial_shapes) and masks", () => {
    expect(ref.spatial_shapes.length).toBe(8);
    for (const [i, [rows, cols]] of ref.spatial_shapes.entries()) {
      expect([grids[2 * i], grids[2 * i + 1]], ref.images[i]).toEqual([rows, cols]);
      expect(ref.pixel_attention_mask[i]).toEqual(Array.from({ length: 24 }, (_, k) => (k < rows * cols ? 1 : 0)));
    }
    // The grids differ in shape and count: the batch mixes padded and full images.
    expect(new Set(ref.spatial_shapes.map((s) => s.join('×'))).size).toBeGreaterThanOrEqual(5);
    expect(ref.pixel_attention_mask.some((m) => m.includes(0))).toBe(true);
  });

  it("sizes images as HF's get_image_size_for_max_num_patches does (values computed with transformers 5.18)", () => {
    // 256 patches of 16 px (google/siglip2-*-naflex): a 640×480 photo → 14 × 18 = 252 patches.
    expect(naflexSize(640, 480, 16, 256)).toEqual({ width: 288, height: 224, rows: 14, cols: 18 });
    expect(naflexSize(1920, 1080, 16, 256)).toEqual({ width: 336, height: 192, rows: 12, cols: 21 });
    expect(naflexSize(333, 777, 16, 1024)).toEqual({ width: 336, height: 768, rows: 48, cols: 21 });
    expect(naflexSize(1000, 1000, 16, 256)).toEqual({ width: 256, height: 256, rows: 16, cols: 16 });
    // The bisection's upper scale, 100, caps upsampling: a 1×1 image becomes 7 × 7 patches, not 16 × 16.
    expect(naflexSize(1, 1, 16, 256)).toEqual({ width: 112, height: 112, rows: 7, cols: 7 });
    // Extreme aspect: never less than one patch a side.
    expect(naflexSize(10_000, 10, 16, 256)).toEqual({ width: 4096, height: 16, rows: 1, cols: 256 });
  });

  it("cuts the same patches as AutoImageProcessor's torchvision processor, within one level of the PIL one; padding zero", () => {
    let worst = 0;
    let offPil = 0;
    for (const [i, file] of ref.images.entries()) {
      const mine = pixels.subarray(i * perImage, (i + 1) * perImage);
      const real = ref.pixel_values[i].length;
      expect(real, file).toBe(ref.spatial_shapes[i][0] * ref.spatial_shapes[i][1] * 48);
      for (let k = 0; k < real; k++) worst = Math.max(worst, Math.abs(mine[k] - ref.pixel_values[i][k]));
      const levels = Array.from(mine.subarray(0, real), (v) => Math.round((v + 1) * 127.5));
      for (const [k, level] of levels.entries()) offPil = Math.max(offPil, Math.abs(level - ref.pixel_levels_pil[i][k]));
      expect(Array.from(mine.subarray(real)).every((v) => v === 0), file).toBe(true);
    }
    // The reference keeps 7 decimals: 1e-6 is rounding, far below a level (0.0078).
    expect(worst).toBeLessThan(1e-6);
    expect(offPil).toBe(1); // PIL rounds some pixels one level away, on this data at least one
  });

  it("gives Hugging Face's token ids and text embeddings (cosine ≥ 0.9999)", () => {
    const tok = model.tokenizer;
    const ids = ref.phrases.map((p) => {
      const t = tok.encode(p).ids;
      return [...t, ...new Array(64 - t.length).fill(tok.padId)];
    });
    expect(ids).toEqual(ref.input_ids);
    const dim = model.info.projectionDim;
    const worst = Math.min(...ref.text_embeds.map((e, i) => cosine(textEmbeds.subarray(i * dim, (i + 1) * dim), e)));
    expect(worst).toBeGreaterThanOrEqual(0.9999);
  });

  it("gives Hugging Face's image embeddings for every shape, batched together (cosine ≥ 0.999999)", () => {
    const dim = model.info.projectionDim;
    const cos = ref.image_embeds.map((e, i) => cosine(imageEmbeds.subarray(i * dim, (i + 1) * dim), e));
    for (const [i, c] of cos.entries()) expect(c, ref.images[i]).toBeGreaterThanOrEqual(0.999999);
    // …and not by accident: the embeddings of different images differ.
    expect(cosine(imageEmbeds.subarray(0, dim), ref.image_embeds[1])).toBeLessThan(0.99);
  });

  it('embeds an image the same alone as in a batch of other shapes', async () => {
    const dim = model.info.projectionDim;
    for (const i of [0, 3]) {
      const alone = await model.embedImages(pixels.subarray(i * perImage, (i + 1) * perImage), 1, grids.slice(2 * i, 2 * i + 2));
      expect(cosine(alone, imageEmbeds.subarray(i * dim, (i + 1) * dim))).toBeGreaterThan(0.999999);
    }
    // Without the grids a NaFlex model refuses to guess.
    await expect(model.embedImages(pixels, 1)).rejects.toThrow(/patch grid/);
  });

  it('embeds through the run (embed.ts): batches of 3 across the 8 shapes give the same embeddings', async () => {
    const images = await Promise.all(
      ref.images.map(async (file) => {
        const absPath = resolve(ROOT, 'images', file);
        const bytes = await readFile(absPath);
        const st = await stat(absPath);
        return { path: file, absPath, size: st.size, mtimeMs: st.mtimeMs, sha256: createHash('sha256').update(bytes).digest('hex') };
      }),
    );
    const { embeddings, skipped } = await embedImages(model, images, { batchSize: 3, pixelLimit: 1e8 });
    expect(skipped).toEqual([]);
    const dim = model.info.projectionDim;
    for (const [i, image] of images.entries()) expect(cosine(embeddings.get(image.sha256)!, ref.image_embeds[i]), image.path).toBeGreaterThanOrEqual(0.9999);
    expect(dim).toBe(32);
  });

  it('gives logits, softmax and sigmoid probabilities within tolerance (0.001 logits, 0.01 points)', () => {
    expectScoresLikeHf(ref, model.info, { images: imageEmbeds, texts: textEmbeds }, () => ({ logit: 0.001, points: 0.01 }));
  });

  it('classifies from the command line (sigmoid scoring) as HF scores (0.01 points), and again from the cache', async () => {
    const work = await mkdtemp(join(tmpdir(), 'clipscope-naflex-cli-'));
    try {
      await mkdir(join(work, 'images'));
      for (const file of ref.images) await cp(join(ROOT, 'images', file), join(work, 'images', file));
      const dictionary: Record<string, string[]> = {};
      for (const [i, phrase] of ref.phrases.entries()) dictionary[ref.categories[i]] = [...(dictionary[ref.categories[i]] ?? []), phrase];
      await writeFile(join(work, 'dictionary.json'), JSON.stringify(dictionary));
      const args = ['classify', '--images', 'images', '--dictionary', 'dictionary.json', '--model', dir, '--scoring', 'sigmoid', '--batch-size', '3', '--cache', 'cache', '--json', 'out.json'];
      const first = await runClipscope(args, work);
      expect(first.code, first.stderr).toBe(0);
      const result = JSON.parse(await readFile(join(work, 'out.json'), 'utf8'));
      expect(result.images).toHaveLength(8);
      for (const image of result.images) {
        const i = ref.images.indexOf(image.path);
        for (const c of Object.keys(dictionary)) {
          const best = Math.max(...ref.phrases.map((_, p) => (ref.categories[p] === c ? 100 * ref.sigmoid[i][p] : -Infinity)));
          expect(Math.abs(image.categories[c] - best), `${image.path} ${c}`).toBeLessThan(0.01);
        }
      }
      const again = await runClipscope(args, work);
      expect(again.stderr).toMatch(/0 embedded now, 8 from the cache/);
      expect(JSON.parse(await readFile(join(work, 'out.json'), 'utf8')).images).toEqual(result.images);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
