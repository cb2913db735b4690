// Image decoding: the only module that imports sharp (libvips). Everything that reads pixels —
// image headers, CLIP input crops, site thumbnails — goes through here, so decoding rules are the
// same everywhere:
//
// - EXIF orientation is APPLIED, for the model and for thumbnails alike: the model sees the image as
//   a person sees it. (OpenAI's PIL preprocessing ignores the tag; for untagged images — all the
//   parity fixtures — this makes no difference.)
// - Only the first frame (page) of animated GIF/WebP or multi-page TIFF is read (sharp's default).
// - A "decompression bomb" (small file declaring a huge canvas) is refused from its header, before
//   any pixel buffer is allocated: libvips' limitInputPixels is the backstop, and the header check
//   turns its error into a message with the numbers.
// - Every failure is a ClipscopeError of kind "image" whose message is a short human reason (it
//   becomes "skipped: <reason>" in results); libvips' own text is kept only as the error's cause,
//   because it can contain absolute paths.
import sharp from 'sharp';
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { ClipscopeError } from './errors.ts';
import type { PreprocessConfig } from './types.ts';

/** Images with more pixels than this (width × height of one frame) are refused: 100 megapixels. */
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

// The libvips operation cache only helps when the same image is processed repeatedly; clipscope
// touches each image once, so the cache would only hold memory.
sharp.cache(false);

export interface ImageInfo {
  /** Width and height as displayed, i.e. after EXIF orientation. */
  width: number;
  height: number;
  /** sharp's format name: jpeg, png, webp, gif, tiff, heif (AVIF), … */
  format: string;
  /** Frames/pages in the file (1 for still images). */
  pages: number;
  hasAlpha: boolean;
  /** EXIF orientation tag (1–8) when present. */
  orientation?: number;
}

type Input = Buffer | string;
interface LimitOptions {
  pixelLimit?: number;
}

function imageError(reason: string, cause?: unknown): ClipscopeError {
  return new ClipscopeError('image', reason, undefined, cause === undefined ? undefined : { cause });
}

const megapixels = (n: number): string => {
  const mp = n / 1e6;
  return mp >= 10 ? String(Math.round(mp)) : String(Math.round(mp * 10) / 10);
};

function pixelLimitError(width: number, height: number, limit: number): ClipscopeError {
  return imageError(
    `image is ${width}×${height} = ${megapixels(width * height)} MP, over the ${megapixels(limit)} MP limit`,
  );
}

/** A short human reason for a sharp/libvips failure (never its raw text: it may contain paths). */
function reasonFor(e: unknown, input: Input): string {
  const text = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string } | null)?.code;
  if ((Buffer.isBuffer(input) && input.length === 0) || /buffer is empty|file is empty/i.test(text)) {
    return 'empty file (0 bytes)';
  }
  if (code === 'ENOENT' || /input file is missing/i.test(text)) return 'file is missing';
  if (code === 'EACCES' || code === 'EPERM' || /permission denied/i.test(text)) return 'file is not readable (permission denied)';
  if (/unsupported image format/i.test(text)) return 'not an image or unsupported format';
  return 'truncated or corrupt image data';
}

/** The libvips pixel-limit option for a limit in pixels (0 or Infinity disable it). */
const vipsLimit = (limit: number): number | false =>
  Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : false;

/** Read the header only (no pixel decoding), failing with a human reason. */
async function readHeader(input: Input): Promise<Metadata> {
  if (Buffer.isBuffer(input) && input.length === 0) throw imageError('empty file (0 bytes)');
  try {
    // limitInputPixels: false — the header read allocates no pixels; the limit is checked by the
    // caller so that its message can state the size.
    return await sharp(input, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw imageError(reasonFor(e, input), e);
  }
}

function checkPixels(meta: Metadata, limit: number): void {
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) throw imageError('image has no pixels (width or height is 0)');
  if (vipsLimit(limit) !== false && width * height > limit) throw pixelLimitError(width, height, limit);
}

/** Width and height as displayed: EXIF orientations 5–8 swap them. */
function displayedSize(meta: Metadata): { width: number; height: number } {
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  return (meta.orientation ?? 1) >= 5 ? { width: h, height: w } : { width: w, height: h };
}

/**
 * The header facts of an image, without decoding pixels. Throws ClipscopeError("image") for files
 * that are not images, are truncated before the header ends, or exceed the pixel limit.
 */
export async function readImageInfo(input: Input, opts: LimitOptions = {}): Promise<ImageInfo> {
  const meta = await readHeader(input);
  checkPixels(meta, opts.pixelLimit ?? DEFAULT_PIXEL_LIMIT);
  const { width, height } = displayedSize(meta);
  const info: ImageInfo = {
    width,
    height,
    format: meta.format ?? 'unknown',
    pages: meta.pages ?? 1,
    hasAlpha: meta.hasAlpha ?? false,
  };
  if (meta.orientation !== undefined) info.orientation = meta.orientation;
  return info;
}

/** A sharp pipeline over one input with clipscope's safety and decoding options. */
function open(input: Input, limit: number, extra: SharpOptions = {}): Sharp {
  return sharp(input, {
    limitInputPixels: vipsLimit(limit),
    // "error" (not sharp's stricter default "warning"): truncated and corrupt data still fail, but
    // the benign libjpeg warnings common in camera and social-media files ("extraneous bytes before
    // marker") do not cost the user an image. PIL, the reference decoder, also accepts those files.
    failOn: 'error',
    autoOrient: true,
    ...extra,
  });
}

/** Run a pipeline, turning libvips failures into short reasons. */
async function run<T>(input: Input, limit: number, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof ClipscopeError) throw e;
    if (/exceeds pixel limit/i.test(e instanceof Error ? e.message : '')) {
      const meta = await readHeader(input);
      throw pixelLimitError(meta.width ?? 0, meta.height ?? 0, limit);
    }
    throw imageError(reasonFor(e, input), e);
  }
}

/**
 * A WebP thumbnail that fits in width × height (height defaults to width: a square box), aspect
 * kept, never enlarged, EXIF-oriented like the model's input, first frame of animations, colours
 * converted to sRGB for browsers; alpha is kept.
 */
export async function thumbnail(
  input: Input,
  opts: { width: number; height?: number; quality?: number; pixelLimit?: number },
): Promise<{ data: Buffer; width: number; height: number }> {
  const limit = opts.pixelLimit ?? DEFAULT_PIXEL_LIMIT;
  const box = { width: Math.max(1, Math.round(opts.width)), height: Math.max(1, Math.round(opts.height ?? opts.width)) };
  if (Buffer.isBuffer(input) && input.length === 0) throw imageError('empty file (0 bytes)');
  return run(input, limit, async () => {
    const { data, info } = await open(input, limit)
      .resize({ ...box, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: opts.quality ?? 80 })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  });
}

/** Placeholder until the CLIP decoding lands (same commit series). */
export async function decodeForClip(
  _input: Buffer,
  _cfg: PreprocessConfig,
  _opts: LimitOptions = {},
): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  throw new Error('decodeForClip: not implemented yet');
}
