// Chart layouts of the Groups page, computed at build time like src/lib/charts.ts (d3 scales and
// shapes → plain numbers and strings an Astro component writes out as SVG; no client JavaScript):
// - shareByGroupCharts: one small panel per category, one bar per group, all panels on the same
//   share axis, each bar with its Wilson 95 % interval as a whisker — groups compare within a panel
//   at a glance, and categories compare across panels because the axis is shared.
// - timeShareChart: each category's share per month/week as a line; periods without posts leave a gap.
import { max } from 'd3-array';
import { format } from 'd3-format';
import { scaleBand, scaleLinear, scalePoint } from 'd3-scale';
import { line } from 'd3-shape';
import type { GroupShares, TimeSeries } from '../../integrations/clipscope/report/groups.ts';
import { plotArea, type Frame, type Tick } from './charts.ts';

/** Okabe & Ito's colour-blind-safe palette (yellow last: weak on white). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#999999', '#F0E442'];

export function colorOf(index: number): string {
  return PALETTE[index % PALETTE.length];
}

const pct0 = format('.0%');
const pct1 = format('.1%');
const count = format(',d');

/** "30.0 %" for a share 0..1 (the report's spacing), "–" when undefined. */
export function shareText(share: number): string {
  return Number.isFinite(share) ? pct1(share).replace('%', ' %') : '–';
}

/** "10.8–60.3 %" for an interval. */
export function intervalText(low: number, high: number): string {
  return `${pct1(low).replace('%', '')}–${pct1(high).replace('%', ' %')}`;
}

export interface ShareRow {
  group: string;
  /** The group name, cut to fit the label line (the title has it whole). */
  label: string;
  color: string;
  count: number;
  n: number;
  share: number;
  /** Baseline of the label line (group name left, value right). */
  labelY: number;
  barX: number;
  barY: number;
  barWidth: number;
  barHeight: number;
  lowX: number;
  highX: number;
  /** "30.0 % · 3 of 10" */
  valueLabel: string;
  /** Tooltip and screen-reader sentence. */
  title: string;
  href?: string;
}

export interface SharePanel extends Frame {
  category: string;
  rows: ShareRow[];
  xTicks: Tick[];
}

export interface ShareCharts {
  panels: SharePanel[];
  /** Groups drawn (the largest ones when there are more than `maxGroups`), in table order. */
  shown: string[];
  /** Groups left out of the charts (still in the table). */
  hidden: number;
  /** Group → colour, the same in every panel (a Map: a group value is data, even "__proto__"). */
  colors: Map<string, string>;
}

export interface ShareChartOptions {
  width?: number;
  rowHeight?: number;
  /** At most this many groups per panel (the largest by n); default 12. */
  maxGroups?: number;
  /** Link for a bar (the images of that group × category cell). */
  hrefOf?: (group: string, category: string) => string | undefined;
  unit?: string;
}

export function shareByGroupCharts(shares: GroupShares, opts: ShareChartOptions = {}): ShareCharts {
  const width = opts.width ?? 360;
  const rowHeight = opts.rowHeight ?? 40;
  const maxGroups = opts.maxGroups ?? 12;
  const units = opts.unit ?? 'posts';
  const largest = new Set(
    [...shares.groups]
      .sort((a, b) => b.n - a.n || (a.name < b.name ? -1 : 1))
      .slice(0, maxGroups)
      .map((g) => g.name),
  );
  const groups = shares.groups.filter((g) => largest.has(g.name));
  const colors = new Map(shares.groups.map((g, i) => [g.name, colorOf(i)]));

  // One share axis for all panels: up to the highest interval bound, so every whisker fits.
  const top = Math.min(1, Math.max(0.05, max(groups.flatMap((g) => g.cells.map((c) => (g.n > 0 ? c.high : 0)))) ?? 0));
  const margin = { top: 8, right: 12, bottom: 36, left: 8 };
  const height = margin.top + rowHeight * Math.max(1, groups.length) + margin.bottom;
  const { left, right, bottom } = plotArea(width, height, margin);
  const x = scaleLinear().domain([0, top]).nice(5).range([left, right]);
  const y = scaleBand<number>()
    .domain(groups.map((_, i) => i))
    .range([margin.top, bottom])
    .paddingInner(0.15);
  const xTicks: Tick[] = x.ticks(4).map((t) => ({ value: t, offset: x(t), label: pct0(t).replace('%', ' %') }));

  const panels = shares.categories.map((category, ci) => {
    const rows: ShareRow[] = groups.map((g, i) => {
      const cell = g.cells[ci];
      const rowTop = y(i) ?? margin.top;
      const share = Number.isFinite(cell.share) ? cell.share : 0;
      const barY = rowTop + 18;
      const valueLabel = `${shareText(cell.share)} · ${count(cell.count)} of ${count(cell.n)}`;
      return {
        group: g.name,
        label: g.name.length > 28 ? `${g.name.slice(0, 27)}…` : g.name,
        color: colors.get(g.name)!,
        count: cell.count,
        n: cell.n,
        share: cell.share,
        labelY: rowTop + 13,
        barX: x(0),
        barY,
        barWidth: Math.max(0, x(share) - x(0)),
        barHeight: Math.max(6, y.bandwidth() - 20),
        lowX: x(cell.low),
        highX: x(cell.high),
        valueLabel,
        title: `${g.name}: ${count(cell.count)} of ${count(cell.n)} ${units} in ${category} (${shareText(cell.share)}, 95 % interval ${intervalText(cell.low, cell.high)})`,
        href: opts.hrefOf?.(g.name, category),
      };
    });
    return { category, width, height, left, right, top: margin.top, bottom, rows, xTicks };
  });

  return { panels, shown: groups.map((g) => g.name), hidden: shares.groups.length - groups.length, colors };
}

