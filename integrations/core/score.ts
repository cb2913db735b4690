// Score: from L2-normalised image and phrase embeddings to categories, labels and percentages.
// Pure math, no I/O, browser-safe: the build (engine/score.ts re-exports it) and the report's
// Workbench page (which re-scores in the browser) run this one implementation. Four modes (docs/clip-facts.md, "Scoring"):
//
//   seed      The notebook: softmax over ALL phrases of logitScale × cosine, × 100. The best phrase
//             gives the category; top-k = the k best phrases (they may share a category). The
//             categories map holds each category's summed phrase probabilities.
//   sum       Same phrase probabilities; a category's probability is the sum over its phrases;
//             top-k = the k best categories, each labelled with its best phrase.
//   ensemble  CLIP paper's prompt ensembling: per category the mean of its normalised phrase
//             embeddings, re-normalised; softmax over categories of logitScale × cosine;
//             top-k = categories, labelled with the category's best phrase by cosine.
//   sigmoid   SigLIP's own reading, multi-label: each phrase's probability is
//             sigmoid(logitScale × cosine + logitBias), independent of the other phrases; a
//             category's probability is the largest of its phrases'; top-k = categories, labelled
//             with their best phrase; `labels` = every category at or above minProbability
//             (default SIGMOID_MIN_PROBABILITY), so an image can have several categories, or none
//             (then UNCERTAIN). The bias does not change softmax, so the other modes ignore it.
//
// margin = first minus second probability of the ranked list (percentage points); with only one
// choice it is the first probability. Thresholds put an image into UNCERTAIN when
// probability < minProbability or margin < minMargin, keeping label, probability and top as they are.
//
// Ties: every ranking is stable, the lower index (dictionary order) wins among equal values.
// Precision: dot products and softmax are accumulated in float64.

import { ClipscopeError } from './errors.ts';
import { UNCERTAIN } from './types.ts';
import { SCORING_MODES, type ImageResult, type RankedChoice, type ScoringMode } from './types.ts';

/** What scoring decides for one image: ImageResult without the file facts (path, sha256, size). */
export type ImageScore = Pick<ImageResult, 'category' | 'label' | 'probability' | 'margin' | 'top' | 'categories' | 'labels'>;

export interface ScorePhrase {
  text: string;
  category: string;
  /** Index into `categories`; looked up by name when absent. */
  categoryIndex?: number;
}

export interface ScoreInput {
  /** count × dim, row-major, L2-normalised (the embed stage normalises). */
  imageEmbeds: Float32Array;
  count: number;
  dim: number;
  /** phrases × dim, row-major, L2-normalised, in the order of `phrases`. */
  textEmbeds: Float32Array;
  /** The flat phrase list (dictionary order), each with its category. */
  phrases: readonly ScorePhrase[];
  /** Category names in dictionary order; every one must have at least one phrase. */
  categories: readonly string[];
  mode: ScoringMode;
  /** logits = logitScale × cosine (100 for OpenAI CLIP) + logitBias. */
  logitScale: number;
  /** SigLIP's trained bias (0 for CLIP); only sigmoid scoring depends on it. */
  logitBias?: number;
  /** How many ranked choices to keep (clamped to the number of choices). */
  topK: number;
  /** Percent. Below it → UNCERTAIN. */
  minProbability?: number | null;
  /** Percentage points between first and second. Below it → UNCERTAIN. */
  minMargin?: number | null;
  /** Receives each block's image × phrase cosines (rows start … start + n − 1, P columns), so a
   * caller that needs them too (the Workbench page's phrase ranking) does not compute them twice. */
  onCosines?(start: number, n: number, cosines: Float64Array): void;
}

/** The probability (percent) a category needs in sigmoid scoring when no --min-probability is given:
 * the sigmoid's own decision boundary, logit 0. */
const SIGMOID_MIN_PROBABILITY = 50;

/** The --min-probability a run applies: the one given, else SIGMOID_MIN_PROBABILITY in sigmoid
 * scoring, else none. */
export function minProbabilityFor(mode: ScoringMode, given: number | null | undefined): number | null {
  return given ?? (mode === 'sigmoid' ? SIGMOID_MIN_PROBABILITY : null);
}

/** Images scored per block: bounds the temporary cosine matrix (block × phrases float64). */
const IMAGE_BLOCK = 1024;

// ---------------------------------------------------------------------------------------------
// Primitives

