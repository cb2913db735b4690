// The benchmark's inputs, made on demand into bench/.work/ (git-ignored) and reused while current:
//
// - models/synthetic-b32 (ViT-B/32's exact shapes, fp32, plus onnx/*_quantized.onnx) via the
//   project's generator when missing or stale;
// - image sets of the sizes social media produce, made from the demo images (content/images):
//   each image is a different seeded crop of one demo image, flipped or not, colour-shifted, resized
//   to 1080×1080, 1080×1350 or 1920×1080. Seven in eight are photos: film grain (so they compress
//   like camera pictures, ~0.25 MB), JPEG quality 85. One in eight is a graphic as posted as PNG
//   (screenshots, memes): flat blocks of colour (the crop at 1/6 size, enlarged with nearest
//   neighbour), ~0.2 MB. A PNG of a grainy photo would cost twice as much to decode (~20 ms vs
//   ~9 ms per 1080×1350 image on this machine) but is rare on social media. Every image is distinct
//   (its own sha256), so clipscope's deduplication cannot skip work;
// - a small set for the 100 → 10,000 scaling runs (640 px, the same recipe), which keeps the
//   10,000 files at ~0.5 GB; inference time does not depend on the input size;
// - a tiny set for the site-scale runs up to 100,000 images (240–320 px, from sources shrunk once
//   to 400 px), ~15 KB a file.
//
// Benchmark tooling may use sharp directly: the engine's rule (sharp only in decode.ts) is about
// the engine's code; here sharp only *writes* test images.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { forEachLimited } from '../integrations/engine/pool.ts';
import { createRandom } from '../integrations/core/random.ts';
import { DEFAULT_MODELS_DIR, expectedGenerator, generateModel, isCurrentFolder } from '../scripts/generate-models.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WORK = join(ROOT, 'bench/.work');
const DEMO = join(ROOT, 'content/images');
/** Bump when the recipe changes, so old sets are made again. */
const RECIPE_VERSION = 3;

export const SOCIAL_SIZES: [number, number][] = [
  [1080, 1080],
  [1080, 1350],
  [1920, 1080],
];
const SMALL_SIZES: [number, number][] = [
  [640, 640],
  [640, 800],
  [800, 450],
];
/** The site-scale sets (up to 100,000 images): small, so that making and reading them is cheap, but
 * no smaller than CLIP's 224 px on the short side, as nearly every posted image is (an image that
 * must be enlarged takes Pillow's exact arithmetic in JavaScript, ~10 ms of one core per image). */
const TINY_SIZES: [number, number][] = [
  [256, 256],
  [240, 300],
  [320, 240],
];
/** Demo sources shrunk once for the tiny sets (decoding a full-size source per image would dominate). */
const TINY_SOURCE_SIDE = 400;

/** The model folder, generated (with its int8 variant) when missing or stale. */
export async function ensureModel(name: 'synthetic-b32' | 'synthetic-tiny', log: (m: string) => void): Promise<string> {
  const dir = join(DEFAULT_MODELS_DIR, name);
  const expected = await expectedGenerator(name);
  const quantized = ['onnx/vision_model_quantized.onnx', 'onnx/text_model_quantized.onnx'].every((f) => existsSync(join(dir, f)));
  if (!(await isCurrentFolder(dir, expected)) || !quantized) {
    log(`${name}: generating (about a minute for synthetic-b32)…`);
    await generateModel(name, DEFAULT_MODELS_DIR, { log, isCurrent: (d) => isCurrentFolder(d, expected) });
  }
  return dir;
}

