// The Workbench page's logic, pure and browser-safe: develop the dictionary inside the published
// report. The build publishes the run's embeddings (integrations/clipscope/workbench-data.ts); the
// page parses the edited dictionary with the one parser (dictionary.ts), re-scores every image with
// the build's own scoring (score.ts) and shows what changed and how it measures against the coders.
//
// Rules (stated on the page as well):
// - Baseline: before any edit the page's result must equal the build's: the same category for every
//   image except exact ties (the two best choices equal, where the dictionary's order decided), and
//   the probability within BASELINE_TOLERANCE points.
// - Near miss of a phrase: an image whose second-best phrase (by phrase probability as the run's
//   scoring computes it: the softmax share over all phrases; in sigmoid scoring the phrase's own
//   sigmoid) is that phrase, belongs to another category than the image's, and is within
//   NEAR_MISS_POINTS of the best phrase.
// - Near duplicates: two phrases of different categories whose text embeddings have cosine above
//   NEAR_DUPLICATE_COSINE: the model can hardly tell them apart, so the category between them is
//   close to a coin toss.
// - Accuracy against the coders: each judged image's decided category, as the build's validation
//   statistics decide it (validation-report.ts: majority, adjudicators first); a prediction is right
//   when it is that category. Images judged Wrong without a correction are known only to be "not the
//   build's category": they count (as wrong) while the edited dictionary keeps that category and are
//   left out of both figures when it moves them. Interval: Wilson 95 %, as the Validation page's
//   sample accuracy.
// - Holdout: a seeded random part of the judged images (sorted by sha256, shuffled with the seed,
//   the first round(fraction × n) held out); tuning on the rest and reading the held-out figure is
//   the honest way to use a validation sample while editing.
import { flattenPhrases, type FlatPhrase } from './dictionary.ts';
import { categoryEmbeddings, matmulTransposed, scoreCosines, softmax, type ImageScore } from './score.ts';
import { ClipscopeError } from './errors.ts';
import { shuffled } from './random.ts';
import { wilson, type Interval } from './stats.ts';
import type { DictionaryCategory, ScoringMode } from './types.ts';

export const WORKBENCH_SCHEMA = 'clipscope.workbench/v1';
/** Site folder of the published data (the text tower's assets go under text-tower/ in it). */
export const WORKBENCH_DIR = '_clipscope/workbench';
export const WORKBENCH_FILE = `${WORKBENCH_DIR}/workbench.json`;
/** Points (percent) the page's baseline probability may differ from the build's. */
export const BASELINE_TOLERANCE = 0.05;
/** Points between an image's best phrase and a runner-up that make the runner-up a near miss. */
export const NEAR_MISS_POINTS = 5;
/** Text-embedding cosine above which two phrases of different categories are flagged. */
export const NEAR_DUPLICATE_COSINE = 0.95;
/** The held-out share of the judged images when holding out. */
export const HOLDOUT_FRACTION = 0.5;

/** The decision of the coders on one image (from the build's validation statistics). */
export interface WorkbenchTruth {
  verdict: 'right' | 'wrong';
  /** The decided category ("none of these" included); null: judged Wrong without a correction. */
  category: string | null;
}

export interface WorkbenchImage {
  sha256: string;
  path: string;
  /** Site-relative thumbnail URL (no leading slash), or null when the build made none. */
  thumb: string | null;
  /** The build's result. */
  category: string;
  label: string;
  probability: number;
  truth: WorkbenchTruth | null;
}

export interface WorkbenchRun {
  model: string;
  scoring: ScoringMode;
  logitScale: number;
  logitBias: number;
  topK: number;
  minProbability: number | null;
  minMargin: number | null;
  dictionaryHash: string;
}

/** `_clipscope/workbench/workbench.json`. */
export interface WorkbenchData {
  schema: typeof WORKBENCH_SCHEMA;
  run: WorkbenchRun;
  dim: number;
  /** The dictionary file as the build read it: its name, format and text. */
  dictionary: { source: string; format: 'yaml' | 'json'; text: string };
  /** The build's flat phrase list (dictionary order): row p of the phrase embeddings. */
  phrases: { text: string; category: string }[];
  /** Little-endian float32 files (site-relative): the image embeddings in parts of whole rows (in
   * the order of `images`), the phrase embeddings in one. */
  embeddings: { dtype: 'float32'; images: { file: string; rows: number }[]; phrases: string };
  images: WorkbenchImage[];
  /** The seed of the holdout draw (the site's seed). */
  seed: string;
  /** Total bytes of the JSON and the embedding files. */
  bytes: number;
}

// ---------------------------------------------------------------------------------------------
// Embeddings of the edited dictionary

