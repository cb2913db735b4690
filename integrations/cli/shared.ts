// Small helpers the engine commands share: console effects with a progress reporter on stderr, the
// image and embedding flags of classify and embed, and the skipped-image listing.
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ClipscopeError } from '../engine/errors.ts';
import { DEFAULT_BATCH_SIZE, DEFAULT_PIXEL_LIMIT } from '../engine/options.ts';
import { createProgressReporter, type ProgressReporter, type ProgressStream } from '../engine/progress.ts';
import type { RunEffects } from '../engine/run.ts';
import type { SkippedFile } from '../core/types.ts';

export function consoleEffects(stream: ProgressStream = process.stderr): { effects: RunEffects; reporter: ProgressReporter } {
  const reporter = createProgressReporter({ stream });
  return {
    reporter,
    effects: {
      log: (message) => reporter.log(message),
      progress: (p) => reporter.update(p),
    },
  };
}

/** Run `body` with console effects and end the live progress bar whatever happens, so that an error
 * message printed afterwards starts on a line of its own instead of after the bar. */
export async function withProgress<T>(body: (effects: RunEffects) => Promise<T>, stream: ProgressStream = process.stderr): Promise<T> {
  const { effects, reporter } = consoleEffects(stream);
  try {
    return await body(effects);
  } finally {
    reporter.finish();
  }
}

/** Drop undefined values, so the options schema fills in its defaults. */
export function definedOnly(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

/** The flags `classify` and `embed` share: how images are read and embedded, the cache, and what a
 * skipped image does to the exit code. Values stay strings; the options schema converts them. */
export interface EmbeddingFlags {
  variant?: string;
  batchSize?: string;
  threads?: string;
  /** false for --no-cache. */
  cache?: string | false;
  pixelLimit?: string;
  followSymlinks?: boolean;
  failOnSkip?: boolean;
}

export function addEmbeddingOptions(command: Command): Command {
  return command
    .option('--batch-size <n>', `images per model call (default ${DEFAULT_BATCH_SIZE})`)
    .option('--threads <n>', 'onnxruntime threads (default: all cores)')
    .option('--cache <dir>', 'embedding cache folder (default .clipscope, or CLIPSCOPE_CACHE_DIR)')
    .option('--no-cache', 'do not read or write the embedding cache')
    .option('--variant <variant>', 'fp32 | quantized | fp16 | int8 | uint8 | q4 | q4f16 | bnb4: which onnx/*_model[_<variant>].onnx files run (default fp32)')
    .option('--pixel-limit <n>', `skip images with more pixels than this (default ${DEFAULT_PIXEL_LIMIT}, ${DEFAULT_PIXEL_LIMIT / 1e6} megapixels)`)
    .option('--follow-symlinks', 'follow symbolic links that lead out of the image folder')
    .option('--fail-on-skip', 'exit with code 1 when any image was skipped');
}

/** Those flags under the names of the options schema (--no-cache is cache: null). */
export function embeddingOptions(flags: EmbeddingFlags): Record<string, unknown> {
  return {
    modelVariant: flags.variant,
    batchSize: flags.batchSize,
    threads: flags.threads,
    cache: flags.cache === false ? null : flags.cache,
    pixelLimit: flags.pixelLimit,
    followSymlinks: flags.followSymlinks,
    failOnSkip: flags.failOnSkip,
  };
}

/** --fail-on-skip: once the outputs are written, say so and exit with code 1 if any image was skipped. */
export function failIfSkipped(skipped: number, failOnSkip: boolean | undefined): void {
  if (failOnSkip && skipped > 0) {
    process.stderr.write(`clipscope: ${skipped} image${skipped === 1 ? ' was' : 's were'} skipped and --fail-on-skip is set\n`);
    process.exitCode = 1;
  }
}

const SHOWN = 20;

/** List skipped images with their reasons on stderr (the first 20; the JSON has all). */
export function printSkipped(skipped: SkippedFile[], json: string | undefined): void {
  if (skipped.length === 0) return;
  process.stderr.write(`Skipped ${skipped.length} image${skipped.length === 1 ? '' : 's'}:\n`);
  for (const s of skipped.slice(0, SHOWN)) process.stderr.write(`  ${s.path}: ${s.reason}\n`);
  if (skipped.length > SHOWN) process.stderr.write(`  … and ${skipped.length - SHOWN} more${json ? ` (all in ${json})` : ''}\n`);
}

/** Refuse output files that cannot be written BEFORE the run, not after an hour of embedding: the
 * folder must exist and the path must not be a folder. `outputs` maps each flag to its path. */
export async function checkOutputPaths(outputs: Record<string, string | undefined>): Promise<void> {
  for (const [flag, path] of Object.entries(outputs)) {
    if (!path) continue;
    const folder = await stat(dirname(resolve(path))).catch(() => null);
    if (!folder?.isDirectory()) {
      throw new ClipscopeError('io', `Cannot write ${flag} ${path}: its folder ${dirname(path)} does not exist`, 'Create the folder or choose another output path.');
    }
    if ((await stat(path).catch(() => null))?.isDirectory()) {
      throw new ClipscopeError('io', `Cannot write ${flag} ${path}: it is a folder`, 'Give a file path, e.g. results.csv.');
    }
  }
}
