// Each chart as a standalone SVG file: after `astro build`, every <svg> a chart component marked with
// CHART_FILE_ATTR is cut out of its built page and written to the site path the attribute names
// (downloads/charts/…svg), the file its "Download SVG" link points at. The file is the chart the page
// shows, made to stand alone: the SVG namespace and a pixel size, the light theme's colours and the
// chart rules as an embedded stylesheet (the page's stylesheet is not there), no links (they point
// into the site) and no hover readouts. Pure string work on Astro's predictable markup; the tests
// parse every file as XML in a browser.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../engine/atomic.ts';
import { siteFiles } from './site-walk.ts';
import { ASSETS_DIR } from '../core/format.ts';
import { CHART_EXPORT_HEIGHT_ATTR, CHART_FILE_ATTR, CHART_TITLE_ATTR } from '../core/chart-files.ts';

/** The chart rules of the site's stylesheet and components in the light theme's colours, written
 * out (no CSS variables: vector editors such as Inkscape do not resolve them). */
export const CHART_SVG_STYLE = `
svg { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
text { fill: #1b1f24; font-size: 13px; }
.tick text, .axis-label, .value { fill: #57606a; }
.tick line, .domain { stroke: #d0d7de; }
.grid line { stroke: #d0d7de; stroke-dasharray: 2 3; }
.bar { fill: #4c78a8; }
.counts .bar { opacity: 0.6; }
.bar-track { fill: #f6f8fa; }
.value-inside { fill: #ffffff; font-weight: 600; }
.cumulative { fill: none; stroke: #e45756; stroke-width: 2; }
.cumulative-axis text { fill: #e45756; }
.whisker line { stroke: #1b1f24; stroke-width: 1.5; }
.counts-label { font-size: 12px; }
.chart-title { font-size: 15px; font-weight: 600; }
`.trim();

/** Space around the chart in the file: tick labels at the plot's edges stick out of its viewBox. */
const PAD = 24;
const TITLE_SPACE = 26;

/** The index just past the element that starts at `start` (an opening `<tag`), nested ones included. */
function elementEnd(markup: string, start: number, tag: string): number {
  const re = new RegExp(`<${tag}(?=[\\s>/])|</${tag}\\s*>`, 'g');
  re.lastIndex = start;
  let depth = 0;
  for (let m = re.exec(markup); m; m = re.exec(markup)) {
    if (m[0].startsWith('</')) depth--;
    else {
      // A self-closing <tag … /> opens and closes at once.
      const close = markup.indexOf('>', m.index);
      if (markup[close - 1] !== '/') depth++;
    }
    if (depth === 0) return re.lastIndex;
  }
  throw new Error(`Unclosed <${tag}> at ${start}`);
}

/** Every marked chart of a built page: file (site path) → the <svg> element's markup. */
export function markedCharts(html: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = new RegExp(`<svg\\b[^>]*\\s${CHART_FILE_ATTR}="([^"]+)"`, 'g');
  for (let m = re.exec(html); m; m = re.exec(html)) {
    const end = elementEnd(html, m.index, 'svg');
    out.set(m[1], html.slice(m.index, end));
    re.lastIndex = end;
  }
  return out;
}

/** Remove every <g> element whose class list holds `name`. */
function withoutGroups(markup: string, name: string): string {
  const re = new RegExp(`<g\\b[^>]*\\sclass="(?:[^"]*\\s)?${name}(?:\\s[^"]*)?"`, 'g');
  let out = markup;
  for (let m = re.exec(out); m; m = re.exec(out)) {
    const end = elementEnd(out, m.index, 'g');
    out = out.slice(0, m.index) + out.slice(end);
    re.lastIndex = m.index;
  }
  return out;
}

/** An attribute's value as text (HTML character references decoded), or null. */
function attrValue(open: string, name: string): string | null {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(open);
  if (!m) return null;
  return m[1].replace(/&(?:#(\d+)|#x([0-9a-f]+)|(amp|lt|gt|quot|apos));/gi, (_, dec, hex, name) =>
    dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[name.toLowerCase()],
  );
}

/** Text for XML content. */
const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A chart's <svg> from a page as a standalone SVG document: the chart under its title, with room
 * around it, and the parts drawn only in the file (class "export-only") shown. */
export function standaloneSvg(svg: string): string {
  const open = svg.slice(0, svg.indexOf('>') + 1);
  const viewBox = /\sviewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(open);
  const [w, h] = viewBox ? [Number(viewBox[1]), Number(viewBox[2])] : [600, 400];
  const titleText = attrValue(open, CHART_TITLE_ATTR);
  const title = titleText === null ? null : xmlText(titleText);
  const drawn = Number(attrValue(open, CHART_EXPORT_HEIGHT_ATTR) ?? h) || h;
  const top = PAD / 2 + (title ? TITLE_SPACE : 0);
  const width = w + 2 * PAD;
  const height = top + drawn + PAD / 2;
  const role = attrValue(open, 'role');
  let body = svg.slice(open.length, svg.lastIndexOf('</svg>'));
  body = withoutGroups(body, 'interactive');
  body = body
    .replace(/<a\b[^>]*>/g, '')
    .replace(/<\/a>/g, '')
    .replace(/\s(?:data-astro-cid-[\w-]+|tabindex|aria-labelledby|aria-describedby)(?:="[^"]*")?(?=[\s/>])/g, '');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" class="chart"${role ? ` role="${role}"` : ''}>` +
    (title ? `<title>${title}</title>` : '') +
    `<style>${CHART_SVG_STYLE}</style><rect width="100%" height="100%" fill="#ffffff"/>` +
    (title ? `<text class="chart-title" x="${PAD}" y="${PAD / 2 + 17}">${title}</text>` : '') +
    `<g transform="translate(${PAD} ${top})">${body}</g></svg>\n`
  );
}

/** The built pages, sorted. The `_clipscope` folder (thumbnails, originals, the Workbench's files)
 * holds no pages and is not listed. */
async function htmlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const [folder, name] of siteFiles(dir, (f) => f === ASSETS_DIR)) if (name.endsWith('.html')) out.push(join(folder, name));
  return out.sort();
}

/** Write the SVG file of every marked chart in the built site (`astro:build:done`); returns how many. */
export async function writeChartSvgs(outDir: string): Promise<number> {
  const charts = new Map<string, string>();
  for (const file of await htmlFiles(outDir)) {
    for (const [path, svg] of markedCharts(await readFile(file, 'utf8'))) charts.set(path, svg);
  }
  for (const [path, svg] of charts) {
    const target = join(outDir, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFileAtomic(target, standaloneSvg(svg));
  }
  return charts.size;
}
