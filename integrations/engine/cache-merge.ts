// `clipscope cache merge --cache DEST SRC…`: the caches of a sharded run (one per part, see
// shard.ts) merged into one, so a classify run or a site build on the whole collection embeds
// nothing. Every source is checked before anything is written: it must be a readable clipscope
// cache, not the destination, and all sources must hold embeddings of the same model(s) — shards
// embedded with different models (or variants) would merge into a cache where no model has every
// image. Then each source is merged in one transaction (store.ts mergeFrom): a crash leaves DEST
// with the sources merged before and nothing of the one being merged; merging again is harmless
// (entries already there are kept, counted as "present").
import fs from 'node:fs';
import path from 'node:path';
import { ClipscopeError } from './errors.ts';
import { openStore, STORE_FILE, type EmbeddingStore, type MergeResult } from './store.ts';

interface MergeSourceReport extends MergeResult {
  /** The source as given. */
  source: string;
}

interface MergeReport {
  /** The destination database file. */
  location: string;
  sources: MergeSourceReport[];
}

interface MergeCachesOptions {
  /** Destination cache folder (created when missing). */
  dest: string;
  /** Source cache folders (or their embeddings.sqlite files), in the order given. */
  sources: readonly string[];
  /** Problems with a store, and one line per merged source. */
  log: (message: string) => void;
}

/** The cache folder a source argument names: the folder itself, or the folder of its database file. */
function cacheFolderOf(arg: string): string {
  const abs = path.resolve(arg);
  const st = fs.statSync(abs, { throwIfNoEntry: false });
  if (!st) throw new ClipscopeError('cache', `Cannot merge ${arg}: it does not exist`, 'Give the cache folder each shard wrote (its --cache DIR), e.g. `clipscope cache merge --cache merged shard-0 shard-1`.');
  if (st.isDirectory()) return abs;
  if (path.basename(abs) === STORE_FILE) return path.dirname(abs);
  throw new ClipscopeError('cache', `Cannot merge ${arg}: it is a file, not a cache folder (one holding ${STORE_FILE})`, 'Give the cache folder each shard wrote (its --cache DIR).');
}

interface OpenSource {
  arg: string;
  store: EmbeddingStore;
  /** Keys of the models with image embeddings → how to name them. */
  models: Map<string, string>;
}

export function mergeCaches(opts: MergeCachesOptions): MergeReport {
  if (opts.sources.length === 0) {
    throw new ClipscopeError('options', 'cache merge needs at least one source cache', 'Run e.g. `clipscope cache merge --cache merged shard-0 shard-1 shard-2`.');
  }
  const destDir = path.resolve(opts.dest);
  const seen = new Set<string>();
  const opened: OpenSource[] = [];
  try {
    // 1. Check every source before writing anything.
    for (const arg of opts.sources) {
      const dir = cacheFolderOf(arg);
      if (dir === destDir) {
        throw new ClipscopeError('cache', `Cannot merge ${arg} into itself: it is the destination --cache`, 'Merge the shard caches into another folder, e.g. --cache merged.');
      }
      if (seen.has(dir)) continue; // the same folder twice: merged once
      seen.add(dir);
      if (!fs.existsSync(path.join(dir, STORE_FILE))) {
        throw new ClipscopeError('cache', `Cannot merge ${arg}: there is no embedding cache in it (no ${STORE_FILE})`, 'Give the folder a shard was run with as --cache DIR; a shard that found no images of its part writes nothing, so leave it out.');
      }
      const problems: string[] = [];
      const store = openStore({ dir, readonly: true, log: (m) => problems.push(m) });
      if (store.location === null) {
        throw new ClipscopeError('cache', `Cannot merge ${arg}: ${problems.join(' ') || 'the cache cannot be read'}`, 'Re-run that shard into a fresh --cache folder, then merge again.');
      }
      const stats = store.stats();
      const models = new Map(stats.models.filter((m) => m.images > 0).map((m) => [m.modelKey, `${m.name ?? '(unnamed model)'} (key ${m.modelKey.slice(0, 12)})`]));
      opened.push({ arg, store, models });
    }
    checkSameModels(opened);

    // 2. Merge, one transaction per source.
    const problems: string[] = [];
    const dest = openStore({ dir: destDir, log: (m) => problems.push(m) });
    try {
      if (dest.location === null) {
        throw new ClipscopeError('cache', `Cannot merge into ${opts.dest}: ${problems.join(' ') || 'the cache cannot be opened'}`, 'Point --cache at a folder this user may write.');
      }
      for (const m of problems) opts.log(m);
      const sources: MergeSourceReport[] = [];
      for (const source of opened) {
        const result = dest.mergeFrom(source.store);
        sources.push({ source: source.arg, ...result });
        opts.log(describeMerge(source.arg, result));
      }
      return { location: dest.location, sources };
    } finally {
      dest.close();
    }
  } finally {
    for (const source of opened) source.store.close();
  }
}

/** Refuses sources whose image embeddings are of different models, naming each source's models. */
function checkSameModels(sources: readonly OpenSource[]): void {
  const withImages = sources.filter((s) => s.models.size > 0);
  if (withImages.length < 2) return;
  const signature = (s: OpenSource) => [...s.models.keys()].sort().join(',');
  const first = signature(withImages[0]);
  if (withImages.every((s) => signature(s) === first)) return;
  const lines = withImages.map((s) => `${s.arg}: ${[...s.models.values()].join(', ')}`);
  throw new ClipscopeError(
    'cache',
    `The caches hold image embeddings of different models, so no model would have every image after a merge:\n    ${lines.join('\n    ')}`,
    'Merge only the shards of one run (the same --model folder and --variant), or re-run the odd shard with the model of the others; nothing was merged.',
  );
}

/** One line per source: what it brought. */
function describeMerge(source: string, result: MergeResult): string {
  if (result.models.length === 0) return `${source}: no embeddings (empty cache), nothing merged.`;
  const parts = result.models.map((m) => {
    const damaged = m.images.damaged + m.texts.damaged;
    return (
      `${m.images.added} new image embedding${m.images.added === 1 ? '' : 's'} (${m.images.present} already there) and ` +
      `${m.texts.added} new text embedding${m.texts.added === 1 ? '' : 's'} (${m.texts.present} already there) of ${m.name ?? '(unnamed model)'}` +
      (damaged > 0 ? `; ${damaged} damaged entr${damaged === 1 ? 'y' : 'ies'} not copied (they will be embedded again)` : '')
    );
  });
  return `${source}: ${parts.join('; ')}.`;
}
