// Small helpers the engine commands share: console effects with a progress reporter on stderr, and
// the skipped-image listing.
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ClipscopeError } from '../engine/errors.ts';
import { createProgressReporter, type ProgressReporter, type ProgressStream } from '../engine/progress.ts';
import type { RunEffects } from '../engine/run.ts';
import type { SkippedFile } from '../engine/types.ts';

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
