// Downloads a CLIP model in the Hugging Face ONNX layout from the Hub (or any server with the Hub's
// URL layout, e.g. a mirror named by HF_ENDPOINT) into a model folder.
//
//   1. GET {endpoint}/api/models/{repo}/revision/{revision}   → the commit the revision points at,
//      so every file comes from the same commit even if the branch moves meanwhile.
//   2. GET {endpoint}/api/models/{repo}/tree/{commit}?recursive=true (paged by `Link: rel="next"`)
//      → path, size, git oid and, for LFS files, lfs.oid (sha256) and lfs.size.
//   3. GET {endpoint}/{repo}/resolve/{commit}/{path} for the files a model folder needs (the Hub
//      redirects LFS files to a CDN; fetch follows). Each file is written to `<file>.part`, resumed
//      with `Range: bytes=<part size>-` after a cut, checked (size, sha256 or git oid) and renamed
//      into place, so a file with its final name is always complete.
//   4. clipscope.json records where the folder came from; it is written first with
//      `"complete": false` and rewritten with `true` at the end.
//
// With `quantized`, the int8 graphs are stored under the Hub's own names (onnx/*_model_quantized.onnx):
// the run option `--variant quantized` (options.ts `modelVariant`) selects exactly those files.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClipscopeError, show } from '../errors.ts';
import { formatBytes } from '../../core/format.ts';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
export const SOURCE_FILE = 'clipscope.json';

/** Hub endpoint and token from the environment (HF_ENDPOINT, HF_TOKEN), as huggingface_hub reads them. */
export function hubFromEnv(env: NodeJS.ProcessEnv): { endpoint: string; token?: string } {
  const endpoint = env.HF_ENDPOINT?.trim() || DEFAULT_HF_ENDPOINT;
  const token = env.HF_TOKEN?.trim() || undefined;
  return { endpoint, token };
}

export interface DownloadProgress {
  /** Path inside the repository, e.g. "onnx/vision_model.onnx". */
  path: string;
  /** Bytes of the file on disk so far (resumed bytes included). */
  received: number;
  total: number;
  /** Bytes that were already on disk when this attempt started. */
  resumedFrom: number;
  /** Average rate of this attempt, bytes per second. */
  bytesPerSecond: number;
  done: boolean;
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
  /** Fetch onnx/*_model_quantized.onnx (int8) instead of the fp32 graphs. */
  quantized?: boolean;
  endpoint?: string;
  /** Sent as `Authorization: Bearer <token>` (gated or private repositories). */
  token?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** One line per step (listing, file kept, file downloaded). */
  log?: (line: string) => void;
  /** Attempts per file after an interrupted transfer (default 5). */
  attempts?: number;
  /** Delay before the first retry, doubled after each (default 1000 ms). */
  retryDelayMs?: number;
  /** Abort a transfer that delivers no bytes for this long (default 60 s); it is then resumed. */
  idleTimeoutMs?: number;
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
  variant: 'fp32' | 'quantized';
  files: FetchedFile[];
}

/** One entry of the Hub's tree listing. */
interface TreeEntry {
  type: string;
  path: string;
  size: number;
  oid?: string;
  lfs?: { oid: string; size: number };
}

