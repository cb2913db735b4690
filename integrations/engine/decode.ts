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
import type { KernelEnum, Metadata, Sharp, SharpOptions } from 'sharp';
import { ClipscopeError } from './errors.ts';
import type { PreprocessConfig } from '../core/types.ts';
import { cmykToRgb, dropAlpha, fillTransparent, isOpaque, nearestCrop, premultiply, resampleCrop, unpremultiplyToRgb } from './pil-resample.ts';
import type { Box, PilFilter } from './pil-resample.ts';
import { roundHalfEven } from './rounding.ts';
// The run options' default, also when decode.ts is called without options.
import { DEFAULT_PIXEL_LIMIT } from './options.ts';


// The libvips operation cache only helps when the same image is processed repeatedly; clipscope
// touches each image once, so the cache would only hold memory.
sharp.cache(false);

// Defence in depth for untrusted folders: libvips may open only the formats clipscope reads. Every
// other loader is blocked process-wide (this module is the only user of sharp), above all SVG — a
// renderer over markup that can reference other files — and whatever else a libvips build carries.
// readHeader's format check gives the friendly message; this makes a file swapped after that check
// harmless too. ("Nsgif" is libvips' GIF loader; "Heif" reads AVIF; "Uhdr" is JPEG with a gain map.)
sharp.block({ operation: ['VipsForeignLoad'] });
sharp.unblock({
  operation: [
    'VipsForeignLoadJpeg',
    'VipsForeignLoadUhdr',
    'VipsForeignLoadPng',
    'VipsForeignLoadWebp',
    'VipsForeignLoadNsgif',
    'VipsForeignLoadTiff',
    'VipsForeignLoadHeif',
  ],
});

