// The validation widget's view, in small parts: each renders a slice of the state (state.ts) and
// dispatches actions; none holds logic of its own beyond the form field it owns. Every string from
// the folder or the dictionary is rendered as text. No inline styles (the site's CSP).
import { useEffect, useRef, useState, type Dispatch, type FormEvent, type MouseEvent, type ReactNode, type Ref } from 'react';
import { wilson } from '../../../integrations/core/stats.ts';
import { formatPercent, formatShare } from '../../../integrations/core/format.ts';
import type { JudgementItem } from '../../../integrations/core/judgements.ts';
import type { WidgetItem } from '../../../integrations/clipscope/report/widget-data.ts';
import { answerVisible, answerWords, choices, counts, reviewList, type Action, type PendingImport, type Picked, type State } from './state.ts';

export function assetUrl(base: string, relative: string): string {
  return (base.endsWith('/') ? base : `${base}/`) + relative.replace(/^\/+/, '');
}

/** Name field (before starting, or when changing coder) or the "Judging as …" line; the mode toggle. */
export function CoderBar({ s, dispatch, onStart, onMode, nameRef }: {
  s: State;
  dispatch: Dispatch<Action>;
  onStart: (name: string) => void;
  onMode: (blind: boolean) => void;
  nameRef: Ref<HTMLInputElement>;
}) {
  const [draft, setDraft] = useState(s.coder);
  useEffect(() => setDraft(s.coder), [s.coder]);
  const who = s.role === 'adjudicator' ? 'adjudicator' : 'coder';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onStart(draft);
  };
  return (
    <div className="vw-bar">
      {s.coder && !s.editingCoder ? (
        <p className="vw-coder">
          <span>{s.role === 'adjudicator' ? 'Deciding' : 'Judging'} as <strong>{s.coder}</strong>{s.mode === 'blind' ? <> · <strong>blind</strong></> : null}</span>
          <button type="button" className="vw-small" onClick={() => dispatch({ type: 'editCoder', on: true })} disabled={!!s.pending}>Change {who}</button>
        </p>
      ) : (
        <form className="vw-coder" onSubmit={submit}>
          <label htmlFor="vw-coder-name">Your name ({who})</label>
          <input id="vw-coder-name" ref={nameRef} type="text" autoComplete="name" maxLength={100} value={draft} onChange={(e) => setDraft(e.target.value)} disabled={!s.ready} />
          <button type="submit" disabled={!s.ready}>{s.coder ? 'Switch' : 'Start'}</button>
          {s.coder && <button type="button" onClick={() => { setDraft(s.coder); dispatch({ type: 'editCoder', on: false }); }}>Cancel</button>}
        </form>
      )}
      {s.role === 'coder' && (
        <label className="vw-mode">
          <input type="checkbox" checked={s.mode === 'blind'} onChange={(e) => onMode(e.currentTarget.checked)} disabled={!s.ready || !!s.pending} />
          Blind coding: hide the model's answer until I pick a category
        </label>
      )}
    </div>
  );
}

/** What to do, before a name is given. */
export function StartHelp({ s }: { s: State }) {
  return (
    <section className="vw-start" aria-labelledby="vw-start-title">
      <h2 id="vw-start-title">{s.role === 'adjudicator' ? 'Enter your name to decide' : 'Enter your name to start'}</h2>
      <p>
        Type your name above and press <strong>Start</strong> (or Enter). Judgements are kept in this browser under your name and exported as a file.
        {s.role === 'adjudicator'
          ? ' Then, for each image the coders disagree on, decide whether the model\u2019s prediction is right, and which category the image is.'
          : s.mode === 'blind'
            ? ' Then, for each image, pick its category (or \u201cnone of these\u201d); the model\u2019s answer stays hidden.'
            : ' Then, for each image, say whether the predicted category is right or wrong.'}
      </p>
    </section>
  );
}

