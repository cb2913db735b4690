// The large view of the report's thumbnails. Every thumbnail link with `data-view` (ViewLink.astro)
// opens the page's <dialog id="viewer"> (Viewer.astro) with the large image, every category's
// probability, the ranked phrases and the posts-table rows; ← / → (or a swipe) move to the previous /
// next thumbnail of the page, Esc closes, focus returns to the thumbnail. Without JavaScript the link
// opens the large image itself. Everything is read from the page: nothing is fetched but the image.

function setup(): void {
  const dialog = document.getElementById('viewer') as HTMLDialogElement | null;
  if (!dialog) return;
  // The thumbnails are looked up when one is opened: a page may add some later (the Explore grid).
  let links: HTMLAnchorElement[] = [];
  const names: string[] = JSON.parse(dialog.dataset.categories ?? '[]');
  const $ = <T extends Element>(sel: string) => dialog.querySelector(sel) as T;
  const frame = $<HTMLElement>('.viewer-frame');
  // The image exists only while the view is open: a closed view leaves no <img> without a source.
  let img: HTMLImageElement | null = null;
  let current = -1;
  let opener: HTMLElement | null = null;


  function show(index: number): void {
    current = (index + links.length) % links.length;
    const link = links[current];
    const d = link.dataset;
    if (!img) {
      img = new Image();
      img.className = 'viewer-img';
      frame.append(img);
    }
    img.src = link.href;
    img.width = Number(d.w);
    img.height = Number(d.h);
    img.alt = `Image ${d.path ?? ''}`;
    $<HTMLElement>('.viewer-path').textContent = d.path ?? '';
    $<HTMLElement>('.viewer-count').textContent = `${current + 1} of ${links.length}`;

    // "index=percent" pairs, most probable first (ranked and rounded at build time, as the cards are).
    const ranked = (d.probs ?? '')
      .split(';')
      .filter(Boolean)
      .map((pair) => {
        const [i, p] = pair.split('=');
        return { name: names[Number(i)] ?? '?', p: Number(p), text: `${p} %` };
      });
    const own = ranked.find((r) => r.name === d.category);
    $<HTMLElement>('.viewer-category').textContent = own ? `Classified ${d.category} · ${own.text.replace(' ', '\u00a0')}` : `Classified ${d.category ?? ''}`;

    const tbody = $<HTMLTableSectionElement>('.viewer-probs tbody');
    tbody.replaceChildren(
      ...ranked.map((r) => {
        const tr = document.createElement('tr');
        if (r.name === d.category) tr.className = 'own';
        const name = document.createElement('td');
        name.textContent = r.name;
        const value = document.createElement('td');
        value.className = 'num';
        value.textContent = r.text;
        const barCell = document.createElement('td');
        barCell.className = 'bar-cell';
        const bar = document.createElement('span');
        bar.className = 'viewer-bar-fill';
        bar.style.width = `${Math.max(0, Math.min(100, r.p))}%`;
        barCell.append(bar);
        tr.append(name, value, barCell);
        return tr;
      }),
    );

    const top: [string, string, string][] = JSON.parse(d.top ?? '[]');
    $<HTMLOListElement>('.viewer-phrases').replaceChildren(
      ...top.map(([category, label, p]) => {
        const li = document.createElement('li');
        li.textContent = `“${label}” (${category}) ${p}`;
        return li;
      }),
    );
    const posts = $<HTMLElement>('.viewer-posts');
    posts.textContent = d.posts ? `Posts: ${d.posts}` : '';
    posts.hidden = !d.posts;
    const original = $<HTMLElement>('.viewer-original');
    original.hidden = !d.original;
    if (d.original) original.querySelector('a')!.href = d.original;
    // Preload the neighbours so previous/next feel instant.
    for (const k of [current - 1, current + 1]) {
      const n = links[(k + links.length) % links.length];
      if (n) new Image().src = n.href;
    }
  }

  document.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest?.('a[data-view]') as HTMLAnchorElement | null;
    if (!link || dialog.contains(link)) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return; // new tab etc.
    event.preventDefault();
    links = [...document.querySelectorAll<HTMLAnchorElement>('a[data-view]')];
    opener = link;
    show(links.indexOf(link));
    if (!dialog.open) dialog.showModal();
  });
  $<HTMLButtonElement>('.viewer-prev').addEventListener('click', () => show(current - 1));
  $<HTMLButtonElement>('.viewer-next').addEventListener('click', () => show(current + 1));
  $<HTMLButtonElement>('.viewer-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowRight') show(current + 1);
    else if (event.key === 'ArrowLeft') show(current - 1);
    else return;
    event.preventDefault();
  });
  // A click on the backdrop (outside the dialog's box) closes it.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    img?.remove();
    img = null;
    opener?.focus();
  });
  // Swipe left / right on touch screens.
  let startX = 0;
  let startY = 0;
  dialog.addEventListener('touchstart', (e) => {
    startX = e.changedTouches[0].clientX;
    startY = e.changedTouches[0].clientY;
  }, { passive: true });
  dialog.addEventListener('touchend', (e) => {
    const dx = e.changedTouches[0].clientX - startX;
    const dy = e.changedTouches[0].clientY - startY;
    if (Math.abs(dx) > 50 && Math.abs(dx) > 1.5 * Math.abs(dy)) show(current + (dx < 0 ? 1 : -1));
  }, { passive: true });
}

setup();