interface ImageInfo {
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

/** The formats clipscope reads, by sharp's name ("heif" is AVIF). libvips detects a format from the
 * bytes, not the extension, and can open more (SVG above all: a renderer over untrusted markup that
 * may reference other files); an SVG, or anything else, named .png is refused, not rendered. */
const READABLE_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

/** Read the header only (no pixel decoding), failing with a human reason. */
async function readHeader(input: Input): Promise<Metadata> {
  if (Buffer.isBuffer(input) && input.length === 0) throw imageError('empty file (0 bytes)');
  let meta: Metadata;
  try {
    // limitInputPixels: false — the header read allocates no pixels; the limit is checked by the
    // caller so that its message can state the size.
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw imageError(reasonFor(e, input), e);
  }
  if (!READABLE_FORMATS.has(meta.format)) throw imageError(`not an image or unsupported format (${meta.format} content)`);
  return meta;
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
  // The header first: the same format and size rules as for the model's input.
  checkPixels(await readHeader(input), limit);
  return run(input, limit, async () => {
    const { data, info } = await open(input, limit)
      .resize({ ...box, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: opts.quality ?? 80 })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  });
}

/** Resized size and crop box for an image of width × height (as displayed), as the reference does it. */
export function clipGeometry(
  width: number,
  height: number,
  cfg: PreprocessConfig,
): { resizeWidth: number; resizeHeight: number; left: number; top: number } {
  // SigLIP: the whole image to exactly cropWidth × cropHeight (HF's resize to size { height, width }).
  if (cfg.exactResize) return { resizeWidth: cfg.cropWidth, resizeHeight: cfg.cropHeight, top: 0, left: 0 };
  let resizeWidth = width;
  let resizeHeight = height;
  if (cfg.doResize) {
    const n = cfg.shortestEdge;
    // torchvision Resize(int): shorter side → n, longer side int(n × long / short) (truncated, ≥ 1).
    if (width <= height) {
      resizeWidth = n;
      resizeHeight = Math.max(1, Math.trunc((n * height) / width));
    } else {
      resizeWidth = Math.max(1, Math.trunc((n * width) / height));
      resizeHeight = n;
    }
  }
  return {
    resizeWidth,
    resizeHeight,
    top: roundHalfEven((resizeHeight - cfg.cropHeight) / 2),
    left: roundHalfEven((resizeWidth - cfg.cropWidth) / 2),
  };
}

type Kernel = KernelEnum[keyof KernelEnum];

/** The PIL resample codes clipscope reproduces (preprocessor_config.json's "resample"), each with
 * its Pillow filter (the JS port) and sharp kernel (the libvips fast path). */
export const RESAMPLE_FILTERS: Readonly<Record<number, { pil: PilFilter | 'nearest'; sharp: Kernel }>> = {
  0: { pil: 'nearest', sharp: 'nearest' },
  1: { pil: 'lanczos', sharp: 'lanczos3' },
  2: { pil: 'bilinear', sharp: 'linear' },
  3: { pil: 'bicubic', sharp: 'cubic' },
};

/** PNG IHDR facts sharp's metadata does not give: colour type and bit depth. */
function pngHeader(input: Buffer): { colourType: number; bitDepth: number } | null {
  const isPng =
    input.length >= 29 &&
    input.readUInt32BE(0) === 0x89504e47 &&
    input.readUInt32BE(4) === 0x0d0a1a0a &&
    input.toString('latin1', 12, 16) === 'IHDR';
  return isPng ? { bitDepth: input[24], colourType: input[25] } : null;
}

type Rgb = [number, number, number];

/**
 * The colour PIL gives the pixels of a GIF's first frame that libvips decodes as transparent
 * (alpha 0): PIL reads the frame as palette indices and converts them to RGB ignoring transparency,
 * so a transparent pixel shows its index's palette colour — the transparency index of the frame's
 * graphic control extension, or index 0 outside a frame without one (Pillow fills the canvas with
 * that index before it draws the frame). The palette is the frame's local colour table, else the
 * global one, else greyscale. Null when the bytes are not a GIF with a first frame.
 */
export function gifTransparentColour(input: Uint8Array): Rgb | null {
  const sig = String.fromCharCode(...input.subarray(0, 6));
  if (input.length < 13 || (sig !== 'GIF87a' && sig !== 'GIF89a')) return null;
  const table = (at: number, flags: number): { at: number; size: number } | null => (flags & 0x80 ? { at, size: 2 << (flags & 7) } : null);
  const global = table(13, input[10]);
  let pos = 13 + (global ? global.size * 3 : 0);
  let transparency: number | null = null;
  while (pos < input.length) {
    const block = input[pos];
    if (block === 0x21) {
      // Extension: a label, then data sub-blocks (a length byte each) up to an empty one.
      const label = input[pos + 1];
      pos += 2;
      if (label === 0xf9 && input[pos] >= 4 && pos + 4 < input.length) transparency = input[pos + 1] & 1 ? input[pos + 4] : null;
      while (pos < input.length && input[pos] !== 0) pos += input[pos] + 1;
      pos += 1;
    } else if (block === 0x2c) {
      if (pos + 10 > input.length) return null;
      const palette = table(pos + 10, input[pos + 9]) ?? global;
      const index = transparency ?? 0;
      if (!palette) return [index, index, index];
      const at = palette.at + 3 * index;
      if (index >= palette.size || at + 3 > input.length) return [0, 0, 0];
      return [input[at], input[at + 1], input[at + 2]];
    } else {
      return null; // the trailer or garbage before any frame
    }
  }
  return null;
}

/**
 * How PIL would treat this image's pixels on resize (Pillow's Image.resize):
 * - palette ("P", also GIF) and 1-bit ("1") images are resized with NEAREST, whatever was asked;
 * - RGBA and LA images are resized premultiplied; a PNG whose transparency comes from a tRNS chunk
 *   on a grey or RGB image opens as "L"/"RGB" and is resized without regard to it.
 */
function pilTraits(input: Buffer, meta: Metadata): { nearest: boolean; premultiply: boolean } {
  const png = pngHeader(input);
  const nearest = meta.isPalette === true || (png !== null && png.colourType === 0 && png.bitDepth === 1);
  const alphaChannel = png ? png.colourType === 4 || png.colourType === 6 : meta.hasAlpha === true;
  return { nearest, premultiply: !nearest && alphaChannel };
}

/**
 * Decode an image into the RGB centre crop CLIP sees: uint8 HWC, cropHeight × cropWidth × 3.
 * width/height are the original image's, as displayed. The geometry is OpenAI's (clipGeometry).
 *
 * Two routes, chosen per image; parity with the PIL reference is measured in
 * test/integration/preprocess-parity.test.ts:
 * - FAST (the usual photo: opaque, not palette, shorter side ≥ shortest_edge): ONE sharp pipeline,
 *   orient → resize to the exact size (fit "fill") → extract the crop → RGB, raw. Kernel "cubic" is
 *   libvips' Catmull-Rom (a = −0.5), PIL's BICUBIC, and both widen it by the reduction factor
 *   (antialiasing); measured cosine ≥ 0.9998 to the reference. fastShrinkOnLoad: false keeps JPEG
 *   shrink-on-load to factors that leave ≥ 2× for the kernel (measured: true costs parity on large
 *   JPEGs, e.g. 0.99855 instead of 0.99982 for a 1411² JPEG).
 * - EXACT (upsampling, alpha, palette/1-bit, CMYK, crop outside the image): sharp decodes to raw
 *   pixels; pil-resample.ts reproduces Pillow bit for bit (premultiplied alpha, NEAREST for palettes,
 *   CMYK resized as CMYK), because libvips departs from PIL there (see pil-resample.ts). An alpha
 *   channel that turns out fully opaque (common in screenshots) is dropped, and such plain RGB is
 *   downscaled by libvips as in the fast route. libvips decodes transparent GIF pixels as black;
 *   they get the palette colour PIL shows for them (gifTransparentColour).
 * Both routes: embedded ICC profiles are IGNORED (ignoreIcc), as PIL does — pixel values reach the
 * model as stored, as in CLIP's training. Measured on rocket.jpg: converting its profile to sRGB
 * gives cosine 0.9975 to the reference, ignoring it 0.99998. CMYK is converted as PIL does it
 * (naively, after the resize). 16-bit images become 8-bit by their high byte, as PIL does for RGB
 * (the fast route resizes at 16 bits first: within one level); PIL clips 16-bit greyscale to white,
 * a defect clipscope does not copy.
 */
export async function decodeForClip(
  input: Buffer,
  cfg: PreprocessConfig,
  opts: LimitOptions = {},
): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  const limit = opts.pixelLimit ?? DEFAULT_PIXEL_LIMIT;
  const meta = await readHeader(input);
  checkPixels(meta, limit);
  const { width, height } = displayedSize(meta);
  const g = clipGeometry(width, height, cfg);
  const box = { left: g.left, top: g.top, width: cfg.cropWidth, height: cfg.cropHeight };
  const cropInside = box.left >= 0 && box.top >= 0 && box.left + box.width <= g.resizeWidth && box.top + box.height <= g.resizeHeight;
  const plan: CropPlan = {
    resizeWidth: g.resizeWidth,
    resizeHeight: g.resizeHeight,
    box,
    filter: RESAMPLE_FILTERS[cfg.resample] ?? RESAMPLE_FILTERS[3],
    downscale: g.resizeWidth <= width && g.resizeHeight <= height && cropInside,
  };
  const traits = pilTraits(input, meta);
  // BILINEAR (SigLIP's resample 2) always takes Pillow's arithmetic: libvips' "linear" reduce departs
  // from PIL's antialiased bilinear more than its cubic does from BICUBIC (measured on a 96 → 32 px
  // ring pattern: embedding cosine 0.99986 with libvips, 1.0 with the Pillow port).
  const fast = plan.filter.pil !== 'bilinear' && plan.downscale && !meta.hasAlpha && meta.space !== 'cmyk' && !traits.nearest && plan.filter.pil !== 'nearest';
  const gifFill = meta.format === 'gif' ? gifTransparentColour(input) : null;
  return run(input, limit, async () => ({
    rgb: fast ? await fastCrop(input, limit, plan) : await exactCrop(input, limit, plan, traits, meta.space === 'cmyk', gifFill),
    width,
    height,
  }));
}

