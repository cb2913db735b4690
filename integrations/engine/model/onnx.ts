// The only module that imports onnxruntime-node. It opens sessions with the options that matter on
// CPU, describes their declared inputs and outputs as plain data, runs them on plain typed arrays
// and turns onnxruntime's errors into ClipscopeErrors that name the model file.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ClipscopeError } from '../errors.ts';
import type { Availability, DeviceSelection, Provider } from './device.ts';
import { fromHalf } from './float16.ts';

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
  /** The execution provider choice (device.ts); the CPU when absent. */
  device?: DeviceSelection;
}

/** onnxruntime-node's package folder. */
function packageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
}

/** The folder of the native binding, where onnxruntime-node's install script puts the provider
 * libraries it downloads. */
export function bindingDir(platform: string = process.platform, arch: string = process.arch): string {
  return join(packageDir(), 'bin', 'napi-v6', platform, arch);
}

/** onnxruntime-node's version (from its package.json). */
export function onnxruntimeVersion(): string {
  return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
}

/** The library file of a provider onnxruntime-node does not bundle, per platform. */
export function providerLibrary(name: string, platform: string = process.platform): string {
  return platform === 'win32' ? `onnxruntime_providers_${name}.dll` : `libonnxruntime_providers_${name}.so`;
}

/** What the binding offers here: its providers (listSupportedBackends) and which of the downloaded
 * ones are installed (their library, and the shared provider bridge, in the binding's folder). */
export function onnxAvailability(): Availability {
  const list = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] }).listSupportedBackends;
  const backends = typeof list === 'function' ? list() : [{ name: 'cpu', bundled: true }];
  const dir = bindingDir();
  return {
    platform: process.platform,
    arch: process.arch,
    version: onnxruntimeVersion(),
    backends: backends.map((b) => ({ name: b.name, bundled: b.bundled })),
    installed: (name) => existsSync(join(dir, providerLibrary(name))) && existsSync(join(dir, providerLibrary('shared'))),
  };
}

/** The execution providers a session is created with: the accelerator first, the CPU for the
 * operators it does not implement. */
export function executionProviders(provider: Provider): string[] {
  return provider === 'cpu' ? ['cpu'] : [provider, 'cpu'];
}

/** A tensor to feed: float32, int64, int32 or bool (one byte each) data with its dimensions. */
export type Feed =
  | { type: 'float32'; data: Float32Array; dims: number[] }
  | { type: 'int64'; data: BigInt64Array; dims: number[] }
  | { type: 'int32'; data: Int32Array; dims: number[] }
  | { type: 'bool'; data: Uint8Array; dims: number[] };

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
  // On an accelerator that fails to start, the selection falls back (auto) or throws (explicit).
  for (let provider = options.device?.current() ?? 'cpu'; provider !== 'cpu'; provider = options.device!.current()) {
    try {
      session = await openSession(file, options.threads, provider);
      return describeSession(file, session);
    } catch (e) {
      options.device!.failed(provider, e instanceof Error ? e.message.split('\n')[0] : String(e));
    }
  }
  try {
    session = await openSession(file, options.threads, 'cpu');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ClipscopeError('model', `Could not load ${basename(file)} (${file}) as an ONNX model: ${reason}`, HINT_NOT_ONNX, { cause: e });
  }
  return describeSession(file, session);
}

function openSession(file: string, threads: number, provider: Provider): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, {
    executionProviders: executionProviders(provider),
    graphOptimizationLevel: 'all',
    // One graph, run node after node; the parallelism is inside the operators (intra-op).
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    // The arena and memory patterns reuse buffers between batches of the same shape.
    enableCpuMemArena: true,
    enableMemPattern: true,
  });
}

function describeSession(file: string, session: ort.InferenceSession): OnnxSession {
  return {
    file,
    inputs: session.inputMetadata.map(describe),
    outputs: session.outputMetadata.map(describe),
    handle: session,
  };
}

/** float32 → IEEE half-precision bits, rounding to nearest even (the fp16 variant's inputs). */
export function toHalf(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i];
    const x = u[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); // Inf, NaN
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00; // overflow → Inf
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign; // underflow → ±0
        continue;
      }
      mant |= 0x800000; // subnormal half
      const shift = 14 - e;
      let half = mant >>> shift;
      const rest = mant & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rest > halfway || (rest === halfway && half & 1)) half++;
      out[i] = sign | half;
      continue;
    }
    let half = (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // may carry into the exponent: correct
    out[i] = sign | half;
  }
  return out;
}

/** A feed as the session declares the input: float32 data goes in as float16 where the graph
 * takes float16 (the onnx-community fp16 exports without float32 inputs). */
function toTensor(feed: Feed, declared: string | null | undefined): ort.Tensor {
  if (feed.type === 'float32' && declared === 'float16') {
    const bits = toHalf(feed.data);
    const tensor = new ort.Tensor('float16', bits, feed.dims);
    // Where Node has Float16Array (24+), onnxruntime-common wraps the bits in one, which
    // onnxruntime-node 1.30's native binding reads as 0 bytes ("not enough space"): give it the
    // Uint16Array of the same bits back.
    (tensor as unknown as { cpuData: Uint16Array }).cpuData = bits;
    return tensor;
  }
  return new ort.Tensor(feed.type, feed.data, feed.dims);
}

/** Run a session and return the requested float32 outputs as plain typed arrays. */
export async function runFloat(session: OnnxSession, feeds: Record<string, Feed>, outputNames: string[]): Promise<Record<string, FloatOutput>> {
  const handle = session.handle as ort.InferenceSession;
  const tensors: Record<string, ort.Tensor> = {};
  for (const [name, feed] of Object.entries(feeds)) tensors[name] = toTensor(feed, session.inputs.find((i) => i.name === name)?.type);
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
    if (t?.type === 'float16') {
      const data = t.data as ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; length: number };
      out[name] = { data: fromHalf(new Uint16Array(data.buffer, data.byteOffset, data.length)), dims: [...t.dims] };
      continue;
    }
    if (t?.type !== 'float32') {
      throw new ClipscopeError('model', `${basename(session.file)} gave ${t ? t.type : 'no'} output ${name}; expected float32 or float16`);
    }
    out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
  }
  return out;
}

export async function releaseSession(session: OnnxSession): Promise<void> {
  await (session.handle as ort.InferenceSession).release();
}
