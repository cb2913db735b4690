// The validation report on a hand-made example whose every number was computed by hand (below).
//
// Run: categories A, B, C. Images (sha256 = one hex digit repeated), predicted category, probability:
//   1 A 90 · 2 A 80 · 3 A 70 · 4 B 95 · 5 B 60 · 6 C 50 · 7 C 85 · 8 A 40 · a C 30
// Judgements (R right, W wrong, →X correction, S skip):
//   Ada (file 1):  1 R, 2 R, 3 W→B, 4 W→C, 5 R, 6 S, 7 R (judged when 7 was predicted A: changed),
//                  9 R (image 9 is not in this run)
//   Ada (file 2, later session): 5 W→A (later than file 1: replaces it), 1 W (earlier: ignored)
//   Bo:            1 R, 2 W→none, 3 W→B, 4 W, 5 R, 6 W→A, 8 W
//   Cy:            1 R, 2 R, 3 R, 4 W→C, 5 R, 6 R, a W→none
//
// Per image (current predictions): 1 RRR → right · 2 RWR → right · 3 WWR → wrong (→B, B) ·
//   4 WWW → wrong (→C, C) · 5 WRR → right · 6 -WR → tie · 8 W → wrong (no correction: not given) ·
//   a W → wrong (none of these).
// Accuracy: right 1, 2, 5 of 7 images with a majority = 3/7 = 0.428571; Wilson 95 % [0.1582, 0.7495]
//   (p = 3/7, z² / n = 0.548786, centre 0.453881, half-width 0.295661).
// Precision: A 2/4 = 0.5 [0.1500, 0.8500]; B 1/2 [0.0945, 0.9055]; C 0/1 [0, 0.7935] (6 is a tie).
// Confusion (rows predicted; columns A B C none not-given): A [2 1 0 0 1]; B [0 1 1 0 0]; C [0 0 0 1 0].
// Most confident wrong: 4 (95 %, →C, 3 of 3), 3 (70 %, →B, 2 of 3), 8 (40 %), a (30 %).
// Krippendorff's alpha (verdicts; pairable units 1–6, n = 17 values): coincidences o_RR = 5, o_WW = 4,
//   o_RW = o_WR = 4; n_R = 9, n_W = 8; α = 1 − (n − 1)·8 / (2·9·8) = 1 − 128/144 = 1/9 = 0.1111.
// Cohen's kappa: Ada–Bo on 1–5: p_o = 3/5, p_e = .4·.4 + .6·.6 = .52 → κ = .08/.48 = 1/6;
//   Ada–Cy on 1–5: p_o = 3/5, p_e = .4·.8 + .6·.2 = .44 → κ = .16/.56 = 2/7;
//   Bo–Cy on 1–6: p_o = 3/6, p_e = (2/6)(5/6) + (4/6)(1/6) = 14/36 → κ = (1/2 − 14/36)/(22/36) = 2/11.
// Model vs majority category (images 1 2 3 4 5 a; 8 has none): p_o = 3/6,
//   p_e = (3/6)(2/6) + (2/6)(2/6) + (1/6)(1/6) = 11/36 → κ = (18 − 11)/(36 − 11) = 7/25 = 0.28.
import { describe, expect, it } from 'vitest';
import { NONE_LABEL, NOT_GIVEN, validatedColumns, validationReport } from '../../integrations/core/validation-report.ts';
import { JUDGEMENTS_SCHEMA, type JudgementFile, type JudgementItem } from '../../integrations/core/judgements.ts';
import type { ImageResult, RunResult } from '../../integrations/core/types.ts';
import { methodsMarkdown, validationCsv, validationFigures, validationJson } from '../../integrations/clipscope/validation-downloads.ts';
import { readRfc4180 } from '../fixtures/rfc4180.ts';

const sha = (c: string) => c.repeat(64);
function image(id: string, category: string, probability: number): ImageResult {
  return { path: `img-${id}.jpg`, sha256: sha(id), size: 1, category, label: `a ${category} phrase`, probability, margin: 10, top: [], categories: {} };
}

