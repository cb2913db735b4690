// The Groups page built from a posts table, as a user builds it: CLIPSCOPE_TABLE,
// CLIPSCOPE_IMAGES_ROOT, CLIPSCOPE_GROUP_BY and CLIPSCOPE_DATE_COLUMN point `astro build` at a small
// posts CSV (extra columns, Unicode, duplicates, a missing file, an empty path) whose images are the
// demo images. Read in headless Chromium: the chart panels, the table of shares with intervals, the
// links to a group × category cell, the split on the category page and the time chart — the numbers
// checked against the published results.json, counted here independently. Built with a config that
// gives two parties their colours (groupColors); the downloads (joined table, shares CSV, every chart
// as SVG) are read back, and a period readout is opened by a tap on a touch screen.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../integrations/core/types.ts';
import { CATEGORY_PALETTE, GROUP_PALETTE } from '../../src/lib/group-charts.ts';
import { buildSite, filesContaining, launchBrowser, openPage, REPO_ROOT, serveDir, type BuiltSite, type StaticServer } from './helpers.ts';
import { readRfc4180, readRfc4180Records } from '../fixtures/rfc4180.ts';

const POSTS = [
  'post_id,account,party,date,caption,Image',
  '1,afd.bund,AfD,2024-03-02,"Wahlkampf „Heimat“ 🇩🇪",coffee.png',
  '2,afd.bund,AfD,2024-03-09,"dup, same image",coffee.png',
  '3,afd.bund,AfD,2024-04-01,x,rocket.jpg',
  '4,spdde,SPD,2024-03-05,"Línea ""2""",camera.png',
  '5,spdde,SPD,2024-04-12,y,brick.png',
  '6,spdde,SPD,2024-04-20,z,does-not-exist.jpg',
  '7,gruene,Grüne,2024-03-15,😀,horse.png',
  '8,gruene,Grüne,2024-04-02,日本語,coins.png',
  '9,gruene,Grüne,2024-04-28,w,',
  '10,cdu,CDU,2024-03-30,v,retina.jpg',
  '11,cdu,CDU,2024-04-03,u,chelsea.png',
  '12,cdu,CDU,2024-04-05,t,coffee.png',
].join('\n');

/** AfD and SPD in their customary colours; CDU and Grüne take the default group palette. */
const GROUP_COLORS = { AfD: '#009ee0', SPD: '#e3000f' };
const EXPECTED_COLORS = { AfD: '#009ee0', CDU: GROUP_PALETTE[0], Grüne: GROUP_PALETTE[1], SPD: '#e3000f' };

let dir: string;
let site: BuiltSite;
let server: StaticServer;
let browser: Browser;
let results: RunResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clipscope-groups-'));
  await writeFile(join(dir, 'posts.csv'), POSTS);
  // The repository's config with clipscope() given group colours.
  const config = join(dir, 'astro.config.mjs');
  await writeFile(
    config,
    `import base from ${JSON.stringify(join(REPO_ROOT, 'astro.config.mjs'))};\n` +
      `import clipscope from ${JSON.stringify(join(REPO_ROOT, 'integrations/clipscope/index.ts'))};\n` +
      `export default { ...base, integrations: [...base.integrations.filter((i) => i.name !== 'clipscope'), clipscope({ groupColors: ${JSON.stringify(GROUP_COLORS)} })] };\n`,
  );
  site = await buildSite({
    config,
    env: {
      CLIPSCOPE_TABLE: join(dir, 'posts.csv'),
      CLIPSCOPE_IMAGES_ROOT: join(REPO_ROOT, 'content', 'images'),
      CLIPSCOPE_GROUP_BY: 'party',
      CLIPSCOPE_DATE_COLUMN: 'date',
    },
  });
  server = await serveDir(site.outDir);
  browser = await launchBrowser();
  results = JSON.parse(await readFile(join(site.outDir, 'downloads', 'results.json'), 'utf8'));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await site?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** group → category → posts, counted from the published rows and images. */
