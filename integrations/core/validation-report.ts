// Validation statistics from coders' judgements: what a paper reports about how good the
// classification is. Pure: judgement files + the run's results → numbers for the Validation page,
// the `validated` column of the downloadable results and downloads/validation.json.
//
// Definitions (also stated on the page and in the generated Methods text):
// - Judgements are matched to this run's images by sha256, so files from an earlier run count.
//   Where the category predicted when the coder judged differs from today's prediction, the verdict
//   was about another prediction: such judgements are counted apart ("changed since") and flagged.
//   Judgements of images not in this run are counted as such and otherwise ignored.
// - A correction (or, in blind coding, a pick) that is not one of the run's categories is reported
//   (file, coder, image) and the judgement is left out of every figure.
// - One judgement per coder and image: a coder's latest (by judgedAt) when files overlap.
// - "Skip/unsure" is recorded but is in no statistic.
// - Coding mode: "shown" files (the coder saw the prediction and said Right/Wrong) and "blind" files
//   (the coder picked a category without seeing it) are never mixed in one figure: the figures use
//   the mode most coder files have (shown on a tie), and the other mode's files are listed as left out.
// - An image's decision: shown — the majority of its coders' Right/Wrong verdicts, the category the
//   prediction when Right, the majority correction when Wrong; blind — the most picked category
//   ("none of these" a value), Right when it is the prediction. A tie is no decision: such images are
//   counted as ties and are in no accuracy until adjudicated. An adjudicator's file (role
//   "adjudicator") decides every image it judged, tie or not.
// - Sample accuracy = images decided Right / images decided (the judged sample, in which small
//   categories are over-represented). Collection accuracy = the stratified estimate over predicted
//   categories, weighted by their size in the run (see collectionAccuracy below).
// - Precision of a category = share of Right among decided images predicted as it (Wilson 95 %).
//   Recall = estimated images of the category the model found, weighted by strata (see recallOf).
// - Confusion matrix: rows the predicted category, columns the decided category ("none of these";
//   "not given" when Wrong without a correction).
// - Agreement (two or more coders): Krippendorff's alpha (nominal) over the Right/Wrong verdicts
//   (shown) or the picked categories (blind), with a seeded bootstrap interval; Cohen's kappa for
//   each pair of coders on the images both judged; Cohen's kappa between the model's category and
//   the decided category.
import type { ImageResult, RunResult } from './types.ts';
import { UNCERTAIN } from './types.ts';
import { indexBySha256 } from './paths.ts';
import {
  bootstrapAlphaNominal,
  cohensKappa,
  krippendorffAlphaNominal,
  readAlpha,
  sampleSizeForHalfWidth,
  stratifiedProportion,
  stratifiedRatio,
  wilson,
  type AlphaReading,
  type Interval,
} from './stats.ts';
import { coderAnswer, type CoderRole, type CodingMode, type JudgementFile, type JudgementItem, type Verdict } from './judgements.ts';
import { categoryProbability } from './confidence.ts';

/** Column of the confusion matrix for "Wrong" without a correction. */
export const NOT_GIVEN = 'not given';
/** Column label of the "none of these" correction. */
export const NONE_LABEL = 'none of these';

/** How the collection accuracy's interval is computed (stated on the page and in validation.json). */
export const COLLECTION_METHOD =
  'stratified estimate Σ (N_c/N)·p̂_c over predicted categories; 95 % normal-approximation interval with finite-population correction, Var = Σ W_c² (1 − n_c/N_c) p̂_c(1 − p̂_c)/(n_c − 1) (Cochran 1977, ch. 5; Lohr, ch. 3); a category with one decided image uses the variance bound 1/4';
/** How the recall intervals are computed. */
export const RECALL_METHOD =
  'combined ratio estimator over predicted categories (strata), 95 % normal-approximation interval from the linearisation (delta-method) variance with finite-population correction (Cochran 1977, ch. 6)';
/** How the alpha interval is computed. */
export const ALPHA_BOOTSTRAP = { samples: 2000, seed: 'clipscope-alpha', method: 'bootstrap over units (images resampled with replacement), 2000 seeded replicates, percentile interval; a variant of Hayes & Krippendorff (2007), who resample pairable values' };
/** Half-widths (fractions) the sample-size planner reports. */
export const PLAN_HALF_WIDTHS = [0.1, 0.05] as const;

