// Preprocessing and decoding: config parsing, normalisation numbers, geometry, the Pillow port's
// arithmetic against values Pillow 9.4 printed, and the decoder's behaviour on awkward and broken
// inputs. Test images are generated here (sharp is used only to MAKE inputs) or taken from the parity
// fixtures; no hand-placed binaries.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  clipGeometry,
  decodeForClip,
  gifTransparentColour,
  readImageInfo,
  thumbnail,
} from '../../integrations/engine/decode.ts';
import { roundHalfEven } from '../../integrations/engine/rounding.ts';
import { DEFAULT_PIXEL_LIMIT } from '../../integrations/engine/options.ts';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import {
  cmykToRgb,
  nearestCrop,
  premultiply,
  resampleCrop,
  unpremultiplyToRgb,
} from '../../integrations/engine/pil-resample.ts';
import {
  CLIP_PREPROCESS,
  normalizeInto,
  patchesInto,
  preprocessConfigFrom,
  preprocessImage,
  tensorSize,
} from '../../integrations/engine/preprocess.ts';
import type { PreprocessConfig } from '../../integrations/core/types.ts';
import { pngWithHeader } from '../fixtures/png.ts';

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, '../fixtures/parity/inputs', name));

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error & { kind?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { kind?: string };
  }
  throw new Error('expected a rejection');
}