function expectedCounts(): Map<string, Map<string, number>> {
  const categoryOf = new Map(results.images.map((i) => [i.path, i.category]));
  const out = new Map<string, Map<string, number>>();
  for (const row of results.rows!) {
    if (row.status !== 'classified') continue;
    const byCategory = out.get(row.group!) ?? new Map<string, number>();
    const category = categoryOf.get(row.image!)!;
    byCategory.set(category, (byCategory.get(category) ?? 0) + 1);
    out.set(row.group!, byCategory);
  }
  return out;
}

describe('the Groups page of a posts table', () => {
  it('classified the rows of the table, kept the missing and the empty ones', () => {
    expect(site.output).toContain('Table posts.csv: 12 rows, 9 distinct image paths; 1 row points at a missing file; 1 row has no image path');
    expect(results.table).toMatchObject({ source: 'posts.csv', groupBy: 'party', dateColumn: 'date', rows: 12, statuses: { classified: 10, missing: 1, 'no image': 1, unreadable: 0 } });
    expect(results.rows).toHaveLength(12);
    expect(results.images.map((i) => i.path)).toContain('coffee.png');
  });

  it('shows each category per group as chart panels and a table whose counts and shares match the results', async () => {
    const { page, allProblems, context } = await openPage(browser, server.url('/groups/'));
    expect(await page.locator('h1').textContent()).toBe('Groups');
    expect(await page.locator('.site-nav a[aria-current="page"]').textContent()).toBe('Groups');
    const categories = results.dictionary.categories.map((c) => c.name);
    expect(await page.locator('.share-panel figcaption').allTextContents()).toEqual(categories);

    const groups = ['AfD', 'CDU', 'Grüne', 'SPD'];
    const table = await page.locator('table.group-table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        name: tr.querySelector('th')!.textContent!.trim(),
        n: Number(tr.querySelector('td')!.textContent),
        cells: [...tr.querySelectorAll('td.share-cell')].map((td) => ({
          share: td.querySelector('strong')!.textContent,
          ci: td.querySelector('.ci')!.textContent,
          count: Number(td.querySelector('.count')!.textContent),
        })),
      })),
    );
    expect(table.map((r) => r.name)).toEqual(groups);
    const expected = expectedCounts();
    for (const row of table) {
      const counts = expected.get(row.name)!;
      const n = [...counts.values()].reduce((a, b) => a + b, 0);
      expect(row.n).toBe(n);
      row.cells.forEach((cell, i) => {
        const k = counts.get(categories[i]) ?? 0;
        expect(cell.count, `${row.name} × ${categories[i]}`).toBe(k);
        expect(cell.share).toBe(`${((100 * k) / n).toFixed(1)} %`);
        expect(cell.ci).toMatch(/^\d+\.\d–\d+\.\d %$/);
      });
    }
    // AfD posted coffee.png twice: both posts count. SPD's missing image is in no denominator.
    expect(table.find((r) => r.name === 'AfD')!.n).toBe(3);
    expect(table.find((r) => r.name === 'SPD')!.n).toBe(2);
    // One bar per group in every panel, each with a whisker.
    expect(await page.locator('.share-panel').first().locator('.whisker').count()).toBe(groups.length);
    // The time chart: one line per category, months or weeks of March and April 2024.
    expect(await page.locator('#time-shares-title').textContent()).toMatch(/Category shares per (week|month)/);
    expect(await page.locator('#time-shares-title').locator('..').locator('.series').count()).toBe(categories.length);
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  it('links a group × category count to the page of its images', async () => {
    const { page, allProblems, context } = await openPage(browser, server.url('/groups/'));
    const afd = page.locator('table.group-table tbody tr', { hasText: 'AfD' });
    const categoryOfCoffee = results.images.find((i) => i.path === 'coffee.png')!.category;
    const column = results.dictionary.categories.findIndex((c) => c.name === categoryOfCoffee);
    await afd.locator('td.share-cell').nth(column).locator('a').click();
    await page.waitForLoadState('load');
    expect(await page.locator('h1').textContent()).toBe(`AfD: ${categoryOfCoffee}`);
    const paths = await page.locator('.rows .path').allTextContents();
    expect(paths.map((p) => p.replace(/^\d+\./, ''))).toContain('coffee.png');
    expect(await page.locator('.rows').textContent()).toContain('in 2 posts of this group');
    // Its thumbnail opens the large view, which lists the rows of the table that post it (group, date).
    // (Once the page has loaded: a click before the view's script runs would open the image file.)
    await page.waitForFunction(() => document.readyState === 'complete');
    await page.locator('.row', { hasText: 'coffee.png' }).locator('a[data-view]').click();
    const posts = results.rows!.filter((r) => r.image === 'coffee.png' && r.status === 'classified').map((r) => [r.group, r.date].filter(Boolean).join(', '));
    expect(posts.length).toBeGreaterThan(1);
    expect(await page.locator('dialog#viewer .viewer-posts').textContent()).toBe(`Posts: ${posts.join('; ')}`);
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  it('splits a category by group on its page', async () => {
    const category = results.dictionary.categories.find((c) => c.name === results.images.find((i) => i.path === 'coffee.png')!.category)!;
    const { page, allProblems, context } = await openPage(browser, server.url(`/categories/${category.slug}/`));
    expect(await page.locator('#by-group').textContent()).toBe('By group');
    expect(await page.locator('.by-group tbody th').allTextContents()).toEqual(['AfD', 'CDU', 'Grüne', 'SPD']);
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  it('has no broken link and publishes no path of this machine', async () => {
    // Every link and image of the Groups page and of each cell page it links to answers 200 (fetched,
    // not rendered: the whole-site crawl is test/e2e/site.test.ts's job).
    const { page, context } = await openPage(browser, server.url('/groups/'));
    const links = async () => page.locator('[href], [src]').evaluateAll((els) => els.map((e) => new URL(e.getAttribute('href') ?? e.getAttribute('src')!, document.baseURI).href));
    const fromGroups = await links();
    const cells = [...new Set(fromGroups.filter((u) => /\/groups\/[^/]+\/[^/]+\/1\/$/.test(u)))];
    expect(cells.length).toBeGreaterThanOrEqual(4);
    const all = new Set(fromGroups);
    for (const cell of cells) {
      await page.goto(cell);
      for (const u of await links()) all.add(u);
    }
    await context.close();
    const broken: string[] = [];
    for (const u of all) {
      expect(new URL(u).origin).toBe(server.origin);
      const status = (await fetch(u)).status;
      if (status !== 200) broken.push(`${status} ${u}`);
    }
    expect(broken).toEqual([]);
    expect(await filesContaining(site.outDir, dir)).toEqual([]);
    expect(await filesContaining(site.outDir, REPO_ROOT)).toEqual([]);
  });

  it('the Groups page and a cell page pass axe-core without serious violations (chart bars are reachable links)', async () => {
    const { page, context } = await openPage(browser, server.url('/groups/'));
    const serious = async () =>
      (await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${page.url()} ${v.id}`);
    const problems = await serious();
    // Every bar of the small multiples is a link a keyboard user can reach, named by its visible text.
    const barLinks = page.locator('.share-panel a');
    expect(await barLinks.count()).toBeGreaterThan(0);
    expect((await barLinks.first().getAttribute('aria-label')) ?? '').toBe('');
    await page.goto(new URL((await barLinks.first().getAttribute('href'))!, page.url()).href);
    expect(await page.locator('h1').textContent()).not.toBe('');
    problems.push(...(await serious()));
    await context.close();
    expect(problems).toEqual([]);
  });

  it('draws each group in its configured colour (the palette for the rest), never in a category colour', async () => {
    const { page, allProblems, context } = await openPage(browser, server.url('/groups/'));
    const barColors = await page.locator('.share-panel').first().locator('rect[fill]').evaluateAll((rs) => rs.map((r) => r.getAttribute('fill')));
    expect(barColors).toEqual(Object.values(EXPECTED_COLORS));
    const swatches = await page.locator('table.group-table tbody th rect').evaluateAll((rs) => rs.map((r) => r.getAttribute('fill')));
    expect(swatches).toEqual(Object.values(EXPECTED_COLORS));
    const groupFills = new Set(
      (await page.locator('.share-panel rect[fill], .group-table .swatch rect, .time-chart figcaption .swatch rect').evaluateAll((rs) => rs.map((r) => r.getAttribute('fill')!))).map((c) => c.toLowerCase()),
    );
    const categoryStrokes = new Set((await page.locator('.time-chart .series path').evaluateAll((ps) => ps.map((p) => p.getAttribute('stroke')!))).map((c) => c.toLowerCase()));
    expect(categoryStrokes.size).toBeGreaterThan(0);
    expect([...categoryStrokes].every((c) => CATEGORY_PALETTE.map((x) => x.toLowerCase()).includes(c))).toBe(true);
    expect([...groupFills].filter((c) => categoryStrokes.has(c))).toEqual([]);
    // The category page's split by group uses the same colours.
    const category = results.dictionary.categories[0];
    await page.goto(server.url(`/categories/${category.slug}/`));
    expect(await page.locator('.by-group tbody th rect').evaluateAll((rs) => rs.map((r) => r.getAttribute('fill')))).toEqual(Object.values(EXPECTED_COLORS));
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  it('says why it shows months, draws one small chart per group on shared axes, with a count axis on every time chart', async () => {
    const { page, allProblems, context } = await openPage(browser, server.url('/groups/'));
    // 10 dated posts in ISO weeks 9 to 15: 1, 2, 1, 0, 1, 4, 1 per week, the median 1 — too few for weeks.
    expect(await page.locator('#time ~ p.muted').first().textContent()).toContain('Months, not weeks: the median week has only 1 post (weeks need at least 20 per week');
    expect(await page.locator('#time-shares-title').textContent()).toBe('Category shares per month');
    const multiples = page.locator('.multiples figure');
    expect(await multiples.locator('figcaption').allTextContents()).toEqual(['AfD (3 posts)', 'CDU (3 posts)', 'Grüne (2 posts)', 'SPD (2 posts)']);
    const axes = await multiples.evaluateAll((figs) => figs.map((f) => [...f.querySelectorAll('.y-axis .tick text')].map((t) => t.textContent).join(' ') + ' | ' + [...f.querySelectorAll('.count-axis .tick text')].map((t) => t.textContent).join(' ')));
    expect(new Set(axes).size).toBe(1); // the same share and count axes in every panel
    expect(axes[0]).toMatch(/^0 % .* 100 % \| 0 2$/); // AfD's and CDU's 2 posts in a month: the fullest
    for (const chart of await page.locator('.time-chart svg.chart').all()) expect(await chart.locator('.count-axis .tick').count()).toBe(2);
    // Readouts: the main chart's periods in the Tab order, the small multiples' only for a tap or click.
    expect(await page.locator('#time-shares-title').locator('..').locator('.col[tabindex="0"]').count()).toBe(2);
    expect(await multiples.locator('.col[tabindex="-1"]').count()).toBe(4 * 2);
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  it('shows a period readout on a tap (touch screen) and on keyboard focus, without any script', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 800 }, hasTouch: true, isMobile: true });
    const page = await context.newPage();
    await page.goto(server.url('/groups/'));
    expect(await page.locator('script').count()).toBe(0);
    const chart = page.locator('#time-shares-title').locator('..');
    const tipVisible = (i: number) => chart.locator('.col').nth(i).locator('.tip').evaluate((t) => getComputedStyle(t).visibility);
    expect(await tipVisible(1)).toBe('hidden');
    await chart.locator('.col').nth(1).locator('.hit').tap();
    expect(await tipVisible(1)).toBe('visible');
    const lines = await chart.locator('.col').nth(1).locator('.tip text').allTextContents();
    expect(lines[0]).toBe('2024-04: 5 posts');
    expect(lines.slice(1).every((l) => /: \d+\.\d % \(\d+\.\d–\d+\.\d %\), \d+$/.test(l))).toBe(true);
    // A tap focuses the column (so the readout stays while the finger is lifted); another tap moves it.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('class'))).toBe('col');
    await chart.locator('.col').nth(0).locator('.hit').tap();
    expect(await tipVisible(0)).toBe('visible');
    expect(await tipVisible(1)).toBe('hidden');
    expect(await chart.locator('.col').nth(0).getAttribute('aria-label')).toMatch(/^2024-03: 5 posts; /);
    await context.close();
  });

  it('publishes the posts table with the classification joined on, and the shares as CSV, both readable back', async () => {
    const get = async (path: string) => {
      const res = await fetch(server.url(path));
      expect(res.status, path).toBe(200);
      return res.text();
    };
    const original = readRfc4180(POSTS);
    const joined = readRfc4180(await get('/downloads/posts.classified.csv'));
    expect(joined).toHaveLength(original.length);
    expect(joined[0].slice(0, original[0].length)).toEqual(original[0]);
    expect(joined[0].slice(original[0].length)).toContain('Classification Status');
    joined.forEach((row, i) => {
      expect(row.slice(0, original[0].length), `row ${i}`).toEqual(original[i]);
    });
    const header = joined[0];
    const col = (name: string) => header.indexOf(name);
    const statuses = joined.slice(1).map((r) => r[col('Classification Status')]);
    expect(statuses.filter((s) => s === 'classified')).toHaveLength(10);
    expect(statuses).toContain('missing');
    const categoryOf = new Map(results.images.map((i) => [i.path, i.category]));
    for (const row of joined.slice(1)) if (row[col('Classification Status')] === 'classified') expect(row[col('Classification')]).toBe(categoryOf.get(row[col('Image')]));

    const shares = readRfc4180Records(await get('/downloads/group-shares.csv'));
    const expected = expectedCounts();
    const categories = results.dictionary.categories.map((c) => c.name);
    expect(shares.filter((r) => r.level === 'group')).toHaveLength(4 * categories.length);
    for (const r of shares.filter((x) => x.level === 'group')) {
      const counts = expected.get(r.group)!;
      const n = [...counts.values()].reduce((a, b) => a + b, 0);
      const k = counts.get(r.category) ?? 0;
      expect([Number(r.count), Number(r.n)], `${r.group} × ${r.category}`).toEqual([k, n]);
      expect(Math.abs(Number(r.share) - k / n)).toBeLessThan(1e-12);
      expect(Number(r.ci_low)).toBeLessThanOrEqual(Number(r.share));
      expect(Number(r.ci_high)).toBeGreaterThanOrEqual(Number(r.share));
    }
    expect(shares.filter((r) => r.level === 'all').reduce((a, r) => a + Number(r.count), 0)).toBe(10);
    const periods = readRfc4180Records(await get('/downloads/group-shares-by-period.csv'));
    expect(new Set(periods.map((r) => r.period))).toEqual(new Set(['2024-03', '2024-04']));
    expect(periods.filter((r) => r.level === 'group' && r.group === 'AfD').reduce((a, r) => a + Number(r.count), 0)).toBe(3);
  });

  it('Explore filters and sorts by post day when the table has dates', async () => {
    const { page, allProblems, context } = await openPage(browser, server.url('explore/'));
    const count = page.locator('#explore-count');
    const total = results.images.length;
    // The island loads the Explore index first: on a busy machine that can take longer than poll's 1 s default.
    await expect.poll(() => count.textContent(), { timeout: 15_000 }).toBe(`${total} of ${total} images match.`);
    // Both ends included: the images with a classified post on 1 to 5 April.
    const inRange = new Set(results.rows!.filter((r) => r.status === 'classified' && r.date! >= '2024-04-01' && r.date! <= '2024-04-05').map((r) => r.image));
    expect(inRange.size).toBeGreaterThan(1);
    // The day inputs offer the run's days (classified posts only).
    const days = results.rows!.filter((r) => r.status === 'classified').map((r) => r.date!).sort();
    expect(await page.locator('input[name=dateFrom]').evaluate((el) => [(el as HTMLInputElement).min, (el as HTMLInputElement).max])).toEqual([days[0], days.at(-1)]);
    await page.locator('input[name=dateFrom]').fill('2024-04-01');
    await page.locator('input[name=dateTo]').fill('2024-04-05');
    await expect.poll(() => count.textContent(), { timeout: 15_000 }).toBe(`${inRange.size} of ${total} images match.`);
    expect((await page.locator('#explore-grid a[data-view]').evaluateAll((as) => as.map((a) => (a as HTMLElement).dataset.path))).sort()).toEqual([...inRange].sort());
    // Sorted by day: the first tile is the image of the earliest post (ties in path order).
    await page.locator('input[name=dateFrom]').fill('');
    await page.locator('input[name=dateTo]').fill('');
    await page.locator('select[name=sort]').selectOption('date');
    const earliest = results.rows!.filter((r) => r.status === 'classified').sort((a, b) => (a.date! < b.date! ? -1 : a.date! > b.date! ? 1 : a.image! < b.image! ? -1 : 1))[0];
    expect(await page.locator('#explore-grid a[data-view]').first().getAttribute('data-path')).toBe(earliest.image);
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  it('links every chart to its SVG file, and every such file is a valid SVG image', async () => {
    const { page, allProblems, context } = await openPage(browser, server.url('/groups/'));
    const links = new Set<string>();
    const category = results.dictionary.categories[0];
    for (const path of ['/groups/', `/categories/${category.slug}/`, '/']) {
      // (networkidle: leaving a page while its favicon loads would count as a failed request)
      if (path === '/groups/') await page.waitForLoadState('networkidle');
      else await page.goto(server.url(path), { waitUntil: 'networkidle' });
      const charts = await page.locator('svg.chart').count();
      const hrefs = await page.locator('.chart-download a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
      expect(hrefs, path).toHaveLength(charts);
      for (const h of hrefs) links.add(h);
    }
    expect(links.size).toBeGreaterThanOrEqual(results.dictionary.categories.length + 1 + 4 + 1);
    // Checked in a blank page: the site's CSP (rightly) refuses the files' own stylesheets inside a page.
    const blank = await context.newPage();
    for (const href of links) {
      const res = await fetch(href);
      expect(res.status, href).toBe(200);
      const text = await res.text();
      // Well-formed XML in the SVG namespace, and the browser draws it as an image.
      const check = await blank.evaluate(async ({ text, href }) => {
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
        const img = new Image();
        img.src = href;
        await img.decode().catch(() => {});
        return { error: doc.querySelector('parsererror')?.textContent ?? null, root: doc.documentElement.namespaceURI, width: img.naturalWidth, links: doc.querySelectorAll('a').length, texts: doc.querySelectorAll('text').length };
      }, { text, href });
      expect(check, href).toMatchObject({ error: null, root: 'http://www.w3.org/2000/svg', links: 0 });
      expect(check.width, href).toBeGreaterThan(0);
      expect(check.texts, href).toBeGreaterThan(2);
    }
    expect(allProblems()).toEqual([]);
    await context.close();
  });
});
