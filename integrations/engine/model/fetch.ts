// Downloads a CLIP model in the Hugging Face ONNX layout from the Hub (or any server with the Hub's
// URL layout, e.g. a mirror named by HF_ENDPOINT) into a model folder.
//
//   1. The commit the revision points at, so every file comes from the same commit even if the
//      branch moves meanwhile; 2. the repository's file listing at that commit (both: hub.ts).
//   3. The files a model folder needs (layout.ts), each resumable, size-capped and verified
//      (transfer.ts).
//   4. clipscope.json records where the folder came from; it is written first with
//      `"complete": false` and rewritten with `true` at the end.
//
// `variant` picks which graphs are fetched (layout.ts MODEL_VARIANTS: fp32, quantized, fp16, int8,
// uint8, q4, q4f16, bnb4); they are stored under the Hub's own names (onnx/*_model_<variant>.onnx),
// so the run option `--variant <v>` (options.ts `modelVariant`) selects exactly those files.
// `quantized: true` is the older spelling of `variant: "quantized"`.
// Progress goes to the caller's callbacks (`onProgress`, `log`); drawing it is the CLI's business.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { z } from 'zod';
import { formatBytes } from '../../core/format.ts';
import { ClipscopeError, show } from '../errors.ts';
import { COMMAND_LINE, parseWith } from '../options.ts';
import { DEFAULT_HF_ENDPOINT, listTree, resolveCommit, selectFiles, type HubContext } from './hub.ts';
import { downloadFile, fileSize, type DownloadProgress, type TransferContext } from './transfer.ts';
import { MODEL_VARIANTS, type ModelVariant } from './layout.ts';
import { COMBINED_ONNX, FETCH_RECORD, isNaflex, SAFETENSORS } from './family.ts';
import { remoteLogitParams } from './remote-logit.ts';

export { DEFAULT_HF_ENDPOINT, hubFromEnv } from './hub.ts';
export type { DownloadProgress } from './transfer.ts';


/** Seconds without a byte before a request is given up (and a transfer resumed). */
export const DEFAULT_FETCH_TIMEOUT_SECONDS = 60;
/** Further transfers of a file after the first one failed. */
export const DEFAULT_FETCH_RETRIES = 4;

/** A number from the command line (a string) or from code. */
const numeric = z.union([z.number(), z.string().trim().regex(/^\d+(\.\d+)?$/).transform(Number)]);

/** The download's patience, with the names of its command-line flags. */
const fetchLimitsSchema = z.object({
  timeout: numeric.pipe(z.number().positive().max(3600)).default(DEFAULT_FETCH_TIMEOUT_SECONDS),
  retries: numeric.pipe(z.int().min(0).max(100)).default(DEFAULT_FETCH_RETRIES),
});

/** The flags and expected forms, for messages (the commander flags are in cli/model.ts). */
const LIMIT_OPTIONS = {
  timeout: { flag: '--timeout', expected: 'a number of seconds above 0 (at most 3600)' },
  retries: { flag: '--retries', expected: 'a whole number from 0 to 100' },
};

const variantSchema = z.object({ variant: z.enum(MODEL_VARIANTS).optional() });
const VARIANT_OPTION = { variant: { flag: '--variant', expected: `one of ${MODEL_VARIANTS.join(', ')}` } };

/** The variant to fetch: `variant` (validated), or "quantized" for `quantized: true`, else "fp32".
 * Both given and different is an options error, as is an unknown variant. */
export function fetchVariant(input: { variant?: unknown; quantized?: boolean }): ModelVariant {
  const { variant } = parseWith(variantSchema, { variant: input.variant ?? undefined }, { source: COMMAND_LINE, options: VARIANT_OPTION });
  if (input.quantized && variant !== undefined && variant !== 'quantized') {
    throw new ClipscopeError('options', `--quantized and --variant ${variant} ask for different graphs.`, `--quantized is short for --variant quantized: give only one of them.`);
  }
  return variant ?? (input.quantized ? 'quantized' : 'fp32');
}

/** Validated `timeout` (seconds) and `retries`; a bad value is an options error naming the flag. */
export function fetchLimits(input: { timeout?: unknown; retries?: unknown }): { idleTimeoutMs: number; attempts: number } {
  // Both flags' problems at once, in the wording of every option problem.
  const limits = parseWith(fetchLimitsSchema, input, { source: COMMAND_LINE, options: LIMIT_OPTIONS });
  return { idleTimeoutMs: Math.round(limits.timeout * 1000), attempts: limits.retries + 1 };
}

export interface FetchModelOptions {
  /** Hub repository id, "owner/name" (e.g. "Xenova/clip-vit-base-patch32"). */
  repo: string;
  /** Folder the model folder is created in (default "models"). */
  dest?: string;
  /** Model folder name (default: the last part of the repo id). */
  name?: string;
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** The graphs to fetch (default "fp32"): onnx/vision_model_<variant>.onnx and its text twin. */
  variant?: ModelVariant | string;
  /** Same as `variant: "quantized"` (onnx/*_model_quantized.onnx, int8). */
  quantized?: boolean;
  endpoint?: string;
  /** Sent as `Authorization: Bearer <token>` (gated or private repositories). */
  token?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** One line per step (listing, file kept, file downloaded, retry). */
  log?: (line: string) => void;
  /** Seconds without data before a request is given up; a transfer is then resumed (default 60). */
  timeout?: number | string;
  /** Further transfers of a file after a failed one (default 4). */
  retries?: number | string;
  /** Delay before the first retry, doubled after each (default 1000 ms). */
  retryDelayMs?: number;
}