/** Divide each row of a row-major matrix by its L2 norm, in place. A zero row stays zero (no NaN). */
export function l2normalize(rows: Float32Array, dim: number): Float32Array {
  if (!Number.isInteger(dim) || dim <= 0 || rows.length % dim !== 0) {
    throw new ClipscopeError('internal', `l2normalize: length ${rows.length} is not a multiple of dim ${dim}`);
  }
  for (let start = 0; start < rows.length; start += dim) {
    let sq = 0;
    for (let k = start; k < start + dim; k++) sq += rows[k] * rows[k];
    if (sq === 0) continue;
    const inv = 1 / Math.sqrt(sq);
    for (let k = start; k < start + dim; k++) rows[k] *= inv;
  }
  return rows;
}

/**
 * Softmax in float64, subtracting the maximum first so large logits cannot overflow. −Infinity
 * entries get 0. Edge cases (stated so they are not surprises): all −Infinity → uniform (the limit of
 * equal logits); +Infinity entries share all the mass equally; any NaN → all NaN. `out` (of the
 * logits' length, a new array by default) receives the result; it may be `logits` itself.
 */
export function softmax(logits: ArrayLike<number>, out: Float64Array = new Float64Array(logits.length)): Float64Array {
  const n = logits.length;
  if (out.length !== n) throw new ClipscopeError('internal', `softmax: out has ${out.length} values, logits ${n}`);
  if (n === 0) return out;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = logits[i];
    if (Number.isNaN(v)) return out.fill(NaN);
    if (v > max) max = v;
  }
  if (max === -Infinity) return out.fill(1 / n);
  if (max === Infinity) {
    let infinite = 0;
    for (let i = 0; i < n; i++) if (logits[i] === Infinity) infinite++;
    for (let i = 0; i < n; i++) out[i] = logits[i] === Infinity ? 1 / infinite : 0;
    return out;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(logits[i] - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/**
 * Indices of the k largest values, largest first; among equal values the lower index comes first.
 * O(n·k), which beats sorting for the small k used here.
 */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const take = Math.min(k, values.length);
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (best.length === take) {
      // Only a strictly larger value displaces the last kept one: the earlier index wins ties.
      if (take === 0 || !(v > values[best[take - 1]])) continue;
      best.pop();
    }
    // Insert i after the last kept value >= v (shifting the smaller ones down; no splice: this runs
    // for every phrase of every image).
    let pos = best.length;
    best.push(i);
    while (pos > 0 && v > values[best[pos - 1]]) {
      best[pos] = best[pos - 1];
      pos--;
    }
    best[pos] = i;
  }
  return best;
}

/**
 * out[i × bRows + j] = Σ_k a[i × dim + k] × b[j × dim + k] (a × bᵀ) in float64, for rows
 * [aStart, aStart + aCount) of a. Register-blocked 4 × 4: each loaded value is used four times, which
 * is what makes this ~3× faster than the plain triple loop in V8 (measured in the report).
 */
export function matmulTransposed(a: Float32Array, aStart: number, aCount: number, b: Float32Array, bRows: number, dim: number, out: Float64Array = new Float64Array(aCount * bRows)): Float64Array {
  const i4 = aCount - (aCount % 4);
  const j4 = bRows - (bRows % 4);
  for (let i = 0; i < i4; i += 4) {
    const a0 = (aStart + i) * dim;
    const a1 = a0 + dim;
    const a2 = a1 + dim;
    const a3 = a2 + dim;
    for (let j = 0; j < j4; j += 4) {
      const b0 = j * dim;
      const b1 = b0 + dim;
      const b2 = b1 + dim;
      const b3 = b2 + dim;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < dim; k++) {
        const x0 = b[b0 + k], x1 = b[b1 + k], x2 = b[b2 + k], x3 = b[b3 + k];
        const y0 = a[a0 + k], y1 = a[a1 + k], y2 = a[a2 + k], y3 = a[a3 + k];
        s00 += y0 * x0; s01 += y0 * x1; s02 += y0 * x2; s03 += y0 * x3;
        s10 += y1 * x0; s11 += y1 * x1; s12 += y1 * x2; s13 += y1 * x3;
        s20 += y2 * x0; s21 += y2 * x1; s22 += y2 * x2; s23 += y2 * x3;
        s30 += y3 * x0; s31 += y3 * x1; s32 += y3 * x2; s33 += y3 * x3;
      }
      const o0 = i * bRows + j;
      const o1 = o0 + bRows;
      const o2 = o1 + bRows;
      const o3 = o2 + bRows;
      out[o0] = s00; out[o0 + 1] = s01; out[o0 + 2] = s02; out[o0 + 3] = s03;
      out[o1] = s10; out[o1 + 1] = s11; out[o1 + 2] = s12; out[o1 + 3] = s13;
      out[o2] = s20; out[o2 + 1] = s21; out[o2 + 2] = s22; out[o2 + 3] = s23;
      out[o3] = s30; out[o3 + 1] = s31; out[o3 + 2] = s32; out[o3 + 3] = s33;
    }
  }
  // The edges the 4 × 4 blocks did not cover: rows >= i4 (all columns) and columns >= j4.
  for (let i = 0; i < aCount; i++) {
    const jFrom = i < i4 ? j4 : 0;
    const ai = (aStart + i) * dim;
    for (let j = jFrom; j < bRows; j++) {
      const bj = j * dim;
      let s = 0;
      for (let k = 0; k < dim; k++) s += a[ai + k] * b[bj + k];
      out[i * bRows + j] = s;
    }
  }
  return out;
}

