// The Explore page's index: one compact JSON file (`_clipscope/explore.json`) with what the browser
// filters on and shows for every image — category, category probability, category margin, second
// category, groups, post days, best phrase, the sparse list of category probabilities for the large view, and
// the thumbnail names (the shape and the filters: core/explore.ts). Columns (one array per field, image i at index i) rather than records: the
// names are written once, and numbers are rounded to what the page shows (one decimal).
import type { ImageResult } from '../../core/types.ts';
import type { ExploreIndex } from '../../core/explore.ts';
import { categoryMargin, categoryProbability, rankedCategories, secondCategory } from '../../core/confidence.ts';
import { formatPercent } from '../../core/format.ts';
import { postsOf, thumbOf, type ReportData } from './report.ts';

export const EXPLORE_FILE = '_clipscope/explore.json';

/** Category probabilities below this (percent) are left out of an image's list (they show as 0.0 %). */
const SPARSE_BELOW = 0.05;

const one = (v: number) => Math.round(v * 10) / 10;

export function exploreIndex(report: ReportData): ExploreIndex {
  const { result } = report;
  const categories = report.categories.map((c) => c.name);
  const catIndex = new Map(categories.map((c, i) => [c, i]));
  const groups: string[] = [];
  const groupIndex = new Map<string, number>();
  const phrases: string[] = [];
  const phraseIndex = new Map<string, number>();
  const intern = (list: string[], index: Map<string, number>, value: string) => {
    let i = index.get(value);
    if (i === undefined) {
      i = list.length;
      list.push(value);
      index.set(value, i);
    }
    return i;
  };

  const out: ExploreIndex = {
    schema: 'clipscope.explore/v1',
    scoring: result.run.scoring,
    categories,
    groups,
    phrases,
    path: [],
    category: [],
    p: [],
    margin: [],
    second: [],
    secondP: [],
    group: [],
    dates: [],
    label: [],
    labelP: [],
    probs: [],
    thumb: [],
    large: [],
    largeW: [],
    largeH: [],
  };
  result.images.forEach((image: ImageResult) => {
    const second = secondCategory(image);
    out.path.push(image.path);
    out.category.push(catIndex.get(image.category) ?? -1);
    out.p.push(one(categoryProbability(image)));
    out.margin.push(one(categoryMargin(image)));
    out.second.push(second ? (catIndex.get(second.category) ?? -1) : -1);
    out.secondP.push(second ? one(second.probability) : 0);
    const posts = postsOf(result, image);
    const own = [...new Set(posts.map((p) => p.group).filter((g): g is string => g !== undefined))];
    out.group.push(own.map((g) => intern(groups, groupIndex, g)));
    out.dates.push([...new Set(posts.map((p) => p.date).filter((d): d is string => d !== undefined))].sort());
    out.label.push(intern(phrases, phraseIndex, image.label));
    out.labelP.push(one(image.probability));
    out.probs.push(
      rankedCategories(image)
        .filter((c, k) => k === 0 || c.probability >= SPARSE_BELOW)
        .map((c) => `${catIndex.get(c.category) ?? -1}=${formatPercent(c.probability).replace(' %', '')}`)
        .join(';'),
    );
    const small = thumbOf(report, 'list', image) ?? thumbOf(report, 'sample', image);
    const large = thumbOf(report, 'large', image);
    out.thumb.push(small?.src ?? null);
    out.large.push(large?.src ?? small?.src ?? null);
    out.largeW.push(large?.width ?? small?.width ?? 0);
    out.largeH.push(large?.height ?? small?.height ?? 0);
  });
  return out;
}
