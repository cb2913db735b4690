// `clipscope diff`'s files: read two results files (refusing anything else with the reason) for the
// pure diff in core/run-diff.ts, and write the diff as CSV and JSON.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { writeFilesAtomic } from './atomic.ts';
import { csvText, escapeFormula } from './csv.ts';
import { ClipscopeError } from './errors.ts';
import { roundSeed } from './results.ts';
import type { DiffSide, RunDiff } from '../core/run-diff.ts';

export { diffRuns } from '../core/run-diff.ts';
export type { CategoryCount, ChangedImage, DiffImage, DiffSide, RunDiff } from '../core/run-diff.ts';

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

const DIFF_CSV_HEADER = ['Image', 'sha256', 'Old Classification', 'New Classification', 'Old Probability', 'New Probability'];

/** The changed images as CSV (probabilities rounded to 2 decimals as in results.csv; formula escape). */
export function diffCsv(diff: RunDiff): string {
  const rows = diff.changed.map((c) => [c.path, c.sha256, c.oldCategory, c.newCategory, roundSeed(c.oldProbability), roundSeed(c.newProbability)]);
  return csvText([DIFF_CSV_HEADER, ...rows].map((row) => row.map(escapeFormula)));
}

type RunSummary = Omit<ResultsForDiff, 'categories' | 'images'>;

/** The diff as JSON: both runs' metadata, the summary, the changed images and the unmatched ones. */
function diffJson(diff: RunDiff, before: RunSummary, after: RunSummary): string {
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
