// SigLIP's two trained scalars, logit_scale and logit_bias (logits = exp(logit_scale) · cos +
// logit_bias), read from where the Hugging Face layouts keep them: they are in no config file, only
// in the weights. Two readers, each touching only a few bytes of files that can be hundreds of MB:
//
// - onnx/model.onnx (the combined graph of the Xenova / onnx-community exports): the protobuf is
//   walked field by field with positional reads; large initialisers are skipped by their length,
//   never read. The scalars are found by the graph's arithmetic, not by name — torch's exporter
//   renames parameters ("onnx::Exp_894"): logits_per_image ← [Transpose] ← Add(·, bias) ←
//   Mul(matmul, scale), where scale is Exp(x) of a scalar x or an already folded scalar. Initialisers
//   named exactly logit_scale / logit_bias are the fallback.
// - model.safetensors (the original weights): an 8-byte header length, a JSON header with each
//   tensor's dtype and byte range, then the data. parseSafetensorsHeader / scalarFromSafetensors are
//   pure so that `clipscope model fetch` can use them on HTTP range responses.
import { open, type FileHandle } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { ClipscopeError } from '../errors.ts';
import { halfToFloat } from './float16.ts';

const { onnx } = onnxProto;

export interface LogitParams {
  /** The multiplier itself (exp already applied). */
  scale: number;
  bias: number;
  /** Where the values came from, for the run metadata, e.g. "onnx/model.onnx". */
  source: string;
}

/** Initialisers larger than this are skipped unread: a scalar tensor is a few dozen bytes. */
const SMALL_TENSOR = 1024;
/** A graph node larger than this is skipped (nodes are names and attributes; 1 MB is generous). */
const LARGE_NODE = 1 << 20;

/** Bytes [begin, end) of a file that may be local or remote (HTTP range requests). */
export interface ByteSource {
  size: number;
  read(begin: number, end: number): Promise<Uint8Array>;
  /** Bytes fetched per read at least (a window: many small fields cost one read). */
  window: number;
}

/** A local file as a ByteSource (close the handle when done). */
function fileSource(fh: FileHandle, size: number): ByteSource {
  return {
    size,
    window: 64 * 1024,
    async read(begin, end) {
      const buf = Buffer.alloc(end - begin);
      const { bytesRead } = await fh.read(buf, 0, end - begin, begin);
      return buf.subarray(0, bytesRead);
    },
  };
}

/** Positional reads through a small window, for walking a protobuf without loading it. */
class FileReader {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  pos = 0;
  private readonly source: ByteSource;
  readonly size: number;
  constructor(source: ByteSource) {
    this.source = source;
    this.size = source.size;
  }

  private async fill(n: number): Promise<void> {
    if (this.pos >= this.start && this.pos + n <= this.start + this.buf.length) return;
    const length = Math.min(Math.max(n, this.source.window), this.size - this.pos);
    if (length < n) throw new RangeError('unexpected end of file');
    const buf = await this.source.read(this.pos, this.pos + length);
    if (buf.length < n) throw new RangeError('unexpected end of file');
    this.buf = buf;
    this.start = this.pos;
  }

  async varint(): Promise<number> {
    await this.fill(Math.min(10, this.size - this.pos));
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.pos - this.start];
      this.pos++;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new RangeError('bad varint');
  }

  async bytes(n: number): Promise<Uint8Array> {
    await this.fill(n);
    const out = new Uint8Array(this.buf.subarray(this.pos - this.start, this.pos - this.start + n));
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.size) throw new RangeError('unexpected end of file');
  }
}

/** Skip a field's value of wire type `wire`. */
async function skipField(r: FileReader, wire: number): Promise<void> {
  if (wire === 0) await r.varint();
  else if (wire === 1) r.skip(8);
  else if (wire === 2) r.skip(await r.varint());
  else if (wire === 5) r.skip(4);
  else throw new RangeError(`unsupported protobuf wire type ${wire}`);
}

type Tensor = InstanceType<typeof onnx.TensorProto>;
type Node = InstanceType<typeof onnx.NodeProto>;

/** The value of a one-element float tensor, or null. */
function scalarOf(t: Tensor): number | null {
  const dims = (t.dims ?? []).map(Number);
  if (dims.reduce((a, b) => a * b, 1) !== 1) return null;
  if (t.dataType === onnx.TensorProto.DataType.FLOAT) {
    if (t.floatData && t.floatData.length === 1) return t.floatData[0];
    if (t.rawData && t.rawData.length === 4) return Buffer.from(t.rawData).readFloatLE(0);
  }
  if (t.dataType === onnx.TensorProto.DataType.DOUBLE) {
    if (t.doubleData && t.doubleData.length === 1) return t.doubleData[0];
    if (t.rawData && t.rawData.length === 8) return Buffer.from(t.rawData).readDoubleLE(0);
  }
  if (t.dataType === onnx.TensorProto.DataType.FLOAT16 && t.rawData && t.rawData.length === 2) return halfToFloat(Buffer.from(t.rawData).readUInt16LE(0));
  return null;
}