export interface Proportion extends Interval {
  successes: number;
  n: number;
}

interface CategoryPrecision extends Proportion {
  category: string;
}

interface CoderSummary {
  coder: string;
  role: CoderRole;
  /** Files this coder's judgements came from. */
  files: string[];
  right: number;
  wrong: number;
  skip: number;
  /** The coder's own share of Right among their Right/Wrong verdicts (current predictions). */
  accuracy: Proportion;
}

interface ConfusionMatrix {
  /** Predicted categories (rows). */
  rows: string[];
  /** Coders' categories (columns): the categories, then "none of these" and "not given" if used. */
  columns: string[];
  /** counts[row][column]. */
  counts: number[][];
}

interface WrongPrediction {
  /** Index into result.images. */
  index: number;
  sha256: string;
  path: string;
  predicted: string;
  label: string;
  probability: number;
  /** The decided category, NONE_LABEL or NOT_GIVEN. */
  correction: string;
  wrongVotes: number;
  votes: number;
  adjudicated: boolean;
}

interface ChangedJudgement {
  sha256: string;
  path: string;
  coder: string;
  role: CoderRole;
  /** Category predicted when judged. */
  was: string;
  /** Category predicted now. */
  now: string;
  verdict: Verdict;
  correction?: string;
}

/** A judgement whose correction (or blind pick) is not one of the run's categories: in no figure. */
interface UnknownCorrection {
  file: string;
  coder: string;
  role: CoderRole;
  sha256: string;
  path: string;
  correction: string;
}

/** A coder file left out because its coding mode is not the one the figures use. */
interface LeftOutFile {
  file: string;
  coder: string;
  mode: CodingMode;
}

interface PairAgreement {
  a: string;
  b: string;
  /** Images both coders judged (Right/Wrong, or a category when blind). */
  n: number;
  /** Share of those with the same value. */
  observed: number;
  kappa: number;
}

export interface Agreement {
  coders: number;
  /** What alpha and kappa compare: Right/Wrong verdicts (shown) or picked categories (blind). */
  over: 'verdicts' | 'categories';
  alpha: number;
  /** Bootstrap 95 % interval of alpha (ALPHA_BOOTSTRAP); NaN when it cannot be computed. */
  alphaLow: number;
  alphaHigh: number;
  /** Krippendorff's reading: ≥ .800 reliable, .667–.800 tentative, below unreliable. */
  alphaReading: AlphaReading | null;
  /** Pairable values (on images with ≥ 2 values) alpha rests on. */
  alphaValues: number;
  alphaUnits: number;
  pairs: PairAgreement[];
  /** The model's category vs the decided category, on images where the latter is known. */
  modelVsMajority: { n: number; observed: number; kappa: number };
}

/** The decision on one image, for the `validated` column. */
interface ImageValidation {
  /** "right" / "wrong": the decision; "tie": coders tied and no adjudicator decided. */
  validated: 'right' | 'wrong' | 'tie';
  /** The decided category (prediction if right, correction if wrong), "" if unknown. */
  category: string;
  right: number;
  wrong: number;
  /** Decided by an adjudicator's file. */
  adjudicated: boolean;
}

interface CollectionAccuracy extends Interval {
  variance: number;
  se: number;
  method: string;
  /** N: images of the run in the categories that have at least one decided image. */
  population: number;
  /** Predicted categories left out (no decided image), with their image counts. */
  excluded: { category: string; population: number }[];
}

interface CategoryFigures {
  category: string;
  /** Distinct images the run predicted as the category (N_c). */
  population: number;
  /** Decided images predicted as the category (n_c). */
  judged: number;
  precision: Proportion;
  /** Null for categories no coder can pick (Uncertain) or when no decided image was placed in it. */
  recall: (Interval & { se: number }) | null;
  f1: number | null;
  /** More decided images needed for a precision interval of ± halfWidth (planning figure). */
  plan: { halfWidth: number; total: number; more: number }[];
}

