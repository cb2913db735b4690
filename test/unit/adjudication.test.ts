import { describe, expect, it } from 'vitest';
import { adjudicationQueue, answerText, disagree } from '../../integrations/core/adjudication.ts';
import { JUDGEMENTS_SCHEMA, type JudgementFile, type JudgementItem } from '../../integrations/core/judgements.ts';
import { indexBySha256 } from '../../integrations/core/paths.ts';

const sha = (c: string) => c.repeat(64);
const RUN = { model: 'demo-colors', modelChecksum: 'a'.repeat(64), dictionaryHash: 'b'.repeat(64) };
const IMAGES = [
  { sha256: sha('1'), path: 'a.jpg', category: 'Red' },
  { sha256: sha('2'), path: 'b.jpg', category: 'Red' },
  { sha256: sha('3'), path: 'c.jpg', category: 'Dark' },
  { sha256: sha('4'), path: 'd.jpg', category: 'Dark' },
  { sha256: sha('5'), path: 'e.jpg', category: 'Dark' },
  { sha256: sha('6'), path: 'f.jpg', category: 'Dark' },
];

type Answer = Partial<Pick<JudgementItem, 'correction' | 'noneOfThese' | 'predicted' | 'judgedAt'>> & { verdict: JudgementItem['verdict'] };

function item(c: string, a: Answer): JudgementItem {
  const image = IMAGES.find((i) => i.sha256 === sha(c))!;
  return { sha256: sha(c), path: image.path, predicted: image.category, label: 'x', probability: 50, judgedAt: '2025-03-01T14:00:00.000Z', ...a };
}

function file(coder: string, items: JudgementItem[], extra: Partial<JudgementFile> = {}): JudgementFile {
  return { schema: JUDGEMENTS_SCHEMA, run: RUN, coder, role: 'coder', mode: 'shown', exportedAt: '2025-03-01T15:00:00.000Z', items, ...extra };
}

describe('disagree', () => {
  const r = { verdict: 'right' as const, predicted: 'Red' };
  const w = { verdict: 'wrong' as const, predicted: 'Red' };
  it('compares verdicts, and categories only when both named one', () => {
    expect(disagree(r, r)).toBe(false);
    expect(disagree(r, w)).toBe(true);
    expect(disagree(r, { verdict: 'skip', predicted: 'Red' })).toBe(false);
    expect(disagree(w, { ...w, correction: 'Dark' })).toBe(false);
    expect(disagree({ ...w, correction: 'Dark' }, { ...w, correction: 'Dark' })).toBe(false);
    expect(disagree({ ...w, correction: 'Dark' }, { ...w, correction: 'Blue' })).toBe(true);
    // A category named "none" is not "none of these".
    expect(disagree({ ...w, correction: 'none' }, { ...w, noneOfThese: true })).toBe(true);
    expect(disagree({ ...w, noneOfThese: true }, { ...w, noneOfThese: true })).toBe(false);
  });
});

describe('adjudicationQueue', () => {
  const ada = file('Ada', [
    item('1', { verdict: 'right' }),
    item('2', { verdict: 'wrong', correction: 'Dark' }),
    item('3', { verdict: 'wrong', correction: 'none' }),
    item('4', { verdict: 'right' }),
    item('5', { verdict: 'skip' }),
    item('6', { verdict: 'right', predicted: 'Red' }),
  ]);
  const bo = file('Bo', [
    item('1', { verdict: 'wrong' }),
    item('2', { verdict: 'wrong', correction: 'Dark' }),
    item('3', { verdict: 'wrong', noneOfThese: true }),
    item('4', { verdict: 'wrong' }),
    item('5', { verdict: 'right' }),
    item('6', { verdict: 'wrong' }),
  ], { mode: 'blind' });

  it('lists the images whose coders differ in verdict or category, in path order, with every answer', () => {
    const queue = adjudicationQueue(IMAGES, RUN, [bo, ada]);
    // 1: R/W, 3: category "none" vs none of these, 4: R/W. Not 2 (same), 5 (a skip is no answer),
    // 6 (Ada judged another prediction).
    expect(queue.map((c) => c.path)).toEqual(['a.jpg', 'c.jpg', 'd.jpg']);
    expect(queue[1]).toEqual({
      sha256: sha('3'),
      path: 'c.jpg',
      predicted: 'Dark',
      answers: [
        { coder: 'Ada', verdict: 'wrong', correction: 'none', mode: 'shown' },
        { coder: 'Bo', verdict: 'wrong', noneOfThese: true, mode: 'blind' },
      ],
      decisions: [],
    });
    expect(queue[1].answers.map(answerText)).toEqual(['Wrong → none', 'Wrong → none of these']);
  });

  it('ignores other runs, counts a coder once (latest judgement) and reports adjudicator decisions apart', () => {
    const otherRun = file('Cy', [item('2', { verdict: 'right' })], { run: { ...RUN, dictionaryHash: 'c'.repeat(64) } });
    const adaLater = file('Ada', [item('1', { verdict: 'wrong', judgedAt: '2025-03-02T10:00:00.000Z' })]);
    const judge = file('Judge', [item('4', { verdict: 'wrong' })], { role: 'adjudicator' });
    const queue = adjudicationQueue(IMAGES, RUN, [ada, bo, otherRun, adaLater, judge]);
    // Image 1: Ada's later Wrong agrees with Bo; image 2 stays agreed (the other run's Right is ignored).
    expect(queue.map((c) => c.path)).toEqual(['c.jpg', 'd.jpg']);
    expect(queue[1].answers.map((a) => a.coder)).toEqual(['Ada', 'Bo']);
    expect(queue[1].decisions).toEqual([{ coder: 'Judge', verdict: 'wrong', mode: 'shown' }]);
  });

  it('is empty with one coder', () => {
    expect(adjudicationQueue(IMAGES, RUN, [ada])).toEqual([]);
  });
});

describe('images with the same bytes: one stands for them all, the first in path order', () => {
  // Paths in code-point order: "\u{E000}" (U+E000) before "😀" (U+1F600), though UTF-16 `<` says otherwise.
  const DUPES = [
    { sha256: sha('7'), path: 'm.jpg', category: 'Red' },
    { sha256: sha('7'), path: 'z.jpg', category: 'Red' },
    { sha256: sha('8'), path: '\u{E000}.jpg', category: 'Dark' },
    { sha256: sha('8'), path: '😀.jpg', category: 'Dark' },
  ];

  it('indexBySha256 picks the first path, in any input order', () => {
    expect(indexBySha256(DUPES)).toEqual(new Map([[sha('7'), 0], [sha('8'), 2]]));
    expect(indexBySha256(DUPES.slice().reverse())).toEqual(new Map([[sha('7'), 3], [sha('8'), 1]]));
  });

  it('the adjudication queue shows that image', () => {
    const judged = (coder: string, verdict: JudgementItem['verdict']) =>
      file(coder, [{ sha256: sha('7'), path: 'z.jpg', predicted: 'Red', label: 'x', probability: 50, judgedAt: '2025-03-01T14:00:00.000Z', verdict }]);
    const queue = adjudicationQueue(DUPES, RUN, [judged('Ada', 'right'), judged('Bo', 'wrong')]);
    expect(queue.map((c) => c.path)).toEqual(['m.jpg']);
  });
});
