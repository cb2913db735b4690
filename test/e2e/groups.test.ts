// The Groups page (issue 9) built from a posts table, as a user builds it: CLIPSCOPE_TABLE,
// CLIPSCOPE_IMAGES_ROOT, CLIPSCOPE_GROUP_BY and CLIPSCOPE_DATE_COLUMN point `astro build` at a small
// posts CSV (extra columns, Unicode, duplicates, a missing file, an empty path) whose images are the
// demo images. Read in headless Chromium: the chart panels, the table of shares with intervals, the
// links to a group × category cell, the split on the category page and the time chart — the numbers
// checked against the published results.json, counted here independently.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../integrations/core/types.ts';
import { buildSite, filesContaining, launchBrowser, openPage, REPO_ROOT, serveDir, type BuiltSite, type StaticServer } from './helpers.ts';

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

let dir: string;
let site: BuiltSite;
let server: StaticServer;
let browser: Browser;
let results: RunResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clipscope-groups-'));
  await writeFile(join(dir, 'posts.csv'), POSTS);
  site = await buildSite({
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
    expect(await page.locator('.time-chart .series').count()).toBe(categories.length);
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
});
