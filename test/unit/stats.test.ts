// Validation statistics checked against published worked examples, not only our own numbers.
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../integrations/core/random.ts';
import { bootstrapAlphaNominal, cohensKappa, krippendorffAlphaNominal, readAlpha, sampleSizeForHalfWidth, stratifiedProportion, stratifiedRatio, wilson } from '../../integrations/core/stats.ts';

describe('wilson', () => {
  // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3
  // (Wilson score, no continuity correction); published to 4 decimals.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0.0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i of %i → [%f, %f]', (x, n, low, high) => {
    const w = wilson(x, n);
    expect(w.estimate).toBeCloseTo(x / n, 12);
    expect(w.low).toBeCloseTo(low, 4);
    expect(w.high).toBeCloseTo(high, 4);
  });

  it('all successes give an upper bound of exactly 1', () => {
    expect(wilson(20, 20).high).toBe(1);
    expect(wilson(20, 20).low).toBeCloseTo(0.8389, 4); // mirror of 0/20
  });

  it('n = 0 has no estimate and the whole range', () => {
    const w = wilson(0, 0);
    expect(Number.isNaN(w.estimate)).toBe(true);
    expect([w.low, w.high]).toEqual([0, 1]);
  });

  it('refuses impossible counts', () => {
    expect(() => wilson(5, 3)).toThrow(RangeError);
  });
});

describe('cohensKappa', () => {
  function table(yy: number, yn: number, ny: number, nn: number): [string, string][] {
    return [
      ...Array.from({ length: yy }, () => ['y', 'y'] as [string, string]),
      ...Array.from({ length: yn }, () => ['y', 'n'] as [string, string]),
      ...Array.from({ length: ny }, () => ['n', 'y'] as [string, string]),
      ...Array.from({ length: nn }, () => ['n', 'n'] as [string, string]),
    ];
  }
  // Textbook 2×2 examples (as in the Wikipedia article on Cohen's kappa).
  it.each([
    [20, 5, 10, 15, 0.4],
    [45, 15, 25, 15, 0.1304],
    [25, 35, 5, 35, 0.2593],
  ])('table %i/%i/%i/%i → κ = %f', (yy, yn, ny, nn, kappa) => {
    expect(cohensKappa(table(yy, yn, ny, nn)).kappa).toBeCloseTo(kappa, 4);
  });

  it('perfect agreement is 1 and one constant label is undefined', () => {
    expect(cohensKappa([['a', 'a'], ['b', 'b']]).kappa).toBe(1);
    expect(Number.isNaN(cohensKappa([['a', 'a'], ['a', 'a']]).kappa)).toBe(true);
  });
});

describe('krippendorffAlphaNominal', () => {
  // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 observers,
  // 12 units, missing values; nominal alpha = 0.743.
  it('reproduces the 4-coder example with missing data (α = 0.743)', () => {
    const _ = null;
    const A = [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _];
    const B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3];
    const C = [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _];
    const D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _];
    const units = A.map((_v, i) => [A[i], B[i], C[i], D[i]]);
    const r = krippendorffAlphaNominal(units);
    expect(r.alpha).toBeCloseTo(0.743, 3);
    expect(r.units).toBe(11); // unit 12 has a single value and is not pairable
    expect(r.pairableValues).toBe(40);
  });

  // Same source, example A: two observers, binary data, ten units; alpha = 0.095.
  it('reproduces the 2-coder binary example (α = 0.095)', () => {
    const A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0];
    const B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0];
    expect(krippendorffAlphaNominal(A.map((a, i) => [a, B[i]])).alpha).toBeCloseTo(0.095, 3);
  });

  it('perfect agreement is 1; no pairable unit is NaN', () => {
    expect(krippendorffAlphaNominal([['x', 'x'], ['y', 'y', 'y']]).alpha).toBe(1);
    expect(Number.isNaN(krippendorffAlphaNominal([['x'], [null, 'y']]).alpha)).toBe(true);
  });
});

describe('stratifiedProportion (the collection accuracy)', () => {
  // Worked example: Scheaffer, Mendenhall, Ott & Gerow, Elementary Survey Sampling (ch. 5, the
  // proportion of households that viewed a TV show, stratified by town A, town B and the rural
  // area): N = 155, 62, 93; n = 20, 8, 12; viewers 16, 2, 6. The book gives p̂_st = 0.60 with a
  // bound on the error of estimation 2·√V̂ = 0.13, V̂ = (1/N²) Σ N_h² (1 − n_h/N_h) p̂_h q̂_h /
  // (n_h − 1). (The data and the book's answer are quoted from memory — no copy was at hand to
  // check the edition's example number; every step below is re-derived by hand.) By hand: W = .5, .2, .3; every fpc = 1 − 20/155 = 0.870968;
  // V̂ = .25·.870968·.16/19 + .04·.870968·.1875/7 + .09·.870968·.25/11
  //   = 0.0018336 + 0.0009332 + 0.0017815 = 0.0045483; SE = 0.067441; 2·SE = 0.1349.
  const strata = [
    { N: 155, n: 20, successes: 16 },
    { N: 62, n: 8, successes: 2 },
    { N: 93, n: 12, successes: 6 },
  ];
  it('reproduces the book: 0.60, bound 0.13', () => {
    const e = stratifiedProportion(strata);
    expect(e.estimate).toBeCloseTo(0.6, 12);
    expect(e.variance).toBeCloseTo(0.0045483, 6);
    expect(2 * e.se).toBeCloseTo(0.13, 2);
    expect(e.low).toBeCloseTo(0.6 - 1.959964 * 0.067441, 4);
    expect(e.high).toBeCloseTo(0.6 + 1.959964 * 0.067441, 4);
  });

  it('with n_h = 1 uses the variance bound 1/4; a stratum judged completely adds no variance', () => {
    // One image judged of 11: W = 11/20, term = W²·(1 − 1/11)·0.25/1; the census stratum adds 0.
    const e = stratifiedProportion([{ N: 11, n: 1, successes: 1 }, { N: 9, n: 9, successes: 3 }]);
    expect(e.estimate).toBeCloseTo((11 / 20) * 1 + (9 / 20) * (1 / 3), 12);
    expect(e.variance).toBeCloseTo((11 / 20) ** 2 * (10 / 11) * 0.25, 12);
  });

  it('is the plain share when there is one stratum judged completely', () => {
    const e = stratifiedProportion([{ N: 4, n: 4, successes: 3 }]);
    expect([e.estimate, e.variance, e.low, e.high]).toEqual([0.75, 0, 0.75, 0.75]);
  });
});

