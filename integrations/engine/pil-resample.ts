// A port of Pillow's resampling (libImaging/Resample.c, Geometry.c and the RGBA ↔ RGBa and CMYK
// conversions in Convert.c; checked against the output of Pillow 9.4, Debian 12's), restricted to the
// crop box CLIP keeps. Pure functions on 8-bit interleaved pixels, no I/O.
//
// Why a port and not libvips: OpenAI CLIP's preprocessing is PIL's, and for three cases libvips
// (through sharp) measurably departs from it (test/integration/preprocess-parity.test.ts):
// - UPSAMPLING (shorter side < 224): libvips places output samples half an output pixel away from
//   PIL (cosine 0.977–0.998 on small photographs and text);
// - ALPHA: PIL premultiplies with rounding (MULDIV255), libvips truncates, so nearly transparent
//   pixels — whose colour CLIP sees, because alpha is dropped, not composited — differ (0.984);
// - PALETTE and 1-bit images: PIL resizes them with NEAREST whatever filter is asked for (a bicubic
//   resize of a palette PNG measured 0.9925–0.996).
// Downscaling opaque images (the common, performance-critical case) stays in libvips, which matches
// PIL's antialiased bicubic to cosine ≥ 0.9998.
// SigLIP 2 NaFlex resizes through here too, in PyTorch's fixed point (FixedPoint "torch"), as
// Hugging Face's default (torchvision) image processor does.

/** Pillow's fixed-point precision for 8-bit resampling: 32 − 8 − 2. */
const PRECISION_BITS = 22;

export type PilFilter = 'bilinear' | 'bicubic' | 'lanczos';

/**
 * The fixed-point arithmetic of a resize. "pillow": Pillow's 22-bit weights. "torch": PyTorch's
 * antialiased resize of uint8 images (F.interpolate(antialias=True) on CPU with AVX2, which
 * torchvision and so Hugging Face's default image processors use): the same filter weights rounded
 * to int16 at the largest precision (at most 22 bits) that keeps the largest weight of the axis
 * below 2^15 — a coarser rounding that moves some pixels by one level. Checked bit for bit against
 * torch 2.13 on 40 random up- and downscales (3 to 4000 px) and on the NaFlex fixtures.
 */
export type FixedPoint = 'pillow' | 'torch';

const sinc = (x: number): number => {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
};