describe('preprocessConfigFrom', () => {
  const openaiNew = {
    crop_size: { height: 224, width: 224 },
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_processor_type: 'CLIPImageProcessor',
    image_std: [0.26862954, 0.26130258, 0.27577711],
    resample: 3,
    rescale_factor: 0.00392156862745098,
    size: { shortest_edge: 224 },
  };
  const openaiOld = {
    crop_size: 224,
    do_center_crop: true,
    do_normalize: true,
    do_resize: true,
    feature_extractor_type: 'CLIPFeatureExtractor',
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
    resample: 3,
    size: 224,
  };

  it.each([
    ['CLIPImageProcessor (size.shortest_edge, crop_size object)', openaiNew],
    ['CLIPFeatureExtractor (numbers)', openaiOld],
    ['an empty object (CLIPImageProcessor defaults)', {}],
  ])('reads %s as OpenAI CLIP preprocessing', (_name, json) => {
    const cfg = preprocessConfigFrom(json, 'preprocessor_config.json');
    expect(cfg).toEqual({ ...CLIP_PREPROCESS });
  });

  it('reads other sizes, one-number means and do_rescale: false', () => {
    const cfg = preprocessConfigFrom(
      { size: { shortest_edge: 336 }, crop_size: 336, image_mean: 0.5, image_std: [0.5, 0.5, 0.5], do_rescale: false, resample: 2 },
      'p.json',
    );
    expect(cfg).toMatchObject({ shortestEdge: 336, cropHeight: 336, cropWidth: 336, mean: [0.5, 0.5, 0.5], rescaleFactor: 1, resample: 2 });
  });

  it("reads SigLIP's size { height, width } as a resize of the whole image, no crop", () => {
    const cfg = preprocessConfigFrom(
      { do_resize: true, size: { height: 384, width: 256 }, resample: 2, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], rescale_factor: 1 / 255 },
      'p.json',
    );
    expect(cfg).toMatchObject({ exactResize: true, cropHeight: 384, cropWidth: 256, doCenterCrop: false, resample: 2, mean: [0.5, 0.5, 0.5] });
    expect(clipGeometry(1000, 500, cfg)).toEqual({ resizeWidth: 256, resizeHeight: 384, left: 0, top: 0 });
    // CLIP's shortest_edge configs never resize exactly.
    expect(preprocessConfigFrom({ size: { shortest_edge: 224 } }, 'p.json').exactResize).toBeUndefined();
  });

  it("reads SigLIP 2 NaFlex's patch_size and max_num_patches (Siglip2ImageProcessor's defaults: BILINEAR, 0.5)", () => {
    const cfg = preprocessConfigFrom({ image_processor_type: 'Siglip2ImageProcessor', patch_size: 16, max_num_patches: 256 }, 'p.json');
    expect(cfg).toMatchObject({ naflex: { patchSize: 16, maxNumPatches: 256 }, resample: 2, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], doCenterCrop: false });
    expect(tensorSize(cfg)).toBe(256 * 16 * 16 * 3);
    // The processor type alone gives HF's defaults; max_num_patches alone marks NaFlex too.
    expect(preprocessConfigFrom({ image_processor_type: 'Siglip2ImageProcessorFast' }, 'p.json').naflex).toEqual({ patchSize: 16, maxNumPatches: 256 });
    expect(preprocessConfigFrom({ max_num_patches: 1024, patch_size: 14 }, 'p.json').naflex).toEqual({ patchSize: 14, maxNumPatches: 1024 });
    expect(preprocessConfigFrom({ size: { height: 224, width: 224 } }, 'p.json').naflex).toBeUndefined();
    // A size beside max_num_patches is ignored, as Siglip2ImageProcessor ignores it.
    expect(preprocessConfigFrom({ max_num_patches: 64, patch_size: 16, size: { height: 224, width: 224 } }, 'p.json')).toMatchObject({ naflex: { patchSize: 16, maxNumPatches: 64 }, cropHeight: 128 });
  });

  it('cuts NaFlex patches in HF\'s order (row-major grid, each patch row by row, channels interleaved) and zeroes the padding', () => {
    const cfg = preprocessConfigFrom({ patch_size: 2, max_num_patches: 3, image_mean: 0, image_std: 1, rescale_factor: 1 }, 'p.json');
    // A 4×2 image (width 4, height 2): two patches side by side; pixel (x, y) holds (10y + x, 100 + …, 200 + …).
    const rgb = new Uint8Array(4 * 2 * 3);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) rgb.set([10 * y + x, 100 + 10 * y + x, 200 + 10 * y + x], (y * 4 + x) * 3);
    const out = new Float32Array(2 + tensorSize(cfg)).fill(-1);
    expect(patchesInto(rgb, 4, 2, cfg, out, 2)).toEqual({ rows: 1, cols: 2 });
    const patch = (x0: number) => [0, 1, 10, 11].flatMap((d) => [d + x0, 100 + d + x0, 200 + d + x0]);
    expect(Array.from(out)).toEqual([-1, -1, ...patch(0), ...patch(2), ...new Array(12).fill(0)]);
    expect(() => patchesInto(new Uint8Array(8 * 2 * 3), 8, 2, cfg, out, 0)).toThrow(/at most 3 patches/);
  });

  it.each([
    [{ max_num_patches: 256, do_resize: false }, '"do_resize"'],
    [{ max_num_patches: 0 }, '"max_num_patches"'],
    [{ image_processor_type: 'Siglip2ImageProcessor', patch_size: 0 }, '"patch_size"'],
    [[1, 2], '(file)'],
    [{ size: { height: 224 } }, '"size.width"'],
    [{ size: { height: 224, width: 224 }, crop_size: 200, do_center_crop: true }, '"crop_size"'],
    [{ size: { height: 224, width: 224 }, do_resize: false }, '"do_resize"'],
    [{ size: '224' }, '"size"'],
    [{ size: { shortest_edge: 0 } }, '"size.shortest_edge"'],
    [{ crop_size: { height: 224 } }, '"crop_size.width"'],
    [{ crop_size: 22.5 }, '"crop_size"'],
    [{ image_std: [0.3, 0, 0.3] }, '"image_std"'],
    [{ image_mean: [0.5, 0.5] }, '"image_mean"'],
    [{ resample: 4 }, '"resample"'],
    [{ rescale_factor: -1 }, '"rescale_factor"'],
    [{ do_normalize: 'yes' }, '"do_normalize"'],
    [{ do_center_crop: false }, '"do_center_crop"'],
  ])('refuses %j, naming the file and %s', (json, field) => {
    let err: unknown;
    try {
      preprocessConfigFrom(json, 'models/x/preprocessor_config.json');
    } catch (e) {
      err = e;
    }
    expect(isClipscopeError(err)).toBe(true);
    const e = err as Error & { kind: string; hint?: string };
    expect(e.kind).toBe('model');
    expect(e.message).toContain('models/x/preprocessor_config.json');
    expect(e.message).toContain(field);
    expect(e.hint).toBeTruthy();
  });

  it('lists the resample codes it supports, from the one table decode.ts resizes with', () => {
    expect(() => preprocessConfigFrom({ resample: 5 }, 'p.json')).toThrow(
      'p.json: expected a PIL resample code clipscope supports (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic) for "resample" but found 5',
    );
    expect(() => preprocessConfigFrom({ resample: 'toString' }, 'p.json')).toThrow(/"resample"/);
  });
});

