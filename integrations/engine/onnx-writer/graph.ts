// A small ONNX graph writer on onnx-proto's generated protobuf classes. Used by the model generators
// (scripts/models/) to write CLIP-shaped graphs; the engine itself only reads models.
//
// Output is deterministic: nodes, initializers and names appear in the order they were added, and
// nothing time- or machine-dependent is written, so the same calls give the same bytes.

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

export interface TensorData {
  dataType: DataTypeCode;
  dims: number[];
  /** FLOAT: Float32Array; INT64: BigInt64Array; INT32: Int32Array; UINT8: Uint8Array; INT8: Int8Array. */
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;
}

function tensorProto(name: string, t: TensorData) {
  const expected = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== expected) {
    throw new Error(`tensor ${name}: ${t.data.length} values for dims [${t.dims.join(', ')}] (expected ${expected})`);
  }
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return onnx.TensorProto.create({ name, dims: t.dims, dataType: t.dataType, rawData: bytes.slice() });
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

/** Builds one ONNX graph. Names of intermediate values are generated from a counter. */
export class GraphBuilder {
  private readonly nodes: ReturnType<typeof onnx.NodeProto.create>[] = [];
  private readonly initializers: ReturnType<typeof onnx.TensorProto.create>[] = [];
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

  /** Adds a constant weight tensor and returns its name. */
  initializer(name: string, tensor: TensorData): string {
    if (this.names.has(name)) throw new Error(`duplicate initializer name ${name}`);
    this.names.add(name);
    this.initializers.push(tensorProto(name, tensor));
    return name;
  }

  float(name: string, dims: number[], data: Float32Array | number[]): string {
    return this.initializer(name, { dataType: DataType.FLOAT, dims, data: data instanceof Float32Array ? data : Float32Array.from(data) });
  }

  int64(name: string, dims: number[], data: number[]): string {
    return this.initializer(name, { dataType: DataType.INT64, dims, data: BigInt64Array.from(data.map(BigInt)) });
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

  /** Serialises the model. `opset` is the default-domain opset version. */
  toBytes(opset = 17, producer = 'clipscope'): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: producer,
      producerVersion: '1',
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: opset }), ...this.extraOpsets.map((o) => onnx.OperatorSetIdProto.create(o))],
      graph: onnx.GraphProto.create({
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  /** Number of scalar weights in the initializers (for parameter-count tests). */
  parameterCount(): number {
    return this.initializers.reduce((sum, t) => sum + (t.dims as number[]).reduce((a, b) => a * Number(b), 1), 0);
  }
}

/** Decodes a model's bytes, for tests and tools that inspect generated graphs. */
export function decodeModel(bytes: Uint8Array) {
  return onnx.ModelProto.decode(bytes);
}
