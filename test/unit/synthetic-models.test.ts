// The synthetic CLIP generators: exact ViT-B/32 parameter counts, deterministic bytes, and
// synthetic-tiny running in onnxruntime the way a real CLIP export does.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { decodeModel, sourceToBytes } from '../../scripts/models/onnx-writer/graph.ts';
import { buildTextGraph, buildVisionGraph, type ClipSpec } from '../../scripts/models/clip-graph.ts';
import { parameterCounts, SYNTHETIC_SPECS, syntheticTowers } from '../../scripts/models/synthetic.ts';
import { createRandom } from '../../integrations/core/random.ts';
import { prepareModels } from '../../scripts/prepare-models.ts';
import { publishFolder } from '../../scripts/models/model-folder.ts';
import { cosine } from '../fixtures/vectors.ts';

const tiny = SYNTHETIC_SPECS['synthetic-tiny'];
const TOLERANCE = 1e-5;
const BOS = 49406n;
const EOS = 49407n;

/** CLIP's parameter count from the spec by formula (independent of the graph builder). */
function formulaCounts(spec: ClipSpec): { vision: number; text: number } {
  const layer = (d: number, m: number) => 2 * 2 * d + 4 * (d * d + d) + (d * m + m) + (m * d + d);
  const v = spec.vision;
  const tokens = (v.imageSize / v.patchSize) ** 2 + 1;
  const vision = v.width * 3 * v.patchSize ** 2 + v.width + tokens * v.width + 2 * v.width + v.layers * layer(v.width, v.mlpWidth) + 2 * v.width + v.width * spec.projectionDim;
  const t = spec.text;
  const text = t.vocabSize * t.width + t.contextLength * t.width + t.layers * layer(t.width, t.mlpWidth) + 2 * t.width + t.width * spec.projectionDim;
  return { vision, text };
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('parameter counts', () => {
  it('synthetic-b32 has exactly ViT-B/32 parameter counts (87,849,216 vision, 63,428,096 text)', () => {
    expect(parameterCounts(SYNTHETIC_SPECS['synthetic-b32'])).toEqual({ vision: 87_849_216, text: 63_428_096 });
  });

  it.each(Object.entries(SYNTHETIC_SPECS))('%s matches the CLIP formula', (_name, spec) => {
    expect(parameterCounts(spec)).toEqual(formulaCounts(spec));
  });

  it('synthetic-b32 files would hold every weight as float32 (size from the declared lengths)', () => {
    const { vision, text } = syntheticTowers(SYNTHETIC_SPECS['synthetic-b32'], 1);
    expect(vision.byteLength).toBeGreaterThan(87_849_216 * 4);
    expect(vision.byteLength).toBeLessThan(87_849_216 * 4 + 1_000_000);
    expect(text.byteLength).toBeGreaterThan(63_428_096 * 4);
    expect(text.byteLength).toBeLessThan(63_428_096 * 4 + 1_000_000);
  });
});

describe('determinism', () => {
  it('same seed gives identical bytes, a different seed different bytes', () => {
    const a = buildVisionGraph(tiny, createRandom(7));
    expect(sha(buildVisionGraph(tiny, createRandom(7)))).toBe(sha(a));
    expect(sha(buildVisionGraph(tiny, createRandom(8)))).not.toBe(sha(a));
    const t = buildTextGraph(tiny, createRandom(7));
    expect(sha(buildTextGraph(tiny, createRandom(7)))).toBe(sha(t));
    expect(sha(buildTextGraph(tiny, createRandom(8)))).not.toBe(sha(t));
  });

  it('the streamed towers equal the built bytes', () => {
    const { vision } = syntheticTowers(tiny, 3);
    expect(sha(sourceToBytes(vision))).toBe(sha(sourceToBytes(syntheticTowers(tiny, 3).vision)));
  });
});

describe('graph structure', () => {
  it('declares the Hugging Face ONNX inputs and outputs, opset 17', () => {
    const visionModel = decodeModel(buildVisionGraph(tiny, createRandom(1)));
    const vision = visionModel.graph!;
    const text = decodeModel(buildTextGraph(tiny, createRandom(1))).graph!;
    expect(Number(visionModel.opsetImport![0].version)).toBe(17);
    expect(vision.input!.map((i) => i.name)).toEqual(['pixel_values']);
    expect(vision.output!.map((o) => o.name)).toEqual(['image_embeds', 'last_hidden_state']);
    expect(text.input!.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
    expect(text.output!.map((o) => o.name)).toEqual(['text_embeds', 'last_hidden_state']);
    const ops = new Set(vision.node!.map((n) => n.opType));
    for (const op of ['Conv', 'LayerNormalization', 'Softmax', 'Sigmoid', 'MatMul']) expect(ops).toContain(op);
    // The patch conv and both projections have no bias.
    const conv = vision.node!.find((n) => n.opType === 'Conv')!;
    expect(conv.input).toHaveLength(2);
    const names = text.initializer!.map((t) => t.name);
    expect(names).toContain('text_projection.weight');
    expect(names).not.toContain('text_projection.bias');
  });
});

describe('synthetic-tiny in onnxruntime', () => {
  let vision: ort.InferenceSession;
  let text: ort.InferenceSession;
  beforeAll(async () => {
    vision = await ort.InferenceSession.create(buildVisionGraph(tiny, createRandom(1)));
    text = await ort.InferenceSession.create(buildTextGraph(tiny, createRandom(2)));
  });

  const pixels = (k: number) => Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.0007 * (k + 1) + k));
  const row = (data: Float32Array, i: number, width: number) => data.slice(i * width, (i + 1) * width);
  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

  it('vision: batch 1 and 3 give finite outputs of the right shape; batch rows equal single runs', async () => {
    const images = [0, 1, 2].map(pixels);
    const batch = new Float32Array(3 * images[0].length);
    images.forEach((im, i) => {
      batch.set(im, i * im.length);
    });
    const out3 = await vision.run({ pixel_values: new ort.Tensor('float32', batch, [3, 3, 224, 224]) });
    expect(out3.image_embeds.dims).toEqual([3, tiny.projectionDim]);
    expect(out3.last_hidden_state.dims).toEqual([3, 50, tiny.vision.width]);
    const embeds = out3.image_embeds.data as Float32Array;
    expect(embeds.every(Number.isFinite)).toBe(true);
    for (let i = 0; i < 3; i++) {
      const single = await vision.run({ pixel_values: new ort.Tensor('float32', images[i], [1, 3, 224, 224]) });
      expect(single.image_embeds.dims).toEqual([1, tiny.projectionDim]);
      expect(maxDiff(single.image_embeds.data as Float32Array, row(embeds, i, tiny.projectionDim))).toBeLessThan(TOLERANCE);
    }
    // Different images get clearly different embeddings (not L2-normalised, so compare by cosine).
    expect(cosine(row(embeds, 0, 32), row(embeds, 1, 32))).toBeLessThan(0.99);
  });

  const runText = async (rows: bigint[][], masks?: bigint[][]) => {
    const seq = rows[0].length;
    const ids = new ort.Tensor('int64', BigInt64Array.from(rows.flat()), [rows.length, seq]);
    const mask = new ort.Tensor('int64', BigInt64Array.from((masks ?? rows.map((r) => r.map(() => 1n))).flat()), [rows.length, seq]);
    const out = await text.run({ input_ids: ids, attention_mask: mask });
    return { embeds: out.text_embeds.data as Float32Array, dims: out.text_embeds.dims, hidden: out.last_hidden_state.dims };
  };

  it('text: finite outputs of the right shape for batch 1 and 3, up to 77 tokens', async () => {
    const one = await runText([[BOS, 320n, 1125n, EOS]]);
    expect(one.dims).toEqual([1, tiny.projectionDim]);
    expect(one.hidden).toEqual([1, 4, tiny.text.width]);
    const full = Array.from({ length: 77 }, (_, i) => (i === 0 ? BOS : i === 76 ? EOS : BigInt(300 + i)));
    const three = await runText([full, full.map((t, i) => (i === 5 ? 999n : t)), full]);
    expect(three.dims).toEqual([3, tiny.projectionDim]);
    expect(three.embeds.every(Number.isFinite)).toBe(true);
    expect(maxDiff(row(three.embeds, 0, 32), row(three.embeds, 2, 32))).toBe(0);
    expect(maxDiff(row(three.embeds, 0, 32), row(three.embeds, 1, 32))).toBeGreaterThan(1e-3);
  });

  it('text: padding after the end token does not change the pooled output (causal), masked or not', async () => {
    const phrase = [BOS, 320n, 1125n, 539n, EOS];
    const base = (await runText([phrase])).embeds;
    const padded = [...phrase, EOS, EOS, EOS];
    const unmasked = (await runText([padded])).embeds;
    const masked = (await runText([padded], [[1n, 1n, 1n, 1n, 1n, 0n, 0n, 0n]])).embeds;
    const zeroPadded = (await runText([[...phrase, 0n, 0n, 0n]])).embeds;
    expect(maxDiff(base, unmasked)).toBeLessThan(TOLERANCE);
    expect(maxDiff(base, masked)).toBeLessThan(TOLERANCE);
    expect(maxDiff(base, zeroPadded)).toBeLessThan(TOLERANCE);
    // …while a content token before the end token does change it.
    const changed = (await runText([[BOS, 320n, 1126n, 539n, EOS]])).embeds;
    expect(maxDiff(base, changed)).toBeGreaterThan(1e-3);
  });

  it('text: a padded batch pools each row at its own end token', async () => {
    const short = [BOS, 320n, EOS, 0n, 0n, 0n];
    const long = [BOS, 320n, 1125n, 539n, 2368n, EOS];
    const batch = await runText([short, long], [[1n, 1n, 1n, 0n, 0n, 0n], [1n, 1n, 1n, 1n, 1n, 1n]]);
    const a = (await runText([[BOS, 320n, EOS]])).embeds;
    const b = (await runText([long])).embeds;
    expect(maxDiff(row(batch.embeds, 0, 32), a)).toBeLessThan(TOLERANCE);
    expect(maxDiff(row(batch.embeds, 1, 32), b)).toBeLessThan(TOLERANCE);
  });
});

