// The ONNX variants of the onnx-community layout (onnx/*_model_<variant>.onnx): which a folder has,
// the message when the asked one is missing, and fp16 graphs whose inputs and outputs are float16.
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { folderVariants, MODEL_VARIANTS, onnxFiles } from '../../integrations/engine/model/layout.ts';
import { loadModel } from '../../integrations/engine/model/load.ts';
import { toHalf } from '../../integrations/engine/model/onnx.ts';
import { fromHalf } from '../../integrations/engine/model/float16.ts';
import { parseClassifyOptions } from '../../integrations/engine/options.ts';

const { onnx } = onnxProto;
const FIXTURE = 'test/fixtures/models/siglip-tiny';
const tmp: string[] = [];
afterAll(async () => Promise.all(tmp.map((d) => rm(d, { recursive: true, force: true }))));

async function copyFixture(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'clipscope-variants-'));
  tmp.push(dir);
  await cp(FIXTURE, dir, { recursive: true });
  return dir;
}

describe('half precision', () => {
  it('converts worked examples both ways, rounding to nearest even', () => {
    const bits = toHalf(Float32Array.from([1, -2, 0.1, 65504, 65520, 1e-8, 2 ** -24, 0.5 + 2 ** -12, Infinity]));
    expect([...bits]).toEqual([0x3c00, 0xc000, 0x2e66, 0x7bff, 0x7c00, 0x0000, 0x0001, 0x3800, 0x7c00]);
    expect([...fromHalf(Uint16Array.from([0x3c00, 0xc000, 0x2e66, 0x7bff, 0x0001, 0x7c00]))]).toEqual([1, -2, 0.0999755859375, 65504, 2 ** -24, Infinity]);
  });
});

describe('model variants', () => {
  it('are the onnx-community suffixes, and --variant accepts each', () => {
    expect(onnxFiles('fp32')).toEqual({ vision: 'onnx/vision_model.onnx', text: 'onnx/text_model.onnx' });
    expect(onnxFiles('q4f16').vision).toBe('onnx/vision_model_q4f16.onnx');
    for (const v of MODEL_VARIANTS) expect(parseClassifyOptions({ images: 'i', dictionary: 'd', model: 'm', modelVariant: v }, 'test').modelVariant).toBe(v);
    expect(() => parseClassifyOptions({ images: 'i', dictionary: 'd', model: 'm', modelVariant: 'int4' }, 'test')).toThrow(/"bnb4"/);
  });

  it('a folder lists the variants it has; asking for another names them', async () => {
    const dir = await copyFixture();
    for (const tower of ['vision', 'text']) await rename(join(dir, `onnx/${tower}_model.onnx`), join(dir, `onnx/${tower}_model_q4.onnx`));
    expect(await folderVariants(dir)).toEqual(['q4']);
    await expect(loadModel(dir, { threads: 1 })).rejects.toThrow(/is missing onnx\/vision_model\.onnx, onnx\/text_model\.onnx; it has the graphs of variant "q4"/);
    await expect(loadModel(dir, { threads: 1 })).rejects.toMatchObject({ hint: expect.stringContaining('--variant q4') });
    const model = await loadModel(dir, { threads: 1, variant: 'q4' });
    expect(model.info.variant).toBe('q4');
    await model.close();
  });

  it('runs fp16 graphs that take and give float16 (inputs converted, outputs widened)', async () => {
    const dir = await copyFixture();
    // The fixture's towers with float16 at their edges: Cast in after the input, Cast out before the output.
    for (const [tower, input, inputType] of [['vision', 'pixel_values', onnx.TensorProto.DataType.FLOAT16], ['text', 'input_ids', null]] as const) {
      const model = onnx.ModelProto.decode(await readFile(join(dir, `onnx/${tower}_model.onnx`)));
      const graph = model.graph!;
      if (inputType !== null) {
        const vi = graph.input!.find((i) => i.name === input)!;
        vi.type!.tensorType!.elemType = inputType;
        for (const node of graph.node!) node.input = node.input!.map((n) => (n === input ? `${input}_f32` : n));
        graph.node!.unshift(onnx.NodeProto.create({ opType: 'Cast', input: [input], output: [`${input}_f32`], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT }] }));
      }
      for (const node of graph.node!) node.output = node.output!.map((n) => (n === 'pooler_output' ? 'pooler_output_f32' : n));
      graph.node!.push(onnx.NodeProto.create({ opType: 'Cast', input: ['pooler_output_f32'], output: ['pooler_output'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT16 }] }));
      graph.output!.find((o) => o.name === 'pooler_output')!.type!.tensorType!.elemType = onnx.TensorProto.DataType.FLOAT16;
      await writeFile(join(dir, `onnx/${tower}_model_fp16.onnx`), onnx.ModelProto.encode(model).finish());
    }
    const fp32 = await loadModel(dir, { threads: 1 });
    const fp16 = await loadModel(dir, { threads: 1, variant: 'fp16' });
    try {
      const pixels = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i / 7));
      const [a, b] = [await fp32.embedImages(pixels, 1), await fp16.embedImages(pixels, 1)];
      const t = fp16.tokenizer.encode('a photo of a red square');
      const [c, d] = [await fp32.embedTexts([t]), await fp16.embedTexts([t])];
      const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i], 0);
      expect(dot(a, b)).toBeGreaterThan(0.9999);
      expect(dot(a, b)).toBeLessThan(1 - 1e-9); // the half-precision input really lost bits
      expect(dot(c, d)).toBeGreaterThan(0.99999);
    } finally {
      await fp32.close();
      await fp16.close();
    }
  });
});

describe('SigLIP exports of the whole model as a tower', () => {
  it('read image_embeds / text_embeds and feed the other branch a blank input', async () => {
    const dir = await copyFixture();
    // onnx/model.onnx takes input_ids and pixel_values and gives text_embeds and image_embeds.
    for (const tower of ['vision', 'text']) await cp(join(dir, 'onnx/model.onnx'), join(dir, `onnx/${tower}_model_uint8.onnx`));
    const ref = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8')) as { image_embeds: number[][]; text_embeds: number[][]; phrases: string[] };
    const plain = await loadModel(dir, { threads: 1 });
    const fused = await loadModel(dir, { threads: 1, variant: 'uint8' });
    try {
      const pixels = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.cos(i / 5));
      const dot = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((s, v, i) => s + v * y[i], 0);
      expect(dot(await plain.embedImages(pixels, 1), await fused.embedImages(pixels, 1))).toBeGreaterThan(0.99999);
      const texts = ref.phrases.slice(0, 2).map((p) => fused.tokenizer.encode(p));
      const t = await fused.embedTexts(texts);
      const n = Math.hypot(...ref.text_embeds[0]);
      expect(dot(t.subarray(0, 32), ref.text_embeds[0].map((v) => v / n))).toBeGreaterThan(0.9999);
    } finally {
      await plain.close();
      await fused.close();
    }
  });
});