interface WantedFile {
  path: string;
  size: number;
  sha256?: string;
  /** git blob sha1 of a non-LFS file. */
  gitOid?: string;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
const FOLDER_NAME = /^[A-Za-z0-9][\w.-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;
const SHA1 = /^[0-9a-f]{40}$/;

/** The files a clipscope model folder is read from. */
function modelFiles(quantized: boolean): { required: string[]; optional: string[] } {
  const suffix = quantized ? '_quantized' : '';
  const graphs = ['vision_model', 'text_model'].map((g) => `onnx/${g}${suffix}.onnx`);
  return {
    required: ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', ...graphs],
    // External weight files (graphs over 2 GB) sit beside their graph; special_tokens_map.json
    // belongs to the tokenizer files of a complete export.
    optional: ['special_tokens_map.json', ...graphs.map((g) => `${g}_data`)],
  };
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

function networkError(what: string, endpoint: string, error: unknown): ClipscopeError {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
  return new ClipscopeError(
    'network',
    `Could not reach ${endpoint} while ${what} (${detail}).`,
    'Check the network connection (and HF_ENDPOINT if you use a mirror), then run the same command again: finished files are kept and a partial one resumes.',
    { cause: error },
  );
}

/** Turns a failed Hub API answer into a message that says what to do. */
function hubError(res: Response, repo: string, revision: string, endpoint: string, path?: string): ClipscopeError {
  const code = res.headers.get('x-error-code');
  const url = `${endpoint}/${repo}`;
  if (path && res.status === 404 && code === 'EntryNotFound') {
    return new ClipscopeError('network', `${path} of ${repo} is listed but could not be downloaded (HTTP 404).`, 'The repository may have changed meanwhile: run the same command again.');
  }
  if (code === 'RevisionNotFound') {
    return new ClipscopeError('model', `Revision ${show(revision)} of ${repo} was not found on ${endpoint}.`, `Check the branch, tag or commit given to --revision (see ${url}/tree/main).`);
  }
  if (res.status === 404 || res.status === 401) {
    return new ClipscopeError(
      'model',
      `Model repository ${show(repo)} was not found on ${endpoint} (HTTP ${res.status}).`,
      `Check the repository id (owner/name, e.g. Xenova/clip-vit-base-patch32). A private repository needs a token in HF_TOKEN.`,
    );
  }
  if (res.status === 403) {
    return new ClipscopeError('model', `Access to ${repo} was refused (HTTP 403): it is gated or private.`, `Accept its terms at ${url} and set HF_TOKEN to a token of that account.`);
  }
  if (res.status === 429) {
    return new ClipscopeError('network', `${endpoint} is rate-limiting requests (HTTP 429).`, 'Wait a few minutes and run the same command again; setting HF_TOKEN raises the limit.');
  }
  return new ClipscopeError('network', `${endpoint} answered HTTP ${res.status} ${res.statusText} for ${repo}.`, 'Run the same command again later; finished files are kept and a partial one resumes.');
}

async function getJson(url: string, what: string, o: Context): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...authHeaders(o.token) }, signal: AbortSignal.timeout(o.idleTimeoutMs) });
  } catch (e) {
    throw networkError(what, o.endpoint, e);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw hubError(res, o.repo, o.revision, o.endpoint);
  }
  return res;
}

interface Context {
  repo: string;
  revision: string;
  endpoint: string;
  token?: string;
  attempts: number;
  retryDelayMs: number;
  idleTimeoutMs: number;
  onProgress?: (p: DownloadProgress) => void;
  log: (line: string) => void;
}

/** The commit a branch or tag points at (a commit id resolves to itself). */
async function resolveCommit(o: Context): Promise<string> {
  const url = `${o.endpoint}/api/models/${encodePath(o.repo)}/revision/${encodeURIComponent(o.revision)}`;
  const res = await getJson(url, `looking up ${o.repo}`, o);
  const info = (await res.json().catch(() => ({}))) as { sha?: unknown };
  // A server without commit ids (a plain mirror) still works: the revision itself is then used.
  return typeof info.sha === 'string' && /^[0-9a-f]{7,64}$/.test(info.sha) ? info.sha : o.revision;
}

/** The repository's files at `commit`, following the Hub's `Link: <…>; rel="next"` pages. */
async function listTree(o: Context, commit: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  let url: string | undefined = `${o.endpoint}/api/models/${encodePath(o.repo)}/tree/${encodeURIComponent(commit)}?recursive=true`;
  for (let page = 0; url && page < 1000; page++) {
    const res = await getJson(url, `listing the files of ${o.repo}`, o);
    const body = (await res.json().catch(() => null)) as unknown;
    if (!Array.isArray(body)) {
      throw new ClipscopeError('network', `${o.endpoint} sent an unexpected file listing for ${o.repo}.`, 'Check HF_ENDPOINT: it must be a Hugging Face Hub (or a mirror with the same API).');
    }
    entries.push(...(body as TreeEntry[]));
    const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    url = next ? new URL(next, url).href : undefined;
  }
  return entries;
}

