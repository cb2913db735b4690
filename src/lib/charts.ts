// Chart layouts computed at build time: d3-array bins the data, d3-scale maps it to pixels and picks
// the ticks, d3-shape draws lines. The result is plain numbers and strings that an Astro component
// writes out as SVG, so a chart needs no client JavaScript and can be tested without a browser.
import { bin, max, range } from 'd3-array';
import { format } from 'd3-format';
import { scaleBand, scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** One axis tick: the data value, its pixel position along the axis, and its label. */
export interface Tick {
  value: number;
  offset: number;
  label: string;
}

/** A chart's SVG size and its inner plot rectangle in SVG coordinates. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

interface PlotArea extends Frame {
  margin: Margin;
}

export function plotArea(width: number, height: number, margin: Margin): PlotArea {
  return { width, height, margin, left: margin.left, right: width - margin.right, top: margin.top, bottom: height - margin.bottom };
}

const countFormat = format(',d');
const percentTick = format('.0f');

/** Ticks of a linear count scale: whole numbers only (half an image is not a count). */
function countTicks(scale: (v: number) => number, ticks: number[]): Tick[] {
  return ticks.filter((t) => Number.isInteger(t)).map((t) => ({ value: t, offset: scale(t), label: countFormat(t) }));
}

interface HistogramBar {
  /** Bin edges in data units; the last bin includes its upper edge. */
  x0: number;
  x1: number;
  count: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** A sentence for the bar's tooltip and screen readers. */
  title: string;
}

export interface HistogramChart {
  area: PlotArea;
  bars: HistogramBar[];
  xTicks: Tick[];
  yTicks: Tick[];
  xLabel: string;
  yLabel: string;
  total: number;
  /** Cumulative share of values up to each bin edge (percent), drawn against a right-hand axis. */
  cumulative?: { path: string; ticks: Tick[]; label: string };
  /** A marked value (chance level 1/K): its x position and its label. */
  marker?: { value: number; x: number; label: string };
}

interface HistogramOptions {
  domain?: [number, number];
  binWidth?: number;
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  cumulative?: boolean;
  /** Formats a bin edge for tooltips and tick labels. */
  unit?: string;
  /** A value to mark with a vertical line, e.g. chance level (100/K %), and its label. */
  marker?: { value: number; label: string };
}

/**
 * A histogram of values (e.g. top-1 probabilities in percent) in fixed-width bins over `domain`.
 * Fixed bins rather than d3's automatic ones, so histograms of different categories compare.
 */
export function histogramChart(values: readonly number[], opts: HistogramOptions = {}): HistogramChart {
  const [lo, hi] = opts.domain ?? [0, 100];
  const binWidth = opts.binWidth ?? 5;
  const width = opts.width ?? 420;
  const height = opts.height ?? 240;
  const unit = opts.unit ?? ' %';
  const cumulative = opts.cumulative ?? false;
  const area = plotArea(width, height, { top: 12, right: cumulative ? 44 : 12, bottom: 44, left: 48 });

  const bins = bin()
    .domain([lo, hi])
    .thresholds(range(lo + binWidth, hi, binWidth))(values.filter((v) => Number.isFinite(v)).map((v) => Math.min(hi, Math.max(lo, v))));

  const x = scaleLinear().domain([lo, hi]).range([area.left, area.right]);
  const y = scaleLinear()
    .domain([0, Math.max(1, max(bins, (b) => b.length) ?? 0)])
    .nice()
    .range([area.bottom, area.top]);

  const bars: HistogramBar[] = bins.map((b, i) => {
    const x0 = b.x0 ?? lo;
    const x1 = b.x1 ?? hi;
    const last = i === bins.length - 1;
    return {
      x0,
      x1,
      count: b.length,
      x: x(x0) + 0.5,
      y: y(b.length),
      width: Math.max(0, x(x1) - x(x0) - 1),
      height: y(0) - y(b.length),
      title: `${countFormat(b.length)} ${b.length === 1 ? 'image' : 'images'} from ${x0}${unit} to ${last ? 'and including ' : 'below '}${x1}${unit}`,
    };
  });

  const chart: HistogramChart = {
    area,
    bars,
    xTicks: x.ticks(5).map((t) => ({ value: t, offset: x(t), label: percentTick(t) })),
    yTicks: countTicks(y, y.ticks(5)),
    xLabel: opts.xLabel ?? 'Top-1 probability (%)',
    yLabel: opts.yLabel ?? 'Images',
    total: values.length,
  };
  if (opts.marker && opts.marker.value >= lo && opts.marker.value <= hi) {
    chart.marker = { value: opts.marker.value, x: x(opts.marker.value), label: opts.marker.label };
  }

  if (cumulative && values.length > 0) {
    const yc = scaleLinear().domain([0, 100]).range([area.bottom, area.top]);
    let running = 0;
    const points: [number, number][] = [[lo, 0]];
    for (const b of bins) {
      running += b.length;
      points.push([b.x1 ?? hi, (100 * running) / values.length]);
    }
    const path = line<[number, number]>()
      .x((d) => x(d[0]))
      .y((d) => yc(d[1]))(points);
    chart.cumulative = {
      path: path ?? '',
      ticks: yc.ticks(4).map((t) => ({ value: t, offset: yc(t), label: percentTick(t) })),
      label: 'Cumulative share (%)',
    };
  }
  return chart;
}

interface BarItem {
  label: string;
  value: number;
  /** Optional link for the bar's label (e.g. the category page). */
  href?: string;
}

interface BarRow extends BarItem {
  /** Baseline of the label text, above the bar. */
  labelY: number;
  barX: number;
  barY: number;
  barWidth: number;
  barHeight: number;
  valueLabel: string;
  /** Where the value label sits: just right of the bar, or inside it when the bar is long. */
  valueX: number;
  valueInside: boolean;
}

export interface BarChart {
  area: PlotArea;
  rows: BarRow[];
  xTicks: Tick[];
  xLabel: string;
}

interface BarChartOptions {
  width?: number;
  /** Height of one row: label line plus bar. */
  rowHeight?: number;
  xLabel?: string;
  /** Formats a value for the label at the end of each bar. */
  valueLabel?: (item: BarItem) => string;
}

/**
 * Horizontal bars with the label above each bar (so long category names need no left margin and
 * the chart stays readable on a phone), a value at the end of each bar and a count axis below.
 */
export function barChart(items: readonly BarItem[], opts: BarChartOptions = {}): BarChart {
  const width = opts.width ?? 420;
  const rowHeight = opts.rowHeight ?? 38;
  const height = 12 + rowHeight * Math.max(1, items.length) + 40;
  const area = plotArea(width, height, { top: 12, right: 16, bottom: 40, left: 8 });

  const y = scaleBand<number>()
    .domain(items.map((_, i) => i))
    .range([area.top, area.bottom])
    .paddingInner(0.1);
  const x = scaleLinear()
    .domain([0, Math.max(1, max(items, (d) => d.value) ?? 0)])
    .nice()
    .range([area.left, area.right]);

  const labelSpace = 16;
  const valueLabel = opts.valueLabel ?? ((d: BarItem) => countFormat(d.value));
  const rows: BarRow[] = items.map((d, i) => {
    const top = y(i) ?? area.top;
    const barWidth = x(d.value) - x(0);
    const valueInside = barWidth > (area.right - area.left) * 0.75;
    return {
      ...d,
      labelY: top + labelSpace - 4,
      barX: x(0),
      barY: top + labelSpace,
      barWidth,
      barHeight: Math.max(4, y.bandwidth() - labelSpace),
      valueLabel: valueLabel(d),
      valueX: valueInside ? x(0) + barWidth - 4 : x(0) + barWidth + 4,
      valueInside,
    };
  });

  return {
    area,
    rows,
    xTicks: countTicks(x, x.ticks(5)),
    xLabel: opts.xLabel ?? 'Images',
  };
}

/** Width in pixels of an inline bar for a table cell, on a scale shared by the whole table. */
export function miniBarScale(maxValue: number, width: number): (value: number) => number {
  const s = scaleLinear().domain([0, Math.max(1, maxValue)]).range([0, width]).clamp(true);
  return (v) => s(v);
}
