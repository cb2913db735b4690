// The validation widget's logic, in Node: the reducer and the key scheme of src/components/validate/state.ts.
import { describe, expect, it } from 'vitest';
import {
  ARM_MS,
  answerVisible,
  choices,
  counts,
  current,
  emptyState,
  initialState,
  keyAction,
  reducer,
  reviewList,
  type Action,
  type KeyInput,
  type State,
} from '../../src/components/validate/state.ts';
import { JUDGEMENTS_SCHEMA, parseJudgementText, serialiseJudgements, type JudgementFile } from '../../integrations/core/judgements.ts';
import type { WidgetItem } from '../../integrations/clipscope/report/widget-data.ts';

const RUN = { model: 'm', modelChecksum: 'a'.repeat(64), dictionaryHash: 'b'.repeat(64) };
const CATEGORIES = ['Red', 'none', 'Blue', 'Green', 'Dark', 'Warm', 'Cold', 'Grey', 'Pink', 'Violet', 'Yellow'];
const ITEMS: WidgetItem[] = ['1', '2', '3', '4'].map((c, i) => ({
  sha256: c.repeat(64),
  path: `img-${i + 1}.jpg`,
  predicted: i === 0 ? 'Red' : 'Dark',
  label: 'a picture',
  probability: 60 + i,
  phraseShare: null,
  second: null,
  src: null,
  width: 0,
  height: 0,
}));

let clock = 1_000_000;
const iso = () => new Date(clock).toISOString();

function setup(opts: { mode?: 'shown' | 'blind'; role?: 'coder' | 'adjudicator'; coder?: string } = {}): State {
  let s = initialState({ run: RUN, items: ITEMS, categories: CATEGORIES, role: opts.role ?? 'coder', mode: opts.mode ?? 'shown' });
  s = reducer(s, { type: 'load', coder: '', mode: opts.mode ?? 'shown', judgements: emptyState() });
  if (opts.coder !== '') s = reducer(s, { type: 'start', coder: opts.coder ?? 'Ada', judgements: emptyState() });
  return s;
}

/** The view's part: the current image is on screen (its load event), then time passes. */
function see(s: State, ms = ARM_MS): State {
  const item = current(s);
  if (!item) return s;
  const next = reducer(s, { type: 'shown', sha256: item.sha256, now: clock });
  clock += ms;
  return next;
}

function key(s: State, k: string, extra: Partial<KeyInput> = {}): State {
  const action = keyAction(s, { key: k, ctrl: false, meta: false, alt: false, inFilter: false, inOtherField: false, now: clock, iso: iso(), ...extra });
  return action ? reducer(s, action) : s;
}

const judge = (s: State, verdict: 'right' | 'wrong' | 'skip'): State => reducer(s, { type: 'judge', verdict, now: clock, iso: iso() });
const dispatch = (s: State, ...actions: Action[]) => actions.reduce(reducer, s);

