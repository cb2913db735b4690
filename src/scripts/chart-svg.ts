// "Download SVG" for every chart of a page (figure.chart > svg.chart). The charts are static SVG drawn
// at build time and styled by the site's stylesheet; the download is a copy with the styles the
// reader sees written in as SVG presentation attributes (fill, stroke, font…, never a style
// attribute, which the CSP forbids), a background, and the chart's title, so it opens anywhere.
const PROPS = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'opacity', 'font-family', 'font-size', 'font-weight', 'text-anchor', 'dominant-baseline'] as const;

function standalone(svg: SVGSVGElement, title: string): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const source = [svg, ...svg.querySelectorAll('*')];
  const target = [copy, ...copy.querySelectorAll('*')];
  source.forEach((el, i) => {
    const style = getComputedStyle(el);
    const out = target[i];
    if (style.display === 'none') out.setAttribute('display', 'none');
    for (const p of PROPS) {
      const v = style.getPropertyValue(p);
      if (v) out.setAttribute(p, v);
    }
  });
  const box = svg.viewBox.baseVal;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(box.width));
  copy.setAttribute('height', String(box.height));
  const ns = 'http://www.w3.org/2000/svg';
  const bg = document.createElementNS(ns, 'rect');
  bg.setAttribute('x', String(box.x));
  bg.setAttribute('y', String(box.y));
  bg.setAttribute('width', String(box.width));
  bg.setAttribute('height', String(box.height));
  bg.setAttribute('fill', getComputedStyle(document.body).backgroundColor);
  const titleEl = document.createElementNS(ns, 'title');
  titleEl.textContent = title;
  copy.prepend(titleEl, bg);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}

function fileName(figure: HTMLElement, n: number): string {
  const caption = figure.querySelector('figcaption');
  const id = (caption?.id ?? `chart-${n}`).replace(/-title$/, '');
  const page = location.pathname.split('/').filter(Boolean).map(decodeURIComponent).join('-') || 'overview';
  return `${page}-${id}.svg`.replace(/[^\w.-]+/g, '-');
}

document.querySelectorAll<HTMLElement>('figure.chart').forEach((figure, n) => {
  const svg = figure.querySelector<SVGSVGElement>('svg.chart');
  if (!svg || figure.querySelector('.chart-svg')) return;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'chart-svg';
  const title = figure.querySelector('figcaption')?.firstChild?.textContent?.trim() || 'chart';
  button.textContent = 'Download SVG';
  // The accessible name starts with the visible text (axe: label-content-name-mismatch).
  button.setAttribute('aria-label', `Download SVG: ${title}`);
  button.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([standalone(svg, title)], { type: 'image/svg+xml' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName(figure, n);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  figure.append(button);
});
