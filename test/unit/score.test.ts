// Table tests of the scoring math. Expected values are computed here by hand from the formulas
// (softmax of logitScale × cosine, × 100), independently of score.ts.
// Tolerance: 1e-6 on percentages (and on probabilities in 0..1 for softmax).

import { describe, expect, it } from 'vitest';
import { categoryEmbeddings, l2normalize, matmulTransposed, minProbabilityFor, scoreImages, softmax, topIndices } from '../../integrations/engine/score.ts';
import { scoreCosines } from '../../integrations/core/score.ts';
import { choicesOf, classifyOptionsSchema } from '../../integrations/engine/options.ts';
import type { ScoreInput, ScorePhrase } from '../../integrations/engine/score.ts';
import { SCORING_MODES, UNCERTAIN } from '../../integrations/core/types.ts';
import { createNormal, createRandom } from '../../integrations/core/random.ts';

const TOL = 1e-6;

function expectClose(actual: number, expected: number, tol = TOL) {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

function expectAllClose(actual: ArrayLike<number>, expected: number[], tol = TOL) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expectClose(actual[i], expected[i], tol);
}

describe('softmax', () => {
  const cases: { name: string; logits: number[]; expected: number[] }[] = [
    { name: 'two logits', logits: [0, Math.log(3)], expected: [0.25, 0.75] },
    { name: 'large logits do not overflow', logits: [1000, 1001], expected: [1 / (1 + Math.E), Math.E / (1 + Math.E)] },
    { name: 'very negative logits do not underflow to 0/0', logits: [-1000, -1001], expected: [Math.E / (1 + Math.E), 1 / (1 + Math.E)] },
    { name: 'equal logits are uniform', logits: [7, 7, 7, 7], expected: [0.25, 0.25, 0.25, 0.25] },
    { name: '−Infinity gets 0', logits: [0, -Infinity, 0], expected: [0.5, 0, 0.5] },
    { name: 'all −Infinity is uniform', logits: [-Infinity, -Infinity], expected: [0.5, 0.5] },
    { name: '+Infinity takes all the mass', logits: [Infinity, 3, Infinity], expected: [0.5, 0, 0.5] },
    { name: 'single logit', logits: [-42], expected: [1] },
    { name: 'empty', logits: [], expected: [] },
  ];
  it.each(cases)('$name', ({ logits, expected }) => {
    const p = softmax(logits);
    expectAllClose(p, expected);
    if (p.length > 0) expectClose(p.reduce((a, b) => a + b, 0), 1);
  });

  it('propagates NaN instead of inventing probabilities', () => {
    expect([...softmax([1, NaN, 2])].every(Number.isNaN)).toBe(true);
  });

  it('writes into the array given (reused between calls, or the logits themselves)', () => {
    const out = new Float64Array(2);
    expect(softmax([0, Math.log(3)], out)).toBe(out);
    expectAllClose(out, [0.25, 0.75]);
    const logits = Float64Array.from([Math.log(3), 0]);
    expectAllClose(softmax(logits, logits), [0.75, 0.25]);
    expect(() => softmax([1, 2, 3], out)).toThrow(/out has 2 values, logits 3/);
  });
});

describe('l2normalize', () => {
  const cases: { name: string; rows: number[]; dim: number; expected: number[] }[] = [
    { name: '3-4-5', rows: [3, 4], dim: 2, expected: [0.6, 0.8] },
    { name: 'zero row stays zero, no NaN', rows: [0, 0, 0, 2, 0, 0], dim: 3, expected: [0, 0, 0, 1, 0, 0] },
    { name: 'negative values', rows: [-1, 1, -1, 1], dim: 4, expected: [-0.5, 0.5, -0.5, 0.5] },
    { name: 'already unit', rows: [1, 0], dim: 2, expected: [1, 0] },
  ];
  it.each(cases)('$name', ({ rows, dim, expected }) => {
    const a = Float32Array.from(rows);
    const out = l2normalize(a, dim);
    expect(out).toBe(a); // in place
    expectAllClose(a, expected);
    expect([...a].some(Number.isNaN)).toBe(false);
  });

  it('refuses a length that is not a multiple of dim', () => {
    expect(() => l2normalize(new Float32Array(5), 2)).toThrow(/multiple of dim 2/);
  });
});