/** The small initialisers (by name) and the nodes of an ONNX model's main graph. */
async function readGraphSkeleton(source: ByteSource): Promise<{ scalars: Map<string, number>; nodes: Node[] }> {
  const r = new FileReader(source);
  const scalars = new Map<string, number>();
  const nodes: Node[] = [];
  // ModelProto: field 7 is the graph.
  while (r.pos < r.size) {
    const tag = await r.varint();
    const [field, wire] = [Math.floor(tag / 8), tag & 7];
    if (field !== 7 || wire !== 2) {
      await skipField(r, wire);
      continue;
    }
    const graphLength = await r.varint();
    const end = r.pos + graphLength;
    // GraphProto: field 1 node, field 5 initializer.
    while (r.pos < end) {
      const t = await r.varint();
      const [f, w] = [Math.floor(t / 8), t & 7];
      if (w === 2 && (f === 1 || f === 5)) {
        const len = await r.varint();
        if (f === 5 && len <= SMALL_TENSOR) {
          const tensor = onnx.TensorProto.decode(await r.bytes(len));
          const value = scalarOf(tensor);
          if (value !== null && tensor.name) scalars.set(tensor.name, value);
        } else if (f === 1 && len <= LARGE_NODE) {
          nodes.push(onnx.NodeProto.decode(await r.bytes(len)));
        } else r.skip(len);
      } else await skipField(r, w);
    }
    r.pos = end;
  }
  return { scalars, nodes };
}

/** Ops that pass a value through unchanged (as far as a scalar is concerned). */
const PASS_THROUGH = new Set(['Identity', 'Transpose', 'Cast', 'Reshape', 'Unsqueeze', 'Squeeze', 'Expand']);

/**
 * logit_scale (exp applied) and logit_bias from a combined SigLIP graph (onnx/model.onnx), or null
 * when the file holds neither pattern nor names. Throws only for unreadable files.
 */
export async function logitParamsFromOnnx(file: string): Promise<{ scale: number; bias: number } | null> {
  const fh = await open(file, 'r');
  try {
    return await logitParamsFromOnnxSource(fileSource(fh, (await fh.stat()).size));
  } finally {
    await fh.close();
  }
}

/** logitParamsFromOnnx on any ByteSource (e.g. HTTP range requests at fetch time). */
export async function logitParamsFromOnnxSource(source: ByteSource): Promise<{ scale: number; bias: number } | null> {
  const { scalars, nodes } = await readGraphSkeleton(source);
  // Constant nodes are scalars too.
  for (const n of nodes) {
    if (n.opType !== 'Constant') continue;
    const value = n.attribute?.find((a) => a.name === 'value')?.t;
    const v = value ? scalarOf(value as Tensor) : null;
    if (v !== null && n.output?.[0]) scalars.set(n.output[0], v);
  }
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const through = (name: string): { name: string; node: Node | undefined } => {
    let node = producer.get(name);
    for (let guard = 0; node && PASS_THROUGH.has(node.opType ?? '') && guard < 16; guard++) {
      name = node.input![0];
      node = producer.get(name);
    }
    return { name, node };
  };
  const scalar = (name: string): number | null => scalars.get(through(name).name) ?? null;

  for (const output of ['logits_per_image', 'logits_per_text']) {
    if (!producer.has(output)) continue;
    const add = through(output).node;
    if (add?.opType !== 'Add' || add.input?.length !== 2) continue;
    const biasAt = add.input.findIndex((i) => scalar(i) !== null);
    if (biasAt < 0) continue;
    const mul = through(add.input[1 - biasAt]).node;
    if (mul?.opType !== 'Mul' || mul.input?.length !== 2) continue;
    for (const input of mul.input) {
      const direct = scalar(input);
      if (direct !== null) return { scale: direct, bias: scalar(add.input[biasAt])! };
      const exp = through(input).node;
      if (exp?.opType === 'Exp' && exp.input?.[0] !== undefined) {
        const x = scalar(exp.input[0]);
        if (x !== null) return { scale: Math.exp(x), bias: scalar(add.input[biasAt])! };
      }
    }
  }
  const [scale, bias] = [scalars.get('logit_scale'), scalars.get('logit_bias')];
  if (scale !== undefined && bias !== undefined) return { scale: Math.exp(scale), bias };
  return null;
}

