// Cache-aware embedding: the image and phrase embeddings of a run, taken from the persistent store
// (store.ts) where present and computed (embed.ts, model/) where not, each new batch committed as soon
// as it exists. Shared by `classify()` (run.ts) and `clipscope embed` (embed-folder.ts).
//
//   files → hash (memoised by path, size, mtime) → dedupe identical bytes → cache lookup
//     → embed what is missing, committing each batch
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { comparePaths, discoverImages, type DiscoverResult } from './discover.ts';
import { embedImages, type EmbedPhases } from './embed.ts';
import { hashImages } from './hash.ts';
import { loadModel, type ClipModel } from './model/load.ts';
import type { EmbedOptions } from './options.ts';
import { measureProgress, type Progress } from './progress.ts';
import { openStore, type EmbeddingStore } from './store.ts';
import { selectShard, type Shard } from './shard.ts';
import type { HashedImage, ModelInfo, SkippedFile } from '../core/types.ts';

/** What embedding reports while it works (log lines, progress, per-batch phase times). */
export interface EmbedEffects {
  log(message: string): void;
  progress?(p: Progress): void;
  /** Receives each embedded batch's phase times (diagnostics; never part of a RunResult, which
   * stays deterministic). */
  phases?(p: EmbedPhases): void;
}

/** Bump when clipscope's own preprocessing changes in a way that changes tensors (e.g. a different
 * resize), so cached embeddings from the old pipeline are not reused. */
export const PREPROCESS_PIPELINE_VERSION = 1;