describe('topIndices (ties: stable, lower index wins)', () => {
  const cases: { values: number[]; k: number; expected: number[] }[] = [
    { values: [1, 3, 2], k: 2, expected: [1, 2] },
    { values: [1, 3, 3, 2], k: 3, expected: [1, 2, 3] },
    { values: [5, 5, 5], k: 2, expected: [0, 1] },
    { values: [0, 9, 9], k: 1, expected: [1] },
    { values: [2, 1], k: 5, expected: [0, 1] },
    { values: [2, 1], k: 0, expected: [] },
    { values: [-1, -Infinity, -0.5], k: 3, expected: [2, 0, 1] },
    { values: [1, 2, 3, 4, 2, 5], k: 3, expected: [5, 3, 2] },
    { values: [4, 1, 4, 2, 4], k: 4, expected: [0, 2, 4, 3] },
  ];
  it.each(cases)('top $k of $values → $expected', ({ values, k, expected }) => {
    expect(topIndices(values, k)).toEqual(expected);
  });
});

describe('matmulTransposed (register-blocked) equals the plain triple loop', () => {
  // Sizes chosen to hit the 4×4 blocks and every edge: rows and columns not multiples of 4.
  it.each([
    [1, 1, 1],
    [4, 4, 8],
    [5, 7, 3],
    [9, 6, 17],
    [13, 101, 32],
  ])('%i × %i, dim %i', (rows, cols, dim) => {
    const normal = createNormal(createRandom(`mm:${rows}:${cols}:${dim}`));
    const a = Float32Array.from({ length: rows * dim }, normal);
    const b = Float32Array.from({ length: cols * dim }, normal);
    const out = matmulTransposed(a, 0, rows, b, cols, dim);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += a[i * dim + k] * b[j * dim + k];
        expectClose(out[i * cols + j], s, 1e-9);
      }
    }
  });

  it('honours the row offset', () => {
    const a = Float32Array.from([1, 0, 0, 1, 2, 3]);
    const b = Float32Array.from([1, 1]);
    expect([...matmulTransposed(a, 1, 2, b, 1, 2)]).toEqual([1, 5]);
  });
});

// ---------------------------------------------------------------------------------------------
// The hand example. dim 2, logit scale 1 (so logits = cosines and the arithmetic stays readable).
//   category A: a1 = (1, 0), a2 = (0, 1)        category B: b1 = (0.6, 0.8)
//   image X = (1, 0):    cos a1 = 1,   a2 = 0,   b1 = 0.6
//   image Y = (0.6, 0.8): cos a1 = 0.6, a2 = 0.8, b1 = 1
// Seed picks the best phrase (X → A via a1, Y → B via b1); sum adds A's two phrases, which wins Y
// for A (e^0.6 + e^0.8 = 4.048 > e = 2.718); the ensemble's A vector is (1,1)/√2.

const categories = ['A', 'B'];
const phrases: ScorePhrase[] = [
  { text: 'a1', category: 'A', categoryIndex: 0 },
  { text: 'a2', category: 'A', categoryIndex: 0 },
  { text: 'b1', category: 'B', categoryIndex: 1 },
];
const textEmbeds = Float32Array.from([1, 0, 0, 1, 0.6, 0.8]);
const imageEmbeds = Float32Array.from([1, 0, 0.6, 0.8]);

function score(overrides: Partial<ScoreInput>) {
  return scoreImages({ imageEmbeds, count: 2, dim: 2, textEmbeds, phrases, categories, mode: 'seed', logitScale: 1, topK: 2, ...overrides });
}

/** Percent softmax of the given logits (the reference, written out). */
function pct(logits: number[]): number[] {
  const e = logits.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => (100 * x) / s);
}

