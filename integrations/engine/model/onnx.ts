// The only module that imports onnxruntime-node. It opens sessions with the options that matter on
// CPU, describes their declared inputs and outputs as plain data, runs them on plain typed arrays
// and turns onnxruntime's errors into ClipscopeErrors that name the model file.
import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ClipscopeError } from '../errors.ts';

/** A declared input or output: its name, element type ("float32", "int64", …) and shape, where a
 * symbolic dimension such as "batch_size" stays a string. */
export interface ValueInfo {
  name: string;
  type: string | null;
  shape: (number | string)[];
}

export interface OnnxSession {
  /** The model file, for messages. */
  file: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** The underlying session; only this module touches it. */
  readonly handle: unknown;
}

export interface SessionOptions {
  /** onnxruntime's intra-op threads (the threads one matrix multiplication is split across). */
  threads: number;
}

/** A tensor to feed: float32, int64 or int32 data with its dimensions. */
export type Feed =
  | { type: 'float32'; data: Float32Array; dims: number[] }
  | { type: 'int64'; data: BigInt64Array; dims: number[] }
  | { type: 'int32'; data: Int32Array; dims: number[] };

export interface FloatOutput {
  data: Float32Array;
  dims: number[];
}

const HINT_NOT_ONNX = 'Replace it with a CLIP model exported to ONNX, e.g. `clipscope model fetch Xenova/clip-vit-base-patch32`.';

function describe(meta: ort.InferenceSession.ValueMetadata): ValueInfo {
  return meta.isTensor ? { name: meta.name, type: meta.type, shape: [...meta.shape] } : { name: meta.name, type: null, shape: [] };
}

export async function createSession(file: string, options: SessionOptions): Promise<OnnxSession> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      // One graph, run node after node; the parallelism is inside the operators (intra-op).
      executionMode: 'sequential',
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      // The arena and memory patterns reuse buffers between batches of the same shape.
      enableCpuMemArena: true,
      enableMemPattern: true,
    });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ClipscopeError('model', `Could not load ${basename(file)} (${file}) as an ONNX model: ${reason}`, HINT_NOT_ONNX, { cause: e });
  }
  return {
    file,
    inputs: session.inputMetadata.map(describe),
    outputs: session.outputMetadata.map(describe),
    handle: session,
  };
}

function toTensor(feed: Feed): ort.Tensor {
  return new ort.Tensor(feed.type, feed.data, feed.dims);
}

/** Run a session and return the requested float32 outputs as plain typed arrays. */
export async function runFloat(session: OnnxSession, feeds: Record<string, Feed>, outputNames: string[]): Promise<Record<string, FloatOutput>> {
  const handle = session.handle as ort.InferenceSession;
  const tensors: Record<string, ort.Tensor> = {};
  for (const [name, feed] of Object.entries(feeds)) tensors[name] = toTensor(feed);
  let results: ort.InferenceSession.ReturnType;
  try {
    results = await handle.run(tensors, outputNames);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ClipscopeError('model', `Running ${basename(session.file)} failed: ${reason}`, 'Check that the model folder holds a CLIP model in the Hugging Face ONNX layout.', { cause: e });
  }
  const out: Record<string, FloatOutput> = {};
  for (const name of outputNames) {
    const t = results[name];
    if (t?.type !== 'float32') {
      throw new ClipscopeError('model', `${basename(session.file)} gave ${t ? t.type : 'no'} output ${name}; expected float32`);
    }
    out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
  }
  return out;
}

export async function releaseSession(session: OnnxSession): Promise<void> {
  await (session.handle as ort.InferenceSession).release();
}