/** The cache key of a model as run: its files' checksum plus the preprocessing actually applied. */
export function modelKeyOf(info: ModelInfo): string {
  const canonical = JSON.stringify({
    checksum: info.checksum,
    preprocess: Object.fromEntries(Object.entries(info.preprocess).sort(([a], [b]) => a.localeCompare(b))),
    pipeline: PREPROCESS_PIPELINE_VERSION,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

function bySkippedPath(a: SkippedFile, b: SkippedFile): number {
  return comparePaths(a.path, b.path);
}

/** The image side of a run, shared by `classify` and `clipscope embed`. */
export interface EmbeddedImageSet {
  /** Every readable image, sorted by path (duplicates under every path). */
  images: HashedImage[];
  /** sha256 → L2-normalised embedding, for every image in `images`. */
  embeddings: Map<string, Float32Array>;
  skipped: SkippedFile[];
  /** Distinct contents embedded in this run (one inference each). */
  embedded: number;
  /** Distinct contents taken from the cache. */
  fromCache: number;
}

/** `imagesFlag`: how messages name the option that set `images` ("--images", "option images"). */
type ImageOptions = Pick<EmbedOptions, 'batchSize' | 'pixelLimit' | 'followSymlinks'> & { images?: string; imagesFlag?: string; shard?: Shard | null };

/** Discover (or take `found`, e.g. the files a posts table lists), hash, dedupe, look up the cache and
 * embed what is missing (committing each batch). */
export async function embedImageFolder(
  options: ImageOptions,
  model: ClipModel,
  store: EmbeddingStore,
  modelKey: string,
  effects: EmbedEffects,
  found?: DiscoverResult,
): Promise<EmbeddedImageSet> {
  const discovered = found ?? (await discoverImages(options.images!, { followSymlinks: options.followSymlinks, flag: options.imagesFlag }));

  // Hash only the files whose (path, size, mtime) the cache has not seen hashed.
  const memo = store.getFileHashes(discovered.images.map((d) => ({ path: d.absPath, size: d.size, mtimeMs: d.mtimeMs })));
  const known: HashedImage[] = [];
  const unknown = [];
  for (const d of discovered.images) {
    const sha256 = memo.get(d.absPath);
    if (sha256) known.push({ ...d, sha256 });
    else unknown.push(d);
  }
  const hashed = await hashImages(unknown, { concurrency: 8 });
  store.putFileHashes(hashed.images.map((h) => ({ path: h.absPath, size: h.size, mtimeMs: h.mtimeMs, sha256: h.sha256 })));
  // With --shard, only this part's images (by content hash) and skips (by path) go on.
  const part = selectShard(options.shard ?? null, [...known, ...hashed.images].sort((a, b) => comparePaths(a.path, b.path)), [...discovered.skipped, ...hashed.skipped], effects.log);
  const all = part.images;

  // One representative per content: identical files are embedded once.
  const bySha = new Map<string, HashedImage[]>();
  for (const image of all) {
    const group = bySha.get(image.sha256);
    if (group) group.push(image);
    else bySha.set(image.sha256, [image]);
  }
  const cached = store.getImageEmbeddings(modelKey, [...bySha.keys()]);
  const missing = [...bySha.values()].filter((group) => !cached.has(group[0].sha256)).map((group) => group[0]);
  const duplicates = all.length - bySha.size;
  effects.log(
    `${all.length} image${all.length === 1 ? '' : 's'} found` +
      (duplicates > 0 ? ` (${duplicates} identical to another, embedded once)` : '') +
      `: ${cached.size} in the cache, ${missing.length} to embed`,
  );

  const started = performance.now();
  const report = (done: number) => effects.progress?.(measureProgress(done, missing.length, (performance.now() - started) / 1000));
  if (missing.length > 0) report(0);
  const result = await embedImages(model, missing, {
    batchSize: options.batchSize ?? model.device.batchSize(),
    pixelLimit: options.pixelLimit,
    // Commit each batch as soon as it exists: a run killed later keeps it.
    onBatch: (items) => store.putImageEmbeddings(modelKey, items.map((i) => ({ sha256: i.image.sha256, embedding: i.embedding }))),
    onProgress: (p) => report(p.done),
    onPhases: effects.phases,
  });

  const fromCache = cached.size;
  const embeddings = cached; // the cache's embeddings and this run's, one map (no copy of 100,000 entries)
  for (const [sha256, embedding] of result.embeddings) embeddings.set(sha256, embedding);
  // A content that failed to decode is skipped under every path that holds it.
  const shaOfPath = new Map(missing.map((m) => [m.path, m.sha256]));
  const failed = new Map(result.skipped.map((s) => [shaOfPath.get(s.path)!, s.reason]));
  const skipped: SkippedFile[] = part.skipped;
  for (const [sha, reason] of failed) for (const image of bySha.get(sha)!) skipped.push({ path: image.path, reason });
  return {
    images: all.filter((image) => embeddings.has(image.sha256)),
    embeddings,
    skipped: skipped.sort(bySkippedPath),
    embedded: result.embeddings.size,
    fromCache,
  };
}

/** Text embeddings of `texts` (rows in the given order), from the cache where present. */
export async function embedPhrases(model: ClipModel, store: EmbeddingStore, modelKey: string, texts: string[]): Promise<Float32Array> {
  const dim = model.info.projectionDim;
  const unique = [...new Set(texts)];
  const cached = store.getTextEmbeddings(modelKey, unique);
  const missing = unique.filter((t) => !cached.has(t));
  const found = new Map(cached);
  if (missing.length > 0) {
    const vectors = await model.embedTexts(missing.map((t) => model.tokenizer.encode(t)));
    const items = missing.map((text, i) => ({ text, embedding: vectors.slice(i * dim, (i + 1) * dim) }));
    store.putTextEmbeddings(modelKey, items);
    for (const item of items) found.set(item.text, item.embedding);
  }
  const out = new Float32Array(texts.length * dim);
  texts.forEach((t, i) => {
    out.set(found.get(t)!, i * dim);
  });
  return out;
}

/** Open the model and the store, run `body`, and close both whatever happens. */
export async function withModelAndStore<T>(
  options: Pick<EmbedOptions, 'model' | 'modelVariant' | 'threads' | 'cache' | 'device'>,
  effects: Pick<EmbedEffects, 'log'>,
  body: (model: ClipModel, store: EmbeddingStore, modelKey: string) => Promise<T>,
): Promise<T> {
  const model = await loadModel(options.model, { threads: options.threads, variant: options.modelVariant, lazy: true, device: options.device, log: effects.log });
  try {
    const store = openStore({ dir: options.cache === null ? null : resolve(options.cache), log: effects.log });
    try {
      const modelKey = modelKeyOf(model.info);
      store.recordModel(modelKey, { name: model.info.name, checksum: model.info.checksum, dim: model.info.projectionDim });
      return await body(model, store, modelKey);
    } finally {
      store.close();
    }
  } finally {
    await model.close();
  }
}