// Embeddings are float32: 0.6 and 0.8 are stored as the nearest float32 values, so the reference
// uses those too (the difference is ~1e-8 in a cosine, ~1e-6 in a percentage).
const f6 = Math.fround(0.6);
const f8 = Math.fround(0.8);
const X = pct([1, 0, f6]); // a1, a2, b1 for image X: 49.0629…, 18.0492…, 32.8879…
const Y = pct([f6, f8, f6 * f6 + f8 * f8]); // a1, a2, b1 for image Y

describe('scoring mode seed (the notebook)', () => {
  const [x, y] = score({ mode: 'seed' });

  it('best phrase gives category, label and probability', () => {
    expect(x.category).toBe('A');
    expect(x.label).toBe('a1');
    expectClose(x.probability, X[0]);
    expectClose(x.probability, 49.0629, 1e-4); // the number written out once, as a sanity anchor
    expect(y.category).toBe('B');
    expect(y.label).toBe('b1');
    expectClose(y.probability, Y[2]);
  });

  it('top-k are the k best phrases, best first', () => {
    expect(x.top.map((t) => [t.category, t.label])).toEqual([
      ['A', 'a1'],
      ['B', 'b1'],
    ]);
    expectClose(x.top[1].probability, X[2]);
    expect(y.top.map((t) => t.label)).toEqual(['b1', 'a2']);
  });

  it('margin is first minus second phrase', () => {
    expectClose(x.margin, X[0] - X[2]);
    expectClose(y.margin, Y[2] - Y[1]);
  });

  it('categories map sums the phrases of each category', () => {
    expect(Object.keys(x.categories)).toEqual(['A', 'B']);
    expectClose(x.categories.A, X[0] + X[1]);
    expectClose(x.categories.B, X[2]);
    expectClose(x.categories.A + x.categories.B, 100);
  });

  it('top-k may hold two phrases of the same category', () => {
    const [, yy] = score({ mode: 'seed', topK: 3 });
    expect(yy.top.map((t) => t.category)).toEqual(['B', 'A', 'A']);
  });
});

describe('scoring mode sum', () => {
  const [x, y] = score({ mode: 'sum' });

  it('a category is the sum of its phrases; top-k are categories labelled with their best phrase', () => {
    expect(x.category).toBe('A');
    expectClose(x.probability, X[0] + X[1]);
    expect(x.top.map((t) => [t.category, t.label])).toEqual([
      ['A', 'a1'],
      ['B', 'b1'],
    ]);
    // Y: the seed says B, the sum says A (two moderately similar phrases beat one close phrase).
    expect(y.category).toBe('A');
    expect(y.label).toBe('a2');
    expectClose(y.probability, Y[0] + Y[1]);
    expectClose(y.top[1].probability, Y[2]);
  });

  it('margin is first minus second category; categories map is the same sums', () => {
    expectClose(y.margin, Y[0] + Y[1] - Y[2]);
    expectClose(y.categories.A, Y[0] + Y[1]);
    expectClose(y.categories.B, Y[2]);
  });
});

describe('scoring mode ensemble (CLIP prompt ensembling)', () => {
  const [x, y] = score({ mode: 'ensemble' });
  // A's vector: mean (0.5, 0.5), re-normalised to (1/√2, 1/√2); B's: b1 re-normalised; stored as float32.
  const a = Math.fround(Math.SQRT1_2);
  const nB = Math.hypot(f6, f8);
  const b = [Math.fround(f6 / nB), Math.fround(f8 / nB)];
  const cosA = (v: [number, number]) => a * v[0] + a * v[1];
  const cosB = (v: [number, number]) => b[0] * v[0] + b[1] * v[1];

  it('softmax over categories of the re-normalised mean vectors', () => {
    const px = pct([cosA([1, 0]), cosB([1, 0])]);
    const py = pct([cosA([f6, f8]), cosB([f6, f8])]);
    expect(x.category).toBe('A');
    expectClose(x.probability, px[0]);
    expectClose(x.categories.B, px[1]);
    expectClose(x.margin, px[0] - px[1]);
    expect(y.category).toBe('B'); // cos B = 1 > cos A = 0.98995
    expectClose(y.probability, py[1]);
    expectClose(y.categories.A, py[0]);
  });

  it('label is the category’s best phrase by cosine', () => {
    expect(x.label).toBe('a1');
    expect(y.top.map((t) => [t.category, t.label])).toEqual([
      ['B', 'b1'],
      ['A', 'a2'],
    ]);
  });

  it('category vectors are unit length; a category of one phrase keeps that phrase', () => {
    const e = categoryEmbeddings(textEmbeds, [0, 0, 1], 2, 2);
    expectAllClose(e, [Math.SQRT1_2, Math.SQRT1_2, 0.6, 0.8]);
  });
});