describe('normalizeInto', () => {
  // Hand values: (x / 255 − mean[c]) / std[c], computed separately to 10+ digits. Tolerance 1e-6
  // (float32 storage; one 8-bit level is ≈ 0.015 here).
  const TOL = 1e-6;
  const tiny: PreprocessConfig = { ...CLIP_PREPROCESS, cropHeight: 1, cropWidth: 2 };

  it('maps HWC bytes to CHW normalised floats', () => {
    // Two pixels: (0, 128, 255) and (255, 0, 128).
    const out = new Float32Array(6);
    normalizeInto(new Uint8Array([0, 128, 255, 255, 0, 128]), tiny, out, 0);
    const expected = [
      -1.79226253374815, // R 0
      1.930336254158794, // R 255
      0.16889723903118556, // G 128
      -1.7520971281645974, // G 0
      2.1458969890575763, // B 255
      0.33994864299551714, // B 128
    ];
    for (let i = 0; i < 6; i++) expect(Math.abs(out[i] - expected[i])).toBeLessThan(TOL);
  });

  it('writes at an offset and leaves the rest alone', () => {
    const out = new Float32Array(10).fill(7);
    normalizeInto(new Uint8Array([255, 255, 255, 255, 255, 255]), tiny, out, 3);
    expect([...out.slice(0, 3)]).toEqual([7, 7, 7]);
    expect(out[9]).toBe(7);
    expect(Math.abs(out[3] - 1.930336254158794)).toBeLessThan(TOL);
  });

  it('only rescales when do_normalize is false', () => {
    const out = new Float32Array(6);
    normalizeInto(new Uint8Array([51, 0, 255, 0, 0, 0]), { ...tiny, doNormalize: false }, out, 0);
    expect(Math.abs(out[0] - 0.2)).toBeLessThan(TOL);
    expect(Math.abs(out[4] - 1)).toBeLessThan(TOL);
  });

  it('refuses wrong sizes', () => {
    expect(() => normalizeInto(new Uint8Array(5), tiny, new Float32Array(6), 0)).toThrow(RangeError);
    expect(() => normalizeInto(new Uint8Array(6), tiny, new Float32Array(6), 1)).toThrow(RangeError);
  });
});

describe('geometry (torchvision Resize + CenterCrop)', () => {
  it.each([
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [37.5, 38],
    [55.5, 56],
    [2.4, 2],
    [2.6, 3],
    [-0.5, 0],
  ])('roundHalfEven(%d) = %d', (x, y) => expect(roundHalfEven(x)).toBe(y));

  it.each([
    [640, 427, 335, 224, 56, 0], // int(224 × 640 / 427) = 335; left = round(55.5) = 56
    [226, 302, 224, 299, 0, 38], // top = round(37.5) = 38
    [229, 224, 229, 224, 2, 0], // no resize; left = round(2.5) = 2
    [1, 1, 224, 224, 0, 0],
    [10000, 10, 224000, 224, 111888, 0],
    [10, 10000, 224, 224000, 0, 111888],
    [1920, 1080, 398, 224, 87, 0],
  ])('%d×%d → %d×%d, crop at (%d, %d)', (w, h, rw, rh, left, top) => {
    expect(clipGeometry(w, h, CLIP_PREPROCESS)).toEqual({ resizeWidth: rw, resizeHeight: rh, left, top });
  });
});

