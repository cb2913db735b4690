// What "confidence" means on the report: the probability of the image's CATEGORY. Browser-safe, pure.
//
// Every scoring mode gives each image every category's probability (`categories`, percent): with
// seed and sum scoring the sum of the category's phrase probabilities, with ensemble scoring the
// softmax over categories. The seed's own number (`probability`) is the winning PHRASE's share among
// all phrases: with two or more phrases per category it understates the category — an image can be
// 97 % "Political Events" while its best phrase holds 11 %. The site shows the category probability
// wherever it speaks of confidence, and the phrase share only labelled as such.
import type { ImageResult } from './types.ts';
import { UNCERTAIN } from './types.ts';

/** What the functions read of an image; `top` and `categories` may be absent (plain test records). */
export type Scored = Pick<ImageResult, 'category' | 'probability'> & Partial<Pick<ImageResult, 'top' | 'categories'>>;

/**
 * The category an image's confidence refers to: its predicted category, or for an image a threshold
 * put into Uncertain, the category of its best guess (its first ranked choice).
 */
export function confidenceCategory(image: Scored): string {
  if (image.category !== UNCERTAIN || image.categories?.[UNCERTAIN] !== undefined) return image.category;
  return image.top?.[0]?.category ?? image.category;
}

/** The probability (percent) of the image's category (see confidenceCategory). Results without a
 * per-category map (none are written today) fall back to the top-1 probability. */
export function categoryProbability(image: Scored): number {
  const p = image.categories?.[confidenceCategory(image)];
  return typeof p === 'number' && Number.isFinite(p) ? p : image.probability;
}

/** Every category with its probability, most probable first; equal values keep dictionary order
 * (the order of the `categories` map, which the engine writes in dictionary order). */
export function rankedCategories(image: Partial<Pick<ImageResult, 'categories'>>): { category: string; probability: number }[] {
  return Object.entries(image.categories ?? {})
    .map(([category, probability], order) => ({ category, probability, order }))
    .sort((a, b) => b.probability - a.probability || a.order - b.order)
    .map(({ category, probability }) => ({ category, probability }));
}

/** The most probable category other than the image's own (its "second choice" on the site), or
 * null when the dictionary has one category. */
export function secondCategory(image: Scored): { category: string; probability: number } | null {
  const own = confidenceCategory(image);
  return rankedCategories(image).find((c) => c.category !== own) ?? null;
}

/** Points between the image's category probability and its second category's; negative when (seed
 * scoring) the best phrase's category is not the most probable category. */
export function categoryMargin(image: Scored): number {
  const second = secondCategory(image);
  return categoryProbability(image) - (second?.probability ?? 0);
}
