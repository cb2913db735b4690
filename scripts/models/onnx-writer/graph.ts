// A small ONNX graph writer on onnx-proto's generated protobuf classes. Used by the model generators
// (scripts/models/) to write CLIP-shaped graphs; the engine itself only reads models.
//
// Output is deterministic: nodes, initializers and names appear in the order they were added, and
// nothing time- or machine-dependent is written, so the same calls give the same bytes.
//
// Large models (ViT-B/32 is ~350 MB of weights) are written without holding the serialised model
// and all its weights in memory at once: a weight may be *lazy* (a function that produces its values
// when the model is encoded), and `toSource()` encodes the model as a sequence of chunks whose total
// length is known up front. The chunks are exactly the bytes protobufjs would produce for the whole
// message (fields in field-number order), so `toBytes()` and a streamed file are identical.

import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const DataType = {
  FLOAT: onnx.TensorProto.DataType.FLOAT,
  UINT8: onnx.TensorProto.DataType.UINT8,
  INT8: onnx.TensorProto.DataType.INT8,
  INT32: onnx.TensorProto.DataType.INT32,
  INT64: onnx.TensorProto.DataType.INT64,
  BOOL: onnx.TensorProto.DataType.BOOL,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** A dimension: a fixed size or a symbolic name such as "batch". */
export type Dim = number | string;

export type AttributeValue = number | string | number[] | string[] | { tensor: TensorData } | { float: number } | { ints: number[] };

export type TensorValues = Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

export interface TensorData {
  dataType: DataTypeCode;
  dims: number[];
  /** FLOAT: Float32Array; INT64: BigInt64Array; INT32: Int32Array; UINT8: Uint8Array; INT8: Int8Array. */
  data: TensorValues;
}

/**
 * A tensor whose values are produced only when the model is encoded (and produced again on every
 * encoding, so `fill` must be pure: same values every call). Keeps big random weights out of memory
 * until they are written, one tensor at a time.
 */
export interface LazyTensorData {
  dataType: DataTypeCode;
  dims: number[];
  fill: () => TensorValues;
}

/** Serialised ONNX bytes as chunks, with the total length known before any chunk is produced. */
export interface OnnxSource {
  byteLength: number;
  chunks(): Iterable<Uint8Array>;
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function checkLength(name: string, dims: readonly number[], data: TensorValues): void {
  const expected = elementCount(dims);
  if (data.length !== expected) {
    throw new Error(`tensor ${name}: ${data.length} values for dims [${dims.join(', ')}] (expected ${expected})`);
  }
}

function asBytes(data: TensorValues): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function tensorProto(name: string, t: TensorData) {
  checkLength(name, t.dims, t.data);
  return onnx.TensorProto.create({ name, dims: t.dims, dataType: t.dataType, rawData: asBytes(t.data).slice() });
}

function valueInfo(name: string, elemType: DataTypeCode, dims: Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            typeof d === 'number'
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

function attribute(name: string, value: AttributeValue) {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? onnx.AttributeProto.create({ name, type: A.INT, i: value })
      : onnx.AttributeProto.create({ name, type: A.FLOAT, f: value });
  }
  if (typeof value === 'string') {
    return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(value) });
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'number')) {
      return (value as number[]).every(Number.isInteger)
        ? onnx.AttributeProto.create({ name, type: A.INTS, ints: value as number[] })
        : onnx.AttributeProto.create({ name, type: A.FLOATS, floats: value as number[] });
    }
    return onnx.AttributeProto.create({ name, type: A.STRINGS, strings: (value as string[]).map((s) => new TextEncoder().encode(s)) });
  }
  if ('float' in value) return onnx.AttributeProto.create({ name, type: A.FLOAT, f: value.float });
  if ('ints' in value) return onnx.AttributeProto.create({ name, type: A.INTS, ints: value.ints });
  return onnx.AttributeProto.create({ name, type: A.TENSOR, t: tensorProto(name, value.tensor) });
}

// --- protobuf wire format, for the hand-assembled outer messages -------------------------------

/** Field numbers and wire type 2 (length-delimited) tags used when assembling messages by hand. */
const TAG = {
  modelGraph: (7 << 3) | 2, // ModelProto.graph
  graphInitializer: (5 << 3) | 2, // GraphProto.initializer
  tensorRawData: (9 << 3) | 2, // TensorProto.raw_data
} as const;

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** tag + length prefix of a length-delimited field. */
function fieldHeader(tag: number, length: number): Uint8Array {
  const len = varint(length);
  const out = new Uint8Array(1 + len.length);
  out[0] = tag;
  out.set(len, 1);
  return out;
}

