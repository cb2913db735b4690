// What the build publishes for the Workbench's text tower (clipscope/text-tower-assets.ts): the
// variant chosen, the split of a graph over GitHub Pages' 100 MB limit, the reasons for publishing
// nothing, and the copy step (parts that join to the original, sha256 sums in a manifest the browser
// accepts).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_FILE_BYTES,
  MAX_TOWER_BYTES,
  PART_BYTES,
  planTextTower,
  publishTextTower,
  RUNTIME_FILES,
  splitParts,
  type TextTowerInputs,
} from '../../integrations/clipscope/text-tower-assets.ts';
import { parseTextTowerManifest, TEXT_TOWER_DIR } from '../../integrations/core/text-tower.ts';

function inputs(graphs: TextTowerInputs['graphs'], more: Partial<TextTowerInputs> = {}): TextTowerInputs {
  return {
    model: { name: 'clip-vit-base-patch32', family: 'clip', projectionDim: 512, contextLength: 77, variant: 'fp32', imageSize: [224, 224] },
    padding: { padId: 49407, padTo: null, padLeft: false },
    graphs,
    externalData: [],
    tokenizer: [
      { path: 'tokenizer.json', bytes: 2_224_003 },
      { path: 'tokenizer_config.json', bytes: 704 },
    ],
    runtime: { version: '1.30.0', files: RUNTIME_FILES.map((path, i) => ({ path, bytes: [50_126, 24_381, 14_239_897][i] })) },
    ...more,
  };
}

const FP32 = { path: 'onnx/text_model.onnx', bytes: 254_054_875 };
const QUANTIZED = { path: 'onnx/text_model_quantized.onnx', bytes: 64_318_712 };

describe('splitParts', () => {
  it('keeps a file up to the limit whole, and splits a larger one into contiguous parts', () => {
    expect(splitParts('m.onnx', MAX_FILE_BYTES)).toEqual([{ name: 'm.onnx', start: 0, end: MAX_FILE_BYTES }]);
    expect(splitParts('m.onnx', MAX_FILE_BYTES + 1)).toEqual([
      { name: 'm.onnx.000', start: 0, end: PART_BYTES },
      { name: 'm.onnx.001', start: PART_BYTES, end: 2 * PART_BYTES },
      { name: 'm.onnx.002', start: 2 * PART_BYTES, end: MAX_FILE_BYTES + 1 },
    ]);
    expect(splitParts('m', 10, 4, 3).map((p) => [p.start, p.end])).toEqual([[0, 3], [3, 6], [6, 9], [9, 10]]);
  });
});