/**
 * Decode an image into RGB resized as a whole to the size `size` picks from its displayed width and
 * height (SigLIP 2 NaFlex: no crop, aspect ratio about kept). The steps are Hugging Face's — its
 * pipelines load images with load_image (EXIF orientation applied, then convert("RGB"): alpha
 * DROPPED without compositing, palettes expanded, CMYK converted naively) and resize the RGB image
 * afterwards — so, unlike decodeForClip's CLIP steps, nothing is resized premultiplied or with
 * NEAREST. The resize is the port in pil-resample.ts with `resample`'s filter; BILINEAR (SigLIP 2's)
 * in PyTorch's fixed point, as the torchvision Siglip2ImageProcessor that AutoImageProcessor picks
 * does it: bit for bit that processor, within one 8-bit level of Siglip2ImageProcessorPil (measured
 * on test/fixtures/models/siglip2-naflex-tiny). ICC profiles are ignored, as PIL does.
 */
export async function decodeResized(
  input: Buffer,
  size: (width: number, height: number) => { width: number; height: number },
  resample: number,
  opts: LimitOptions = {},
): Promise<{ rgb: Uint8Array; width: number; height: number; resizedWidth: number; resizedHeight: number }> {
  const limit = opts.pixelLimit ?? DEFAULT_PIXEL_LIMIT;
  const meta = await readHeader(input);
  checkPixels(meta, limit);
  const { width, height } = displayedSize(meta);
  const target = size(width, height);
  const filter = (RESAMPLE_FILTERS[resample] ?? RESAMPLE_FILTERS[2]).pil;
  const cmyk = meta.space === 'cmyk';
  const gifFill = meta.format === 'gif' ? gifTransparentColour(input) : null;
  return run(input, limit, async () => {
    const decoder = open(input, limit, { ignoreIcc: true });
    const { data, info } = await (cmyk ? decoder.pipelineColourspace('cmyk').toColourspace('cmyk') : decoder.toColourspace('srgb'))
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    let pixels = asBytes(data);
    if (info.channels !== 3 && info.channels !== 4) throw imageError('unexpected decoder output');
    if (cmyk) pixels = cmykToRgb(pixels);
    else if (info.channels === 4) {
      if (gifFill) fillTransparent(pixels, gifFill);
      pixels = dropAlpha(pixels);
    }
    const box = { left: 0, top: 0, width: target.width, height: target.height };
    const rgb =
      filter === 'nearest'
        ? nearestCrop(pixels, info.width, info.height, 3, target.width, target.height, box)
        : resampleCrop(pixels, info.width, info.height, 3, target.width, target.height, box, filter, filter === 'bilinear' ? 'torch' : 'pillow');
    return { rgb, width, height, resizedWidth: target.width, resizedHeight: target.height };
  });
}

