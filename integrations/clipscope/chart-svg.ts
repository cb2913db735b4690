// Each chart as a standalone SVG file: after `astro build`, every <svg> a chart component marked with
// CHART_FILE_ATTR is cut out of its built page and written to the site path the attribute names
// (downloads/charts/…svg), the file its "Download SVG" link points at. The file is the chart the page
// shows, made to stand alone: the SVG namespace and a pixel size, the light theme's colours and the
// chart rules as an embedded stylesheet (the page's stylesheet is not there), no links (they point
// into the site) and no hover readouts. Pure string work on Astro's predictable markup; the tests
// parse every file as XML in a browser.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../engine/atomic.ts';
import { CHART_FILE_ATTR } from '../core/chart-files.ts';

/** The chart rules of the site's stylesheet and components, in the light theme's colours. */
export const CHART_SVG_STYLE = `
svg { --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --card: #f6f8fa; --line: #d0d7de; --accent: #0a5bd3; --bar: #4c78a8; --line-2: #e45756;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
text { fill: var(--fg); font-size: 13px; }
.tick text, .axis-label { fill: var(--muted); }
.tick line, .domain { stroke: var(--line); }
.grid line { stroke: var(--line); stroke-dasharray: 2 3; }
.bar { fill: var(--bar); }
.counts .bar { opacity: 0.6; }
.bar-track { fill: var(--card); }
.value, .share-panel .value { fill: var(--muted); }
.value-inside { fill: var(--bg); font-weight: 600; }
.cumulative { fill: none; stroke: var(--line-2); stroke-width: 2; }
.cumulative-axis text { fill: var(--line-2); }
.whisker line { stroke: var(--fg); stroke-width: 1.5; }
.counts-label { font-size: 12px; }
`.trim();

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

/** A chart's <svg> from a page as a standalone SVG document. */
export function standaloneSvg(svg: string): string {
  const open = svg.slice(0, svg.indexOf('>') + 1);
  const viewBox = /\sviewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(open);
  const [width, height] = viewBox ? [viewBox[1], viewBox[2]] : ['600', '400'];
  const attrs = [...open.matchAll(/\s(class|viewBox|role|aria-label)="([^"]*)"/g)].map((m) => ` ${m[1]}="${m[2]}"`).join('');
  let body = svg.slice(open.length, svg.lastIndexOf('</svg>'));
  body = withoutGroups(body, 'interactive');
  body = body
    .replace(/<a\b[^>]*>/g, '')
    .replace(/<\/a>/g, '')
    .replace(/\s(?:data-astro-cid-[\w-]+|tabindex|aria-labelledby|aria-describedby)(?:="[^"]*")?(?=[\s/>])/g, '');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"${attrs}>` +
    `<style>${CHART_SVG_STYLE}</style><rect width="100%" height="100%" fill="#ffffff"/>` +
    `${body}</svg>\n`
  );
}

async function htmlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await htmlFiles(path)));
    else if (entry.name.endsWith('.html')) out.push(path);
  }
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