/** Judged count, progress bar and (shown mode, coders) the running accuracy. */
export function Progress({ s }: { s: State }) {
  const c = counts(s);
  const decided = c.right + c.wrong;
  const accuracy = decided > 0 ? wilson(c.right, decided) : null;
  return (
    <div className="vw-progress">
      <span className="vw-count"><strong>{c.judged} / {s.items.length}</strong> {s.role === 'adjudicator' ? 'decided' : 'judged'}</span>
      <progress max={Math.max(1, s.items.length)} value={c.judged} aria-label="Judged so far" />
      {answerVisible(s) && s.role === 'coder' && (
        <span className="vw-acc">
          {accuracy
            ? <>Accuracy so far <strong>{formatShare(accuracy.estimate)}</strong> (95 % interval {formatShare(accuracy.low)}–{formatShare(accuracy.high)}, {decided} judged Right or Wrong)</>
            : 'Accuracy so far: no Right/Wrong judgement yet'}
        </span>
      )}
    </div>
  );
}

function conflictWords(j: JudgementItem): string {
  return answerWords(j, 'shown');
}

/** An import that would change judgements: nothing changes until the person chooses. */
export function ImportConflict({ pending, dispatch, headingRef }: { pending: PendingImport; dispatch: Dispatch<Action>; headingRef: Ref<HTMLHeadingElement> }) {
  const n = pending.plan.conflicts.length;
  return (
    <section className="vw-conflict" aria-labelledby="vw-conflict-title">
      <h2 id="vw-conflict-title" ref={headingRef} tabIndex={-1}>
        {n} {n === 1 ? 'image is' : 'images are'} judged differently in {pending.fileName}
      </h2>
      <p>
        The file ({pending.coder}{pending.mode === 'blind' ? ', blind' : ''}) also brings {pending.plan.added.length} new judgements and {pending.plan.same} that are already here. Nothing is changed until you choose which judgement to keep where they differ:
      </p>
      <ul className="vw-conflict-list">
        {pending.plan.conflicts.slice(0, 5).map((c) => (
          <li key={c.incoming.sha256}>
            <span className="mono">{c.incoming.path}</span>: here <strong>{conflictWords(c.existing)}</strong>, in the file <strong>{conflictWords(c.incoming)}</strong>
          </li>
        ))}
        {n > 5 && <li>… and {n - 5} more</li>}
      </ul>
      <div className="vw-actions">
        <button type="button" onClick={() => dispatch({ type: 'resolveImport', choice: 'keep-mine' })}>Keep mine</button>
        <button type="button" onClick={() => dispatch({ type: 'resolveImport', choice: 'use-file' })}>Use the file's</button>
        <button type="button" onClick={() => dispatch({ type: 'resolveImport', choice: 'cancel' })}>Cancel import</button>
      </div>
    </section>
  );
}

/** The image in its fixed-size box; a click (or Z) enlarges it. */
export function ImageBox({ item, index, total, base, imgRef, onShown, onZoom }: {
  item: WidgetItem;
  index: number;
  total: number;
  base: string;
  imgRef: Ref<HTMLImageElement>;
  onShown: () => void;
  onZoom: () => void;
}) {
  return (
    <div className="vw-image">
      {item.src ? (
        <button type="button" className="vw-image-button" onClick={onZoom} aria-label={`Enlarge image ${index + 1}`} aria-keyshortcuts="+">
          <img key={item.sha256} ref={imgRef} src={assetUrl(base, item.src)} width={item.width} height={item.height} alt={`Image ${index + 1} of ${total}: ${item.path}`} decoding="async" onLoad={onShown} onError={onShown} />
        </button>
      ) : (
        <span className="no-thumb">No preview available for {item.path}</span>
      )}
    </div>
  );
}

