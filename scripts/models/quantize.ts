// Dynamic int8 quantisation of an ONNX model, the way Hugging Face's `onnx/*_quantized.onnx` files
// are made (onnxruntime.quantization.quantize_dynamic, as optimum and transformers.js' conversion
// scripts call it):
//
//   MatMul(x, W)  with W a constant float [K, N]  becomes
//     DynamicQuantizeLinear(x) → x_q (uint8), x_scale, x_zero_point     (per call, per tensor)
//     MatMulInteger(x_q, W_q, x_zero_point, W_zero_point) → int32
//     Cast(to float) → Mul(·, x_scale × W_scale)
//   which onnxruntime fuses into DynamicQuantizeMatMul (an int8 GEMM; VNNI on CPUs that have it).
//
//   Gather(E, ids)  with E a constant float table (token embeddings)  becomes
//     Gather(E_q, ids) → DequantizeLinear(·, E_scale, E_zero_point)     (weight-only: smaller file)
//
// Weights: int8 symmetric (zero point 0, range ±127, scale = max|w| / 127) — quantize_dynamic's
// default for QInt8 — or uint8 asymmetric (scale = (max − min) / 255), per tensor or per output
// column. Activations: uint8 asymmetric, computed at run time by DynamicQuantizeLinear. Conv stays
// float (the ViT patch embedding is ~3 % of the vision tower's work; onnxruntime's ConvInteger only
// takes uint8 weights, which is why transformers.js quantises Conv models to uint8 throughout).
//
//   node scripts/models/quantize.ts <in.onnx> <out.onnx> [--per-channel] [--uint8]
//
// Works on the decoded protobuf (onnx-proto); the ViT-B/32 vision tower (350 MB) needs about twice
// its size in memory while it is converted.

import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import onnxProto from 'onnx-proto';
import { decodeModel, encodeModel, DataType } from './onnx-writer/graph.ts';
import { roundHalfEven } from '../../integrations/engine/rounding.ts';

const { onnx } = onnxProto;

type ModelProto = ReturnType<typeof decodeModel>;
type GraphProto = NonNullable<ModelProto['graph']>;
type NodeProto = NonNullable<GraphProto['node']>[number];
type TensorProto = NonNullable<GraphProto['initializer']>[number];
type AttributeProto = NonNullable<NodeProto['attribute']>[number];

export type WeightType = 'int8' | 'uint8';

export interface QuantizeOptions {
  /** int8 symmetric (default) or uint8 asymmetric weights. */
  weightType?: WeightType;
  /** One scale per output column of each MatMul weight instead of one per tensor. Default false. */
  perChannel?: boolean;
  /** Which operators to quantise. Default both. */
  ops?: ('MatMul' | 'Gather')[];
  /** Weights with fewer elements stay float (tiny matrices gain nothing). Default 256. */
  minElements?: number;
}

export interface QuantizeReport {
  matmuls: number;
  gathers: number;
  /** Float weight values replaced by 8-bit ones. */
  weights: number;
  bytesBefore: number;
  bytesAfter: number;
}

/** A float initializer's values (raw_data or float_data), copied into an aligned array. */
function floatValues(t: TensorProto): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    return new Float32Array(copy.buffer);
  }
  return Float32Array.from(t.floatData ?? []);
}

function dimsOf(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}