export interface ValidationReport {
  /** Valid files read. */
  files: number;
  /** The coding mode the figures use. */
  mode: CodingMode;
  /** Coder files of the other mode, in no figure. */
  leftOut: LeftOutFile[];
  coders: CoderSummary[];
  /** Judgements (after merging each coder's files) by how they relate to this run. */
  judgements: { total: number; current: number; changed: number; notInRun: number; superseded: number; unknown: number };
  /** Images with at least one Right/Wrong (or picked category) on their current prediction. */
  images: number;
  /** Images whose coders tie and no adjudicator decided: in no accuracy. */
  ties: number;
  /** Images decided by an adjudicator (of which `adjudicatedTies` were coder ties). */
  adjudicated: number;
  adjudicatedTies: number;
  /** Judgements of current predictions that are Skip/unsure. */
  skips: number;
  /** Sample accuracy: share of Right among decided images (Wilson 95 %). */
  accuracy: Proportion;
  /** Collection accuracy: the stratified estimate; null without decided images. */
  collection: CollectionAccuracy | null;
  precision: CategoryPrecision[];
  categories: CategoryFigures[];
  confusion: ConfusionMatrix;
  wrong: WrongPrediction[];
  changed: ChangedJudgement[];
  /** Tally of the changed judgements (counted apart from everything above). */
  changedTally: { right: number; wrong: number; skip: number; images: number };
  unknown: UnknownCorrection[];
  /** Present with two or more coders. */
  agreement: Agreement | null;
  /** Decision by sha256 (images with at least one vote on the current prediction). */
  bySha256: Record<string, ImageValidation>;
}

interface ValidationOptions {
  /** How many of the most confident wrong predictions to list. */
  wrongLimit?: number;
}

type SourcedFile = JudgementFile & { source?: string };

interface Vote {
  coder: string;
  item: JudgementItem;
}

interface Decision {
  index: number;
  img: ImageResult;
  verdict: 'right' | 'wrong';
  /** Decided category, NONE_LABEL or NOT_GIVEN. */
  category: string;
  right: number;
  wrong: number;
  adjudicated: boolean;
}

function proportion(successes: number, n: number): Proportion {
  return { successes, n, ...wilson(successes, n) };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Each person's judgements, one per image: the latest by judgedAt (the later file wins a tie). */
function mergeByCoder(files: readonly SourcedFile[]): {
  byCoder: Map<string, Map<string, { item: JudgementItem; source: string }>>;
  sources: Map<string, string[]>;
  total: number;
  superseded: number;
} {
  const byCoder = new Map<string, Map<string, { item: JudgementItem; source: string }>>();
  const sources = new Map<string, string[]>();
  let total = 0;
  let superseded = 0;
  for (const { file, source } of files.map((file, i) => ({ file, source: file.source ?? `file ${i + 1}` }))) {
    const coder = file.coder.trim();
    const items = byCoder.get(coder) ?? new Map<string, { item: JudgementItem; source: string }>();
    byCoder.set(coder, items);
    sources.set(coder, [...(sources.get(coder) ?? []), source]);
    for (const item of file.items) {
      total++;
      const before = items.get(item.sha256);
      if (before) {
        superseded++;
        if (before.item.judgedAt > item.judgedAt) continue;
      }
      items.set(item.sha256, { item, source });
    }
  }
  return { byCoder, sources, total: total - superseded, superseded };
}

/** Values by count, most frequent first (ties: the first in `order`, then by text). */
function ranked(values: readonly string[], order: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const rank = (v: string) => {
    const i = order.indexOf(v);
    return i === -1 ? order.length : i;
  };
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || rank(a[0]) - rank(b[0]) || byText(a[0], b[0]));
}

/** The answer label of a judgement: its category, NONE_LABEL, or undefined (none). */
function answerLabel(item: JudgementItem): string | undefined {
  const answer = coderAnswer(item);
  return answer === null ? undefined : answer.kind === 'none' ? NONE_LABEL : answer.category;
}

/** The correction label of a Wrong judgement (undefined otherwise or without one). */
function correctionLabel(item: JudgementItem): string | undefined {
  return item.verdict === 'wrong' ? answerLabel(item) : undefined;
}

