// Hash: sha256 of each image's bytes; a file over WHOLE_FILE_BYTES is streamed (never a huge file in
// memory), a smaller one read in one call (half the CPU of a stream for a 0.25 MB photo). The hash is
// the image's stable id: the embedding cache and the site key images by it, not by path.

import { createHash, hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { forEachLimited } from './pool.ts';
import type { DiscoveredImage, HashedImage, SkippedFile } from '../core/types.ts';

/** Files up to this size are hashed from one read; larger ones are streamed. */
const WHOLE_FILE_BYTES = 16 * 1024 * 1024;

/** sha256 of a text's UTF-8 bytes, lower-case hex. One-shot (`crypto.hash`): no Hash object per call,
 * whose native state waits for the garbage collector (a 100,000-image build names ~700,000 thumbnails). */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** sha256 of a file's bytes, lower-case hex. */
export async function sha256File(absPath: string): Promise<string> {
  return (await hashFile(absPath)).sha256;
}

/** sha256 and the number of bytes actually hashed (the file may have changed since discovery). */
async function hashFile(absPath: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const file = await open(absPath, 'r');
  try {
    if ((await file.stat()).size <= WHOLE_FILE_BYTES) {
      const bytes = await file.readFile();
      return { sha256: hash.update(bytes).digest('hex'), size: bytes.length };
    }
    let size = 0;
    await pipeline(file.createReadStream({ autoClose: false }), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        size += chunk.length;
        hash.update(chunk);
      }
    });
    return { sha256: hash.digest('hex'), size };
  } finally {
    await file.close();
  }
}

interface HashOptions {
  /** Files hashed at once (I/O bound; a handful is enough). Default 8. */
  concurrency?: number;
  /** Called after each file, hashed or skipped, with the running count. */
  onProgress?: (done: number, total: number) => void;
}

interface HashResult {
  /** Hashed images in the order given. */
  images: HashedImage[];
  /** Images that vanished or could not be read, in the order given, with the reason. */
  skipped: SkippedFile[];
}

/**
 * Hash every image. Order is preserved. A file that vanished or cannot be read since discovery is
 * returned in `skipped` with a reason instead of failing the run. `size` becomes the number of bytes
 * hashed, so the size always belongs to the hash.
 */
export async function hashImages(images: readonly DiscoveredImage[], opts: HashOptions = {}): Promise<HashResult> {
  const outcomes: (HashedImage | SkippedFile)[] = new Array(images.length);
  let done = 0;
  await forEachLimited(images, opts.concurrency ?? 8, async (image, i) => {
    try {
      const { sha256, size } = await hashFile(image.absPath);
      outcomes[i] = { ...image, size, sha256 };
    } catch (error) {
      outcomes[i] = { path: image.path, reason: readFailure(error) };
    }
    opts.onProgress?.(++done, images.length);
  });

  const hashed: HashedImage[] = [];
  const skipped: SkippedFile[] = [];
  for (const o of outcomes) {
    if ('sha256' in o) hashed.push(o);
    else skipped.push(o);
  }
  return { images: hashed, skipped };
}

/** A reason a user understands for a file that could not be read. */
export function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file vanished after discovery';
    case 'EACCES':
    case 'EPERM':
      return 'file not readable (permission denied)';
    case 'EISDIR':
      return 'a folder, not an image file';
    case 'ELOOP':
      return 'symlink loop (not followed)';
    default:
      return `read error (${code ?? (error instanceof Error ? error.message : String(error))})`;
  }
}