describe('stratifiedRatio (recall)', () => {
  // Hand-computed: stratum 1 (N = 10) pairs (y, x) = (1,1) (1,1) (0,0) (0,0); stratum 2 (N = 30)
  // (0,1) (0,0) (0,0). W = .25, .75; ȳ_st = .125, x̄_st = .25·.5 + .75/3 = .375; R̂ = 1/3.
  // d = y − x/3: stratum 1: 2/3 2/3 0 0 (s² = 4/27); stratum 2: −1/3 0 0 (s² = 1/27).
  // V̂ = [.0625·.6·(4/27)/4 + .5625·.9·(1/27)/3] / .375² = (0.0013889 + 0.00625) / 0.140625 = 0.0543210.
  it('gives R̂ and the linearisation variance', () => {
    const e = stratifiedRatio([
      { N: 10, pairs: [[1, 1], [1, 1], [0, 0], [0, 0]] },
      { N: 30, pairs: [[0, 1], [0, 0], [0, 0]] },
    ]);
    expect(e.estimate).toBeCloseTo(1 / 3, 12);
    expect(e.variance).toBeCloseTo(4.4 / 81, 10);
    expect(e.low).toBeCloseTo(Math.max(0, 1 / 3 - 1.959964 * Math.sqrt(4.4 / 81)), 5);
  });

  it('is NaN without any x', () => {
    expect(Number.isNaN(stratifiedRatio([{ N: 5, pairs: [[0, 0]] }]).estimate)).toBe(true);
  });
});

describe('sampleSizeForHalfWidth', () => {
  // Cochran's formula: n₀ = 1.96² · .25 / .05² = 384.1; N = 1000 → 384.1 / (1 + 383.1/1000) = 277.7 → 278.
  it('gives the familiar 385 and its finite-population version', () => {
    expect(sampleSizeForHalfWidth(0.5, 0.05, 1e9)).toBe(385);
    expect(sampleSizeForHalfWidth(0.5, 0.05, 1000)).toBe(278);
    expect(sampleSizeForHalfWidth(0.9, 0.1, 1e9)).toBe(35); // 1.96²·.09/.01 = 34.57
    expect(sampleSizeForHalfWidth(0.5, 0.05, 40)).toBeLessThanOrEqual(40);
  });
});

describe('bootstrapAlphaNominal and readAlpha', () => {
  const units = [
    ['a', 'a'], ['a', 'b'], ['b', 'b'], ['a', 'a', 'a'], ['b', 'a'], ['b', 'b'], ['a', null], ['c', 'c'], ['a', 'a'], ['b', 'b'],
  ];
  it('is deterministic for a seed and brackets the point estimate', () => {
    const one = bootstrapAlphaNominal(units, { samples: 500, seed: 7 });
    const two = bootstrapAlphaNominal(units, { samples: 500, seed: 7 });
    expect(one).toEqual(two);
    const alpha = krippendorffAlphaNominal(units).alpha;
    expect(one.low).toBeLessThan(alpha);
    expect(one.high).toBeGreaterThan(alpha);
    expect(one.high).toBeLessThanOrEqual(1);
    expect(bootstrapAlphaNominal(units, { samples: 500, seed: 8 })).not.toEqual(one);
  });

  it('gives the replicates krippendorffAlphaNominal gives on the drawn units', () => {
    const random = createRandom(11);
    const pairable = units.filter((u) => u.filter((v) => v !== null).length >= 2);
    const naive: number[] = [];
    for (let b = 0; b < 300; b++) {
      const draw = pairable.map(() => pairable[Math.floor(random() * pairable.length)]);
      const a = krippendorffAlphaNominal(draw).alpha;
      if (Number.isFinite(a)) naive.push(a);
    }
    naive.sort((a, b) => a - b);
    const q = (p: number) => {
      const h = (naive.length - 1) * p;
      return naive[Math.floor(h)] + (h - Math.floor(h)) * (naive[Math.ceil(h)] - naive[Math.floor(h)]);
    };
    const fast = bootstrapAlphaNominal(units, { samples: 300, seed: 11 });
    expect(fast.used).toBe(naive.length);
    expect(fast.low).toBeCloseTo(q(0.025), 12);
    expect(fast.high).toBeCloseTo(q(0.975), 12);
  });

  it('reads alpha by Krippendorff\'s thresholds', () => {
    expect([readAlpha(0.85), readAlpha(0.8), readAlpha(0.7), readAlpha(0.667), readAlpha(0.6), readAlpha(Number.NaN)]).toEqual(['reliable', 'reliable', 'tentative', 'tentative', 'unreliable', null]);
  });
});
