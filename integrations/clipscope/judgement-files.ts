// Reads the judgement files (clipscope.judgements/v2 or v1, exported by the validation widget) that a user
// dropped into the validation folder, for the next build's Validation page and `validated` column.
//
// Each file is checked on its own and defensively (size before reading, then the shared parser in
// integrations/core/judgements.ts: safe JSON, schema, fresh objects). A bad file never stops the build: it
// becomes a problem naming the file and the reason, and the others are still read.
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_JUDGEMENT_FILE_BYTES, parseJudgementText, sizeProblem, type JudgementFile as JudgementFileV1 } from '../core/judgements.ts';
import { validatedColumns, validationReport, type ValidationReport } from '../core/validation-report.ts';
import type { ExtraColumns } from '../engine/results.ts';
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

interface ReadJudgementOptions {
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

/**
 * The coders' consensus per image, as extra columns of the downloadable results (results.ts writes
 * them): `validated` (right, wrong or tie; empty where not judged on the current prediction) and
 * `validated_category` (the prediction when right, the majority correction when wrong, "none of
 * these", or empty); in the JSON `validated` and `validatedCategory` on the judged images. Null
 * without judgement files: the downloads are then exactly what the CLI writes.
 */
export function validatedColumnsOf(
  result: RunResult,
  files: readonly JudgementFile[],
  /** The report already computed from these files (the build computes it once, in buildReport). */
  computed?: ValidationReport | null,
): ExtraColumns | null {
  if (files.length === 0) return null;
  const report = computed ?? validationReport(result, files);
  return {
    columns: [
      { csv: 'validated', json: 'validated' },
      { csv: 'validated_category', json: 'validatedCategory' },
    ],
    values(image) {
      const v = validatedColumns(report, image.sha256);
      return v.validated ? [v.validated, v.validatedCategory] : null;
    },
  };
}