function tensor(name: string, dataType: number, dims: number[], data: Float32Array | Int8Array | Uint8Array): TensorProto {
  return onnx.TensorProto.create({ name, dims, dataType, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}

interface Quantized {
  values: Int8Array | Uint8Array;
  scales: Float32Array;
  zeroPoints: Int8Array | Uint8Array;
}

/**
 * Quantise `w` (row-major [rows, cols]) with one scale per column (perColumn) or one for all.
 * int8: symmetric, q = round(w / s) in [−127, 127], zero point 0. uint8: asymmetric over [min, max]
 * widened to include 0 (so 0 is exact), q = round(w / s) + zp in [0, 255]. Rounding is half to even,
 * as numpy's (which onnxruntime's quantiser uses).
 */
export function quantizeWeights(w: Float32Array, rows: number, cols: number, type: WeightType, perColumn: boolean): Quantized {
  const groups = perColumn ? cols : 1;
  const lo = new Float32Array(groups).fill(0);
  const hi = new Float32Array(groups).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const g = perColumn ? c : 0;
      const v = w[r * cols + c];
      if (v < lo[g]) lo[g] = v;
      if (v > hi[g]) hi[g] = v;
    }
  }
  const scales = new Float32Array(groups);
  const zeroPoints = type === 'int8' ? new Int8Array(groups) : new Uint8Array(groups);
  for (let g = 0; g < groups; g++) {
    if (type === 'int8') {
      const absMax = Math.max(-lo[g], hi[g]);
      scales[g] = absMax > 0 ? absMax / 127 : 1;
    } else {
      const range = hi[g] - lo[g];
      scales[g] = range > 0 ? range / 255 : 1;
      zeroPoints[g] = Math.min(255, Math.max(0, roundHalfEven(-lo[g] / scales[g])));
    }
  }
  const values = type === 'int8' ? new Int8Array(w.length) : new Uint8Array(w.length);
  const [qmin, qmax] = type === 'int8' ? [-127, 127] : [0, 255];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const g = perColumn ? c : 0;
      const q = roundHalfEven(w[r * cols + c] / scales[g]) + zeroPoints[g];
      values[r * cols + c] = Math.min(qmax, Math.max(qmin, q));
    }
  }
  return { values, scales, zeroPoints };
}

/** Quantise a decoded model in place (see the file comment). */
export function quantizeModelProto(model: ModelProto, options: QuantizeOptions = {}): QuantizeReport {
  const weightType = options.weightType ?? 'int8';
  const perChannel = options.perChannel ?? false;
  const ops = new Set(options.ops ?? ['MatMul', 'Gather']);
  const minElements = options.minElements ?? 256;
  const qType = weightType === 'int8' ? DataType.INT8 : DataType.UINT8;
  const graph = model.graph!;
  const initializers = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) initializers.set(t.name!, t);

  const used = new Map<string, number>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) used.set(i, (used.get(i) ?? 0) + 1);

  let counter = 0;
  const fresh = (base: string) => `${base}_${counter++}`;
  const node = (opType: string, inputs: string[], outputs: string[], attrs: AttributeProto[] = []): NodeProto =>
    onnx.NodeProto.create({ opType, domain: '', name: fresh(`quant_${opType}`), input: inputs, output: outputs, attribute: attrs });

  const newInitializers: TensorProto[] = [];
  const quantizedWeights = new Map<string, { q: string; scale: string; zp: string }>();
  // One DynamicQuantizeLinear per activation, shared by the MatMuls that read it (q, k and v).
  const quantizedActivations = new Map<string, { q: string; scale: string; zp: string }>();
  const report: QuantizeReport = { matmuls: 0, gathers: 0, weights: 0, bytesBefore: 0, bytesAfter: 0 };

  const isFloatConstant = (name: string | undefined): TensorProto | undefined => {
    const t = name === undefined ? undefined : initializers.get(name);
    return t && t.dataType === DataType.FLOAT ? t : undefined;
  };

  function quantizeWeight(t: TensorProto, perColumn: boolean): { q: string; scale: string; zp: string } {
    const known = quantizedWeights.get(t.name!);
    if (known) return known;
    const dims = dimsOf(t);
    const cols = dims[dims.length - 1];
    const values = floatValues(t);
    const rows = values.length / cols;
    const q = quantizeWeights(values, rows, cols, weightType, perColumn);
    const names = { q: `${t.name}_quantized`, scale: `${t.name}_scale`, zp: `${t.name}_zero_point` };
    const groupDims = perColumn ? [cols] : [];
    newInitializers.push(tensor(names.q, qType, dims, q.values));
    newInitializers.push(tensor(names.scale, DataType.FLOAT, groupDims, q.scales));
    newInitializers.push(tensor(names.zp, qType, groupDims, q.zeroPoints));
    report.weights += values.length;
    report.bytesBefore += values.length * 4;
    report.bytesAfter += values.length + q.scales.byteLength + q.zeroPoints.byteLength;
    quantizedWeights.set(t.name!, names);
    return names;
  }

  const out: NodeProto[] = [];
  const replaced = new Set<string>();
  for (const n of graph.node ?? []) {
    const inputs = n.input ?? [];
    const w = n.opType === 'MatMul' && (n.domain ?? '') === '' && ops.has('MatMul') ? isFloatConstant(inputs[1]) : undefined;
    if (w && dimsOf(w).length === 2 && dimsOf(w).reduce((a, b) => a * b, 1) >= minElements) {
      const x = inputs[0];
      const y = n.output![0];
      const qw = quantizeWeight(w, perChannel);
      let qx = quantizedActivations.get(x);
      if (!qx) {
        qx = { q: `${x}_quantized`, scale: `${x}_scale`, zp: `${x}_zero_point` };
        out.push(node('DynamicQuantizeLinear', [x], [qx.q, qx.scale, qx.zp]));
        quantizedActivations.set(x, qx);
      }
      const integer = fresh(`${y}_MatMulInteger`);
      const asFloat = fresh(`${y}_cast`);
      const scale = fresh(`${y}_scales_mul`);
      out.push(node('MatMulInteger', [qx.q, qw.q, qx.zp, qw.zp], [integer]));
      out.push(node('Cast', [integer], [asFloat], [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT })]));
      out.push(node('Mul', [qx.scale, qw.scale], [scale]));
      out.push(node('Mul', [asFloat, scale], [y]));
      replaced.add(w.name!);
      report.matmuls++;
      continue;
    }
    const table = n.opType === 'Gather' && (n.domain ?? '') === '' && ops.has('Gather') ? isFloatConstant(inputs[0]) : undefined;
    const axis = Number((n.attribute ?? []).find((a) => a.name === 'axis')?.i ?? 0);
    if (table && axis === 0 && dimsOf(table).reduce((a, b) => a * b, 1) >= minElements) {
      // Per-tensor: DequantizeLinear's per-axis form would need the gathered rows' axis.
      const qt = quantizeWeight(table, false);
      const gathered = fresh(`${n.output![0]}_quantized`);
      out.push(node('Gather', [qt.q, inputs[1]], [gathered], n.attribute ?? []));
      out.push(node('DequantizeLinear', [gathered, qt.scale, qt.zp], [n.output![0]]));
      replaced.add(table.name!);
      report.gathers++;
      continue;
    }
    out.push(n);
  }

  // Drop the float originals no remaining node reads.
  const stillUsed = new Set<string>();
  for (const n of out) for (const i of n.input ?? []) stillUsed.add(i);
  for (const o of graph.output ?? []) stillUsed.add(o.name!);
  graph.node = out;
  graph.initializer = [...(graph.initializer ?? []).filter((t) => !(replaced.has(t.name!) && !stillUsed.has(t.name!))), ...newInitializers];

  // DynamicQuantizeLinear and MatMulInteger need opset ≥ 11 (10 for MatMulInteger).
  const defaultOpset = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === '');
  if (defaultOpset && Number(defaultOpset.version) < 11) defaultOpset.version = 11;
  model.producerName = `${model.producerName ?? ''}+clipscope-quantize`;
  return report;
}

