// The validation set: which images coders judge in the Validate widget, and what the widget shows of
// each. Drawn at build time, stratified by predicted category (`validation.perCategory` per
// category), seeded and shuffled, so every build of the same results asks for the same images in
// the same order, and adding images to one category does not reshuffle another's draw.
//
// - One entry per distinct image (sha256): the same bytes under two names are judged once.
// - "Uncertain" (images a threshold refused to classify) is not drawn: the model claims no
//   category for them, so there is no prediction to call right or wrong.
import type { ImageResult } from '../../core/types.ts';
import { UNCERTAIN } from '../../core/types.ts';
import { stratifiedSample } from '../../core/sampling.ts';

/** The first image (by path) of each distinct sha256: the one a judgement is shown with. */
export function distinctImages(images: readonly ImageResult[]): ImageResult[] {
  const seen = new Set<string>();
  const sorted = images.slice().sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return sorted.filter((img) => (seen.has(img.sha256) ? false : (seen.add(img.sha256), true)));
}

/**
 * Indices (into `images`) of the validation set: up to `perCategory` distinct images of each
 * category in `categories` (Uncertain excluded), each category drawn with its own seed, then all
 * shuffled together so categories are interleaved.
 */
export function drawValidationSet(images: readonly ImageResult[], categories: readonly string[], perCategory: number, seed: string | number): number[] {
  const indexOf = new Map(images.map((img, i) => [img, i]));
  const drawable = categories.filter((c) => c !== UNCERTAIN);
  return stratifiedSample(distinctImages(images), drawable, perCategory, seed, 'validation').map((img) => indexOf.get(img)!);
}
