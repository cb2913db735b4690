// The run diff: which images changed category between two runs of clipscope (`clipscope diff`, the
// report's "Changed since the last build" page). Pure and browser-safe.
//
// Images are matched by sha256 AND path: the same bytes under a new name, or new bytes under the same
// name, count as one image gone and one image new ("only in the old run" / "only in the new run").
// An image is "changed" when its category (the winning category, or Uncertain) differs; its
// probability alone moving is not a change. Category sizes count every image of each run.
// Output is sorted by path (then sha256), so it diffs cleanly itself.

import { comparePaths } from './paths.ts';

/** What the diff needs of one image. */
export interface DiffImage {
  path: string;
  sha256: string;
  category: string;
  /** Percent, the winning choice's probability. */
  probability: number;
}

/** What the diff needs of one run: its dictionary's category order (for the summary) and images. */
export interface DiffSide {
  categories: readonly string[];
  images: readonly DiffImage[];
}

export interface ChangedImage {
  path: string;
  sha256: string;
  oldCategory: string;
  newCategory: string;
  oldProbability: number;
  newProbability: number;
}

export interface CategoryCount {
  category: string;
  before: number;
  after: number;
}

export interface RunDiff {
  /** Images in both runs whose category differs, sorted by path. */
  changed: ChangedImage[];
  /** Images in both runs with the same category. */
  unchanged: number;
  /** Category sizes: the new run's categories in dictionary order, then the old run's others, then
   * any further category (Uncertain) in name order. */
  categories: CategoryCount[];
  onlyOld: { path: string; sha256: string }[];
  onlyNew: { path: string; sha256: string }[];
}

const keyOf = (image: { path: string; sha256: string }): string => `${image.sha256}\u0000${image.path}`;
const byPath = (a: { path: string; sha256: string }, b: { path: string; sha256: string }): number => comparePaths(a.path, b.path) || comparePaths(a.sha256, b.sha256);

/** Compare two runs. Pure. */
export function diffRuns(before: DiffSide, after: DiffSide): RunDiff {
  const old = new Map(before.images.map((image) => [keyOf(image), image]));
  const next = new Map(after.images.map((image) => [keyOf(image), image]));
  const changed: ChangedImage[] = [];
  let unchanged = 0;
  for (const [key, image] of next) {
    const was = old.get(key);
    if (!was) continue;
    if (was.category === image.category) unchanged++;
    else {
      changed.push({
        path: image.path,
        sha256: image.sha256,
        oldCategory: was.category,
        newCategory: image.category,
        oldProbability: was.probability,
        newProbability: image.probability,
      });
    }
  }
  const only = (a: Map<string, DiffImage>, b: Map<string, DiffImage>) =>
    [...a.values()]
      .filter((image) => !b.has(keyOf(image)))
      .map(({ path, sha256 }) => ({ path, sha256 }))
      .sort(byPath);
  return { changed: changed.sort(byPath), unchanged, categories: categoryCounts(before, after), onlyOld: only(old, next), onlyNew: only(next, old) };
}

function categoryCounts(before: DiffSide, after: DiffSide): CategoryCount[] {
  const count = (images: readonly DiffImage[]) => {
    const counts = new Map<string, number>();
    for (const image of images) counts.set(image.category, (counts.get(image.category) ?? 0) + 1);
    return counts;
  };
  const b = count(before.images);
  const a = count(after.images);
  const listed = [...new Set([...after.categories, ...before.categories])];
  const others = [...new Set([...a.keys(), ...b.keys()])].filter((c) => !listed.includes(c)).sort(comparePaths);
  return [...listed, ...others].map((category) => ({ category, before: b.get(category) ?? 0, after: a.get(category) ?? 0 }));
}
