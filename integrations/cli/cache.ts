// `clipscope cache stats|prune|clear|merge`: look after the embedding cache. Glue over the store
// (integrations/engine/store.ts); every subcommand honours --cache DIR and CLIPSCOPE_CACHE_DIR and
// prints a human summary, or with --json one JSON object on stdout for scripts.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { discoverImages } from '../engine/discover.ts';
import { ClipscopeError } from '../engine/errors.ts';
import { hashImages } from '../engine/hash.ts';
import { loadModel } from '../engine/model/load.ts';
import { MODEL_VARIANTS, onnxFiles, type ModelVariant } from '../engine/model/layout.ts';
import { modelKeyOf } from '../engine/run.ts';
import { openStore, STORE_FILE, type CacheStats, type EmbeddingStore } from '../engine/store.ts';
import { formatBytes, plural } from '../core/format.ts';
import { registerMerge } from './cache-merge.ts';
import { cacheFolder, textTable } from './shared.ts';

interface CommonFlags {
  cache?: string;
  json?: boolean;
}

interface PruneFlags extends CommonFlags {
  images?: string[];
  model?: string[];
  followSymlinks?: boolean;
}

const log = (msg: string) => process.stderr.write(`clipscope: ${msg}\n`);

export function register(program: Command): void {
  const cache = program.command('cache').description('Inspect and tidy the embedding cache (default .clipscope, or CLIPSCOPE_CACHE_DIR).');
  const common = (cmd: Command) =>
    cmd.option('--cache <dir>', 'embedding cache folder (default .clipscope, or CLIPSCOPE_CACHE_DIR)').option('--json', 'print JSON on stdout');

  common(cache.command('stats').description('Entries per model, file size and location of the cache.')).action((flags: CommonFlags) => {
    const file = storeFile(flags);
    const store = fs.existsSync(file) ? openStore({ dir: path.dirname(file), log, readonly: true }) : null;
    try {
      const stats = store?.stats() ?? null;
      if (flags.json) {
        print({ ...(stats ?? emptyStats()), location: file, exists: store !== null, usable: stats !== null && stats.location !== null });
      } else if (!store) {
        process.stdout.write(`No embedding cache at ${file} yet (the first classify run creates it).\n`);
      } else {
        process.stdout.write(formatStats(file, stats));
      }
    } finally {
      store?.close();
    }
  });

  common(
    cache
      .command('prune')
      .description('Drop entries of images no longer under the given folders and of models not named.')
      .option('--images <dir...>', 'keep only images found under these folders')
      .option('--model <dir...>', 'keep only these model folders (both ONNX variants when present)')
      .option('--follow-symlinks', 'follow symbolic links that lead out of the image folders'),
  ).action(async (flags: PruneFlags) => {
    if (!flags.images?.length && !flags.model?.length) {
      throw new ClipscopeError('options', 'cache prune needs to know what to keep: neither --images nor --model was given.', 'Run e.g. `clipscope cache prune --images photos --model models/clip-vit-base-patch32`; `clipscope cache clear` drops everything.');
    }
    const file = storeFile(flags);
    if (!fs.existsSync(file)) return reportMissing(file, flags, { pruned: null });
    // Resolve what to keep before touching the store, so a wrong folder fails without dropping anything.
    const models = flags.model?.length ? await modelKeys(flags.model) : null;
    const store = openWritable(file);
    try {
      const keepSha256 = flags.images?.length ? await imageHashes(store, flags.images, flags.followSymlinks ?? false) : undefined;
      const result = store.prune({ keepSha256, keepModelKeys: models ? new Set(models.map((m) => m.key)) : undefined });
      if (flags.json) {
        print({ location: file, pruned: result, kept: { images: keepSha256?.size ?? null, models: models?.map((m) => ({ modelKey: m.key, folder: m.folder, variant: m.variant })) ?? null } });
      } else {
        process.stdout.write(
          `Pruned ${file}: removed ${plural(result.images, 'image embedding')}, ${plural(result.texts, 'text embedding')}, ` +
            `${plural(result.models, 'model')}, ${plural(result.fileHashes, 'file hash', 'file hashes')}; ` +
            `${formatBytes(result.bytesBefore)} → ${formatBytes(result.bytesAfter)}.\n` +
            (keepSha256 ? `Kept the images of ${plural(keepSha256.size, 'distinct file')} under ${flags.images!.join(', ')}.\n` : '') +
            (models ? `Kept models: ${models.map((m) => `${path.basename(m.folder)} (${m.variant})`).join(', ')}.\n` : ''),
        );
      }
    } finally {
      store.close();
    }
  });

  common(cache.command('clear').description('Drop every entry of the cache (the file stays, empty).')).action((flags: CommonFlags) => {
    const file = storeFile(flags);
    if (!fs.existsSync(file)) return reportMissing(file, flags, { cleared: false });
    const store = openWritable(file);
    try {
      const before = store.stats();
      store.clear();
      const after = store.stats();
      if (flags.json) print({ location: file, cleared: true, removed: { images: before.images, texts: before.texts, models: before.models.length, fileHashes: before.fileHashes }, bytesBefore: before.bytes, bytesAfter: after.bytes });
      else process.stdout.write(`Cleared ${file}: removed ${plural(before.images, 'image embedding')} and ${plural(before.texts, 'text embedding')}; ${formatBytes(before.bytes)} → ${formatBytes(after.bytes)}.\n`);
    } finally {
      store.close();
    }
  });

  registerMerge(cache);
}