const result: RunResult = {
  schema: 'clipscope.results/v1',
  run: {
    clipscopeVersion: '0.1.0',
    model: { name: 'm', checksum: 'f'.repeat(64), projectionDim: 2, logitScale: 100, variant: 'fp32' },
    dictionary: { source: 'd.yaml', hash: 'd'.repeat(64), categories: 3, phrases: 3 },
    scoring: 'seed',
    topK: 1,
    column: 'Classification',
    thresholds: { minProbability: null, minMargin: null },
    startedAt: '2025-01-01T00:00:00.000Z',
  },
  dictionary: { source: 'd.yaml', hash: 'd'.repeat(64), categories: ['A', 'B', 'C'].map((name) => ({ name, slug: name.toLowerCase(), phrases: [{ text: `a ${name} phrase` }] })) },
  images: [image('1', 'A', 90), image('2', 'A', 80), image('3', 'A', 70), image('4', 'B', 95), image('5', 'B', 60), image('6', 'C', 50), image('7', 'C', 85), image('8', 'A', 40), image('a', 'C', 30)],
  skipped: [],
  stats: { images: 9, embedded: 9, fromCache: 0, skipped: 0, seconds: 1 },
};

const predictedAt: Record<string, string> = { '1': 'A', '2': 'A', '3': 'A', '4': 'B', '5': 'B', '6': 'C', '7': 'A', '8': 'A', a: 'C', '9': 'B' };

/** "3W→B" style judgement. */
function j(spec: string, minute: number): JudgementItem {
  const m = /^(\w)([RWS])(?:→(.+))?$/.exec(spec)!;
  const verdict = ({ R: 'right', W: 'wrong', S: 'skip' } as const)[m[2] as 'R' | 'W' | 'S'];
  return {
    sha256: sha(m[1]),
    path: `img-${m[1]}.jpg`,
    predicted: predictedAt[m[1]],
    label: 'x',
    probability: 50,
    verdict,
    ...(m[3] === 'none' ? { noneOfThese: true as const } : m[3] ? { correction: m[3] } : {}),
    judgedAt: `2025-03-01T10:${String(minute).padStart(2, '0')}:00.000Z`,
  };
}

function file(coder: string, source: string, specs: string[], minute: number): JudgementFile & { source: string } {
  return {
    schema: JUDGEMENTS_SCHEMA,
    run: { model: 'm', modelChecksum: 'f'.repeat(64), dictionaryHash: 'd'.repeat(64) },
    coder,
    role: 'coder',
    mode: 'shown',
    exportedAt: '2025-03-01T12:00:00.000Z',
    items: specs.map((s) => j(s, minute)),
    source,
  };
}

const files = [
  file('Ada', 'ada-1.json', ['1R', '2R', '3W→B', '4W→C', '5R', '6S', '7R', '9R'], 20),
  file('Ada', 'ada-2.json', ['5W→A'], 30),
  file('Ada', 'ada-2b.json', ['1W'], 10),
  file('Bo', 'bo.json', ['1R', '2W→none', '3W→B', '4W', '5R', '6W→A', '8W'], 20),
  file('Cy', 'cy.json', ['1R', '2R', '3R', '4W→C', '5R', '6R', 'aW→none'], 20),
];

