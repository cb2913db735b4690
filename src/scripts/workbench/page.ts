// The Workbench page's script (src/pages/workbench/[...index].astro): loads the build's embeddings
// once, re-scores every image whenever the edited dictionary parses (debounced), and renders what
// changed. All decisions are the pure functions of integrations/core/workbench.ts (tested there); the
// dictionary is parsed by the build's parser (core/dictionary.ts) and scored by the build's scoring
// (core/score.ts). Phrases the build did not embed wait for the text tower (./text-tower.ts): until
// it is loaded the page keeps the last complete result and says it is not re-scored yet.
import { DictionaryError, flattenPhrases, parseDictionaryText, type FlatPhrase } from '../../../integrations/core/dictionary.ts';
import { ClipscopeError } from '../../../integrations/core/errors.ts';
import { l2normalize } from '../../../integrations/core/score.ts';
import { sha256Hex } from '../../../integrations/core/sha256.ts';
import { formatBytes, formatPercent, plural } from '../../../integrations/core/format.ts';
import {
  accuracyAgainstCoders,
  baselineCheck,
  CosineCache,
  compareCategories,
  HOLDOUT_FRACTION,
  holdoutSplit,
  nearDuplicates,
  NEAR_DUPLICATE_COSINE,
  phraseEmbeddings,
  phraseWins,
  rescore,
  rowsByText,
  type Accuracy,
  type Rescored,
  type WorkbenchData,
} from '../../../integrations/core/workbench.ts';
import type { DictionaryCategory } from '../../../integrations/core/types.ts';
import { describeTextTower, loadTextTower, type TextTower } from './text-tower.ts';

/** Milliseconds after the last keystroke before the dictionary is parsed and re-scored. */
const DEBOUNCE_MS = 300;
/** Changed images shown as thumbnails (all are counted). */
const MAX_CHANGED_SHOWN = 300;
/** Runs above this many images say "Re-scoring…" before they re-score. */
const LARGE_RUN = 2000;
/** Images listed per phrase under wins and near misses. */
const MAX_LISTED = 12;

