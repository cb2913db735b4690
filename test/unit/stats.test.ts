// Validation statistics checked against published worked examples, not only our own numbers.
import { describe, expect, it } from 'vitest';
import { cohensKappa, krippendorffAlphaNominal, wilson } from '../../integrations/core/stats.ts';

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