interface InitializerEntry {
  name: string;
  dataType: DataTypeCode;
  dims: number[];
  /** Eager values (copied when added) or a producer for lazy ones. */
  data?: Uint8Array;
  fill?: () => TensorValues;
  /** Counted by parameterCount(): model weights, not shape constants. */
  parameter: boolean;
}

/** Builds one ONNX graph. Names of intermediate values are generated from a counter. */
export class GraphBuilder {
  private readonly nodes: ReturnType<typeof onnx.NodeProto.create>[] = [];
  private readonly initializers: InitializerEntry[] = [];
  private readonly inputs: ReturnType<typeof onnx.ValueInfoProto.create>[] = [];
  private readonly outputs: ReturnType<typeof onnx.ValueInfoProto.create>[] = [];
  private readonly names = new Set<string>();
  private counter = 0;
  private readonly name: string;
  /** Extra opset imports, e.g. { domain: 'com.microsoft', version: 1 } for quantised ops. */
  private readonly extraOpsets: { domain: string; version: number }[] = [];

  constructor(name: string) {
    this.name = name;
  }

  /** A fresh unique value name with a readable prefix. */
  fresh(prefix: string): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`;
    while (this.names.has(n));
    this.names.add(n);
    return n;
  }

  input(name: string, elemType: DataTypeCode, dims: Dim[]): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: DataTypeCode, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  private addInitializer(entry: InitializerEntry): string {
    if (this.names.has(entry.name)) throw new Error(`duplicate initializer name ${entry.name}`);
    this.names.add(entry.name);
    this.initializers.push(entry);
    return entry.name;
  }

  /** Adds a constant weight tensor (a model parameter) and returns its name. */
  initializer(name: string, tensor: TensorData): string {
    checkLength(name, tensor.dims, tensor.data);
    return this.addInitializer({ name, dataType: tensor.dataType, dims: tensor.dims.slice(), data: asBytes(tensor.data).slice(), parameter: true });
  }

  /** Adds a weight whose values are produced when the model is encoded (see LazyTensorData). */
  lazyInitializer(name: string, tensor: LazyTensorData): string {
    return this.addInitializer({ name, dataType: tensor.dataType, dims: tensor.dims.slice(), fill: tensor.fill, parameter: true });
  }

  /** Adds a constant that is not a model parameter (shapes, masks, scalars): not in parameterCount(). */
  constant(name: string, tensor: TensorData): string {
    checkLength(name, tensor.dims, tensor.data);
    return this.addInitializer({ name, dataType: tensor.dataType, dims: tensor.dims.slice(), data: asBytes(tensor.data).slice(), parameter: false });
  }

  float(name: string, dims: number[], data: Float32Array | number[]): string {
    return this.initializer(name, { dataType: DataType.FLOAT, dims, data: data instanceof Float32Array ? data : Float32Array.from(data) });
  }

  /** An int64 constant (shapes, indices, axes); int64 tensors are never counted as parameters. */
  int64(name: string, dims: number[], data: number[]): string {
    return this.constant(name, { dataType: DataType.INT64, dims, data: BigInt64Array.from(data.map(BigInt)) });
  }

  /**
   * Adds a node. `outputs` may be names or a count (names are generated). Returns the output names.
   */
  node(opType: string, inputs: string[], outputs: string[] | number = 1, attrs: Record<string, AttributeValue> = {}, domain = ''): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : outputs;
    for (const o of outs) this.names.add(o);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        domain,
        name: this.fresh(`n_${opType}`),
        input: inputs,
        output: outs,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outs;
  }

  /** Shorthand for a one-output node. */
  op(opType: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, domain = ''): string {
    return this.node(opType, inputs, 1, attrs, domain)[0];
  }

  useOpset(domain: string, version: number): void {
    if (!this.extraOpsets.some((o) => o.domain === domain)) this.extraOpsets.push({ domain, version });
  }

  /**
   * The serialised model as chunks. Encoding is ModelProto{1-3: ir/producer, 7: graph, 8: opsets}
   * with GraphProto{1-2: nodes/name, 5: initializers, 11-12: inputs/outputs}: the same field order
   * protobufjs uses, assembled by hand so that each weight is produced, copied out and released in
   * turn. `opset` is the default-domain opset version.
   */
  toSource(opset = 17, producer = 'clipscope'): OnnxSource {
    const modelHead = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: producer, producerVersion: '1' })).finish();
    const modelTail = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: opset }), ...this.extraOpsets.map((o) => onnx.OperatorSetIdProto.create(o))],
      }),
    ).finish();
    const graphHead = onnx.GraphProto.encode(onnx.GraphProto.create({ node: this.nodes, name: this.name })).finish();
    const graphTail = onnx.GraphProto.encode(onnx.GraphProto.create({ input: this.inputs, output: this.outputs })).finish();

    // Each initializer: TensorProto{1: dims, 2: data_type, 8: name} then 9: raw_data.
    const tensors = this.initializers.map((t) => {
      const head = onnx.TensorProto.encode(onnx.TensorProto.create({ dims: t.dims, dataType: t.dataType, name: t.name })).finish();
      const rawLength = t.data ? t.data.byteLength : elementCount(t.dims) * bytesPerElement(t.dataType);
      const rawHeader = fieldHeader(TAG.tensorRawData, rawLength);
      const tensorLength = head.length + rawHeader.length + rawLength;
      return { entry: t, head, rawHeader, rawLength, outer: fieldHeader(TAG.graphInitializer, tensorLength), tensorLength };
    });
    const graphLength = graphHead.length + graphTail.length + tensors.reduce((s, t) => s + t.outer.length + t.tensorLength, 0);
    const graphHeader = fieldHeader(TAG.modelGraph, graphLength);
    const byteLength = modelHead.length + graphHeader.length + graphLength + modelTail.length;

    function* chunks(): Generator<Uint8Array> {
      yield modelHead;
      yield graphHeader;
      yield graphHead;
      for (const t of tensors) {
        yield t.outer;
        yield t.head;
        yield t.rawHeader;
        const raw = t.entry.data ?? produce(t.entry);
        if (raw.byteLength !== t.rawLength) throw new Error(`tensor ${t.entry.name}: produced ${raw.byteLength} bytes, expected ${t.rawLength}`);
        yield raw;
      }
      yield graphTail;
      yield modelTail;
    }
    return { byteLength, chunks };
  }

  /** Serialises the model into one buffer. `opset` is the default-domain opset version. */
  toBytes(opset = 17, producer = 'clipscope'): Uint8Array {
    return sourceToBytes(this.toSource(opset, producer));
  }

  /** Number of scalar weights in the parameter initializers (constants excluded), for parameter-count tests. */
  parameterCount(): number {
    return this.initializers.filter((t) => t.parameter).reduce((sum, t) => sum + elementCount(t.dims), 0);
  }

  /** Names and shapes of the initializers, in order (for tests and tools). */
  initializerShapes(): { name: string; dims: number[]; parameter: boolean }[] {
    return this.initializers.map((t) => ({ name: t.name, dims: t.dims.slice(), parameter: t.parameter }));
  }
}

function bytesPerElement(dataType: DataTypeCode): number {
  switch (dataType) {
    case DataType.FLOAT:
    case DataType.INT32:
      return 4;
    case DataType.INT64:
      return 8;
    case DataType.UINT8:
    case DataType.INT8:
    case DataType.BOOL:
      return 1;
    default:
      throw new Error(`unsupported tensor data type ${dataType}`);
  }
}

function produce(entry: InitializerEntry): Uint8Array {
  const values = entry.fill!();
  checkLength(entry.name, entry.dims, values);
  return asBytes(values);
}

/** Concatenates a source's chunks into one buffer of its declared length. */
export function sourceToBytes(source: OnnxSource): Uint8Array {
  const out = new Uint8Array(source.byteLength);
  let offset = 0;
  for (const chunk of source.chunks()) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  if (offset !== source.byteLength) throw new Error(`ONNX source produced ${offset} bytes, declared ${source.byteLength}`);
  return out;
}

/** Decodes a model's bytes, for tests and tools that inspect generated graphs. */
export function decodeModel(bytes: Uint8Array) {
  return onnx.ModelProto.decode(bytes);
}

/** Encodes a decoded (or hand-made) model with protobufjs, e.g. to compare with toBytes(). */
export function encodeModel(model: ReturnType<typeof decodeModel>): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
