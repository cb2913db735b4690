// Validation statistics that content-analysis papers report: Wilson score intervals for
// proportions (accuracy, precision), Cohen's kappa for a pair of coders, and Krippendorff's alpha
// (nominal) for any number of coders with missing judgements. Pure functions, usable at build time
// and in the browser (the validation widget shows a running accuracy with its interval).
import { createRandom } from './random.ts';

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

/**
 * Wilson score interval for `successes` out of `n` (no continuity correction; Newcombe 1998,
 * method 3). With n = 0 there is nothing to estimate: NaN estimate, [0, 1] interval.
 */
export function wilson(successes: number, n: number, z = Z95): Interval {
  if (!Number.isFinite(n) || n < 0 || successes < 0 || successes > n) {
    throw new RangeError(`wilson: need 0 ≤ successes ≤ n, got ${successes} of ${n}`);
  }
  if (n === 0) return { estimate: Number.NaN, low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Clamp away rounding noise at the edges (p = 0 or 1 give exact 0 or 1 bounds).
  return { estimate: p, low: successes === 0 ? 0 : Math.max(0, centre - half), high: successes === n ? 1 : Math.min(1, centre + half) };
}

/**
 * Cohen's kappa for two coders who judged the same items. `pairs` holds their two labels per item;
 * labels are compared with ===. Returns NaN when chance agreement is 1 (one label used throughout).
 */
export function cohensKappa<T>(pairs: readonly (readonly [T, T])[]): { kappa: number; observed: number; expected: number; n: number } {
  const n = pairs.length;
  if (n === 0) return { kappa: Number.NaN, observed: Number.NaN, expected: Number.NaN, n };
  const a = new Map<T, number>();
  const b = new Map<T, number>();
  let agree = 0;
  for (const [x, y] of pairs) {
    if (x === y) agree++;
    a.set(x, (a.get(x) ?? 0) + 1);
    b.set(y, (b.get(y) ?? 0) + 1);
  }
  const observed = agree / n;
  let expected = 0;
  for (const [label, count] of a) expected += (count / n) * ((b.get(label) ?? 0) / n);
  const kappa = expected === 1 ? Number.NaN : (observed - expected) / (1 - expected);
  return { kappa, observed, expected, n };
}

/**
 * Krippendorff's alpha for nominal data. `units` holds, per unit (image), the values the coders
 * gave it; missing judgements are simply absent (or null/undefined). Units with fewer than two
 * values are not pairable and are ignored, as in Krippendorff (2011), "Computing Krippendorff's
 * Alpha-Reliability". Returns NaN when there is no pairable unit or no disagreement is possible
 * (every pairable value the same).
 */
export function krippendorffAlphaNominal<T>(units: readonly (readonly (T | null | undefined)[])[]): { alpha: number; pairableValues: number; units: number } {
  // Coincidence matrix o[c][k] = Σ_u (number of c–k pairs in u) / (m_u − 1).
  const coincidences = new Map<T, Map<T, number>>();
  let total = 0;
  let pairableUnits = 0;
  for (const unit of units) {
    const values = unit.filter((v): v is T => v !== null && v !== undefined);
    const m = values.length;
    if (m < 2) continue;
    pairableUnits++;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i === j) continue;
        const row = coincidences.get(values[i]) ?? new Map<T, number>();
        row.set(values[j], (row.get(values[j]) ?? 0) + 1 / (m - 1));
        coincidences.set(values[i], row);
      }
    }
    total += m;
  }
  if (total === 0) return { alpha: Number.NaN, pairableValues: 0, units: 0 };
  // Marginals n_c and observed/expected disagreement for the nominal metric (δ = 0 iff c = k).
  const marginal = new Map<T, number>();
  let observedAgreement = 0;
  for (const [c, row] of coincidences) {
    let sum = 0;
    for (const [k, v] of row) {
      sum += v;
      if (k === c) observedAgreement += v;
    }
    marginal.set(c, sum);
  }
  const n = total;
  const observedDisagreement = (n - observedAgreement) / n;
  let sumSquares = 0;
  for (const v of marginal.values()) sumSquares += v * v;
  const expectedDisagreement = (n * n - sumSquares) / (n * (n - 1));
  const alpha = expectedDisagreement === 0 ? Number.NaN : 1 - observedDisagreement / expectedDisagreement;
  return { alpha, pairableValues: n, units: pairableUnits };
}

// ---------------------------------------------------------------------------------------------
// Stratified samples: the validation set draws up to k images per predicted category, so small
// categories are over-represented and the sample's share of Right is not the collection's.

/** One stratum of a stratified simple random sample (without replacement). */
interface StratumSample {
  /** Units in the stratum (the population, e.g. images predicted as the category). */
  N: number;
  /** Units sampled and observed. */
  n: number;
}