type Outcome = { kind: 'none' } | { kind: 'tie'; right: number; wrong: number } | { kind: 'decided'; verdict: 'right' | 'wrong'; category: string; right: number; wrong: number };

/**
 * What a set of votes on one image decides. `byVerdict` (shown coding, and adjudicators): the
 * majority of Right/Wrong, the category the prediction or the majority correction. Otherwise
 * (blind): the most picked answer, Right when it is the prediction.
 */
function decide(votes: readonly Vote[], img: ImageResult, byVerdict: boolean, order: readonly string[]): Outcome {
  const right = votes.filter((v) => v.item.verdict === 'right').length;
  const wrong = votes.filter((v) => v.item.verdict === 'wrong').length;
  if (byVerdict) {
    if (right + wrong === 0) return { kind: 'none' };
    if (right === wrong) return { kind: 'tie', right, wrong };
    const verdict = right > wrong ? 'right' : 'wrong';
    const corrections = votes.map((v) => correctionLabel(v.item)).filter((c): c is string => c !== undefined);
    const category = verdict === 'right' ? img.category : (ranked(corrections, order)[0]?.[0] ?? NOT_GIVEN);
    return { kind: 'decided', verdict, category, right, wrong };
  }
  const answers = votes.map((v) => answerLabel(v.item)).filter((c): c is string => c !== undefined);
  if (answers.length === 0) return { kind: 'none' };
  const top = ranked(answers, order);
  if (top.length > 1 && top[0][1] === top[1][1]) return { kind: 'tie', right, wrong };
  const category = top[0][0];
  return { kind: 'decided', verdict: category === img.category ? 'right' : 'wrong', category, right, wrong };
}

