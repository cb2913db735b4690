// The Right/Wrong validation widget: one image of the validation set at a time, judged with a click,
// a tap or a key. Judgements are kept in localStorage per run and coder (ValidateStorage.ts), exported
// as a clipscope.judgements/v1 file and imported back (integrations/core/judgements.ts).
//
// Works under the site's Content-Security-Policy: no inline handlers or styles in the markup (React
// attaches listeners from the bundled script; the image box is sized by width/height attributes and
// CSS classes), no eval, no request to another host. Every string from the folder or the dictionary
// is rendered as text.
import { useCallback, useEffect, useMemo, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import {
  JUDGEMENTS_SCHEMA,
  applyMerge,
  judgementFileName,
  parseJudgementText,
  planMerge,
  runId,
  sameRun,
  serialiseJudgements,
  sizeProblem,
  type JudgementItem,
  type MergePlan,
  type Verdict,
} from '../../integrations/core/judgements.ts';
import { wilson } from '../../integrations/core/stats.ts';
import type { WidgetData, WidgetItem } from '../../integrations/clipscope/report/widget-data.ts';
import { emptyState, loadCoder, loadState, saveCoder, saveState, storage, type CoderState } from './ValidateStorage.ts';
import './ValidateWidget.css';

/** The "none of these" choice in the correction panel (a symbol: no category name can equal it). */
const NONE_OF_THESE = Symbol('none of these');

/** " → category" or " → none of these" after a Wrong verdict, for the import conflict list. */
function answerWords(item: JudgementItem): string {
  if (item.noneOfThese) return ' → none of these';
  return item.correction ? ` → ${item.correction}` : '';
}

interface Props {
  data: WidgetData;
  /** The site's base path (import.meta.env.BASE_URL). */
  base: string;
}

/** Images loaded ahead of the current one, so the next judgement shows instantly. */
const PRELOAD = 3;
const DIGIT_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

type Message = { kind: 'info' | 'error'; text: string } | null;
type PendingImport = { coder: string; plan: MergePlan; fileName: string } | null;

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function assetUrl(base: string, relative: string): string {
  return (base.endsWith('/') ? base : `${base}/`) + relative.replace(/^\/+/, '');
}

/** The index of the next image without a judgement after `from` (wrapping), or -1 when all are judged. */
function nextOpen(items: readonly WidgetItem[], judged: Readonly<Record<string, JudgementItem>>, from: number): number {
  for (let k = 1; k <= items.length; k++) {
    const i = (from + k) % items.length;
    if (!Object.hasOwn(judged, items[i].sha256)) return i;
  }
  return -1;
}

function firstOpen(items: readonly WidgetItem[], judged: Readonly<Record<string, JudgementItem>>): number {
  return nextOpen(items, judged, items.length - 1);
}

/** "Next: Dark, 96.8 %." for the live region, so a screen reader hears the new prediction. */
function nextWords(item: WidgetItem | undefined): string {
  return item ? ` Next: ${item.predicted}, ${item.probability.toFixed(1)} %.` : ' All images judged.';
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export default function ValidateWidget({ data, base }: Props) {
  const { run, items, categories } = data;
  const [ready, setReady] = useState(false);
  const [store, setStore] = useState<Storage | null>(null);
  const [coder, setCoder] = useState('');
  const [coderDraft, setCoderDraft] = useState('');
  const [state, setState] = useState<CoderState>(emptyState);
  const [cursor, setCursor] = useState(0);
  /** sha256 of the image just judged Wrong, while the coder may pick its category. */
  const [correcting, setCorrecting] = useState<string | null>(null);
  const [message, setMessage] = useState<Message>(null);
  const [status, setStatus] = useState('');
  const [saved, setSaved] = useState(true);
  const [pending, setPending] = useState<PendingImport>(null);
  const [editingCoder, setEditingCoder] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const correctionHeading = useRef<HTMLHeadingElement>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const conflictHeading = useRef<HTMLHeadingElement>(null);
  const itemHeading = useRef<HTMLHeadingElement>(null);
  /** Set when the control that had focus disappears: focus goes to the current image's heading. */
  const focusItem = useRef(false);

  // Load once in the browser (the page is rendered at build time without storage).
  useEffect(() => {
    const s = storage();
    setStore(s);
    const last = loadCoder(s, run);
    if (last) {
      const loaded = loadState(s, run, last);
      setCoder(last);
      setCoderDraft(last);
      setState(loaded);
      setCursor(Math.max(0, firstOpen(items, loaded.items)));
    }
    setReady(true);
  }, [run, items]);

  // Another tab of the same site judging as the same coder: follow its changes.
  useEffect(() => {
    if (!coder) return;
    const onStorage = (e: StorageEvent) => {
      if (e.storageArea !== store || !e.key?.includes(runId(run))) return;
      const loaded = loadState(store, run, coder);
      setState(loaded);
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [coder, store, run]);

  const commit = useCallback(
    (next: CoderState) => {
      setState(next);
      setSaved(saveState(store, run, coder, next));
    },
    [store, run, coder],
  );

  const judgedInSet = useMemo(() => items.filter((i) => Object.hasOwn(state.items, i.sha256)), [items, state.items]);
  const counts = useMemo(() => {
    let right = 0;
    let wrong = 0;
    for (const i of judgedInSet) {
      const v = state.items[i.sha256].verdict;
      if (v === 'right') right++;
      else if (v === 'wrong') wrong++;
    }
    return { right, wrong };
  }, [judgedInSet, state.items]);
  const accuracy = counts.right + counts.wrong > 0 ? wilson(counts.right, counts.right + counts.wrong) : null;
  const done = items.length > 0 && judgedInSet.length === items.length && !correcting;
  const current: WidgetItem | undefined = items[cursor];
  const currentJudgement = current && Object.hasOwn(state.items, current.sha256) ? state.items[current.sha256] : undefined;

  // Preload the next images.
  useEffect(() => {
    if (!ready) return;
    const upcoming: string[] = [];
    let i = cursor;
    for (let k = 0; k < PRELOAD; k++) {
      i = nextOpen(items, { ...state.items, ...(current ? { [current.sha256]: {} as JudgementItem } : {}) }, i);
      if (i < 0) break;
      const src = items[i].src;
      if (src) upcoming.push(assetUrl(base, src));
    }
    // Loaded into the browser's cache; the elements are not kept (a cancelled load would waste it).
    for (const url of upcoming) {
      const img = new Image();
      img.decoding = 'async';
      img.src = url;
    }
  }, [ready, cursor, items, state.items, current, base]);

  useEffect(() => {
    if (!correcting) return;
    const heading = correctionHeading.current;
    heading?.focus();
    // On a phone the choices open below the fold (the focused heading alone would stay at the
    // bottom edge): bring the whole set of choices into view.
    heading?.closest('fieldset')?.scrollIntoView({ block: 'nearest' });
  }, [correcting]);

  useEffect(() => {
    if (pending) conflictHeading.current?.focus();
  }, [pending]);

  useEffect(() => {
    if (editingCoder) nameInput.current?.focus();
  }, [editingCoder]);

  useEffect(() => {
    if (!focusItem.current) return;
    focusItem.current = false;
    itemHeading.current?.focus();
  });

  const judge = useCallback(
    (verdict: Verdict) => {
      if (!coder || !current || pending) return;
      const item: JudgementItem = {
        sha256: current.sha256,
        path: current.path,
        predicted: current.predicted,
        label: current.label,
        probability: current.probability,
        verdict,
        judgedAt: new Date().toISOString(),
      };
      const next: CoderState = {
        items: { ...state.items, [current.sha256]: item },
        history: [...state.history.filter((s) => s !== current.sha256), current.sha256],
      };
      commit(next);
      const word = verdict === 'right' ? 'Right' : verdict === 'wrong' ? 'Wrong' : 'Skipped';
      const inSet = items.filter((i) => Object.hasOwn(next.items, i.sha256)).map((i) => next.items[i.sha256].verdict);
      const right = inSet.filter((v) => v === 'right').length;
      const decided = right + inSet.filter((v) => v === 'wrong').length;
      const said = `${word}: ${current.path}. ${inSet.length} of ${items.length} judged${decided ? `, accuracy so far ${pct(right / decided)}` : ''}.`;
      setMessage(null);
      if (verdict === 'wrong') {
        setStatus(`${said} Pick the correct category or continue.`);
        setCorrecting(current.sha256);
        return;
      }
      if (correcting) focusItem.current = true;
      setCorrecting(null);
      const n = nextOpen(items, next.items, cursor);
      if (n >= 0) setCursor(n);
      setStatus(`${said}${nextWords(items[n])}`);
    },
    [coder, current, pending, state, commit, items, cursor, correcting],
  );

  const correct = useCallback(
    (category: string | typeof NONE_OF_THESE | null) => {
      if (!correcting || !Object.hasOwn(state.items, correcting)) return;
      // The prediction itself is no correction of a Wrong (its button is disabled too).
      if (category !== null && category === state.items[correcting].predicted) return;
      if (category !== null) {
        const { correction: _c, noneOfThese: _n, ...judged } = state.items[correcting];
        const answer = category === NONE_OF_THESE ? { noneOfThese: true as const } : { correction: category };
        const item = { ...judged, ...answer, judgedAt: new Date().toISOString() };
        commit({ ...state, items: { ...state.items, [correcting]: item } });
      }
      setCorrecting(null);
      const n = nextOpen(items, state.items, cursor);
      if (n >= 0) setCursor(n);
      const said = category === null ? 'No category picked.' : `Correction: ${category === NONE_OF_THESE ? 'none of these' : category}.`;
      setStatus(`${said}${nextWords(items[n])}`);
      // The correction buttons are gone: focus the new image's prediction, not the page's top.
      focusItem.current = true;
    },
    [correcting, state, commit, items, cursor],
  );

  const undo = useCallback(() => {
    if (!coder || pending) return;
    const last = state.history[state.history.length - 1];
    if (!last) {
      setStatus('Nothing to undo.');
      return;
    }
    const rest = { ...state.items };
    delete rest[last];
    commit({ items: rest, history: state.history.slice(0, -1) });
    if (correcting) focusItem.current = true;
    setCorrecting(null);
    const index = items.findIndex((i) => i.sha256 === last);
    if (index >= 0) setCursor(index);
    setStatus(`Undone: ${items[index]?.path ?? 'the last judgement'} is open again.`);
  }, [coder, pending, state, commit, items, correcting]);

  // Keyboard first: R/→ right, W/← wrong, S skip, U/Backspace undo; after Wrong, 1–9 a category,
  // 0 or N none of these, Enter continue. Ignored while typing in a field or with a modifier key.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!ready || !coder || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target) || pending) return;
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      if (correcting) {
        const digit = DIGIT_KEYS.indexOf(key);
        if (digit >= 0 && digit < categories.length) {
          e.preventDefault();
          correct(categories[digit]);
          return;
        }
        if (key === '0' || key === 'n') {
          e.preventDefault();
          correct(NONE_OF_THESE);
          return;
        }
        if (key === 'Enter' && (e.target as HTMLElement | null)?.tagName !== 'BUTTON') {
          e.preventDefault();
          correct(null);
          return;
        }
      }
      if (done && key !== 'u' && key !== 'Backspace') return;
      if (key === 'r' || key === 'ArrowRight') {
        e.preventDefault();
        judge('right');
      } else if (key === 'w' || key === 'ArrowLeft') {
        e.preventDefault();
        judge('wrong');
      } else if (key === 's') {
        e.preventDefault();
        judge('skip');
      } else if (key === 'u' || key === 'Backspace') {
        e.preventDefault();
        undo();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [ready, coder, pending, correcting, categories, correct, judge, undo, done]);

  const startAs = (e: FormEvent) => {
    e.preventDefault();
    const name = coderDraft.trim().slice(0, 100);
    if (!name) {
      setMessage({ kind: 'error', text: 'Enter your name first: judgements are kept and exported per coder.' });
      nameInput.current?.focus();
      return;
    }
    const loaded = loadState(store, run, name);
    setEditingCoder(false);
    setCoder(name);
    setCoderDraft(name);
    saveCoder(store, run, name);
    setState(loaded);
    setCorrecting(null);
    setCursor(Math.max(0, firstOpen(items, loaded.items)));
    focusItem.current = true;
    const n = Object.keys(loaded.items).length;
    setMessage(n ? { kind: 'info', text: `Welcome back, ${name}: ${n} judgements restored.` } : null);
    setStatus(`Judging as ${name}. ${items.length} images to judge.`);
  };

  const exportFile = () => {
    if (!coder) return;
    const now = new Date();
    const text = serialiseJudgements({ schema: JUDGEMENTS_SCHEMA, run, coder, role: 'coder', mode: 'shown', exportedAt: now.toISOString(), items: Object.values(state.items) });
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = judgementFileName(coder, now);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setMessage({ kind: 'info', text: `Exported ${Object.keys(state.items).length} judgements as ${a.download}. Put the file into content/validation/ and build again to see the statistics.` });
  };

  const finishImport = (targetCoder: string, plan: MergePlan, conflicts: 'keep-mine' | 'use-file', fileName: string) => {
    const base = targetCoder === coder ? state : loadState(store, run, targetCoder);
    const merged: CoderState = { items: applyMerge(base.items, plan, conflicts), history: base.history };
    setCoder(targetCoder);
    setCoderDraft(targetCoder);
    setEditingCoder(false);
    saveCoder(store, run, targetCoder);
    setState(merged);
    setSaved(saveState(store, run, targetCoder, merged));
    setCorrecting(null);
    setCursor(Math.max(0, firstOpen(items, merged.items)));
    const replaced = conflicts === 'use-file' ? plan.conflicts.length : 0;
    const kept = conflicts === 'keep-mine' ? plan.conflicts.length : 0;
    const parts = [`${plan.added.length} new`, `${plan.same} already here`];
    if (replaced) parts.push(`${replaced} replaced by the file's`);
    if (kept) parts.push(`${kept} kept as judged here`);
    setMessage({ kind: 'info', text: `Imported ${fileName} for coder ${targetCoder}: ${parts.join(', ')}.` });
  };

  const onImport = async (e: ChangeEvent<HTMLInputElement>) => {
    const input = e.currentTarget;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    const refuse = (reason: string) => setMessage({ kind: 'error', text: `${file.name} was not imported. ${reason}` });
    const tooBig = sizeProblem(file.size);
    if (tooBig) return refuse(tooBig);
    let text: string;
    try {
      text = await file.text();
    } catch {
      return refuse('The file could not be read.');
    }
    const parsed = parseJudgementText(text.replace(/^\uFEFF/, ''));
    if (!parsed.ok) return refuse(parsed.reason);
    const f = parsed.file;
    if (!sameRun(f.run, run)) {
      return refuse(`It holds judgements of another run (model ${f.run.model}, run ${runId(f.run)}); this page validates run ${runId(run)}. Files of earlier runs still count in the build: put them into content/validation/.`);
    }
    const target = f.coder;
    const existing = target === coder ? state.items : loadState(store, run, target).items;
    const plan = planMerge(existing, f.items);
    if (plan.conflicts.length > 0) {
      setPending({ coder: target, plan, fileName: file.name });
      setMessage(null);
      return;
    }
    finishImport(target, plan, 'keep-mine', file.name);
  };

  const resolvePending = (choice: 'keep-mine' | 'use-file' | 'cancel') => {
    if (!pending) return;
    if (choice === 'cancel') setMessage({ kind: 'info', text: `Import of ${pending.fileName} cancelled: nothing changed.` });
    else finishImport(pending.coder, pending.plan, choice, pending.fileName);
    setPending(null);
  };

  const judgedCount = judgedInSet.length;
  const disabled = !ready || !coder || !!pending;

  return (
    <div className="vw">
      {coder && !editingCoder ? (
        <p className="vw-coder">
          <span>Judging as <strong>{coder}</strong></span>
          <button type="button" className="vw-small" onClick={() => setEditingCoder(true)} disabled={!!pending}>Change coder</button>
        </p>
      ) : (
        <form className="vw-coder" onSubmit={startAs}>
          <label htmlFor="vw-coder-name">Your name (coder)</label>
          <input
            id="vw-coder-name"
            ref={nameInput}
            type="text"
            autoComplete="name"
            maxLength={100}
            value={coderDraft}
            onChange={(e) => setCoderDraft(e.target.value)}
            disabled={!ready}
          />
          <button type="submit" disabled={!ready}>{coder ? 'Switch' : 'Start'}</button>
          {coder && <button type="button" onClick={() => { setCoderDraft(coder); setEditingCoder(false); }}>Cancel</button>}
        </form>
      )}

      {/* Announced through the one live region below (after each judgement), not on every render. */}
      <div className="vw-progress">
        <span className="vw-count">
          <strong>{judgedCount} / {items.length}</strong> judged
        </span>
        <progress max={Math.max(1, items.length)} value={judgedCount} aria-label="Judged so far" />
        <span className="vw-acc">
          {accuracy
            ? <>Accuracy so far <strong>{pct(accuracy.estimate)}</strong> (95 % interval {pct(accuracy.low)}–{pct(accuracy.high)}, {counts.right + counts.wrong} judged Right or Wrong)</>
            : 'Accuracy so far: no Right/Wrong judgement yet'}
        </span>
      </div>
      <p className="visually-hidden" role="status" aria-live="polite" aria-atomic="true">{status}</p>

      {message && (
        <p className={message.kind === 'error' ? 'vw-message vw-error' : 'vw-message'} role={message.kind === 'error' ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
      {!saved && <p className="vw-message vw-error" role="alert">This browser does not keep the judgements (storage is full or disabled): export them before leaving the page.</p>}
      {ready && !store && <p className="vw-message vw-error">This browser does not allow local storage here: judgements last only while the page is open, so export them before leaving.</p>}

      {pending && (
        <section className="vw-conflict" aria-labelledby="vw-conflict-title">
          <h2 id="vw-conflict-title" ref={conflictHeading} tabIndex={-1}>
            {pending.plan.conflicts.length} {pending.plan.conflicts.length === 1 ? 'image is' : 'images are'} judged differently in {pending.fileName}
          </h2>
          <p>
            The file also brings {pending.plan.added.length} new judgements and {pending.plan.same} that are already here. Nothing is changed until you choose which judgement to keep where they differ:
          </p>
          <ul className="vw-conflict-list">
            {pending.plan.conflicts.slice(0, 5).map((c) => (
              <li key={c.incoming.sha256}>
                <span className="mono">{c.incoming.path}</span>: here <strong>{c.existing.verdict}{answerWords(c.existing)}</strong>, in the file <strong>{c.incoming.verdict}{answerWords(c.incoming)}</strong>
              </li>
            ))}
            {pending.plan.conflicts.length > 5 && <li>… and {pending.plan.conflicts.length - 5} more</li>}
          </ul>
          <div className="vw-actions">
            <button type="button" onClick={() => resolvePending('keep-mine')}>Keep mine</button>
            <button type="button" onClick={() => resolvePending('use-file')}>Use the file's</button>
            <button type="button" onClick={() => resolvePending('cancel')}>Cancel import</button>
          </div>
        </section>
      )}

      {items.length === 0 ? (
        <p className="note">The validation set is empty: there are no classified images to judge.</p>
      ) : done ? (
        <section className="vw-done" aria-labelledby="vw-done-title">
          <h2 id="vw-done-title">All {items.length} images judged</h2>
          <p>Export your judgements and put the file into <code>content/validation/</code>; the next build shows the statistics on the Validation page. Undo (U) reopens the last one.</p>
        </section>
      ) : current ? (
        <section className="vw-item" aria-labelledby="vw-item-title">
          <div className="vw-image">
            {current.src ? (
              <img
                key={current.sha256}
                src={assetUrl(base, current.src)}
                width={current.width}
                height={current.height}
                alt={`Image ${cursor + 1} of ${items.length}: ${current.path}`}
                decoding="async"
              />
            ) : (
              <span className="no-thumb">No preview available for {current.path}</span>
            )}
          </div>
          <div className="vw-facts">
            <p className="vw-label">Predicted</p>
            <h2 id="vw-item-title" className="vw-predicted" ref={itemHeading} tabIndex={-1}>{current.predicted}</h2>
            <p className="vw-phrase">“{current.label}” · <strong>{current.probability.toFixed(1)} %</strong></p>
            {current.second && (
              <p className="vw-second">
                Second choice: {current.second.category}
                {current.second.label && current.second.label !== current.label ? <> — “{current.second.label}”</> : null} ({current.second.probability.toFixed(1)} %)
              </p>
            )}
            <p className="vw-path mono">{current.path}</p>
            {currentJudgement && !correcting && (
              <p className="vw-already">You judged this image <strong>{currentJudgement.verdict}</strong>.</p>
            )}
          </div>

          {correcting === current.sha256 ? (
            <fieldset className="vw-correction">
              <legend>
                <h3 ref={correctionHeading} tabIndex={-1}>Wrong. Which category is it? <span className="muted">(optional)</span></h3>
              </legend>
              <div className="vw-choices">
                {categories.map((c, i) => (
                  <button type="button" key={c} onClick={() => correct(c)} aria-keyshortcuts={i < 9 ? String(i + 1) : undefined} disabled={c === current.predicted}>
                    {i < 9 && <kbd>{i + 1}</kbd>} {c}
                  </button>
                ))}
                <button type="button" onClick={() => correct(NONE_OF_THESE)} aria-keyshortcuts="0 N">
                  <kbd>0</kbd> None of these
                </button>
              </div>
              <button type="button" className="vw-continue" onClick={() => correct(null)} aria-keyshortcuts="Enter">
                Continue without a category <kbd>Enter</kbd>
              </button>
            </fieldset>
          ) : (
            <div className="vw-buttons" role="group" aria-label="Is the prediction right?">
              <button type="button" className="vw-right" onClick={() => judge('right')} disabled={disabled} aria-keyshortcuts="R ArrowRight">
                Right <kbd>R</kbd><kbd>→</kbd>
              </button>
              <button type="button" className="vw-wrong" onClick={() => judge('wrong')} disabled={disabled} aria-keyshortcuts="W ArrowLeft">
                Wrong <kbd>W</kbd><kbd>←</kbd>
              </button>
              <button type="button" className="vw-skip" onClick={() => judge('skip')} disabled={disabled} aria-keyshortcuts="S">
                Skip / unsure <kbd>S</kbd>
              </button>
            </div>
          )}
        </section>
      ) : null}

      <div className="vw-tools">
        <button type="button" onClick={undo} disabled={disabled || state.history.length === 0} aria-keyshortcuts="U Backspace">
          Undo <kbd>U</kbd>
        </button>
        <button type="button" onClick={exportFile} disabled={disabled || Object.keys(state.items).length === 0}>
          Export judgements
        </button>
        <button type="button" onClick={() => fileInput.current?.click()} disabled={!ready || !!pending}>
          Import…
        </button>
        <input ref={fileInput} className="vw-file" type="file" accept=".json,application/json" onChange={onImport} aria-label="Import a judgement file" tabIndex={-1} />
      </div>

      <p className="vw-keys muted">
        Keys: <kbd>R</kbd> or <kbd>→</kbd> right · <kbd>W</kbd> or <kbd>←</kbd> wrong · <kbd>S</kbd> skip/unsure · <kbd>U</kbd> or <kbd>Backspace</kbd> undo · after Wrong: <kbd>1</kbd>–<kbd>9</kbd> the category, <kbd>0</kbd> none of these, <kbd>Enter</kbd> continue.
      </p>
    </div>
  );
}