/** Prompt ensembling: per category the mean of its (normalised) phrase embeddings, re-normalised. */
export function categoryEmbeddings(textEmbeds: Float32Array, phraseCategory: readonly number[], categoryCount: number, dim: number): Float32Array {
  const sums = new Float64Array(categoryCount * dim);
  const counts = new Float64Array(categoryCount);
  phraseCategory.forEach((c, p) => {
    counts[c]++;
    for (let k = 0; k < dim; k++) sums[c * dim + k] += textEmbeds[p * dim + k];
  });
  const out = new Float32Array(categoryCount * dim);
  for (let c = 0; c < categoryCount; c++) {
    for (let k = 0; k < dim; k++) out[c * dim + k] = counts[c] > 0 ? sums[c * dim + k] / counts[c] : 0;
  }
  return l2normalize(out, dim);
}

// ---------------------------------------------------------------------------------------------
// Scoring

/** Score every image. Returns one ImageScore per image, in input order. */
export function scoreImages(input: ScoreInput): ImageScore[] {
  const { imageEmbeds, count, dim, textEmbeds, phrases, categories, mode } = input;
  const phraseCategory = checkInput(input);
  const P = phrases.length;
  const C = categories.length;
  const ensemble = mode === 'ensemble' ? categoryEmbeddings(textEmbeds, phraseCategory, C, dim) : null;
  const rows = rowScorer(input, phraseCategory);
  const results: ImageScore[] = new Array(count);
  for (let start = 0; start < count; start += IMAGE_BLOCK) {
    const n = Math.min(IMAGE_BLOCK, count - start);
    const cos = matmulTransposed(imageEmbeds, start, n, textEmbeds, P, dim);
    input.onCosines?.(start, n, cos);
    const cosCat = ensemble ? matmulTransposed(imageEmbeds, start, n, ensemble, C, dim) : null;
    for (let i = 0; i < n; i++) results[start + i] = rows(cos, i * P, cosCat, i * C, start + i);
  }
  return results;
}

/** What scoreCosines needs: ScoreInput with the cosines in place of the embeddings. */
export interface CosineScoreInput extends Omit<ScoreInput, 'imageEmbeds' | 'dim' | 'textEmbeds' | 'onCosines'> {
  /** count × phrases image × phrase cosines, row-major, in the order of `phrases`. */
  cosines: ArrayLike<number>;
  /** Ensemble scoring only: count × categories cosines of each image with each category's
   * embedding (categoryEmbeddings of the phrase embeddings), in the order of `categories`. */
  categoryCosines?: ArrayLike<number>;
  /** Seed, sum and sigmoid scoring: receives each image's phrase probabilities (percent, in the order
   * of `phrases`; the array is reused for the next image), so a caller that ranks phrases too (the
   * Workbench page) does not compute them twice. Ensemble scoring has none and does not call it. */
  onPhraseProbabilities?(image: number, probabilities: Float64Array): void;
}

/**
 * Score every image from cosines computed beforehand: the same decisions as scoreImages, which
 * computes the cosines (matmulTransposed) and then runs this very per-image code. Given the float64
 * cosines scoreImages computes, the result is identical; the Workbench page keeps them and re-scores an
 * edited dictionary without recomputing the cosines of phrases it already had.
 */