/** Validation statistics of `result` from the judgement files. */
export function validationReport(result: RunResult, files: readonly SourcedFile[], opts: ValidationOptions = {}): ValidationReport {
  const wrongLimit = opts.wrongLimit ?? 12;
  const indexBySha = indexBySha256(result.images);
  const categoryOrder = result.dictionary.categories.map((c) => c.name);
  /** What a coder can answer: the run's categories (Uncertain is no category a coder picks). */
  const pickable = new Set(categoryOrder.filter((c) => c !== UNCERTAIN));
  const answerOrder = [...categoryOrder, NONE_LABEL];

  // Coding mode: coder files of one mode only in the figures; adjudicators decide in either.
  const sourced = files.map((f, i) => ({ ...f, source: f.source ?? `file ${i + 1}` }));
  const coderFiles = sourced.filter((f) => f.role !== 'adjudicator');
  const blindFiles = coderFiles.filter((f) => f.mode === 'blind').length;
  const mode: CodingMode = blindFiles > coderFiles.length - blindFiles ? 'blind' : 'shown';
  const leftOut = coderFiles.filter((f) => f.mode !== mode).map((f) => ({ file: f.source, coder: f.coder.trim(), mode: f.mode }));
  const used = coderFiles.filter((f) => f.mode === mode);
  const coderMerge = mergeByCoder(used);
  const adjudicatorMerge = mergeByCoder(sourced.filter((f) => f.role === 'adjudicator'));
  const coderNames = [...coderMerge.byCoder.keys()].sort(byText);
  const adjudicatorNames = [...adjudicatorMerge.byCoder.keys()].sort(byText);

  // Sort every judgement into current / changed / unknown correction / not in this run.
  const changed: ChangedJudgement[] = [];
  const unknown: UnknownCorrection[] = [];
  let notInRun = 0;
  const sortVotes = (merge: typeof coderMerge, names: readonly string[], role: CoderRole): Map<string, Vote[]> => {
    const votesBySha = new Map<string, Vote[]>();
    for (const coder of names) {
      for (const { item, source } of merge.byCoder.get(coder)!.values()) {
        const index = indexBySha.get(item.sha256);
        if (index === undefined) {
          notInRun++;
          continue;
        }
        const img = result.images[index];
        const answer = coderAnswer(item);
        if (answer?.kind === 'category' && !pickable.has(answer.category) && !(item.verdict === 'right' && answer.category === item.predicted)) {
          unknown.push({ file: source, coder, role, sha256: item.sha256, path: img.path, correction: answer.category });
          continue;
        }
        if (item.predicted !== img.category) {
          const correction = correctionLabel(item);
          changed.push({ sha256: item.sha256, path: img.path, coder, role, was: item.predicted, now: img.category, verdict: item.verdict, ...(correction !== undefined ? { correction } : {}) });
          continue;
        }
        const votes = votesBySha.get(item.sha256) ?? [];
        votes.push({ coder, item });
        votesBySha.set(item.sha256, votes);
      }
    }
    return votesBySha;
  };
  const votesBySha = sortVotes(coderMerge, coderNames, 'coder');
  const adjudicationBySha = sortVotes(adjudicatorMerge, adjudicatorNames, 'adjudicator');
  changed.sort((a, b) => byText(a.path, b.path) || byText(a.coder, b.coder));
  unknown.sort((a, b) => byText(a.file, b.file) || byText(a.path, b.path) || byText(a.coder, b.coder));

  // The decision per image: an adjudicator's where there is one, else the coders'.
  const bySha256: Record<string, ImageValidation> = {};
  let skips = 0;
  let ties = 0;
  let adjudicated = 0;
  let adjudicatedTies = 0;
  let judgedImages = 0;
  const decisions: Decision[] = [];
  for (const sha of [...new Set([...votesBySha.keys(), ...adjudicationBySha.keys()])].sort(byText)) {
    const index = indexBySha.get(sha)!;
    const img = result.images[index];
    const votes = votesBySha.get(sha) ?? [];
    skips += votes.filter((v) => v.item.verdict === 'skip').length;
    const coders = decide(votes, img, mode === 'shown', answerOrder);
    const adjudication = decide(adjudicationBySha.get(sha) ?? [], img, true, answerOrder);
    if (coders.kind !== 'none' || adjudication.kind === 'decided') judgedImages++;
    const right = coders.kind === 'none' ? 0 : coders.right;
    const wrong = coders.kind === 'none' ? 0 : coders.wrong;
    if (adjudication.kind === 'decided') {
      adjudicated++;
      if (coders.kind === 'tie') adjudicatedTies++;
      decisions.push({ index, img, verdict: adjudication.verdict, category: adjudication.category, right, wrong, adjudicated: true });
    } else if (coders.kind === 'decided') {
      decisions.push({ index, img, verdict: coders.verdict, category: coders.category, right, wrong, adjudicated: false });
    } else if (coders.kind === 'tie') {
      ties++;
      bySha256[sha] = { validated: 'tie', category: '', right, wrong, adjudicated: false };
      continue;
    } else continue;
    const d = decisions[decisions.length - 1];
    bySha256[sha] = { validated: d.verdict, category: d.category === NOT_GIVEN ? '' : d.category, right, wrong, adjudicated: d.adjudicated };
  }
  decisions.sort((a, b) => a.index - b.index);

  const accuracy = proportion(decisions.filter((c) => c.verdict === 'right').length, decisions.length);

  // Per predicted category: the dictionary's categories, then any other (e.g. Uncertain).
  const populationOf = new Map<string, Set<string>>();
  for (const img of result.images) {
    const set = populationOf.get(img.category) ?? new Set<string>();
    set.add(img.sha256);
    populationOf.set(img.category, set);
  }
  const predictedNames = [
    ...categoryOrder,
    ...[...new Set([...populationOf.keys(), ...decisions.map((c) => c.img.category)])].filter((c) => !categoryOrder.includes(c)).sort(byText),
  ];
  const population = (c: string) => populationOf.get(c)?.size ?? 0;
  const decidedIn = (c: string) => decisions.filter((d) => d.img.category === c);
  const precision = predictedNames.map((category) => {
    const of = decidedIn(category);
    return { category, ...proportion(of.filter((c) => c.verdict === 'right').length, of.length) };
  });

  // Collection accuracy: strata = predicted categories with at least one decided image.
  const strata = predictedNames.map((c) => ({ category: c, N: population(c), n: decidedIn(c).length, successes: decidedIn(c).filter((d) => d.verdict === 'right').length }));
  const judgedStrata = strata.filter((s) => s.n > 0);
  const collection: CollectionAccuracy | null =
    judgedStrata.length === 0
      ? null
      : {
          ...stratifiedProportion(judgedStrata),
          method: COLLECTION_METHOD,
          population: judgedStrata.reduce((a, s) => a + s.N, 0),
          excluded: strata.filter((s) => s.n === 0 && s.N > 0).map((s) => ({ category: s.category, population: s.N })),
        };

  const categories: CategoryFigures[] = predictedNames.map((category, i) => {
    const p = precision[i];
    const recall = pickable.has(category) ? recallOf(category, predictedNames, population, decisions) : null;
    const f1 = recall && p.n > 0 && p.estimate + recall.estimate > 0 ? (2 * p.estimate * recall.estimate) / (p.estimate + recall.estimate) : null;
    // Planning value: the Agresti–Coull adjusted share (x + 2)/(n + 4), so a category with all
    // Right (or none yet) still asks for a sensible number.
    const planP = (p.successes + 2) / (p.n + 4);
    const N = population(category);
    const plan = PLAN_HALF_WIDTHS.map((halfWidth) => {
      const total = sampleSizeForHalfWidth(planP, halfWidth, N);
      return { halfWidth, total, more: Math.max(0, total - p.n) };
    });
    return { category, population: N, judged: p.n, precision: p, recall, f1, plan };
  });

  // Confusion matrix over decided images.
  const usedColumns = new Set(decisions.map((c) => c.category));
  const columns = [...predictedNames.filter((c) => pickable.has(c) || usedColumns.has(c))];
  if (usedColumns.has(NONE_LABEL)) columns.push(NONE_LABEL);
  if (usedColumns.has(NOT_GIVEN)) columns.push(NOT_GIVEN);
  const counts = predictedNames.map(() => columns.map(() => 0));
  for (const c of decisions) counts[predictedNames.indexOf(c.img.category)][columns.indexOf(c.category)]++;
  const rowsUsed = predictedNames.map((c, r) => pickable.has(c) || counts[r].some((n) => n > 0));

  const wrong = decisions
    .filter((c) => c.verdict === 'wrong')
    .sort((a, b) => categoryProbability(b.img) - categoryProbability(a.img) || byText(a.img.path, b.img.path))
    .slice(0, wrongLimit)
    .map((c) => ({ index: c.index, sha256: c.img.sha256, path: c.img.path, predicted: c.img.category, label: c.img.label, probability: categoryProbability(c.img), correction: c.category, wrongVotes: c.wrong, votes: c.right + c.wrong, adjudicated: c.adjudicated }));

  const summarise = (names: readonly string[], byImage: ReadonlyMap<string, Vote[]>, sources: ReadonlyMap<string, string[]>, role: CoderRole): CoderSummary[] =>
    names.map((coder) => {
      let right = 0;
      let wrongCount = 0;
      let skip = 0;
      for (const votes of byImage.values()) {
        for (const v of votes) {
          if (v.coder !== coder) continue;
          if (v.item.verdict === 'right') right++;
          else if (v.item.verdict === 'wrong') wrongCount++;
          else skip++;
        }
      }
      return { coder, role, files: sources.get(coder) ?? [], right, wrong: wrongCount, skip, accuracy: proportion(right, right + wrongCount) };
    });

  const total = coderMerge.total + adjudicatorMerge.total;
  return {
    files: files.length,
    mode,
    leftOut,
    coders: [...summarise(coderNames, votesBySha, coderMerge.sources, 'coder'), ...summarise(adjudicatorNames, adjudicationBySha, adjudicatorMerge.sources, 'adjudicator')],
    judgements: {
      total,
      current: total - changed.length - notInRun - unknown.length,
      changed: changed.length,
      notInRun,
      superseded: coderMerge.superseded + adjudicatorMerge.superseded,
      unknown: unknown.length,
    },
    images: judgedImages,
    ties,
    adjudicated,
    adjudicatedTies,
    skips,
    accuracy,
    collection,
    precision,
    categories,
    confusion: { rows: predictedNames.filter((_, r) => rowsUsed[r]), columns, counts: counts.filter((_, r) => rowsUsed[r]) },
    wrong,
    changed,
    changedTally: {
      right: changed.filter((c) => c.verdict === 'right').length,
      wrong: changed.filter((c) => c.verdict === 'wrong').length,
      skip: changed.filter((c) => c.verdict === 'skip').length,
      images: new Set(changed.map((c) => c.sha256)).size,
    },
    unknown,
    agreement: coderNames.length >= 2 ? agreement(coderNames, votesBySha, decisions, mode) : null,
    bySha256,
  };
}