describe('Pillow port (values printed by Pillow 9.4)', () => {
  const impulse = new Uint8Array(10);
  impulse[5] = 200;
  const full = (w: number) => ({ left: 0, top: 0, width: w, height: 1 });

  it('bicubic upsampling 10 → 25 and antialiased downsampling 10 → 4', () => {
    expect([...resampleCrop(impulse, 10, 1, 1, 25, 1, full(25))]).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 113, 195, 163, 58, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect([...resampleCrop(impulse, 10, 1, 1, 4, 1, full(4))]).toEqual([0, 23, 64, 0]);
  });

  it('bilinear and lanczos', () => {
    expect([...resampleCrop(impulse, 10, 1, 1, 25, 1, full(25), 'bilinear')].slice(10, 17)).toEqual([0, 20, 100, 180, 140, 60, 0]);
    expect([...resampleCrop(impulse, 10, 1, 1, 7, 1, full(7), 'lanczos')]).toEqual([0, 4, 0, 111, 57, 0, 2]);
  });

  it("bilinear in PyTorch's int16 fixed point (torch 2.13's uint8 antialiased resize, which rounds one value apart from Pillow here)", () => {
    // One RGB row of 11 pixels → 8, values printed by torch.nn.functional.interpolate and by Pillow.
    const row = Uint8Array.from([38, 17, 89, 1, 221, 6, 242, 127, 143, 6, 60, 210, 94, 25, 166, 33, 249, 189, 12, 204, 33, 57, 124, 30, 199, 149, 202, 119, 72, 220, 3, 209, 122]);
    const box = { left: 0, top: 0, width: 8, height: 1 };
    const torch = [26, 83, 62, 130, 171, 79, 69, 69, 189, 68, 111, 176, 22, 218, 92, 80, 141, 67, 162, 113, 210, 40, 165, 154];
    expect([...resampleCrop(row, 11, 1, 3, 8, 1, box, 'bilinear', 'torch')]).toEqual(torch);
    expect([...resampleCrop(row, 11, 1, 3, 8, 1, box, 'bilinear')]).toEqual([...torch.slice(0, -1), 153]);
    expect(() => resampleCrop(row, 11, 1, 3, 8, 1, { ...box, width: 4 }, 'bilinear', 'torch')).toThrow(/whole resized image/);
  });

  it('computes only the crop box, and pads outside the image with black', () => {
    const whole = resampleCrop(impulse, 10, 1, 1, 25, 1, full(25));
    expect([...resampleCrop(impulse, 10, 1, 1, 25, 1, { left: 11, top: 0, width: 5, height: 1 })]).toEqual([...whole.slice(11, 16)]);
    expect([...resampleCrop(impulse, 10, 1, 1, 25, 1, { left: 22, top: 0, width: 5, height: 1 })]).toEqual([0, 0, 0, 0, 0]);
  });

  it('nearest (palette images)', () => {
    const ramp = Uint8Array.from({ length: 10 }, (_, i) => i * 20);
    expect([...nearestCrop(ramp, 10, 1, 1, 4, 1, full(4))]).toEqual([20, 60, 120, 160]);
    expect([...nearestCrop(ramp, 10, 1, 1, 7, 1, full(7))]).toEqual([0, 40, 60, 100, 120, 140, 180]);
    expect([...nearestCrop(ramp, 10, 1, 1, 23, 1, full(23))]).toEqual([
      0, 0, 20, 20, 20, 40, 40, 60, 60, 80, 80, 100, 100, 100, 120, 120, 140, 140, 160, 160, 160, 180, 180,
    ]);
  });

  it('RGBA ⇄ RGBa and CMYK → RGB', () => {
    const px = new Uint8Array([200, 100, 1, 5, 200, 100, 1, 128, 255, 255, 255, 0, 10, 20, 30, 255]);
    premultiply(px);
    expect([...px]).toEqual([4, 2, 0, 5, 100, 50, 1, 128, 0, 0, 0, 0, 10, 20, 30, 255]);
    const pm = new Uint8Array([1, 0, 0, 5, 100, 50, 1, 128, 7, 7, 7, 0, 10, 20, 30, 255, 250, 1, 2, 3]);
    expect([...unpremultiplyToRgb(pm)]).toEqual([51, 0, 0, 199, 99, 1, 7, 7, 7, 10, 20, 30, 255, 85, 170]);
    const cmyk = new Uint8Array([0, 0, 0, 0, 255, 255, 255, 255, 10, 100, 200, 50, 200, 30, 0, 128]);
    expect([...cmykToRgb(cmyk)]).toEqual([255, 255, 255, 0, 0, 0, 197, 125, 44, 27, 112, 127]);
  });
});

/** A PNG that declares width × height (grey, 8-bit) but carries almost no data: a decompression bomb. */
function pngBomb(width: number, height: number): Buffer {
  return pngWithHeader(width, height, 8, 0, zlib.deflateSync(Buffer.alloc(width + 1)));
}