export function scoreCosines(input: CosineScoreInput): ImageScore[] {
  const { cosines, categoryCosines, count, phrases, categories, mode } = input;
  const phraseCategory = checkScoring(input, 'scoreCosines');
  const P = phrases.length;
  const C = categories.length;
  const fail = (what: string) => new ClipscopeError('internal', `scoreCosines: ${what}`);
  if (cosines.length !== count * P) throw fail(`cosines has ${cosines.length} values, expected count ${count} × ${P} phrases`);
  const cosCat = mode === 'ensemble' ? categoryCosines : null;
  if (cosCat && cosCat.length !== count * C) throw fail(`categoryCosines has ${cosCat.length} values, expected count ${count} × ${C} categories`);
  if (mode === 'ensemble' && !cosCat) throw fail('ensemble scoring needs categoryCosines');
  const rows = rowScorer(input, phraseCategory, input.onPhraseProbabilities);
  const results: ImageScore[] = new Array(count);
  for (let i = 0; i < count; i++) results[i] = rows(cosines, i * P, cosCat ?? null, i * C, i);
  return results;
}

/** The per-image scoring shared by scoreImages and scoreCosines: from one image's phrase cosines
 * (cos[row … row + P − 1]) and, in ensemble scoring, its category cosines (cosCat[catRow …]). */
function rowScorer(input: Omit<ScoreInput, 'imageEmbeds' | 'dim' | 'textEmbeds' | 'count'>, phraseCategory: readonly number[], onPhraseProbabilities?: (image: number, probabilities: Float64Array) => void): (cos: ArrayLike<number>, row: number, cosCat: ArrayLike<number> | null, catRow: number, image: number) => ImageScore {
  const { phrases, categories, mode, logitScale } = input;
  const P = phrases.length;
  const C = categories.length;
  const sigmoid = mode === 'sigmoid';
  const minProbability = minProbabilityFor(mode, input.minProbability);
  const logitBias = input.logitBias ?? 0;
  const minMargin = input.minMargin ?? null;

  // Each category's phrases, for "the category's best phrase".
  const members: number[][] = categories.map(() => []);
  phraseCategory.forEach((c, p) => {
    members[c].push(p);
  });

  const k = Math.min(input.topK, mode === 'seed' ? P : C);
  const protoKey = categories.includes('__proto__');
  const catProb = new Float64Array(C);
  const logits = new Float64Array(mode === 'ensemble' ? C : P);
  // Softmax's output, reused from image to image (a typed array per image costs more than its exps).
  const shares = new Float64Array(logits.length);

  return (cos, row, cosCat, catRow, image) => {
    let ranked: RankedChoice[];
    let ranking: number[];
    let probs: Float64Array;
    if (mode === 'ensemble') {
      for (let c = 0; c < C; c++) logits[c] = logitScale * cosCat![catRow + c];
      probs = toPercent(softmax(logits, shares));
      catProb.set(probs);
      ranking = topIndices(catProb, Math.max(k, 2));
      // The label is the category's best phrase by cosine (the ensemble has no phrase probabilities).
      ranked = ranking.map((c) => ({ category: categories[c], label: phrases[bestMember(cos, row, members[c])].text, probability: catProb[c] }));
    } else if (sigmoid) {
      probs = logits;
      for (let p = 0; p < P; p++) probs[p] = 100 / (1 + Math.exp(-(logitScale * cos[row + p] + logitBias)));
      onPhraseProbabilities?.(image, probs);
      catProb.fill(-Infinity);
      for (let p = 0; p < P; p++) if (probs[p] > catProb[phraseCategory[p]]) catProb[phraseCategory[p]] = probs[p];
      ranking = topIndices(catProb, Math.max(k, 2));
      ranked = ranking.map((c) => ({ category: categories[c], label: phrases[bestMember(probs, 0, members[c])].text, probability: catProb[c] }));
    } else {
      for (let p = 0; p < P; p++) logits[p] = logitScale * cos[row + p];
      probs = toPercent(softmax(logits, shares));
      onPhraseProbabilities?.(image, probs);
      catProb.fill(0);
      for (let p = 0; p < P; p++) catProb[phraseCategory[p]] += probs[p];
      if (mode === 'seed') {
        ranking = topIndices(probs, Math.max(k, 2));
        ranked = ranking.map((p) => ({ category: categories[phraseCategory[p]], label: phrases[p].text, probability: probs[p] }));
      } else {
        ranking = topIndices(catProb, Math.max(k, 2));
        ranked = ranking.map((c) => ({ category: categories[c], label: phrases[bestMember(probs, 0, members[c])].text, probability: catProb[c] }));
      }
    }
    const first = ranked[0];
    const margin = ranked.length > 1 ? first.probability - ranked[1].probability : first.probability;
    const unsure = (minProbability !== null && first.probability < minProbability) || (minMargin !== null && margin < minMargin);
    let byCategory: Record<string, number>;
    if (protoKey) {
      // fromEntries defines own properties, so a category named "__proto__" stays a plain key.
      byCategory = Object.fromEntries(categories.map((name, c) => [name, catProb[c]]));
    } else {
      // Plain assignment (4× faster than fromEntries, which counts at 10,000 images on the Workbench page).
      byCategory = {};
      for (let c = 0; c < C; c++) byCategory[categories[c]] = catProb[c];
    }
    const result: ImageScore = { category: unsure ? UNCERTAIN : first.category, label: first.label, probability: first.probability, margin, top: ranked.slice(0, k), categories: byCategory };
    if (sigmoid) result.labels = topIndices(catProb, C).filter((c) => catProb[c] >= minProbability!).map((c) => categories[c]);
    return result;
  };
}