/** Picks the files of a model folder from the listing; says which are missing. */
function selectFiles(entries: TreeEntry[], quantized: boolean, repo: string): WantedFile[] {
  const files = new Map(entries.filter((e) => e.type !== 'directory').map((e) => [e.path, e]));
  const { required, optional } = modelFiles(quantized);
  const missing = required.filter((p) => !files.has(p));
  if (missing.length > 0) {
    const otherVariant = modelFiles(!quantized).required.every((p) => files.has(p));
    throw new ClipscopeError(
      'model',
      `${repo} has no ${missing.join(', ')}: clipscope needs a CLIP export in the Hugging Face ONNX layout (separate vision and text graphs).`,
      otherVariant
        ? `The repository has the ${quantized ? 'fp32' : 'quantized'} graphs: run the command ${quantized ? 'without' : 'with'} --quantized.`
        : 'Use a CLIP repository with onnx/vision_model.onnx and onnx/text_model.onnx, e.g. Xenova/clip-vit-base-patch32.',
    );
  }
  return [...required, ...optional.filter((p) => files.has(p))].map((path) => {
    const e = files.get(path)!;
    const sha256 = e.lfs && SHA256.test(e.lfs.oid) ? e.lfs.oid : undefined;
    const gitOid = !e.lfs && e.oid && SHA1.test(e.oid) ? e.oid : undefined;
    return { path, size: e.lfs?.size ?? e.size, sha256, gitOid };
  });
}

/** A repository path as a local path under `dir`, refusing anything that would leave it. */
function localPath(dir: string, path: string): string {
  const clean = posix.normalize(path);
  if (clean.startsWith('/') || clean.split('/').includes('..')) {
    throw new ClipscopeError('model', `The file listing contains an unsafe path ${show(path)}.`, 'Check HF_ENDPOINT: the server is not a Hugging Face Hub.');
  }
  return join(dir, ...clean.split('/'));
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** sha256 and git blob sha1 of a file, streamed. */
async function hashFile(path: string, size: number): Promise<{ sha256: string; gitOid: string }> {
  const sha256 = createHash('sha256');
  const git = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path)) {
    sha256.update(chunk as Buffer);
    git.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), gitOid: git.digest('hex') };
}

/** Whether the file at `path` is a complete, verified copy of `want`. */
async function verified(path: string, want: WantedFile): Promise<{ ok: boolean; why?: string }> {
  const size = await fileSize(path);
  if (size !== want.size) return { ok: false, why: `size ${size ?? 'none'} instead of ${want.size} bytes` };
  if (!want.sha256 && !want.gitOid) return { ok: true };
  const got = await hashFile(path, size);
  if (want.sha256 && got.sha256 !== want.sha256) return { ok: false, why: `sha256 ${got.sha256} instead of ${want.sha256}` };
  if (want.gitOid && got.gitOid !== want.gitOid) return { ok: false, why: `git object id ${got.gitOid} instead of ${want.gitOid}` };
  return { ok: true };
}

/** Thrown inside one transfer attempt when it can be resumed by another. */
class Interrupted extends Error {}

/**
 * One HTTP transfer of `url` into `part`, continuing from the part's current size. Returns when the
 * server's body ended; throws Interrupted for a cut connection or a stall.
 */