describe('logit scale', () => {
  it('multiplies the cosines before the softmax (100 for OpenAI CLIP)', () => {
    const [x] = score({ mode: 'seed', logitScale: 100 });
    expectClose(x.probability, pct([100, 0, 100 * f6])[0]);
    expect(x.probability).toBeGreaterThan(99.99);
  });
});

describe('ties: stable, lower index wins', () => {
  // Two identical phrase vectors in different categories: equal probabilities.
  const tie = (order: ['P' | 'Q', 'P' | 'Q']) =>
    scoreImages({
      imageEmbeds: Float32Array.from([1, 0]),
      count: 1,
      dim: 2,
      textEmbeds: Float32Array.from([1, 0, 1, 0]),
      phrases: [
        { text: 'p', category: order[0] },
        { text: 'q', category: order[1] },
      ],
      categories: order,
      mode: 'seed',
      logitScale: 100,
      topK: 2,
    })[0];

  it.each([
    [['P', 'Q'], 'P'],
    [['Q', 'P'], 'Q'],
  ] as const)('categories %j → %s', (order, winner) => {
    const r = tie([...order]);
    expect(r.category).toBe(winner);
    expect(r.top.map((t) => t.category)).toEqual([...order]);
    expectClose(r.probability, 50);
    expect(r.margin).toBe(0);
  });

  it.each(['sum', 'ensemble'] as const)('%s: equal categories keep dictionary order', (mode) => {
    const r = scoreImages({
      imageEmbeds: Float32Array.from([1, 0]),
      count: 1,
      dim: 2,
      textEmbeds: Float32Array.from([0, 1, 0, 1]),
      phrases: [
        { text: 'first', category: 'First' },
        { text: 'second', category: 'Second' },
      ],
      categories: ['First', 'Second'],
      mode,
      logitScale: 100,
      topK: 2,
    })[0];
    expect(r.top.map((t) => t.category)).toEqual(['First', 'Second']);
    expect(r.category).toBe('First');
  });

  it('within a category the earlier phrase is the label among equals', () => {
    const r = scoreImages({
      imageEmbeds: Float32Array.from([1, 0]),
      count: 1,
      dim: 2,
      textEmbeds: Float32Array.from([0.6, 0.8, 0.6, 0.8, 0, 1]),
      phrases: [
        { text: 'one', category: 'A' },
        { text: 'two', category: 'A' },
        { text: 'three', category: 'B' },
      ],
      categories: ['A', 'B'],
      mode: 'sum',
      logitScale: 1,
      topK: 1,
    })[0];
    expect(r.label).toBe('one');
  });
});

describe('thresholds → Uncertain', () => {
  // Image X in seed mode: probability 49.0629, margin 49.0629 − 32.8879 = 16.1750.
  const cases: { minProbability: number | null; minMargin: number | null; expected: string }[] = [
    { minProbability: null, minMargin: null, expected: 'A' },
    { minProbability: 49, minMargin: null, expected: 'A' },
    { minProbability: 50, minMargin: null, expected: UNCERTAIN },
    { minProbability: null, minMargin: 16, expected: 'A' },
    { minProbability: null, minMargin: 17, expected: UNCERTAIN },
    { minProbability: 10, minMargin: 20, expected: UNCERTAIN },
    { minProbability: 0, minMargin: 0, expected: 'A' },
  ];
  it.each(cases)('minProbability $minProbability, minMargin $minMargin → $expected', ({ minProbability, minMargin, expected }) => {
    const [x] = score({ mode: 'seed', minProbability, minMargin });
    expect(x.category).toBe(expected);
    // What the model said stays visible for inspection.
    expect(x.label).toBe('a1');
    expectClose(x.probability, X[0]);
    expect(x.top[0].category).toBe('A');
    expect(Object.keys(x.categories)).toEqual(['A', 'B']);
  });
});

