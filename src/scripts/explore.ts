// The Explore page (src/pages/explore.astro): loads the compact index once, filters it on every change
// of the form (core/explore.ts, tested there), shows the count and a dense grid of the matching
// images (a few hundred at a time: "Show more" adds the next), and downloads the filtered list as
// CSV. Each tile is a large-view link (src/scripts/viewer.ts picks it up when clicked).
import { applyFilter, filteredCsv, type ExploreFilter, type ExploreIndex } from '../../integrations/core/explore.ts';

const BATCH = 300;

async function setup(): Promise<void> {
  const form = document.getElementById('explore-filters') as HTMLFormElement | null;
  if (!form) return;
  const count = document.getElementById('explore-count')!;
  const grid = document.getElementById('explore-grid')!;
  const more = document.getElementById('explore-more') as HTMLButtonElement;
  const csv = document.getElementById('explore-csv') as HTMLButtonElement;
  const base = form.dataset.base ?? '/';

  let index: ExploreIndex;
  try {
    const response = await fetch(form.dataset.index!);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    index = (await response.json()) as ExploreIndex;
  } catch (error) {
    count.textContent = `The index of images could not be loaded (${error instanceof Error ? error.message : String(error)}).`;
    return;
  }

  const groupSelect = form.elements.namedItem('group') as HTMLSelectElement | null;
  if (groupSelect) {
    const order = index.groups.map((g, i) => [g, i] as const).sort((a, b) => a[0].localeCompare(b[0]));
    for (const [name, i] of order) groupSelect.append(new Option(name, String(i)));
  }

  const number = (name: string, fallback: number) => {
    const v = (form.elements.namedItem(name) as HTMLInputElement).value;
    const n = v.trim() === '' ? fallback : Number(v);
    return Number.isFinite(n) ? n : fallback;
  };
  const choice = (name: string) => {
    const el = form.elements.namedItem(name) as HTMLSelectElement | null;
    return el && el.value !== '' ? Number(el.value) : null;
  };
  const readFilter = (): ExploreFilter => ({
    category: choice('category'),
    second: choice('second'),
    group: choice('group'),
    pMin: number('pMin', 0),
    pMax: number('pMax', 100),
    marginMin: number('marginMin', -100),
    marginMax: number('marginMax', 100),
  });

  let rows: number[] = [];
  let shown = 0;
  const name = (i: number) => (i >= 0 ? index.categories[i] : '');

  function tile(i: number): HTMLLIElement {
    const li = document.createElement('li');
    const link = document.createElement('a');
    const large = index.large[i];
    link.href = large ? base + large : '#';
    link.className = 'view';
    const d = link.dataset;
    d.view = '';
    d.w = String(index.largeW[i]);
    d.h = String(index.largeH[i]);
    d.path = index.path[i];
    d.category = name(index.category[i]);
    d.probs = index.probs[i];
    d.top = JSON.stringify([[name(index.category[i]), index.phrases[index.label[i]], `${index.labelP[i].toFixed(1)} %`]]);
    if (index.group[i].length > 0) d.posts = index.group[i].map((g) => index.groups[g]).join('; ');
    link.setAttribute('aria-label', `${index.path[i]}: ${name(index.category[i])}, ${index.p[i].toFixed(1)} %`);
    const thumb = index.thumb[i];
    if (thumb) {
      const img = document.createElement('img');
      img.src = base + thumb;
      img.alt = '';
      img.loading = 'lazy';
      img.decoding = 'async';
      link.append(img);
    } else {
      const span = document.createElement('span');
      span.className = 'no-thumb';
      span.textContent = index.path[i];
      link.append(span);
    }
    const label = document.createElement('span');
    label.className = 'explore-p';
    label.textContent = `${index.p[i].toFixed(1)} %`;
    li.append(link, label);
    return li;
  }

  function showMore(): void {
    const next = rows.slice(shown, shown + BATCH);
    grid.append(...next.map(tile));
    shown += next.length;
    more.hidden = shown >= rows.length;
    more.textContent = `Show ${Math.min(BATCH, rows.length - shown)} more`;
  }

  function update(): void {
    rows = applyFilter(index, readFilter());
    count.textContent = `${rows.length.toLocaleString('en')} of ${index.path.length.toLocaleString('en')} images match.`;
    grid.replaceChildren();
    shown = 0;
    showMore();
    csv.disabled = rows.length === 0;
  }

  form.addEventListener('input', update);
  form.addEventListener('change', update);
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('reset', () => setTimeout(update, 0));
  more.addEventListener('click', showMore);
  csv.addEventListener('click', () => {
    const blob = new Blob([filteredCsv(index, rows)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = 'clipscope-filtered.csv';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  update();
}

void setup();
