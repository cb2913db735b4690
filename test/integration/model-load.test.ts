// Loading model folders: the synthetic-tiny model as generated, and broken copies of it (missing
// files, a non-ONNX file, graphs without CLIP's inputs/outputs, towers of different widths).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, GraphBuilder } from '../../scripts/models/onnx-writer/graph.ts';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import { loadModel, type ClipModel } from '../../integrations/engine/model/load.ts';
import { classify } from '../../integrations/engine/run.ts';
import { openStore } from '../../integrations/engine/store.ts';
import { textGraphOfWidth } from '../fixtures/text-graph.ts';

const TINY = join(import.meta.dirname, '../../models/synthetic-tiny');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-model-load-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A fresh copy of synthetic-tiny to break. */
async function copyOfTiny(name: string): Promise<string> {
  const dir = join(tmp, name);
  await cp(TINY, dir, { recursive: true });
  return dir;
}

async function loadError(dir: string, options: Parameters<typeof loadModel>[1] = { threads: 1 }): Promise<Error & { kind?: string; hint?: string }> {
  try {
    const m = await loadModel(dir, options);
    await m.close();
  } catch (e) {
    expect(isClipscopeError(e)).toBe(true);
    return e as Error;
  }
  throw new Error(`loading ${dir} should have failed`);
}

/** An ONNX graph y = Identity(x) under the given names. */
function identityGraph(input: string, output: string, dims: (number | string)[]): Uint8Array {
  const g = new GraphBuilder('wrong');
  g.input(input, DataType.FLOAT, dims);
  g.node('Identity', [input], [output]);
  g.output(output, DataType.FLOAT, dims);
  return g.toBytes();
}

describe('loadModel on synthetic-tiny', () => {
  let model: ClipModel;
  beforeAll(async () => {
    model = await loadModel(TINY, { threads: 1 });
  });
  afterAll(async () => {
    await model?.close();
  });

  it('reads the model facts', async () => {
    const config = JSON.parse(await readFile(join(TINY, 'config.json'), 'utf8'));
    expect(model.info).toMatchObject({
      name: 'synthetic-tiny',
      projectionDim: config.projection_dim,
      // config.json states no trained logit_scale, only logit_scale_init_value (2.6592): 100 it is.
      logitScale: 100,
      contextLength: 77,
      variant: 'fp32',
    });
    expect(config.logit_scale_init_value).toBeCloseTo(2.6592, 4);
    expect(model.info.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(model.info.preprocess.cropHeight).toBe(224);
  });

  it('gives L2-normalised image embeddings, the same in a batch as one by one (tolerance 1e-5)', async () => {
    const per = 3 * 224 * 224;
    const pixels = new Float32Array(3 * per).map((_, i) => Math.sin(i * 0.001 + Math.floor(i / per)));
    const batch = await model.embedImages(pixels, 3);
    const dim = model.info.projectionDim;
    expect(batch.length).toBe(3 * dim);
    for (let n = 0; n < 3; n++) {
      const row = batch.subarray(n * dim, (n + 1) * dim);
      expect(Math.hypot(...row)).toBeCloseTo(1, 5);
      const alone = await model.embedImages(pixels.slice(n * per, (n + 1) * per), 1);
      for (let i = 0; i < dim; i++) expect(Math.abs(alone[i] - row[i])).toBeLessThan(1e-5);
    }
  });

  it("pads text batches without changing any phrase's embedding (tolerance 1e-5)", async () => {
    const phrases = ['a cat', 'a very long description of a political rally with many flags and people', 'x'];
    const tokenized = phrases.map((p) => model.tokenizer.encode(p));
    expect(new Set(tokenized.map((t) => t.ids.length)).size).toBe(3);
    const dim = model.info.projectionDim;
    const batch = await model.embedTexts(tokenized);
    for (let n = 0; n < phrases.length; n++) {
      const alone = await model.embedTexts([tokenized[n]]);
      expect(Math.hypot(...alone)).toBeCloseTo(1, 5);
      for (let i = 0; i < dim; i++) expect(Math.abs(alone[i] - batch[n * dim + i])).toBeLessThan(1e-5);
    }
  });

  it('cuts a phrase longer than 77 tokens and keeps the end token last', async () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    const t = model.tokenizer.encode(long);
    expect(t.truncated).toBe(true);
    expect(t.tokenCount).toBeGreaterThan(77);
    expect(t.ids).toHaveLength(77);
    expect(t.ids.at(-1)).toBe(49407);
    const e = await model.embedTexts([t]);
    expect(e.every(Number.isFinite)).toBe(true);
  });

  it('has the same checksum on a second load (from the sidecar) and a different one when a file changes', async () => {
    const dir = await copyOfTiny('checksum');
    await rm(join(dir, '.clipscope-checksums.json'), { force: true });
    const a = await loadModel(dir, { threads: 1, lazy: true });
    const b = await loadModel(dir, { threads: 1, lazy: true });
    expect(b.info.checksum).toBe(a.info.checksum);
    const sidecar = JSON.parse(await readFile(join(dir, '.clipscope-checksums.json'), 'utf8'));
    expect(Object.keys(sidecar).sort()).toEqual(['config.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, note: 'changed' }));
    const c = await loadModel(dir, { threads: 1, lazy: true });
    expect(c.info.checksum).not.toBe(a.info.checksum);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('runs the quantized variant: its own checksum, embeddings close to fp32 (cosine ≥ 0.99)', async () => {
    const q = await loadModel(TINY, { threads: 1, variant: 'quantized' });
    expect(q.info.variant).toBe('quantized');
    expect(q.info.checksum).not.toBe(model.info.checksum);
    const dim = model.info.projectionDim;
    const pixels = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i * 0.01));
    const [a, b] = [await model.embedImages(pixels, 1), await q.embedImages(pixels, 1)];
    const tokens = [model.tokenizer.encode('a political rally')];
    const [ta, tb] = [await model.embedTexts(tokens), await q.embedTexts(tokens)];
    const cos = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i], 0);
    expect(a).toHaveLength(dim);
    expect(cos(a, b)).toBeGreaterThan(0.99);
    expect(cos(ta, tb)).toBeGreaterThan(0.99);
    await q.close();
  });

  it('takes a trained logit_scale from config.json', async () => {
    const dir = await copyOfTiny('logit-scale');
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, logit_scale: 50 }));
    const m = await loadModel(dir, { threads: 1, lazy: true });
    expect(m.info.logitScale).toBe(50);
    await m.close();
  });
});

