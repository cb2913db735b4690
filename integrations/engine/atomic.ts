// Atomic file replacement: readers (and a later run after a crash or SIGKILL) see either the old
// complete file or the new complete file, never a truncated mix.
//
// How: write a temporary file in the SAME directory (rename is only atomic within one file system),
// fsync it so its bytes are on disk before the name points at them, rename it over the target, then
// fsync the directory so the rename itself survives a power cut. On any error the temporary file is
// removed and the previous file is left untouched.

import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ClipscopeError } from './errors.ts';

/** Error codes that mean "no space left": disk full or quota exceeded. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

/** The temporary name used while writing `path`: hidden, in the same directory, unique per call. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Replace `path` with `data` atomically. Throws a ClipscopeError (kind "io") that names the file and
 * says the previous version is intact when the write fails (disk full, permissions, missing folder).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(path);
  let created = false;
  try {
    const handle = await open(temp, 'wx', 0o644);
    created = true;
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    created = false;
  } catch (error) {
    if (created) await unlink(temp).catch(() => {});
    throw writeError(path, error);
  }
  await syncDirectory(dirname(path));
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

function writeError(path: string, error: unknown): ClipscopeError {
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
