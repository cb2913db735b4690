// CLIP image preprocessing, driven by a model's preprocessor_config.json (Hugging Face
// CLIPImageProcessor fields). Pixel work happens in decode.ts (one sharp pipeline per image that
// yields the raw RGB centre crop); this module parses the config and does the one remaining
// per-pixel step: HWC uint8 → CHW float32, rescaled and normalised.
//
// Semantics follow OpenAI's clip.load() preprocess (docs/clip-facts.md):
// resize the SHORTER side to shortest_edge with bicubic filtering, the longer side to
// int(shortest_edge × long / short) (truncated); centre-crop with Python round() offsets
// (half to even); RGB; (x × rescale − mean) / std; CHW.
//
// SigLIP 2 NaFlex (preprocessor_config.json with patch_size and max_num_patches, Hugging Face's
// Siglip2ImageProcessor) instead keeps the aspect ratio: naflexSize picks the size, decodeResized
// resizes to it, patchesInto cuts the patches (docs/clip-facts.md, "SigLIP 2 NaFlex").
import { ClipscopeError, show } from './errors.ts';
import { decodeForClip, decodeResized, RESAMPLE_FILTERS } from './decode.ts';
import type { PreprocessConfig } from '../core/types.ts';

/** OpenAI CLIP's preprocessing (ViT-B/32, ViT-B/16, ViT-L/14 at 224 px). */
export const CLIP_PREPROCESS: PreprocessConfig = Object.freeze({
  shortestEdge: 224,
  cropHeight: 224,
  cropWidth: 224,
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  rescaleFactor: 1 / 255,
  doResize: true,
  doCenterCrop: true,
  doNormalize: true,
  doConvertRgb: true,
}) as PreprocessConfig;


const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parse a preprocessor_config.json (already JSON-parsed) into a PreprocessConfig. Missing fields take
 * CLIPImageProcessor's defaults (which are OpenAI CLIP's). `source` names the file in messages.
 *
 * Accepted shapes: size = { shortest_edge } or a number (older exports), with crop_size = { height,
 * width } or a number; size = { height, width } (SigLIP's SiglipImageProcessor: the whole image
 * resized to that size, aspect ratio not kept, no crop; do_center_crop absent or false). Refused:
 * do_center_crop: false with a shortest_edge resize (the vision tower needs a fixed size).
 */
