// Reads the judgement files (clipscope.judgements/v2 or v1, exported by the validation widget) that a user
// dropped into the validation folder, for the next build's Validation page and `validated` column.
//
// Each file is checked on its own and defensively (size before reading, then the shared parser in
// integrations/core/judgements.ts: safe JSON, schema, fresh objects). A bad file never stops the build: it
// becomes a problem naming the file and the reason, and the others are still read.
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { MAX_JUDGEMENT_FILE_BYTES, parseJudgementText, sizeProblem, type JudgementFile as JudgementFileV1 } from '../core/judgements.ts';
import { validatedColumns, validationReport, type ValidationReport } from '../core/validation-report.ts';
import type { RunResult } from '../core/types.ts';

/** A valid judgement file and the name it was read from (relative to the folder). */
export interface JudgementFile extends JudgementFileV1 {
  source: string;
}

export interface JudgementProblem {
  /** File name relative to the folder. */
  file: string;
  reason: string;
}

export interface ReadJudgementOptions {
  maxBytes?: number;
}

/** Folder entries read as judgement files: `*.json`, not hidden. Others (a README) are left alone. */
function isCandidate(name: string): boolean {
  return !name.startsWith('.') && name.toLowerCase().endsWith('.json');
}

async function readOne(dir: string, name: string, maxBytes: number): Promise<JudgementFile | JudgementProblem> {
  const path = join(dir, name);
  try {
    // Links are not followed (as the image discovery does not follow them): a link in the folder
    // could point anywhere on the machine (/etc/passwd), and the build publishes its problems.
    const entry = await lstat(path);
    if (entry.isSymbolicLink()) return { file: name, reason: 'it is a symbolic link, and links are not followed; copy the file into the folder instead' };
    if (!entry.isFile()) return { file: name, reason: 'it is not a regular file' };
    // O_NOFOLLOW: a link swapped in after the lstat is refused too (ELOOP below).
    const handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    let bytes: Buffer;
    try {
      const info = await handle.stat();
      if (!info.isFile()) return { file: name, reason: 'it is not a regular file' };
      const tooBig = sizeProblem(info.size, maxBytes);
      if (tooBig) return { file: name, reason: tooBig };
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
    // Re-check: the file may have grown between stat and read.
    const grown = sizeProblem(bytes.length, maxBytes);
    if (grown) return { file: name, reason: grown };
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return { file: name, reason: 'it is not UTF-8 text (a judgement file is JSON exported by the Validate page)' };
    }
    const parsed = parseJudgementText(text.replace(/^\uFEFF/, ''), { maxBytes });
    if (!parsed.ok) return { file: name, reason: parsed.reason };
    return { ...parsed.file, source: name };
  } catch (error) {
    // The error code only: a message would carry this machine's path into the published page.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { file: name, reason: 'it is a symbolic link, and links are not followed; copy the file into the folder instead' };
    return { file: name, reason: code === 'EACCES' ? 'it cannot be read (permission denied)' : `it cannot be read (${code ?? 'unknown error'})` };
  }
}

/**
 * Every judgement file in `dir` (not recursive), in file-name order. Never throws: an unreadable
 * folder or file is reported in `problems`.
 */
export async function readJudgementFiles(dir: string, opts: ReadJudgementOptions = {}): Promise<{ files: JudgementFile[]; problems: JudgementProblem[] }> {
  const maxBytes = opts.maxBytes ?? MAX_JUDGEMENT_FILE_BYTES;
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isCandidate).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { files: [], problems: [] };
    return { files: [], problems: [{ file: '.', reason: `the judgement folder cannot be read (${code ?? 'unknown error'})` }] };
  }
  const files: JudgementFile[] = [];
  const problems: JudgementProblem[] = [];
  for (const name of names) {
    const one = await readOne(dir, name, maxBytes);
    if ('reason' in one) problems.push(one);
    else files.push(one);
  }
  return { files, problems };
}

// ---------------------------------------------------------------------------------------------
// The judgements merged into the downloadable results

/** Extra CSV columns, after the seed's and clipscope's own (so those stay an exact prefix). */
export const VALIDATED_COLUMNS = ['validated', 'validated_category'] as const;

/** A text cell a spreadsheet would run as a formula gets a leading quote (like results.ts does). */
function safeCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/**
 * The results CSV and JSON with the coders' consensus per image: `validated` (right, wrong or tie;
 * empty where not judged on the current prediction) and `validated_category` (the prediction when
 * right, the majority correction when wrong, "none of these", or empty). Without judgement files
 * both come back unchanged. Rows are matched by their sha256 cell (the CSV's last column).
 */
export function withValidatedColumns(
  result: RunResult,
  files: readonly JudgementFile[],
  downloads: { csv: string; json: string },
  /** The report already computed from these files (the build computes it once, in buildReport). */
  computed?: ValidationReport | null,
): { csv: string; json: string; report: ValidationReport | null } {
  if (files.length === 0) return { ...downloads, report: null };
  const report = computed ?? validationReport(result, files);
  const rows = parseCsv(downloads.csv, { bom: false, relax_column_count: false }) as string[][];
  const shaColumn = rows[0].lastIndexOf('sha256');
  const out = rows.map((row, i) => {
    if (i === 0) return [...row, ...VALIDATED_COLUMNS];
    const v = validatedColumns(report, row[shaColumn] ?? '');
    return [...row, safeCell(v.validated), safeCell(v.validatedCategory)];
  });
  // Cells were formula-escaped when first written; only the new ones needed it (done above).
  const csv = stringifyCsv(out, { escape_formulas: false });

  const json = JSON.parse(downloads.json) as RunResult;
  for (const image of json.images) {
    const v = validatedColumns(report, image.sha256);
    if (v.validated) Object.assign(image, { validated: v.validated, validatedCategory: v.validatedCategory });
  }
  return { csv, json: `${JSON.stringify(json, null, 2)}\n`, report };
}