describe('planTextTower', () => {
  it('publishes the 8-bit graph where the folder has one, with the tokenizer and the WASM runtime', () => {
    const plan = planTextTower(inputs({ fp32: FP32, quantized: QUANTIZED }));
    if (!plan.publish) throw new Error(plan.reason);
    expect(plan.manifest.variant).toBe('quantized');
    expect(plan.manifest.runVariant).toBe('fp32');
    expect(plan.manifest.onnx).toEqual({ name: 'text_model_quantized.onnx', bytes: QUANTIZED.bytes, parts: ['text_model_quantized.onnx'] });
    expect(plan.manifest.files.map((f) => [f.name, f.role])).toEqual([
      ['tokenizer.json', 'tokenizer'],
      ['tokenizer_config.json', 'tokenizer'],
      ['ort.wasm.min.mjs', 'runtime'],
      ['ort-wasm-simd-threaded.mjs', 'runtime'],
      ['ort-wasm-simd-threaded.wasm', 'runtime'],
      ['text_model_quantized.onnx', 'model'],
    ]);
    // 2,224,003 + 704 + 50,126 + 24,381 + 14,239,897 + 64,318,712
    expect(plan.manifest.totalBytes).toBe(80_857_823);
    expect(plan.summary).toBe(
      'Workbench text tower: quantized onnx/text_model_quantized.onnx 64.3 MB + tokenizer 2.2 MB + onnxruntime-web 1.30.0 WASM 14.3 MB = 80.9 MB under _clipscope/workbench/text-tower/',
    );
  });

  it('prefers quantized, then int8, then uint8, then fp32', () => {
    const variantOf = (graphs: TextTowerInputs['graphs']) => {
      const plan = planTextTower(inputs(graphs));
      return plan.publish ? plan.manifest.variant : plan.reason;
    };
    expect(variantOf({ fp32: FP32, uint8: { path: 'onnx/text_model_uint8.onnx', bytes: 1 }, int8: { path: 'onnx/text_model_int8.onnx', bytes: 1 } })).toBe('int8');
    expect(variantOf({ fp32: FP32, uint8: { path: 'onnx/text_model_uint8.onnx', bytes: 1 } })).toBe('uint8');
    expect(variantOf({ fp32: FP32 })).toBe('fp32');
  });

  it('splits an fp32 graph over 100 MB into parts of 50 MB that add up to it', () => {
    const plan = planTextTower(inputs({ fp32: FP32 }));
    if (!plan.publish) throw new Error(plan.reason);
    expect(plan.manifest.onnx.parts).toEqual(['text_model.onnx.000', 'text_model.onnx.001', 'text_model.onnx.002', 'text_model.onnx.003', 'text_model.onnx.004', 'text_model.onnx.005']);
    const model = plan.copies.filter((c) => c.role === 'model');
    expect(model.every((c) => c.path === FP32.path && c.end - c.start <= MAX_FILE_BYTES)).toBe(true);
    expect(model.reduce((s, c) => s + c.end - c.start, 0)).toBe(FP32.bytes);
    expect(model.slice(1).every((c, i) => c.start === model[i].end)).toBe(true);
    expect(plan.summary).toContain('fp32 onnx/text_model.onnx 254.1 MB in 6 parts of at most 50.0 MB (GitHub Pages refuses files over 100.0 MB)');
  });

  it('publishes nothing, and says why, without a runnable graph, runtime or tokenizer', () => {
    const reason = (i: TextTowerInputs) => {
      const plan = planTextTower(i);
      return plan.publish ? 'published' : plan.reason;
    };
    expect(reason(inputs({}))).toBe(
      'model clip-vit-base-patch32 has no text graph the browser can run (onnx/text_model_quantized.onnx, onnx/text_model_int8.onnx, onnx/text_model_uint8.onnx, onnx/text_model.onnx); fetch one with `clipscope model fetch <repo-id> --quantized`.',
    );
    expect(reason(inputs({ fp32: FP32 }, { runtime: null }))).toMatch(/^onnxruntime-web is not installed/);
    expect(reason(inputs({ fp32: FP32 }, { runtime: { version: '1.30.0', files: [] } }))).toBe('onnxruntime-web 1.30.0 lacks ort.wasm.min.mjs, ort-wasm-simd-threaded.mjs, ort-wasm-simd-threaded.wasm (its plain WASM build); install onnxruntime-web ~1.30 as package.json says.');
    expect(reason(inputs({ fp32: FP32 }, { externalData: ['onnx/text_model.onnx_data'] }))).toMatch(/^onnx\/text_model\.onnx keeps its weights in onnx\/text_model\.onnx_data/);
    // External data of another variant does not matter.
    expect(reason(inputs({ fp32: FP32 }, { externalData: ['onnx/vision_model.onnx_data'] }))).toBe('published');
    expect(reason(inputs({ fp32: FP32 }, { tokenizer: [] }))).toBe('model clip-vit-base-patch32 lacks tokenizer.json, tokenizer_config.json.');
    expect(reason(inputs({ fp32: { path: FP32.path, bytes: MAX_TOWER_BYTES } }))).toMatch(/over GitHub Pages' 1 GB site limit/);
  });
});

describe('publishTextTower', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clipscope-tower-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('copies every file and part, then a manifest with their sha256 sums that the browser accepts', async () => {
    const model = join(dir, 'model');
    const runtime = join(dir, 'runtime');
    await mkdir(join(model, 'onnx'), { recursive: true });
    await mkdir(runtime);
    const graph = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    await writeFile(join(model, 'onnx', 'text_model.onnx'), graph);
    await writeFile(join(model, 'tokenizer.json'), '{"model":{}}');
    await writeFile(join(model, 'tokenizer_config.json'), '{}');
    for (const f of RUNTIME_FILES) await writeFile(join(runtime, f), f);
    const plan = planTextTower(
      inputs(
        { fp32: { path: 'onnx/text_model.onnx', bytes: graph.length } },
        { tokenizer: [{ path: 'tokenizer.json', bytes: 12 }, { path: 'tokenizer_config.json', bytes: 2 }], runtime: { version: '1.30.0', files: RUNTIME_FILES.map((f) => ({ path: f, bytes: f.length })) } },
      ),
    );
    if (!plan.publish) throw new Error(plan.reason);
    // Split this small graph in three, as a large one would be.
    const copies = plan.copies.filter((c) => c.role !== 'model');
    const parts = [[0, 400], [400, 800], [800, 1000]].map(([start, end], i) => ({ name: `text_model.onnx.00${i}`, role: 'model' as const, from: 'model' as const, path: 'onnx/text_model.onnx', start, end }));
    const split = {
      ...plan,
      copies: [...copies, ...parts],
      manifest: { ...plan.manifest, onnx: { ...plan.manifest.onnx, parts: parts.map((p) => p.name) }, files: [...plan.manifest.files.filter((f) => f.role !== 'model'), ...parts.map((p) => ({ name: p.name, role: p.role, bytes: p.end - p.start }))] },
    };
    const out = join(dir, 'dist');
    await mkdir(join(out, TEXT_TOWER_DIR, 'stale'), { recursive: true });
    const written = await publishTextTower(split, { model, runtime }, out);
    const folder = join(out, TEXT_TOWER_DIR);
    const joined = Buffer.concat(await Promise.all(parts.map((p) => readFile(join(folder, p.name)))));
    expect(joined.equals(graph)).toBe(true);
    const manifest = parseTextTowerManifest(JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8')));
    if ('problem' in manifest) throw new Error(manifest.problem);
    expect(manifest).toEqual(written);
    for (const f of manifest.files) expect(f.sha256).toBe(createHash('sha256').update(await readFile(join(folder, f.name))).digest('hex'));
    // A previous build's leftovers are gone.
    await expect(readFile(join(folder, 'stale'))).rejects.toThrow();
  });
});

describe('parseTextTowerManifest', () => {
  it('refuses a manifest that is not this format or does not add up', () => {
    expect(parseTextTowerManifest([])).toEqual({ problem: 'it is not a JSON object' });
    expect(parseTextTowerManifest({ format: 'x' })).toEqual({ problem: 'its format is "x", not "clipscope.text-tower/v1"' });
    const plan = planTextTower(inputs({ quantized: QUANTIZED }));
    if (!plan.publish) throw new Error(plan.reason);
    const good = { ...plan.manifest, files: plan.manifest.files.map((f) => ({ ...f, sha256: 'a'.repeat(64) })) };
    expect(parseTextTowerManifest(good)).toEqual(good);
    expect(parseTextTowerManifest({ ...good, totalBytes: 1 })).toEqual({ problem: 'its totalBytes is not the sum of its files' });
    expect(parseTextTowerManifest({ ...good, files: good.files.map((f) => ({ ...f, name: '../x' })) })).toEqual({ problem: 'its file list is malformed' });
    expect(parseTextTowerManifest({ ...good, onnx: { ...good.onnx, parts: ['elsewhere.onnx'] } })).toEqual({ problem: 'its ONNX parts are not among its files' });
  });
});