async function transfer(url: string, part: string, want: WantedFile, o: Context): Promise<void> {
  let offset = (await fileSize(part)) ?? 0;
  if (offset > want.size) {
    await rm(part, { force: true });
    offset = 0;
  }
  const controller = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(new Interrupted(`no data for ${o.idleTimeoutMs} ms`)), o.idleTimeoutMs);
  };
  arm();
  try {
    let res: Response;
    try {
      const headers = authHeaders(o.token);
      if (offset > 0) headers.range = `bytes=${offset}-`;
      // Redirects (the Hub sends LFS files to a CDN) are followed; fetch drops the Authorization
      // header when the redirect leaves the Hub's origin, so the token never reaches the CDN.
      res = await fetch(url, { headers, redirect: 'follow', signal: controller.signal });
    } catch (e) {
      throw new Interrupted(`request failed: ${describeCause(e)}`, { cause: e });
    }
    if (res.status === 416) {
      // The part is no prefix the server can continue (e.g. the file changed): start over.
      await res.body?.cancel();
      await rm(part, { force: true });
      throw new Interrupted('the server refused to resume (HTTP 416); starting the file again');
    }
    if (res.status >= 500 || res.status === 429) {
      await res.body?.cancel();
      throw new Interrupted(`HTTP ${res.status}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw hubError(res, o.repo, o.revision, o.endpoint, want.path);
    }
    // 206: the server continues at `offset`. 200: it ignored the range and sends the whole file.
    const append = res.status === 206 && offset > 0;
    if (!append) offset = 0;
    const handle = await open(part, append ? 'a' : 'w');
    const started = performance.now();
    let received = offset;
    const report = (done: boolean) => {
      const seconds = Math.max((performance.now() - started) / 1000, 1e-3);
      o.onProgress?.({ path: want.path, received, total: want.size, resumedFrom: offset, bytesPerSecond: (received - offset) / seconds, done });
    };
    try {
      report(false);
      if (res.body) {
        try {
          for await (const chunk of res.body) {
            arm();
            await handle.write(chunk);
            received += chunk.byteLength;
            report(false);
          }
        } catch (e) {
          if (isDiskError(e)) throw e;
          throw new Interrupted(`connection lost after ${received} of ${want.size} bytes: ${describeCause(e)}`, { cause: e });
        }
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    report(true);
  } catch (e) {
    // An abort by the idle timer surfaces as an AbortError whose reason is our Interrupted.
    if (controller.signal.aborted && !(e instanceof ClipscopeError)) throw controller.signal.reason;
    if (isDiskError(e)) throw diskError(part, e);
    throw e;
  } finally {
    clearTimeout(idle);
  }
}

function describeCause(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e);
}

function isDiskError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
}

function diskError(part: string, e: unknown): ClipscopeError {
  const code = (e as NodeJS.ErrnoException).code;
  return new ClipscopeError('io', `Could not write ${part} (${code}).`, code === 'ENOSPC' || code === 'EDQUOT' ? 'Free some disk space and run the same command again: the download resumes.' : 'Choose a --dest folder you can write to.', { cause: e });
}

/** Downloads one file into place: resumes `.part`, retries cuts, verifies, renames atomically. */
async function downloadFile(dir: string, commit: string, want: WantedFile, o: Context): Promise<boolean> {
  const target = localPath(dir, want.path);
  if ((await fileSize(target)) !== undefined && (await verified(target, want)).ok) {
    o.log(`${want.path}: already complete`);
    return false;
  }
  await mkdir(dirname(target), { recursive: true });
  const part = `${target}.part`;
  const url = `${o.endpoint}/${encodePath(o.repo)}/resolve/${encodeURIComponent(commit)}/${encodePath(want.path)}`;
  let delay = o.retryDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await transfer(url, part, want, o);
      if ((await fileSize(part)) === want.size) break;
      throw new Interrupted(`the server sent ${(await fileSize(part)) ?? 0} of ${want.size} bytes`);
    } catch (e) {
      if (!(e instanceof Interrupted)) throw e;
      if (attempt >= o.attempts) {
        throw new ClipscopeError(
          'network',
          `Downloading ${want.path} of ${o.repo} failed ${attempt} times (last: ${e.message}).`,
          `The partial file ${part} is kept: run the same command again to resume.`,
          { cause: e },
        );
      }
      o.log(`${want.path}: ${e.message}; resuming (attempt ${attempt + 1} of ${o.attempts})`);
      await sleep(delay);
      delay *= 2;
    }
  }
  const check = await verified(part, want);
  if (!check.ok) {
    await rm(part, { force: true });
    throw new ClipscopeError(
      'download',
      `${want.path} of ${o.repo} failed its checksum: ${check.why}. The damaged download was deleted.`,
      'Run the same command again to download it afresh; if it fails again, the file on the server or a proxy between is at fault.',
    );
  }
  await rename(part, target);
  return true;
}

interface SourceRecord {
  schema: 'clipscope.model-source/v1';
  repo: string;
  revision: string;
  commit: string;
  endpoint: string;
  variant: 'fp32' | 'quantized';
  complete: boolean;
  files: Array<{ path: string; size: number; sha256?: string }>;
}

/** Refuses to mix files into a folder that holds a different model. */
async function checkFolder(dir: string, repo: string): Promise<void> {
  let previous: Partial<SourceRecord> | undefined;
  try {
    previous = JSON.parse(await readFile(join(dir, SOURCE_FILE), 'utf8')) as Partial<SourceRecord>;
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
  const dir = join(options.dest ?? 'models', modelFolderName(repo, options.name));
  const variant = options.quantized ? 'quantized' : 'fp32';
  const o: Context = {
    repo,
    revision: options.revision ?? 'main',
    endpoint,
    token: options.token,
    attempts: Math.max(1, options.attempts ?? 5),
    retryDelayMs: options.retryDelayMs ?? 1000,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    onProgress: options.onProgress,
    log: options.log ?? (() => {}),
  };

  const commit = await resolveCommit(o);
  const wanted = selectFiles(await listTree(o, commit), options.quantized ?? false, repo);
  const total = wanted.reduce((s, f) => s + f.size, 0);
  o.log(`${repo}@${commit === o.revision ? o.revision : `${o.revision} (${commit.slice(0, 12)})`}: ${wanted.length} files, ${formatBytes(total)} → ${dir}${sep}`);

  await checkFolder(dir, repo);
  await mkdir(dir, { recursive: true });
  const record: SourceRecord = {
    schema: 'clipscope.model-source/v1',
    repo,
    revision: o.revision,
    commit,
    endpoint,
    variant,
    complete: false,
    files: wanted.map(({ path, size, sha256 }) => (sha256 ? { path, size, sha256 } : { path, size })),
  };
  const writeRecord = async () => {
    // Written beside and renamed over, so a reader never sees half a record.
    const path = join(dir, SOURCE_FILE);
    await writeFile(`${path}.part`, `${JSON.stringify(record, null, 2)}\n`);
    await rename(`${path}.part`, path);
  };
  await writeRecord();

  const files: FetchedFile[] = [];
  for (const want of wanted) {
    const downloaded = await downloadFile(dir, commit, want, o);
    files.push({ path: want.path, size: want.size, sha256: want.sha256, downloaded });
  }
  record.complete = true;
  await writeRecord();
  return { dir, repo, revision: o.revision, commit, variant, files };
}

/** "onnx/vision_model.onnx  12.3 MB / 351.5 MB  3.5%  8.1 MB/s" */
export function formatProgress(p: DownloadProgress): string {
  const percent = p.total > 0 ? (100 * p.received) / p.total : 100;
  return `${p.path}  ${formatBytes(p.received)} / ${formatBytes(p.total)}  ${percent.toFixed(1)}%  ${formatBytes(Math.round(p.bytesPerSecond))}/s`;
}

/**
 * A progress printer for a stream such as stderr: on a terminal one line per file, redrawn at most
 * every `intervalMs`; elsewhere (logs, CI) a line at 0, 25, 50 and 75% and one at the end.
 */
export function progressPrinter(out: { write(s: string): unknown; isTTY?: boolean }, intervalMs = 200): (p: DownloadProgress) => void {
  let lastPath = '';
  let lastTime = 0;
  let lastQuarter = -1;
  return (p) => {
    if (p.path !== lastPath) {
      lastPath = p.path;
      lastTime = 0;
      lastQuarter = -1;
    }
    if (out.isTTY) {
      const now = performance.now();
      if (!p.done && now - lastTime < intervalMs) return;
      lastTime = now;
      out.write(`\r\x1b[K${formatProgress(p)}${p.done ? '\n' : ''}`);
      return;
    }
    if (p.done) {
      out.write(`${formatProgress(p)}\n`);
      return;
    }
    const quarter = p.total > 0 ? Math.min(3, Math.floor((4 * p.received) / p.total)) : 0;
    if (quarter > lastQuarter) {
      lastQuarter = quarter;
      out.write(`${formatProgress(p)}\n`);
    }
  };
}