export interface FetchedFile {
  path: string;
  size: number;
  sha256?: string;
  /** False when a complete, verified copy was already there. */
  downloaded: boolean;
}

export interface FetchModelResult {
  dir: string;
  repo: string;
  revision: string;
  commit: string;
  variant: ModelVariant;
  files: FetchedFile[];
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
const FOLDER_NAME = /^[A-Za-z0-9][\w.-]*$/;

interface SourceRecord {
  schema: 'clipscope.model-source/v1';
  repo: string;
  revision: string;
  commit: string;
  endpoint: string;
  variant: ModelVariant;
  complete: boolean;
  files: Array<{ path: string; size: number; sha256?: string }>;
  /** SigLIP: the trained logit scale (exp applied) and bias, read from the repository's weights. */
  logit?: { scale: number; bias: number; source: string };
}

/** Refuses to mix files into a folder that holds a different model. */
async function checkFolder(dir: string, repo: string): Promise<void> {
  let previous: Partial<SourceRecord> | undefined;
  try {
    previous = JSON.parse(await readFile(join(dir, FETCH_RECORD), 'utf8')) as Partial<SourceRecord>;
  } catch {
    previous = undefined;
  }
  if (previous?.repo === repo) return;
  if (previous?.repo || (await fileSize(join(dir, 'config.json'))) !== undefined) {
    const what = previous?.repo ? `a model fetched from ${previous.repo}` : 'another model';
    throw new ClipscopeError('options', `${dir} already holds ${what}.`, 'Choose another folder name with --name, or delete that folder first.');
  }
}

export function modelFolderName(repo: string, name?: string): string {
  const folder = name ?? repo.split('/').pop()!;
  if (!FOLDER_NAME.test(folder) || folder === '.' || folder === '..') {
    throw new ClipscopeError('options', `Expected a folder name (letters, digits, . _ -) for --name but received ${show(folder)}.`, 'Give --name a plain folder name without slashes.');
  }
  return folder;
}

/** Downloads a CLIP model from the Hub into `<dest>/<name>/`. */
export async function fetchModel(options: FetchModelOptions): Promise<FetchModelResult> {
  const repo = options.repo.trim();
  if (!REPO_ID.test(repo) || repo.includes('..')) {
    throw new ClipscopeError('options', `Expected a Hugging Face repository id (owner/name) but received ${show(options.repo)}.`, 'For example: clipscope model fetch Xenova/clip-vit-base-patch32');
  }
  const endpoint = (options.endpoint ?? DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(endpoint)) {
    throw new ClipscopeError('options', `Expected an http(s) URL for HF_ENDPOINT but received ${show(endpoint)}.`, `Unset HF_ENDPOINT to use ${DEFAULT_HF_ENDPOINT}.`);
  }
  const limits = fetchLimits({ timeout: options.timeout, retries: options.retries });
  const variant = fetchVariant({ variant: options.variant, quantized: options.quantized });
  const dir = join(options.dest ?? 'models', modelFolderName(repo, options.name));
  const hub: HubContext = { repo, revision: options.revision ?? 'main', endpoint, token: options.token, idleTimeoutMs: limits.idleTimeoutMs };
  const o: TransferContext = {
    ...hub,
    attempts: limits.attempts,
    retryDelayMs: options.retryDelayMs ?? 1000,
    onProgress: options.onProgress,
    log: options.log ?? (() => {}),
  };

  const commit = await resolveCommit(hub);
  const tree = await listTree(hub, commit);
  const wanted = selectFiles(tree, variant, hub);
  const total = wanted.reduce((s, f) => s + f.size, 0);
  o.log(`${repo}@${commit === hub.revision ? hub.revision : `${hub.revision} (${commit.slice(0, 12)})`}: ${wanted.length} files, ${formatBytes(total)} → ${dir}${sep}`);

  await checkFolder(dir, repo);
  await mkdir(dir, { recursive: true });
  const record: SourceRecord = {
    schema: 'clipscope.model-source/v1',
    repo,
    revision: hub.revision,
    commit,
    endpoint,
    variant,
    complete: false,
    files: wanted.map(({ path, size, sha256 }) => (sha256 ? { path, size, sha256 } : { path, size })),
  };
  const writeRecord = async () => {
    // Written beside and renamed over, so a reader never sees half a record.
    const path = join(dir, FETCH_RECORD);
    await writeFile(`${path}.part`, `${JSON.stringify(record, null, 2)}\n`);
    await rename(`${path}.part`, path);
  };
  await writeRecord();

  const files: FetchedFile[] = [];
  for (const want of wanted) {
    const downloaded = await downloadFile(dir, commit, want, o);
    files.push({ path: want.path, size: want.size, sha256: want.sha256, downloaded });
  }
  // SigLIP keeps its logit scale and bias only in the weights: read the two values from the
  // repository (a few range requests) rather than download hundreds of MB for them.
  const config = await readFile(join(dir, 'config.json'), 'utf8').then((t) => JSON.parse(t) as unknown, () => null);
  if ((config as { model_type?: unknown } | null)?.model_type === 'siglip' || isNaflex(config)) {
    const logit = await remoteLogitParams(hub, commit, tree);
    if (logit) {
      record.logit = logit;
      o.log(`logit scale ${logit.scale}, bias ${logit.bias} (from ${logit.source})`);
    } else {
      o.log(`${repo} has neither ${SAFETENSORS} nor ${COMBINED_ONNX} with logit_scale and logit_bias: put one of them into ${dir} before running the model`);
    }
  }
  record.complete = true;
  await writeRecord();
  return { dir, repo, revision: hub.revision, commit, variant, files };
}
