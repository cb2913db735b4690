// Batched image embedding. While onnxruntime runs batch n, the files of batch n+1 are read (I/O:
// a slow disk or network share then costs nothing); they are decoded once the run is over, with
// every core. Decoding beside the run was measured to be slower on CPU-bound machines: onnxruntime
// already keeps every core busy, and a decoder thread that takes a core stalls its parallel
// sections (docs/performance.md, "Levers tried in the code"). Each batch is written into one
// preallocated tensor, so no tensor is allocated per batch.
// An image that cannot be decoded is reported as skipped with its reason, and the run goes on.
//
// The bytes decoded are checked against the sha256 the image was hashed to: a file rewritten between
// hashing and decoding would otherwise be cached under the old content's hash (and every later run
// would reuse the wrong embedding). Such a file, and one that vanished meanwhile, is skipped.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isClipscopeError } from './errors.ts';
import { readFailure } from './hash.ts';
import { forEachLimited } from './pool.ts';
import type { ClipModel } from './model/load.ts';
import { preprocessImage, tensorSize } from './preprocess.ts';
import type { HashedImage, SkippedFile } from '../core/types.ts';

interface EmbeddedImage {
  image: HashedImage;
  /** L2-normalised; a view of the batch's output. */
  embedding: Float32Array;
}

interface EmbedProgress {
  /** Images handled so far (embedded or skipped). */
  done: number;
  total: number;
  skipped: number;
}

interface EmbedImagesOptions {
  batchSize: number;
  pixelLimit: number;
  /** Files read and decoded at once (bounds memory with very large batches). Default: 16. */
  concurrency?: number;
  /** Called with each batch as soon as it is embedded (the run commits it to the cache here). */
  onBatch?(items: EmbeddedImage[]): void | Promise<void>;
  onProgress?(p: EmbedProgress): void;
  /** Called after each batch with the wall time of its two phases (diagnostics: the benchmark). */
  onPhases?(p: EmbedPhases): void;
}

export interface EmbedPhases {
  /** Images in the batch (embedded or skipped). */
  images: number;
  /** Reading what was not read ahead, checking, decoding and normalising the batch. */
  prepareSeconds: number;
  /** onnxruntime's run on the batch. */
  inferSeconds: number;
}

interface EmbedImagesResult {
  embeddings: Map<string, Float32Array>;
  /** Images that could not be decoded, with the reason (paths as given, relative). */
  skipped: SkippedFile[];
}

interface PreparedBatch {
  /** Images whose pixels are in the tensor, in slot order. */
  ok: HashedImage[];
  skipped: SkippedFile[];
}

/** The reason shown for a skipped image. Decoder errors carry a short reason; file system errors
 * are put in words by readFailure (their own message holds the absolute path). */
function reasonOf(e: unknown): string {
  if (isClipscopeError(e)) return e.message.split('\n')[0] || 'could not be decoded';
  if ((e as NodeJS.ErrnoException | null)?.code) return readFailure(e);
  // Anything else is unexpected; its message may hold a path, so only its kind is shown.
  return `could not be decoded (${e instanceof Error ? e.name : 'unexpected error'})`;
}

/** Reason for bytes whose hash is not the one discovery recorded. */
const CHANGED_DURING_RUN = 'file changed while clipscope was reading it (run again to classify its new content)';

/** At most this many bytes of the next batch are read ahead during a run; the rest is read when
 * the batch is decoded (bounds memory with large batches of large files). */
const READ_AHEAD_BYTES = 64 * 1024 * 1024;

/** A batch's files, read ahead where they fit in READ_AHEAD_BYTES (a failed read is kept as its error). */
type ReadAhead = Map<HashedImage, Promise<Buffer>>;

function readAhead(batch: HashedImage[]): ReadAhead {
  const out: ReadAhead = new Map();
  let bytes = 0;
  for (const image of batch) {
    bytes += image.size;
    if (bytes > READ_AHEAD_BYTES && out.size > 0) break;
    const read = readFile(image.absPath);
    read.catch(() => {}); // reported when the batch is decoded
    out.set(image, read);
  }
  return out;
}

/** Read (unless read ahead), check, decode and normalise a batch into `tensor`, compacting: the k-th
 * image that decodes goes into slot k (and, for SigLIP 2 NaFlex, its patch grid into `grids` at 2k).
 * Decoding failures are collected, never thrown. */
async function prepareBatch(model: ClipModel, batch: HashedImage[], ahead: ReadAhead, tensor: Float32Array, grids: Int32Array | undefined, options: EmbedImagesOptions): Promise<PreparedBatch> {
  const cfg = model.info.preprocess;
  const perImage = tensorSize(cfg);
  const ok: HashedImage[] = [];
  const skipped: SkippedFile[] = [];
  await forEachLimited(batch, options.concurrency ?? 16, async (image) => {
    try {
      const bytes = await (ahead.get(image) ?? readFile(image.absPath));
      if (createHash('sha256').update(bytes).digest('hex') !== image.sha256) {
        skipped.push({ path: image.path, reason: CHANGED_DURING_RUN });
        return;
      }
      // The k-th image decoded takes slot k, claimed only once its pixels are there.
      const done = await preprocessImage(bytes, cfg, { pixelLimit: options.pixelLimit, out: tensor, offset: () => (ok.push(image) - 1) * perImage });
      if (grids && done.grid) grids.set([done.grid.rows, done.grid.cols], (done.offset / perImage) * 2);
    } catch (e) {
      skipped.push({ path: image.path, reason: reasonOf(e) });
    }
  });
  return { ok, skipped };
}

export async function embedImages(model: ClipModel, images: HashedImage[], options: EmbedImagesOptions): Promise<EmbedImagesResult> {
  const embeddings = new Map<string, Float32Array>();
  const skipped: SkippedFile[] = [];
  if (images.length === 0) return { embeddings, skipped };

  const cfg = model.info.preprocess;
  const dim = model.info.projectionDim;
  const perImage = tensorSize(cfg);
  const batchSize = Math.max(1, options.batchSize);
  const batches: HashedImage[][] = [];
  for (let i = 0; i < images.length; i += batchSize) batches.push(images.slice(i, i + batchSize));
  const tensor = new Float32Array(Math.min(batchSize, images.length) * perImage);
  // SigLIP 2 NaFlex: each image's patch grid (rows, columns); every image is padded to the same
  // number of patches, so images of different shapes share a batch.
  const grids = cfg.naflex ? new Int32Array(Math.min(batchSize, images.length) * 2) : undefined;

  let done = 0;
  let ahead = readAhead(batches[0]);
  for (let b = 0; b < batches.length; b++) {
    const t0 = performance.now();
    const prepared = await prepareBatch(model, batches[b], ahead, tensor, grids, options);
    const t1 = performance.now();
    // Read the next batch's files while this batch runs (onnxruntime's run leaves the event loop free).
    if (b + 1 < batches.length) ahead = readAhead(batches[b + 1]);
    const vectors = await model.embedImages(tensor, prepared.ok.length, grids);
    options.onPhases?.({ images: batches[b].length, prepareSeconds: (t1 - t0) / 1000, inferSeconds: (performance.now() - t1) / 1000 });
    const items = prepared.ok.map((image, i) => ({ image, embedding: vectors.subarray(i * dim, (i + 1) * dim) }));
    for (const item of items) embeddings.set(item.image.sha256, item.embedding);
    skipped.push(...prepared.skipped);
    if (items.length > 0) await options.onBatch?.(items);
    done += batches[b].length;
    options.onProgress?.({ done, total: images.length, skipped: skipped.length });
  }
  return { embeddings, skipped };
}
