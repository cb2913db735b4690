// The standalone overview: ONE self-contained HTML file with n samples per category — the seed
// notebook's `{date}-CLIP-Classification.html` — that opens offline by double-click and can be mailed
// to a colleague. Thumbnails are embedded as data: URIs, the CSS is inline, there is no JavaScript,
// and its own Content-Security-Policy allows exactly that (data: images, this one inline style).
import { createHash } from 'node:crypto';
import { formatCount, formatDate, formatPercent, formatShare, plural } from '../core/format.ts';
import { probabilityNote, secondChoice, type ReportData } from './report/report.ts';
import { categoryProbability } from '../core/confidence.ts';
import { chanceRule } from './report/chance.ts';
import { html, raw, type HtmlFragment } from './html.ts';

const CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #fff; --card: #f6f8fa; --line: #d0d7de; --accent: #0a5bd3; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9ea7b3; --bg: #0d1117; --card: #161b22; --line: #30363d; --accent: #58a6ff; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.6rem; margin: 0.5rem 0; } h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25rem; }
.meta { color: var(--muted); margin: 0; } .note { border-left: 4px solid var(--accent); background: var(--card); padding: 0.5rem 0.75rem; }
.warn { border-left: 4px solid #d4a72c; background: var(--card); padding: 0.5rem 0.75rem; margin: 0.5rem 0; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--line); } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; } td.n { white-space: nowrap; }
@media (max-width: 30rem) { body { padding: 0.75rem; } th, td { padding: 0.3rem 0.25rem; } }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: 0.75rem; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem; overflow-wrap: anywhere; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto 0.4rem; background: var(--line); }
figcaption { font-size: 0.85rem; } .path { font-family: ui-monospace, monospace; font-size: 0.78rem; color: var(--muted); } .p { font-weight: 600; }
.missing { display: flex; align-items: center; justify-content: center; aspect-ratio: 1; color: var(--muted); font-size: 0.8rem; }
`;

/** The CSP of the standalone file: nothing but embedded images and its own inline style. */
export function standaloneCsp(css: string): string {
  const hash = createHash('sha256').update(css).digest('base64');
  return `default-src 'none'; img-src data:; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`;
}

interface StandaloneImage {
  data: Buffer;
  width: number;
  height: number;
}

export function renderStandalone(report: ReportData, inline: ReadonlyMap<string, StandaloneImage>): string {
  const { result } = report;
  const run = result.run;
  const title = `CLIP classification ${run.startedAt.slice(0, 10)}`;

  const figure = (index: number): HtmlFragment => {
    const img = result.images[index];
    const t = inline.get(img.sha256);
    const second = secondChoice(img);
    return html`<figure>
      ${t ? html`<img src="${`data:image/webp;base64,${t.data.toString('base64')}`}" width="${t.width}" height="${t.height}" alt="${img.path}">` : html`<div class="missing">no preview</div>`}
      <figcaption><div class="path">${img.path}</div>
      <div><span class="p">${formatPercent(categoryProbability(img))}</span> ${img.category}</div>
      <div>“${img.label}”${run.scoring === 'seed' ? html` <span class="meta">phrase share ${formatPercent(img.probability)}</span>` : ''}</div>
      ${second ? html`<div class="meta">2nd: ${second.category} ${formatPercent(second.probability)}</div>` : ''}</figcaption>
    </figure>`;
  };

  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${raw(standaloneCsp(CSS))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${raw(CSS)}</style>
</head>
<body>
<h1>${title}</h1>
<p class="meta">Model ${run.model.name} · dictionary ${run.dictionary.source} (${run.dictionary.categories} categories, ${run.dictionary.phrases} phrases) · scoring ${run.scoring} · run ${formatDate(run.startedAt)}</p>
<p class="meta">${plural(result.images.length, 'image')} classified, ${formatCount(result.skipped.length)} skipped. Up to ${report.options.standaloneSamples} random samples per category (seed ${String(report.options.seed)}). ${probabilityNote(run)}</p>
${report.chance.reasons.length > 0 ? html`<div class="warn"><strong>Close to chance: read these results with care.</strong> ${report.chance.reasons.join(' ')} <span class="meta">${chanceRule()}</span></div>` : ''}
<p class="note">A first look at the classification: this overview does not replace proper external validation.</p>
<table>
<thead><tr><th scope="col">Category</th><th scope="col" class="n">Images</th><th scope="col" class="n">Share</th><th scope="col" class="n">Mean category probability</th></tr></thead>
<tbody>${report.categories.map(
    (c) => html`<tr><td><a href="${`#c-${c.slug}`}">${c.name}</a></td><td class="n">${formatCount(c.count)}</td><td class="n">${formatShare(c.share)}</td><td class="n">${formatPercent(c.meanProbability)}</td></tr>`,
  )}</tbody>
</table>
${report.categories.map(
  (c) => html`<section>
<h2 id="${`c-${c.slug}`}">${c.name} <span class="meta">(${plural(c.count, 'image')})</span></h2>
${c.standalone.length ? html`<div class="grid">${c.standalone.map(figure)}</div>` : html`<p class="meta">No images in this category.</p>`}
</section>`,
)}
</body>
</html>
`;
  return page.value;
}
