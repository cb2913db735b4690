// Validation statistics from coders' judgements: what a paper reports about how good the
// classification is. Pure: judgement files + the run's results → numbers for the Validation page and
// the `validated` column of the downloadable results.
//
// Definitions (also stated on the page):
// - Judgements are matched to this run's images by sha256, so files from an earlier run count.
//   Where the category predicted when the coder judged differs from today's prediction, the verdict
//   was about another prediction: such judgements are counted apart ("changed since") and flagged.
//   Judgements of images not in this run are counted as such and otherwise ignored.
// - One judgement per coder and image: a coder's latest (by judgedAt) when files overlap.
// - "Skip/unsure" is recorded but is in no statistic.
// - An image's verdict is the majority of its coders' Right/Wrong verdicts; a tie is no verdict.
//   Accuracy = images with majority Right / images with a majority verdict. With one coder it is
//   simply that coder's share of Right.
// - Precision of a category = the same share among images predicted as that category.
// - Intervals are 95 % Wilson score intervals.
// - Confusion matrix: rows the predicted category, columns the coders' category: the prediction when
//   the verdict is Right, the majority correction when Wrong ("none of these"; "not given" when no
//   coder picked one).
// - Agreement (two or more coders): Krippendorff's alpha (nominal) over the Right/Wrong verdicts of
//   all coders, Cohen's kappa for each pair of coders on the images both judged, and Cohen's kappa
//   between the model's category and the coders' majority category.
import type { ImageResult, RunResult } from './types.ts';
import { cohensKappa, krippendorffAlphaNominal, wilson, type Interval } from './stats.ts';
import { coderAnswer, type JudgementFile, type JudgementItem, type Verdict } from './judgements.ts';

/** Column of the confusion matrix for "Wrong" without a correction. */
export const NOT_GIVEN = 'not given';
/** Column label of the "none of these" correction. */
export const NONE_LABEL = 'none of these';

export interface Proportion extends Interval {
  successes: number;
  n: number;
}

export interface CategoryPrecision extends Proportion {
  category: string;
}

export interface CoderSummary {
  coder: string;
  /** Files this coder's judgements came from. */
  files: string[];
  right: number;
  wrong: number;
  skip: number;
  /** The coder's own share of Right among their Right/Wrong verdicts (current predictions). */
  accuracy: Proportion;
}

export interface ConfusionMatrix {
  /** Predicted categories (rows). */
  rows: string[];
  /** Coders' categories (columns): the categories, then "none of these" and "not given" if used. */
  columns: string[];
  /** counts[row][column]. */
  counts: number[][];
}

export interface WrongPrediction {
  /** Index into result.images. */
  index: number;
  sha256: string;
  path: string;
  predicted: string;
  label: string;
  probability: number;
  /** The coders' category (majority correction), NONE_LABEL or NOT_GIVEN. */
  correction: string;
  wrongVotes: number;
  votes: number;
}

export interface ChangedJudgement {
  sha256: string;
  path: string;
  coder: string;
  /** Category predicted when judged. */
  was: string;
  /** Category predicted now. */
  now: string;
  verdict: Verdict;
  correction?: string;
}

export interface PairAgreement {
  a: string;
  b: string;
  /** Images both coders judged Right or Wrong. */
  n: number;
  /** Share of those with the same verdict. */
  observed: number;
  kappa: number;
}

export interface Agreement {
  coders: number;
  alpha: number;
  /** Pairable values (verdicts on images with ≥ 2 verdicts) alpha rests on. */
  alphaValues: number;
  alphaUnits: number;
  pairs: PairAgreement[];
  /** The model's category vs the coders' majority category, on images where the latter is known. */
  modelVsMajority: { n: number; observed: number; kappa: number };
}

/** The consensus on one image, for the `validated` column. */
export interface ImageValidation {
  /** "right" / "wrong": the majority verdict; "tie": as many Right as Wrong. */
  validated: 'right' | 'wrong' | 'tie';
  /** The coders' category (prediction if right, majority correction if wrong), "" if unknown. */
  category: string;
  right: number;
  wrong: number;
}

export interface ValidationReport {
  /** Valid files read. */
  files: number;
  coders: CoderSummary[];
  /** Judgements (after merging each coder's files) by how they relate to this run. */
  judgements: { total: number; current: number; changed: number; notInRun: number; superseded: number };
  /** Images with at least one Right/Wrong verdict on their current prediction. */
  images: number;
  /** Images whose Right and Wrong votes tie (in no accuracy). */
  ties: number;
  /** Judgements of current predictions that are Skip/unsure. */
  skips: number;
  accuracy: Proportion;
  precision: CategoryPrecision[];
  confusion: ConfusionMatrix;
  wrong: WrongPrediction[];
  changed: ChangedJudgement[];
  /** Tally of the changed judgements (counted apart from everything above). */
  changedTally: { right: number; wrong: number; skip: number; images: number };
  /** Present with two or more coders. */
  agreement: Agreement | null;
  /** Consensus by sha256 (images with at least one Right/Wrong vote on the current prediction). */
  bySha256: Record<string, ImageValidation>;
}

