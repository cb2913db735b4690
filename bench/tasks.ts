// One benchmark measurement per process: `node bench/tasks.ts <task> <json args>` prints one JSON
// line (prefixed "RESULT ") with the numbers and the process's peak RSS. A fresh process per
// measurement keeps peak memory, JIT state and onnxruntime's thread pools from leaking between them.
//
//   bound     onnxruntime alone on ready-made tensors (the engine's preprocessing, done before the
//             clock starts), sweeping batch sizes; the session is opened by the engine's onnx.ts, so
//             it has clipscope's session options
//   classify  clipscope's classify() end to end on a folder (discover, hash, cache, decode,
//             preprocess, infer, score) plus the CSV, with or without the cache
//   peer      transformers.js: its CLIP image processor and CLIPVisionModelWithProjection on the same
//             model folder and files (see peer.ts)
import { readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuSeconds } from './machine.ts';
import { loadModel } from '../integrations/engine/model/load.ts';
import { createSession, releaseSession, runFloat } from '../integrations/engine/model/onnx.ts';
import { forEachLimited } from '../integrations/engine/pool.ts';
import { preprocessImage } from '../integrations/engine/preprocess.ts';
import { writeResults } from '../integrations/engine/results.ts';
import { classify } from '../integrations/engine/run.ts';

export interface TaskResult {
  task: string;
  /** Peak resident set size of the task's process, MiB. */
  peakRssMiB: number;
  /** 1-minute load average when the task started and ended. */
  load: [number, number];
  [key: string]: unknown;
}

const now = () => performance.now() / 1000;

function normalizeRows(data: Float32Array, count: number, dim: number): Float32Array {
  const out = new Float32Array(count * dim);
  for (let r = 0; r < count; r++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += data[r * dim + i] ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let i = 0; i < dim; i++) out[r * dim + i] = data[r * dim + i] * inv;
  }
  return out;
}


export interface BoundArgs {
  model: string;
  variant: 'fp32' | 'quantized';
  files: string[];
  /** Batch sizes to sweep; each runs `sweepImages` images (rounded down to whole batches). */
  batchSizes: number[];
  sweepImages: number;
  threads: number;
  /** Write the L2-normalised embeddings of all files (float32, row after row) here. */
  embeddingsOut?: string;
  /** Write the first `tensorsCount` preprocessed tensors here (for the peer's model-agreement check). */
  tensorsOut?: string;
  tensorsCount?: number;
  /** Instead of measuring: embed `referenceCount` ready-made tensors (float32 file) into referenceOut. */
  referenceIn?: string;
  referenceCount?: number;
  referenceOut?: string;
}

async function embedReference(args: BoundArgs): Promise<Record<string, unknown>> {
  const model = await loadModel(args.model, { threads: args.threads, variant: args.variant, lazy: true });
  try {
    const bytes = await readFile(args.referenceIn!);
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    const pixels = new Float32Array(copy.buffer);
    const count = args.referenceCount!;
    const perImage = pixels.length / count;
    const out: Float32Array[] = [];
    for (let s = 0; s < count; s += 16) {
      const n = Math.min(16, count - s);
      out.push(await model.embedImages(pixels.subarray(s * perImage, (s + n) * perImage), n));
    }
    await writeFile(args.referenceOut!, Buffer.concat(out.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength))));
    return { embedded: args.referenceCount };
  } finally {
    await model.close();
  }
}

async function bound(args: BoundArgs): Promise<Record<string, unknown>> {
  if (args.referenceIn) return embedReference(args);
  const model = await loadModel(args.model, { threads: args.threads, variant: args.variant, lazy: true });
  const cfg = model.info.preprocess;
  const dim = model.info.projectionDim;
  await model.close();
  const perImage = 3 * cfg.cropHeight * cfg.cropWidth;
  const n = args.files.length;

  // The engine's own preprocessing, all images, before any clock that counts.
  const tensors = new Float32Array(n * perImage);
  let t0 = now();
  await forEachLimited(args.files, availableParallelism() * 2, async (file, i) => {
    await preprocessImage(await readFile(file), cfg, { out: tensors, offset: i * perImage });
  });
  const prepareSeconds = now() - t0;
  if (args.tensorsOut) await writeFile(args.tensorsOut, tensors.subarray(0, Math.min(n, args.tensorsCount ?? 16) * perImage));

  const file = join(args.model, args.variant === 'quantized' ? 'onnx/vision_model_quantized.onnx' : 'onnx/vision_model.onnx');
  t0 = now();
  const session = await createSession(file, { threads: args.threads });
  const sessionSeconds = now() - t0;
  const run = async (start: number, count: number) =>
    (
      await runFloat(session, { pixel_values: { type: 'float32', data: tensors.subarray(start * perImage, (start + count) * perImage), dims: [count, 3, cfg.cropHeight, cfg.cropWidth] } }, [
        'image_embeds',
      ])
    ).image_embeds.data;

  const sweep: { batchSize: number; images: number; seconds: number; imagesPerSecond: number }[] = [];
  for (const b of args.batchSizes) {
    const batches = Math.max(1, Math.floor(Math.min(args.sweepImages, n) / b));
    if (b > n) continue;
    await run(0, b); // warm-up: first run of a shape plans its memory
    const start = now();
    for (let k = 0; k < batches; k++) await run((k * b) % (n - b + 1), b);
    const seconds = now() - start;
    sweep.push({ batchSize: b, images: batches * b, seconds, imagesPerSecond: (batches * b) / seconds });
  }
  const best = sweep.reduce((a, c) => (c.imagesPerSecond > a.imagesPerSecond ? c : a));

  // All images at the best batch size (the last batch may be partial, as in a real run).
  const embeds = new Float32Array(n * dim);
  t0 = now();
  const c0 = cpuSeconds();
  for (let s = 0; s < n; s += best.batchSize) {
    const count = Math.min(best.batchSize, n - s);
    embeds.set(await run(s, count), s * dim);
  }
  const fullSeconds = now() - t0;
  const fullCpuSeconds = cpuSeconds() - c0;
  await releaseSession(session);
  if (args.embeddingsOut) await writeFile(args.embeddingsOut, normalizeRows(embeds, n, dim));
  return {
    variant: args.variant,
    images: n,
    prepareSeconds,
    prepareImagesPerSecond: n / prepareSeconds,
    sessionSeconds,
    sweep,
    bestBatchSize: best.batchSize,
    fullSeconds,
    cpuSecondsPerImage: fullCpuSeconds / n,
    imagesPerSecond: n / fullSeconds,
    dim,
  };
}

