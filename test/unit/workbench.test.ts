// The Workbench page's pure logic (core/workbench.ts): re-scoring as the build scores, the baseline
// check, what changed, phrase wins and near misses, near-duplicate phrases, the holdout split and the
// accuracy against the coders. Expected values are worked out by hand in each case.
// Tolerances: 1e-9 on percentages computed in float64 from exact inputs; 1e-6 on cosines of float32
// embeddings; Wilson bounds against stats.ts's own worked example (1e-9).
import { describe, expect, it } from 'vitest';
import {
  accuracyAgainstCoders,
  baselineCheck,
  compareCategories,
  holdoutSplit,
  nearDuplicates,
  phraseEmbeddings,
  phraseWins,
  rescore,
  rowsByText,
  type WorkbenchRun,
} from '../../integrations/core/workbench.ts';
import { flattenPhrases } from '../../integrations/core/dictionary.ts';
import { scoreImages } from '../../integrations/engine/score.ts';
import { wilson } from '../../integrations/core/stats.ts';

const run = (over: Partial<WorkbenchRun> = {}): WorkbenchRun => ({
  model: 'm',
  scoring: 'seed',
  logitScale: 100,
  logitBias: 0,
  topK: 1,
  minProbability: null,
  minMargin: null,
  dictionaryHash: 'h',
  ...over,
});

// Three unit images in 2-D: along x, along y, and at 45°. Phrases: "x" (A), "y" (B), "diag" (B).
const s = Math.SQRT1_2;
const images = new Float32Array([1, 0, 0, 1, s, s]);
const categories = [
  { name: 'A', phrases: [{ text: 'x' }] },
  { name: 'B', phrases: [{ text: 'y' }, { text: 'diag' }] },
];
const text = new Float32Array([1, 0, 0, 1, s, s]);

describe('rescore', () => {
  it('scores exactly as the engine does (same function, same result)', () => {
    for (const scoring of ['seed', 'sum', 'ensemble', 'sigmoid'] as const) {
      const r = run({ scoring, logitBias: scoring === 'sigmoid' ? -10 : 0 });
      const ours = rescore({ images, count: 3, dim: 2, categories, textEmbeds: text, run: r });
      const engine = scoreImages({ imageEmbeds: images, count: 3, dim: 2, textEmbeds: text, phrases: flattenPhrases({ categories }), categories: ['A', 'B'], mode: scoring, logitScale: 100, logitBias: r.logitBias, topK: 1 });
      expect(ours.scores).toEqual(engine);
    }
  });

  it('ranks each image’s phrases with the seed’s phrase shares', () => {
    const r = rescore({ images, count: 3, dim: 2, categories, textEmbeds: text, run: run() });
    // Image 0 (x): cosines 1, 0, s → best "x", second "diag".
    expect([r.best[0], r.second[0]]).toEqual([0, 2]);
    const e = [100, 0, 100 * s].map((l) => Math.exp(l - 100));
    const sum = e[0] + e[1] + e[2];
    expect(Math.abs(r.bestProbability[0] - (100 * e[0]) / sum)).toBeLessThan(1e-9);
    expect(Math.abs(r.secondProbability[0] - (100 * e[2]) / sum)).toBeLessThan(1e-9);
    // Image 2 (diag): best "diag" (cos 1), second "x" and "y" tie (cos s): the first listed, "x".
    expect([r.best[2], r.second[2]]).toEqual([2, 0]);
  });
});

describe('phraseEmbeddings', () => {
  it('takes known rows in phrase order and lists each missing text once', () => {
    const known = rowsByText(['x', 'y'], new Float32Array([1, 0, 0, 1]), 2);
    const { embeds, missing } = phraseEmbeddings(['y', 'new', 'x', 'new'], known, 2);
    expect([...embeds]).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
    expect(missing).toEqual(['new']);
  });
});

describe('baselineCheck', () => {
  // top holds top-k = 1 choice, as with the default --top-k: ties are read from the margin.
  const score = (category: string, probability: number, second = probability / 2) => ({
    category,
    label: '',
    probability,
    margin: probability - second,
    top: [{ category, label: '', probability }],
    categories: {},
  });
  it.each([
    { name: 'equal', build: { category: 'A', probability: 80 }, now: score('A', 80), match: true },
    { name: 'within 0.05 points', build: { category: 'A', probability: 80 }, now: score('A', 80.05), match: true },
    { name: 'beyond 0.05 points', build: { category: 'A', probability: 80 }, now: score('A', 80.051), match: false },
    { name: 'other category', build: { category: 'A', probability: 80 }, now: score('B', 80), match: false },
    { name: 'other category on an exact tie', build: { category: 'A', probability: 50 }, now: score('B', 50, 50), match: true },
  ])('$name', ({ build, now, match }) => {
    const c = baselineCheck([build], [now]);
    expect(c.matches).toBe(match ? 1 : 0);
    expect(c.mismatches.length).toBe(match ? 0 : 1);
  });
});

