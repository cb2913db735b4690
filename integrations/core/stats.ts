// Validation statistics that content-analysis papers report: Wilson score intervals for
// proportions (accuracy, precision), Cohen's kappa for a pair of coders, and Krippendorff's alpha
// (nominal) for any number of coders with missing judgements. Pure functions, usable at build time
// and in the browser (the validation widget shows a running accuracy with its interval).

/** z for a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

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
