import { describe, expect, it } from 'vitest';
import { barChart, histogramChart, miniBarScale } from '../../src/lib/charts.ts';
import { siteUrl, assetUrl, formatBytes, formatPercent, formatDuration } from '../../integrations/core/format.ts';

describe('histogramChart', () => {
  const chart = histogramChart([0, 4.9, 5, 50, 99.99, 100], { binWidth: 5 });

  it('bins into fixed 5-point bins, the last one including 100', () => {
    expect(chart.bars).toHaveLength(20);
    expect(chart.bars.map((b) => b.count)).toEqual([2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(chart.bars[0]).toMatchObject({ x0: 0, x1: 5 });
    expect(chart.bars[19].title).toBe('2 images from 95 % to and including 100 %');
  });

  it('maps the domain onto the plot area, and bar heights onto counts', () => {
    const { area } = chart;
    expect(chart.xTicks[0]).toMatchObject({ value: 0, offset: area.left, label: '0' });
    expect(chart.xTicks.at(-1)).toMatchObject({ value: 100, offset: area.right, label: '100' });
    const tallest = chart.bars[0];
    expect(tallest.y + tallest.height).toBeCloseTo(area.bottom, 6);
    expect(chart.bars[10].height * 2).toBeCloseTo(tallest.height, 6);
  });

  it('has whole-number count ticks only', () => {
    expect(chart.yTicks.map((t) => t.value)).toEqual([0, 1, 2]);
    const big = histogramChart(Array.from({ length: 1234 }, (_, i) => i % 100));
    expect(big.yTicks.every((t) => Number.isInteger(t.value))).toBe(true);
    expect(big.yTicks.at(-1)!.label).toMatch(/^\d{1,3}(,\d{3})*$/);
  });

  it('draws a cumulative line that ends at 100 %', () => {
    const c = histogramChart([10, 20, 30, 90], { cumulative: true });
    expect(c.cumulative!.path.startsWith(`M${c.area.left},${c.area.bottom}`)).toBe(true);
    expect(c.cumulative!.path.endsWith(`${c.area.right},${c.area.top}`)).toBe(true);
  });

  it('survives no data', () => {
    const empty = histogramChart([]);
    expect(empty.bars.every((b) => b.count === 0 && b.height === 0)).toBe(true);
    expect(empty.yTicks.length).toBeGreaterThan(0);
  });
});

describe('barChart', () => {
  it('scales bars to the largest value and keeps rows in order', () => {
    const chart = barChart([{ label: 'a', value: 10 }, { label: 'b', value: 5 }, { label: 'c', value: 0 }]);
    const [a, b, c] = chart.rows;
    expect(a.barWidth).toBeCloseTo(chart.area.right - chart.area.left, 6);
    expect(b.barWidth * 2).toBeCloseTo(a.barWidth, 6);
    expect(c.barWidth).toBe(0);
    expect(a.barY).toBeLessThan(b.barY);
    expect(a.valueInside).toBe(true);
    expect(b.valueInside).toBe(false);
    expect(chart.xTicks.map((t) => t.value)).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('mini bars share one scale and clamp', () => {
    const s = miniBarScale(40, 100);
    expect(s(10)).toBe(25);
    expect(s(80)).toBe(100);
  });
});

describe('format', () => {
  it('builds URLs under a base path with encoded segments', () => {
    expect(siteUrl('/my-repo/', ['category', 'a b'])).toBe('/my-repo/category/a%20b/');
    expect(siteUrl('/my-repo', ['x', '../<script>"'])).toBe('/my-repo/x/..%2F%3Cscript%3E%22/');
    expect(siteUrl('/', [])).toBe('/');
    expect(siteUrl('/b/', ['downloads', 'r.csv'], { file: true })).toBe('/b/downloads/r.csv');
    expect(assetUrl('/b', '/_clipscope/t.webp')).toBe('/b/_clipscope/t.webp');
  });
  it('formats numbers', () => {
    expect(formatPercent(71.314)).toBe('71.3 %');
    expect(formatPercent(null)).toBe('–');
  });
});

// One formatter of durations for the site and the command line; 119.6 s once printed "1 min 60 s".
describe('formatDuration', () => {
  it.each([
    [0.04, '0.0 s'],
    [2.345, '2.3 s'],
    [9.96, '10 s'],
    [42, '42 s'],
    [59.6, '1 min 00 s'],
    [75, '1 min 15 s'],
    [119.6, '2 min 00 s'],
    [185, '3 min 05 s'],
    [3599.6, '1 h 00 min'],
    [3725, '1 h 02 min'],
    [-1, '–'],
    [Number.POSITIVE_INFINITY, '–'],
  ])('formatDuration(%f) = %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));
});

// One formatter of sizes (decimal units, as the Hub and GitHub show them).
describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [8_700_000, '8.7 MB'],
    [999_960, '1.0 MB'],
    [351_500_000, '351.5 MB'],
    [5 * 1024 * 1024, '5.2 MB'],
    [2.5e12, '2.5 TB'],
    [-5, '–'],
  ])('formatBytes(%f) = %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});
