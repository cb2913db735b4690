// Atomic file replacement: readers (and a later run after a crash or SIGKILL) see either the old
// complete file or the new complete file, never a truncated mix.
//
// How: write a temporary file in the SAME directory (rename is only atomic within one file system),
// fsync it so its bytes are on disk before the name points at them, rename it over the target, then
// fsync the directory so the rename itself survives a power cut. On any error the temporary file is
// removed and the previous file is left untouched.
//
// Several files that belong together (results.csv and results.json) are written with
// writeFilesAtomic: every temporary file is complete before the first rename, so a full disk leaves
// all the previous files, and a crash can only fall between two back-to-back renames. A process
// killed mid-write cannot remove its temporary file; the next write of the same target removes the
// temporary files of processes that no longer exist.

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ClipscopeError } from './errors.ts';

/** Error codes that mean "no space left": disk full or quota exceeded. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

/** The temporary name used while writing `path`: hidden, in the same directory, unique per call. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** What a file is written from: its bytes, or its text in pieces (written as they are made, so a
 * large file is never held whole; each piece is UTF-8). An iterable is consumed once. */
export type FileData = string | Uint8Array | Iterable<string | Uint8Array>;

/** A long text is written in pieces of this many UTF-16 code units (at most 192 KiB of UTF-8 each). */
const TEXT_PIECE = 64 * 1024;

/**
 * A text in pieces for writing, a surrogate pair never split. Given a whole string, Node's writeFile
 * encodes it into one buffer (19 and 27 MB for the Explore index and the Workbench data of 100,000
 * images), which glibc may place on its heap and not give back when it is freed.
 */
export function* textPieces(text: string, size = TEXT_PIECE): Generator<string> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + size);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff && end - 1 > start) end--;
    yield text.slice(start, end);
    start = end;
  }
}

/**
 * Replace `path` with `data` atomically. Throws a ClipscopeError (kind "io") that names the file and
 * says the previous version is intact when the write fails (disk full, permissions, missing folder).
 */
export async function writeFileAtomic(path: string, data: FileData): Promise<void> {
  await writeFilesAtomic([{ path, data }]);
}

/**
 * Replace several files: first every temporary file is written and synced, then each is renamed over
 * its target. When any write fails, no target has changed and no temporary file is left.
 */
export async function writeFilesAtomic(files: readonly { path: string; data: FileData }[]): Promise<void> {
  const written: { temp: string; path: string }[] = [];
  let current = '';
  try {
    for (const file of files) {
      current = file.path;
      await removeStaleTemps(file.path);
      const temp = tempPathFor(file.path);
      const handle = await open(temp, 'wx', 0o644);
      written.push({ temp, path: file.path });
      try {
        const data = file.data;
        await handle.writeFile(typeof data === 'string' && data.length > TEXT_PIECE ? textPieces(data) : data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (const [i, { temp, path }] of written.entries()) {
      current = path;
      await rename(temp, path);
      written[i] = { temp: '', path };
    }
  } catch (error) {
    await Promise.all(written.filter((w) => w.temp).map((w) => unlink(w.temp).catch(() => {})));
    throw writeError(current, error);
  }
  for (const dir of new Set(files.map((f) => dirname(f.path)))) await syncDirectory(dir);
}

/**
 * Copy `source` over `target` atomically: to a temporary name next to `target` (a copy-on-write clone
 * where the file system has them), then renamed. On failure the temporary file is removed and the
 * error is thrown as it came, for the caller to name (a missing source is not a missing folder).
 */
export async function copyFileAtomic(source: string, target: string): Promise<void> {
  const temp = tempPathFor(target);
  try {
    await copyFile(source, temp, constants.COPYFILE_FICLONE);
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/** Temporary files of `path` (see tempPathFor) left by processes that were killed. Best effort. */
async function removeStaleTemps(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return; // a missing folder is reported by the write itself
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length));
    if (match && !processExists(Number(match[1]))) await unlink(join(dirname(path), name)).catch(() => {});
  }
}

/** Whether a process with this pid is running (on this machine), e.g. the owner of a temp file or lock. */
export function processExists(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** fsync a directory so a rename in it is durable. Best effort: some file systems refuse it. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform allows opening or syncing a directory; the rename has happened anyway.
  }
}

/** A failed write of `path` as a ClipscopeError (kind "io") that says what happened and what to do. */
export function writeError(path: string, error: unknown): ClipscopeError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const intact = 'The previous file (if any) is intact.';
  if (code && DISK_FULL.has(code)) {
    return new ClipscopeError(
      'io',
      `Disk full while writing ${path}. ${intact}`,
      'Free some space on that disk (or write the results elsewhere) and run again.',
      { cause: error },
    );
  }
  if (code === 'ENOENT') {
    return new ClipscopeError('io', `Cannot write ${path}: its folder does not exist.`, 'Create the folder or choose another output path.', {
      cause: error,
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new ClipscopeError('io', `Cannot write ${path}: permission denied (${code}). ${intact}`, 'Choose an output path you can write to.', {
      cause: error,
    });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new ClipscopeError('io', `Could not write ${path}: ${detail}. ${intact}`, undefined, { cause: error });
}