describe('validationReport on the hand-made example', () => {
  const r = validationReport(result, files);

  it('sorts judgements into current, changed since, not in this run and superseded', () => {
    expect(r.files).toBe(5);
    expect(r.judgements).toEqual({ total: 22, current: 20, changed: 1, notInRun: 1, superseded: 2, unknown: 0 });
    expect(r.changed).toEqual([{ sha256: sha('7'), path: 'img-7.jpg', coder: 'Ada', role: 'coder', was: 'A', now: 'C', verdict: 'right' }]);
    expect(r.changedTally).toEqual({ right: 1, wrong: 0, skip: 0, images: 1 });
    expect(r.images).toBe(8);
    expect(r.ties).toBe(1);
    expect(r.skips).toBe(1);
  });

  it('computes accuracy with its Wilson interval', () => {
    expect(r.accuracy.successes).toBe(3);
    expect(r.accuracy.n).toBe(7);
    expect(r.accuracy.estimate).toBeCloseTo(3 / 7, 10);
    expect(r.accuracy.low).toBeCloseTo(0.1582, 4);
    expect(r.accuracy.high).toBeCloseTo(0.7495, 4);
  });

  it('computes per-category precision with intervals and n', () => {
    const p = Object.fromEntries(r.precision.map((x) => [x.category, x]));
    expect(r.precision.map((x) => x.category)).toEqual(['A', 'B', 'C']);
    expect([p.A.successes, p.A.n, p.B.successes, p.B.n, p.C.successes, p.C.n]).toEqual([2, 4, 1, 2, 0, 1]);
    expect(p.A.low).toBeCloseTo(0.15, 4);
    expect(p.A.high).toBeCloseTo(0.85, 4);
    expect(p.B.low).toBeCloseTo(0.0945, 4);
    expect(p.B.high).toBeCloseTo(0.9055, 4);
    expect(p.C.low).toBe(0);
    expect(p.C.high).toBeCloseTo(0.7935, 4);
  });

  it('builds the confusion matrix from the corrections', () => {
    expect(r.confusion.rows).toEqual(['A', 'B', 'C']);
    expect(r.confusion.columns).toEqual(['A', 'B', 'C', NONE_LABEL, NOT_GIVEN]);
    expect(r.confusion.counts).toEqual([
      [2, 1, 0, 0, 1],
      [0, 1, 1, 0, 0],
      [0, 0, 0, 1, 0],
    ]);
  });

  it('lists the most confident wrong predictions first', () => {
    expect(r.wrong.map((w) => [w.path, w.probability, w.correction, w.wrongVotes, w.votes])).toEqual([
      ['img-4.jpg', 95, 'C', 3, 3],
      ['img-3.jpg', 70, 'B', 2, 3],
      ['img-8.jpg', 40, NOT_GIVEN, 1, 1],
      ['img-a.jpg', 30, NONE_LABEL, 1, 1],
    ]);
    expect(validationReport(result, files, { wrongLimit: 2 }).wrong).toHaveLength(2);
  });

  it('summarises each coder on current predictions', () => {
    expect(r.coders.map((c) => [c.coder, c.right, c.wrong, c.skip, c.files])).toEqual([
      ['Ada', 2, 3, 1, ['ada-1.json', 'ada-2.json', 'ada-2b.json']],
      ['Bo', 2, 5, 0, ['bo.json']],
      ['Cy', 5, 2, 0, ['cy.json']],
    ]);
    expect(r.coders[0].accuracy.estimate).toBeCloseTo(0.4, 10);
  });

  it("computes Krippendorff's alpha, Cohen's kappa per pair and model vs majority", () => {
    const a = r.agreement!;
    expect(a.coders).toBe(3);
    expect(a.alpha).toBeCloseTo(1 / 9, 10);
    expect(a.alphaValues).toBe(17);
    expect(a.alphaUnits).toBe(6);
    expect(a.pairs.map((p) => [p.a, p.b, p.n, p.observed])).toEqual([
      ['Ada', 'Bo', 5, 0.6],
      ['Ada', 'Cy', 5, 0.6],
      ['Bo', 'Cy', 6, 0.5],
    ]);
    expect(a.pairs[0].kappa).toBeCloseTo(1 / 6, 10);
    expect(a.pairs[1].kappa).toBeCloseTo(2 / 7, 10);
    expect(a.pairs[2].kappa).toBeCloseTo(2 / 11, 10);
    expect(a.modelVsMajority.n).toBe(6);
    expect(a.modelVsMajority.observed).toBeCloseTo(0.5, 10);
    expect(a.modelVsMajority.kappa).toBeCloseTo(0.28, 10);
  });

  it('gives the validated columns of the downloadable results', () => {
    expect(validatedColumns(r, sha('1'))).toEqual({ validated: 'right', validatedCategory: 'A' });
    expect(validatedColumns(r, sha('3'))).toEqual({ validated: 'wrong', validatedCategory: 'B' });
    expect(validatedColumns(r, sha('6'))).toEqual({ validated: 'tie', validatedCategory: '' });
    expect(r.bySha256[sha('6')]).toEqual({ validated: 'tie', category: '', right: 1, wrong: 1, adjudicated: false });
    expect(validatedColumns(r, sha('8'))).toEqual({ validated: 'wrong', validatedCategory: '' });
    expect(validatedColumns(r, sha('a'))).toEqual({ validated: 'wrong', validatedCategory: NONE_LABEL });
    // Changed since (7) and never judged: empty.
    expect(validatedColumns(r, sha('7'))).toEqual({ validated: '', validatedCategory: '' });
    expect(validatedColumns(r, '__proto__')).toEqual({ validated: '', validatedCategory: '' });
  });
});