/** Pillow's filters: support and kernel (bicubic with a = −0.5). */
const FILTERS: Record<PilFilter, { support: number; kernel: (x: number) => number }> = {
  bilinear: { support: 1, kernel: (x) => (x < 0 ? -x : x) < 1 ? 1 - (x < 0 ? -x : x) : 0 },
  bicubic: {
    support: 2,
    kernel: (x) => {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, kernel: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/** A rectangle of output pixels. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

interface Coefficients {
  ksize: number;
  /** Fraction bits of the weights: 22 (Pillow) or the axis' torch precision. */
  shift: number;
  /** Per output sample: first input index and count. */
  first: Int32Array;
  count: Int32Array;
  /** Fixed-point weights, ksize per output sample. */
  weights: Int32Array;
}

/**
 * Pillow's precompute_coeffs + normalize_coeffs_8bpc for output samples from..from+n−1 of an axis
 * resized from inSize to outSize: the kernel is widened by the reduction factor (antialiasing),
 * sample centres are at (x + 0.5) × scale, weights are normalised then rounded to 22-bit integers.
 */
function coefficients(filter: PilFilter, inSize: number, outSize: number, from: number, n: number, fixed: FixedPoint = 'pillow'): Coefficients {
  const { support: baseSupport, kernel } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = baseSupport * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Int32Array(n * ksize);
  const normalised = new Float64Array(n * ksize);
  const ss = 1 / filterScale;
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const center = (from + i + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    const w = normalised.subarray(i * ksize, (i + 1) * ksize);
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = kernel((x + xmin - center + 0.5) * ss);
      sum += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      if (sum !== 0) w[x] /= sum;
      largest = Math.max(largest, w[x]);
    }
    first[i] = xmin;
    count[i] = Math.max(0, xmax);
  }
  let shift = PRECISION_BITS;
  if (fixed === 'torch') {
    // PyTorch: the largest precision below 22 bits at which the largest weight still rounds below 2^15.
    shift = 0;
    while (shift < 22 && Math.trunc(0.5 + largest * 2 ** (shift + 1)) < 1 << 15) shift++;
  }
  const one = 2 ** shift;
  for (let i = 0; i < normalised.length; i++) {
    const v = normalised[i];
    weights[i] = Math.trunc(v < 0 ? -0.5 + v * one : 0.5 + v * one);
  }
  return { ksize, shift, first, count, weights };
}

const clip8 = (v: number, shift: number): number => {
  const s = v >> shift;
  return s < 0 ? 0 : s > 255 ? 255 : s;
};

/** The part of `box` that lies inside a width × height image, or null. */
function inside(box: Box, width: number, height: number): Box | null {
  const left = Math.max(0, box.left);
  const top = Math.max(0, box.top);
  const right = Math.min(width, box.left + box.width);
  const bottom = Math.min(height, box.top + box.height);
  return right > left && bottom > top ? { left, top, width: right - left, height: bottom - top } : null;
}

/** Copy a region (width × height × channels, packed) into `out` at box position; the rest stays 0. */
function place(region: Uint8Array, region_: Box, box: Box, channels: number, out: Uint8Array): Uint8Array {
  const rowBytes = region_.width * channels;
  for (let y = 0; y < region_.height; y++) {
    const d = ((region_.top - box.top + y) * box.width + (region_.left - box.left)) * channels;
    out.set(region.subarray(y * rowBytes, (y + 1) * rowBytes), d);
  }
  return out;
}

/**
 * Pillow's Image.resize((outWidth, outHeight), filter) followed by Image.crop(box), computed for the
 * box only: horizontal pass into 8-bit rows, then vertical pass, both in 22-bit fixed point, as
 * Pillow does (`fixed` "torch": in PyTorch's int16 precision, for whole-image resizes). Pixels of the
 * box outside the resized image are 0, like Pillow's crop.
 */
export function resampleCrop(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  box: Box,
  filter: PilFilter = 'bicubic',
  fixed: FixedPoint = 'pillow',
): Uint8Array {
  const out = new Uint8Array(box.width * box.height * channels);
  const r = inside(box, outWidth, outHeight);
  if (!r) return out;
  // torch's precision depends on every weight of an axis: only whole-image resizes here.
  if (fixed === 'torch' && (box.left !== 0 || box.top !== 0 || box.width !== outWidth || box.height !== outHeight))
    throw new RangeError('resampleCrop: torch arithmetic needs the box to be the whole resized image');
  const needH = outWidth !== width;
  const needV = outHeight !== height;
  const hc = needH ? coefficients(filter, width, outWidth, r.left, r.width, fixed) : null;
  const vc = needV ? coefficients(filter, height, outHeight, r.top, r.height, fixed) : null;

  // Horizontal pass over the input rows the vertical pass will read.
  const rowFirst = vc ? vc.first[0] : r.top;
  const rowEnd = vc ? vc.first[r.height - 1] + vc.count[r.height - 1] : r.top + r.height;
  const stride = r.width * channels;
  const rows = new Uint8Array((rowEnd - rowFirst) * stride);
  const hHalf = hc ? 2 ** (hc.shift - 1) : 0;
  for (let y = rowFirst; y < rowEnd; y++) {
    const s = y * width * channels;
    const d = (y - rowFirst) * stride;
    if (!hc) {
      rows.set(src.subarray(s + r.left * channels, s + (r.left + r.width) * channels), d);
      continue;
    }
    for (let x = 0; x < r.width; x++) {
      const x0 = s + hc.first[x] * channels;
      const n = hc.count[x];
      const k = x * hc.ksize;
      if (channels === 3) {
        // RGB, the common case, with the three sums in one pass (the same integer sums).
        let a0 = hHalf;
        let a1 = hHalf;
        let a2 = hHalf;
        for (let i = 0, p = x0; i < n; i++, p += 3) {
          const w = hc.weights[k + i];
          a0 += src[p] * w;
          a1 += src[p + 1] * w;
          a2 += src[p + 2] * w;
        }
        rows[d + x * 3] = clip8(a0, hc.shift);
        rows[d + x * 3 + 1] = clip8(a1, hc.shift);
        rows[d + x * 3 + 2] = clip8(a2, hc.shift);
        continue;
      }
      for (let c = 0; c < channels; c++) {
        let acc = hHalf;
        for (let i = 0, p = x0 + c; i < n; i++, p += channels) acc += src[p] * hc.weights[k + i];
        rows[d + x * channels + c] = clip8(acc, hc.shift);
      }
    }
  }
  let region = rows;
  if (vc) {
    region = new Uint8Array(r.height * stride);
    // Tap after tap over whole rows (sequential reads); the integer sums are the same in any order.
    const acc = new Int32Array(stride);
    for (let y = 0; y < r.height; y++) {
      const y0 = (vc.first[y] - rowFirst) * stride;
      const n = vc.count[y];
      const k = y * vc.ksize;
      const d = y * stride;
      acc.fill(2 ** (vc.shift - 1));
      for (let i = 0; i < n; i++) {
        const w = vc.weights[k + i];
        const row = y0 + i * stride;
        for (let x = 0; x < stride; x++) acc[x] += rows[row + x] * w;
      }
      for (let x = 0; x < stride; x++) region[d + x] = clip8(acc[x], vc.shift);
    }
  }
  return place(region, r, box, channels, out);
}

/**
 * Pillow's NEAREST resize (ImagingScaleAffine) followed by a crop: source index floor((x + 0.5) ×
 * scale), accumulated by repeated addition exactly as Pillow does (so ties round the same way).
 */
export function nearestCrop(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  box: Box,
): Uint8Array {
  const out = new Uint8Array(box.width * box.height * channels);
  const r = inside(box, outWidth, outHeight);
  if (!r) return out;
  const table = (inSize: number, outSize: number, from: number, n: number): Int32Array => {
    const step = inSize / outSize;
    const t = new Int32Array(n);
    let pos = step * 0.5;
    for (let x = 0; x < from + n; x++, pos += step) if (x >= from) t[x - from] = Math.min(inSize - 1, Math.floor(pos));
    return t;
  };
  const xs = table(width, outWidth, r.left, r.width);
  const ys = table(height, outHeight, r.top, r.height);
  const region = new Uint8Array(r.width * r.height * channels);
  for (let y = 0; y < r.height; y++) {
    const s = ys[y] * width * channels;
    for (let x = 0; x < r.width; x++) {
      const p = s + xs[x] * channels;
      const d = (y * r.width + x) * channels;
      for (let c = 0; c < channels; c++) region[d + c] = src[p + c];
    }
  }
  return place(region, r, box, channels, out);
}

/** Pillow's RGBA → RGBa (in place): colour × alpha / 255, rounded as MULDIV255 does. */
export function premultiply(rgba: Uint8Array): void {
  for (let i = 0; i < rgba.length; i += 4) {
    const a = rgba[i + 3];
    if (a === 255) continue;
    for (let c = i; c < i + 3; c++) {
      const t = rgba[c] * a + 128;
      rgba[c] = ((t >> 8) + t) >> 8;
    }
  }
}

/**
 * Pillow's RGBa → RGBA then convert("RGB"): colour × 255 / alpha with integer division (alpha 0 and
 * 255 leave the colour as is), alpha dropped without compositing.
 */
export function unpremultiplyToRgb(rgba: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    const a = rgba[i + 3];
    for (let c = 0; c < 3; c++) {
      const v = rgba[i + c];
      rgb[j + c] = a === 255 || a === 0 ? v : Math.min(255, Math.trunc((255 * v) / a));
    }
  }
  return rgb;
}