/**
 * The phrase embeddings for `phrases` from the rows known (the build's, and any the text tower
 * added), in phrase order; `missing` lists the distinct texts without one (they need the text tower).
 * Texts match exactly (the build embeds the text as written).
 */
export function phraseEmbeddings(phrases: readonly string[], known: ReadonlyMap<string, Float32Array>, dim: number): { embeds: Float32Array; missing: string[] } {
  const embeds = new Float32Array(phrases.length * dim);
  const missing: string[] = [];
  phrases.forEach((text, p) => {
    const row = known.get(text);
    if (row) embeds.set(row, p * dim);
    else if (!missing.includes(text)) missing.push(text);
  });
  return { embeds, missing };
}

/** Rows of a row-major matrix keyed by text (later duplicates do not replace earlier ones). */
export function rowsByText(texts: readonly string[], matrix: Float32Array, dim: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  texts.forEach((t, p) => {
    if (!out.has(t)) out.set(t, matrix.slice(p * dim, (p + 1) * dim));
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Re-scoring

export interface Rescored {
  scores: ImageScore[];
  /** Per image: its best and second-best phrase (flat index) and their phrase probabilities (percent). */
  best: Int32Array;
  second: Int32Array;
  bestProbability: Float64Array;
  secondProbability: Float64Array;
}

export interface RescoreInput {
  images: Float32Array;
  count: number;
  dim: number;
  categories: readonly Pick<DictionaryCategory, 'name' | 'phrases'>[];
  /** Phrase embeddings (L2-normalised) in flat dictionary order. */
  textEmbeds: Float32Array;
  run: WorkbenchRun;
  /** The cosines kept from earlier re-scores of these images (a fresh cache computes them all). */
  cosines?: CosineCache;
}

/**
 * The image × phrase cosines kept between edits, one float64 column (one value per image) per phrase
 * text, and in ensemble scoring per category embedding (keyed by its phrase texts in order). An edit
 * computes the columns of new texts only: a removed phrase's column is dropped, a moved or reordered
 * phrase keeps its own. The columns are the values matmulTransposed gives for the whole matrix (each
 * cosine is the same float64 sum over the same dimensions in the same order), so a re-score from the
 * cache is identical to the build's scoring from the embeddings, not merely close.
 * A text must always stand for one embedding (the build's, or the text tower's for a new text).
 */
export class CosineCache {
  private readonly phraseColumns = new Map<string, Float64Array>();
  private readonly categoryColumns = new Map<string, Float64Array>();
  /** Columns computed so far (phrase and category ones): what the cache saved is visible in tests. */
  computed = 0;
  readonly images: Float32Array;
  readonly count: number;
  readonly dim: number;

  constructor(images: Float32Array, count: number, dim: number) {
    this.images = images;
    this.count = count;
    this.dim = dim;
  }

  /** count × keys.length cosines (row-major) of the images with `rows` (keys.length × dim), computing
   * only the columns whose key is not kept yet. */
  private matrix(columns: Map<string, Float64Array>, keys: readonly string[], rows: Float32Array): Float64Array {
    const { images, count, dim } = this;
    const missing: number[] = [];
    const seen = new Set<string>();
    keys.forEach((key, j) => {
      if (!columns.has(key) && !seen.has(key)) {
        seen.add(key);
        missing.push(j);
      }
    });
    if (missing.length > 0) {
      const m = missing.length;
      const block = new Float32Array(m * dim);
      missing.forEach((j, r) => {
        block.set(rows.subarray(j * dim, (j + 1) * dim), r * dim);
      });
      const cos = matmulTransposed(images, 0, count, block, m, dim);
      missing.forEach((j, r) => {
        const col = new Float64Array(count);
        for (let i = 0; i < count; i++) col[i] = cos[i * m + r];
        columns.set(keys[j], col);
      });
      this.computed += m;
    }
    const K = keys.length;
    const cols = keys.map((key) => columns.get(key)!);
    const out = new Float64Array(count * K);
    // Row by row: the writes run along the matrix, the reads along each column.
    for (let i = 0, o = 0; i < count; i++) for (let j = 0; j < K; j++, o++) out[o] = cols[j][i];
    return out;
  }

  /** count × texts.length image × phrase cosines; textEmbeds: the phrases' embeddings in that order. */
  phrases(texts: readonly string[], textEmbeds: Float32Array): Float64Array {
    return this.matrix(this.phraseColumns, texts, textEmbeds);
  }

  /** count × categories cosines of each image with each category's ensemble embedding. */
  ensemble(flat: readonly FlatPhrase[], categories: readonly string[], textEmbeds: Float32Array): Float64Array {
    const index = new Map(categories.map((c, i) => [c, i]));
    const phraseCategory = flat.map((p) => index.get(p.category)!);
    const members: string[][] = categories.map(() => []);
    flat.forEach((p, i) => {
      members[phraseCategory[i]].push(p.text);
    });
    const keys = members.map((m) => JSON.stringify(m));
    return this.matrix(this.categoryColumns, keys, categoryEmbeddings(textEmbeds, phraseCategory, categories.length, this.dim));
  }

  /** Drop the columns of texts not in `texts` (and the category columns not made only of them). */
  keepOnly(texts: Iterable<string>): void {
    const keep = new Set(texts);
    for (const t of [...this.phraseColumns.keys()]) if (!keep.has(t)) this.phraseColumns.delete(t);
    for (const k of [...this.categoryColumns.keys()]) if (!(JSON.parse(k) as string[]).every((t) => keep.has(t))) this.categoryColumns.delete(k);
  }
}

/** Score every image as the build does (score.ts, the run's mode, scale, bias, thresholds), and rank
 * each image's phrases for wins and near misses. */
export function rescore(input: RescoreInput): Rescored {
  const { images, count, dim, textEmbeds, run } = input;
  const cache = input.cosines ?? new CosineCache(images, count, dim);
  if (cache.images !== images || cache.count !== count || cache.dim !== dim) throw new ClipscopeError('internal', 'rescore: the cosine cache belongs to other image embeddings');
  const flat = flattenPhrases({ categories: input.categories });
  const categoryNames = input.categories.map((c) => c.name);
  const P = flat.length;
  const cos = cache.phrases(
    flat.map((p) => p.text),
    textEmbeds,
  );
  // The phrase ranking: each image's best and second-best phrase by phrase probability (scoring
  // hands them over; ensemble scoring has none, so the softmax share over all phrases is computed here).
  const best = new Int32Array(count).fill(-1);
  const second = new Int32Array(count).fill(-1);
  const bestProbability = new Float64Array(count);
  const secondProbability = new Float64Array(count);
  const rank = (i: number, probs: Float64Array) => {
    let b = -1;
    let s = -1;
    for (let p = 0; p < P; p++) {
      if (b < 0 || probs[p] > probs[b]) {
        s = b;
        b = p;
      } else if (s < 0 || probs[p] > probs[s]) s = p;
    }
    best[i] = b;
    second[i] = s;
    bestProbability[i] = probs[b];
    secondProbability[i] = s >= 0 ? probs[s] : 0;
  };
  const ensemble = run.scoring === 'ensemble';
  const scores = scoreCosines({
    cosines: cos,
    categoryCosines: ensemble ? cache.ensemble(flat, categoryNames, textEmbeds) : undefined,
    count,
    phrases: flat,
    categories: categoryNames,
    mode: run.scoring,
    logitScale: run.logitScale,
    logitBias: run.logitBias,
    topK: run.topK,
    minProbability: run.minProbability,
    minMargin: run.minMargin,
    onPhraseProbabilities: rank,
  });
  if (ensemble) {
    const logits = new Float64Array(P);
    for (let i = 0; i < count; i++) {
      for (let p = 0; p < P; p++) logits[p] = run.logitScale * cos[i * P + p];
      const probs = softmax(logits);
      for (let p = 0; p < P; p++) probs[p] *= 100;
      rank(i, probs);
    }
  }
  return { scores, best, second, bestProbability, secondProbability };
}

// ---------------------------------------------------------------------------------------------
// Baseline: the page against the build

export interface BaselineCheck {
  total: number;
  matches: number;
  /** Images whose two best choices are exactly equal (the dictionary's order decided). */
  ties: number;
  mismatches: { index: number; build: string; now: string; buildProbability: number; nowProbability: number }[];
}

/** The page's scores against the build's (rule: see the file header). */
export function baselineCheck(build: readonly Pick<WorkbenchImage, 'category' | 'probability'>[], now: readonly ImageScore[], tolerance = BASELINE_TOLERANCE): BaselineCheck {
  let matches = 0;
  let ties = 0;
  const mismatches: BaselineCheck['mismatches'] = [];
  build.forEach((b, i) => {
    const s = now[i];
    // margin = first − second of the ranked choices (computed before top is cut to top-k).
    const tie = s.margin === 0;
    if (tie) ties++;
    const close = Math.abs(s.probability - b.probability) <= tolerance;
    if (close && (tie || s.category === b.category)) matches++;
    else mismatches.push({ index: i, build: b.category, now: s.category, buildProbability: b.probability, nowProbability: s.probability });
  });
  return { total: build.length, matches, ties, mismatches };
}

// ---------------------------------------------------------------------------------------------
// What changed

export interface CategoryChanges {
  /** Every category of either side: the `order` given, then others (Uncertain) by name. */
  sizes: { category: string; before: number; after: number }[];
  /** Indices of the images whose category changed, in image order. */
  changed: number[];
}

export function compareCategories(before: readonly string[], after: readonly string[], order: readonly string[]): CategoryChanges {
  const count = (list: readonly string[]) => {
    const m = new Map<string, number>();
    for (const c of list) m.set(c, (m.get(c) ?? 0) + 1);
    return m;
  };
  const b = count(before);
  const a = count(after);
  const extra = [...new Set([...b.keys(), ...a.keys()])].filter((c) => !order.includes(c)).sort();
  const sizes = [...order, ...extra].map((category) => ({ category, before: b.get(category) ?? 0, after: a.get(category) ?? 0 }));
  const changed: number[] = [];
  before.forEach((c, i) => {
    if (after[i] !== c) changed.push(i);
  });
  return { sizes, changed };
}

export interface PhraseWins {
  text: string;
  category: string;
  /** Images whose winning phrase (the result's label) it is. */
  wins: number[];
  /** Images it nearly won (rule: see the file header), closest first. */
  nearMisses: number[];
}

/** Per phrase of `flat`: the images it wins and its near misses. */
export function phraseWins(flat: readonly FlatPhrase[], rescored: Rescored, nearMissPoints = NEAR_MISS_POINTS): PhraseWins[] {
  const out: PhraseWins[] = flat.map((p) => ({ text: p.text, category: p.category, wins: [], nearMisses: [] }));
  const byText = new Map<string, number>();
  flat.forEach((p, i) => {
    if (!byText.has(p.text)) byText.set(p.text, i);
  });
  const gaps = new Map<number, number>();
  rescored.scores.forEach((s, i) => {
    const w = byText.get(s.label);
    if (w !== undefined) out[w].wins.push(i);
    const second = rescored.second[i];
    if (second < 0) return;
    const gap = rescored.bestProbability[i] - rescored.secondProbability[i];
    if (gap < nearMissPoints && flat[second].category !== s.category && flat[second].text !== s.label) {
      out[second].nearMisses.push(i);
      gaps.set(i, gap);
    }
  });
  for (const p of out) p.nearMisses.sort((x, y) => gaps.get(x)! - gaps.get(y)! || x - y);
  return out;
}

export interface NearDuplicate {
  a: FlatPhrase;
  b: FlatPhrase;
  cosine: number;
}

/** Pairs of phrases of different categories whose embeddings' cosine exceeds `threshold`, most
 * similar first. Embeddings are L2-normalised, so the dot product is the cosine. */
export function nearDuplicates(flat: readonly FlatPhrase[], textEmbeds: Float32Array, dim: number, threshold = NEAR_DUPLICATE_COSINE): NearDuplicate[] {
  const P = flat.length;
  const cos = matmulTransposed(textEmbeds, 0, P, textEmbeds, P, dim);
  const out: NearDuplicate[] = [];
  for (let i = 0; i < P; i++) {
    for (let j = i + 1; j < P; j++) {
      if (flat[i].category !== flat[j].category && cos[i * P + j] > threshold) out.push({ a: flat[i], b: flat[j], cosine: cos[i * P + j] });
    }
  }
  return out.sort((x, y) => y.cosine - x.cosine);
}

// ---------------------------------------------------------------------------------------------
// Measuring against the coders

/** The held-out sha256s: a seeded `fraction` of the judged images (see the file header). */
export function holdoutSplit(sha256s: readonly string[], fraction: number, seed: string | number): Set<string> {
  const sorted = [...new Set(sha256s)].sort();
  return new Set(shuffled(sorted, `workbench-holdout:${seed}`).slice(0, Math.round(sorted.length * fraction)));
}

export interface Accuracy extends Interval {
  right: number;
  n: number;
  /** Judged Wrong without a correction, moved by the edit: truth unknown, left out. */
  unknown: number;
}

/**
 * Accuracy of the build's and the edited predictions on the judged images among `indices` (rule:
 * see the file header), both on the same images, each with its Wilson 95 % interval.
 */
export function accuracyAgainstCoders(
  images: readonly Pick<WorkbenchImage, 'category' | 'truth'>[],
  edited: readonly string[],
  indices: Iterable<number>,
): { build: Accuracy; edited: Accuracy } {
  let n = 0;
  let rightBuild = 0;
  let rightEdited = 0;
  let unknown = 0;
  for (const i of indices) {
    const truth = images[i].truth;
    if (!truth) continue;
    const build = images[i].category;
    const now = edited[i];
    if (truth.category === null) {
      // Known only: not the build's category.
      if (now !== build) {
        unknown++;
        continue;
      }
      n++;
      continue;
    }
    n++;
    if (build === truth.category) rightBuild++;
    if (now === truth.category) rightEdited++;
  }
  return { build: { right: rightBuild, n, unknown, ...wilson(rightBuild, n) }, edited: { right: rightEdited, n, unknown, ...wilson(rightEdited, n) } };
}
