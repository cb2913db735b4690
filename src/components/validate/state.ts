// The validation widget's state as a pure reducer: every change is an action, the time comes in the
// action (never read here), storage is done by the view (the state says what to write in `write`).
// So the whole logic — judging, the pause after a new image, picking a category by number or by
// typing, undo, review, blind mode, import without switching coders — is tested in Node
// (test/unit/validate-state.test.ts); the view (ValidateWidget.tsx and its parts) only renders and
// dispatches. Browser-safe: no Node imports.
import {
  applyMerge,
  planMerge,
  sameRun,
  type CoderRole,
  type CodingMode,
  type JudgementFile,
  type JudgementItem,
  type JudgementRun,
  type MergePlan,
  type Verdict,
} from '../../../integrations/core/judgements.ts';
import type { WidgetItem } from '../../../integrations/clipscope/report/widget-data.ts';
import { formatPercent, formatShare } from '../../../integrations/core/format.ts';

/**
 * Judgement input (keys, clicks, taps) is ignored for this long after a new image is shown (ms): a
 * reflex key press or double click meant for the previous image never judges one not yet seen.
 */
export const ARM_MS = 500;

/** A coder's judgements of one run in one mode: what storage keeps. */
export interface CoderState {
  /** Judgements by image sha256. */
  items: Record<string, JudgementItem>;
  /** sha256 of the judgements made here, in order: what Undo takes back. */
  history: string[];
}

export function emptyState(): CoderState {
  return { items: {}, history: [] };
}

/** A category or "none of these", as the coder picks it. */
export type Picked = { kind: 'category'; category: string } | { kind: 'none' };

type Message = { kind: 'info' | 'error'; text: string } | null;

export interface PendingImport {
  fileName: string;
  coder: string;
  mode: CodingMode;
  plan: MergePlan;
  /** The judgements the file is merged into (the target coder's, in the file's mode). */
  base: CoderState;
}

/** What the view must write to storage (a coder's judgements in a mode); `seq` changes with each write. */
export interface Write {
  coder: string;
  mode: CodingMode;
  judgements: CoderState;
  seq: number;
}

export interface State {
  run: JudgementRun;
  items: readonly WidgetItem[];
  categories: readonly string[];
  role: CoderRole;
  /** Whether storage was loaded (the page is rendered at build time without it). */
  ready: boolean;
  /** The active coder; '' before a name is given. */
  coder: string;
  mode: CodingMode;
  /** The active coder's judgements in the current mode. */
  judgements: CoderState;
  /** Index of the image shown; -1 when every image is judged (the "done" view). */
  cursor: number;
  /** sha256 of the image judged Wrong whose category is being picked (shown mode). */
  correcting: string | null;
  /** Type-to-filter text of the category choices. */
  filter: string;
  /** Index among the visible choices that Enter picks; -1: none yet (Enter then picks nothing). */
  highlight: number;
  /** The image on screen and when it became visible (ms): judgement input waits ARM_MS after it. */
  shown: { sha256: string; at: number } | null;
  zoom: boolean;
  message: Message;
  /** The live region's text (screen readers). */
  status: string;
  pending: PendingImport | null;
  editingCoder: boolean;
  write: Write | null;
}

export type Action =
  | { type: 'load'; coder: string; mode: CodingMode; judgements: CoderState }
  | { type: 'start'; coder: string; judgements: CoderState }
  | { type: 'needName' }
  | { type: 'editCoder'; on: boolean }
  | { type: 'mode'; mode: CodingMode; judgements: CoderState }
  | { type: 'external'; judgements: CoderState }
  | { type: 'shown'; sha256: string; now: number }
  | { type: 'judge'; verdict: Verdict; now: number; iso: string }
  | { type: 'pick'; pick: Picked; now: number; iso: string }
  | { type: 'closePanel' }
  | { type: 'filter'; text: string }
  | { type: 'move'; delta: number }
  | { type: 'pickHighlighted'; now: number; iso: string }
  | { type: 'undo' }
  | { type: 'goto'; index: number }
  | { type: 'step'; delta: number }
  | { type: 'zoom' }
  | { type: 'import'; fileName: string; file: JudgementFile; existing: CoderState }
  | { type: 'resolveImport'; choice: 'keep-mine' | 'use-file' | 'cancel' }
  | { type: 'message'; message: Message };