/** Drop the 4th channel of RGBA pixels. */
export function dropAlpha(rgba: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return rgb;
}

/** Gives RGBA pixels whose alpha is 0 the colour `rgb` and makes every pixel opaque, in place. */
export function fillTransparent(rgba: Uint8Array, rgb: readonly [number, number, number]): void {
  for (let i = 0; i < rgba.length; i += 4) {
    if (rgba[i + 3] === 0) {
      rgba[i] = rgb[0];
      rgba[i + 1] = rgb[1];
      rgba[i + 2] = rgb[2];
    }
    rgba[i + 3] = 255;
  }
}

/** Whether every alpha value of RGBA pixels is 255 (then PIL's premultiplication is the identity). */
export function isOpaque(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/**
 * Pillow's CMYK → RGB conversion (Convert.c cmyk2rgb): R = (255 − K) − C × (255 − K) / 255 (rounded as
 * MULDIV255), no colour management. PIL resizes CMYK images as CMYK and converts afterwards.
 */
export function cmykToRgb(cmyk: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((cmyk.length / 4) * 3);
  for (let i = 0, j = 0; i < cmyk.length; i += 4, j += 3) {
    const nk = 255 - cmyk[i + 3];
    for (let c = 0; c < 3; c++) {
      const t = cmyk[i + c] * nk + 128;
      rgb[j + c] = nk - (((t >> 8) + t) >> 8);
    }
  }
  return rgb;
}
