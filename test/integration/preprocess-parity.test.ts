// Parity of clipscope's preprocessing with OpenAI CLIP's (PIL) preprocessing, on the fixtures made by
// test/fixtures/make-parity-fixtures.ts: photographs of several aspect ratios, greyscale, 1-bit,
// palette (with and without transparency, GIF), alpha (RGBA, LA, binary and smooth), CMYK, 16-bit,
// embedded ICC profiles (JPEG and PNG), tiny and extreme shapes.
// Target: cosine ≥ 0.999 for every image and ≥ 0.9995 on median.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIP_PREPROCESS, preprocessImage } from '../../integrations/engine/preprocess.ts';
import { decodePlanes } from '../fixtures/parity/codec.ts';
import { cosine } from '../fixtures/vectors.ts';

const dir = path.join(import.meta.dirname, '../fixtures/parity');
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
  size: number;
  mean: number[];
  std: number[];
  cases: { file: string; width: number; height: number; pilMode: string }[];
};
const N = manifest.size;
const PLANE = N * N;

/** The reference tensor, computed here with the literal formula (not the engine's code). */
function referenceTensor(bytes: Uint8Array): Float64Array {
  const t = new Float64Array(3 * PLANE);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < PLANE; i++) t[c * PLANE + i] = (bytes[c * PLANE + i] / 255 - manifest.mean[c]) / manifest.std[c];
  return t;
}


/**
 * Cases decodeForClip sends down the Pillow port (pil-resample.ts) rather than libvips: upsampling
 * (shorter side < 224) and every mode other than plain RGB/L; plus images that need no resize. Those
 * must match PIL byte for byte.
 */
const portRoute = (c: { width: number; height: number; pilMode: string }) =>
  Math.min(c.width, c.height) <= N || !['RGB', 'L'].includes(c.pilMode);

describe('preprocessing parity with the PIL reference', () => {
  const results: { file: string; cos: number; maxDiff: number }[] = [];

  it.each(manifest.cases)('$file ($pilMode $width×$height)', async (c) => {
    const input = fs.readFileSync(path.join(dir, 'inputs', c.file));
    const expected = decodePlanes(fs.readFileSync(path.join(dir, 'expected', `${c.file}.chw.br`)), N, N);

    // preprocessImage is what a run calls on every image (embed.ts): decode, crop, normalise.
    const { tensor, rgb, width, height } = await preprocessImage(input, CLIP_PREPROCESS);
    expect([width, height]).toEqual([c.width, c.height]);
    expect(tensor.length).toBe(3 * PLANE);
    const cos = cosine(tensor, referenceTensor(expected));

    // The crop bytes too: how far apart are they, in 8-bit levels?
    let maxDiff = 0;
    for (let i = 0; i < PLANE; i++)
      for (let ch = 0; ch < 3; ch++) maxDiff = Math.max(maxDiff, Math.abs(rgb[i * 3 + ch] - expected[ch * PLANE + i]));
    results.push({ file: c.file, cos, maxDiff });

    expect(cos).toBeGreaterThanOrEqual(0.999);
    if (portRoute(c)) expect(maxDiff).toBe(0);
  });

  it('reaches a median cosine ≥ 0.9995 over all cases', () => {
    expect(results).toHaveLength(manifest.cases.length);
    const sorted = results.map((r) => r.cos).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(
      results.map((r) => `${r.file.padEnd(28)} cos ${r.cos.toFixed(7)}  max |Δ| ${r.maxDiff}`).join('\n') +
        `\nmin ${sorted[0].toFixed(7)}  median ${median.toFixed(7)}`,
    );
    expect(median).toBeGreaterThanOrEqual(0.9995);
  });
});
