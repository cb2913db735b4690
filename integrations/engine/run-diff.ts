// The run diff: which images changed category between two runs of clipscope (`clipscope diff` and
// the report's "Changed since the last build" page share diffRuns).
//
// Images are matched by sha256 AND path: the same bytes under a new name, or new bytes under the same
// name, count as one image gone and one image new ("only in the old run" / "only in the new run").
// An image is "changed" when its category (the winning category, or Uncertain) differs; its
// probability alone moving is not a change. Category sizes count every image of each run.
// Output is sorted by path (then sha256), so it diffs cleanly itself.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { writeFilesAtomic } from './atomic.ts';
import { csvText, escapeFormula } from './csv.ts';
import { comparePaths } from './discover.ts';
import { ClipscopeError } from './errors.ts';
import { roundSeed } from './results.ts';

/** What the diff needs of one image. */
export interface DiffImage {
  path: string;
  sha256: string;
  category: string;
  /** Percent, the winning choice's probability. */
  probability: number;
}

/** What the diff needs of one run: its dictionary's category order (for the summary) and images. */
export interface DiffSide {
  categories: readonly string[];
  images: readonly DiffImage[];
}

export interface ChangedImage {
  path: string;
  sha256: string;
  oldCategory: string;
  newCategory: string;
  oldProbability: number;
  newProbability: number;
}

export interface CategoryCount {
  category: string;
  before: number;
  after: number;
}

export interface RunDiff {
  /** Images in both runs whose category differs, sorted by path. */
  changed: ChangedImage[];
  /** Images in both runs with the same category. */
  unchanged: number;
  /** Category sizes: the new run's categories in dictionary order, then the old run's others, then
   * any further category (Uncertain) in name order. */
  categories: CategoryCount[];
  onlyOld: { path: string; sha256: string }[];
  onlyNew: { path: string; sha256: string }[];
}

const keyOf = (image: { path: string; sha256: string }): string => `${image.sha256}\u0000${image.path}`;
const byPath = (a: { path: string; sha256: string }, b: { path: string; sha256: string }): number => comparePaths(a.path, b.path) || comparePaths(a.sha256, b.sha256);

/** Compare two runs. Pure. */
export function diffRuns(before: DiffSide, after: DiffSide): RunDiff {
  const old = new Map(before.images.map((image) => [keyOf(image), image]));
  const next = new Map(after.images.map((image) => [keyOf(image), image]));
  const changed: ChangedImage[] = [];
  let unchanged = 0;
  for (const [key, image] of next) {
    const was = old.get(key);
    if (!was) continue;
    if (was.category === image.category) unchanged++;
    else {
      changed.push({
        path: image.path,
        sha256: image.sha256,
        oldCategory: was.category,
        newCategory: image.category,
        oldProbability: was.probability,
        newProbability: image.probability,
      });
    }
  }
  const only = (a: Map<string, DiffImage>, b: Map<string, DiffImage>) =>
    [...a.values()]
      .filter((image) => !b.has(keyOf(image)))
      .map(({ path, sha256 }) => ({ path, sha256 }))
      .sort(byPath);
  return { changed: changed.sort(byPath), unchanged, categories: categoryCounts(before, after), onlyOld: only(old, next), onlyNew: only(next, old) };
}

function categoryCounts(before: DiffSide, after: DiffSide): CategoryCount[] {
  const count = (images: readonly DiffImage[]) => {
    const counts = new Map<string, number>();
    for (const image of images) counts.set(image.category, (counts.get(image.category) ?? 0) + 1);
    return counts;
  };
  const b = count(before.images);
  const a = count(after.images);
  const listed = [...new Set([...after.categories, ...before.categories])];
  const others = [...new Set([...a.keys(), ...b.keys()])].filter((c) => !listed.includes(c)).sort(comparePaths);
  return [...listed, ...others].map((category) => ({ category, before: b.get(category) ?? 0, after: a.get(category) ?? 0 }));
}

// ---------------------------------------------------------------------------------------------
// Results files

/** A results file as the diff reads it: the run's metadata it names, and what the diff needs. */
export interface ResultsForDiff extends DiffSide {
  /** The file's base name. */
  file: string;
  startedAt: string;
  dictionaryHash: string;
  model: string;
  modelChecksum: string;
}

const RESULTS_SCHEMA = 'clipscope.results/v1';