interface StratifiedEstimate extends Interval {
  /** Estimated variance of the estimate. */
  variance: number;
  /** Standard error (√variance). */
  se: number;
}

/**
 * Within-stratum variance term (1 − n_h/N_h) · s²_h / n_h, with s²_h the sample variance (divisor
 * n_h − 1). With n_h = 1, s²_h cannot be estimated from the sample: it is replaced by 1/4, the
 * largest variance a variable with a range of 1 (a 0/1 indicator, or d below) can have — a
 * conservative choice, stated with the figures. A stratum observed completely (n_h = N_h)
 * contributes nothing.
 */
function stratumTerm(N: number, n: number, s2: number): number {
  const fpc = 1 - n / N;
  if (fpc <= 0) return 0;
  return (fpc * (n < 2 ? 0.25 : s2)) / n;
}

/**
 * Stratified estimate of a population proportion: p̂_st = Σ W_h p̂_h with W_h = N_h / N, and its
 * variance with finite-population correction, V̂ = Σ W_h² (1 − n_h/N_h) p̂_h(1 − p̂_h) / (n_h − 1)
 * (Cochran 1977, Sampling Techniques, 3rd ed., ch. 5; Lohr, Sampling: Design and Analysis, ch. 3;
 * Scheaffer, Mendenhall, Ott & Gerow, Elementary Survey Sampling, ch. 5). 95 % interval: normal approximation,
 * p̂_st ± z·√V̂, clipped to [0, 1]. Strata with n_h = 0 must be left out by the caller (they have no
 * estimate); n_h = 1 is handled as in stratumTerm.
 */
export function stratifiedProportion(strata: readonly (StratumSample & { successes: number })[], z = Z95): StratifiedEstimate {
  const N = strata.reduce((a, s) => a + s.N, 0);
  if (strata.length === 0 || N === 0) return { estimate: Number.NaN, low: 0, high: 1, variance: Number.NaN, se: Number.NaN };
  let estimate = 0;
  let variance = 0;
  for (const s of strata) {
    if (s.n < 1 || s.n > s.N || s.successes < 0 || s.successes > s.n) throw new RangeError(`stratifiedProportion: need 1 ≤ n ≤ N and 0 ≤ successes ≤ n, got ${s.successes} of ${s.n} (N = ${s.N})`);
    const W = s.N / N;
    const p = s.successes / s.n;
    estimate += W * p;
    // Sample variance of a 0/1 variable: n p (1 − p) / (n − 1).
    const s2 = s.n < 2 ? 0 : (s.n * p * (1 - p)) / (s.n - 1);
    variance += W * W * stratumTerm(s.N, s.n, s2);
  }
  const se = Math.sqrt(variance);
  return { estimate, low: Math.max(0, estimate - z * se), high: Math.min(1, estimate + z * se), variance, se };
}

/**
 * Combined ratio estimator for a stratified sample: R̂ = Σ W_h ȳ_h / Σ W_h x̄_h, with the
 * linearisation (delta-method) variance V̂ = (1 / x̄_st²) Σ W_h² (1 − n_h/N_h) s²_{d,h} / n_h, where
 * d = y − R̂·x (Cochran 1977, ch. 6, the combined ratio estimate; Lohr, ch. 4). Each stratum gives
 * its observed (y, x) pairs. 95 % interval: normal approximation, clipped to [0, 1] (the ratios
 * used here are shares). NaN when x̄_st is 0.
 */
export function stratifiedRatio(strata: readonly { N: number; pairs: readonly (readonly [number, number])[] }[], z = Z95): StratifiedEstimate {
  const N = strata.reduce((a, s) => a + s.N, 0);
  const means = strata.map((s) => {
    const n = s.pairs.length;
    if (n < 1 || n > s.N) throw new RangeError(`stratifiedRatio: need 1 ≤ n ≤ N, got n = ${n} (N = ${s.N})`);
    let y = 0;
    let x = 0;
    for (const [a, b] of s.pairs) {
      y += a;
      x += b;
    }
    return { y: y / n, x: x / n };
  });
  let ySt = 0;
  let xSt = 0;
  strata.forEach((s, h) => {
    ySt += (s.N / N) * means[h].y;
    xSt += (s.N / N) * means[h].x;
  });
  if (N === 0 || xSt === 0) return { estimate: Number.NaN, low: 0, high: 1, variance: Number.NaN, se: Number.NaN };
  const R = ySt / xSt;
  let sum = 0;
  strata.forEach((s, h) => {
    const n = s.pairs.length;
    const dMean = means[h].y - R * means[h].x;
    let ss = 0;
    for (const [y, x] of s.pairs) ss += (y - R * x - dMean) ** 2;
    const W = s.N / N;
    sum += W * W * stratumTerm(s.N, n, n < 2 ? 0 : ss / (n - 1));
  });
  const variance = sum / (xSt * xSt);
  const se = Math.sqrt(variance);
  return { estimate: R, low: Math.max(0, R - z * se), high: Math.min(1, R + z * se), variance, se };
}