/** Quantise ONNX bytes; returns the new model's bytes and what was done. */
export function quantizeModelBytes(bytes: Uint8Array, options: QuantizeOptions = {}): { bytes: Uint8Array; report: QuantizeReport } {
  const model = decodeModel(bytes);
  const report = quantizeModelProto(model, options);
  return { bytes: encodeModel(model), report };
}

export async function quantizeFile(input: string, output: string, options: QuantizeOptions = {}): Promise<QuantizeReport> {
  const { bytes, report } = quantizeModelBytes(await readFile(input), options);
  await writeFile(output, bytes);
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'per-channel': { type: 'boolean' }, uint8: { type: 'boolean' } },
  });
  if (positionals.length !== 2) {
    console.error('usage: node scripts/models/quantize.ts <in.onnx> <out.onnx> [--per-channel] [--uint8]');
    process.exit(2);
  }
  const started = performance.now();
  const report = await quantizeFile(positionals[0], positionals[1], { perChannel: values['per-channel'], weightType: values.uint8 ? 'uint8' : 'int8' });
  console.log(
    `${report.matmuls} MatMul and ${report.gathers} Gather weights quantised (${(report.weights / 1e6).toFixed(1)} M values, ` +
      `${(report.bytesBefore / 1e6).toFixed(0)} → ${(report.bytesAfter / 1e6).toFixed(0)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
