// Thumbnails for the images the site shows — and only those (see thumbnailRequests in
// ./report/report.ts). Each is a WebP made by the engine's thumbnail() (the one sharp module), named by
// a hash of what determines its bytes (image sha256, box, quality), and kept in the cache folder so a
// rebuild with a warm cache only publishes them (prepare.ts publishAssets).
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ThumbRequest, ThumbRole } from './report/report.ts';
import { ThumbSet, thumbName } from './report/thumb-set.ts';
import { forEachLimited } from '../engine/pool.ts';

export { THUMBS_DIR, thumbName } from './report/thumb-set.ts';

interface ThumbnailSettings {
  sizes: Record<ThumbRole, number | false>;
  quality: number;
}

export type MakeThumbnail = (absPath: string, opts: { width: number; quality: number }) => Promise<{ data: Buffer; width: number; height: number }>;

interface ThumbnailJob {
  /** Folder the cached thumbnails live in (e.g. `.clipscope/thumbs`). */
  cacheDir: string;
  imagesRoot: string;
  /** The file of an image's published path, when not simply under `imagesRoot` (a posts table's
   * images may live anywhere); falls back to `imagesRoot`. */
  fileOf?: (path: string) => string | undefined;
  settings: ThumbnailSettings;
  make: MakeThumbnail;
  /** Thumbnails made at the same time (sharp works on libuv's thread pool). */
  concurrency?: number;
  /** Called after each request (made, reused or failed), for a progress line. */
  progress?: (p: { done: number; total: number; made: number; reused: number }) => void;
}

interface ThumbnailOutput {
  /** For the report and for publishing: the thumbnails made or reused, by role (their files are in
   * the cache folder under their ThumbSet names). */
  thumbs: Partial<Record<ThumbRole, ThumbSet>>;
  /** Bytes of the standalone thumbnails by sha256, for data: URIs. */
  inline: Map<string, Buffer>;
  made: number;
  reused: number;
  failed: { path: string; reason: string }[];
}

/** Pixel size of a cached WebP from its header (VP8, VP8L or VP8X), so reuse needs no decoding. */
export function webpSize(data: Buffer): { width: number; height: number } | null {
  if (data.length < 30 || data.toString('ascii', 0, 4) !== 'RIFF' || data.toString('ascii', 8, 12) !== 'WEBP') return null;
  const chunk = data.toString('ascii', 12, 16);
  if (chunk === 'VP8 ') return { width: data.readUInt16LE(26) & 0x3fff, height: data.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const b = data.readUInt32LE(21);
    return { width: (b & 0x3fff) + 1, height: ((b >> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: data.readUIntLE(24, 3) + 1, height: data.readUIntLE(27, 3) + 1 };
  return null;
}

/** Make (or reuse from the cache) every requested thumbnail. A failure skips that thumbnail only. */
export async function makeThumbnails(requests: readonly ThumbRequest[], job: ThumbnailJob): Promise<ThumbnailOutput> {
  await mkdir(job.cacheDir, { recursive: true });
  const out: ThumbnailOutput = { thumbs: {}, inline: new Map(), made: 0, reused: 0, failed: [] };
  const { quality } = job.settings;
  let done = 0;

  await forEachLimited(requests, job.concurrency ?? 4, async (req) => {
    await one(req);
    done++;
    job.progress?.({ done, total: requests.length, made: out.made, reused: out.reused });
  });
  return out;

  async function one(req: ThumbRequest): Promise<void> {
    const box = job.settings.sizes[req.role];
    if (box === false) return;
    const name = thumbName(req.sha256, box, quality);
    const file = join(job.cacheDir, name);
    let thumb = await reuse(file, req.role === 'standalone');
    if (thumb) out.reused++;
    else {
      try {
        thumb = await job.make(job.fileOf?.(req.path) ?? join(job.imagesRoot, req.path), { width: box, quality });
      } catch (error) {
        // The image was readable when classified; it may have changed or vanished since.
        out.failed.push({ path: req.path, reason: error instanceof Error ? error.message : String(error) });
        return;
      }
      // Temp file + rename: a killed build leaves no half-written thumbnail under the final name.
      // (No fsync: a lost cache entry is simply made again.) Read-only: the site publishes cached
      // thumbnails as hard links (prepare.ts publishAssets), so a tool rewriting a published file in
      // place must not change the cached one as well.
      const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(temp, thumb.data!, { mode: 0o444 });
      await rename(temp, file);
      out.made++;
    }
    const set = out.thumbs[req.role] ?? new ThumbSet(box, quality);
    out.thumbs[req.role] = set;
    set.add(req.sha256, thumb.width, thumb.height);
    if (req.role === 'standalone') out.inline.set(req.sha256, thumb.data!);
  }
}

/** Bytes of a WebP header webpSize needs (RIFF header, chunk header, VP8X canvas or VP8/VP8L frame size). */
const WEBP_HEADER_BYTES = 30;

/**
 * A cached thumbnail, if `file` is one: its size from the header alone (a warm build of 100,000
 * images reuses 200,000 thumbnails: reading each whole was most of that step); its bytes as well
 * when they are needed (`withData`, for the standalone file's data: URIs). Null when missing or not a WebP.
 */
async function reuse(file: string, withData: boolean): Promise<{ data?: Buffer; width: number; height: number } | null> {
  if (withData) {
    const data = await readFile(file).catch(() => null);
    const size = data && webpSize(data);
    return size ? { data: data!, ...size } : null;
  }
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const head = Buffer.alloc(WEBP_HEADER_BYTES);
    const { bytesRead } = await handle.read(head, 0, WEBP_HEADER_BYTES, 0);
    return webpSize(head.subarray(0, bytesRead));
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}
