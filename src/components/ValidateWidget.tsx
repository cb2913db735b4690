// The validation widget: one image at a time, judged with a click, a tap or a key — Right/Wrong
// (shown mode), a picked category (blind mode: the model's answer hidden), or, on the Adjudicate
// page, an adjudicator's decision on an image the coders disagree on. Judgements are kept in
// localStorage per run, role, mode and coder (ValidateStorage.ts), exported as a
// clipscope.judgements/v2 file and imported back (integrations/core/judgements.ts).
//
// The logic is a pure reducer (validate/state.ts, tested in Node); this file wires it to the browser:
// storage, keys, focus, timing, files. The view is made of the small parts in validate/parts.tsx.
//
// Works under the site's Content-Security-Policy: no inline handlers or styles in the markup (React
// attaches listeners from the bundled script; the image box is sized by CSS classes), no eval, no
// request to another host.
import { useEffect, useReducer, useRef, useState, type ChangeEvent } from 'react';
import { JUDGEMENTS_SCHEMA, judgementFileName, parseJudgementText, runId, serialiseJudgements, sizeProblem, type CoderRole, type JudgementItem } from '../../integrations/core/judgements.ts';
import type { WidgetData } from '../../integrations/clipscope/report/widget-data.ts';
import { loadCoder, loadMode, loadState, saveCoder, saveMode, saveState, storage } from './ValidateStorage.ts';
import { ARM_MS, armed, current, initialState, keyAction, nextOpen, picking, reducer, type Picked } from './validate/state.ts';
import { assetUrl, ChoicePanel, CoderBar, Facts, ImageBox, ImportConflict, JudgeButtons, Keys, Progress, ReviewList, StartHelp, Tools, Zoom } from './validate/parts.tsx';
import './ValidateWidget.css';

interface Props {
  data: WidgetData;
  /** The site's base path (import.meta.env.BASE_URL). */
  base: string;
  /** "adjudicator" on the Adjudicate page. */
  role?: CoderRole;
}

/** Images loaded ahead of the current one, so the next judgement shows instantly. */
const PRELOAD = 3;

