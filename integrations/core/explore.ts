// The Explore page's index shape and its filters, shared by the build (integrations/clipscope/report/
// explore.ts writes the index) and the browser (src/scripts/explore.ts filters it). Browser-safe, pure.
import type { ScoringMode } from './types.ts';
import { csvCell } from './format.ts';

export interface ExploreIndex {
  schema: 'clipscope.explore/v1';
  scoring: ScoringMode;
  /** Category names: the dictionary's, then Uncertain (and any other the results name). */
  categories: string[];
  groups: string[];
  phrases: string[];
  /** Image paths (relative to the image root, as the results name them). */
  path: string[];
  /** Index into `categories`. */
  category: number[];
  /** Category probability (core/confidence.ts), percent, one decimal. */
  p: number[];
  /** Points to the second category (negative when the best phrase's category is not the most probable). */
  margin: number[];
  /** Index into `categories`, -1 when there is none. */
  second: number[];
  secondP: number[];
  /** Indices into `groups` (posts-table groups or the folder group). */
  group: number[][];
  /** Index into `phrases`: the winning phrase. */
  label: number[];
  /** The winning phrase's share (seed scoring), percent, one decimal. */
  labelP: number[];
  /** Category probabilities for the large view: "index=percent;…", most probable first, tiny ones left out. */
  probs: string[];
  /** Site-relative path of the small thumbnail (list, else sample), or null. */
  thumb: (string | null)[];
  /** Site-relative path of the large view, its width and height (0 when none). */
  large: (string | null)[];
  largeW: number[];
  largeH: number[];
}

/** The filters of the Explore page, as the browser applies them (shared so they are tested here). */
export interface ExploreFilter {
  category: number | null;
  second: number | null;
  group: number | null;
  pMin: number;
  pMax: number;
  marginMin: number;
  marginMax: number;
}

/** Indices of the images that pass every filter, in path order. Ranges include both ends. */
export function applyFilter(index: ExploreIndex, f: ExploreFilter): number[] {
  const out: number[] = [];
  for (let i = 0; i < index.path.length; i++) {
    if (f.category !== null && index.category[i] !== f.category) continue;
    if (f.second !== null && index.second[i] !== f.second) continue;
    if (f.group !== null && !index.group[i].includes(f.group)) continue;
    if (index.p[i] < f.pMin || index.p[i] > f.pMax) continue;
    if (index.margin[i] < f.marginMin || index.margin[i] > f.marginMax) continue;
    out.push(i);
  }
  return out;
}

/** The filtered list as CSV (csvCell), the columns the page shows. */
export function filteredCsv(index: ExploreIndex, rows: readonly number[]): string {
  const name = (i: number) => (i >= 0 ? index.categories[i] : '');
  const lines = [['Image', 'Category', 'Category probability', 'Margin', 'Second category', 'Second probability', 'Groups', 'Phrase'].join(',')];
  for (const i of rows) {
    lines.push(
      [index.path[i], name(index.category[i]), index.p[i], index.margin[i], name(index.second[i]), index.secondP[i], index.group[i].map((g) => index.groups[g]).join('; '), index.phrases[index.label[i]]]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