describe('edges', () => {
  it('a single choice has margin = its probability = 100', () => {
    const [r] = scoreImages({
      imageEmbeds: Float32Array.from([0, 1]),
      count: 1,
      dim: 2,
      textEmbeds: Float32Array.from([1, 0]),
      phrases: [{ text: 'only', category: 'Only' }],
      categories: ['Only'],
      mode: 'seed',
      logitScale: 100,
      topK: 3,
    });
    expect(r.top).toHaveLength(1);
    expectClose(r.probability, 100);
    expectClose(r.margin, 100);
  });

  it('top-k is clamped to the number of choices (phrases in seed, categories otherwise)', () => {
    expect(score({ mode: 'seed', topK: 10 })[0].top).toHaveLength(3);
    expect(score({ mode: 'sum', topK: 10 })[0].top).toHaveLength(2);
    expect(score({ mode: 'ensemble', topK: 10 })[0].top).toHaveLength(2);
  });

  it('top-1 still computes the margin from the full ranking', () => {
    const [x] = score({ mode: 'seed', topK: 1 });
    expect(x.top).toHaveLength(1);
    expectClose(x.margin, X[0] - X[2]);
  });

  it('a zero image vector scores uniformly instead of NaN', () => {
    const [r] = score({ imageEmbeds: new Float32Array(2), count: 1, mode: 'seed' });
    expectClose(r.probability, 100 / 3);
    expect(r.label).toBe('a1');
  });

  it('no images → no results', () => {
    expect(score({ imageEmbeds: new Float32Array(0), count: 0 })).toEqual([]);
  });

  it('a category named "__proto__" stays a plain key', () => {
    const [r] = scoreImages({
      imageEmbeds: Float32Array.from([1, 0]),
      count: 1,
      dim: 2,
      textEmbeds: Float32Array.from([1, 0]),
      phrases: [{ text: 'x', category: '__proto__' }],
      categories: ['__proto__'],
      mode: 'seed',
      logitScale: 100,
      topK: 1,
    });
    expect(Object.hasOwn(r.categories, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(r.categories)).toBe(Object.prototype);
  });

  it('more images than one block (1024) give the same answers as scoring one by one', () => {
    const n = 1030;
    const dim = 4;
    const normal = createNormal(createRandom('blocks'));
    const imgs = l2normalize(Float32Array.from({ length: n * dim }, normal), dim);
    const txt = l2normalize(Float32Array.from({ length: 3 * dim }, normal), dim);
    const base = { dim, textEmbeds: txt, phrases, categories, mode: 'sum' as const, logitScale: 100, topK: 2 };
    const all = scoreImages({ ...base, imageEmbeds: imgs, count: n });
    for (const i of [0, 1023, 1024, 1029]) {
      const [one] = scoreImages({ ...base, imageEmbeds: imgs.slice(i * dim, (i + 1) * dim), count: 1 });
      expect(all[i]).toEqual(one);
    }
  });

  it.each([
    [{ topK: 0 }, /top-k/],
    [{ topK: 1.5 }, /top-k/],
    [{ logitScale: 0 }, /logit scale/],
    [{ minProbability: -1 }, /minProbability/],
    [{ minMargin: 101 }, /minMargin/],
    [{ count: 3 }, /imageEmbeds has 4 values/],
    [{ textEmbeds: new Float32Array(4) }, /textEmbeds has 4 values/],
    [{ categories: ['A', 'B', 'C'] }, /"C" has no phrases/],
    [{ categories: ['B', 'A'] }, /not in the category list/],
  ] as const)('refuses %j', (overrides, message) => {
    expect(() => score(overrides as Partial<ScoreInput>)).toThrow(message);
  });
});

describe('onCosines', () => {
  it('hands each block’s image × phrase cosines to the caller, as computed for scoring', () => {
    const seen: { start: number; n: number; cos: number[] }[] = [];
    score({ onCosines: (start, n, cos) => seen.push({ start, n, cos: [...cos] }) });
    expect(seen.map((s) => [s.start, s.n])).toEqual([[0, 2]]);
    // Image X = (1, 0), Y = (0.6, 0.8) against phrases (1, 0), (0, 1), (0.6, 0.8), in float32.
    expectAllClose(seen[0].cos, [1, 0, f6, f6, f8, f6 * f6 + f8 * f8]);
  });
});

describe('scoreCosines (scoring from cosines computed beforehand)', () => {
  // Tolerance: none. Given the float64 cosines matmulTransposed computes, scoreCosines runs the same
  // per-image code as scoreImages, so every field must be identical, in every mode and across blocks.
  const n = 1030;
  const dim = 8;
  const normal = createNormal(createRandom('score-cosines'));
  const imgs = l2normalize(Float32Array.from({ length: n * dim }, normal), dim);
  const cats = ['A', 'B', 'C'];
  const phr: ScorePhrase[] = ['a1', 'a2', 'b1', 'c1', 'c2', 'c3'].map((text) => ({ text, category: text[0].toUpperCase() }));
  const txt = l2normalize(Float32Array.from({ length: phr.length * dim }, normal), dim);
  const cosines = matmulTransposed(imgs, 0, n, txt, phr.length, dim);
  const categoryCosines = matmulTransposed(imgs, 0, n, categoryEmbeddings(txt, [0, 0, 1, 2, 2, 2], 3, dim), 3, dim);

  it.each(['seed', 'sum', 'ensemble', 'sigmoid'] as const)('%s: identical to scoreImages', (mode) => {
    const common = { count: n, phrases: phr, categories: cats, mode, logitScale: 30, logitBias: mode === 'sigmoid' ? -3 : 0, topK: 2, minMargin: 5 };
    const full = scoreImages({ ...common, imageEmbeds: imgs, dim, textEmbeds: txt });
    const fromCosines = scoreCosines({ ...common, cosines, categoryCosines });
    expect(fromCosines).toEqual(full);
    // Not vacuous: the images spread over the categories.
    expect(new Set(full.map((r) => r.category)).size).toBeGreaterThan(2);
  });

  it('says what is wrong with the sizes', () => {
    const common = { count: n, phrases: phr, categories: cats, logitScale: 30, topK: 1 };
    expect(() => scoreCosines({ ...common, mode: 'seed', cosines: cosines.subarray(1) })).toThrow(/cosines has 6179 values, expected count 1030 × 6 phrases/);
    expect(() => scoreCosines({ ...common, mode: 'ensemble', cosines })).toThrow(/ensemble scoring needs categoryCosines/);
    expect(() => scoreCosines({ ...common, mode: 'ensemble', cosines, categoryCosines: cosines })).toThrow(/categoryCosines has 6180 values, expected count 1030 × 3 categories/);
  });
});

describe('the scoring modes and the sigmoid threshold, each stated once', () => {
  it('the options accept exactly SCORING_MODES, and scoring refuses any other mode naming them', () => {
    expect(choicesOf(classifyOptionsSchema.shape.scoring)).toEqual([...SCORING_MODES]);
    let error: unknown;
    try {
      score({ mode: 'softmax' as ScoreInput['mode'] });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ message: 'Unknown scoring mode "softmax"', hint: 'Use seed, sum, ensemble, sigmoid.' });
  });

  it('sigmoid scoring applies 50 % unless --min-probability is given; the other modes no threshold', () => {
    expect(minProbabilityFor('sigmoid', undefined)).toBe(50);
    expect(minProbabilityFor('sigmoid', null)).toBe(50);
    expect(minProbabilityFor('sigmoid', 0)).toBe(0);
    for (const mode of ['seed', 'sum', 'ensemble'] as const) expect(minProbabilityFor(mode, undefined)).toBeNull();
    expect(minProbabilityFor('seed', 30)).toBe(30);
  });
});