describe('validationReport edge cases', () => {
  it('has no agreement section with one coder, and empty statistics without files', () => {
    const one = validationReport(result, [files[3]]);
    expect(one.agreement).toBeNull();
    // Bo alone: 1 R, 5 R are right; 2, 3, 4, 6, 8 wrong → 2/7.
    expect([one.accuracy.successes, one.accuracy.n]).toEqual([2, 7]);
    const none = validationReport(result, []);
    expect(none.accuracy.n).toBe(0);
    expect(Number.isNaN(none.accuracy.estimate)).toBe(true);
    expect(none.confusion.counts).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    expect(none.wrong).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// A larger run for the estimators: category A has 10 images (a0…a9), B has 30 (b00…b29),
// Uncertain 5 (u0…u4; never drawn for judging).

function runOf(groups: Record<string, number>): RunResult {
  const images: ImageResult[] = [];
  for (const [category, n] of Object.entries(groups)) {
    for (let i = 0; i < n; i++) {
      const id = `${category.toLowerCase()}${String(i).padStart(2, '0')}`;
      images.push({ path: `${id}.jpg`, sha256: id.padEnd(64, '0').replace(/[^0-9a-f]/g, 'e'), size: 1, category, label: `a ${category} phrase`, probability: 90 - i, margin: 10, top: [], categories: {} });
    }
  }
  images.sort((a, b) => (a.path < b.path ? -1 : 1));
  const names = Object.keys(groups).filter((c) => c !== 'Uncertain');
  return {
    ...result,
    dictionary: { source: 'd.yaml', hash: 'd'.repeat(64), categories: names.map((name) => ({ name, slug: name.toLowerCase(), phrases: [{ text: `a ${name} phrase` }] })) },
    images,
    stats: { images: images.length, embedded: images.length, fromCache: 0, skipped: 0, seconds: 1 },
  };
}

const big = runOf({ A: 10, B: 30, Uncertain: 5 });
const img = (id: string) => big.images.find((i) => i.path === `${id}.jpg`)!;

/** "a00 R", "a02 W→B", "b00 W→none", "b01 S"; blind: "a00 =A", "b00 =none" (the pick). */
function item(spec: string, minute = 0): JudgementItem {
  const [id, what] = spec.split(' ');
  const image = img(id);
  const base = { sha256: image.sha256, path: image.path, predicted: image.category, label: image.label, probability: image.probability, judgedAt: `2025-03-01T10:${String(minute).padStart(2, '0')}:00.000Z` };
  if (what.startsWith('=')) {
    const pick = what.slice(1);
    if (pick === image.category) return { ...base, verdict: 'right' };
    return { ...base, verdict: 'wrong', ...(pick === 'none' ? { noneOfThese: true as const } : { correction: pick }) };
  }
  const [v, correction] = what.split('→');
  const verdict = ({ R: 'right', W: 'wrong', S: 'skip' } as const)[v as 'R' | 'W' | 'S'];
  return { ...base, verdict, ...(correction === 'none' ? { noneOfThese: true as const } : correction ? { correction } : {}) };
}

function judgements(coder: string, specs: string[], opts: { role?: 'coder' | 'adjudicator'; mode?: 'shown' | 'blind'; source?: string } = {}): JudgementFile & { source: string } {
  return {
    schema: JUDGEMENTS_SCHEMA,
    run: { model: 'm', modelChecksum: 'f'.repeat(64), dictionaryHash: 'd'.repeat(64) },
    coder,
    role: opts.role ?? 'coder',
    mode: opts.mode ?? 'shown',
    exportedAt: '2025-03-01T12:00:00.000Z',
    items: specs.map((s) => item(s)),
    source: opts.source ?? `${coder.toLowerCase()}.json`,
  };
}

describe('corrections that are not the run\'s categories', () => {
  it('are reported with file, coder and image, and left out of every figure', () => {
    const r = validationReport(big, [judgements('Ada', ['a00 R', 'a01 W→Zebra', 'b00 W→A', 'b01 W→Uncertain'])]);
    expect(r.unknown).toEqual([
      { file: 'ada.json', coder: 'Ada', role: 'coder', sha256: img('a01').sha256, path: 'a01.jpg', correction: 'Zebra' },
      { file: 'ada.json', coder: 'Ada', role: 'coder', sha256: img('b01').sha256, path: 'b01.jpg', correction: 'Uncertain' },
    ]);
    expect(r.judgements.unknown).toBe(2);
    expect(r.confusion.columns).toEqual(['A', 'B']);
    expect([r.accuracy.successes, r.accuracy.n]).toEqual([1, 2]);
    expect(validatedColumns(r, img('a01').sha256)).toEqual({ validated: '', validatedCategory: '' });
    expect(r.coders[0].wrong).toBe(1);
  });
});

describe('collection accuracy, recall and F1 (hand-computed)', () => {
  // One coder. A (N = 10): a00 a01 Right, a02 a03 Wrong → B. B (N = 30): b00 Wrong → A, b01 b02
  // Right. Uncertain (N = 5): nothing judged (left out, named).
  // Sample accuracy 4/7. Collection: W = 10/40, 30/40; p̂ = .5, 2/3 → .25·.5 + .75·2/3 = 0.625;
  //   V̂ = .0625·(1 − 4/10)·(.25/3) + .5625·(1 − 3/30)·((2/9)/2) = 0.003125 + 0.05625 = 0.059375.
  // Recall A: stratum A pairs (y, x) (1,1)(1,1)(0,0)(0,0), stratum B (0,1)(0,0)(0,0):
  //   R̂ = (.25·.5)/(.25·.5 + .75/3) = 1/3; V̂ = 4.4/81 (worked in stats.test.ts).
  // Recall B: stratum A (0,0)(0,0)(0,1)(0,1), stratum B (0,0)(1,1)(1,1): ȳ = .75·2/3 = .5,
  //   x̄ = .25·.5 + .75·2/3 = .625 → R̂ = .8; d = y − .8x: A 0 0 −.8 −.8 (s² = .64/3),
  //   B 0 .2 .2 (s² = .04/3); V̂ = [.0625·.6·(.64/3)/4 + .5625·.9·(.04/3)/3]/.625² = .00425/.390625.
  // F1: A 2·.5·(1/3)/(.5 + 1/3) = 0.4; B 2·(2/3)·.8/(2/3 + .8) = 8/11.
  const r = validationReport(big, [judgements('Ada', ['a00 R', 'a01 R', 'a02 W→B', 'a03 W→B', 'b00 W→A', 'b01 R', 'b02 R'])]);
  const cat = Object.fromEntries(r.categories.map((c) => [c.category, c]));

  it('reports the sample accuracy and the stratified collection accuracy apart', () => {
    expect([r.accuracy.successes, r.accuracy.n]).toEqual([4, 7]);
    const c = r.collection!;
    expect(c.estimate).toBeCloseTo(0.625, 12);
    expect(c.variance).toBeCloseTo(0.059375, 12);
    expect(c.low).toBeCloseTo(0.625 - 1.959964 * Math.sqrt(0.059375), 5);
    expect(c.high).toBe(1); // 0.625 + 0.4776 clipped
    expect(c.population).toBe(40);
    expect(c.excluded).toEqual([{ category: 'Uncertain', population: 5 }]);
  });

  it('estimates recall per category by strata, with its interval, and F1', () => {
    expect([cat.A.population, cat.A.judged, cat.B.population, cat.B.judged, cat.Uncertain.population]).toEqual([10, 4, 30, 3, 5]);
    expect(cat.A.recall!.estimate).toBeCloseTo(1 / 3, 12);
    expect(cat.A.recall!.se).toBeCloseTo(Math.sqrt(4.4 / 81), 10);
    expect(cat.B.recall!.estimate).toBeCloseTo(0.8, 12);
    expect(cat.B.recall!.se).toBeCloseTo(Math.sqrt(0.00425 / 0.390625), 10);
    expect(cat.B.recall!.high).toBeCloseTo(Math.min(1, 0.8 + 1.959964 * Math.sqrt(0.00425 / 0.390625)), 5);
    expect(cat.A.f1).toBeCloseTo(0.4, 12);
    expect(cat.B.f1).toBeCloseTo(8 / 11, 12);
    expect(cat.Uncertain.recall).toBeNull();
  });

  it('plans how many more judgements bring a category to ± 10 and ± 5 points', () => {
    // A: planning p = (2 + 2)/(4 + 4) = .5; n₀ = 96.04 (± 10) and 384.1 (± 5); N = 10 →
    // 96.04/(1 + 95.04/10) = 9.14 → 10 and 384.1/(1 + 383.1/10) = 9.77 → 10: 6 more either way.
    expect(cat.A.plan).toEqual([{ halfWidth: 0.1, total: 10, more: 6 }, { halfWidth: 0.05, total: 10, more: 6 }]);
    // B: p = (2 + 2)/(3 + 4) = 4/7; n₀ = 1.96²·(12/49)/.01 = 94.08 → 94.08/(1 + 93.08/30) = 22.92 → 23.
    expect(cat.B.plan[0]).toEqual({ halfWidth: 0.1, total: 23, more: 20 });
  });
});

describe('ties and adjudication', () => {
  // Ada and Bo, shown: a00 R/R, a01 R/W (tie), a02 W→B / R (tie), b00 W→A / W→A, b01 R/R.
  const coders = [judgements('Ada', ['a00 R', 'a01 R', 'a02 W→B', 'b00 W→A', 'b01 R']), judgements('Bo', ['a00 R', 'a01 W→B', 'a02 R', 'b00 W→A', 'b01 R'])];

  it('reports ties and says how many images the figures rest on', () => {
    const r = validationReport(big, coders);
    expect(r.ties).toBe(2);
    expect(r.adjudicated).toBe(0);
    expect(r.images).toBe(5);
    expect([r.accuracy.successes, r.accuracy.n]).toEqual([2, 3]);
    expect(validatedColumns(r, img('a01').sha256).validated).toBe('tie');
  });

  it("lets an adjudicator's verdict decide the images it covers (ties or not)", () => {
    const judge = judgements('Cy', ['a01 W→B', 'a02 R', 'b01 W→A'], { role: 'adjudicator' });
    const r = validationReport(big, [...coders, judge]);
    expect(r.ties).toBe(0);
    expect(r.adjudicated).toBe(3);
    expect(r.adjudicatedTies).toBe(2);
    // Decided: a00 R, a01 W (adj.), a02 R (adj.), b00 W, b01 W (adj., over both coders' Right).
    expect([r.accuracy.successes, r.accuracy.n]).toEqual([2, 5]);
    expect(r.bySha256[img('a01').sha256]).toEqual({ validated: 'wrong', category: 'B', right: 1, wrong: 1, adjudicated: true });
    expect(validatedColumns(r, img('b01').sha256)).toEqual({ validated: 'wrong', validatedCategory: 'A' });
    // The adjudicator is listed, but is no coder in the agreement figures.
    expect(r.coders.map((c) => [c.coder, c.role])).toEqual([['Ada', 'coder'], ['Bo', 'coder'], ['Cy', 'adjudicator']]);
    expect(r.agreement!.coders).toBe(2);
    expect(r.agreement!.pairs.map((p) => [p.a, p.b, p.n])).toEqual([['Ada', 'Bo', 5]]);
  });
});

describe('blind coding', () => {
  // Ada and Bo pick categories without seeing the prediction: a00 A/A (right), a01 B/B (wrong → B),
  // b00 B/none (tie), b01 none/none (wrong → none of these), b02 B/B, b03 A/A.
  // Alpha over categories, units [A A] [B B] [B none] [none none] [B B] [A A]: o_AA = 4, o_BB = 4,
  // o_B,none = o_none,B = 1, o_none,none = 2; n = 12, n_A = 4, n_B = 5, n_none = 3;
  // D_o = 2/12, D_e = (144 − 16 − 25 − 9)/(12·11) = 94/132 → α = 1 − (2/12)/(94/132) = 1 − 22/94 = 0.765957.
  const ada = judgements('Ada', ['a00 =A', 'a01 =B', 'b00 =B', 'b01 =none', 'b02 =B', 'b03 =A'], { mode: 'blind' });
  const bo = judgements('Bo', ['a00 =A', 'a01 =B', 'b00 =none', 'b01 =none', 'b02 =B', 'b03 =A'], { mode: 'blind' });

  it('computes alpha over the picked categories and accuracy as agreement with the coders\' category', () => {
    const r = validationReport(big, [ada, bo]);
    expect(r.mode).toBe('blind');
    expect(r.agreement!.over).toBe('categories');
    expect(r.agreement!.alpha).toBeCloseTo(1 - 22 / 94, 10);
    expect(r.agreement!.alphaReading).toBe('tentative');
    expect(r.agreement!.alphaLow).toBeLessThan(r.agreement!.alpha);
    expect(r.ties).toBe(1);
    // Decided: a00 right, a01 wrong (B), b01 wrong (none), b02 right, b03 wrong (A).
    expect([r.accuracy.successes, r.accuracy.n]).toEqual([2, 5]);
    expect(validatedColumns(r, img('b01').sha256)).toEqual({ validated: 'wrong', validatedCategory: NONE_LABEL });
    expect(validatedColumns(r, img('b03').sha256)).toEqual({ validated: 'wrong', validatedCategory: 'A' });
  });

  it('never mixes blind and shown files: the other mode is left out and named', () => {
    const cy = judgements('Cy', ['a00 W→B', 'a01 R'], { source: 'cy-shown.json' });
    const r = validationReport(big, [ada, bo, cy]);
    expect(r.mode).toBe('blind');
    expect(r.leftOut).toEqual([{ file: 'cy-shown.json', coder: 'Cy', mode: 'shown' }]);
    expect(r.coders.map((c) => c.coder)).toEqual(['Ada', 'Bo']);
    expect([r.accuracy.successes, r.accuracy.n]).toEqual([2, 5]);
    // Shown coding where most files are shown.
    const shown = validationReport(big, [cy, judgements('Dee', ['a00 R'])]);
    expect(shown.mode).toBe('shown');
    expect(shown.agreement!.over).toBe('verdicts');
  });
});

describe('validation downloads (validation.json, validation.csv, Methods)', () => {
  const files = [
    judgements('Ada', ['a00 R', 'a01 R', 'a02 W→B', 'a03 W→B', 'b00 W→A', 'b01 R', 'b02 R']),
    judgements('Bo', ['a00 R', 'a01 W→B', 'a02 W→B', 'a03 W→B', 'b00 W→A', 'b01 R', 'b02 R']),
    judgements('Cy', ['a01 R'], { role: 'adjudicator' }),
  ];
  const v = validationReport(big, files);
  const figures = validationFigures(big, v, { perCategory: 4 });
  const json = JSON.parse(validationJson(figures));

  it('writes clipscope.validation/v1 with the figures as fractions', () => {
    expect(json.schema).toBe('clipscope.validation/v1');
    expect(json.mode).toBe('shown');
    expect(Object.keys(json.accuracy.sample)).toEqual(expect.arrayContaining(['estimate', 'low', 'high', 'n']));
    // Same decisions as the hand-computed case above (a01 adjudicated Right).
    expect(json.accuracy.sample.n).toBe(7);
    expect(json.accuracy.sample.estimate).toBeCloseTo(4 / 7, 12);
    expect(json.accuracy.collection.estimate).toBeCloseTo(0.625, 12);
    expect(json.accuracy.collection.method).toMatch(/stratified/);
    expect(json.accuracy.collection.excluded).toEqual([{ category: 'Uncertain', population: 5 }]);
    const a = json.categories.find((c: { category: string }) => c.category === 'A');
    expect([a.population, a.judged, a.precision.estimate]).toEqual([10, 4, 0.5]);
    expect(a.recall.estimate).toBeCloseTo(1 / 3, 12);
    expect(json.categories.find((c: { category: string }) => c.category === 'Uncertain').recall).toBeNull();
    expect(json.agreement.pairs).toEqual([{ coders: ['Ada', 'Bo'], n: 7, observed: 6 / 7, kappa: expect.any(Number) }]);
    expect(json.agreement.alphaLow).toBeLessThanOrEqual(json.agreement.alpha);
    expect(json.ties).toBe(0);
    expect(json.adjudicated).toBe(1);
    expect(json.adjudicatedTies).toBe(1);
    for (const e of [json.accuracy.sample, json.accuracy.collection, a.precision, a.recall]) {
      for (const k of ['estimate', 'low', 'high']) expect(e[k]).toBeGreaterThanOrEqual(0), expect(e[k]).toBeLessThanOrEqual(1);
    }
    // Deterministic: the same input gives the same bytes.
    expect(validationJson(validationFigures(big, validationReport(big, files), { perCategory: 4 }))).toBe(validationJson(figures));
  });

  it('gives the same figures as CSV, one per row', () => {
    const rows = readRfc4180(validationCsv(figures).trim());
    expect(rows[0]).toEqual(['figure', 'subject', 'estimate', 'low', 'high', 'n', 'mode', 'method']);
    const collection = rows.find((r) => r[0] === 'accuracy_collection')!;
    expect(Number(collection[2])).toBeCloseTo(0.625, 12);
    expect(rows.find((r) => r[0] === 'recall' && r[1] === 'B')).toBeDefined();
    expect(rows.filter((r) => r[0] === 'kappa').map((r) => r[1])).toEqual(['Ada – Bo']);
    expect(rows.find((r) => r[0] === 'population' && r[1] === 'A')).toEqual(['population', 'A', '', '', '', '10', 'shown', '']);
    expect(rows.find((r) => r[0] === 'adjudicated')!.slice(2, 6)).toEqual(['', '', '', '1']);
  });

  it('names each interval’s estimator in a method column, worded as in validation.json', () => {
    const rows = readRfc4180(validationCsv(figures).trim());
    const method = (figure: string, subject = '') => rows.find((r) => r[0] === figure && (subject === '' || r[1] === subject))![7];
    expect(method('accuracy_sample')).toBe(figures.accuracy.sample.method);
    expect(method('accuracy_collection')).toBe(figures.accuracy.collection!.method);
    expect(method('precision', 'A')).toBe(figures.methods.precision);
    expect(method('recall', 'B')).toBe(figures.methods.recall);
    expect(method('alpha')).toBe(figures.methods.alpha);
    expect(method('accuracy_collection')).toMatch(/stratified/);
    // Rows without an interval name no estimator.
    for (const figure of ['kappa', 'f1', 'population', 'images_judged']) expect(method(figure)).toBe('');
  });

  it('writes a Methods paragraph and table naming the estimators', () => {
    const md = methodsMarkdown(figures);
    expect(md).toContain('up to 4 images per predicted category');
    expect(md).toMatch(/Krippendorff's α .* = [.0-9]+ \(95 % bootstrap interval/);
    expect(md).toContain('stratified estimator with finite-population correction');
    expect(md).toContain('62.5 %');
    expect(md).toContain('Uncertain (5)');
    expect(md).toContain('| A | 10 | 4 | 50.0 % (');
    expect(md).toContain('An adjudicator decided 1 image, 1 of which was a tie between coders.');
    const piped = methodsMarkdown({ ...figures, categories: [{ ...figures.categories[0], category: 'a|b\nc' }] });
    expect(piped).toContain('| a\\|b c |');
  });
});