/**
 * Recall of `category`: the images of it the model found, over the estimated images of it in the
 * collection. Strata are the predicted categories with decided images whose category is known
 * (Wrong without a correction is left out here); in stratum h, x = 1 when the decided category is
 * `category`, y = 1 when, in addition, h is `category` (the model found it). R̂ = Σ N_h ȳ_h / Σ N_h x̄_h:
 * the estimated count of the category in stratum h is N_h times the share of h's decided images
 * placed in it. Interval: stratifiedRatio (linearisation). Images in strata without decided images
 * (Uncertain, unjudged categories) are not covered. Null when no decided image was placed in it.
 */
function recallOf(category: string, strataNames: readonly string[], population: (c: string) => number, decisions: readonly Decision[]): (Interval & { se: number }) | null {
  const strata = strataNames
    .map((h) => ({
      N: population(h),
      pairs: decisions
        .filter((d) => d.img.category === h && d.category !== NOT_GIVEN)
        .map((d) => [d.category === category && h === category ? 1 : 0, d.category === category ? 1 : 0] as const),
    }))
    .filter((s) => s.pairs.length > 0);
  if (!strata.some((s) => s.pairs.some(([, x]) => x === 1))) return null;
  const r = stratifiedRatio(strata);
  return { estimate: r.estimate, low: r.low, high: r.high, se: r.se };
}