describe('compareCategories', () => {
  it('counts sizes before and after (dictionary order, then others by name) and lists moved images', () => {
    const c = compareCategories(['A', 'B', 'B', 'Uncertain'], ['B', 'B', 'B', 'A'], ['A', 'B', 'C']);
    expect(c.sizes).toEqual([
      { category: 'A', before: 1, after: 1 },
      { category: 'B', before: 2, after: 3 },
      { category: 'C', before: 0, after: 0 },
      { category: 'Uncertain', before: 1, after: 0 },
    ]);
    expect(c.changed).toEqual([0, 3]);
  });
});

describe('phraseWins', () => {
  it('gives each image to its label and a near miss to a close runner-up of another category', () => {
    // Scale 0.1: shares stay close (image 0: e^0.1, e^0, e^0.0707 → 34.8 %, 31.5 %, 33.8 %), so runner-ups are within 5 points.
    const r = rescore({ images, count: 3, dim: 2, categories, textEmbeds: text, run: run({ logitScale: 0.1 }) });
    const wins = phraseWins(flattenPhrases({ categories }), r);
    expect(wins.map((w) => w.wins)).toEqual([[0], [1], [2]]);
    // Image 0 (A, best "x"): runner-up "diag" (B) within 5 points: a near miss of "diag".
    // Image 1 (B, best "y"): runner-up "diag" is of the same category: none.
    // Image 2 (B, best "diag"): runner-up "x" (A): a near miss of "x" — if within 5 points.
    const gap2 = r.bestProbability[2] - r.secondProbability[2];
    const gap0 = r.bestProbability[0] - r.secondProbability[0];
    expect(gap0).toBeLessThan(5);
    expect(gap2).toBeLessThan(5);
    expect(wins.map((w) => w.nearMisses)).toEqual([[2], [], [0]]);
  });

  it('has no near misses with the demo scale (gaps far above 5 points)', () => {
    const r = rescore({ images, count: 3, dim: 2, categories, textEmbeds: text, run: run() });
    expect(phraseWins(flattenPhrases({ categories }), r).flatMap((w) => w.nearMisses)).toEqual([]);
  });
});

describe('nearDuplicates', () => {
  it('flags only pairs of different categories above the threshold', () => {
    const c = Math.cos(0.1); // 0.995
    const emb = new Float32Array([1, 0, c, Math.sin(0.1), 1, 0, 0, 1]);
    const flat = flattenPhrases({ categories: [
      { name: 'A', phrases: [{ text: 'a1' }, { text: 'a2' }] },
      { name: 'B', phrases: [{ text: 'b1' }, { text: 'b2' }] },
    ] });
    const pairs = nearDuplicates(flat, emb, 2, 0.95);
    expect(pairs.map((p) => [p.a.text, p.b.text])).toEqual([
      ['a1', 'b1'],
      ['a2', 'b1'],
    ]);
    expect(Math.abs(pairs[0].cosine - 1)).toBeLessThan(1e-6);
    expect(Math.abs(pairs[1].cosine - c)).toBeLessThan(1e-6);
    expect(nearDuplicates(flat, emb, 2, 0.999).length).toBe(1);
  });
});

describe('holdoutSplit', () => {
  const shas = Array.from({ length: 41 }, (_, i) => i.toString(16).padStart(64, '0'));
  it('holds out round(fraction × n) images, the same for the same seed whatever the input order', () => {
    const a = holdoutSplit(shas, 0.5, 'clipscope');
    expect(a.size).toBe(21);
    expect([...holdoutSplit([...shas].reverse(), 0.5, 'clipscope')].sort()).toEqual([...a].sort());
    expect([...holdoutSplit(shas, 0.5, 'other')].sort()).not.toEqual([...a].sort());
    expect(holdoutSplit(shas, 0, 's').size).toBe(0);
    expect(holdoutSplit(shas, 1, 's').size).toBe(41);
  });
});

describe('accuracyAgainstCoders', () => {
  it('compares both predictions on the same judged images with Wilson 95 % intervals', () => {
    const images = [
      { category: 'A', truth: { verdict: 'right' as const, category: 'A' } }, // build right; edit moves to B: wrong
      { category: 'A', truth: { verdict: 'wrong' as const, category: 'B' } }, // build wrong; edit B: right
      { category: 'B', truth: { verdict: 'wrong' as const, category: null } }, // no correction, edit keeps B: wrong for both
      { category: 'B', truth: { verdict: 'wrong' as const, category: null } }, // no correction, edit moves: unknown, left out
      { category: 'A', truth: null }, // not judged
      { category: 'B', truth: { verdict: 'wrong' as const, category: 'none of these' } }, // wrong for both
    ];
    const edited = ['B', 'B', 'B', 'A', 'B', 'A'];
    const { build, edited: e } = accuracyAgainstCoders(images, edited, [0, 1, 2, 3, 4, 5]);
    expect([build.right, build.n, build.unknown]).toEqual([1, 4, 1]);
    expect([e.right, e.n, e.unknown]).toEqual([1, 4, 1]);
    const w = wilson(1, 4);
    expect(Math.abs(build.low - w.low)).toBeLessThan(1e-9);
    expect(Math.abs(build.high - w.high)).toBeLessThan(1e-9);
    // Only the held-out part counted.
    const part = accuracyAgainstCoders(images, edited, [1]);
    expect([part.build.right, part.edited.right, part.edited.n]).toEqual([0, 1, 1]);
  });
});
