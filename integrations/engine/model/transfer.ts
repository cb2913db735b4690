// One file of a model download (step 3 of fetch.ts): GET {endpoint}/{repo}/resolve/{commit}/{path}
// (the Hub redirects LFS files to a CDN; fetch follows) into `<file>.part`, resumed with
// `Range: bytes=<part size>-` after a cut, stopped at the listed size, checked (size, sha256 or git
// oid) and renamed into place, so a file with its final name is always complete.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClipscopeError, show } from '../errors.ts';
import { authHeaders, describeCause, encodePath, hubError, type HubContext, type WantedFile } from './hub.ts';

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

export interface TransferContext extends HubContext {
  /** Transfers per file before giving up (1 = no retry). */
  attempts: number;
  /** Delay before the first retry, doubled after each. */
  retryDelayMs: number;
  onProgress?: (p: DownloadProgress) => void;
  log: (line: string) => void;
}

/** A repository path as a local path under `dir`, refusing anything that would leave it. */
export function localPath(dir: string, path: string): string {
  const clean = posix.normalize(path);
  if (clean.startsWith('/') || clean.split('/').includes('..')) {
    throw new ClipscopeError('model', `The file listing contains an unsafe path ${show(path)}.`, 'Check HF_ENDPOINT: the server is not a Hugging Face Hub.');
  }
  return join(dir, ...clean.split('/'));
}

export async function fileSize(path: string): Promise<number | undefined> {
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

/** The wait between retries doubles up to this. */
const MAX_RETRY_DELAY_MS = 30_000;

const duration = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${ms / 1000} s`);

/** A server that sends more than the listing says: not retried (it would send too much again). */
function tooLong(want: WantedFile, o: TransferContext): ClipscopeError {
  return new ClipscopeError(
    'download',
    `${o.endpoint} sent more than the ${want.size} bytes listed for ${want.path} of ${o.repo}; the download was stopped at that size and deleted.`,
    'The repository may have changed meanwhile: run the same command again. If it happens again, check HF_ENDPOINT and any proxy in between.',
  );
}

/**
 * One HTTP transfer of `url` into `part`, continuing from the part's current size. Returns when the
 * server's body ended; throws Interrupted for a cut connection or a stall. Never writes more than
 * the listed size: a longer answer deletes the part and fails.
 */
async function transfer(url: string, part: string, want: WantedFile, o: TransferContext): Promise<void> {
  let offset = (await fileSize(part)) ?? 0;
  if (offset > want.size) {
    await rm(part, { force: true });
    offset = 0;
  }
  const controller = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(new Interrupted(`no data for ${duration(o.idleTimeoutMs)}`)), o.idleTimeoutMs);
  };
  arm();
  let overflow = false;
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
      throw hubError(res, o, want.path);
    }
    // 206: the server continues at `offset` (its Content-Range must say so). 200: it ignored the
    // range and sends the whole file.
    const append = res.status === 206 && offset > 0;
    if (append) {
      const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1];
      if (start !== undefined && Number(start) !== offset) {
        await res.body?.cancel();
        await rm(part, { force: true });
        throw new Interrupted(`the server resumed at byte ${start} instead of ${offset}; starting the file again`);
      }
    } else offset = 0;
    const announced = Number(res.headers.get('content-length') ?? Number.NaN);
    if (announced > want.size - offset) {
      await res.body?.cancel();
      await rm(part, { force: true });
      throw tooLong(want, o);
    }
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
            if (received + chunk.byteLength > want.size) {
              overflow = true;
              break; // ends (cancels) the body
            }
            await handle.write(chunk);
            received += chunk.byteLength;
            report(false);
          }
        } catch (e) {
          if (isDiskError(e)) throw e;
          throw new Interrupted(`connection lost after ${received} of ${want.size} bytes: ${describeCause(e)}`, { cause: e });
        }
      }
      if (!overflow) await handle.sync();
    } finally {
      await handle.close();
    }
    if (overflow) {
      await rm(part, { force: true });
      throw tooLong(want, o);
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

function isDiskError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
}

function diskError(part: string, e: unknown): ClipscopeError {
  const code = (e as NodeJS.ErrnoException).code;
  return new ClipscopeError('io', `Could not write ${part} (${code}).`, code === 'ENOSPC' || code === 'EDQUOT' ? 'Free some disk space and run the same command again: the download resumes.' : 'Choose a --dest folder you can write to.', { cause: e });
}

/** Downloads one file into place: resumes `.part`, retries cuts, verifies, renames atomically.
 * Returns false when a complete, verified copy was already there. */
export async function downloadFile(dir: string, commit: string, want: WantedFile, o: TransferContext): Promise<boolean> {
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
      if (attempt >= o.attempts) throw await gaveUp(part, attempt, e, want, o);
      o.log(`${want.path}: ${e.message}; resuming (attempt ${attempt + 1} of ${o.attempts})`);
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
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

/** The error after the last attempt; says the partial file is kept only when there is one. */
async function gaveUp(part: string, attempts: number, last: Interrupted, want: WantedFile, o: TransferContext): Promise<ClipscopeError> {
  const kept = (await fileSize(part)) ?? 0;
  if (kept === 0) await rm(part, { force: true });
  const retry = '--retries and --timeout allow more attempts and a longer wait for a slow server.';
  return new ClipscopeError(
    'network',
    `Downloading ${want.path} of ${o.repo} failed ${attempts === 1 ? 'once' : `${attempts} times`} (last: ${last.message}).`,
    kept > 0
      ? `The partial file ${part} is kept (${kept} of ${want.size} bytes): run the same command again to resume. ${retry}`
      : `Nothing of it was saved: run the same command again later. ${retry}`,
    { cause: last },
  );
}
