// Chart layouts of the Groups page, computed at build time like src/lib/charts.ts (d3 scales and
// shapes → plain numbers and strings an Astro component writes out as SVG; no client JavaScript):
// - shareByGroupCharts: one small panel per category, one bar per group, all panels on the same
//   share axis, each bar with its Wilson 95 % interval as a whisker — groups compare within a panel
//   at a glance, and categories compare across panels because the axis is shared.
// - timeShareChart: each category's share per month/week as a line; periods without posts leave a gap;
//   a strip of posts per period with its count axis; a focusable column per period with a readout.
// - groupTimeCharts: the same per group, small, on shared axes (small multiples).
// Groups and categories have separate palettes (GROUP_PALETTE, CATEGORY_PALETTE): a colour on a page
// means one or the other, never both.
import { max } from 'd3-array';
import { format } from 'd3-format';
import { scaleBand, scaleLinear, scalePoint } from 'd3-scale';
import { line } from 'd3-shape';
import type { GroupShares, TimeSeries } from '../../integrations/clipscope/report/groups.ts';
import { groupReport } from '../../integrations/clipscope/report/groups-report.ts';
import type { ReportData } from '../../integrations/clipscope/report/report.ts';
import { plotArea, type Frame, type Tick } from './charts.ts';

/** Colours of categories (lines of the time charts): Okabe & Ito's colour-blind-safe palette
 * (yellow last: weak on white). */
export const CATEGORY_PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#999999', '#F0E442'];

/** Default colours of groups (bars of the share charts, the group swatches): Paul Tol's colour-blind
 * -safe "bright" scheme followed by his "dark" one — no colour in common with CATEGORY_PALETTE, so a
 * page that shows groups and categories never uses one colour for both. */
export const GROUP_PALETTE = ['#4477AA', '#EE6677', '#228833', '#CCBB44', '#66CCEE', '#AA3377', '#BBBBBB', '#222255', '#225555', '#225522', '#666633', '#663333'];

/** The colour of the category at this index. */
function categoryColor(index: number): string {
  return CATEGORY_PALETTE[index % CATEGORY_PALETTE.length];
}

/**
 * Group → colour: the colour given for a group (the groupColors option), else the next colour of
 * GROUP_PALETTE in group order, skipping colours already given to a group (compared case-blind).
 */
export function groupColorMap(groups: readonly string[], given: Iterable<readonly [string, string]> = []): Map<string, string> {
  const custom = new Map(given);
  const used = new Set([...custom.values()].map((c) => c.toLowerCase()));
  const free = GROUP_PALETTE.filter((c) => !used.has(c.toLowerCase()));
  const palette = free.length > 0 ? free : GROUP_PALETTE;
  let next = 0;
  return new Map(groups.map((g) => [g, custom.get(g) ?? palette[next++ % palette.length]]));
}

const colorsMemo = new WeakMap<ReportData, Map<string, string>>();

/** The report's group colours (groupColorMap of its groups and the groupColors option), computed
 * once per report for every page that shows groups. */