export function initialState(opts: { run: JudgementRun; items: readonly WidgetItem[]; categories: readonly string[]; role: CoderRole; mode: CodingMode }): State {
  return {
    run: opts.run,
    items: opts.items,
    categories: opts.categories,
    role: opts.role,
    ready: false,
    coder: '',
    mode: opts.role === 'adjudicator' ? 'shown' : opts.mode,
    judgements: emptyState(),
    cursor: opts.items.length ? 0 : -1,
    correcting: null,
    filter: '',
    highlight: -1,
    shown: null,
    zoom: false,
    message: null,
    status: '',
    pending: null,
    editingCoder: false,
    write: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Selectors

export function current(s: State): WidgetItem | undefined {
  return s.cursor >= 0 ? s.items[s.cursor] : undefined;
}

function judgementOf(s: State, sha256: string): JudgementItem | undefined {
  return Object.hasOwn(s.judgements.items, sha256) ? s.judgements.items[sha256] : undefined;
}

/** Whether the current image has been on screen long enough for a judgement (ARM_MS). */
export function armed(s: State, now: number): boolean {
  const item = current(s);
  return !!item && s.shown?.sha256 === item.sha256 && now - s.shown.at >= ARM_MS;
}

/** Whether the category choices are open: after Wrong (shown mode), or always in blind mode. */
export function picking(s: State): boolean {
  const item = current(s);
  if (!item || !s.coder || s.pending) return false;
  return s.mode === 'blind' || s.correcting === item.sha256;
}

interface Choice {
  category: string;
  /** The digit key that picks it (1–9), or null beyond the ninth visible choice. */
  key: string | null;
  /** Not pickable: the prediction is no correction of a Wrong. */
  disabled: boolean;
}

/** Case- and accent-insensitive form for type-to-filter. */
function fold(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

/** The categories shown for picking: those matching the filter, numbered 1–9 in order. */
export function choices(s: State): Choice[] {
  const item = current(s);
  const f = fold(s.filter.trim());
  const visible = s.categories.filter((c) => !f || fold(c).includes(f));
  let n = 0;
  return visible.map((category) => {
    const disabled = s.mode === 'shown' && category === item?.predicted;
    const key = !disabled && n < 9 ? String(++n) : null;
    return { category, key, disabled };
  });
}

/** The choices Enter and ↑/↓ go through (the enabled ones). */
function enabledChoices(s: State): Choice[] {
  return choices(s).filter((c) => !c.disabled);
}

export interface Counts {
  judged: number;
  right: number;
  wrong: number;
}

/** Judgements of images of the set (a kept judgement of an image no longer in it is not counted). */
export function counts(s: State): Counts {
  let judged = 0;
  let right = 0;
  let wrong = 0;
  for (const i of s.items) {
    const j = judgementOf(s, i.sha256);
    if (!j) continue;
    judged++;
    if (j.verdict === 'right') right++;
    else if (j.verdict === 'wrong') wrong++;
  }
  return { judged, right, wrong };
}

/** Whether the model's answer and the running accuracy may be shown (not in blind mode). */
export function answerVisible(s: State): boolean {
  return s.mode === 'shown';
}

/** The coder's judgements of this set, latest first (the review list). */
export function reviewList(s: State): { index: number; item: WidgetItem; judgement: JudgementItem }[] {
  const out: { index: number; item: WidgetItem; judgement: JudgementItem }[] = [];
  s.items.forEach((item, index) => {
    const judgement = judgementOf(s, item.sha256);
    if (judgement) out.push({ index, item, judgement });
  });
  return out.sort((a, b) => (a.judgement.judgedAt > b.judgement.judgedAt ? -1 : a.judgement.judgedAt < b.judgement.judgedAt ? 1 : a.index - b.index));
}

/** What the coder answered, in words: in blind mode the pick (the derived verdict would reveal the model's answer). */
export function answerWords(j: Pick<JudgementItem, 'verdict' | 'correction' | 'noneOfThese' | 'predicted'>, mode: CodingMode): string {
  if (j.verdict === 'skip') return 'skipped / unsure';
  if (mode === 'blind') return j.verdict === 'right' ? j.predicted : j.noneOfThese ? 'none of these' : (j.correction ?? '(no category)');
  if (j.verdict === 'right') return 'Right';
  if (j.noneOfThese) return 'Wrong → none of these';
  return j.correction !== undefined ? `Wrong → ${j.correction}` : 'Wrong';
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The index of the next image without a judgement after `from` (wrapping), or -1 when all are judged. */
export function nextOpen(items: readonly WidgetItem[], judged: Readonly<Record<string, JudgementItem>>, from: number): number {
  for (let k = 1; k <= items.length; k++) {
    const i = (((from + k) % items.length) + items.length) % items.length;
    if (!Object.hasOwn(judged, items[i].sha256)) return i;
  }
  return -1;
}

function firstOpen(items: readonly WidgetItem[], judged: Readonly<Record<string, JudgementItem>>): number {
  return nextOpen(items, judged, items.length - 1);
}

/** A new image on screen: no panel, no filter, not yet armed. */
function showIndex(s: State, index: number): State {
  const moved = index !== s.cursor;
  return { ...s, cursor: index, correcting: null, filter: '', highlight: -1, shown: moved ? null : s.shown };
}

function persist(s: State, judgements: CoderState): State {
  return { ...s, judgements, write: { coder: s.coder, mode: s.mode, judgements, seq: (s.write?.seq ?? 0) + 1 } };
}

/** "Next: Dark, 96.8 %." (shown mode) or "Next image." for the live region. */
function nextWords(s: State, index: number): string {
  const item = index >= 0 ? s.items[index] : undefined;
  if (!item) return ' All images judged.';
  return s.mode === 'shown' ? ` Next: ${item.predicted}, ${formatPercent(item.probability)}.` : ' Next image.';
}

function progressWords(s: State): string {
  const c = counts(s);
  const decided = c.right + c.wrong;
  const acc = s.mode === 'shown' && s.role === 'coder' && decided ? `, accuracy so far ${formatShare(c.right / decided)}` : '';
  return `${c.judged} of ${s.items.length} judged${acc}.`;
}

const TOO_SOON = `Not recorded: a new image was just shown. Judgements count ${ARM_MS / 1000} s after an image appears.`;

/** Records a judgement of the current image and (unless a category is to be picked) moves on. */
function record(s: State, judgement: Omit<JudgementItem, 'sha256' | 'path' | 'predicted' | 'label' | 'probability'>, openPanel: boolean): State {
  const item = current(s)!;
  const full: JudgementItem = { sha256: item.sha256, path: item.path, predicted: item.predicted, label: item.label, probability: item.probability, ...judgement };
  const judgements: CoderState = {
    items: { ...s.judgements.items, [item.sha256]: full },
    history: [...s.judgements.history.filter((h) => h !== item.sha256), item.sha256],
  };
  let next = persist({ ...s, message: null }, judgements);
  const word = answerWords(full, s.mode);
  const said = `${s.mode === 'blind' ? 'Picked ' : ''}${word}: ${item.path}. ${progressWords(next)}`;
  if (openPanel) return { ...next, correcting: item.sha256, filter: '', highlight: -1, status: `${said} Pick the correct category, or press Escape to go on without one.` };
  const n = nextOpen(next.items, judgements.items, s.cursor);
  next = showIndex(next, n);
  return { ...next, status: `${said}${nextWords(next, n)}` };
}

/** The pick as a judgement: a correction after Wrong (shown), or the derived verdict (blind). */
function applyPick(s: State, pick: Picked, iso: string): State {
  const item = current(s)!;
  if (s.mode === 'blind') {
    if (pick.kind === 'category' && pick.category === item.predicted) return record(s, { verdict: 'right', judgedAt: iso }, false);
    return record(s, { verdict: 'wrong', ...(pick.kind === 'none' ? { noneOfThese: true as const } : { correction: pick.category }), judgedAt: iso }, false);
  }
  // Shown mode: the Wrong was recorded already; the pick adds its category (never the prediction).
  if (pick.kind === 'category' && pick.category === item.predicted) return s;
  const had = judgementOf(s, item.sha256);
  if (!had || had.verdict !== 'wrong') return s;
  const { correction: _c, noneOfThese: _n, ...rest } = had;
  const updated: JudgementItem = { ...rest, ...(pick.kind === 'none' ? { noneOfThese: true as const } : { correction: pick.category }), judgedAt: iso };
  const next = persist(s, { ...s.judgements, items: { ...s.judgements.items, [item.sha256]: updated } });
  const n = nextOpen(next.items, next.judgements.items, s.cursor);
  const shown = showIndex(next, n);
  return { ...shown, status: `Correction: ${pick.kind === 'none' ? 'none of these' : pick.category}.${nextWords(shown, n)}` };
}

/** Whether input that judges may act now; the state with the reason when not. */
function gate(s: State, now: number): State | null {
  if (!s.ready || s.pending || !current(s)) return s;
  if (!s.coder) return reducer(s, { type: 'needName' });
  if (!armed(s, now)) return { ...s, status: TOO_SOON, message: { kind: 'info', text: TOO_SOON } };
  return null;
}

function mergeWords(plan: MergePlan, conflicts: 'keep-mine' | 'use-file'): string {
  const parts = [`${plan.added.length} new`, `${plan.same} already here`];
  if (conflicts === 'use-file' && plan.conflicts.length) parts.push(`${plan.conflicts.length} replaced by the file's`);
  if (conflicts === 'keep-mine' && plan.conflicts.length) parts.push(`${plan.conflicts.length} kept as judged here`);
  return parts.join(', ');
}

/** Merges an import; the active coder never changes unless there was none. */
function finishImport(s: State, p: PendingImport, conflicts: 'keep-mine' | 'use-file'): State {
  const merged: CoderState = { items: applyMerge(p.base.items, p.plan, conflicts), history: p.base.history };
  const words = mergeWords(p.plan, conflicts);
  const modeWords = p.mode === 'blind' ? 'blind-mode ' : '';
  if (!s.coder && p.mode === s.mode) {
    // Nobody was judging yet: continue as the file's coder, and say so (the coder line names them too).
    const started = { ...s, coder: p.coder, editingCoder: false, pending: null };
    const next = persist(showIndex(started, Math.max(-1, firstOpen(s.items, merged.items))), merged);
    return { ...next, message: { kind: 'info', text: `Imported ${p.fileName} for coder ${p.coder}: ${words}. Now judging as ${p.coder}.` } };
  }
  if (p.coder === s.coder && p.mode === s.mode) {
    const next = persist({ ...s, pending: null }, merged);
    const open = judgementOf(next, current(s)?.sha256 ?? '') ? Math.max(-1, firstOpen(s.items, merged.items)) : s.cursor;
    return { ...showIndex(next, open), message: { kind: 'info', text: `Imported ${p.fileName} for coder ${p.coder}: ${words}.` } };
  }
  // Another coder's (or another mode's) file: kept under its own name and mode, the active coder stays.
  const where = p.coder === s.coder ? `your ${modeWords}judgements` : `coder ${p.coder}'s ${modeWords}judgements`;
  const still = s.coder ? ` You are still judging as ${s.coder}${s.mode === 'blind' ? ' (blind)' : ''}.` : '';
  const how = p.coder !== s.coder
    ? `${still} To continue ${p.coder}'s judgements, ${s.coder ? 'use "Change coder"' : 'start'} with that name${p.mode !== s.mode ? ` in ${p.mode} mode` : ''}.`
    : `${still} Switch to ${p.mode} mode to see them.`;
  return {
    ...s,
    pending: null,
    write: { coder: p.coder, mode: p.mode, judgements: merged, seq: (s.write?.seq ?? 0) + 1 },
    message: { kind: 'info', text: `Imported ${p.fileName}: ${words}, kept as ${where}.${how}` },
  };
}

// ---------------------------------------------------------------------------------------------
// The reducer

export function reducer(s: State, a: Action): State {
  switch (a.type) {
    case 'load': {
      const base = { ...s, ready: true, mode: s.role === 'adjudicator' ? 'shown' as const : a.mode, coder: a.coder, judgements: a.judgements };
      return showIndex(base, a.coder ? Math.max(-1, firstOpen(s.items, a.judgements.items)) : s.items.length ? 0 : -1);
    }
    case 'start': {
      const name = a.coder.trim().slice(0, 100);
      if (!name) return { ...s, message: { kind: 'error', text: 'Enter your name first: judgements are kept and exported per coder.' } };
      const n = Object.keys(a.judgements.items).length;
      const next = showIndex({ ...s, coder: name, editingCoder: false, judgements: a.judgements }, Math.max(-1, firstOpen(s.items, a.judgements.items)));
      return {
        ...next,
        message: n ? { kind: 'info', text: `Welcome back, ${name}: ${n} judgements restored.` } : null,
        status: `Judging as ${name}. ${s.items.length} images to judge.`,
      };
    }
    case 'needName':
      return { ...s, editingCoder: true, message: { kind: 'error', text: 'Enter your name (the coder) and press Start first: judgements are kept and exported per coder.' } };
    case 'editCoder':
      return { ...s, editingCoder: a.on };
    case 'mode': {
      if (s.role === 'adjudicator' || a.mode === s.mode) return s;
      const kept = Object.keys(s.judgements.items).length;
      const next = showIndex({ ...s, mode: a.mode, judgements: a.judgements }, s.coder ? Math.max(-1, firstOpen(s.items, a.judgements.items)) : s.cursor);
      const apart = kept ? ` Your ${kept} ${s.mode}-mode judgements are kept apart (they are exported separately).` : '';
      const text = a.mode === 'blind'
        ? `Blind mode: pick the category without seeing the model's answer.${apart}`
        : `Shown mode: judge the model's answer Right or Wrong.${apart}`;
      return { ...next, message: { kind: 'info', text }, status: text };
    }
    case 'external':
      return { ...s, judgements: a.judgements };
    case 'shown':
      if (current(s)?.sha256 !== a.sha256 || s.shown?.sha256 === a.sha256) return s;
      return { ...s, shown: { sha256: a.sha256, at: a.now } };
    case 'judge': {
      const blocked = gate(s, a.now);
      if (blocked) return blocked;
      if (picking(s)) {
        // Skip is the one verdict that also works with the choices open (blind mode, or after Wrong).
        if (a.verdict !== 'skip') return s;
      }
      if (s.mode === 'blind' && a.verdict !== 'skip') return s;
      return record(s, { verdict: a.verdict, judgedAt: a.iso }, a.verdict === 'wrong');
    }
    case 'pick': {
      if (!picking(s)) return s;
      if (s.mode === 'blind') {
        const blocked = gate(s, a.now);
        if (blocked) return blocked;
      }
      return applyPick(s, a.pick, a.iso);
    }
    case 'pickHighlighted': {
      const list = enabledChoices(s);
      if (!picking(s) || s.highlight < 0 || s.highlight >= list.length) return s;
      return reducer(s, { type: 'pick', pick: { kind: 'category', category: list[s.highlight].category }, now: a.now, iso: a.iso });
    }
    case 'closePanel': {
      if (s.mode === 'blind') return s.filter ? { ...s, filter: '', highlight: -1 } : s;
      if (!s.correcting) return s;
      const n = nextOpen(s.items, s.judgements.items, s.cursor);
      const next = showIndex(s, n);
      return { ...next, status: `No category picked.${nextWords(next, n)}` };
    }
    case 'filter': {
      const text = a.text.slice(0, 100);
      const next = { ...s, filter: text };
      return { ...next, highlight: text.trim() && enabledChoices(next).length ? 0 : -1 };
    }
    case 'move': {
      const list = enabledChoices(s);
      if (!picking(s) || list.length === 0) return s;
      const from = s.highlight < 0 ? (a.delta > 0 ? -1 : 0) : s.highlight;
      return { ...s, highlight: (((from + a.delta) % list.length) + list.length) % list.length };
    }
    case 'undo': {
      if (!s.coder || s.pending) return s;
      const last = s.judgements.history[s.judgements.history.length - 1];
      if (!last) return { ...s, status: 'Nothing to undo.', message: { kind: 'info', text: 'Nothing to undo.' } };
      const rest = { ...s.judgements.items };
      delete rest[last];
      const next = persist(s, { items: rest, history: s.judgements.history.slice(0, -1) });
      const index = s.items.findIndex((i) => i.sha256 === last);
      const text = `Undone: ${s.items[index]?.path ?? 'the last judgement'} is open again.`;
      return { ...showIndex(next, index >= 0 ? index : s.cursor), status: text, message: { kind: 'info', text } };
    }
    case 'goto': {
      if (a.index < 0 || a.index >= s.items.length || !s.coder) return s;
      const next = showIndex(s, a.index);
      const j = judgementOf(next, s.items[a.index].sha256);
      return { ...next, status: `Image ${a.index + 1} of ${s.items.length}${j ? `, judged ${answerWords(j, s.mode)}; judging it again replaces that` : ''}.` };
    }
    case 'step': {
      if (!s.coder || s.pending || s.items.length === 0) return s;
      // From the "all judged" view, ← opens the last image and → the first.
      const from = s.cursor < 0 ? (a.delta > 0 ? -1 : s.items.length) : s.cursor;
      const index = from + a.delta;
      if (index < 0 || index >= s.items.length) return { ...s, status: index < 0 ? 'This is the first image.' : 'This is the last image.' };
      return reducer(s, { type: 'goto', index });
    }
    case 'zoom':
      return { ...s, zoom: !s.zoom };
    case 'import': {
      const f = a.file;
      const refuse = (reason: string): State => ({ ...s, message: { kind: 'error', text: `${a.fileName} was not imported. ${reason}` } });
      if (!sameRun(f.run, s.run)) return refuse(`It holds judgements of another run (model ${f.run.model}).`);
      if (f.role !== s.role) {
        return refuse(f.role === 'adjudicator'
          ? `It is an adjudicator's file (${f.coder}): import it on the Adjudicate page.`
          : `It is a coder's file (${f.coder}), not an adjudicator's: import it on the Validate page.`);
      }
      const plan = planMerge(a.existing.items, f.items);
      const pending: PendingImport = { fileName: a.fileName, coder: f.coder, mode: f.mode, plan, base: a.existing };
      if (plan.conflicts.length > 0) return { ...s, pending, message: null };
      return finishImport(s, pending, 'keep-mine');
    }
    case 'resolveImport': {
      const p = s.pending;
      if (!p) return s;
      if (a.choice === 'cancel') return { ...s, pending: null, message: { kind: 'info', text: `Import of ${p.fileName} cancelled: nothing changed.` } };
      return finishImport(s, p, a.choice);
    }
    case 'message':
      return { ...s, message: a.message };
  }
}

// ---------------------------------------------------------------------------------------------
// Keys

export interface KeyInput {
  key: string;
  ctrl: boolean;
  meta: boolean;
  alt: boolean;
  /** The key was typed into the category filter field. */
  inFilter: boolean;
  /** The key was typed into another text field (the name field). */
  inOtherField: boolean;
  /** Auto-repeat of a held key. */
  repeat?: boolean;
  now: number;
  iso: string;
}

/**
 * The action a key stands for, or null (then the browser does its default). The scheme:
 * R Right, W Wrong, S skip/unsure (shown mode); ← → previous/next image (they never judge);
 * U or Ctrl+Z undo; Z or + enlarge the image (Esc closes it); with the choices open: type to filter, 1–9 the numbered
 * choice, 0 none of these, ↑ ↓ and Enter the highlighted one, Esc closes (shown) or clears the
 * filter (blind); ? skip in blind mode.
 */
export function keyAction(s: State, k: KeyInput): Action | null {
  const action = keyActionOnce(s, k);
  // A held key repeats: it may move (browse, the marked choice), never judge, pick or undo.
  if (k.repeat && action && action.type !== 'step' && action.type !== 'move') return null;
  return action;
}

function keyActionOnce(s: State, k: KeyInput): Action | null {
  if (!s.ready || s.pending || k.alt) return null;
  if (k.inOtherField) return null;
  const key = k.key.length === 1 ? k.key.toLowerCase() : k.key;
  if (s.zoom) return key === 'Escape' || key === 'z' || key === '+' || key === '-' ? { type: 'zoom' } : null;
  if (key === '+' && current(s)) return { type: 'zoom' };
  if ((k.ctrl || k.meta) && key === 'z') return s.coder ? { type: 'undo' } : null;
  if (k.ctrl || k.meta) return null;
  if (!s.coder) return key === 'r' || key === 'w' || key === 's' || /^[0-9]$/.test(key) ? { type: 'needName' } : null;
  if (picking(s)) {
    if (/^[1-9]$/.test(key)) {
      const c = choices(s).find((x) => x.key === key);
      return c ? { type: 'pick', pick: { kind: 'category', category: c.category }, now: k.now, iso: k.iso } : null;
    }
    if (key === '0') return { type: 'pick', pick: { kind: 'none' }, now: k.now, iso: k.iso };
    if (key === 'ArrowDown') return { type: 'move', delta: 1 };
    if (key === 'ArrowUp') return { type: 'move', delta: -1 };
    if (key === 'Escape') return { type: 'closePanel' };
    if (key === 'Enter') {
      if (s.highlight >= 0) return { type: 'pickHighlighted', now: k.now, iso: k.iso };
      return s.mode === 'shown' && !s.filter.trim() ? { type: 'closePanel' } : null;
    }
    if (key === '?') return { type: 'judge', verdict: 'skip', now: k.now, iso: k.iso };
    // Letters go into the filter field (focused with the choices); ← → browse only with it empty.
    if (k.inFilter && s.filter) return null;
    if (key === 'ArrowLeft') return { type: 'step', delta: -1 };
    if (key === 'ArrowRight') return { type: 'step', delta: 1 };
    return null;
  }
  if (k.inFilter) return null;
  switch (key) {
    case 'r':
      return { type: 'judge', verdict: 'right', now: k.now, iso: k.iso };
    case 'w':
      return { type: 'judge', verdict: 'wrong', now: k.now, iso: k.iso };
    case 's':
    case '?':
      return { type: 'judge', verdict: 'skip', now: k.now, iso: k.iso };
    case 'u':
      return { type: 'undo' };
    case 'z':
      return current(s) ? { type: 'zoom' } : null;
    case 'ArrowLeft':
      return { type: 'step', delta: -1 };
    case 'ArrowRight':
      return { type: 'step', delta: 1 };
    default:
      return null;
  }
}
