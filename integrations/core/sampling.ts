// Seeded sampling and pagination for the report. Every draw is a pure function of the images, the
// seed and a name (category or purpose), so a rebuild of the same results shows the same images, and
// changing one category does not reshuffle another.
import { sample } from './random.ts';
import { categoryProbability, type Scored } from './confidence.ts';

interface Sampleable {
  path: string;
  sha256: string;
  category: string;
  probability: number;
}

/** The canonical order sampling starts from: by path, then hash (input order never matters). */
function canonical<T extends Sampleable>(images: readonly T[]): T[] {
  return images.slice().sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
}

/** The seed string of one draw: the run's seed, what the draw is for, and the category. */
function drawSeed(seed: string | number, purpose: string, category: string): string {
  return `${seed}\u0000${purpose}\u0000${category}`;
}

/** `n` images of one category, drawn without replacement (all of them when fewer). */
export function sampleCategory<T extends Sampleable>(images: readonly T[], category: string, n: number, seed: string | number, purpose = 'samples'): T[] {
  const members = canonical(images.filter((i) => i.category === category));
  return sample(members, n, drawSeed(seed, purpose, category));
}

/**
 * A stratified sample: up to `perCategory` images of each category, each category drawn with its
 * own seed, then the whole set shuffled with the seed so categories are interleaved.
 * Used for the validation set and the standalone overview.
 */
export function stratifiedSample<T extends Sampleable>(images: readonly T[], categories: readonly string[], perCategory: number, seed: string | number, purpose: string): T[] {
  const drawn = categories.flatMap((c) => sampleCategory(images, c, perCategory, seed, purpose));
  return sample(drawn, drawn.length, drawSeed(seed, purpose, '\u0000all'));
}

export type SortOrder = 'lowest-first' | 'highest-first';
export const SORT_ORDERS: readonly SortOrder[] = ['lowest-first', 'highest-first'];

/** Images sorted by their category probability (core/confidence.ts; ties by path, so the order is
 * total and stable). */
export function sortByProbability<T extends Sampleable & Scored>(images: readonly T[], order: SortOrder): T[] {
  const sign = order === 'lowest-first' ? 1 : -1;
  const keyed = images.map((image) => ({ image, p: categoryProbability(image) }));
  keyed.sort((a, b) => sign * (a.p - b.p) || (a.image.path < b.image.path ? -1 : a.image.path > b.image.path ? 1 : 0));
  return keyed.map((k) => k.image);
}

export interface PageSlice<T> {
  /** 1-based page number. */
  page: number;
  pages: number;
  /** 0-based index of the first item on this page in the whole list. */
  start: number;
  items: T[];
}

/** Splits a list into pages of `size` (at least one page, possibly empty). */
export function paginate<T>(items: readonly T[], size: number): PageSlice<T>[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`page size must be a positive integer, got ${size}`);
  const pages = Math.max(1, Math.ceil(items.length / size));
  return Array.from({ length: pages }, (_, i) => ({ page: i + 1, pages, start: i * size, items: items.slice(i * size, (i + 1) * size) }));
}
