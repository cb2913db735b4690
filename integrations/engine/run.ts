// `classify()`: the one run function the CLI and the Astro integration share, so the two can never
// disagree. It only orchestrates the stage modules:
//
//   options → discover → hash (memoised by path, size, mtime) → dedupe identical bytes
//     → cache lookup → embed what is missing, committing each batch → text embeddings (cached)
//     → score → RunResult
//
// Effects (log lines, progress, the clock) are passed in, so tests can capture or silence them.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { comparePaths, discoverImages, type DiscoverResult } from './discover.ts';
import { embedImages, type EmbedPhases } from './embed.ts';
import { ClipscopeError } from './errors.ts';
import { hashImages } from './hash.ts';
import { loadModel, type ClipModel } from './model/load.ts';
import {
  CLI_FLAGS,
  COMMAND_LINE,
  parseClassifyOptions,
  parseEmbedOptions,
  type ClassifyOptions,
  type EmbedOptions,
} from './options.ts';
import { measureProgress, type Progress } from './progress.ts';
import { openStore, type EmbeddingStore } from './store.ts';
import type { Grouping, HashedImage, ImageResult, ModelInfo, RunResult, SkippedFile, TableInfo, TableRowRef } from '../core/types.ts';
import { folderGroups } from './groups.ts';
import { addedColumns, checkNoClash, readTable, requireColumn, resolveTableImages, tableRowRefs, type PostsTable, type TableImages } from './table.ts';
import { loadDictionary, flattenPhrases } from './dictionary.ts';
import { scoreImages, SIGMOID_MIN_PROBABILITY } from './score.ts';
import { CLIPSCOPE_VERSION } from './version.ts';

export interface RunEffects {
  log(message: string): void;
  progress?(p: Progress): void;
  /** The clock for the run's start time (pinned in tests). */
  now?(): Date;
  /** Where the options came from, for messages ("astro.config.mjs", COMMAND_LINE). */
  source?: string;
  /** Receives each classified image's published path → its file on this machine (the Astro
   * integration makes thumbnails from them). Never part of the RunResult: absolute paths stay here. */
  imageFiles?(files: ReadonlyMap<string, string>): void;
  /** Receives each embedded batch's phase times (diagnostics; never part of the RunResult, which
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

async function checkImageRoot(dir: string, flag: string): Promise<void> {
  const st = await stat(dir).catch(() => null);
  if (!st || !st.isDirectory()) {
    throw new ClipscopeError('images', `Image folder ${dir} ${st ? 'is not a folder' : 'does not exist'}`, `Point ${flag} at the folder that holds your images.`);
  }
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

type ImageOptions = Pick<EmbedOptions, 'batchSize' | 'pixelLimit' | 'followSymlinks'> & { images?: string };

/** Discover (or take `found`, e.g. the files a posts table lists), hash, dedupe, look up the cache and
 * embed what is missing (committing each batch). */
export async function embedImageFolder(
  options: ImageOptions,
  model: ClipModel,
  store: EmbeddingStore,
  modelKey: string,
  effects: RunEffects,
  found?: DiscoverResult,
): Promise<EmbeddedImageSet> {
  const discovered = found ?? (await discoverImages(options.images!, { followSymlinks: options.followSymlinks }));

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
  const all = [...known, ...hashed.images].sort((a, b) => comparePaths(a.path, b.path));

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
    batchSize: options.batchSize,
    pixelLimit: options.pixelLimit,
    // Commit each batch as soon as it exists: a run killed later keeps it.
    onBatch: (items) => store.putImageEmbeddings(modelKey, items.map((i) => ({ sha256: i.image.sha256, embedding: i.embedding }))),
    onProgress: (p) => report(p.done),
    onPhases: effects.phases,
  });

  const embeddings = new Map([...cached, ...result.embeddings]);
  // A content that failed to decode is skipped under every path that holds it.
  const shaOfPath = new Map(missing.map((m) => [m.path, m.sha256]));
  const failed = new Map(result.skipped.map((s) => [shaOfPath.get(s.path)!, s.reason]));
  const skipped: SkippedFile[] = [...discovered.skipped, ...hashed.skipped];
  for (const [sha, reason] of failed) for (const image of bySha.get(sha)!) skipped.push({ path: image.path, reason });
  return {
    images: all.filter((image) => embeddings.has(image.sha256)),
    embeddings,
    skipped: skipped.sort(bySkippedPath),
    embedded: result.embeddings.size,
    fromCache: cached.size,
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
  texts.forEach((t, i) => out.set(found.get(t)!, i * dim));
  return out;
}