/** The database file of the cache the flags and environment name (see cacheFolder). */
function storeFile(flags: CommonFlags): string {
  return path.join(cacheFolder(flags.cache), STORE_FILE);
}

/** Opens the store for prune/clear; one that cannot be used is an error here (nothing to tidy). */
function openWritable(file: string): EmbeddingStore {
  const store = openStore({ dir: path.dirname(file), log });
  if (store.location === null) {
    throw new ClipscopeError('cache', `The embedding cache ${file} cannot be used (see the message above).`, 'Remove the cache folder or point --cache at another one.');
  }
  if (!store.writable) {
    store.close();
    throw new ClipscopeError('cache', `The embedding cache ${file} is read-only here: nothing can be pruned or cleared.`, 'Run the command as a user who may write the cache folder and file.');
  }
  return store;
}

function reportMissing(file: string, flags: CommonFlags, json: Record<string, unknown>): void {
  if (flags.json) print({ location: file, exists: false, ...json });
  else process.stdout.write(`No embedding cache at ${file} (nothing to do).\n`);
}

/** sha256 of every image under the folders, re-hashing only files the cache has not seen as they are. */
async function imageHashes(store: EmbeddingStore, roots: readonly string[], followSymlinks: boolean): Promise<Set<string>> {
  const keep = new Set<string>();
  for (const root of roots) {
    const { images } = await discoverImages(root, { followSymlinks });
    const memo = store.getFileHashes(images.map((i) => ({ path: i.absPath, size: i.size, mtimeMs: i.mtimeMs })));
    const hashed = await hashImages(images.filter((i) => !memo.has(i.absPath)), { concurrency: 8 });
    store.putFileHashes(hashed.images.map((h) => ({ path: h.absPath, size: h.size, mtimeMs: h.mtimeMs, sha256: h.sha256 })));
    for (const sha256 of memo.values()) keep.add(sha256);
    for (const h of hashed.images) keep.add(h.sha256);
  }
  return keep;
}

/** The cache keys of the model folders, for every ONNX variant the folder holds — computed the way a
 * run computes them (loadModel + modelKeyOf), so prune never drops what a run would reuse. */
async function modelKeys(folders: readonly string[]): Promise<{ folder: string; variant: ModelVariant; key: string }[]> {
  const keys = [];
  for (const folder of folders) {
    const variants = MODEL_VARIANTS.filter((v) => Object.values(onnxFiles(v)).every((f) => fs.existsSync(path.join(folder, f))));
    // No variant complete: let loadModel say what is missing.
    for (const variant of variants.length > 0 ? variants : (['fp32'] as const)) {
      const model = await loadModel(folder, { threads: 1, variant, lazy: true });
      try {
        keys.push({ folder: path.resolve(folder), variant, key: modelKeyOf(model.info) });
      } finally {
        await model.close();
      }
    }
  }
  return keys;
}

function emptyStats(): CacheStats {
  return { location: null, bytes: 0, images: 0, texts: 0, fileHashes: 0, models: [] };
}

export function formatStats(file: string, stats: CacheStats | null): string {
  if (!stats || stats.location === null) return `No usable embedding cache at ${file}.\n`;
  const lines = [
    `Embedding cache: ${file} (${formatBytes(stats.bytes)})`,
    `  ${plural(stats.images, 'image embedding')}, ${plural(stats.texts, 'text embedding')}, ${plural(stats.fileHashes, 'remembered file hash', 'remembered file hashes')}`,
  ];
  if (stats.models.length > 0) {
    const rows = [
      ['model', 'key', 'dim', 'images', 'texts', 'last used'],
      ...stats.models.map((m) => [
        m.name ?? '(unnamed)',
        m.modelKey.slice(0, 12),
        String(m.dim ?? '?'),
        m.images.toLocaleString('en-US'),
        m.texts.toLocaleString('en-US'),
        m.lastUsed ? m.lastUsed.slice(0, 16).replace('T', ' ') : '-',
      ]),
    ];
    return lines.join('\n') + '\n' + textTable(rows, new Set([2, 3, 4]));
  }
  return lines.join('\n') + '\n';
}

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