describe('loadModel on broken folders', () => {
  it('names a folder that does not exist and says how to get a model', async () => {
    const e = await loadError(join(tmp, 'nowhere'));
    expect(e.message).toBe(`Model folder ${join(tmp, 'nowhere')} does not exist`);
    expect(e.hint).toContain('clipscope model fetch Xenova/clip-vit-base-patch32');
    expect(e.hint).toContain('npm run models:synthetic-b32');
  });

  it('names every missing file', async () => {
    const dir = await copyOfTiny('missing');
    await unlink(join(dir, 'onnx/text_model.onnx'));
    await unlink(join(dir, 'tokenizer.json'));
    const e = await loadError(dir);
    expect(e.message).toContain(`Model folder ${dir} is missing tokenizer.json, onnx/text_model.onnx`);
    expect(e.kind).toBe('model');
    expect(e.hint).toContain('clipscope model fetch');
  });

  it('names the quantized files when that variant is asked for and absent', async () => {
    const dir = await copyOfTiny('no-quantized');
    await rm(join(dir, 'onnx/vision_model_quantized.onnx'), { force: true });
    await rm(join(dir, 'onnx/text_model_quantized.onnx'), { force: true });
    const e = await loadError(dir, { threads: 1, variant: 'quantized' });
    expect(e.message).toContain('is missing onnx/vision_model_quantized.onnx, onnx/text_model_quantized.onnx');
  });

  it('names a config that is not JSON', async () => {
    const dir = await copyOfTiny('bad-config');
    await writeFile(join(dir, 'config.json'), '{ "model_type": "clip", ');
    const e = await loadError(dir);
    expect(e.message).toMatch(/^config\.json in model folder .* is not valid JSON/);
  });

  it.each([1e12, 0, 2.5, '512'])('refuses projection_dim %j in config.json before sizing anything by it', async (value) => {
    const dir = await copyOfTiny(`projection-${String(value)}`);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, projection_dim: value }));
    const expected = `Expected a whole number from 1 to 65536 for projection_dim in ${join(dir, 'config.json')} but received ${JSON.stringify(value)}`;
    for (const lazy of [false, true]) {
      const e = await loadError(dir, { threads: 1, lazy });
      expect(e.message).toBe(expected);
      expect(e.hint).toContain('remove it');
    }
  });

  it('says so when a model file is not ONNX', async () => {
    const dir = await copyOfTiny('not-onnx');
    await writeFile(join(dir, 'onnx/vision_model.onnx'), '<html>404 Not Found</html>');
    const e = await loadError(dir);
    expect(e.message).toMatch(/^Could not load vision_model\.onnx \(.*vision_model\.onnx\) as an ONNX model: /);
    expect(e.hint).toContain('clipscope model fetch');
  });

  it('says which inputs and outputs it expected and which it found', async () => {
    const dir = await copyOfTiny('wrong-io');
    await writeFile(join(dir, 'onnx/vision_model.onnx'), identityGraph('images', 'features', ['batch', 3, 224, 224]));
    const e = await loadError(dir);
    expect(e.message).toContain('onnx/vision_model.onnx does not look like a CLIP tower: expected inputs pixel_values and outputs image_embeds, found inputs images and outputs features');
  });

  it('names both sizes when the towers embed into different widths', async () => {
    const dir = await copyOfTiny('widths');
    await writeFile(join(dir, 'onnx/text_model.onnx'), textGraphOfWidth(16));
    const e = await loadError(dir);
    expect(e.message).toBe('The towers of model widths embed into different sizes: onnx/vision_model.onnx gives 32, onnx/text_model.onnx gives 16');
    // Lazily opened, the text tower is checked against config.json's projection_dim when first used.
    const m = await loadModel(dir, { threads: 1, lazy: true });
    await expect(m.embedTexts([m.tokenizer.encode('a cat')])).rejects.toThrow(
      'The towers of model widths embed into different sizes: onnx/text_model.onnx gives 16, config.json states projection_dim 32',
    );
    await m.close();
  });

  it('a run refuses a text tower of the wrong width before embedding any image', async () => {
    const dir = await copyOfTiny('widths-run');
    await writeFile(join(dir, 'onnx/text_model.onnx'), textGraphOfWidth(16));
    const cache = join(tmp, 'widths-cache');
    const run = classify(
      { images: join(import.meta.dirname, '../../content/images'), dictionary: join(import.meta.dirname, '../../content/dictionary.yaml'), model: dir, cache, threads: 1 },
      { log: () => {} },
    );
    await expect(run).rejects.toThrow('onnx/text_model.onnx gives 16, config.json states projection_dim 32');
    const store = openStore({ dir: cache });
    try {
      expect(store.stats().images).toBe(0);
    } finally {
      store.close();
    }
  });
});