function agreement(coderNames: readonly string[], votesBySha: ReadonlyMap<string, Vote[]>, decisions: readonly Decision[], mode: CodingMode): Agreement {
  // Per image and coder: the verdict (shown) or the picked category (blind); Skip is missing.
  const voteOf = (votes: readonly Vote[], coder: string): string | undefined => {
    const item = votes.find((x) => x.coder === coder)?.item;
    if (!item) return undefined;
    if (mode === 'blind') return answerLabel(item);
    return item.verdict === 'right' || item.verdict === 'wrong' ? item.verdict : undefined;
  };
  const shas = [...votesBySha.keys()].sort(byText);
  const units = shas.map((sha) => coderNames.map((c) => voteOf(votesBySha.get(sha)!, c)));
  const alpha = krippendorffAlphaNominal(units);
  const boot = bootstrapAlphaNominal(units, { samples: ALPHA_BOOTSTRAP.samples, seed: ALPHA_BOOTSTRAP.seed });

  const pairs: PairAgreement[] = [];
  for (let i = 0; i < coderNames.length; i++) {
    for (let j = i + 1; j < coderNames.length; j++) {
      const both: [string, string][] = [];
      for (const unit of units) {
        const a = unit[i];
        const b = unit[j];
        if (a !== undefined && b !== undefined) both.push([a, b]);
      }
      const k = cohensKappa(both);
      pairs.push({ a: coderNames[i], b: coderNames[j], n: k.n, observed: k.observed, kappa: k.kappa });
    }
  }

  const known = decisions.filter((c) => c.category !== NOT_GIVEN).map((c) => [c.img.category, c.category] as const);
  const m = cohensKappa(known);
  return {
    coders: coderNames.length,
    over: mode === 'blind' ? 'categories' : 'verdicts',
    alpha: alpha.alpha,
    alphaLow: boot.low,
    alphaHigh: boot.high,
    alphaReading: readAlpha(alpha.alpha),
    alphaValues: alpha.pairableValues,
    alphaUnits: alpha.units,
    pairs,
    modelVsMajority: { n: m.n, observed: m.observed, kappa: m.kappa },
  };
}

/** The two columns merged into the downloadable results, by sha256 ("" where not validated). */
export function validatedColumns(report: Pick<ValidationReport, 'bySha256'>, sha256: string): { validated: string; validatedCategory: string } {
  const v = Object.hasOwn(report.bySha256, sha256) ? report.bySha256[sha256] : undefined;
  return { validated: v?.validated ?? '', validatedCategory: v?.category ?? '' };
}