// ---------------------------------------------------------------------------------------------
// safetensors

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  /** Byte range in the file (absolute: after the 8-byte length and the header). */
  begin: number;
  end: number;
}

/** The largest header clipscope reads (the format allows 100 MB; real ones are well under 1 MB). */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

/** The header length from the file's first 8 bytes (little-endian u64). */
export function safetensorsHeaderLength(first8: Uint8Array, source: string): number {
  if (first8.length < 8) throw badSafetensors(source, 'is shorter than 8 bytes');
  const n = Number(Buffer.from(first8.buffer, first8.byteOffset, 8).readBigUInt64LE(0));
  if (n < 2 || n > MAX_SAFETENSORS_HEADER) throw badSafetensors(source, `declares a header of ${n} bytes`);
  return n;
}

/** The tensors listed in a safetensors header (the JSON after the 8 length bytes). */
export function parseSafetensorsHeader(header: Uint8Array, source: string): Map<string, SafetensorsEntry> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header.buffer, header.byteOffset, header.length).toString('utf8'));
  } catch (e) {
    throw badSafetensors(source, `has a header that is not JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw badSafetensors(source, 'has a header that is not a JSON object');
  const base = 8 + header.length;
  const out = new Map<string, SafetensorsEntry>();
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const offsets = e?.data_offsets;
    if (typeof e?.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(offsets) || offsets.length !== 2) continue;
    out.set(name, { dtype: e.dtype, shape: e.shape.map(Number), begin: base + Number(offsets[0]), end: base + Number(offsets[1]) });
  }
  return out;
}

/** A one-element tensor's value from its bytes (F32, F64, F16 or BF16). */
export function scalarFromSafetensors(entry: SafetensorsEntry, bytes: Uint8Array, source: string, name: string): number {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const count = entry.shape.reduce((a, c) => a * c, 1);
  const width: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };
  if (count !== 1 || !(entry.dtype in width) || b.length !== width[entry.dtype]) {
    throw badSafetensors(source, `holds ${name} as ${entry.dtype} ${JSON.stringify(entry.shape)} (${b.length} bytes), not one float`);
  }
  if (entry.dtype === 'F32') return b.readFloatLE(0);
  if (entry.dtype === 'F64') return b.readDoubleLE(0);
  if (entry.dtype === 'F16') return halfToFloat(b.readUInt16LE(0));
  const f = Buffer.alloc(4);
  f.writeUInt16LE(b.readUInt16LE(0), 2);
  return f.readFloatLE(0);
}

function badSafetensors(source: string, problem: string): ClipscopeError {
  return new ClipscopeError('model', `${source} ${problem}: it is not a usable safetensors file`, 'Fetch the model again (`clipscope model fetch <repo-id>`).');
}

/** The names SigLIP's weights give the two scalars (transformers' SiglipModel). */
export const SAFETENSORS_NAMES = { scale: 'logit_scale', bias: 'logit_bias' } as const;

/**
 * Read logit_scale and logit_bias from the header and two tensors of `read(begin, end)` — a local
 * file or HTTP range requests. Null when the file has no such tensors (e.g. a text-only checkpoint).
 */
export async function logitParamsFromSafetensors(
  read: (begin: number, end: number) => Promise<Uint8Array>,
  source: string,
): Promise<{ scale: number; bias: number } | null> {
  const length = safetensorsHeaderLength(await read(0, 8), source);
  const entries = parseSafetensorsHeader(await read(8, 8 + length), source);
  const scaleEntry = entries.get(SAFETENSORS_NAMES.scale);
  const biasEntry = entries.get(SAFETENSORS_NAMES.bias);
  if (!scaleEntry || !biasEntry) return null;
  const logScale = scalarFromSafetensors(scaleEntry, await read(scaleEntry.begin, scaleEntry.end), source, SAFETENSORS_NAMES.scale);
  const bias = scalarFromSafetensors(biasEntry, await read(biasEntry.begin, biasEntry.end), source, SAFETENSORS_NAMES.bias);
  // SiglipModel keeps the scale's logarithm and applies exp() in forward.
  return { scale: Math.exp(logScale), bias };
}

/** logitParamsFromSafetensors on a local file. */
export async function logitParamsFromSafetensorsFile(file: string, source: string): Promise<{ scale: number; bias: number } | null> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    return await logitParamsFromSafetensors(async (begin, end) => {
      if (begin < 0 || end > size || end < begin) throw badSafetensors(source, `lists bytes ${begin}–${end} of a ${size}-byte file`);
      const buf = Buffer.alloc(end - begin);
      await fh.read(buf, 0, end - begin, begin);
      return buf;
    }, source);
  } finally {
    await fh.close();
  }
}