interface Scored {
  text: string;
  categories: DictionaryCategory[];
  flat: FlatPhrase[];
  textEmbeds: Float32Array;
  rescored: Rescored;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

async function setup(): Promise<void> {
  const root = document.getElementById('workbench');
  if (!root) return;
  const base = root.dataset.base ?? '/';
  const textarea = $<HTMLTextAreaElement>('wb-text');
  const problemsBox = $('wb-problems');
  const baselineLine = $('wb-baseline');
  const status = $('wb-status');
  const towerBox = $('wb-tower');

  // ---- Load the data (once; afterwards the page works offline).
  let data: WorkbenchData;
  let images: Float32Array;
  let buildPhrases: Float32Array;
  try {
    data = (await (await fetchOk(root.dataset.data!)).json()) as WorkbenchData;
    const parts = await Promise.all(data.embeddings.images.map(async (p) => new Float32Array(await (await fetchOk(base + p.file)).arrayBuffer())));
    images = new Float32Array(data.images.length * data.dim);
    let offset = 0;
    for (const part of parts) {
      images.set(part, offset);
      offset += part.length;
    }
    if (offset !== images.length) throw new Error(`the embedding files hold ${offset / data.dim} images, the index ${data.images.length}`);
    buildPhrases = new Float32Array(await (await fetchOk(base + data.embeddings.phrases)).arrayBuffer());
  } catch (error) {
    baselineLine.textContent = `The workbench data could not be loaded (${error instanceof Error ? error.message : String(error)}).`;
    baselineLine.className = 'wb-baseline bad';
    return;
  }
  const { dim, run } = data;
  const count = data.images.length;
  const known = rowsByText(data.phrases.map((p) => p.text), buildPhrases, dim);
  const buildCategories = data.images.map((i) => i.category);
  const buildOrder = [...new Set(data.phrases.map((p) => p.category))];
  $('wb-source').textContent = data.dictionary.source;
  root.dataset.draftKey = `clipscope-workbench:${run.model}:${run.dictionaryHash}`;

  // The image × phrase cosines, kept between edits: an edit computes those of new phrases only.
  const cosines = new CosineCache(images, count, dim);
  const buildTexts = new Set(data.phrases.map((p) => p.text));
  const parse = (text: string): DictionaryCategory[] => parseDictionaryText(text, data.dictionary.source, data.dictionary.format, sha256Hex);

  /** Score a parsed dictionary whose phrases all have embeddings. */
  function score(text: string, categories: DictionaryCategory[]): Scored | { missing: string[] } {
    const flat = flattenPhrases({ categories });
    const { embeds, missing } = phraseEmbeddings(
      flat.map((p) => p.text),
      known,
      dim,
    );
    if (missing.length > 0) return { missing };
    performance.mark('workbench:rescore:start');
    const rescored = rescore({ images, count, dim, categories, textEmbeds: embeds, run, cosines });
    // Keep the columns of the build's phrases and the current ones (not those of every text typed).
    cosines.keepOnly([...buildTexts, ...flat.map((p) => p.text)]);
    performance.measure('workbench:rescore', 'workbench:rescore:start');
    performance.clearMarks('workbench:rescore:start');
    return { text, categories, flat, textEmbeds: embeds, rescored };
  }

  // ---- Baseline: the build's dictionary scored here against the build's results.
  const baseline = score(data.dictionary.text, parse(data.dictionary.text));
  if ('missing' in baseline) {
    baselineLine.textContent = `The build's phrase embeddings are incomplete (${baseline.missing.length} missing); the workbench cannot reproduce the build.`;
    baselineLine.className = 'wb-baseline bad';
    return;
  }
  const check = baselineCheck(data.images, baseline.rescored.scores);
  baselineLine.textContent = `Matches the build: ${check.matches} of ${check.total} images${check.ties ? ` (${plural(check.ties, 'exact tie')})` : ''}.`;
  baselineLine.className = check.matches === check.total ? 'wb-baseline ok' : 'wb-baseline bad';
  baselineLine.dataset.matches = String(check.matches);
  baselineLine.dataset.total = String(check.total);
  if (check.mismatches.length > 0) {
    const list = el('ul');
    for (const m of check.mismatches.slice(0, 20)) list.append(el('li', {}, `${data.images[m.index].path}: build ${m.build} ${formatPercent(m.buildProbability)}, here ${m.now} ${formatPercent(m.nowProbability)}`));
    baselineLine.after(list);
  }

  let current: Scored = baseline;
  let tower: TextTower | null = null;
  let towerLoading: Promise<TextTower> | null = null;
  let waiting: string[] = [];

  // ---- The text tower: described up front, loaded on request.
  const description = await describeTextTower(base).catch((error: unknown) => ({ available: false, reason: error instanceof Error ? error.message : String(error), sizeBytes: 0, variant: 'none', dim: 0 }));
  function renderTower(): void {
    towerBox.replaceChildren();
    if (tower) {
      towerBox.append(el('p', { class: 'wb-muted' }, `The text model is loaded (${description.variant}): new phrases are embedded in this browser.`));
      return;
    }
    if (!description.available) {
      towerBox.append(el('p', { class: 'wb-muted', id: 'wb-tower-unavailable' }, `New or changed phrases cannot be embedded here. ${description.reason ?? 'The text model is not published.'} Phrases the build embedded can be moved, removed and reordered freely.`));
      return;
    }
    const button = el('button', { type: 'button', id: 'wb-tower-load' }, `Load the text model (${formatBytes(description.sizeBytes)})`);
    button.addEventListener('click', () => void ensureTower());
    towerBox.append(el('p', { class: 'wb-muted' }, 'New or changed phrases need the model’s text encoder, downloaded once into this browser.'), button);
  }
  async function ensureTower(): Promise<TextTower | null> {
    if (tower) return tower;
    if (!description.available) return null;
    if (!towerLoading) {
      const progress = el('progress', { max: '1', value: '0' });
      const label = el('span', { class: 'wb-muted' }, 'Loading the text model…');
      towerBox.replaceChildren(label, progress);
      towerLoading = loadTextTower(base, (p) => {
        progress.max = Math.max(1, p.totalBytes);
        progress.value = p.loadedBytes;
        label.textContent = p.stage === 'download' ? `Downloading the text model: ${formatBytes(p.loadedBytes)} of ${formatBytes(p.totalBytes)}` : 'Starting the text model…';
      });
    }
    try {
      tower = await towerLoading;
      renderTower();
      update();
      return tower;
    } catch (error) {
      towerLoading = null;
      renderTower();
      towerBox.prepend(el('p', { class: 'wb-problems' }, `The text model could not be loaded: ${error instanceof Error ? error.message : String(error)}`));
      return null;
    }
  }
  renderTower();

  // ---- Editing.
  textarea.value = data.dictionary.text;
  textarea.disabled = false;
  const download = $<HTMLButtonElement>('wb-download');
  const copy = $<HTMLButtonElement>('wb-copy');
  const reset = $<HTMLButtonElement>('wb-reset');
  const copied = $('wb-copied');
  let parsesNow = true;

  function showProblems(error: unknown): void {
    problemsBox.replaceChildren();
    if (error === null) return;
    // As the build prints it: "clipscope: <message>" and the hint, then each problem as a link to its line.
    const described = error instanceof ClipscopeError ? `clipscope: ${error.message}${error.hint ? `\n  → ${error.hint}` : ''}` : `clipscope: ${String(error)}`;
    problemsBox.append(el('pre', { id: 'wb-message' }, described));
    if (error instanceof DictionaryError) {
      const placed = error.problems.filter((p) => p.line !== undefined);
      if (placed.length > 0) {
        const list = el('ul');
        for (const p of placed) {
          const go = el('button', { type: 'button' }, `line ${p.line}, column ${p.column ?? 1}`);
          go.addEventListener('click', () => goTo(p.line!, p.column ?? 1));
          list.append(el('li', {}, go));
        }
        problemsBox.append(el('p', {}, 'Go to:'), list);
      }
    }
  }
  function goTo(line: number, column: number): void {
    const lines = textarea.value.split('\n');
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    offset += column - 1;
    textarea.focus();
    textarea.setSelectionRange(offset, offset);
    const lineHeight = textarea.scrollHeight / Math.max(1, lines.length);
    textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  const exportNote = $('wb-export-note');
  function setStatus(text: string, stale: boolean): void {
    exportNote.hidden = !(stale && parsesNow);
    status.textContent = text;
    status.className = stale ? 'wb-status stale' : 'wb-status';
    status.dataset.state = stale ? 'stale' : 'current';
  }

  let generation = 0;
  async function update(): Promise<void> {
    const mine = ++generation;
    const text = textarea.value;
    let categories: DictionaryCategory[];
    try {
      categories = parse(text);
    } catch (error) {
      parsesNow = false;
      showProblems(error);
      setStatus('The dictionary has problems (see under the editor): the results below are those of the last dictionary that parsed.', true);
      syncButtons();
      return;
    }
    parsesNow = true;
    showProblems(null);
    syncButtons();
    if (count > LARGE_RUN) {
      // Re-scoring many images takes a moment: say so, and let the browser paint it first.
      setStatus(`Re-scoring ${plural(count, 'image')}…`, false);
      await new Promise((done) => setTimeout(done, 20));
      if (mine !== generation) return;
    }
    let next = score(text, categories);
    if ('missing' in next) {
      waiting = next.missing;
      const t = tower ?? null;
      if (t) {
        setStatus(`Embedding ${plural(waiting.length, 'new phrase')}…`, true);
        try {
          if (t.dim !== dim) throw new Error(`the text model gives ${t.dim} numbers per phrase, the build's embeddings ${dim}`);
          const raw = l2normalize(await t.embed(waiting), dim);
          waiting.forEach((w, i) => {
            known.set(w, raw.slice(i * dim, (i + 1) * dim));
          });
        } catch (error) {
          setStatus(`The new phrases could not be embedded: ${error instanceof Error ? error.message : String(error)}. Not re-scored yet.`, true);
          return;
        }
        if (mine !== generation) return;
        next = score(text, categories);
      }
      if ('missing' in next) {
        setStatus(
          `Not re-scored yet: ${plural(next.missing.length, 'phrase')} the build did not embed ${next.missing.length === 1 ? 'waits' : 'wait'} for the text model (${next.missing.map((m) => `“${m}”`).join(', ')}). The results below are those of the last dictionary whose phrases all have embeddings.`,
          true,
        );
        return;
      }
    }
    waiting = [];
    current = next;
    setStatus(current.text === data.dictionary.text ? 'Showing the build’s dictionary.' : `Re-scored ${plural(count, 'image')} with the edited dictionary.`, false);
    performance.mark('workbench:render:start');
    render();
    performance.measure('workbench:render', 'workbench:render:start');
    performance.clearMarks('workbench:render:start');
  }

  function syncButtons(): void {
    download.disabled = !parsesNow;
    copy.disabled = !parsesNow;
    reset.disabled = textarea.value === data.dictionary.text;
    download.title = parsesNow ? '' : 'Fix the problems first';
  }

  let timer: number | undefined;
  textarea.addEventListener('input', () => {
    syncButtons();
    saveDraft(textarea.value);
    clearTimeout(timer);
    timer = window.setTimeout(() => void update(), DEBOUNCE_MS);
  });
  textarea.addEventListener('keydown', (event) => {
    // Tab inserts two spaces (YAML indents with spaces); Esc then Tab leaves the editor.
    if (event.key === 'Tab' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && textarea.dataset.escaped !== '1') {
      event.preventDefault();
      textarea.setRangeText('  ', textarea.selectionStart, textarea.selectionEnd, 'end');
      textarea.dispatchEvent(new Event('input'));
    }
    textarea.dataset.escaped = event.key === 'Escape' ? '1' : '';
  });
  reset.addEventListener('click', () => {
    textarea.value = data.dictionary.text;
    saveDraft(data.dictionary.text);
    syncButtons();
    void update();
  });
  download.addEventListener('click', () => {
    const blob = new Blob([textarea.value], { type: data.dictionary.format === 'json' ? 'application/json' : 'text/yaml' });
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: exportName(data.dictionary.source) });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(textarea.value);
      copied.textContent = 'Copied.';
    } catch {
      textarea.select();
      copied.textContent = document.execCommand('copy') ? 'Copied.' : 'Copying was refused by the browser: select the text and copy it.';
    }
    setTimeout(() => (copied.textContent = ''), 4000);
  });
  const holdout = document.getElementById('wb-holdout') as HTMLInputElement | null;
  holdout?.addEventListener('change', () => renderAccuracy());

  // ---- Rendering.
  /** The first EAGER_THUMBS thumbnails load at once, the rest when scrolled to. */
  const EAGER_THUMBS = 48;
  const thumbOf = (i: number, k: number): HTMLElement => {
    const t = data.images[i].thumb;
    return t ? el('img', { src: base + t, alt: `Image ${data.images[i].path}`, loading: k < EAGER_THUMBS ? 'eager' : 'lazy', decoding: 'async' }) : el('div', { class: 'wb-noimg' }, 'no thumbnail');
  };

  let renders = 0;
  function render(): void {
    root!.dataset.renders = String(++renders);
    const after = current.rescored.scores.map((s) => s.category);
    const order = [...buildOrder, ...current.categories.map((c) => c.name).filter((n) => !buildOrder.includes(n))];
    const changes = compareCategories(buildCategories, after, order);

    const sizes = $<HTMLTableElement>('wb-sizes');
    sizes.replaceChildren(
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Category'), el('th', { scope: 'col', class: 'num' }, 'Build'), el('th', { scope: 'col', class: 'num' }, 'Edited'), el('th', { scope: 'col', class: 'num' }, 'Change'))),
      el(
        'tbody',
        {},
        ...changes.sizes.map((c) => {
          const d = c.after - c.before;
          const row = el('tr', { 'data-category': c.category }, el('td', { class: 'text' }, c.category), el('td', { class: 'num' }, String(c.before)), el('td', { class: 'num' }, String(c.after)), el('td', { class: `num ${d > 0 ? 'up' : d < 0 ? 'down' : ''}` }, d === 0 ? '' : `${d > 0 ? '+' : '−'}${Math.abs(d)}`));
          return row;
        }),
      ),
    );

    $('wb-changed-count').textContent =
      changes.changed.length === 0
        ? 'No image changed category.'
        : `${plural(changes.changed.length, 'image')} changed category${changes.changed.length > MAX_CHANGED_SHOWN ? ` (the first ${MAX_CHANGED_SHOWN} shown)` : ''}.`;
    $('wb-changed').replaceChildren(
      ...changes.changed.slice(0, MAX_CHANGED_SHOWN).map((i, k) => {
        const s = current.rescored.scores[i];
        return el(
          'li',
          { 'data-path': data.images[i].path, 'data-from': buildCategories[i], 'data-to': s.category },
          thumbOf(i, k),
          el('p', { class: 'path' }, data.images[i].path),
          el('p', { class: 'move' }, `${buildCategories[i]} → `, el('strong', {}, s.category), ` (${formatPercent(s.probability)})`),
        );
      }),
    );

    const wins = phraseWins(current.flat, current.rescored);
    const listOf = (indices: number[]) => {
      const items = indices.slice(0, MAX_LISTED).map((i) => el('li', {}, data.images[i].path));
      if (indices.length > MAX_LISTED) items.push(el('li', {}, `… and ${indices.length - MAX_LISTED} more`));
      return el('ul', {}, ...items);
    };
    const cell = (indices: number[], what: string) =>
      indices.length === 0 ? el('td', { class: 'num' }, '0') : el('td', { class: 'num' }, el('details', {}, el('summary', {}, String(indices.length)), el('span', { class: 'visually-hidden' }, what), listOf(indices)));
    $<HTMLTableElement>('wb-phrases').replaceChildren(
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Phrase'), el('th', { scope: 'col' }, 'Category'), el('th', { scope: 'col', class: 'num' }, 'Wins'), el('th', { scope: 'col', class: 'num' }, 'Near misses'))),
      el(
        'tbody',
        {},
        ...wins.map((w) =>
          el('tr', { class: buildTexts.has(w.text) ? '' : 'added', 'data-phrase': w.text }, el('td', { class: 'text' }, w.text, el('span', { class: 'wb-cat' }, w.category)), el('td', { class: 'text' }, w.category), cell(w.wins, 'images won'), cell(w.nearMisses, 'near misses')),
        ),
      ),
    );

    const dups = nearDuplicates(current.flat, current.textEmbeds, dim);
    const dupBox = $('wb-duplicates');
    dupBox.replaceChildren();
    if (dups.length > 0) {
      dupBox.append(
        el(
          'div',
          { class: 'warning', id: 'wb-dup-warning' },
          el('p', {}, `${plural(dups.length, 'pair')} of phrases of different categories ${dups.length === 1 ? 'is' : 'are'} nearly the same to the model (cosine above ${NEAR_DUPLICATE_COSINE}):`),
          el('ul', {}, ...dups.slice(0, 20).map((d) => el('li', {}, `“${d.a.text}” (${d.a.category}) and “${d.b.text}” (${d.b.category}): ${d.cosine.toFixed(3)}`))),
        ),
      );
    }
    renderAccuracy();
  }

  const judged = data.images.flatMap((img, i) => (img.truth ? [i] : []));
  const heldOut = holdoutSplit(
    judged.map((i) => data.images[i].sha256),
    HOLDOUT_FRACTION,
    data.seed,
  );
  function renderAccuracy(): void {
    const table = document.getElementById('wb-accuracy') as HTMLTableElement | null;
    if (!table) return;
    const only = holdout?.checked ?? false;
    const indices = only ? judged.filter((i) => heldOut.has(data.images[i].sha256)) : judged;
    const after = current.rescored.scores.map((s) => s.category);
    const { build, edited } = accuracyAgainstCoders(data.images, after, indices);
    const row = (name: string, a: Accuracy) =>
      el(
        'tr',
        { 'data-row': name === 'Build' ? 'build' : 'edited' },
        el('th', { scope: 'row' }, name),
        el('td', { class: 'num' }, a.n === 0 ? '–' : formatPercent(a.estimate * 100)),
        el('td', { class: 'num' }, `${a.right} of ${a.n}`),
        // A line may break after the dash only (not between a number and its %).
        el('td', { class: 'num' }, a.n === 0 ? '–' : `${formatPercent(a.low * 100).replace(' ', '\u00a0')} – ${formatPercent(a.high * 100).replace(' ', '\u00a0')}`),
      );
    table.replaceChildren(
      el('caption', { class: 'wb-muted' }, only ? `On the held-out ${plural(indices.length, 'judged image')} only.` : `On all ${plural(indices.length, 'judged image')}.`, edited.unknown ? ` ${plural(edited.unknown, 'image')} judged Wrong without a correction moved and ${edited.unknown === 1 ? 'is' : 'are'} left out.` : ''),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Dictionary'), el('th', { scope: 'col', class: 'num' }, 'Accuracy'), el('th', { scope: 'col', class: 'num' }, 'Right'), el('th', { scope: 'col', class: 'num' }, '95 % interval'))),
      el('tbody', {}, row('Build', build), row('Edited', edited)),
    );
  }

  setStatus('Showing the build’s dictionary.', false);
  syncButtons();
  render();
  root.dataset.ready = 'true';
  // Opened: the data loaded, the baseline checked and shown (the benchmark reads this mark).
  performance.mark('workbench:ready');
  // An edit kept by this browser (same run) comes back after a reload.
  const draft = loadDraft();
  if (draft !== null && draft !== data.dictionary.text) {
    textarea.value = draft;
    syncButtons();
    await update();
    $('wb-copied').textContent = 'Your last edit in this browser was restored (“Back to the build’s dictionary” discards it).';
  }
}

/** Where this browser keeps the edited text: per model and dictionary of the build. */
function draftKey(): string | null {
  const root = document.getElementById('workbench');
  return root?.dataset.draftKey ?? null;
}

function saveDraft(text: string): void {
  const key = draftKey();
  if (!key) return;
  try {
    localStorage.setItem(key, text);
  } catch {
    // Storage refused (private mode, quota): the edit still works, it is only not kept.
  }
}

function loadDraft(): string | null {
  const key = draftKey();
  try {
    return key ? localStorage.getItem(key) : null;
  } catch {
    return null;
  }
}

/** The download's file name: the dictionary's name with "-edited" before the extension. */
function exportName(source: string): string {
  const dot = source.lastIndexOf('.');
  return dot > 0 ? `${source.slice(0, dot)}-edited${source.slice(dot)}` : `${source}-edited.yaml`;
}

void setup();