export interface ValidationOptions {
  /** How many of the most confident wrong predictions to list. */
  wrongLimit?: number;
}

interface Vote {
  coder: string;
  item: JudgementItem;
}

function proportion(successes: number, n: number): Proportion {
  return { successes, n, ...wilson(successes, n) };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Each coder's judgements, one per image: the latest by judgedAt (the later file wins a tie). */
function mergeByCoder(files: readonly (JudgementFile & { source?: string })[]): { byCoder: Map<string, Map<string, JudgementItem>>; sources: Map<string, string[]>; total: number; superseded: number } {
  const byCoder = new Map<string, Map<string, JudgementItem>>();
  const sources = new Map<string, string[]>();
  let total = 0;
  let superseded = 0;
  files.forEach((file, i) => {
    const coder = file.coder.trim();
    const items = byCoder.get(coder) ?? new Map<string, JudgementItem>();
    byCoder.set(coder, items);
    sources.set(coder, [...(sources.get(coder) ?? []), file.source ?? `file ${i + 1}`]);
    for (const item of file.items) {
      total++;
      const before = items.get(item.sha256);
      if (before) {
        superseded++;
        if (before.judgedAt > item.judgedAt) continue;
      }
      items.set(item.sha256, item);
    }
  });
  return { byCoder, sources, total: total - superseded, superseded };
}

/** The most frequent value (ties: the first in `order`, then by text). */
function mode(values: readonly string[], order: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const rank = (v: string) => {
    const i = order.indexOf(v);
    return i === -1 ? order.length : i;
  };
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || rank(a[0]) - rank(b[0]) || byText(a[0], b[0]))[0]?.[0];
}

/** The column label of a Wrong judgement's answer: its category, NONE_LABEL, or undefined (no answer). */
function answerLabel(item: JudgementItem): string | undefined {
  if (item.verdict !== 'wrong') return undefined;
  const answer = coderAnswer(item);
  return answer === null ? undefined : answer.kind === 'none' ? NONE_LABEL : answer.category;
}