function exported(s: State): JudgementFile {
  const text = serialiseJudgements({ schema: JUDGEMENTS_SCHEMA, run: RUN, coder: s.coder, role: s.role, mode: s.mode, exportedAt: iso(), items: Object.values(s.judgements.items) });
  const parsed = parseJudgementText(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.file;
}

describe('judging waits until the image has been seen', () => {
  it('ignores a judgement before the image is shown and for ARM_MS after, then records it', () => {
    let s = setup();
    s = judge(s, 'right');
    expect(counts(s).judged).toBe(0);
    s = see(s, ARM_MS - 1);
    s = judge(s, 'right');
    expect(counts(s).judged).toBe(0);
    expect(s.message?.text).toMatch(/Not recorded: a new image was just shown/);
    clock += 1;
    s = judge(s, 'right');
    expect(counts(s).judged).toBe(1);
    expect(s.write).toMatchObject({ coder: 'Ada', mode: 'shown' });
  });

  it('a reflex second key press (the same instant) does not judge the next, unseen image', () => {
    let s = see(setup());
    s = key(s, 'r');
    s = key(s, 'r');
    s = key(s, 'w');
    expect(counts(s)).toEqual({ judged: 1, right: 1, wrong: 0 });
    expect(current(s)!.path).toBe('img-2.jpg');
    // The next image is shown, but only for 100 ms: still nothing.
    s = see(s, 100);
    s = key(s, 'r');
    expect(counts(s).judged).toBe(1);
  });
});

describe('the key scheme', () => {
  it('R right, W wrong, S skip; ← → browse without judging; U and Ctrl+Z undo', () => {
    let s = see(setup());
    s = see(key(s, 'r'));
    s = key(s, 'ArrowLeft');
    expect(current(s)!.path).toBe('img-1.jpg');
    expect(counts(s).judged).toBe(1);
    s = key(s, 'ArrowRight');
    expect(current(s)!.path).toBe('img-2.jpg');
    s = see(key(see(s), 's'));
    expect(counts(s)).toEqual({ judged: 2, right: 1, wrong: 0 });
    s = key(s, 'u');
    expect(counts(s).judged).toBe(1);
    expect(current(s)!.path).toBe('img-2.jpg');
    s = key(s, 'z', { ctrl: true });
    expect(counts(s).judged).toBe(0);
    s = key(s, 'u');
    expect(s.status).toBe('Nothing to undo.');
  });

  it('W opens the choices; Esc closes them keeping the Wrong without a category', () => {
    let s = see(setup());
    s = key(s, 'w');
    expect(s.correcting).toBe(ITEMS[0].sha256);
    s = key(s, 'Escape', { inFilter: true });
    expect(s.correcting).toBeNull();
    expect(current(s)!.path).toBe('img-2.jpg');
    expect(s.judgements.items[ITEMS[0].sha256]).toMatchObject({ verdict: 'wrong' });
    expect(s.judgements.items[ITEMS[0].sha256].correction).toBeUndefined();
  });

  it('Enter with nothing highlighted picks nothing in shown mode (a reflex Enter after W is "no category")', () => {
    let s = see(setup());
    s = key(s, 'w');
    s = key(s, 'Enter', { inFilter: true });
    expect(s.judgements.items[ITEMS[0].sha256].correction).toBeUndefined();
    expect(s.correcting).toBeNull();
  });

  it('keys in the name field do nothing; R before a name explains', () => {
    let s = setup({ coder: '' });
    expect(keyAction(s, { key: 'r', ctrl: false, meta: false, alt: false, inFilter: false, inOtherField: true, now: clock, iso: iso() })).toBeNull();
    s = key(s, 'r');
    expect(s.message).toEqual({ kind: 'error', text: expect.stringMatching(/Enter your name/) });
    expect(counts(s).judged).toBe(0);
  });
});

describe('picking a category', () => {
  it('numbers the first nine pickable choices; the prediction is not pickable after Wrong', () => {
    let s = see(setup());
    s = key(s, 'w');
    const list = choices(s);
    expect(list[0]).toEqual({ category: 'Red', key: null, disabled: true });
    expect(list.slice(1, 3).map((c) => c.key)).toEqual(['1', '2']);
    expect(list.filter((c) => c.key).length).toBe(9);
    expect(list.at(-1)).toEqual({ category: 'Yellow', key: null, disabled: false });
  });

  it('reaches every category of more than nine by typing to filter, then Enter or its digit', () => {
    let s = see(setup());
    s = key(s, 'w');
    s = reducer(s, { type: 'filter', text: 'yel' });
    expect(choices(s).map((c) => [c.category, c.key])).toEqual([['Yellow', '1']]);
    s = key(s, 'Enter', { inFilter: true });
    expect(s.judgements.items[ITEMS[0].sha256]).toMatchObject({ verdict: 'wrong', correction: 'Yellow' });
    // ↓ moves through the filtered choices; the filter folds case and accents.
    s = see(key(see(s), 'w'));
    s = reducer(s, { type: 'filter', text: 'E' });
    expect(choices(s).map((c) => c.category)).toEqual(['Red', 'none', 'Blue', 'Green', 'Grey', 'Violet', 'Yellow']);
    s = key(s, 'ArrowDown', { inFilter: true });
    s = key(s, 'Enter', { inFilter: true });
    expect(s.judgements.items[ITEMS[1].sha256]).toMatchObject({ correction: 'none' });
  });

  it('keeps a category named "none" apart from "none of these" in the exported file', () => {
    let s = see(setup());
    s = key(s, 'w');
    s = key(s, '1'); // "none" is the first pickable choice (Red is the prediction)
    s = see(s);
    s = key(s, 'w');
    s = key(s, '0');
    const items = exported(s).items;
    expect(items.find((i) => i.path === 'img-1.jpg')).toMatchObject({ verdict: 'wrong', correction: 'none' });
    expect(items.find((i) => i.path === 'img-1.jpg')!.noneOfThese).toBeUndefined();
    expect(items.find((i) => i.path === 'img-2.jpg')).toMatchObject({ verdict: 'wrong', noneOfThese: true });
    expect(items.find((i) => i.path === 'img-2.jpg')!.correction).toBeUndefined();
  });
});

describe('blind mode', () => {
  it('derives the verdict from the pick and writes mode "blind"; hides the answer', () => {
    let s = see(setup({ mode: 'blind' }));
    expect(answerVisible(s)).toBe(false);
    // R and W are no verdicts in blind mode: the coder picks a category.
    s = key(s, 'r');
    expect(counts(s).judged).toBe(0);
    s = key(s, '1'); // Red: the prediction → right
    s = see(s);
    s = key(s, '1'); // Red, prediction Dark → wrong, correction Red
    s = see(s);
    s = key(s, '0'); // none of these
    s = see(s);
    s = key(s, '?'); // skip
    const file = exported(s);
    expect(file.mode).toBe('blind');
    expect(file.items.map((i) => [i.path, i.verdict, i.correction ?? (i.noneOfThese ? 'NONE' : '')])).toEqual([
      ['img-1.jpg', 'right', ''],
      ['img-2.jpg', 'wrong', 'Red'],
      ['img-3.jpg', 'wrong', 'NONE'],
      ['img-4.jpg', 'skip', ''],
    ]);
    // The status line names the pick, never Right/Wrong (which would reveal the model's answer).
    expect(s.status).not.toMatch(/right|wrong|accuracy/i);
  });

  it('a pick also waits for the image to be seen', () => {
    let s = setup({ mode: 'blind' });
    s = see(s, 10);
    s = key(s, '1');
    expect(counts(s).judged).toBe(0);
  });

  it('switching mode loads the other mode\'s judgements: the two are never mixed', () => {
    let s = see(setup());
    s = key(s, 'r');
    s = reducer(s, { type: 'mode', mode: 'blind', judgements: emptyState() });
    expect(s.mode).toBe('blind');
    expect(counts(s).judged).toBe(0);
    expect(s.message?.text).toMatch(/1 shown-mode judgements are kept apart/);
    s = key(see(s), '2');
    expect(s.write).toMatchObject({ mode: 'blind' });
    expect(Object.keys(s.write!.judgements.items)).toHaveLength(1);
  });
});

describe('review', () => {
  it('lists past judgements latest first; going back to one and judging again replaces it', () => {
    let s = see(setup());
    s = see(key(s, 'r'));
    s = see(key(s, 'r'));
    expect(reviewList(s).map((r) => r.item.path)).toEqual(['img-2.jpg', 'img-1.jpg']);
    s = see(reducer(s, { type: 'goto', index: 0 }));
    expect(s.status).toMatch(/judged Right; judging it again replaces that/);
    s = key(s, 'w');
    s = key(s, 'Escape', { inFilter: true });
    expect(counts(s)).toEqual({ judged: 2, right: 1, wrong: 1 });
    expect(current(s)!.path).toBe('img-3.jpg');
  });
});

describe('import', () => {
  const file = (coder: string, extra: Partial<JudgementFile> = {}): JudgementFile => ({
    schema: JUDGEMENTS_SCHEMA,
    run: RUN,
    coder,
    role: 'coder',
    mode: 'shown',
    exportedAt: iso(),
    items: [{ sha256: ITEMS[2].sha256, path: 'img-3.jpg', predicted: 'Dark', label: 'a picture', probability: 62, verdict: 'right', judgedAt: iso() }],
    ...extra,
  });

  it("keeps the active coder when another coder's file is imported; the file's judgements go to its coder", () => {
    let s = see(setup());
    s = see(key(s, 'r'));
    s = reducer(s, { type: 'import', fileName: 'bo.json', file: file('Bo'), existing: emptyState() });
    expect(s.coder).toBe('Ada');
    expect(counts(s).judged).toBe(1);
    expect(s.write).toMatchObject({ coder: 'Bo', mode: 'shown' });
    expect(Object.keys(s.write!.judgements.items)).toEqual([ITEMS[2].sha256]);
    expect(s.message?.text).toMatch(/kept as coder Bo's judgements\. You are still judging as Ada/);
    // Later judgements are Ada's.
    s = key(s, 'r');
    expect(s.write).toMatchObject({ coder: 'Ada' });
  });

  it("merges the active coder's own file; with no coder yet it starts as the file's coder and says so", () => {
    let s = reducer(setup(), { type: 'import', fileName: 'ada.json', file: file('Ada'), existing: emptyState() });
    expect(counts(s).judged).toBe(1);
    s = reducer(setup({ coder: '' }), { type: 'import', fileName: 'bo.json', file: file('Bo'), existing: emptyState() });
    expect(s.coder).toBe('Bo');
    expect(s.message?.text).toMatch(/Now judging as Bo/);
  });

  it('keeps a blind-mode file apart from shown-mode judgements; refuses an adjudicator file here', () => {
    let s = see(setup());
    s = reducer(s, { type: 'import', fileName: 'blind.json', file: file('Ada', { mode: 'blind' }), existing: emptyState() });
    expect(s.mode).toBe('shown');
    expect(counts(s).judged).toBe(0);
    expect(s.write).toMatchObject({ coder: 'Ada', mode: 'blind' });
    s = reducer(s, { type: 'import', fileName: 'judge.json', file: file('Cy', { role: 'adjudicator' }), existing: emptyState() });
    expect(s.message).toEqual({ kind: 'error', text: expect.stringMatching(/judge\.json was not imported\. It is an adjudicator's file/) });
  });

  it('asks before overwriting a different judgement', () => {
    let s = see(setup());
    const mine = { items: { [ITEMS[2].sha256]: { ...file('Ada').items[0], verdict: 'wrong' as const } }, history: [] };
    s = dispatch(s, { type: 'import', fileName: 'ada.json', file: file('Ada'), existing: mine });
    expect(s.pending?.plan.conflicts).toHaveLength(1);
    s = reducer(s, { type: 'resolveImport', choice: 'use-file' });
    expect(s.pending).toBeNull();
    expect(s.write!.judgements.items[ITEMS[2].sha256].verdict).toBe('right');
  });
});

describe('adjudicator role', () => {
  it('always judges in shown mode and writes role "adjudicator"', () => {
    let s = setup({ role: 'adjudicator', mode: 'blind' });
    expect(s.mode).toBe('shown');
    s = reducer(s, { type: 'mode', mode: 'blind', judgements: emptyState() });
    expect(s.mode).toBe('shown');
    s = key(see(s), 'r');
    expect(exported(s)).toMatchObject({ role: 'adjudicator', mode: 'shown', coder: 'Ada' });
  });
});

describe('enlarging', () => {
  it('+ (and Z outside the filter) enlarges; Esc closes the enlarged image before anything else', () => {
    let s = see(setup());
    s = key(s, 'z');
    expect(s.zoom).toBe(true);
    s = key(s, 'r');
    expect(counts(s).judged).toBe(0);
    s = key(s, 'Escape');
    expect(s.zoom).toBe(false);
    s = key(s, 'w');
    s = key(s, '+', { inFilter: true });
    expect(s.zoom).toBe(true);
    s = key(s, 'Escape', { inFilter: true });
    expect([s.zoom, s.correcting]).toEqual([false, ITEMS[0].sha256]);
  });
});

describe('switching mode on the same image', () => {
  it('keeps the image armed (the view gets no second load event for it)', () => {
    let s = see(setup());
    s = reducer(s, { type: 'mode', mode: 'blind', judgements: emptyState() });
    expect(current(s)!.path).toBe('img-1.jpg');
    s = key(s, '1');
    expect(counts(s).judged).toBe(1);
  });
});

describe('when every image is judged', () => {
  it('shows the done view; ← reopens the last image, U the last judgement', () => {
    let s = setup();
    for (let i = 0; i < ITEMS.length; i++) s = key(see(s), 'r');
    expect(s.cursor).toBe(-1);
    s = key(s, 'ArrowLeft');
    expect(current(s)!.path).toBe('img-4.jpg');
    s = reducer(s, { type: 'goto', index: 0 });
    s = key(s, 'u');
    expect(current(s)!.path).toBe('img-4.jpg');
    expect(counts(s).judged).toBe(3);
  });
});

describe('a held key', () => {
  it('judges once: its auto-repeats never judge the following images', () => {
    let s = see(setup());
    s = key(s, 'r');
    for (let i = 0; i < 5; i++) s = key(see(s), 'r', { repeat: true });
    expect(counts(s).judged).toBe(1);
    // Arrows may repeat (browsing).
    s = key(s, 'ArrowRight', { repeat: true });
    expect(current(s)!.path).toBe('img-3.jpg');
  });
});
