// `classify()`: the one run function the CLI and the Astro integration share, so the two can never
// disagree. It only orchestrates the stage modules (cache-aware embedding in cached-embeddings.ts,
// posts-table glue in table-run.ts; `clipscope embed` is embed-folder.ts):
//
//   options → discover → hash (memoised by path, size, mtime) → dedupe identical bytes
//     → cache lookup → embed what is missing, committing each batch → text embeddings (cached)
//     → score → RunResult
//
// Effects (log lines, progress, the clock) are passed in, so tests can capture or silence them.
import { checkImageFolder } from './discover.ts';
import { embedImageFolder, embedPhrases, withModelAndStore, type EmbedEffects } from './cached-embeddings.ts';
import { optionName, parseClassifyOptions, type ClassifyOptions, type RunOptionName } from './options.ts';
import type { Grouping, ImageResult, RunResult } from '../core/types.ts';
import { folderGroups } from './groups.ts';
import { addedColumns, checkNoClash, type PostsTable } from './table.ts';
import { openTable, tableFound, tableGroups } from './table-run.ts';
import { checkShardWithTable } from './shard.ts';
import { loadDictionary, flattenPhrases } from './dictionary.ts';
import { minProbabilityFor, scoreImages } from './score.ts';
import { CLIPSCOPE_VERSION } from './version.ts';

// The public run API lives here, whichever module implements it.
export { modelKeyOf, PREPROCESS_PIPELINE_VERSION, type EmbeddedImageSet } from './cached-embeddings.ts';
export { embedFolder, type EmbeddingsExport } from './embed-folder.ts';

export interface RunEffects extends EmbedEffects {
  /** The clock for the run's start time (pinned in tests). */
  now?(): Date;
  /** Where the options came from, for messages ("astro.config.mjs", COMMAND_LINE). */
  source?: string;
  /** Receives each classified image's published path → its file on this machine (the Astro
   * integration makes thumbnails from them). Never part of the RunResult: absolute paths stay here. */
  imageFiles?(files: ReadonlyMap<string, string>): void;
  /** Receives the posts table of a table run as it was read, before any work: the CLI writes it back
   * from this one parse (the file is read once). */
  table?(table: PostsTable): void;
  /** Receives the L2-normalised embeddings the run scored with: image rows in the order of the
   * result's images, phrase rows in flat dictionary order (the report's Workbench page publishes them
   * to re-score in the browser). */
  embeddings?(embeddings: RunEmbeddings): void;
}

export interface RunEmbeddings {
  dim: number;
  /** images × dim, row-major, in the order of RunResult.images. */
  images: Float32Array;
  /** phrases × dim, row-major, in the order of flattenPhrases(RunResult.dictionary). */
  phrases: Float32Array;
}

export async function classify(input: unknown, effects: RunEffects): Promise<RunResult> {
  const source = effects.source ?? 'options';
  const options: ClassifyOptions = parseClassifyOptions(input, source);
  const startedAt = (effects.now?.() ?? new Date()).toISOString();
  const t0 = performance.now();
  const flag = (key: RunOptionName) => optionName(key, source);

  checkShardWithTable(options, flag);
  const posts = await openTable(options, flag);
  if (!posts) await checkImageFolder(options.images!, flag('images'));
  const dictionary = await loadDictionary(options.dictionary);
  // A table that already has a column the write-back would add is refused before any work.
  if (posts) {
    checkNoClash(posts.table, addedColumns(dictionary.categories.map((c) => c.name), options.topK, options.column), options.column);
    effects.table?.(posts.table);
  }

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
    const set = await embedImageFolder({ ...options, imagesFlag: flag('images') }, model, store, modelKey, effects, posts ? tableFound(posts, effects) : undefined);
    effects.imageFiles?.(new Map(set.images.map((image) => [image.path, image.absPath])));

    const dim = model.info.projectionDim;
    const imageEmbeds = new Float32Array(set.images.length * dim);
    set.images.forEach((image, i) => {
      imageEmbeds.set(set.embeddings.get(image.sha256)!, i * dim);
    });
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
    effects.embeddings?.({ dim, images: imageEmbeds, phrases: textEmbeddings });
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
        thresholds: { minProbability: minProbabilityFor(options.scoring, options.minProbability), minMargin: options.minMargin },
        startedAt,
        ...(options.shard ? { shard: options.shard } : {}),
        device: { requested: options.device, used: model.device.current(), fallback: model.device.fallback() },
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

/** Folder runs: the first folder level is the group, when any image sits in a subfolder. */
function assignFolderGroups(images: ImageResult[]): { grouping?: Grouping } {
  const groups = folderGroups(images.map((i) => i.path));
  if (!groups) return {};
  images.forEach((image, i) => {
    image.group = groups[i]!;
  });
  return { grouping: { kind: 'folder' } };
}
