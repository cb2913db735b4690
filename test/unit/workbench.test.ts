// The Workbench page's pure logic (core/workbench.ts): re-scoring as the build scores, the baseline
// check, what changed, phrase wins and near misses, near-duplicate phrases, the holdout split and the
// accuracy against the coders. Expected values are worked out by hand in each case.
// Tolerances: 1e-9 on percentages computed in float64 from exact inputs; 1e-6 on cosines of float32
// embeddings; Wilson bounds against stats.ts's own worked example (1e-9).
import { describe, expect, it } from 'vitest';
import {
  accuracyAgainstCoders,
  baselineCheck,
  CosineCache,
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
import { l2normalize } from '../../integrations/core/score.ts';
import { createNormal, createRandom } from '../../integrations/core/random.ts';

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

describe('rescore from kept cosines (CosineCache)', () => {
  // Tolerance: none. The cache keeps the float64 cosines matmulTransposed computes, column by column,
  // so an edit re-scored from it must be identical to re-scoring the edited dictionary from scratch.
  const n = 300;
  const dim = 16;
  const normal = createNormal(createRandom('workbench-cache'));
  const imgs = l2normalize(Float32Array.from({ length: n * dim }, normal), dim);
  const texts = ['a1', 'a2', 'b1', 'b2', 'c1', 'c2', 'new1', 'new2'];
  const known = rowsByText(texts, l2normalize(Float32Array.from({ length: texts.length * dim }, normal), dim), dim);
  const dict = (...cats: [string, string[]][]) => cats.map(([name, ps]) => ({ name, phrases: ps.map((t) => ({ text: t })) }));
  // Baseline, a phrase moved to another category, a category removed, a phrase added and one's text
  // changed, phrases reordered, back to the baseline.
  const edits = [
    { dictionary: dict(['A', ['a1', 'a2']], ['B', ['b1', 'b2']], ['C', ['c1', 'c2']]), newColumns: 6 },
    { dictionary: dict(['A', ['a1']], ['B', ['b1', 'b2', 'a2']], ['C', ['c1', 'c2']]), newColumns: 0 },
    { dictionary: dict(['A', ['a1']], ['B', ['b1', 'b2', 'a2']]), newColumns: 0 },
    { dictionary: dict(['A', ['a1', 'new1']], ['B', ['b1', 'new2', 'a2']]), newColumns: 2 },
    { dictionary: dict(['B', ['a2', 'new2', 'b1']], ['A', ['new1', 'a1']]), newColumns: 0 },
    { dictionary: dict(['A', ['a1', 'a2']], ['B', ['b1', 'b2']], ['C', ['c1', 'c2']]), newColumns: 0 },
  ];

  it.each(['seed', 'sum', 'ensemble', 'sigmoid'] as const)('%s: every edit of a sequence equals a full re-score', (scoring) => {
    const r = run({ scoring, logitScale: 20, logitBias: scoring === 'sigmoid' ? -2 : 0, topK: 2 });
    const cache = new CosineCache(imgs, n, dim);
    let changed = 0;
    let baseline: string[] | null = null;
    for (const { dictionary, newColumns } of edits) {
      const flat = flattenPhrases({ categories: dictionary });
      const { embeds } = phraseEmbeddings(
        flat.map((p) => p.text),
        known,
        dim,
      );
      const before = cache.computed;
      const kept = rescore({ images: imgs, count: n, dim, categories: dictionary, textEmbeds: embeds, run: r, cosines: cache });
      const full = rescore({ images: imgs, count: n, dim, categories: dictionary, textEmbeds: embeds, run: r });
      expect(kept).toEqual(full);
      // Only new texts cost a column (ensemble scoring also computes changed categories' columns).
      if (scoring !== 'ensemble') expect(cache.computed - before).toBe(newColumns);
      baseline ??= full.scores.map((s) => s.category);
      changed += full.scores.filter((s, i) => s.category !== baseline![i]).length;
    }
    // Not vacuous: the edits move images.
    expect(changed).toBeGreaterThan(0);
  });

  it('ensemble: only categories whose phrases changed get a new column', () => {
    const cache = new CosineCache(imgs, n, dim);
    const score = (dictionary: ReturnType<typeof dict>) => {
      const flat = flattenPhrases({ categories: dictionary });
      const { embeds } = phraseEmbeddings(
        flat.map((p) => p.text),
        known,
        dim,
      );
      rescore({ images: imgs, count: n, dim, categories: dictionary, textEmbeds: embeds, run: run({ scoring: 'ensemble' }), cosines: cache });
    };
    score(edits[0].dictionary);
    expect(cache.computed).toBe(6 + 3);
    score(edits[1].dictionary); // A and B changed, C did not
    expect(cache.computed).toBe(9 + 2);
  });

  it('keepOnly drops the columns of texts no longer used, and they are computed again when needed', () => {
    const cache = new CosineCache(imgs, n, dim);
    const { embeds } = phraseEmbeddings(['a1', 'b1'], known, dim);
    cache.phrases(['a1', 'b1'], embeds);
    cache.keepOnly(['a1']);
    cache.phrases(['a1', 'b1'], embeds);
    expect(cache.computed).toBe(3);
  });

  it('refuses a cache of other images', () => {
    const cache = new CosineCache(imgs.slice(), n, dim);
    expect(() => rescore({ images: imgs, count: n, dim, categories: edits[0].dictionary, textEmbeds: new Float32Array(6 * dim), run: run(), cosines: cache })).toThrow(/cosine cache belongs to other image embeddings/);
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