/** What to do with the decoded image: resize to resizeWidth × resizeHeight, keep `box`. */
interface CropPlan {
  resizeWidth: number;
  resizeHeight: number;
  box: Box;
  filter: { pil: PilFilter | 'nearest'; sharp: Kernel };
  /** No upsampling and the crop lies inside the resized image: libvips may do the resize. */
  downscale: boolean;
}

const asBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

/** The fast route: one sharp pipeline from the file to the raw RGB crop. */
async function fastCrop(input: Buffer, limit: number, plan: CropPlan): Promise<Uint8Array> {
  const { data, info } = await open(input, limit, { ignoreIcc: true })
    .resize(plan.resizeWidth, plan.resizeHeight, { fit: 'fill', kernel: plan.filter.sharp, fastShrinkOnLoad: false })
    .extract(plan.box)
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== plan.box.width * plan.box.height * 3) throw imageError('unexpected decoder output');
  return asBytes(data);
}

/** The exact route: raw pixels from sharp, then Pillow's operations (pil-resample.ts). */
async function exactCrop(
  input: Buffer,
  limit: number,
  plan: CropPlan,
  traits: { nearest: boolean; premultiply: boolean },
  cmyk: boolean,
  gifFill: Rgb | null,
): Promise<Uint8Array> {
  // CMYK stays CMYK through the resize and is converted the naive way afterwards, as PIL does.
  const decoder = open(input, limit, { ignoreIcc: true });
  const { data, info } = await (cmyk ? decoder.pipelineColourspace('cmyk').toColourspace('cmyk') : decoder.toColourspace('srgb'))
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  let pixels = asBytes(data);
  let channels = info.channels;
  if (channels !== 3 && channels !== 4) throw imageError('unexpected decoder output');
  const { width, height } = info;
  // A GIF's transparent pixels get the colour PIL shows for them (gifTransparentColour).
  if (gifFill && channels === 4) fillTransparent(pixels, gifFill);
  const resized = plan.resizeWidth !== width || plan.resizeHeight !== height;
  // PIL premultiplies only when it actually resizes an RGBA/LA image; opaque alpha is the identity.
  const premultiplied = !cmyk && channels === 4 && traits.premultiply && resized && !isOpaque(pixels);
  if (!cmyk && channels === 4 && !premultiplied) {
    pixels = dropAlpha(pixels);
    channels = 3;
  }
  if (premultiplied) premultiply(pixels);

  const pilFilter = plan.filter.pil === 'nearest' || traits.nearest ? null : plan.filter.pil;
  let crop: Uint8Array;
  if (pilFilter === null) crop = nearestCrop(pixels, width, height, channels, plan.resizeWidth, plan.resizeHeight, plan.box);
  else if (channels === 3 && plan.downscale && pilFilter !== 'bilinear') crop = await downscaleRgb(pixels, width, height, plan);
  else crop = resampleCrop(pixels, width, height, channels, plan.resizeWidth, plan.resizeHeight, plan.box, pilFilter);

  if (cmyk) return cmykToRgb(crop);
  return premultiplied ? unpremultiplyToRgb(crop) : crop;
}

