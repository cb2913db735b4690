// Dynamic int8 quantisation (scripts/models/quantize.ts): the weight arithmetic as table tests, the
// graph rewrite, and the quantised synthetic-tiny run by onnxruntime (through the engine's model
// loader) against its fp32 original.
//
// Measured when written (synthetic-tiny, onnxruntime-node 1.30, the 12 seeded smooth test images
// below): cosine between int8 (per-tensor) and fp32 image embeddings min 0.99981, mean 0.99988; text
// embeddings min 0.99933 — while two different images have cosine 0.93. The test asserts 0.99.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel } from '../../scripts/models/onnx-writer/graph.ts';
import { loadModel, type ClipModel } from '../../integrations/engine/model/load.ts';
import { createNormal, createRandom } from '../../integrations/core/random.ts';
import { quantizeFile, quantizeModelBytes, quantizeWeights } from '../../scripts/models/quantize.ts';
import { cosine } from '../fixtures/vectors.ts';

const TINY = join(import.meta.dirname, '../../models/synthetic-tiny');

describe('quantizeWeights', () => {
  it.each([
    // w, type, expected values, scale, zero point
    { w: [-1, 0, 0.5, 1], type: 'int8' as const, q: [-127, 0, 64, 127], scale: 1 / 127, zp: 0 },
    { w: [-2, 0, 1], type: 'int8' as const, q: [-127, 0, 64], scale: 2 / 127, zp: 0 },
    // uint8: the range is widened to include 0, so 0 is exact: [0, 2.55] → scale 0.01, zp 0.
    { w: [0.5, 1, 2.55], type: 'uint8' as const, q: [50, 100, 255], scale: 0.01, zp: 0 },
    { w: [-1.275, 0, 1.275], type: 'uint8' as const, q: [0, 128, 255], scale: 0.01, zp: 128 },
  ])('$type $w', ({ w, type, q, scale, zp }) => {
    const out = quantizeWeights(Float32Array.from(w), 1, w.length, type, false);
    expect(Array.from(out.values)).toEqual(q);
    expect(out.scales[0]).toBeCloseTo(scale, 7);
    expect(out.zeroPoints[0]).toBe(zp);
  });

  it('per column: each column gets its own scale; reconstruction error ≤ half a step', () => {
    const normal = createNormal(createRandom('quantize-weights'));
    const rows = 64;
    const cols = 8;
    const w = new Float32Array(rows * cols);
    // Column c has spread 2^c, so one shared scale would flatten the narrow columns.
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + c] = normal() * 2 ** c;
    for (const type of ['int8', 'uint8'] as const) {
      const q = quantizeWeights(w, rows, cols, type, true);
      expect(q.scales.length).toBe(cols);
      for (let c = 1; c < cols; c++) expect(q.scales[c]).toBeGreaterThan(q.scales[c - 1]);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const back = (q.values[r * cols + c] - q.zeroPoints[c]) * q.scales[c];
          expect(Math.abs(back - w[r * cols + c])).toBeLessThanOrEqual(q.scales[c] / 2 + 1e-6);
        }
      }
    }
  });

  it('an all-zero weight gets scale 1 (never a division by zero)', () => {
    const q = quantizeWeights(new Float32Array(4), 2, 2, 'int8', false);
    expect(q.scales[0]).toBe(1);
    expect(Array.from(q.values)).toEqual([0, 0, 0, 0]);
  });
});