export interface ClassifyArgs {
  model: string;
  variant: 'fp32' | 'quantized';
  images: string;
  /** A small folder classified first in the same process: the difference of the two runs is the
   * per-image cost without the fixed costs (model load, text tower, dictionary). */
  warmImages?: string;
  dictionary: string;
  batchSize?: number;
  threads?: number;
  /** Cache folder (removed first when `freshCache`), or null for --no-cache. */
  cache: string | null;
  freshCache?: boolean;
  csv: string;
}

async function classifyTask(args: ClassifyArgs): Promise<Record<string, unknown>> {
  const once = async (images: string) => {
    if (args.cache && args.freshCache) await rm(args.cache, { recursive: true, force: true });
    const t0 = now();
    const c0 = cpuSeconds();
    const phases = { prepareSeconds: 0, inferSeconds: 0, images: 0 };
    const result = await classify(
      {
        images,
        dictionary: args.dictionary,
        model: args.model,
        modelVariant: args.variant,
        cache: args.cache,
        ...(args.batchSize ? { batchSize: args.batchSize } : {}),
        ...(args.threads ? { threads: args.threads } : {}),
      },
      {
        log: () => {},
        phases: (p) => {
          phases.prepareSeconds += p.prepareSeconds;
          phases.inferSeconds += p.inferSeconds;
          phases.images += p.images;
        },
      },
    );
    await writeResults(result, { csv: args.csv, column: result.run.column, topK: result.run.topK });
    return { seconds: now() - t0, cpuSeconds: cpuSeconds() - c0, images: result.stats.images, embedded: result.stats.embedded, fromCache: result.stats.fromCache, skipped: result.stats.skipped, phases };
  };
  const warm = args.warmImages ? await once(args.warmImages) : null;
  const full = await once(args.images);
  const out: Record<string, unknown> = {
    variant: args.variant,
    ...full,
    imagesPerSecond: full.images / full.seconds,
  };
  if (warm) {
    out.warm = warm;
    out.fixedSeconds = Math.max(0, warm.seconds - (warm.images * (full.seconds - warm.seconds)) / (full.images - warm.images));
    out.marginalImagesPerSecond = (full.images - warm.images) / (full.seconds - warm.seconds);
    out.cpuSecondsPerImage = (full.cpuSeconds - warm.cpuSeconds) / (full.images - warm.images);
  }
  return out;
}

type Task = (args: never) => Promise<Record<string, unknown>>;

/** peer.ts imports transformers.js, which only bench's own install has (bench/package.json): loaded
 * through a variable so that the project's typecheck does not follow it (bench/tsconfig.json checks
 * it with bench's dependencies). */
const PEER_MODULE = './peer.ts';

const TASKS: Record<string, Task> = {
  bound: bound as Task,
  classify: classifyTask as Task,
  peer: (async (args: never) => ((await import(PEER_MODULE)) as { peer: Task }).peer(args)) as Task,
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [task, json] = process.argv.slice(2);
  const fn = TASKS[task];
  if (!fn) {
    console.error(`usage: node bench/tasks.ts <${Object.keys(TASKS).join('|')}> <json args>`);
    process.exit(2);
  }
  const load0 = loadavg()[0];
  const result = await fn(JSON.parse(json) as never);
  const out: TaskResult = { task, ...result, peakRssMiB: process.resourceUsage().maxRSS / 1024, load: [load0, loadavg()[0]] };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}
