// publishableCopy (engine/decode.ts): what a published original is made of. By default the pixels
// without the metadata — orientation applied, colours kept, lossless where the format allows — in a
// format found in the bytes; with keepMetadata the file unchanged, if its bytes are a published format.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { publishableCopy } from '../../integrations/engine/decode.ts';
import { REPO_ROOT } from '../e2e/helpers.ts';
import { cameraJpeg } from '../fixtures/camera-jpeg.ts';

const demo = (name: string) => readFile(join(REPO_ROOT, 'content', 'images', name));

/** RGBA pixels as displayed (orientation applied), every frame. */
async function pixels(data: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data: px, info } = await sharp(data, { autoOrient: true, pages: -1 }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: px, width: info.width, height: info.height };
}

/** Peak signal-to-noise ratio in dB of two equal-sized 8-bit buffers (Infinity when identical). */
function psnr(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let squares = 0;
  for (let i = 0; i < a.length; i++) squares += (a[i] - b[i]) ** 2;
  return squares === 0 ? Infinity : 10 * Math.log10((255 * 255) / (squares / a.length));
}

describe('publishableCopy', () => {
  it('removes EXIF (GPS, camera), XMP and IPTC from a JPEG, applies its orientation and keeps its look', async () => {
    const original = await cameraJpeg();
    const before = await sharp(original).metadata();
    expect(before).toMatchObject({ orientation: 6, width: 120, height: 80 });
    expect(before.exif && before.xmp).toBeTruthy();
    expect(original.includes('SecretCam')).toBe(true);

    const copy = await publishableCopy(original);
    expect(copy.format).toBe('jpeg');
    const after = await sharp(copy.data).metadata();
    expect(after.format).toBe('jpeg');
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.iptc).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    for (const secret of ['SecretCam', 'Jane Doe', 'GPS']) expect(copy.data.includes(secret), secret).toBe(false);
    // Upright now (80 × 120, as displayed before), and no visible change: PSNR above 40 dB.
    const [a, b] = [await pixels(original), await pixels(copy.data)];
    expect([b.width, b.height]).toEqual([80, 120]);
    expect(psnr(a.data, b.data)).toBeGreaterThan(40);
  });

  it('keeps the file unchanged with keepMetadata', async () => {
    const original = await cameraJpeg();
    const copy = await publishableCopy(original, { keepMetadata: true });
    expect(copy.format).toBe('jpeg');
    expect(copy.data.equals(original)).toBe(true);
  });

  it('names the format of the bytes, and drops what is appended to an image', async () => {
    // A valid PNG with a script after its end, as an "evil.html" would carry it.
    const evil = Buffer.concat([await demo('coffee.png'), Buffer.from('<script>alert(localStorage.length)</script>')]);
    const copy = await publishableCopy(evil);
    expect(copy.format).toBe('png');
    expect(copy.data.includes('<script>')).toBe(false);
    expect(psnr((await pixels(evil)).data, (await pixels(copy.data)).data)).toBe(Infinity);
    // Kept as is, it is still named by its bytes: a PNG, never HTML.
    expect((await publishableCopy(evil, { keepMetadata: true })).format).toBe('png');
    await expect(publishableCopy(Buffer.from('<!doctype html><script>alert(1)</script>'), { keepMetadata: true })).rejects.toThrow('not an image');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>');
    await expect(publishableCopy(svg, { keepMetadata: true })).rejects.toThrow('unsupported format');
  });

  it('keeps the pixels losslessly: PNG (16 bits too), TIFF → PNG, every frame of a GIF → lossless WebP', async () => {
    const png = await demo('horse.png');
    const copy = await publishableCopy(png);
    expect(copy.format).toBe('png');
    expect(psnr((await pixels(png)).data, (await pixels(copy.data)).data)).toBe(Infinity);

    const deep = await sharp(await demo('coffee.png')).resize(64).toColourspace('rgb16').png().toBuffer();
    const deepCopy = await publishableCopy(deep);
    expect((await sharp(deepCopy.data).metadata()).depth).toBe('ushort');
    const raw16 = (b: Buffer) => sharp(b).raw({ depth: 'ushort' }).toBuffer();
    expect((await raw16(deepCopy.data)).equals(await raw16(deep))).toBe(true);

    const tiff = await sharp(await demo('coffee.png')).resize(64).tiff().toBuffer();
    const tiffCopy = await publishableCopy(tiff);
    expect(tiffCopy.format).toBe('png');
    expect(psnr((await pixels(tiff)).data, (await pixels(tiffCopy.data)).data)).toBe(Infinity);

    const coffee = await demo('coffee.png');
    const frames = await Promise.all([0, 120, 240].map((hue) => sharp(coffee).resize(40, 30, { fit: 'fill' }).modulate({ hue }).png().toBuffer()));
    const gif = await sharp(frames, { join: { animated: true } }).gif({ loop: 0, delay: [100, 200, 300] }).toBuffer();
    const gifCopy = await publishableCopy(gif);
    expect(gifCopy.format).toBe('webp');
    expect(await sharp(gifCopy.data).metadata()).toMatchObject({ format: 'webp', pages: 3, delay: [100, 200, 300], loop: 0 });
    expect(psnr((await pixels(gif)).data, (await pixels(gifCopy.data)).data)).toBe(Infinity);
    // Frames that pass the pixel limit together (3 × 40 × 30 > 2400): the first frame only, not an error.
    const firstOnly = await publishableCopy(gif, { pixelLimit: 2400 });
    expect(await sharp(firstOnly.data).metadata()).toMatchObject({ format: 'webp', width: 40, height: 30 });
    expect((await sharp(firstOnly.data).metadata()).pages).toBeUndefined();
  });
});