export interface TimePoint {
  x: number;
  y: number;
  title: string;
}

export interface TimeLine {
  category: string;
  color: string;
  path: string;
  points: TimePoint[];
}

export interface TimeChart extends Frame {
  lines: TimeLine[];
  xTicks: Tick[];
  yTicks: Tick[];
  xLabel: string;
  yLabel: string;
  /** Posts per period, drawn as a thin strip under the axis so thin periods are visible. */
  counts: { x: number; width: number; height: number; y: number; title: string }[];
  /** Vertical middle of that strip and its label ("posts"). */
  countsMidY: number;
  countsLabel: string;
}

export function timeShareChart(series: TimeSeries, opts: { width?: number; height?: number; unit?: string } = {}): TimeChart {
  const width = opts.width ?? 560;
  const height = opts.height ?? 320;
  const units = opts.unit ?? 'posts';
  const strip = 36; // height of the posts-per-period strip
  const margin = { top: 12, right: 16, bottom: 48 + strip, left: 52 };
  const { left, right, top, bottom } = plotArea(width, height, margin);
  const periods = series.periods.map((p) => p.period);
  const x = scalePoint<string>().domain(periods).range([left, right]).padding(0.5);
  const highest = max(series.periods.flatMap((p) => (p.n > 0 ? p.cells.map((c) => c.share) : []))) ?? 0;
  const y = scaleLinear()
    .domain([0, Math.max(0.05, highest)])
    .nice(5)
    .range([bottom, top]);

  const lines = series.categories.map((category, ci) => {
    const values = series.periods.map((p) => ({ period: p.period, n: p.n, cell: p.cells[ci] }));
    const path =
      line<(typeof values)[number]>()
        .defined((d) => d.n > 0)
        .x((d) => x(d.period)!)
        .y((d) => y(d.cell.share))(values) ?? '';
    const points = values
      .filter((d) => d.n > 0)
      .map((d) => ({
        x: x(d.period)!,
        y: y(d.cell.share),
        title: `${category}, ${d.period}: ${count(d.cell.count)} of ${count(d.n)} ${units} (${shareText(d.cell.share)}, 95 % interval ${intervalText(d.cell.low, d.cell.high)})`,
      }));
    return { category, color: colorOf(ci), path, points };
  });

  // At most 6 period labels ("2024-W09" is ~55 px wide): every k-th period.
  const step = Math.max(1, Math.ceil(periods.length / 6));
  const xTicks = periods.filter((_, i) => i % step === 0).map((p) => ({ value: 0, offset: x(p)!, label: p }));
  const yTicks = y.ticks(5).map((t) => ({ value: t, offset: y(t), label: pct0(t).replace('%', ' %') }));

  const most = Math.max(1, max(series.periods, (p) => p.n) ?? 0);
  const band = periods.length > 0 ? (right - left) / periods.length : 0;
  const stripTop = bottom + 40;
  const counts = series.periods.map((p) => {
    const h = ((strip - 6) * p.n) / most;
    return { x: x(p.period)! - Math.max(1, band * 0.35), width: Math.max(2, band * 0.7), height: h, y: stripTop + (strip - 6) - h, title: `${p.period}: ${count(p.n)} ${units}` };
  });

  return {
    width,
    height,
    left,
    right,
    top,
    bottom,
    lines,
    xTicks,
    yTicks,
    xLabel: series.unit === 'week' ? 'ISO week' : 'Month',
    yLabel: `Share of ${units}`,
    counts,
    countsMidY: stripTop + (strip - 6) / 2,
    countsLabel: units,
  };
}