function isField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export default function ValidateWidget({ data, base, role = 'coder' }: Props) {
  const { run, items, categories } = data;
  const [s, dispatch] = useReducer(reducer, { run, items, categories, role, mode: data.blind ? 'blind' : 'shown' }, initialState);
  const [store, setStore] = useState<Storage | null>(null);
  const [saved, setSaved] = useState(true);
  /** Re-rendered once the pause after a new image is over (the buttons look ready again). */
  const [, setTick] = useState(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const filterInput = useRef<HTMLInputElement>(null);
  const itemHeading = useRef<HTMLHeadingElement>(null);
  const conflictHeading = useRef<HTMLHeadingElement>(null);
  const doneHeading = useRef<HTMLHeadingElement>(null);
  const image = useRef<HTMLImageElement>(null);
  const slot = { role, mode: s.mode };

  // Load once in the browser (the page is rendered at build time without storage).
  useEffect(() => {
    const st = storage();
    setStore(st);
    const fallback = data.blind ? 'blind' : 'shown';
    const mode = role === 'adjudicator' ? 'shown' : (loadMode(st, run, fallback) ?? fallback);
    const coder = loadCoder(st, run, role);
    dispatch({ type: 'load', coder, mode, judgements: loadState(st, run, coder, { role, mode }) });
  }, [run, role, data.blind]);

  // Writes what the reducer asks for (the active coder's judgements, or an imported file's coder's).
  useEffect(() => {
    const w = s.write;
    if (!w) return;
    const ok = saveState(store, run, w.coder, { role, mode: w.mode }, w.judgements);
    if (w.coder === s.coder) setSaved(ok);
  }, [s.write?.seq]);

  useEffect(() => {
    if (s.ready && s.coder) saveCoder(store, run, role, s.coder);
  }, [s.ready, s.coder, store, run, role]);

  // Another tab of the same site judging as the same coder: follow its changes.
  useEffect(() => {
    if (!s.coder || !store) return;
    const onStorage = (e: StorageEvent) => {
      if (e.storageArea !== store || !e.key?.includes(runId(run))) return;
      dispatch({ type: 'external', judgements: loadState(store, run, s.coder, { role, mode: s.mode }) });
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [s.coder, s.mode, store, run, role]);

  const item = s.coder ? current(s) : undefined;

  // The image is on screen: from its load event, or now when it has no picture (or was cached).
  useEffect(() => {
    if (!item) return;
    if (!item.src || (image.current?.complete && image.current.naturalWidth > 0)) dispatch({ type: 'shown', sha256: item.sha256, now: performance.now() });
  }, [item?.sha256, item?.src, s.shown === null]);

  // The buttons look ready once the pause is over.
  useEffect(() => {
    if (!s.shown) return;
    const t = setTimeout(() => setTick((n) => n + 1), ARM_MS + 20);
    return () => clearTimeout(t);
  }, [s.shown]);

  // Preload the next images.
  useEffect(() => {
    if (!s.ready || !item) return;
    const skip = { ...s.judgements.items, [item.sha256]: {} as JudgementItem };
    let i = s.cursor;
    for (let k = 0; k < PRELOAD; k++) {
      i = nextOpen(items, skip, i);
      if (i < 0 || items[i].sha256 === item.sha256) break;
      const src = items[i].src;
      if (!src) continue;
      // Loaded into the browser's cache; the elements are not kept.
      const img = new Image();
      img.decoding = 'async';
      img.src = assetUrl(base, src);
    }
  }, [s.ready, s.cursor, item, items, base, s.judgements.items]);

  // Focus follows the work: the name field before starting; the filter when choices are open; else
  // the image's heading — never a judging button, so a reflex Enter or Space after a click judges nothing.
  const isPicking = picking(s);
  const focusKey = `${s.ready}|${s.coder}|${s.editingCoder}|${s.cursor}|${isPicking}|${s.mode}|${!!s.pending}|${s.zoom}`;
  useEffect(() => {
    if (!s.ready || s.zoom) return;
    if (s.pending) return conflictHeading.current?.focus();
    if (!s.coder || s.editingCoder) return nameInput.current?.focus();
    if (s.cursor < 0) return doneHeading.current?.focus();
    // On a touch screen focusing the filter would open the on-screen keyboard for every image.
    const touch = window.matchMedia('(pointer: coarse)').matches;
    if (isPicking && !touch) filterInput.current?.focus();
    else itemHeading.current?.focus({ preventScroll: true });
    // On a phone: the image's facts at the top, so the image is clear of the buttons fixed below;
    // the choices (after Wrong) into view.
    if (window.matchMedia('(max-width: 44rem)').matches) {
      if (isPicking && s.mode === 'shown') itemHeading.current?.closest('section')?.querySelector('fieldset')?.scrollIntoView({ block: 'nearest' });
      else itemHeading.current?.closest('section')?.scrollIntoView({ block: 'start' });
    }
  }, [focusKey]);

  // After a click on a judging button or a choice (also one ignored during the pause), focus goes
  // back to the heading or the filter, so a following Enter or Space never activates that button.
  const refocus = useRef(false);
  useEffect(() => {
    if (!refocus.current) return;
    refocus.current = false;
    if (!s.coder || s.pending || s.zoom || s.cursor < 0) return;
    if (picking(s) && !window.matchMedia('(pointer: coarse)').matches) filterInput.current?.focus();
    else itemHeading.current?.focus({ preventScroll: true });
  });

  // One key handler for the page; what a key does is state.ts keyAction.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const inFilter = e.target === filterInput.current;
      const action = keyAction(s, {
        key: e.key,
        ctrl: e.ctrlKey,
        meta: e.metaKey,
        alt: e.altKey,
        repeat: e.repeat,
        inFilter,
        inOtherField: !inFilter && isField(e.target),
        now: performance.now(),
        iso: new Date().toISOString(),
      });
      if (!action) {
        // A held judgement key types nothing into the filter either.
        if (e.repeat && inFilter && /^[0-9]$/.test(e.key)) e.preventDefault();
        return;
      }
      e.preventDefault();
      dispatch(action);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [s]);

  const start = (name: string) => {
    const coder = name.trim().slice(0, 100);
    dispatch({ type: 'start', coder: name, judgements: loadState(store, run, coder, slot) });
  };

  const switchMode = (blind: boolean) => {
    const mode = blind ? 'blind' : 'shown';
    saveMode(store, run, mode, data.blind ? 'blind' : 'shown');
    dispatch({ type: 'mode', mode, judgements: loadState(store, run, s.coder, { role, mode }) });
  };

  const now = () => ({ now: performance.now(), iso: new Date().toISOString() });
  const judge = (verdict: 'right' | 'wrong' | 'skip') => {
    refocus.current = true;
    dispatch({ type: 'judge', verdict, ...now() });
  };
  const pick = (p: Picked) => {
    refocus.current = true;
    dispatch({ type: 'pick', pick: p, ...now() });
  };

  const exportFile = () => {
    if (!s.coder) return;
    const date = new Date();
    const text = serialiseJudgements({ schema: JUDGEMENTS_SCHEMA, run, coder: s.coder, role, mode: s.mode, exportedAt: date.toISOString(), items: Object.values(s.judgements.items) });
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    // Blind-mode and adjudicator files get their own names: they never overwrite a coder's shown-mode file.
    const suffix = role === 'adjudicator' ? '-adjudicator' : s.mode === 'blind' ? '-blind' : '';
    a.download = judgementFileName(`${s.coder}${suffix}`, date);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    dispatch({ type: 'message', message: { kind: 'info', text: `Exported ${Object.keys(s.judgements.items).length} ${role === 'adjudicator' ? 'decisions' : 'judgements'} as ${a.download}. Put the file into content/validation/ and build again to see the statistics.` } });
  };

  const onImport = async (e: ChangeEvent<HTMLInputElement>) => {
    const input = e.currentTarget;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    const refuse = (reason: string) => dispatch({ type: 'message', message: { kind: 'error', text: `${file.name} was not imported. ${reason}` } });
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
    const mine = f.coder === s.coder && f.mode === s.mode;
    const existing = mine ? s.judgements : loadState(store, run, f.coder, { role, mode: f.mode });
    dispatch({ type: 'import', fileName: file.name, file: f, existing });
  };

  const disabled = !s.ready || !s.coder || !!s.pending;
  const ready = item ? armed(s, performance.now()) : false;

  return (
    <div className={`vw${s.mode === 'blind' ? ' vw-is-blind' : ''}`}>
      <CoderBar s={s} dispatch={dispatch} onStart={start} onMode={switchMode} nameRef={nameInput} />
      <Progress s={s} />
      <p className="visually-hidden" role="status" aria-live="polite" aria-atomic="true">{s.status}</p>

      {s.pending && <ImportConflict pending={s.pending} dispatch={dispatch} headingRef={conflictHeading} />}

      {items.length === 0 ? (
        <p className="note">{role === 'adjudicator' ? 'Nothing to adjudicate: the coders agree on every image.' : 'The validation set is empty: there are no classified images to judge.'}</p>
      ) : !s.coder ? (
        <StartHelp s={s} />
      ) : s.cursor < 0 ? (
        <section className="vw-done" aria-labelledby="vw-done-title">
          <h2 id="vw-done-title" ref={doneHeading} tabIndex={-1}>All {items.length} images {role === 'adjudicator' ? 'decided' : 'judged'}</h2>
          <p>Export your {role === 'adjudicator' ? 'decisions' : 'judgements'} and put the file into <code>content/validation/</code>; the next build shows the statistics on the Validation page. Undo (U), ← or the list below reopen an image.</p>
        </section>
      ) : item ? (
        <section className="vw-item" aria-labelledby="vw-item-title" data-armed={ready ? 'true' : undefined}>
          <ImageBox item={item} index={s.cursor} total={items.length} base={base} imgRef={image} onShown={() => dispatch({ type: 'shown', sha256: item.sha256, now: performance.now() })} onZoom={() => dispatch({ type: 'zoom' })} />
          <div className="vw-side">
            <Facts s={s} item={item} index={s.cursor} headingRef={itemHeading} />
            <div className="vw-act">
              {isPicking ? (
                <ChoicePanel s={s} dispatch={dispatch} filterRef={filterInput} onPick={pick} onSkip={() => judge('skip')} />
              ) : (
                <JudgeButtons disabled={disabled} onJudge={judge} />
              )}
            </div>
          </div>
        </section>
      ) : null}

      {s.zoom && item && <Zoom item={item} base={base} onClose={() => dispatch({ type: 'zoom' })} />}

      {s.message && (
        <p className={s.message.kind === 'error' ? 'vw-message vw-error' : 'vw-message'} role={s.message.kind === 'error' ? 'alert' : 'status'}>
          {s.message.text}
        </p>
      )}
      {!saved && <p className="vw-message vw-error" role="alert">This browser does not keep the judgements (storage is full or disabled): export them before leaving the page.</p>}
      {s.ready && !store && <p className="vw-message vw-error">This browser does not allow local storage here: judgements last only while the page is open, so export them before leaving.</p>}

      <Tools s={s} canUndo={s.judgements.history.length > 0} onUndo={() => dispatch({ type: 'undo' })} onExport={exportFile} onImportClick={() => fileInput.current?.click()}>
        <input ref={fileInput} className="vw-file" type="file" accept=".json,application/json" onChange={onImport} aria-label="Import a judgement file" tabIndex={-1} />
      </Tools>
      {s.coder && <ReviewList s={s} onOpen={(index) => dispatch({ type: 'goto', index })} />}
      <Keys s={s} />
    </div>
  );
}
