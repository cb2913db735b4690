// The two plots of docs/performance.md as standalone SVG (d3-scale and d3-shape for the geometry):
// throughput against batch size, and time and peak memory against the number of images.
import { extent, max } from 'd3-array';
import { format } from 'd3-format';
import { scaleLinear, scaleLog } from 'd3-scale';
import { line } from 'd3-shape';

const W = 760;
const H = 360;
const M = { top: 36, right: 230, bottom: 48, left: 64 };
const COLORS = ['#1f5fa8', '#c2571a', '#2e8540', '#7a3fa0', '#555'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function frame(title: string, body: string, width = W, height = H): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="12">\n` +
    `<title>${esc(title)}</title>\n<rect width="100%" height="100%" fill="#fff"/>\n` +
    `<text x="${M.left}" y="20" font-size="14" font-weight="600">${esc(title)}</text>\n${body}</svg>\n`
  );
}

interface Axis {
  ticks: number[];
  pos: (v: number) => number;
  label: (v: number) => string;
}

function axes(x: Axis, y: Axis, xTitle: string, yTitle: string, left = M.left, width = W - M.left - M.right, height = H - M.top - M.bottom): string {
  const bottom = M.top + height;
  let out = `<g stroke="#ddd">`;
  for (const t of y.ticks) out += `<line x1="${left}" x2="${left + width}" y1="${y.pos(t).toFixed(1)}" y2="${y.pos(t).toFixed(1)}"/>`;
  out += `</g>\n<g fill="#333">`;
  for (const t of y.ticks) out += `<text x="${left - 6}" y="${(y.pos(t) + 4).toFixed(1)}" text-anchor="end">${esc(y.label(t))}</text>`;
  for (const t of x.ticks) out += `<text x="${x.pos(t).toFixed(1)}" y="${bottom + 16}" text-anchor="middle">${esc(x.label(t))}</text>`;
  out += `</g>\n<line x1="${left}" x2="${left + width}" y1="${bottom}" y2="${bottom}" stroke="#333"/>\n`;
  out += `<text x="${left + width / 2}" y="${bottom + 36}" text-anchor="middle">${esc(xTitle)}</text>\n`;
  out += `<text transform="translate(${left - 46},${M.top + height / 2}) rotate(-90)" text-anchor="middle">${esc(yTitle)}</text>\n`;
  return out;
}

export interface Series {
  name: string;
  points: [number, number][];
  /** Dashed horizontal reference line instead of points. */
  level?: boolean;
}

/** Images/s against batch size (log 2 axis), with dashed levels for the end-to-end results. */
export function throughputPlot(series: Series[]): string {
  const xs = series.filter((s) => !s.level).flatMap((s) => s.points.map((p) => p[0]));
  const [x0, x1] = extent(xs) as [number, number];
  const yMax = (max(series.flatMap((s) => s.points.map((p) => p[1]))) ?? 1) * 1.15;
  const x = scaleLog().base(2).domain([x0, x1]).range([M.left, W - M.right]);
  const y = scaleLinear().domain([0, yMax]).nice().range([H - M.bottom, M.top]);
  let body = axes(
    { ticks: [...new Set(xs)].sort((a, b) => a - b), pos: x, label: String },
    { ticks: y.ticks(6), pos: y, label: format('~g') },
    'batch size (images per onnxruntime call)',
    'images / s',
  );
  const path = line<[number, number]>()
    .x((p) => x(p[0]))
    .y((p) => y(p[1]));
  // Labels at the right edge, pushed apart so that close lines stay readable.
  const labels: { y: number; text: string; color: string }[] = [];
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    if (s.level) {
      const v = s.points[0][1];
      body += `<line x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${color}" stroke-dasharray="6 4" stroke-width="1.5"/>\n`;
      labels.push({ y: y(v), text: `${s.name}: ${format('.1f')(v)}`, color });
      return;
    }
    body += `<path d="${path(s.points)}" fill="none" stroke="${color}" stroke-width="2"/>`;
    for (const p of s.points) body += `<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3.5" fill="${color}"/>`;
    body += '\n';
    const top = s.points.reduce((a, p) => (p[1] > a[1] ? p : a));
    labels.push({ y: y(s.points[s.points.length - 1][1]), text: `${s.name}, best ${format('.1f')(top[1])}`, color });
  });
  labels.sort((a, b) => a.y - b.y);
  for (let i = 1; i < labels.length; i++) labels[i].y = Math.max(labels[i].y, labels[i - 1].y + 15);
  for (const l of labels) body += `<text x="${W - M.right + 8}" y="${(l.y + 4).toFixed(1)}" fill="${l.color}">${esc(l.text)}</text>\n`;
  return frame('Images/s against batch size, synthetic-b32 (dashed: end to end)', body);
}