describe('graph rewrite', () => {
  it('every constant MatMul becomes DynamicQuantizeLinear → MatMulInteger → Cast → Mul; activations are quantised once', async () => {
    const bytes = await readFile(join(TINY, 'onnx/vision_model.onnx'));
    const before = decodeModel(bytes);
    const initializers = new Set(before.graph!.initializer!.map((t) => t.name));
    const constantMatMuls = before.graph!.node!.filter((n) => n.opType === 'MatMul' && initializers.has(n.input![1])).length;
    expect(constantMatMuls).toBe(2 * 6 + 1); // 2 layers × (q, k, v, out, fc1, fc2) + projection

    const { bytes: out, report } = quantizeModelBytes(bytes);
    expect(report.matmuls).toBe(constantMatMuls);
    const after = decodeModel(out);
    const count = (op: string) => after.graph!.node!.filter((n) => n.opType === op).length;
    const afterInit = new Map(after.graph!.initializer!.map((t) => [t.name!, t]));
    expect(after.graph!.node!.filter((n) => n.opType === 'MatMul' && afterInit.has(n.input![1])).length).toBe(0);
    expect(count('MatMulInteger')).toBe(constantMatMuls);
    // q, k and v read the same LayerNorm output: 4 distinct activations per layer + the projection.
    expect(count('DynamicQuantizeLinear')).toBe(2 * 4 + 1);
    // The attention MatMuls (activation × activation) stay float.
    expect(count('MatMul')).toBe(2 * 2);
    for (const n of after.graph!.node!.filter((n) => n.opType === 'MatMulInteger')) expect(afterInit.get(n.input![1])!.dataType).toBe(3); // INT8
    // No float copy of a quantised weight is left behind.
    expect([...afterInit.keys()].some((k) => k.endsWith('q_proj.weight'))).toBe(false);
  });

  it('the text tower\'s token embedding is stored as 8 bits and dequantised after the Gather', async () => {
    const { bytes, report } = quantizeModelBytes(await readFile(join(TINY, 'onnx/text_model.onnx')));
    expect(report.gathers).toBe(1);
    const after = decodeModel(bytes);
    const gather = after.graph!.node!.find((n) => n.opType === 'Gather' && n.input![0].startsWith('text_model.embeddings.token_embedding'))!;
    expect(gather.input![0]).toBe('text_model.embeddings.token_embedding.weight_quantized');
    const next = after.graph!.node!.find((n) => n.input!.includes(gather.output![0]))!;
    expect(next.opType).toBe('DequantizeLinear');
    expect(report.bytesAfter).toBeLessThan(report.bytesBefore / 3.9);
  });
});


/** Seeded, photo-like inputs: smooth colour gradients with blobs and a little noise, normalised. */
function testImages(count: number, size: number): Float32Array {
  const random = createRandom('quantize-images');
  const normal = createNormal(random);
  const out = new Float32Array(count * 3 * size * size);
  for (let n = 0; n < count; n++) {
    const params = Array.from({ length: 12 }, () => random());
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const u = x / size;
          const v = y / size;
          const value =
            params[c] * u + params[c + 3] * v + 0.5 * Math.sin(6 * params[c + 6] * u + 5 * params[9] * v) + 0.05 * normal();
          out[((n * 3 + c) * size + y) * size + x] = (value - 0.5) * 2;
        }
      }
    }
  }
  return out;
}

describe('the quantised synthetic-tiny in onnxruntime', () => {
  let dir: string;
  let fp32: ClipModel;
  let int8: ClipModel;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clipscope-quantize-'));
    const model = join(dir, 'synthetic-tiny');
    await cp(TINY, model, { recursive: true });
    await quantizeFile(join(model, 'onnx/vision_model.onnx'), join(model, 'onnx/vision_model_quantized.onnx'));
    await quantizeFile(join(model, 'onnx/text_model.onnx'), join(model, 'onnx/text_model_quantized.onnx'));
    fp32 = await loadModel(model, { threads: 1, variant: 'fp32' });
    int8 = await loadModel(model, { threads: 1, variant: 'quantized' });
  });
  afterAll(async () => {
    await fp32?.close();
    await int8?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('image embeddings agree with fp32 (cosine ≥ 0.99 per image) and still tell images apart', async () => {
    const count = 12;
    const pixels = testImages(count, 224);
    const a = await fp32.embedImages(pixels, count);
    const b = await int8.embedImages(pixels, count);
    const dim = fp32.info.projectionDim;
    expect(int8.info.projectionDim).toBe(dim);
    expect(int8.info.checksum).not.toBe(fp32.info.checksum);
    const row = (m: Float32Array, i: number) => m.subarray(i * dim, (i + 1) * dim);
    let worst = 1;
    for (let i = 0; i < count; i++) worst = Math.min(worst, cosine(row(a, i), row(b, i)));
    expect(worst).toBeGreaterThanOrEqual(0.99);
    // Quantisation noise is much smaller than the difference between two images.
    const between = cosine(row(a, 0), row(a, 1));
    expect(1 - worst).toBeLessThan((1 - between) / 5);
  });

  it('text embeddings agree with fp32 (cosine ≥ 0.99)', async () => {
    const phrases = ['a photo of a cat', 'a protest march', 'a bowl of soup', 'text'].map((p) => fp32.tokenizer.encode(p));
    const a = await fp32.embedTexts(phrases);
    const b = await int8.embedTexts(phrases);
    const dim = fp32.info.projectionDim;
    for (let i = 0; i < phrases.length; i++) {
      expect(cosine(a.subarray(i * dim, (i + 1) * dim), b.subarray(i * dim, (i + 1) * dim))).toBeGreaterThanOrEqual(0.99);
    }
  });
});