describe('gifTransparentColour (the colour PIL shows for transparent GIF pixels)', () => {
  /** A GIF's bytes up to its first image descriptor: header, screen descriptor, optional global
   * table, optional graphic control extension, image descriptor with an optional local table. */
  function gif(o: { global?: number[][]; transparent?: number; local?: number[][]; comment?: boolean }): Uint8Array {
    const tableFlags = (t?: number[][]) => (t ? 0x80 | (Math.log2(t.length) - 1) : 0);
    const bytes = [...Buffer.from('GIF89a'), 4, 0, 4, 0, tableFlags(o.global), 0, 0, ...(o.global?.flat() ?? [])];
    if (o.comment) bytes.push(0x21, 0xfe, 3, 0x61, 0x62, 0x63, 0);
    if (o.transparent !== undefined) bytes.push(0x21, 0xf9, 4, 1, 0, 0, o.transparent, 0);
    bytes.push(0x2c, 0, 0, 0, 0, 4, 0, 4, 0, tableFlags(o.local), ...(o.local?.flat() ?? []), 2, 0);
    return Uint8Array.from(bytes);
  }
  const table = [[10, 20, 30], [40, 50, 60], [70, 80, 90], [100, 110, 120]];
  const other = [[1, 2, 3], [4, 5, 6]];

  it('is the transparency index of the global table', () => {
    expect(gifTransparentColour(gif({ global: table, transparent: 2 }))).toEqual([70, 80, 90]);
    expect(gifTransparentColour(gif({ global: table, transparent: 2, comment: true }))).toEqual([70, 80, 90]);
  });
  it('takes the local table over the global one', () => {
    expect(gifTransparentColour(gif({ global: table, local: other, transparent: 1 }))).toEqual([4, 5, 6]);
  });
  it('is index 0 without a transparency index, grey without any table', () => {
    expect(gifTransparentColour(gif({ global: table }))).toEqual([10, 20, 30]);
    expect(gifTransparentColour(gif({ transparent: 7 }))).toEqual([7, 7, 7]);
  });
  it('is null for anything but a GIF with a frame', () => {
    expect(gifTransparentColour(fixture('one-pixel.png'))).toBeNull();
    expect(gifTransparentColour(gif({ global: table }).subarray(0, 25))).toBeNull();
  });
  it('is the palette colour of the parity GIF with transparency (what PIL shows there)', () => {
    expect(gifTransparentColour(fixture('chelsea-trns.gif'))).toEqual([146, 104, 72]);
  });
});

describe('decode errors are short reasons (ClipscopeError "image")', () => {
  const jpeg = fixture('rocket-landscape-icc.jpg');
  const png = fixture('coins-grey.png');
  const cases: [string, Buffer, string][] = [
    ['zero bytes', Buffer.alloc(0), 'empty file (0 bytes)'],
    ['text named .jpg', Buffer.from('just some notes, not a photo\n'), 'not an image or unsupported format'],
    ['HTML', Buffer.from('<!doctype html><html><body><img src=x></body></html>'), 'not an image or unsupported format'],
    ['PDF', Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n'), 'not an image or unsupported format'],
    [
      'SVG (libvips could render it, clipscope must not)',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>'),
      'not an image or unsupported format',
    ],
    ['truncated JPEG (half)', jpeg.subarray(0, jpeg.length >> 1), 'truncated or corrupt image data'],
    ['truncated JPEG (header only)', jpeg.subarray(0, 200), 'truncated or corrupt image data'],
    ['truncated PNG (half)', png.subarray(0, png.length >> 1), 'truncated or corrupt image data'],
    ['truncated PNG (signature only)', png.subarray(0, 12), 'truncated or corrupt image data'],
    ['decompression bomb', pngBomb(50_000, 50_000), 'image is 50000×50000 = 2500 MP, over the 100 MP limit'],
  ];

  it.each(cases)('%s', async (_name, input, reason) => {
    const e = await rejection(decodeForClip(input, CLIP_PREPROCESS));
    expect(isClipscopeError(e)).toBe(true);
    expect(e.kind).toBe('image');
    expect(e.message).toBe(reason);
  });

  it('refuses SVG in thumbnails and headers too', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
    expect((await rejection(thumbnail(svg, { width: 8 }))).message).toMatch(/^not an image or unsupported format/);
    expect((await rejection(readImageInfo(svg))).message).toMatch(/^not an image or unsupported format/);
  });

  it('refuses the bomb from its header alone (readImageInfo, thumbnail) and honours a custom limit', async () => {
    expect(DEFAULT_PIXEL_LIMIT).toBe(100_000_000);
    const bomb = pngBomb(50_000, 50_000);
    expect((await rejection(readImageInfo(bomb))).message).toBe('image is 50000×50000 = 2500 MP, over the 100 MP limit');
    expect((await rejection(thumbnail(bomb, { width: 100 }))).message).toMatch(/over the 100 MP limit/);
    const e = await rejection(preprocessImage(jpeg, CLIP_PREPROCESS, { pixelLimit: 50_000 }));
    expect(e.message).toBe('image is 400×267 = 0.1 MP, over the 0.1 MP limit');
  });

  it('names no paths for missing files', async () => {
    const e = await rejection(thumbnail(path.join(import.meta.dirname, 'no-such-image.jpg'), { width: 64 }));
    expect(e.message).toBe('file is missing');
  });
});