export interface ScalePoint {
  images: number;
  seconds: number;
  peakRssMiB: number;
}

/** One line of a time-and-memory plot: a build kind (cold, warm) or the classify run. */
export interface ScaleSeries {
  name: string;
  points: ScalePoint[];
}

/** Time (log–log, with the straight line through the smallest and the largest run) and peak RSS against N. */
export function scalePlot(points: ScalePoint[]): string {
  return timeAndMemoryPlot([{ name: 'classify', points }], 'clipscope classify, cold cache: time and peak RSS against the number of images (synthetic-b32 fp32)');
}

/** Time (log–log) and peak RSS against N, one line per series, with the 1.5 GiB line and, for the
 * first series, the straight line a + b·N through its smallest and largest run. */
export function timeAndMemoryPlot(series: ScaleSeries[], title: string, timeLimit?: { seconds: number; label: string }): string {
  const panel = 440;
  // Room on the right for the series names at the line ends.
  const width = M.left + 2 * panel + 110 + 120;
  const height = H - M.top - M.bottom;
  const all = series.flatMap((s) => s.points);
  const ns = [...new Set(all.map((p) => p.images))].sort((a, b) => a - b);
  const [n0, n1] = extent(ns) as [number, number];
  const x1 = scaleLog().domain([n0, n1]).range([M.left, M.left + panel]);
  const x2 = scaleLog().domain([n0, n1]).range([M.left + panel + 110, M.left + 2 * panel + 110]);
  const tMin = Math.min(...all.map((p) => p.seconds), timeLimit?.seconds ?? Infinity);
  const tMax = Math.max(...all.map((p) => p.seconds), timeLimit?.seconds ?? 0);
  const y1 = scaleLog().domain([tMin / 1.5, tMax * 1.5]).range([M.top + height, M.top]);
  const rssMax = Math.max(1536, ...all.map((p) => p.peakRssMiB)) * 1.1;
  const y2 = scaleLinear().domain([0, rssMax]).nice().range([M.top + height, M.top]);
  const fmtN = format(',');
  let body = axes(
    { ticks: ns, pos: x1, label: fmtN },
    { ticks: y1.ticks(10).filter((t) => [1, 2, 5].includes(Math.round(t / 10 ** Math.floor(Math.log10(t) + 1e-9)))), pos: y1, label: format('~s') },
    'images',
    'seconds (log)',
    M.left,
    panel,
    height,
  );
  body += axes({ ticks: ns, pos: x2, label: fmtN }, { ticks: y2.ticks(6), pos: y2, label: format('~g') }, 'images', 'peak RSS (MiB)', M.left + panel + 110, panel, height);
  // The straight line T = a + b·N through the smallest and the largest run: time linear in N means
  // the runs between lie on it (on log–log axes it bends where the fixed cost a stops mattering).
  const firstSeries = series[0].points;
  const first = firstSeries[0];
  const last = firstSeries[firstSeries.length - 1];
  if (firstSeries.length > 1) {
    const b = (last.seconds - first.seconds) / (last.images - first.images);
    const a = first.seconds - b * first.images;
    const fit = Array.from({ length: 41 }, (_, i) => n0 * (n1 / n0) ** (i / 40)).map((n) => [n, a + b * n] as [number, number]);
    const fitPath = line<[number, number]>()
      .x((p) => x1(p[0]))
      .y((p) => y1(p[1]));
    body += `<path d="${fitPath(fit)}" fill="none" stroke="#999" stroke-dasharray="5 4"/>`;
    body += `<text x="${x1(n1) - 4}" y="${M.top + height - 8}" text-anchor="end" fill="#777">dashed grey: a + b·N through the ends</text>\n`;
  }
  if (timeLimit) {
    body += `<line x1="${x1(n0)}" x2="${x1(n1)}" y1="${y1(timeLimit.seconds)}" y2="${y1(timeLimit.seconds)}" stroke="#c00" stroke-dasharray="6 4"/><text x="${x1(n0) + 4}" y="${y1(timeLimit.seconds) - 6}" fill="#c00">${esc(timeLimit.label)}</text>`;
  }
  const p1 = line<ScalePoint>()
    .x((p) => x1(p.images))
    .y((p) => y1(p.seconds));
  const p2 = line<ScalePoint>()
    .x((p) => x2(p.images))
    .y((p) => y2(p.peakRssMiB));
  body += `<line x1="${x2(n0)}" x2="${x2(n1)}" y1="${y2(1536)}" y2="${y2(1536)}" stroke="#c00" stroke-dasharray="6 4"/><text x="${x2(n0) + 4}" y="${y2(1536) - 6}" fill="#c00">1.5 GiB target</text>`;
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    body += `<path d="${p1(s.points)}" fill="none" stroke="${color}" stroke-width="2"/>`;
    body += `<path d="${p2(s.points)}" fill="none" stroke="${color}" stroke-width="2"/>`;
    s.points.forEach((p, k) => {
      body += `<circle cx="${x1(p.images)}" cy="${y1(p.seconds)}" r="3.5" fill="${color}"/><text x="${x1(p.images) + 6}" y="${y1(p.seconds) + 14}" fill="${color}">${format('.3~s')(p.seconds)} s</text>`;
      body += `<circle cx="${x2(p.images)}" cy="${y2(p.peakRssMiB)}" r="3.5" fill="${color}"/>`;
      // The last point's value goes with the series name at the line's end (below), where it cannot
      // collide with another series' point. Elsewhere the highest series at that N is labelled above
      // its point and the others below theirs (close values would overlap otherwise); the first
      // point's label starts right of the axis.
      if (k < s.points.length - 1 || series.length === 1) {
        const top = series.every((o) => (o.points.find((q) => q.images === p.images)?.peakRssMiB ?? -Infinity) <= p.peakRssMiB);
        const x = k === 0 ? x2(p.images) + 6 : x2(p.images);
        body += `<text x="${x}" y="${y2(p.peakRssMiB) + (top ? -8 : 16)}" text-anchor="${k === 0 ? 'start' : 'middle'}" fill="${color}">${Math.round(p.peakRssMiB)}</text>`;
      }
    });
    if (series.length > 1) {
      const end = s.points[s.points.length - 1];
      body += `<text x="${x1(end.images) + 8}" y="${y1(end.seconds) - 6}" fill="${color}">${esc(s.name)}</text>`;
    }
  });
  // Names (and last values) at the ends of the memory lines, at least 14 px apart.
  if (series.length > 1) {
    const ends = series
      .map((s, i) => ({ s, color: COLORS[i % COLORS.length], end: s.points[s.points.length - 1] }))
      .map((e) => ({ ...e, y: y2(e.end.peakRssMiB) + 4 }))
      .sort((a, b) => a.y - b.y);
    for (let i = 1; i < ends.length; i++) ends[i].y = Math.max(ends[i].y, ends[i - 1].y + 14);
    for (const e of ends) body += `<text x="${x2(e.end.images) + 8}" y="${e.y}" fill="${e.color}">${esc(e.s.name)} ${Math.round(e.end.peakRssMiB)}</text>`;
  }
  return frame(title, body, width, H);
}