/** Open the model and the store, run `body`, and close both whatever happens. */
async function withModelAndStore<T>(
  options: Pick<EmbedOptions, 'model' | 'modelVariant' | 'threads' | 'cache'>,
  effects: RunEffects,
  body: (model: ClipModel, store: EmbeddingStore, modelKey: string) => Promise<T>,
): Promise<T> {
  const model = await loadModel(options.model, { threads: options.threads, variant: options.modelVariant, lazy: true });
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

export async function classify(input: unknown, effects: RunEffects): Promise<RunResult> {
  const source = effects.source ?? 'options';
  const options: ClassifyOptions = parseClassifyOptions(input, source);
  const startedAt = (effects.now?.() ?? new Date()).toISOString();
  const t0 = performance.now();
  const flag = (name: string, cli: string) => (source === COMMAND_LINE ? cli : `option ${name}`);

  const posts = await openTable(options, flag);
  if (!posts) await checkImageRoot(options.images!, flag('images', '--images'));
  const dictionary = await loadDictionary(options.dictionary);
  // A table that already has a column the write-back would add is refused before any work.
  if (posts) checkNoClash(posts.table, addedColumns(dictionary.categories.map((c) => c.name), options.topK, options.column), options.column);

  return withModelAndStore(options, effects, async (model, store, modelKey) => {
    // How CLIP reads each phrase: record token counts, and say so when a phrase is cut.
    for (const category of dictionary.categories) {
      for (const phrase of category.phrases) {
        const t = model.tokenizer.encode(phrase.text);
        phrase.tokenCount = t.tokenCount;
        phrase.truncated = t.truncated;
        if (t.truncated) {
          effects.log(
            `Phrase ${JSON.stringify(phrase.text)} (category ${JSON.stringify(category.name)}) has ${t.tokenCount} tokens; ` +
              `the model reads ${model.info.contextLength}, so the last ${t.tokenCount - model.info.contextLength} are cut.`,
          );
        }
      }
    }

    // Phrases first: they are cheap, and a text tower that does not fit the model fails here,
    // before hours of image embedding rather than after.
    const phrases = flattenPhrases(dictionary);
    const textEmbeddings = await embedPhrases(model, store, modelKey, phrases.map((p) => p.text));
    const set = await embedImageFolder(options, model, store, modelKey, effects, posts ? tableFound(posts, effects) : undefined);
    effects.imageFiles?.(new Map(set.images.map((image) => [image.path, image.absPath])));

    const dim = model.info.projectionDim;
    const imageEmbeds = new Float32Array(set.images.length * dim);
    set.images.forEach((image, i) => imageEmbeds.set(set.embeddings.get(image.sha256)!, i * dim));
    const scores = scoreImages({
      imageEmbeds,
      count: set.images.length,
      dim,
      textEmbeds: textEmbeddings,
      phrases,
      categories: dictionary.categories.map((c) => c.name),
      mode: options.scoring,
      logitScale: model.info.logitScale,
      logitBias: model.info.logitBias,
      topK: options.topK,
      minProbability: options.minProbability,
      minMargin: options.minMargin,
    });
    // Only relative paths and content facts leave the engine, never absPath.
    const images: ImageResult[] = set.images.map((image, i) => ({ path: image.path, sha256: image.sha256, size: image.size, ...scores[i] }));
    const grouped = posts ? tableGroups(posts, options, images) : assignFolderGroups(images);

    const phraseCount = dictionary.categories.reduce((n, c) => n + c.phrases.length, 0);
    return {
      schema: 'clipscope.results/v1',
      run: {
        clipscopeVersion: CLIPSCOPE_VERSION,
        model: {
          name: model.info.name,
          checksum: model.info.checksum,
          projectionDim: model.info.projectionDim,
          family: model.info.family,
          logitScale: model.info.logitScale,
          logitBias: model.info.logitBias,
          logitSource: model.info.logitSource,
          variant: model.info.variant,
        },
        dictionary: { source: dictionary.source, hash: dictionary.hash, categories: dictionary.categories.length, phrases: phraseCount },
        scoring: options.scoring,
        topK: options.topK,
        column: options.column,
        thresholds: { minProbability: options.minProbability ?? (options.scoring === 'sigmoid' ? SIGMOID_MIN_PROBABILITY : null), minMargin: options.minMargin },
        startedAt,
      },
      dictionary,
      images, // sorted by path: set.images is
      skipped: set.skipped,
      stats: {
        images: images.length,
        embedded: set.embedded,
        fromCache: set.fromCache,
        skipped: set.skipped.length,
        seconds: (performance.now() - t0) / 1000,
      },
      ...grouped,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Posts tables and groups (issue 9)

interface OpenedTable {
  table: PostsTable;
  found: TableImages;
}

/** With `table`: read it, check its columns, and resolve its image paths. Null for a folder run. */
async function openTable(options: ClassifyOptions, flag: (name: string, cli: string) => string): Promise<OpenedTable | null> {
  const tableOnly = (['imagesRoot', 'groupBy', 'dateColumn'] as const).filter((k) => options[k] !== undefined);
  if (!options.table) {
    if (!options.images) {
      throw new ClipscopeError('options', `Missing option ${flag('images', '--images')}: expected a folder of images, or ${flag('table', '--table')} with a posts table`, 'Point --images at a folder, or --table at a CSV/JSON Lines file with an image path column.');
    }
    if (tableOnly.length > 0) {
      const names = tableOnly.map((k) => flag(k, CLI_FLAGS[k]));
      throw new ClipscopeError('options', `${names.join(', ')} ${names.length === 1 ? 'needs' : 'need'} ${flag('table', '--table')}`, 'Folder runs group by the first folder level automatically; a table column needs a table.');
    }
    return null;
  }
  if (options.images) {
    throw new ClipscopeError('options', `Both ${flag('images', '--images')} and ${flag('table', '--table')} were given`, `With a table, the images are the ones its ${options.imageColumn} column lists; give ${flag('imagesRoot', '--images-root')} for the folder their relative paths start from.`);
  }
  if (options.imagesRoot) await checkImageRoot(options.imagesRoot, flag('imagesRoot', '--images-root'));
  const table = await readTable(options.table);
  requireColumn(table, options.imageColumn, flag('imageColumn', '--image-column'));
  if (options.groupBy !== undefined) requireColumn(table, options.groupBy, flag('groupBy', '--group-by'));
  if (options.dateColumn !== undefined) requireColumn(table, options.dateColumn, flag('dateColumn', '--date-column'));
  const found = await resolveTableImages(table, { imageColumn: options.imageColumn, imagesRoot: options.imagesRoot, tableFile: options.table });
  if (found.images.length === 0) {
    const example = found.skipped[0];
    throw new ClipscopeError(
      'images',
      `None of the ${found.unique} image paths in column ${JSON.stringify(options.imageColumn)} of ${table.source} could be read` +
        (found.missingExample ? ` (e.g. ${JSON.stringify(found.missingExample.cell)} was looked for at ${found.missingExample.lookedAt})` : example ? ` (e.g. ${example.path}: ${example.reason})` : ''),
      `Relative paths start from ${flag('imagesRoot', '--images-root')} (default: the table's folder); check that it is the folder the paths were written for.`,
    );
  }
  return { table, found };
}

/** The table's files as discovery would report them, after saying what the table holds. */
function tableFound(posts: OpenedTable, effects: RunEffects): DiscoverResult {
  const { table, found } = posts;
  const rows = found.rows.length;
  const missing = found.rows.filter((r) => r.status === 'missing').length;
  const empty = found.rows.filter((r) => r.status === 'no image').length;
  effects.log(
    `Table ${table.source}: ${rows} row${rows === 1 ? '' : 's'}, ${found.unique} distinct image path${found.unique === 1 ? '' : 's'}` +
      (missing > 0 ? `; ${missing} row${missing === 1 ? ' points' : 's point'} at a missing file` : '') +
      (empty > 0 ? `; ${empty} row${empty === 1 ? ' has' : 's have'} no image path` : '') +
      (found.missingExample ? ` (e.g. ${JSON.stringify(found.missingExample.cell)} looked for at ${found.missingExample.lookedAt})` : ''),
  );
  if (found.external > 0) {
    effects.log(`${found.external} image${found.external === 1 ? ' lies' : 's lie'} outside the images root; the report shows ${found.external === 1 ? 'it' : 'them'} as external-<hash>/<file name>.`);
  }
  return { images: found.images, skipped: found.skipped };
}

/** Rows, table summary and grouping of a table run; each image gets the group all its rows share. */
function tableGroups(posts: OpenedTable, options: ClassifyOptions, images: ImageResult[]): { table: TableInfo; rows: TableRowRef[]; grouping?: Grouping } {
  const classified = new Set(images.map((i) => i.path));
  const { rows, info } = tableRowRefs(posts.table, posts.found.rows, classified, {
    imageColumn: options.imageColumn,
    groupBy: options.groupBy ?? null,
    dateColumn: options.dateColumn ?? null,
    unique: posts.found.unique,
  });
  if (options.groupBy === undefined) return { table: info, rows };
  const groupsOf = new Map<string, Set<string>>();
  for (const row of rows) {
    if (row.status !== 'classified' || row.image === null) continue;
    const set = groupsOf.get(row.image) ?? new Set<string>();
    set.add(row.group!);
    groupsOf.set(row.image, set);
  }
  for (const image of images) {
    const groups = groupsOf.get(image.path);
    if (groups?.size === 1) image.group = [...groups][0];
  }
  return { table: info, rows, grouping: { kind: 'column', column: options.groupBy } };
}

/** Folder runs: the first folder level is the group, when any image sits in a subfolder. */
function assignFolderGroups(images: ImageResult[]): { grouping?: Grouping } {
  const groups = folderGroups(images.map((i) => i.path));
  if (!groups) return {};
  images.forEach((image, i) => {
    image.group = groups[i]!;
  });
  return { grouping: { kind: 'folder' } };
}

/** What `clipscope embed` writes: the L2-normalised image embeddings, for users' own analyses. */
export interface EmbeddingsExport {
  model: { name: string; checksum: string; variant: string };
  dim: number;
  items: { path: string; sha256: string; embedding: number[] }[];
  skipped: SkippedFile[];
  stats: { images: number; embedded: number; fromCache: number; skipped: number; seconds: number };
}

export async function embedFolder(input: unknown, effects: RunEffects): Promise<EmbeddingsExport> {
  const source = effects.source ?? 'options';
  const options = parseEmbedOptions(input, source);
  const t0 = performance.now();
  await checkImageRoot(options.images, source === COMMAND_LINE ? '--images' : 'option images');
  return withModelAndStore(options, effects, async (model, store, modelKey) => {
    const set = await embedImageFolder(options, model, store, modelKey, effects);
    return {
      model: { name: model.info.name, checksum: model.info.checksum, variant: model.info.variant },
      dim: model.info.projectionDim,
      items: set.images.map((image) => ({ path: image.path, sha256: image.sha256, embedding: Array.from(set.embeddings.get(image.sha256)!) })),
      skipped: set.skipped,
      stats: {
        images: set.images.length,
        embedded: set.embedded,
        fromCache: set.fromCache,
        skipped: set.skipped.length,
        seconds: (performance.now() - t0) / 1000,
      },
    };
  });
}