/** Validation statistics of `result` from the judgement files. */
export function validationReport(result: RunResult, files: readonly (JudgementFile & { source?: string })[], opts: ValidationOptions = {}): ValidationReport {
  const wrongLimit = opts.wrongLimit ?? 12;
  const indexBySha = new Map<string, number>();
  result.images.forEach((img, i) => {
    const known = indexBySha.get(img.sha256);
    if (known === undefined || img.path < result.images[known].path) indexBySha.set(img.sha256, i);
  });
  const categoryOrder = result.dictionary.categories.map((c) => c.name);

  const { byCoder, sources, total, superseded } = mergeByCoder(files);
  const coderNames = [...byCoder.keys()].sort(byText);

  // Sort every judgement into current / changed / not in this run.
  const votesBySha = new Map<string, Vote[]>();
  const changed: ChangedJudgement[] = [];
  let notInRun = 0;
  for (const coder of coderNames) {
    for (const item of byCoder.get(coder)!.values()) {
      const index = indexBySha.get(item.sha256);
      if (index === undefined) {
        notInRun++;
        continue;
      }
      const img = result.images[index];
      if (item.predicted !== img.category) {
        changed.push({ sha256: item.sha256, path: img.path, coder, was: item.predicted, now: img.category, verdict: item.verdict, ...(answerLabel(item) !== undefined ? { correction: answerLabel(item) } : {}) });
        continue;
      }
      const votes = votesBySha.get(item.sha256) ?? [];
      votes.push({ coder, item });
      votesBySha.set(item.sha256, votes);
    }
  }
  changed.sort((a, b) => byText(a.path, b.path) || byText(a.coder, b.coder));

  // Consensus per image.
  const bySha256: Record<string, ImageValidation> = {};
  let skips = 0;
  let ties = 0;
  const consensus: { index: number; img: ImageResult; verdict: 'right' | 'wrong'; category: string; right: number; wrong: number }[] = [];
  for (const [sha, votes] of votesBySha) {
    const right = votes.filter((v) => v.item.verdict === 'right').length;
    const wrong = votes.filter((v) => v.item.verdict === 'wrong').length;
    skips += votes.length - right - wrong;
    if (right + wrong === 0) continue;
    const index = indexBySha.get(sha)!;
    const img = result.images[index];
    if (right === wrong) {
      ties++;
      bySha256[sha] = { validated: 'tie', category: '', right, wrong };
      continue;
    }
    const verdict = right > wrong ? 'right' : 'wrong';
    const corrections = votes.map((v) => answerLabel(v.item)).filter((c): c is string => c !== undefined);
    const category = verdict === 'right' ? img.category : (mode(corrections, [...categoryOrder, NONE_LABEL]) ?? NOT_GIVEN);
    consensus.push({ index, img, verdict, category, right, wrong });
    bySha256[sha] = { validated: verdict, category: category === NOT_GIVEN ? '' : category, right, wrong };
  }
  consensus.sort((a, b) => a.index - b.index);

  const accuracy = proportion(consensus.filter((c) => c.verdict === 'right').length, consensus.length);

  // Precision per predicted category: the dictionary's categories, then any other (e.g. Uncertain).
  const predictedNames = [...categoryOrder, ...[...new Set(consensus.map((c) => c.img.category))].filter((c) => !categoryOrder.includes(c)).sort(byText)];
  const precision = predictedNames.map((category) => {
    const of = consensus.filter((c) => c.img.category === category);
    return { category, ...proportion(of.filter((c) => c.verdict === 'right').length, of.length) };
  });

  // Confusion matrix over images with a majority verdict.
  const usedColumns = new Set(consensus.map((c) => c.category));
  const columns = [...predictedNames, ...[...usedColumns].filter((c) => !predictedNames.includes(c) && c !== NONE_LABEL && c !== NOT_GIVEN).sort(byText)];
  if (usedColumns.has(NONE_LABEL)) columns.push(NONE_LABEL);
  if (usedColumns.has(NOT_GIVEN)) columns.push(NOT_GIVEN);
  const counts = predictedNames.map(() => columns.map(() => 0));
  for (const c of consensus) counts[predictedNames.indexOf(c.img.category)][columns.indexOf(c.category)]++;

  const wrong = consensus
    .filter((c) => c.verdict === 'wrong')
    .sort((a, b) => b.img.probability - a.img.probability || byText(a.img.path, b.img.path))
    .slice(0, wrongLimit)
    .map((c) => ({ index: c.index, sha256: c.img.sha256, path: c.img.path, predicted: c.img.category, label: c.img.label, probability: c.img.probability, correction: c.category, wrongVotes: c.wrong, votes: c.right + c.wrong }));

  const coders: CoderSummary[] = coderNames.map((coder) => {
    let right = 0;
    let wrongCount = 0;
    let skip = 0;
    for (const votes of votesBySha.values()) {
      for (const v of votes) {
        if (v.coder !== coder) continue;
        if (v.item.verdict === 'right') right++;
        else if (v.item.verdict === 'wrong') wrongCount++;
        else skip++;
      }
    }
    return { coder, files: sources.get(coder) ?? [], right, wrong: wrongCount, skip, accuracy: proportion(right, right + wrongCount) };
  });

  return {
    files: files.length,
    coders,
    judgements: { total, current: total - changed.length - notInRun, changed: changed.length, notInRun, superseded },
    images: consensus.length + ties,
    ties,
    skips,
    accuracy,
    precision,
    confusion: { rows: predictedNames, columns, counts },
    wrong,
    changed,
    changedTally: {
      right: changed.filter((c) => c.verdict === 'right').length,
      wrong: changed.filter((c) => c.verdict === 'wrong').length,
      skip: changed.filter((c) => c.verdict === 'skip').length,
      images: new Set(changed.map((c) => c.sha256)).size,
    },
    agreement: coderNames.length >= 2 ? agreement(coderNames, votesBySha, consensus, result) : null,
    bySha256,
  };
}

function agreement(
  coderNames: readonly string[],
  votesBySha: ReadonlyMap<string, Vote[]>,
  consensus: readonly { img: ImageResult; category: string }[],
  _result: RunResult,
): Agreement {
  // Verdict per image and coder; Skip is a missing value.
  const verdictOf = (votes: readonly Vote[], coder: string): 'right' | 'wrong' | undefined => {
    const v = votes.find((x) => x.coder === coder)?.item.verdict;
    return v === 'right' || v === 'wrong' ? v : undefined;
  };
  const shas = [...votesBySha.keys()].sort(byText);
  const units = shas.map((sha) => coderNames.map((c) => verdictOf(votesBySha.get(sha)!, c)));
  const alpha = krippendorffAlphaNominal(units);

  const pairs: PairAgreement[] = [];
  for (let i = 0; i < coderNames.length; i++) {
    for (let j = i + 1; j < coderNames.length; j++) {
      const both: [string, string][] = [];
      for (const unit of units) {
        const a = unit[i];
        const b = unit[j];
        if (a && b) both.push([a, b]);
      }
      const k = cohensKappa(both);
      pairs.push({ a: coderNames[i], b: coderNames[j], n: k.n, observed: k.observed, kappa: k.kappa });
    }
  }

  const known = consensus.filter((c) => c.category !== NOT_GIVEN).map((c) => [c.img.category, c.category] as const);
  const m = cohensKappa(known);
  return {
    coders: coderNames.length,
    alpha: alpha.alpha,
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
