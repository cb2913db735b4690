// "Changed since the last build": at the end of a build the run's compact results (per image sha256,
// path, category, probability; the run's date, dictionary hash, model checksum, category order) are
// kept in the cache folder, one file per image source and model; the next build of the same images
// with the same model compares its run with that one (engine/run-diff.ts, the diff `clipscope diff`
// prints) and the site gets a /changes/ page listing the images whose category changed. No cache,
// no previous run, another model or nothing changed: no page.
import { mkdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { copyFileAtomic, writeError, writeFileAtomic } from '../engine/atomic.ts';
import { diffRuns } from '../core/run-diff.ts';
import type { RunResult } from '../core/types.ts';
import type { ChangesReport } from './report/report.ts';
import { categoryProbability } from '../core/confidence.ts';

const SCHEMA = 'clipscope.previous-run/v1';

/** The compact results of one build, as kept in the cache. */
export interface PreviousRun {
  schema: typeof SCHEMA;
  startedAt: string;
  dictionaryHash: string;
  modelChecksum: string;
  categories: string[];
  images: { path: string; sha256: string; category: string; probability: number }[];
}

const PreviousRunShape = z.object({
  schema: z.literal(SCHEMA),
  startedAt: z.string(),
  dictionaryHash: z.string(),
  modelChecksum: z.string(),
  categories: z.array(z.string()),
  images: z.array(z.object({ path: z.string(), sha256: z.string(), category: z.string(), probability: z.number() })),
});

/** The compact results of a run. */
export function previousRunOf(result: RunResult): PreviousRun {
  return {
    schema: SCHEMA,
    startedAt: result.run.startedAt,
    dictionaryHash: result.run.dictionary.hash,
    modelChecksum: result.run.model.checksum,
    categories: result.dictionary.categories.map((c) => c.name),
    // The category's probability, as every page of the site reports confidence (core/confidence.ts).
    images: result.images.map((image) => ({ path: image.path, sha256: image.sha256, category: image.category, probability: categoryProbability(image) })),
  };
}

/**
 * Where the previous run of these images with this model is kept: `<cache>/runs/<key>.json`, the key
 * a hash of the model checksum and the image source (folder or posts table; the path is only
 * hashed, never published), so two reports sharing a cache never compare with each other.
 */
export function previousRunFile(cacheDir: string, modelChecksum: string, imageSource: string): string {
  const key = createHash('sha256').update(JSON.stringify([modelChecksum, imageSource])).digest('hex').slice(0, 32);
  return join(cacheDir, 'runs', `${key}.json`);
}

/** The kept run, or null when there is none; an unreadable or damaged file is reported and ignored. */
export async function readPreviousRun(file: string, warn: (message: string) => void): Promise<PreviousRun | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') warn(`The previous build's results (${file}) could not be read (${code ?? String(error)}); no "Changed since the last build" page this time.`);
    return null;
  }
  let parsed: ReturnType<typeof PreviousRunShape.safeParse>;
  try {
    parsed = PreviousRunShape.safeParse(JSON.parse(text));
  } catch {
    parsed = PreviousRunShape.safeParse(undefined);
  }
  if (!parsed.success) {
    warn(`The previous build's results (${file}) are damaged or from another clipscope version; they are ignored and replaced at the end of this build.`);
    return null;
  }
  return parsed.data;
}

/** The changes page's data: null without a previous run of the same model, or when no image changed. */
export function changesSince(previous: PreviousRun | null, result: RunResult): ChangesReport | null {
  if (!previous || previous.modelChecksum !== result.run.model.checksum) return null;
  const current = previousRunOf(result);
  const diff = diffRuns(previous, current);
  if (diff.changed.length === 0) return null;
  return {
    previous: { startedAt: previous.startedAt, dictionaryHash: previous.dictionaryHash },
    current: { startedAt: current.startedAt, dictionaryHash: current.dictionaryHash },
    diff,
  };
}

/** The staged run's file name in the staging folder (not a file of the site). */
const STAGED_RUN = 'previous-run.json';

/** This build's run written to `dir` (the build's staging folder) as the preparation ends, for
 * keepRun at the end of the build: made then, at 100,000 images its objects and text (16 MB) came on
 * top of everything the finished build still held. Returns the file. */
export async function stageRun(dir: string, run: PreviousRun): Promise<string> {
  const staged = join(dir, STAGED_RUN);
  await writeFileAtomic(staged, JSON.stringify(run) + '\n');
  return staged;
}

/** Keep this build's run (the file stageRun wrote) for the next one: copied next to `file`, then
 * renamed over it, so a build killed here leaves the old file. */
export async function keepRun(file: string, staged: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await copyFileAtomic(staged, file).catch((error: unknown) => {
    throw writeError(file, error);
  });
}