/** The enlarged image over the page; Esc, Z or a click closes it. */
export function Zoom({ item, base, onClose }: { item: WidgetItem; base: string; onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  if (!item.src) return null;
  return (
    <div className="vw-zoom" role="dialog" aria-modal="true" aria-label={`Enlarged: ${item.path}`}>
      <button type="button" className="vw-zoom-close" ref={close} onClick={onClose} aria-keyshortcuts="Escape Z">Close <kbd>Esc</kbd></button>
      <img src={assetUrl(base, item.src)} width={item.width} height={item.height} alt={`Enlarged: ${item.path}`} onClick={onClose} />
    </div>
  );
}

/** The model's answer (shown mode), the coders' answers (adjudication), the path. */
export function Facts({ s, item, index, headingRef }: { s: State; item: WidgetItem; index: number; headingRef: Ref<HTMLHeadingElement> }) {
  const judged = Object.hasOwn(s.judgements.items, item.sha256) ? s.judgements.items[item.sha256] : undefined;
  return (
    <div className="vw-facts">
      {answerVisible(s) ? (
        <>
          <p className="vw-label">Predicted</p>
          <h2 id="vw-item-title" className="vw-predicted" ref={headingRef} tabIndex={-1}>{item.predicted}</h2>
          <p className="vw-phrase">
            <strong>{formatPercent(item.probability)}</strong> category probability · “{item.label}”
            {item.phraseShare !== null && <span className="muted"> (phrase share {formatPercent(item.phraseShare)})</span>}
          </p>
          {item.second && (
            <p className="vw-second">
              Second choice: {item.second.category}
              {item.second.label && item.second.label !== item.label ? <> — “{item.second.label}”</> : null} ({formatPercent(item.second.probability)})
            </p>
          )}
        </>
      ) : (
        <h2 id="vw-item-title" className="vw-predicted" ref={headingRef} tabIndex={-1}>Image {index + 1} of {s.items.length}: which category?</h2>
      )}
      {item.answers && (
        <table className="vw-answers">
          <caption>The coders' answers</caption>
          <thead><tr><th scope="col">Coder</th><th scope="col">Answer</th></tr></thead>
          <tbody>
            {item.answers.map((a) => (
              <tr key={`${a.adjudicator ? 'a' : 'c'}:${a.coder}`}><th scope="row">{a.coder}{a.blind ? <span className="muted"> (blind)</span> : a.adjudicator ? <span className="muted"> (adjudicator, decided)</span> : null}</th><td>{a.answer}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="vw-path mono">{item.path}</p>
      {judged && s.correcting !== item.sha256 && (
        <p className="vw-already">You {s.role === 'adjudicator' ? 'decided' : 'judged'} this image: <strong>{answerWords(judged, s.mode)}</strong>. Judging it again replaces that.</p>
      )}
    </div>
  );
}

/** A mouse press does not move focus onto a judging button (a later Enter would press it again). */
const keepFocus = (e: MouseEvent) => e.preventDefault();

/** Right / Wrong / Skip (shown mode). */
export function JudgeButtons({ disabled, onJudge }: { disabled: boolean; onJudge: (v: 'right' | 'wrong' | 'skip') => void }) {
  return (
    <div className="vw-buttons" role="group" aria-label="Is the prediction right?">
      <button type="button" className="vw-right" onMouseDown={keepFocus} onClick={() => onJudge('right')} disabled={disabled} aria-keyshortcuts="R">Right <kbd>R</kbd></button>
      <button type="button" className="vw-wrong" onMouseDown={keepFocus} onClick={() => onJudge('wrong')} disabled={disabled} aria-keyshortcuts="W">Wrong <kbd>W</kbd></button>
      <button type="button" className="vw-skip" onMouseDown={keepFocus} onClick={() => onJudge('skip')} disabled={disabled} aria-keyshortcuts="S">Skip / unsure <kbd>S</kbd></button>
    </div>
  );
}

/** The categories to pick from: after Wrong (optional), or in blind mode (the coder's answer). */
export function ChoicePanel({ s, dispatch, filterRef, onPick, onSkip }: {
  s: State;
  dispatch: Dispatch<Action>;
  filterRef: Ref<HTMLInputElement>;
  onPick: (pick: Picked) => void;
  onSkip: () => void;
}) {
  const list = choices(s);
  let enabled = -1;
  const blind = s.mode === 'blind';
  return (
    <fieldset className={blind ? 'vw-correction vw-blind' : 'vw-correction'}>
      <legend>
        {blind ? 'Which category is it?' : <>Wrong. Which category is it? <span className="muted">(optional)</span></>}
      </legend>
      <label className="vw-filter">
        <span>Type to filter</span>
        <input ref={filterRef} type="text" value={s.filter} onChange={(e) => dispatch({ type: 'filter', text: e.target.value })} autoComplete="off" spellCheck={false} aria-describedby="vw-filter-help" />
      </label>
      <p id="vw-filter-help" className="vw-filter-help muted">
        <kbd>1</kbd>–<kbd>9</kbd> pick a numbered category, <kbd>0</kbd> none of these; type letters to narrow the list, <kbd>↑</kbd> <kbd>↓</kbd> and <kbd>Enter</kbd> pick the marked one.
      </p>
      <div className="vw-choices">
        {list.map((c) => {
          if (!c.disabled) enabled++;
          const marked = !c.disabled && enabled === s.highlight;
          return (
            <button type="button" key={c.category} className={marked ? 'vw-marked' : undefined} onMouseDown={keepFocus} onClick={() => onPick({ kind: 'category', category: c.category })} aria-keyshortcuts={c.key ?? undefined} aria-current={marked ? 'true' : undefined} disabled={c.disabled}>
              {c.key ? <kbd>{c.key}</kbd> : <span className="vw-nokey" />} {c.category}{c.disabled ? ' (the prediction)' : ''}
            </button>
          );
        })}
        {list.length === 0 && <p className="muted">No category matches “{s.filter}”.</p>}
        <button type="button" className="vw-none" onMouseDown={keepFocus} onClick={() => onPick({ kind: 'none' })} aria-keyshortcuts="0"><kbd>0</kbd> None of these</button>
      </div>
      {blind ? (
        <button type="button" className="vw-continue" onClick={onSkip} aria-keyshortcuts="?">Skip / unsure <kbd>?</kbd></button>
      ) : (
        <button type="button" className="vw-continue" onClick={() => dispatch({ type: 'closePanel' })} aria-keyshortcuts="Escape">Continue without a category <kbd>Esc</kbd></button>
      )}
    </fieldset>
  );
}

/** The coder's past judgements, latest first, each reopened with one click (to change it). */
export function ReviewList({ s, onOpen }: { s: State; onOpen: (index: number) => void }) {
  const list = reviewList(s);
  if (list.length === 0) return null;
  return (
    <details className="vw-review">
      <summary>Your {s.role === 'adjudicator' ? 'decisions' : 'judgements'} ({list.length}): review or change</summary>
      <ol className="vw-review-list">
        {list.map(({ index, item, judgement }) => (
          <li key={item.sha256}>
            <button type="button" className="vw-small" onClick={() => onOpen(index)} aria-label={`Open image ${index + 1}, ${item.path}`}>Open</button>
            <span className="vw-review-n">#{index + 1}</span>
            <span className="mono vw-review-path">{item.path}</span>
            <strong>{answerWords(judgement, s.mode)}</strong>
          </li>
        ))}
      </ol>
    </details>
  );
}

export function Tools({ s, canUndo, onUndo, onExport, onImportClick, children }: { s: State; canUndo: boolean; onUndo: () => void; onExport: () => void; onImportClick: () => void; children: ReactNode }) {
  const disabled = !s.ready || !s.coder || !!s.pending;
  return (
    <div className="vw-tools">
      <button type="button" onClick={onUndo} disabled={disabled || !canUndo} aria-keyshortcuts="U Control+Z">Undo <kbd>U</kbd></button>
      <button type="button" onClick={onExport} disabled={disabled || Object.keys(s.judgements.items).length === 0}>Export {s.role === 'adjudicator' ? 'decisions' : 'judgements'}</button>
      <button type="button" onClick={onImportClick} disabled={!s.ready || !!s.pending}>Import…</button>
      {children}
    </div>
  );
}

/** The key scheme, as state.ts keyAction implements it. */
export function Keys({ s }: { s: State }) {
  return (
    <p className="vw-keys muted">
      Keys: {s.mode === 'blind'
        ? <><kbd>1</kbd>–<kbd>9</kbd> pick a category, <kbd>0</kbd> none of these, type to filter and <kbd>Enter</kbd>, <kbd>?</kbd> skip/unsure</>
        : <><kbd>R</kbd> right · <kbd>W</kbd> wrong · <kbd>S</kbd> skip/unsure · after Wrong: <kbd>1</kbd>–<kbd>9</kbd> the category, <kbd>0</kbd> none of these, type to filter and <kbd>Enter</kbd>, <kbd>Esc</kbd> go on without one</>}
      {' '}· <kbd>←</kbd> <kbd>→</kbd> previous / next image (never judge) · <kbd>U</kbd> or <kbd>Ctrl</kbd>+<kbd>Z</kbd> undo · <kbd>+</kbd>{s.mode === 'shown' ? <> or <kbd>Z</kbd></> : null} enlarge the image, <kbd>Esc</kbd> closes it.
      {' '}Input is ignored for half a second after a new image appears, so a key meant for the last image never judges the next; a held key judges once.
    </p>
  );
}
