// The Explore page (src/pages/explore.astro): loads the compact index once, filters it on every change
// of the form (core/explore.ts, tested there), shows the count and a dense grid of the matching
// images in the chosen order (sortRows), one page of 300 at a time with the same pager above and
// below the grid (pageOf), and downloads the filtered list, in that order, as CSV. Each tile is a large-view link (src/scripts/viewer.ts picks it up when clicked).
import { formatPercent } from '../../integrations/core/format.ts';
import { applyFilter, filteredCsv, pageOf, SORT_KEYS, sortRows, type ExploreFilter, type ExploreIndex, type ExploreSort, type SortKey } from '../../integrations/core/explore.ts';

const PAGE_SIZE = 300;

async function setup(): Promise<void> {
  const form = document.getElementById('explore-filters') as HTMLFormElement | null;
  if (!form) return;
  const count = document.getElementById('explore-count')!;
  const grid = document.getElementById('explore-grid')!;
  const pagers = [...document.querySelectorAll<HTMLElement>('[data-pager]')];
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
  const text = (name: string) => {
    const el = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
    return el && el.value !== '' ? el.value : null;
  };
  const readFilter = (): ExploreFilter => ({
    category: choice('category'),
    second: choice('second'),
    group: choice('group'),
    pMin: number('pMin', 0),
    pMax: number('pMax', 100),
    marginMin: number('marginMin', -100),
    marginMax: number('marginMax', 100),
    dateFrom: text('dateFrom'),
    dateTo: text('dateTo'),
  });
  const readSort = (): ExploreSort => {
    const key = text('sort');
    return { key: (SORT_KEYS as readonly string[]).includes(key ?? '') ? (key as SortKey) : 'path', descending: text('order') === 'desc' };
  };

  let rows: number[] = [];
  let page = 1;
  const all = index.path.map((_, i) => i);
  let sorted: number[] = all;
  let sortedBy = '';
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
    d.top = JSON.stringify([[name(index.category[i]), index.phrases[index.label[i]], formatPercent(index.labelP[i])]]);
    if (index.group[i].length > 0) d.posts = index.group[i].map((g) => index.groups[g]).join('; ');
    link.setAttribute('aria-label', `${index.path[i]}: ${name(index.category[i])}, ${formatPercent(index.p[i])}`);
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
    label.textContent = formatPercent(index.p[i]);
    li.append(link, label);
    return li;
  }

  function show(): void {
    const at = pageOf(rows.length, page, PAGE_SIZE);
    page = at.page;
    grid.replaceChildren(...rows.slice(at.start, at.end).map(tile));
    for (const nav of pagers) {
      (nav.querySelector('[data-page=prev]') as HTMLButtonElement).disabled = at.page <= 1;
      (nav.querySelector('[data-page=next]') as HTMLButtonElement).disabled = at.page >= at.pages;
      nav.querySelector('.explore-page')!.textContent = `Page ${at.page} of ${at.pages}`;
    }
  }

  function update(): void {
    // Every image sorted once per sort setting (a sort of 100,000 takes ~0.2 s); each filter change
    // then only filters that order.
    const sort = readSort();
    const key = `${sort.key} ${sort.descending}`;
    if (key !== sortedBy) {
      sorted = sortRows(index, all, sort);
      sortedBy = key;
    }
    rows = applyFilter(index, readFilter(), sorted);
    count.textContent = `${rows.length.toLocaleString('en')} of ${index.path.length.toLocaleString('en')} images match.`;
    page = 1;
    show();
    csv.disabled = rows.length === 0;
  }

  form.addEventListener('input', update);
  form.addEventListener('change', update);
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('reset', () => setTimeout(update, 0));
  for (const nav of pagers) {
    nav.addEventListener('click', (e) => {
      const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-page]');
      if (!button || button.disabled) return;
      page += button.dataset.page === 'next' ? 1 : -1;
      show();
      // Keep the focus on the pressed button when it is still usable, else on its twin.
      const same = nav.querySelector<HTMLButtonElement>(`[data-page=${button.dataset.page}]`)!;
      (same.disabled ? nav.querySelector<HTMLButtonElement>('button:not([disabled])') : same)?.focus();
      if (nav === pagers[pagers.length - 1]) grid.scrollIntoView({ block: 'start' });
    });
  }
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