/**
 * How many units of a stratum of N must be judged for a 95 % interval of a proportion near `p` to
 * have half-width `halfWidth` (both as fractions): n₀ = z² p(1 − p) / e², then the
 * finite-population correction n = n₀ / (1 + (n₀ − 1)/N) (Cochran 1977, ch. 4, sample size for proportions), rounded up,
 * at most N. A planning figure (normal approximation); p = 0.5 is the safe choice without data.
 */
export function sampleSizeForHalfWidth(p: number, halfWidth: number, N: number, z = Z95): number {
  if (!(halfWidth > 0)) throw new RangeError(`sampleSizeForHalfWidth: the half-width must be positive, got ${halfWidth}`);
  if (N <= 0) return 0;
  const q = Math.min(1, Math.max(0, p));
  const n0 = (z * z * q * (1 - q)) / (halfWidth * halfWidth);
  if (n0 <= 1) return Math.min(N, 1);
  return Math.min(N, Math.ceil(n0 / (1 + (n0 - 1) / N) - 1e-9));
}

/**
 * Bootstrap 95 % interval of Krippendorff's alpha (nominal). A documented variant of Hayes &
 * Krippendorff (2007): they resample pairable values; this resamples units (images) with
 * replacement — each replicate draws as many units as there are pairable units, recomputes alpha
 * on them, and the interval is the 2.5th and 97.5th percentiles of the replicates (percentile
 * method). Replicates where alpha is undefined (no disagreement possible) are dropped. Seeded:
 * the same units and seed always give the same interval.
 */
export function bootstrapAlphaNominal<T>(
  units: readonly (readonly (T | null | undefined)[])[],
  opts: { samples?: number; seed?: number | string } = {},
): { low: number; high: number; samples: number; used: number } {
  const samples = opts.samples ?? 2000;
  // Each pairable unit's contribution to the coincidence matrix, computed once (values as ids);
  // a replicate then only adds up the contributions of the units it drew.
  const ids = new Map<T, number>();
  const contributions: { cells: number[]; weights: number[]; m: number }[] = [];
  for (const unit of units) {
    const values = unit.filter((v): v is T => v !== null && v !== undefined).map((v) => {
      if (!ids.has(v)) ids.set(v, ids.size);
      return ids.get(v)!;
    });
    const m = values.length;
    if (m < 2) continue;
    const cells: number[] = [];
    const weights: number[] = [];
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) (cells.push(values[i] * 0x10000 + values[j]), weights.push(1 / (m - 1)));
    contributions.push({ cells, weights, m });
  }
  if (contributions.length < 2) return { low: Number.NaN, high: Number.NaN, samples, used: 0 };
  const K = ids.size;
  const random = createRandom(opts.seed ?? 'alpha-bootstrap');
  const alphas: number[] = [];
  const o = new Float64Array(K * K);
  const marginal = new Float64Array(K);
  for (let b = 0; b < samples; b++) {
    o.fill(0);
    let n = 0;
    for (let i = 0; i < contributions.length; i++) {
      const u = contributions[Math.floor(random() * contributions.length)];
      for (let k = 0; k < u.cells.length; k++) o[(u.cells[k] >>> 16) * K + (u.cells[k] & 0xffff)] += u.weights[k];
      n += u.m;
    }
    // The same formula as krippendorffAlphaNominal: 1 − D_o/D_e with the nominal metric.
    marginal.fill(0);
    let agree = 0;
    for (let c = 0; c < K; c++) {
      for (let k = 0; k < K; k++) marginal[c] += o[c * K + k];
      agree += o[c * K + c];
    }
    let squares = 0;
    for (let c = 0; c < K; c++) squares += marginal[c] * marginal[c];
    const expected = (n * n - squares) / (n * (n - 1));
    if (expected === 0) continue;
    alphas.push(1 - (n - agree) / n / expected);
  }
  if (alphas.length === 0) return { low: Number.NaN, high: Number.NaN, samples, used: 0 };
  alphas.sort((a, b) => a - b);
  return { low: quantileSorted(alphas, 0.025), high: quantileSorted(alphas, 0.975), samples, used: alphas.length };
}

/** Quantile of sorted values, linear interpolation between order statistics (R type 7). */
function quantileSorted(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Krippendorff's (2004, 2011) reading of alpha: which conclusions a value supports. */
export type AlphaReading = 'reliable' | 'tentative' | 'unreliable';

/** ≥ .800 reliable; .667 to .800 tentative conclusions only; below .667 not reliable. */
export function readAlpha(alpha: number): AlphaReading | null {
  if (!Number.isFinite(alpha)) return null;
  return alpha >= 0.8 ? 'reliable' : alpha >= 0.667 ? 'tentative' : 'unreliable';
}
