// The originals of the images the site shows large (option copyOriginals). Each is published under
// a content-hash name whose extension and Content-Type come from the image format found in its
// bytes — from a fixed list of image types — never from the user's file name: an "evil.html" that is
// a valid PNG is published as <hash>.png and served as image/png, not as a page that runs scripts.
//
// By default the copy is the engine's re-encoding without metadata (publishableCopy in decode.ts:
// no GPS position, camera or XMP of other people's photos); { keepMetadata: true } publishes the file
// as it is. Copies are kept in the cache folder, named by what determines their bytes, so a rebuild
// with a warm cache re-encodes nothing.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../engine/atomic.ts';
import type { PublishedFormat } from '../engine/decode.ts';
import { isClipscopeError } from '../engine/errors.ts';
import { ASSETS_DIR } from '../core/format.ts';

/** Site folder of the originals (under the base path). */
const ORIGINALS_DIR = `${ASSETS_DIR}/originals`;

/** Bump when the way copies are made changes, so cached ones are not reused. */
const ORIGINALS_VERSION = 1;

/** File extension and Content-Type of each format a published original can have. */
const PUBLISHED_TYPES: Record<PublishedFormat, { ext: string; type: string }> = {
  jpeg: { ext: '.jpg', type: 'image/jpeg' },
  png: { ext: '.png', type: 'image/png' },
  webp: { ext: '.webp', type: 'image/webp' },
  gif: { ext: '.gif', type: 'image/gif' },
  tiff: { ext: '.tif', type: 'image/tiff' },
  avif: { ext: '.avif', type: 'image/avif' },
};

export type MakeOriginal = (absPath: string, opts: { keepMetadata: boolean }) => Promise<{ data: Buffer; format: PublishedFormat }>;

interface OriginalRequest {
  sha256: string;
  /** Published path of the image (for messages). */
  path: string;
  /** Its file on this machine. */
  file: string;
}

interface OriginalsOutput {
  /** sha256 → site-relative path, for the report's links. */
  links: Record<string, string>;
  /** Site-relative path → cached copy and its Content-Type, for publishing. */
  files: Map<string, { file: string; type: string }>;
  made: number;
  reused: number;
  failed: { path: string; reason: string }[];
}

/** The cache name of a copy (without its format): changes whenever its bytes would. */
function copyKey(sha256: string, keepMetadata: boolean): string {
  return createHash('sha256').update(`v${ORIGINALS_VERSION}:${sha256}:${keepMetadata ? 'keep' : 'strip'}`).digest('hex').slice(0, 24);
}

const isFormat = (s: string): s is PublishedFormat => Object.hasOwn(PUBLISHED_TYPES, s);

/** Make (or reuse from `cacheDir`, or a temporary folder without one) the copy of each original.
 * A failure leaves that image without a link to its original. */
export async function publishOriginals(
  requests: readonly OriginalRequest[],
  job: { cacheDir: string | null; keepMetadata: boolean; make: MakeOriginal },
): Promise<OriginalsOutput> {
  const dir = job.cacheDir ?? (await mkdtemp(join(tmpdir(), 'clipscope-originals-')));
  await mkdir(dir, { recursive: true });
  // Cached copies are named <key>.<format>: the format needs no decoding to be known again.
  const cached = new Map<string, PublishedFormat>();
  for (const name of await readdir(dir)) {
    const m = /^([0-9a-f]{24})\.([a-z]+)$/.exec(name);
    if (m && isFormat(m[2])) cached.set(m[1], m[2]);
  }
  const out: OriginalsOutput = { links: {}, files: new Map(), made: 0, reused: 0, failed: [] };
  for (const r of requests) {
    const key = copyKey(r.sha256, job.keepMetadata);
    let format = cached.get(key);
    if (format) out.reused++;
    else {
      try {
        const copy = await job.make(r.file, { keepMetadata: job.keepMetadata });
        if (!isFormat(copy.format)) throw new Error(`unexpected format ${copy.format}`);
        format = copy.format;
        await writeFileAtomic(join(dir, `${key}.${format}`), copy.data);
        cached.set(key, format);
        out.made++;
      } catch (error) {
        // An engine error is a short reason; a file-system one is named by its code (its message has paths).
        const code = (error as NodeJS.ErrnoException)?.code;
        out.failed.push({ path: r.path, reason: isClipscopeError(error) ? error.message : (code ?? String(error)) });
        continue;
      }
    }
    const { ext, type } = PUBLISHED_TYPES[format];
    const sitePath = `${ORIGINALS_DIR}/${r.sha256.slice(0, 24)}${ext}`;
    out.links[r.sha256] = sitePath;
    out.files.set(sitePath, { file: join(dir, `${key}.${format}`), type });
  }
  return out;
}

