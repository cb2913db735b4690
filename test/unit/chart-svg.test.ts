// Every chart as an SVG file: the download's name from the page and chart, and the standalone
// document cut out of a built page — namespace, size, stylesheet, no links, no hover readouts.
import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartAttrs, chartFile, CHART_FILE_ATTR } from '../../integrations/core/chart-files.ts';
import { CHART_SVG_STYLE, markedCharts, standaloneSvg, writeChartSvgs } from '../../integrations/clipscope/chart-svg.ts';

describe('chartFile', () => {
  it('names the file after the page under the base and the chart id', () => {
    expect(chartFile('/groups/', '/', 'time-shares')).toBe('downloads/charts/groups-time-shares.svg');
    expect(chartFile('/my-repo/categories/red/', '/my-repo/', 'confidence-histogram')).toBe('downloads/charts/categories-red-confidence-histogram.svg');
    expect(chartFile('/my-repo/', '/my-repo', 'category-sizes')).toBe('downloads/charts/overview-category-sizes.svg');
    expect(chartFile('/index.html', '/', 'x')).toBe('downloads/charts/overview-x.svg');
    expect(chartFile('/groups/', '/', 'time-Grüne')).toBe('downloads/charts/groups-time-grune.svg');
    expect(chartFile('/categories/%E2%82%AC/', '/', '日本')).toBe('downloads/charts/categories-chart.svg'); // nothing ASCII left: "chart"
  });
});

const PAGE = [
  '<html><body><figure><svg class="swatch" viewBox="0 0 10 10"><rect width="10" height="10"></rect></svg>',
  `<svg class="chart" viewBox="0 0 320 230" role="group" aria-labelledby="t-title" data-astro-cid-abc ${CHART_FILE_ATTR}="downloads/charts/groups-time-a.svg" data-chart-title="A &amp; B &lt;x&gt; &quot;q&quot; &#39;s" data-export-height="270">`,
  '<g class="grid" aria-hidden="true"><line x1="0" x2="1" y1="0" y2="0"></line></g>',
  '<a href="/groups/a/red/1/"><text x="1" y="2">A &amp; B</text><rect class="bar" x="1" y="1" width="3" height="4"/></a>',
  '<g class="interactive"><g class="col" tabindex="0" role="img" aria-label="x"><rect class="hit"></rect><g class="tip"><rect></rect><text>readout</text></g></g><g class="col"><g class="tip"></g></g></g>',
  '<g class="axis"><text>after</text></g><g class="export-only" aria-hidden="true"><g><line></line><text>Legend</text></g></g>',
  '</svg><p>Download</p></figure>',
  `<svg class="chart" viewBox="0 0 100 50" ${CHART_FILE_ATTR}="downloads/charts/groups-b.svg"><text>b</text></svg>`,
  '</body></html>',
].join('');

describe('markedCharts and standaloneSvg', () => {
  const charts = markedCharts(PAGE);

  it('finds every marked chart, whole (nested groups included), and nothing else', () => {
    expect([...charts.keys()]).toEqual(['downloads/charts/groups-time-a.svg', 'downloads/charts/groups-b.svg']);
    expect(charts.get('downloads/charts/groups-time-a.svg')).toMatch(/^<svg class="chart"[\s\S]*<text>Legend<\/text><\/g><\/g><\/svg>$/);
  });

  it('makes a standalone document: namespace, pixel size, stylesheet; links and readouts removed', () => {
    const svg = standaloneSvg(charts.get('downloads/charts/groups-time-a.svg')!);
    // 24 px around the chart, its title above (26 px), and the drawing as tall as its export-only legend says.
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="368" height="320" viewBox="0 0 368 320" class="chart" role="group">')).toBe(true);
    expect(svg).toContain(`<title>A &amp; B &lt;x&gt; "q" 's</title><style>${CHART_SVG_STYLE}</style>`);
    expect(svg).toContain('<text class="chart-title" x="24" y="29">A &amp; B &lt;x&gt; "q" \'s</text><g transform="translate(24 38)">');
    expect(svg).toContain('<g class="export-only" aria-hidden="true"><g><line></line><text>Legend</text></g></g>');
    expect(svg).toContain('<text x="1" y="2">A &amp; B</text><rect class="bar" x="1" y="1" width="3" height="4"/>');
    expect(svg).toContain('<g class="axis"><text>after</text></g><g class="export-only"');
    expect(svg.endsWith('</g></g></g></svg>\n')).toBe(true);
    const b = standaloneSvg(charts.get('downloads/charts/groups-b.svg')!);
    expect(b).toContain('width="148" height="74" viewBox="0 0 148 74"');
    expect(b).not.toContain('<title>');
    expect(chartAttrs('f.svg', 'T')).toEqual({ [CHART_FILE_ATTR]: 'f.svg', 'data-chart-title': 'T' });
    for (const gone of ['<a ', '</a>', 'interactive', 'readout', 'tabindex', 'data-astro-cid', CHART_FILE_ATTR, 'aria-labelledby']) expect(svg).not.toContain(gone);
  });
});

describe('writeChartSvgs', () => {
  it("writes the charts of every page in the built site, and reads nothing under _clipscope (thumbnails, not pages)", async () => {
    const site = await mkdtemp(join(tmpdir(), 'clipscope-chart-svg-'));
    try {
      await mkdir(join(site, 'groups'), { recursive: true });
      await mkdir(join(site, '_clipscope', 'thumbs'), { recursive: true });
      await writeFile(join(site, 'groups', 'index.html'), PAGE);
      // Not a page of the site: a chart marked in it is not written.
      await writeFile(join(site, '_clipscope', 'thumbs', 'stray.html'), `<svg viewBox="0 0 1 1" ${CHART_FILE_ATTR}="downloads/charts/stray.svg"></svg>`);
      expect(await writeChartSvgs(site)).toBe(2);
      expect((await readdir(join(site, 'downloads', 'charts'))).sort()).toEqual(['groups-b.svg', 'groups-time-a.svg']);
    } finally {
      await rm(site, { recursive: true, force: true });
    }
  });
});
