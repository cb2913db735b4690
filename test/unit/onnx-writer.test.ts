// The ONNX writer: hand-assembled streaming encoding equals protobufjs's, graphs run in onnxruntime,
// output is deterministic, parameters exclude constants.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { DataType, decodeModel, encodeModel, GraphBuilder, sourceToBytes } from '../../scripts/models/onnx-writer/graph.ts';

/** y = relu(x · W + b) · scale, with W lazy and b eager. */
function smallGraph(wValues: number[] = [1, 2, 3, 4, 5, 6]) {
  const g = new GraphBuilder('small');
  const x = g.input('x', DataType.FLOAT, ['batch', 2]);
  const w = g.lazyInitializer('w', { dataType: DataType.FLOAT, dims: [2, 3], fill: () => Float32Array.from(wValues) });
  const b = g.float('b', [3], [0.5, -100, 0]);
  const scale = g.constant('scale', { dataType: DataType.FLOAT, dims: [], data: Float32Array.of(2) });
  const shape = g.int64('shape', [2], [-1, 3]);
  const y = g.op('Mul', [g.op('Relu', [g.op('Add', [g.op('MatMul', [x, w]), b])]), scale]);
  g.node('Reshape', [y, shape], ['y']);
  g.output('y', DataType.FLOAT, ['batch', 3]);
  return g;
}

describe('GraphBuilder', () => {
  it('encodes exactly what protobufjs encodes for the decoded model', () => {
    const bytes = smallGraph().toBytes();
    expect(Buffer.from(encodeModel(decodeModel(bytes))).equals(Buffer.from(bytes))).toBe(true);
  });

  it('streams the same bytes it returns, with the declared length', () => {
    const g = smallGraph();
    const source = g.toSource();
    const streamed = sourceToBytes(source);
    expect(streamed.byteLength).toBe(source.byteLength);
    expect(Buffer.from(streamed).equals(Buffer.from(g.toBytes()))).toBe(true);
  });

  it('writes names, shapes, initializers and opset that decode back', () => {
    const model = decodeModel(smallGraph().toBytes(17));
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    const graph = model.graph!;
    const [input, output, initializer] = [graph.input!, graph.output!, graph.initializer!];
    expect(graph.name).toBe('small');
    expect(input.map((i) => i.name)).toEqual(['x']);
    expect(output.map((o) => o.name)).toEqual(['y']);
    expect(initializer.map((t) => t.name)).toEqual(['w', 'b', 'scale', 'shape']);
    expect(initializer[0].dims!.map(Number)).toEqual([2, 3]);
    const dims = input[0].type!.tensorType!.shape!.dim!;
    expect([dims[0].dimParam, Number(dims[1].dimValue)]).toEqual(['batch', 2]);
    const w = initializer[0].rawData!;
    expect(Array.from(new Float32Array(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength)))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('runs in onnxruntime with the expected values', async () => {
    const session = await ort.InferenceSession.create(smallGraph().toBytes());
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 0, 1, 1]), [2, 2]) });
    // row 1: [1,2,3] + b = [1.5, -98, 3] → relu → ×2 = [3, 0, 6]; row 2: [5,7,9] + b → [11, 0, 18]
    expect(Array.from(out.y.data as Float32Array)).toEqual([3, 0, 6, 11, 0, 18]);
    expect(out.y.dims).toEqual([2, 3]);
  });

  it('is deterministic: same calls give the same bytes, different weights different bytes', () => {
    const a = smallGraph().toBytes();
    expect(Buffer.from(smallGraph().toBytes()).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(smallGraph([1, 2, 3, 4, 5, 7]).toBytes()).equals(Buffer.from(a))).toBe(false);
  });

  it('counts weights (eager and lazy) as parameters, not constants', () => {
    const g = smallGraph();
    expect(g.parameterCount()).toBe(6 + 3);
    expect(g.initializerShapes().filter((t) => !t.parameter).map((t) => t.name)).toEqual(['scale', 'shape']);
  });

  it('rejects tensors whose values do not match their dims, and duplicate names', () => {
    const g = new GraphBuilder('bad');
    expect(() => g.float('w', [2, 2], [1, 2, 3])).toThrow(/3 values for dims \[2, 2\]/);
    g.float('v', [1], [1]);
    expect(() => g.float('v', [1], [1])).toThrow(/duplicate/);
    const lazy = new GraphBuilder('lazy');
    lazy.lazyInitializer('w', { dataType: DataType.FLOAT, dims: [4], fill: () => new Float32Array(3) });
    expect(() => lazy.toBytes()).toThrow(/3 values for dims \[4\]/);
  });
});