export function preprocessConfigFrom(json: unknown, source: string): PreprocessConfig {
  const bad = (field: string, expected: string, value: unknown, hint?: string) =>
    new ClipscopeError(
      'model',
      `${source}: expected ${expected} for "${field}" but found ${show(value)}`,
      hint ?? `Fix "${field}" in ${source} (a Hugging Face CLIPImageProcessor config), or fetch the model again.`,
    );
  if (!isRecord(json)) throw bad('(file)', 'a JSON object', json);

  const positiveInt = (field: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 4096) throw bad(field, 'a whole number from 1 to 4096', v);
    return v;
  };
  const bool = (field: string, fallback: boolean): boolean => {
    const v = json[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw bad(field, 'true or false', v);
    return v;
  };
  const triple = (field: string, fallback: [number, number, number], positive: boolean): [number, number, number] => {
    let v = json[field];
    if (v === undefined || v === null) return [...fallback];
    if (typeof v === 'number') v = [v, v, v]; // HF allows one value for all channels
    const ok = (a: unknown): a is [number, number, number] =>
      Array.isArray(a) &&
      a.length === 3 &&
      a.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
    if (!ok(v)) throw bad(field, positive ? 'three positive numbers (R, G, B)' : 'three numbers (R, G, B)', json[field]);
    return [v[0], v[1], v[2]];
  };

  // size: { shortest_edge } | number (CLIP) or { height, width } (SigLIP: the whole image to that
  // size, aspect ratio not kept).
  let shortestEdge = CLIP_PREPROCESS.shortestEdge;
  let exact: { height: number; width: number } | null = null;
  const size = json.size;
  if (typeof size === 'number') shortestEdge = positiveInt('size', size);
  else if (isRecord(size)) {
    if (size.shortest_edge !== undefined) shortestEdge = positiveInt('size.shortest_edge', size.shortest_edge);
    else if (size.height !== undefined || size.width !== undefined)
      exact = { height: positiveInt('size.height', size.height), width: positiveInt('size.width', size.width) };
    else throw bad('size', '{ "shortest_edge": N }, { "height": N, "width": N } or a number', size);
  } else if (size !== undefined && size !== null) throw bad('size', '{ "shortest_edge": N }, { "height": N, "width": N } or a number', size);

  // crop_size: { height, width } | number
  let cropHeight = CLIP_PREPROCESS.cropHeight;
  let cropWidth = CLIP_PREPROCESS.cropWidth;
  const crop = json.crop_size;
  if (typeof crop === 'number') cropHeight = cropWidth = positiveInt('crop_size', crop);
  else if (isRecord(crop)) {
    cropHeight = positiveInt('crop_size.height', crop.height);
    cropWidth = positiveInt('crop_size.width', crop.width);
  } else if (crop !== undefined && crop !== null) throw bad('crop_size', '{ "height": N, "width": N } or a number', crop);

  // SigLIP 2 NaFlex: patch_size and max_num_patches instead of a size (Siglip2ImageProcessor, whose
  // defaults are BILINEAR and mean/std 0.5; like it, clipscope ignores a "size" there).
  const naflexType = typeof json.image_processor_type === 'string' && json.image_processor_type.startsWith('Siglip2ImageProcessor');
  const naflex =
    naflexType || json.max_num_patches !== undefined
      ? {
          patchSize: json.patch_size === undefined ? 16 : positiveInt('patch_size', json.patch_size),
          maxNumPatches: json.max_num_patches === undefined ? 256 : ((v) => {
            if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65_536) throw bad('max_num_patches', 'a whole number from 1 to 65536', v);
            return v;
          })(json.max_num_patches),
        }
      : null;

  let resample = naflex ? 2 : CLIP_PREPROCESS.resample;
  if (json.resample !== undefined && json.resample !== null) {
    const r = json.resample;
    if (typeof r !== 'number' || !Object.hasOwn(RESAMPLE_FILTERS, r)) {
      const codes = Object.entries(RESAMPLE_FILTERS).map(([code, f]) => `${code} ${f.pil}`).join(', ');
      throw bad('resample', `a PIL resample code clipscope supports (${codes})`, r);
    }
    resample = r;
  }

  const doRescale = bool('do_rescale', true);
  let rescaleFactor = CLIP_PREPROCESS.rescaleFactor;
  if (json.rescale_factor !== undefined && json.rescale_factor !== null) {
    const f = json.rescale_factor;
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0) throw bad('rescale_factor', 'a positive number', f);
    rescaleFactor = f;
  }

  const doResize = bool('do_resize', true);
  if (naflex) {
    if (!doResize) throw bad('do_resize', 'true', false, 'SigLIP 2 NaFlex needs every image resized to fit max_num_patches.');
    const HALF: [number, number, number] = [0.5, 0.5, 0.5];
    const side = naflex.patchSize * Math.floor(Math.sqrt(naflex.maxNumPatches));
    return {
      shortestEdge: side,
      cropHeight: side,
      cropWidth: side,
      naflex,
      mean: triple('image_mean', HALF, false),
      std: triple('image_std', HALF, true),
      resample,
      rescaleFactor: doRescale ? rescaleFactor : 1,
      doResize,
      doCenterCrop: false,
      doNormalize: bool('do_normalize', true),
      doConvertRgb: bool('do_convert_rgb', true),
    };
  }
  const doCenterCrop = bool('do_center_crop', exact === null);
  if (exact !== null) {
    // SigLIP: resize to size, then (only if asked) a centre crop, which clipscope supports only when
    // it keeps the whole resized image.
    if (!doResize) throw bad('do_resize', 'true', false, 'With size { height, width } the vision model needs every image resized to that size.');
    const cropDiffers = json.crop_size !== undefined && json.crop_size !== null && (cropHeight !== exact.height || cropWidth !== exact.width);
    if (doCenterCrop && cropDiffers)
      throw bad('crop_size', `${exact.height}×${exact.width} (the size images are resized to)`, json.crop_size, 'clipscope supports SigLIP\'s resize to size { height, width } without a further crop.');
    cropHeight = exact.height;
    cropWidth = exact.width;
  } else if (!doCenterCrop)
    throw bad('do_center_crop', 'true', false, 'The vision model needs a fixed-size input; with size { "shortest_edge": N } clipscope always centre-crops.');

  return {
    shortestEdge: exact ? Math.min(exact.height, exact.width) : shortestEdge,
    cropHeight,
    cropWidth,
    ...(exact ? { exactResize: true } : {}),
    mean: triple('image_mean', CLIP_PREPROCESS.mean, false),
    std: triple('image_std', CLIP_PREPROCESS.std, true),
    resample,
    rescaleFactor: doRescale ? rescaleFactor : 1,
    doResize,
    doCenterCrop,
    doNormalize: bool('do_normalize', true),
    // Always honoured as true: the vision tower takes 3 channels, so greyscale/alpha inputs are
    // converted in any case.
    doConvertRgb: bool('do_convert_rgb', true),
  };
}