function toPercent(p: Float64Array): Float64Array {
  for (let i = 0; i < p.length; i++) p[i] *= 100;
  return p;
}

/** The member with the highest value in values[offset + member]; the first one among equals. */
function bestMember(values: ArrayLike<number>, offset: number, members: number[]): number {
  let best = members[0];
  for (const m of members) if (values[offset + m] > values[offset + best]) best = m;
  return best;
}

/** Check sizes, options and names; returns each phrase's category index. */
function checkInput(input: ScoreInput): number[] {
  const { imageEmbeds, count, dim, textEmbeds, phrases } = input;
  const fail = (what: string) => new ClipscopeError('internal', `scoreImages: ${what}`);
  if (!Number.isInteger(dim) || dim <= 0) throw fail(`dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(count) || count < 0 || imageEmbeds.length !== count * dim) throw fail(`imageEmbeds has ${imageEmbeds.length} values, expected count ${count} × dim ${dim}`);
  if (textEmbeds.length !== phrases.length * dim) throw fail(`textEmbeds has ${textEmbeds.length} values, expected ${phrases.length} phrases × dim ${dim}`);
  return checkScoring(input, 'scoreImages');
}

/** Check the options and names (what scoreImages and scoreCosines share); returns each phrase's category index. */
function checkScoring(input: Omit<ScoreInput, 'imageEmbeds' | 'dim' | 'textEmbeds'>, caller: string): number[] {
  const { count, phrases, categories, topK, logitScale, mode } = input;
  const fail = (what: string) => new ClipscopeError('internal', `${caller}: ${what}`);
  if (!Number.isInteger(count) || count < 0) throw fail(`count must be a whole number >= 0, got ${count}`);
  if (phrases.length === 0 || categories.length === 0) throw fail('no phrases or no categories');
  if (!(SCORING_MODES as readonly string[]).includes(mode)) throw new ClipscopeError('options', `Unknown scoring mode ${JSON.stringify(mode)}`, `Use ${SCORING_MODES.join(', ')}.`);
  if (input.logitBias !== undefined && !Number.isFinite(input.logitBias)) throw new ClipscopeError('options', `Expected a finite logit bias but received ${input.logitBias}`);
  if (!Number.isInteger(topK) || topK < 1) throw new ClipscopeError('options', `Expected a whole number >= 1 for top-k but received ${topK}`, 'Use --top-k 1 (the seed default) or more.');
  if (!Number.isFinite(logitScale) || logitScale <= 0) throw new ClipscopeError('options', `Expected a positive logit scale but received ${logitScale}`, 'OpenAI CLIP models use 100.');
  for (const [name, v] of [['minProbability', input.minProbability], ['minMargin', input.minMargin]] as const) {
    if (v !== null && v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= 100)) {
      throw new ClipscopeError('options', `Expected a percentage between 0 and 100 for ${name} but received ${v}`);
    }
  }
  const index = new Map(categories.map((name, i) => [name, i]));
  const used = new Array<boolean>(categories.length).fill(false);
  const result = phrases.map((p) => {
    const c = p.categoryIndex ?? index.get(p.category);
    if (c === undefined || categories[c] !== p.category) throw fail(`phrase ${JSON.stringify(p.text)} names category ${JSON.stringify(p.category)}, which is not in the category list at that index`);
    used[c] = true;
    return c;
  });
  const empty = used.indexOf(false);
  if (empty >= 0) throw fail(`category ${JSON.stringify(categories[empty])} has no phrases`);
  return result;
}