export function reportGroupColors(report: ReportData): Map<string, string> {
  let colors = colorsMemo.get(report);
  if (!colors) {
    colors = groupColorMap(groupReport(report).groups.map((g) => g.name), report.options.groupColors ?? []);
    colorsMemo.set(report, colors);
  }
  return colors;
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

interface ShareRow {
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

interface SharePanel extends Frame {
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

interface ShareChartOptions {
  width?: number;
  rowHeight?: number;
  /** At most this many groups per panel (the largest by n); default 12. */
  maxGroups?: number;
  /** Link for a bar (the images of that group × category cell). */
  hrefOf?: (group: string, category: string) => string | undefined;
  unit?: string;
  /** Group → colour (groupColorMap); default the group palette in group order. */
  colors?: Map<string, string>;
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
  const colors = opts.colors ?? groupColorMap(shares.groups.map((g) => g.name));

  // One share axis for all panels: up to the highest interval bound, so every whisker fits.
  const top = Math.min(1, Math.max(0.05, max(groups.flatMap((g) => g.cells.map((c) => (g.n > 0 ? c.high : 0)))) ?? 0));
  const margin = { top: 8, right: 24, bottom: 36, left: 14 }; // room for the half of "0 %" and "100 %" beyond the plot
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

interface TimePoint {
  x: number;
  y: number;
}

interface TimeLine {
  category: string;
  color: string;
  path: string;
  points: TimePoint[];
}

/** One period's readout: a focusable column over the plot whose tip (shown on hover and on focus,
 * so on touch too: a tap focuses it) lists the period's posts and every category's share. */
interface TimeColumn {
  period: string;
  /** The column's hit area (the whole plot and the counts strip). */
  x: number;
  width: number;
  /** The period's centre (a marker line while the column is active). */
  cx: number;
  /** Screen-reader name: the tip's lines in one sentence. */
  label: string;
  tip: { x: number; y: number; width: number; height: number; lines: { text: string; color?: string; y: number }[] };
}

export interface TimeChart extends Frame {
  lines: TimeLine[];
  columns: TimeColumn[];
  xTicks: Tick[];
  yTicks: Tick[];
  xLabel: string;
  yLabel: string;
  /** Posts per period, drawn as a strip under the axis (with its own count axis) so thin periods show. */
  counts: { x: number; width: number; height: number; y: number }[];
  /** The legend drawn below the chart in its SVG file only (the page has it in HTML). */
  exportLegend: { x: number; y: number; label: string; color: string }[];
  /** The file's drawing height with that legend. */
  exportHeight: number;
  countsTop: number;
  countsBottom: number;
  countTicks: Tick[];
  countsLabel: string;
}

interface TimeChartOptions {
  width?: number;
  height?: number;
  unit?: string;
  /** Top of the share axis (0..1), e.g. shared by small multiples; default from the data. */
  yMax?: number;
  /** Top of the count axis, e.g. shared by small multiples; default the fullest period. */
  countMax?: number;
  /** Small multiple: no axis titles (the caption says them), fewer ticks, shorter tip lines. */
  compact?: boolean;
}

/** Highest share of any period with posts (the default top of the share axis). */
function highestShare(series: TimeSeries): number {
  return max(series.periods.flatMap((p) => (p.n > 0 ? p.cells.map((c) => c.share) : []))) ?? 0;
}

/** Most posts in any period. */
function fullestPeriod(series: TimeSeries): number {
  return max(series.periods, (p) => p.n) ?? 0;
}

const TIP_LINE = 19;

export function timeShareChart(series: TimeSeries, opts: TimeChartOptions = {}): TimeChart {
  const compact = opts.compact ?? false;
  const width = opts.width ?? (compact ? 320 : 560);
  const height = opts.height ?? (compact ? 230 : 340);
  const units = opts.unit ?? 'posts';
  const strip = compact ? 36 : 44; // height of the posts-per-period strip
  const stripGap = compact ? 28 : 46; // from the plot's bottom to the strip: tick labels (and the axis title)
  const margin = { top: compact ? 8 : 12, right: 16, bottom: stripGap + strip + 6, left: 60 };
  const { left, right, top, bottom } = plotArea(width, height, margin);
  const periods = series.periods.map((p) => p.period);
  const x = scalePoint<string>().domain(periods).range([left, right]).padding(0.5);
  const y = scaleLinear()
    .domain([0, Math.max(0.05, opts.yMax ?? highestShare(series))])
    .nice(compact ? 3 : 5)
    .range([bottom, top]);

  const lines = series.categories.map((category, ci) => {
    const values = series.periods.map((p) => ({ period: p.period, n: p.n, cell: p.cells[ci] }));
    const path =
      line<(typeof values)[number]>()
        .defined((d) => d.n > 0)
        .x((d) => x(d.period)!)
        .y((d) => y(d.cell.share))(values) ?? '';
    const points = values.filter((d) => d.n > 0).map((d) => ({ x: x(d.period)!, y: y(d.cell.share) }));
    return { category, color: categoryColor(ci), path, points };
  });

  // At most 6 period labels ("2024-W09" is ~55 px wide), 3 in a small multiple: every k-th period.
  const step = Math.max(1, Math.ceil(periods.length / (compact ? 3 : 6)));
  const xTicks = periods.filter((_, i) => i % step === 0).map((p) => ({ value: 0, offset: x(p)!, label: p }));
  const yTicks = y.ticks(compact ? 3 : 5).map((t) => ({ value: t, offset: y(t), label: pct0(t).replace('%', ' %') }));

  const countsTop = bottom + stripGap;
  const countsBottom = countsTop + strip;
  const most = Math.max(1, opts.countMax ?? fullestPeriod(series));
  const c = scaleLinear().domain([0, most]).range([countsBottom, countsTop]);
  const band = periods.length > 0 ? (right - left) / periods.length : 0;
  const counts = series.periods.map((p) => ({ x: x(p.period)! - Math.max(1, band * 0.35), width: Math.max(2, band * 0.7), height: countsBottom - c(p.n), y: c(p.n) }));
  const countTicks = [0, most].map((t) => ({ value: t, offset: c(t), label: count(t) }));

  const cut = (name: string, n: number) => (name.length > n ? `${name.slice(0, n - 1)}…` : name);
  const columns = series.periods.map((p) => {
    const noun = (k: number) => (k === 1 ? units.replace(/s$/, '') : units);
    const head = `${p.period}: ${count(p.n)} ${noun(p.n)}`;
    const rows = p.n === 0 ? [] : p.cells.map((cell, ci) => ({
      text: compact
        ? `${cut(cell.category, 14)} ${shareText(cell.share)} (${intervalText(cell.low, cell.high)})`
        : `${cut(cell.category, 24)}: ${shareText(cell.share)} (${intervalText(cell.low, cell.high)}), ${count(cell.count)}`,
      color: categoryColor(ci),
    }));
    const all = [{ text: head }, ...rows];
    const tipTop = top + 2;
    return {
      period: p.period,
      x: x(p.period)! - band / 2,
      width: band,
      cx: x(p.period)!,
      label: [head, ...p.cells.filter(() => p.n > 0).map((cell) => `${cell.category} ${shareText(cell.share)}, 95 % interval ${intervalText(cell.low, cell.high)}, ${count(cell.count)} ${noun(cell.count)}`)].join('; '),
      tip: {
        x: 4,
        y: tipTop,
        width: width - 8,
        height: all.length * TIP_LINE + 8,
        lines: all.map((l, i) => ({ ...l, y: tipTop + 4 + (i + 1) * TIP_LINE - 4 })),
      },
    };
  });

  // Legend rows for the file: an entry is a 16-px line, a gap and its name (~7.5 px per character).
  const exportLegend: TimeChart['exportLegend'] = [];
  let lx = 0;
  let ly = height + 16;
  for (const l of lines) {
    const w = 22 + l.category.length * 7.5 + 16;
    if (lx > 0 && lx + w > width) {
      lx = 0;
      ly += 18;
    }
    exportLegend.push({ x: lx, y: ly, label: l.category, color: l.color });
    lx += w;
  }

  return {
    width,
    height,
    left,
    right,
    top,
    bottom,
    lines,
    columns,
    exportLegend,
    exportHeight: lines.length > 0 ? ly + 6 : height,
    xTicks,
    yTicks,
    xLabel: series.unit === 'week' ? 'ISO week' : 'Month',
    yLabel: `Share of ${units}`,
    counts,
    countsTop,
    countsBottom,
    countTicks,
    countsLabel: units,
  };
}

/** Small multiples: one compact time chart per group, all on the same share and count axes. */
export function groupTimeCharts(perGroup: readonly { group: string; series: TimeSeries }[], opts: Omit<TimeChartOptions, 'yMax' | 'countMax' | 'compact'> = {}): { group: string; chart: TimeChart; n: number }[] {
  const yMax = max(perGroup, (g) => highestShare(g.series)) ?? 0;
  const countMax = max(perGroup, (g) => fullestPeriod(g.series)) ?? 0;
  return perGroup.map((g) => ({ group: g.group, n: g.series.dated, chart: timeShareChart(g.series, { ...opts, yMax, countMax, compact: true }) }));
}