/** Floats in one preprocessed image: 3 × cropHeight × cropWidth, or for NaFlex maxNumPatches
 * patches of 3 × patchSize² values. */
export const tensorSize = (cfg: PreprocessConfig): number =>
  cfg.naflex ? cfg.naflex.maxNumPatches * 3 * cfg.naflex.patchSize * cfg.naflex.patchSize : 3 * cfg.cropHeight * cfg.cropWidth;

/**
 * The size SigLIP 2 NaFlex resizes an image of width × height to (Hugging Face's
 * get_image_size_for_max_num_patches): each side scaled by one factor, rounded UP to a multiple of
 * the patch size (at least one patch), the factor the largest whose grid has at most maxNumPatches
 * patches — found, as HF finds it, by bisection of [1e-6, 100] down to a width of 1e-5 (the same
 * float64 steps, so the same size). Returns the size in pixels and the grid in patches.
 */
export function naflexSize(width: number, height: number, patchSize: number, maxNumPatches: number): { width: number; height: number; rows: number; cols: number } {
  const eps = 1e-5;
  const scaled = (scale: number, size: number) => Math.max(patchSize, Math.ceil((size * scale) / patchSize) * patchSize);
  let lo = eps / 10;
  let hi = 100;
  while (hi - lo >= eps) {
    const scale = (lo + hi) / 2;
    if ((scaled(scale, height) / patchSize) * (scaled(scale, width) / patchSize) <= maxNumPatches) lo = scale;
    else hi = scale;
  }
  const h = scaled(lo, height);
  const w = scaled(lo, width);
  return { width: w, height: h, rows: h / patchSize, cols: w / patchSize };
}

/**
 * HWC uint8 RGB of width × height (multiples of the patch size) → NaFlex patches written at
 * out[offset ..]: patch after patch in row-major grid order, each patchSize × patchSize pixels row
 * by row with the 3 channels interleaved (HF's convert_image_to_patches), normalised as
 * normalizeInto does; the rows up to maxNumPatches are zeros (HF's padding). Returns the grid.
 */
export function patchesInto(rgb: Uint8Array, width: number, height: number, cfg: PreprocessConfig, out: Float32Array, offset: number): { rows: number; cols: number } {
  const nf = cfg.naflex;
  if (!nf) throw new RangeError('patchesInto: not a NaFlex preprocessing');
  const p = nf.patchSize;
  const rows = height / p;
  const cols = width / p;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows * cols > nf.maxNumPatches || rgb.length !== width * height * 3)
    throw new RangeError(`patchesInto: ${width}×${height} RGB (${rgb.length} bytes) does not make at most ${nf.maxNumPatches} patches of ${p} px`);
  const size = tensorSize(cfg);
  if (offset < 0 || offset + size > out.length) throw new RangeError(`patchesInto: output has ${out.length} floats, cannot write ${size} at ${offset}`);
  const scale = [0, 1, 2].map((c) => (cfg.doNormalize ? cfg.rescaleFactor / cfg.std[c] : cfg.rescaleFactor));
  const shift = [0, 1, 2].map((c) => (cfg.doNormalize ? -cfg.mean[c] / cfg.std[c] : 0));
  let o = offset;
  for (let pr = 0; pr < rows; pr++) {
    for (let pc = 0; pc < cols; pc++) {
      for (let y = pr * p; y < (pr + 1) * p; y++) {
        for (let i = (y * width + pc * p) * 3, end = i + p * 3; i < end; i += 3) {
          out[o++] = rgb[i] * scale[0] + shift[0];
          out[o++] = rgb[i + 1] * scale[1] + shift[1];
          out[o++] = rgb[i + 2] * scale[2] + shift[2];
        }
      }
    }
  }
  out.fill(0, o, offset + size);
  return { rows, cols };
}