async function demoSources(): Promise<{ name: string; data: Buffer }[]> {
  const names = (await readdir(DEMO)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
  return Promise.all(names.map(async (name) => ({ name, data: await readFile(join(DEMO, name)) })));
}

/** One distinct image: index i of a set, made from demo source i mod sources (seeded). */
async function makeImage(source: Buffer, index: number, sizes: [number, number][], pngEvery: number, seed: string): Promise<{ data: Buffer; ext: string }> {
  const random = createRandom(`${seed}:${index}`);
  const meta = await sharp(source).metadata();
  const sw = meta.width!;
  const sh = meta.height!;
  // A crop of 45–100 % of each side, anywhere in the source.
  const cw = Math.max(16, Math.round(sw * (0.45 + 0.55 * random())));
  const ch = Math.max(16, Math.round(sh * (0.45 + 0.55 * random())));
  const left = Math.floor(random() * (sw - cw + 1));
  const top = Math.floor(random() * (sh - ch + 1));
  const [width, height] = sizes[index % sizes.length];
  const png = pngEvery > 0 && index % pngEvery === pngEvery - 1;

  let img = sharp(source)
    .flatten({ background: { r: Math.floor(random() * 256), g: Math.floor(random() * 256), b: Math.floor(random() * 256) } })
    .extract({ left, top, width: cw, height: ch });
  if (random() < 0.5) img = img.flop();
  if (random() < 0.15) img = img.flip();
  const grey = meta.channels === 1 || meta.space === 'b-w';
  // Greyscale sources: tinted (a colour photo) two times in three, kept grey otherwise.
  if (grey && random() < 0.67) img = img.tint({ r: 80 + Math.floor(random() * 176), g: 80 + Math.floor(random() * 176), b: 80 + Math.floor(random() * 176) });
  img = img.modulate({ brightness: 0.8 + 0.4 * random(), saturation: 0.6 + 0.8 * random(), hue: Math.floor(random() * 60) - 30 });
  if (png) {
    // A graphic: flat blocks of colour, no grain.
    const blocks = await img.resize(Math.round(width / 6), Math.round(height / 6), { fit: 'cover', kernel: 'cubic' }).toColourspace('srgb').removeAlpha().png().toBuffer();
    return { data: await sharp(blocks).resize(width, height, { kernel: 'nearest' }).png({ compressionLevel: 6 }).toBuffer(), ext: 'png' };
  }
  img = img.resize(width, height, { fit: 'cover', kernel: 'cubic' });
  // Film grain: what makes an upscaled image compress like a photo.
  const base = await img.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const pixels = base.data;
  const grain = 6 + 10 * random();
  let state = (index * 2654435761) >>> 0;
  for (let p = 0; p < pixels.length; p++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    const noise = ((state >>> 8) / 0x1000000 - 0.5) * 2 * grain;
    const v = pixels[p] + noise;
    pixels[p] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  const out = sharp(pixels, { raw: { width: base.info.width, height: base.info.height, channels: base.info.channels } });
  return { data: await out.jpeg({ quality: 85 }).toBuffer(), ext: 'jpg' };
}

export interface ImageSet {
  dir: string;
  files: string[];
  bytes: number;
}

async function listSet(dir: string): Promise<ImageSet> {
  const manifest = JSON.parse(await readFile(join(dir, '.manifest.json'), 'utf8')) as { files: string[]; bytes: number };
  return { dir, files: manifest.files.map((f) => join(dir, f)), bytes: manifest.bytes };
}

/**
 * A set of `count` distinct images under bench/.work/<kind>-<count>/, made once (in parallel on all
 * cores) and reused. Sets of the same kind share their first images: image i is the same in every set.
 */
export async function ensureImageSet(kind: 'social' | 'small' | 'tiny', count: number, log: (m: string) => void): Promise<ImageSet> {
  const dir = join(WORK, `${kind}-${count}`);
  const stamp = `${kind}:${count}:${RECIPE_VERSION}`;
  try {
    const manifest = JSON.parse(await readFile(join(dir, '.manifest.json'), 'utf8')) as { stamp: string };
    if (manifest.stamp === stamp) return await listSet(dir);
  } catch {
    // missing or unreadable: make it
  }
  // Reuse the images of a larger or smaller set of the same kind (hard links) where they exist.
  const started = performance.now();
  log(`images: making ${count} ${kind} images into ${dir} …`);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  let sources = await demoSources();
  if (kind === 'tiny') {
    const side = { width: TINY_SOURCE_SIDE, height: TINY_SOURCE_SIDE, fit: 'inside' as const };
    sources = await Promise.all(sources.map(async (s) => ({ name: s.name, data: await sharp(s.data).resize(side).png().toBuffer() })));
  }
  const sizes = kind === 'social' ? SOCIAL_SIZES : kind === 'small' ? SMALL_SIZES : TINY_SIZES;
  const donors = (await readdir(WORK).catch(() => [] as string[])).filter((d) => d.startsWith(`${kind}-`) && !d.includes('.tmp'));
  const donorFiles = new Map<string, string>();
  for (const d of donors) {
    try {
      const m = JSON.parse(await readFile(join(WORK, d, '.manifest.json'), 'utf8')) as { stamp: string; files: string[] };
      if (m.stamp.endsWith(`:${RECIPE_VERSION}`)) for (const f of m.files) donorFiles.set(f, join(WORK, d, f));
    } catch {
      // not a finished set
    }
  }
  const files: string[] = new Array(count);
  let bytes = 0;
  let made = 0;
  await forEachLimited(Array.from({ length: count }, (_, i) => i), availableParallelism() + 1, async (i) => {
    const stem = `img-${String(i).padStart(kind === 'tiny' ? 6 : 5, '0')}`;
    const donor = donorFiles.get(`${stem}.jpg`) ?? donorFiles.get(`${stem}.png`);
    if (donor) {
      const name = donor.endsWith('.png') ? `${stem}.png` : `${stem}.jpg`;
      await link(donor, join(tmp, name));
      files[i] = name;
      bytes += (await stat(donor)).size;
      return;
    }
    const source = sources[i % sources.length];
    const { data, ext } = await makeImage(source.data, i, sizes, 8, `bench-${kind}`);
    const name = `${stem}.${ext}`;
    await writeFile(join(tmp, name), data);
    files[i] = name;
    bytes += data.length;
    if (++made % (kind === 'tiny' ? 10_000 : 500) === 0) log(`images: ${made} made`);
  });
  await writeFile(join(tmp, '.manifest.json'), JSON.stringify({ stamp, files, bytes }, null, 1));
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  log(`images: ${count} ${kind} images (${(bytes / 1e6).toFixed(0)} MB) in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return listSet(dir);
}

/** A fresh folder holding hard links to the first `count` images of `set` (for cache scenarios). */
export async function linkSubset(set: ImageSet, count: number, dir: string): Promise<ImageSet> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files = set.files.slice(0, count);
  const out: string[] = [];
  for (const f of files) {
    const name = f.slice(set.dir.length + 1);
    await link(f, join(dir, name));
    out.push(join(dir, name));
  }
  return { dir, files: out, bytes: 0 };
}

/** The dictionaries of the benchmark: a realistic seed-style one, and the same with one phrase
 * changed (the "dictionary edited" scenario of the cache). */
export async function ensureDictionaries(): Promise<{ base: string; changed: string }> {
  await mkdir(WORK, { recursive: true });
  const categories: Record<string, string[]> = {
    Protest: ['a photo of a protest', 'people holding signs at a demonstration', 'a crowd marching in the street'],
    Politician: ['a politician giving a speech', 'a portrait of a politician', 'a press conference'],
    Food: ['a photo of food', 'a plate of food on a table'],
    Nature: ['a landscape photo', 'a photo of animals in nature', 'trees and mountains'],
    Text: ['a screenshot of text', 'a meme with text', 'a poster with writing'],
    Selfie: ['a selfie', 'a close-up portrait of a person'],
    Sports: ['a sports event', 'athletes playing football'],
    Other: ['a photo of an object', 'an abstract picture'],
  };
  const yaml = (c: Record<string, string[]>) =>
    Object.entries(c)
      .map(([k, v]) => `${JSON.stringify(k)}:\n${v.map((p) => `  - ${JSON.stringify(p)}`).join('\n')}`)
      .join('\n') + '\n';
  const base = join(WORK, 'dictionary.yaml');
  const changed = join(WORK, 'dictionary-changed.yaml');
  await writeFile(base, yaml(categories));
  await writeFile(changed, yaml({ ...categories, Food: [...categories.Food, 'a bowl of soup on a kitchen table'] }));
  return { base, changed };
}

/** sha256 of a list of files' contents (to show the sets are what the JSON says). */
export async function digestOf(files: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) h.update(await readFile(f));
  return h.digest('hex').slice(0, 16);
}