/**
 * Plain RGB after all (opaque alpha, a tRNS PNG): downscale with libvips as the fast route does —
 * the Pillow port would cost ~20 M JS multiply-adds for a 1080p screenshot.
 */
async function downscaleRgb(pixels: Uint8Array, width: number, height: number, plan: CropPlan): Promise<Uint8Array> {
  const { data } = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .resize(plan.resizeWidth, plan.resizeHeight, { fit: 'fill', kernel: plan.filter.sharp })
    .extract(plan.box)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return asBytes(data);
}

/** The formats a published copy of an image can be in (sharp's names, "avif" for AV1 HEIF): its file
 * name and Content-Type come from this list, by the format found in its bytes, never from its name. */
export type PublishedFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

/** JPEG quality of a re-encoded JPEG original: measured on the demo JPEGs (with their own chroma
 * subsampling kept) at 44–55 dB PSNR to the original's pixels, about the original's file size. */
const PUBLISHED_JPEG_QUALITY = 95;

/**
 * A copy of an image to publish beside a report, and the format its bytes are in.
 *
 * By default the copy is re-encoded from the pixels alone, so that no EXIF, XMP, IPTC, comment or
 * text chunk of the original (GPS position, camera, owner, …) and nothing appended to it is
 * published: the EXIF orientation is applied (the picture looks as before), the ICC profile is kept
 * (colours stay), and the pixels are kept — losslessly where the format allows: PNG, TIFF and AVIF
 * become PNG (16 bits kept), GIF and WebP lossless WebP (every frame of an animation), JPEG stays
 * JPEG at quality 95 with its own chroma subsampling.
 *
 * `keepMetadata` publishes the file's bytes unchanged (its metadata included), provided they are one
 * of the published formats.
 */
export async function publishableCopy(
  input: Buffer,
  opts: { keepMetadata?: boolean; pixelLimit?: number } = {},
): Promise<{ data: Buffer; format: PublishedFormat }> {
  const limit = opts.pixelLimit ?? DEFAULT_PIXEL_LIMIT;
  const meta = await readHeader(input);
  const found: PublishedFormat | undefined =
    meta.format === 'heif' ? (meta.compression === 'av1' ? 'avif' : undefined) : (meta.format as PublishedFormat);
  if (!found) throw imageError(`not a format that can be published (${meta.format} content, ${meta.compression ?? 'unknown'} compression)`);
  if (opts.keepMetadata) return { data: input, format: found };
  checkPixels(meta, limit);
  // Every frame of an animation, unless all frames together pass the pixel limit: then the first.
  const frames = meta.pages ?? 1;
  const animated = (found === 'gif' || found === 'webp') && frames > 1 && (vipsLimit(limit) === false || (meta.width ?? 0) * (meta.height ?? 0) * frames <= limit);
  return run(input, limit, async () => {
    const image = open(input, limit, animated ? { animated: true } : {}).keepIccProfile();
    if (found === 'jpeg') {
      const chromaSubsampling = meta.chromaSubsampling === '4:4:4' ? '4:4:4' : '4:2:0';
      return { data: await image.jpeg({ quality: PUBLISHED_JPEG_QUALITY, chromaSubsampling }).toBuffer(), format: 'jpeg' };
    }
    if (found === 'gif' || found === 'webp') return { data: await image.webp({ lossless: true }).toBuffer(), format: 'webp' };
    // Grey stays grey and 16 bits stay 16 bits (sharp would write 8-bit RGB).
    const grey = (meta.channels ?? 3) <= 2;
    const space = meta.depth === 'ushort' ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : undefined;
    // Adaptive filtering: on the demo PNGs 0.84× the original size (1.12× without), 1.5× the time.
    return { data: await (space ? image.toColourspace(space) : image).png({ adaptiveFiltering: true }).toBuffer(), format: 'png' };
  });
}

/** sharp's and libvips' versions (clipscope doctor). */
export function sharpVersions(): { sharp: string; libvips: string } {
  const v = sharp.versions as Record<string, string | undefined>;
  return { sharp: v.sharp ?? 'unknown', libvips: v.vips ?? 'unknown' };
}