describe('decodeForClip on awkward images', () => {
  const rgbPng = (width: number, height: number, f: (x: number, y: number) => [number, number, number]) => {
    const data = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 3);
    return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
  };
  const cos = (a: Uint8Array, b: Uint8Array) => {
    let d = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a.length; i++) {
      d += (a[i] - 127.5) * (b[i] - 127.5);
      na += (a[i] - 127.5) ** 2;
      nb += (b[i] - 127.5) ** 2;
    }
    return d / Math.sqrt(na * nb);
  };

  it('handles 1×1 and 10000×10 images', async () => {
    const one = await decodeForClip(await rgbPng(1, 1, () => [200, 40, 90]), CLIP_PREPROCESS);
    expect(one.rgb.length).toBe(224 * 224 * 3);
    expect([one.width, one.height]).toEqual([1, 1]);
    expect([...one.rgb.slice(-3)]).toEqual([200, 40, 90]);
    const strip = await decodeForClip(await rgbPng(10000, 10, (x) => [x % 256, 0, 0]), CLIP_PREPROCESS);
    expect([strip.width, strip.height]).toEqual([10000, 10]);
    expect(strip.rgb.length).toBe(224 * 224 * 3);
  });

  it.each([
    [300, 200, 'Pillow-port route (upsampling)'],
    [600, 400, 'libvips route (downscaling)'],
  ])('applies EXIF orientation: the model sees the image as a person does (%d×%d, %s)', async (w, h) => {
    // A landscape stored with orientation 6 (rotate 90° clockwise to display) → a portrait.
    const pixels = await rgbPng(w, h, (x, y) => [x % 256, (y * 3) % 256, x < w / 2 ? 30 : 220]);
    const tagged = await sharp(pixels).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const info = await readImageInfo(tagged);
    expect(info).toMatchObject({ width: h, height: w, orientation: 6, format: 'jpeg' });
    const upright = await sharp(tagged).rotate().png().toBuffer(); // the displayed image, as pixels
    const a = await decodeForClip(tagged, CLIP_PREPROCESS);
    const b = await decodeForClip(upright, CLIP_PREPROCESS);
    expect([a.width, a.height]).toEqual([h, w]);
    expect(cos(a.rgb, b.rgb)).toBeGreaterThan(0.999);
    const thumb = await thumbnail(tagged, { width: 90 });
    expect([thumb.width, thumb.height]).toEqual([60, 90]);
  });

  it('applies EXIF orientation for SigLIP 2 NaFlex too: a landscape tagged as portrait gets a tall patch grid', async () => {
    const w = 300;
    const h = 100;
    const pixels = await rgbPng(w, h, (x, y) => [x % 256, (y * 3) % 256, x < w / 2 ? 30 : 220]);
    const tagged = await sharp(pixels).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const upright = await sharp(tagged).rotate().png().toBuffer();
    const cfg = preprocessConfigFrom({ image_processor_type: 'Siglip2ImageProcessor', patch_size: 10, max_num_patches: 27 }, 'p.json');
    const a = await preprocessImage(tagged, cfg);
    const b = await preprocessImage(upright, cfg);
    expect([a.width, a.height]).toEqual([h, w]);
    expect(a.grid).toEqual({ rows: 9, cols: 3 });
    expect(cos(a.rgb, b.rgb)).toBeGreaterThan(0.999);
  });

  it('reads the first frame of an animated WebP', async () => {
    const red = Buffer.alloc(64 * 48 * 3);
    for (let i = 0; i < red.length; i += 3) red[i] = 255;
    const blue = Buffer.alloc(64 * 48 * 3);
    for (let i = 2; i < blue.length; i += 3) blue[i] = 255;
    const animated = await sharp(Buffer.concat([red, blue]), { raw: { width: 64, height: 96, channels: 3, pageHeight: 48 } })
      .webp({ lossless: true })
      .toBuffer();
    expect((await readImageInfo(animated)).pages).toBe(2);
    const { rgb, width, height } = await decodeForClip(animated, CLIP_PREPROCESS);
    expect([width, height]).toEqual([64, 48]);
    expect([...rgb.slice(0, 3)]).toEqual([255, 0, 0]);
    expect([...rgb.slice(-3)]).toEqual([255, 0, 0]);
  });

  it('scales 16-bit greyscale to 8 bits (PIL would turn it white)', async () => {
    const w = 240;
    const h = 230;
    const grey16 = new Uint16Array(w * h);
    const grey8 = Buffer.alloc(w * h);
    for (let i = 0; i < w * h; i++) {
      const v = Math.floor(((i % w) * 255) / (w - 1));
      grey8[i] = v;
      grey16[i] = v * 257;
    }
    const png16 = await sharp(grey16, { raw: { width: w, height: h, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const png8 = await sharp(grey8, { raw: { width: w, height: h, channels: 1 } }).png().toBuffer();
    const a = await decodeForClip(png16, CLIP_PREPROCESS);
    const b = await decodeForClip(png8, CLIP_PREPROCESS);
    // libvips resizes at 16 bits before reducing to 8, so values may differ by one level.
    let maxDiff = 0;
    for (let i = 0; i < a.rgb.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.rgb[i] - b.rgb[i]));
    expect(maxDiff).toBeLessThanOrEqual(1);
    expect(a.rgb[0]).toBeLessThan(10); // not clipped to white
  });

  it('treats a fully opaque alpha channel as plain RGB', async () => {
    const rgb = await sharp(fixture('rocket-landscape-icc.jpg')).png().toBuffer();
    const rgba = await sharp(rgb).ensureAlpha(1).png().toBuffer();
    expect((await readImageInfo(rgba)).hasAlpha).toBe(true);
    const a = await decodeForClip(rgba, CLIP_PREPROCESS);
    const b = await decodeForClip(rgb, CLIP_PREPROCESS);
    expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
  });

  it('writes into a batch buffer at an offset', async () => {
    const batch = new Float32Array(2 * 3 * 224 * 224);
    const input = fixture('horse-rgba.png');
    const r = await preprocessImage(input, CLIP_PREPROCESS, { out: batch, offset: 3 * 224 * 224 });
    expect(r.tensor).toBe(batch);
    expect(r.offset).toBe(3 * 224 * 224);
    expect(batch[0]).toBe(0);
    const alone = await preprocessImage(input, CLIP_PREPROCESS);
    expect(batch.subarray(3 * 224 * 224)).toEqual(alone.tensor);
  });

  it('asks for a computed offset only once the image is decoded, and never for an image that fails', async () => {
    const batch = new Float32Array(2 * 3 * 224 * 224);
    const asked: string[] = [];
    const slot = (name: string) => () => (asked.push(name), (asked.length - 1) * 3 * 224 * 224);
    const results = await Promise.allSettled([
      preprocessImage(Buffer.from('not an image'), CLIP_PREPROCESS, { out: batch, offset: slot('broken') }),
      preprocessImage(fixture('horse-rgba.png'), CLIP_PREPROCESS, { out: batch, offset: slot('horse') }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(asked).toEqual(['horse']);
    expect(batch.subarray(0, 3 * 224 * 224)).toEqual((await preprocessImage(fixture('horse-rgba.png'), CLIP_PREPROCESS)).tensor);
  });
});

describe('thumbnail', () => {
  it('makes a WebP that fits the box, keeps alpha and never enlarges', async () => {
    const t = await thumbnail(fixture('horse-rgba.png'), { width: 100, height: 60 });
    expect([t.width, t.height]).toEqual([73, 60]);
    const meta = await sharp(t.data).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 73, height: 60, hasAlpha: true });
    const tiny = await thumbnail(fixture('one-pixel.png'), { width: 320 });
    expect([tiny.width, tiny.height]).toEqual([1, 1]);
    const strip = await thumbnail(fixture('coffee-strip-400x20.png'), { width: 320 });
    expect([strip.width, strip.height]).toEqual([320, 16]);
  });

  it('uses the first frame of an animation', async () => {
    const t = await thumbnail(fixture('chelsea-animated.gif'), { width: 64 });
    expect((await sharp(t.data).metadata()).pages ?? 1).toBe(1);
  });
});