describe('model folders (prepareModels, writeModelFolder)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clipscope-models-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the Hugging Face layout once, even when two runs race, and leaves no temp folders', async () => {
    const abandoned = join(dir, '.synthetic-tiny.tmp-99999999-abcd');
    await mkdir(abandoned);
    const logs: string[] = [];
    await Promise.all([1, 2].map(() => prepareModels({ models: ['synthetic-tiny'], log: (m) => logs.push(m), modelsDir: dir })));
    expect(await readdir(dir)).toEqual(['synthetic-tiny']);
    const folder = join(dir, 'synthetic-tiny');
    for (const f of ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx', '.generator.json']) {
      expect(existsSync(join(folder, f)), f).toBe(true);
    }
    const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'clip', projection_dim: 32, logit_scale: 100, clipscope_generated: 'synthetic' }); // the report warns: chance
    expect(config.vision_config).toMatchObject({ hidden_size: 64, patch_size: 32, image_size: 224, num_hidden_layers: 2 });
    expect(config.text_config).toMatchObject({ hidden_size: 32, vocab_size: 49408, max_position_embeddings: 77 });
    const pre = JSON.parse(await readFile(join(folder, 'preprocessor_config.json'), 'utf8'));
    expect(pre).toMatchObject({ size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 }, resample: 3, do_center_crop: true });
    expect(pre.rescale_factor).toBeCloseTo(1 / 255, 12);
    const session = await ort.InferenceSession.create(join(folder, 'onnx/vision_model.onnx'));
    expect(session.inputNames).toEqual(['pixel_values']);
  });

  it('keeps a current folder and regenerates a stale one', async () => {
    const folder = join(dir, 'synthetic-tiny');
    const logs: string[] = [];
    await prepareModels({ models: ['synthetic-tiny'], log: (m) => logs.push(m), modelsDir: dir });
    expect(logs).toEqual(['synthetic-tiny: up to date']);
    const info = JSON.parse(await readFile(join(folder, '.generator.json'), 'utf8'));
    await writeFile(join(folder, '.generator.json'), JSON.stringify({ ...info, sourceHash: 'old' }));
    await writeFile(join(folder, 'onnx/vision_model.onnx'), 'stale');
    await prepareModels({ models: ['synthetic-tiny'], log: () => {}, modelsDir: dir });
    expect(JSON.parse(await readFile(join(folder, '.generator.json'), 'utf8'))).toEqual(info);
    expect((await readFile(join(folder, 'onnx/vision_model.onnx'))).byteLength).toBeGreaterThan(100_000);
    expect(await readdir(dir)).toEqual(['synthetic-tiny']);
  });

  it('publishFolder keeps a current destination and replaces a stale one', async () => {
    const dest = join(dir, 'published');
    const make = async (name: string, content: string) => {
      const path = join(dir, name);
      await mkdir(path);
      await writeFile(join(path, 'marker'), content);
      return path;
    };
    await publishFolder(await make('.a', 'first'), dest);
    expect(await publishFolder(await make('.b', 'second'), dest, async () => true)).toBe('kept-existing');
    expect(await readFile(join(dest, 'marker'), 'utf8')).toBe('first');
    expect(await publishFolder(await make('.c', 'third'), dest, async () => false)).toBe('written');
    expect(await readFile(join(dest, 'marker'), 'utf8')).toBe('third');
    expect((await readdir(dir)).sort()).toEqual(['published', 'synthetic-tiny']);
    await rm(dest, { recursive: true });
  });

  it('refuses a model it has no generator for', async () => {
    await expect(prepareModels({ models: ['clip-vit-base-patch32'], log: () => {}, modelsDir: dir })).rejects.toThrow(/no generator/);
  });
});