/**
 * HWC uint8 RGB (cropHeight × cropWidth × 3) → CHW float32 written at out[offset ..], each value
 * (x × rescaleFactor − mean[c]) / std[c] (without the mean/std step when doNormalize is false).
 * Computed as x × scale[c] + shift[c] with the constants folded once; the difference to the literal
 * formula is float rounding (≤ 1e-6 here), far below one 8-bit level (≈ 0.015).
 */
export function normalizeInto(rgb: Uint8Array, cfg: PreprocessConfig, out: Float32Array, offset: number): void {
  const plane = cfg.cropHeight * cfg.cropWidth;
  if (rgb.length !== plane * 3)
    throw new RangeError(`normalizeInto: expected ${plane * 3} bytes (${cfg.cropHeight}×${cfg.cropWidth}×3), got ${rgb.length}`);
  if (offset < 0 || offset + plane * 3 > out.length)
    throw new RangeError(`normalizeInto: output has ${out.length} floats, cannot write ${plane * 3} at ${offset}`);
  for (let c = 0; c < 3; c++) {
    const scale = cfg.doNormalize ? cfg.rescaleFactor / cfg.std[c] : cfg.rescaleFactor;
    const shift = cfg.doNormalize ? -cfg.mean[c] / cfg.std[c] : 0;
    const base = offset + c * plane;
    for (let i = 0, j = c; i < plane; i++, j += 3) out[base + i] = rgb[j] * scale + shift;
  }
}

interface PreprocessImageOptions {
  /** Images with more pixels are refused (decode.ts's default otherwise). */
  pixelLimit?: number;
  /** Write into this tensor (a batch) instead of a fresh one. */
  out?: Float32Array;
  /** Where in `out`: a number, or a function called once the image is decoded and just before its
   * values are written (synchronously, so nothing else runs in between): a batch can give its slots
   * to images in the order they finish decoding, and a failed image takes none. */
  offset?: number | (() => number);
}

/**
 * Decode and preprocess one image into a CHW float32 tensor: decodeForClip, then normalizeInto.
 * The one preprocessing path — the embedding run (embed.ts) and the parity tests against the PIL
 * reference both go through it. Returns the tensor (`out` when given), the offset written at, the
 * RGB crop the values came from, and the original image's width and height as displayed; for NaFlex
 * the RGB is the whole resized image, and `grid` its patch grid (spatial_shapes).
 */
export async function preprocessImage(
  input: Buffer,
  cfg: PreprocessConfig,
  opts: PreprocessImageOptions = {},
): Promise<{ tensor: Float32Array; offset: number; rgb: Uint8Array; width: number; height: number; grid?: { rows: number; cols: number } }> {
  if (cfg.naflex) {
    const { patchSize, maxNumPatches } = cfg.naflex;
    const decoded = await decodeResized(input, (w, h) => naflexSize(w, h, patchSize, maxNumPatches), cfg.resample, { pixelLimit: opts.pixelLimit });
    const tensor = opts.out ?? new Float32Array(tensorSize(cfg));
    const offset = typeof opts.offset === 'function' ? opts.offset() : (opts.offset ?? 0);
    const grid = patchesInto(decoded.rgb, decoded.resizedWidth, decoded.resizedHeight, cfg, tensor, offset);
    return { tensor, offset, rgb: decoded.rgb, width: decoded.width, height: decoded.height, grid };
  }
  const { rgb, width, height } = await decodeForClip(input, cfg, { pixelLimit: opts.pixelLimit });
  if (rgb.length !== tensorSize(cfg)) throw new RangeError(`preprocessImage: the decoder gave ${rgb.length} values, expected ${tensorSize(cfg)}`);
  const tensor = opts.out ?? new Float32Array(tensorSize(cfg));
  const offset = typeof opts.offset === 'function' ? opts.offset() : (opts.offset ?? 0);
  normalizeInto(rgb, cfg, tensor, offset);
  return { tensor, offset, rgb, width, height };
}