const ResultsShape = z.object({
  schema: z.literal(RESULTS_SCHEMA),
  run: z.object({
    startedAt: z.string(),
    model: z.object({ name: z.string(), checksum: z.string() }),
    dictionary: z.object({ hash: z.string() }),
  }),
  dictionary: z.object({ categories: z.array(z.object({ name: z.string() })) }),
  images: z.array(
    z.object({
      path: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 (64 lower-case hex digits)'),
      category: z.string(),
      probability: z.number().finite(),
    }),
  ),
});

const NOT_RESULTS_HINT = 'Give `clipscope diff` two files written by `clipscope classify --json FILE`.';

/** Read a results JSON file (`clipscope classify --json`), refusing anything else with the reason. */
export async function readResultsForDiff(file: string): Promise<ResultsForDiff> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a folder' : `it cannot be read (${code ?? String(error)})`;
    throw new ClipscopeError('results', `Cannot read the results file ${file}: ${what}.`, NOT_RESULTS_HINT, { cause: error });
  }
  return parseResultsForDiff(text, file);
}

/** Check and read the text of a results JSON file; `file` names it in messages. */
export function parseResultsForDiff(text: string, file: string): ResultsForDiff {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ClipscopeError('results', `${file} is not a clipscope results file: it is not JSON (${error instanceof Error ? error.message : String(error)}).`, NOT_RESULTS_HINT);
  }
  const schema = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as { schema?: unknown }).schema : undefined;
  if (schema !== RESULTS_SCHEMA) {
    const found = schema === undefined ? 'it has no "schema" field' : `its "schema" is ${JSON.stringify(schema)}`;
    throw new ClipscopeError('results', `${file} is not a clipscope results file: ${found}, expected "${RESULTS_SCHEMA}".`, NOT_RESULTS_HINT);
  }
  const parsed = ResultsShape.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') || '(top level)';
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : '';
    throw new ClipscopeError('results', `${file} is not a usable clipscope results file: ${at.replace(/^\./, '')}: ${issue.message}${more}.`, `${NOT_RESULTS_HINT} Was it edited by hand?`);
  }
  const r = parsed.data;
  return {
    file: basename(file),
    startedAt: r.run.startedAt,
    dictionaryHash: r.run.dictionary.hash,
    model: r.run.model.name,
    modelChecksum: r.run.model.checksum,
    categories: r.dictionary.categories.map((c) => c.name),
    images: r.images.map(({ path, sha256, category, probability }) => ({ path, sha256, category, probability })),
  };
}

// ---------------------------------------------------------------------------------------------
// Output

export const DIFF_CSV_HEADER = ['Image', 'sha256', 'Old Classification', 'New Classification', 'Old Probability', 'New Probability'];

/** The changed images as CSV (probabilities rounded to 2 decimals as in results.csv; formula escape). */
export function diffCsv(diff: RunDiff): string {
  const rows = diff.changed.map((c) => [c.path, c.sha256, c.oldCategory, c.newCategory, roundSeed(c.oldProbability), roundSeed(c.newProbability)]);
  return csvText([DIFF_CSV_HEADER, ...rows].map((row) => row.map(escapeFormula)));
}

type RunSummary = Omit<ResultsForDiff, 'categories' | 'images'>;

/** The diff as JSON: both runs' metadata, the summary, the changed images and the unmatched ones. */
export function diffJson(diff: RunDiff, before: RunSummary, after: RunSummary): string {
  const run = (r: RunSummary) => ({ file: r.file, startedAt: r.startedAt, dictionaryHash: r.dictionaryHash, model: r.model, modelChecksum: r.modelChecksum });
  const out = {
    schema: 'clipscope.diff/v1',
    old: run(before),
    new: run(after),
    summary: { changed: diff.changed.length, unchanged: diff.unchanged, onlyOld: diff.onlyOld.length, onlyNew: diff.onlyNew.length, categories: diff.categories },
    changed: diff.changed,
    onlyOld: diff.onlyOld,
    onlyNew: diff.onlyNew,
  };
  return JSON.stringify(out, null, 2) + '\n';
}

/** Write the diff's CSV and/or JSON atomically (both complete before either replaces its old file). */
export async function writeDiff(diff: RunDiff, before: RunSummary, after: RunSummary, out: { csv?: string; json?: string }): Promise<void> {
  const files = [];
  if (out.json) files.push({ path: out.json, data: diffJson(diff, before, after) });
  if (out.csv) files.push({ path: out.csv, data: diffCsv(diff) });
  await writeFilesAtomic(files);
}
