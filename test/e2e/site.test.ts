// The demo report built as a user builds it (`astro build`, default config), served locally and read
// in headless Chromium: overview and category pages show what the results say, charts are SVG, the
// standalone file is self-contained, and no page breaks its CSP or asks another host for anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { RunResult } from '../../integrations/core/types.ts';
import { toCsv, toJson } from '../../integrations/engine/results.ts';
import { buildSite, crawl, filesContaining, launchBrowser, mapLimit, openPage, PAGES_AT_ONCE, REPO_ROOT, serveDir, type BuiltSite, type StaticServer } from './helpers.ts';

let site: BuiltSite;
let server: StaticServer;
let browser: Browser;
let results: RunResult;
/** Screenshots for a person to look at (not compared): $CLIPSCOPE_SHOTS_DIR or the temp folder. */
const SHOTS = process.env.CLIPSCOPE_SHOTS_DIR || join(tmpdir(), 'clipscope-site-shots');

beforeAll(async () => {
  site = await buildSite();
  console.log(`demo build (cold cache): ${site.seconds.toFixed(1)} s`);
  server = await serveDir(site.outDir);
  browser = await launchBrowser();
  results = JSON.parse(await readFile(join(site.outDir, 'downloads', 'results.json'), 'utf8'));
  await mkdir(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await site?.cleanup();
});

function countsByCategory(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const image of results.images) counts.set(image.category, (counts.get(image.category) ?? 0) + 1);
  return counts;
}

describe('the demo site', () => {
  it('logs classification progress and thumbnail work through Astro', () => {
    expect(site.output).toMatch(/\[clipscope\] 14\/14 images · [\d.]+ images\/s · ETA/);
    expect(site.output).toMatch(/\[clipscope\] Thumbnails: \d+ made/);
  });

  it('overview lists every category with the count the results give', async () => {
    const { page, allProblems, context } = await openPage(browser, server.url('/'));
    expect(await page.locator('h1').textContent()).toBe('Classification report');
    const rows = await page.locator('#categories ~ .table-wrap tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())),
    );
    const counts = countsByCategory();
    expect(rows.map((r) => r[0])).toEqual(results.dictionary.categories.map((c) => c.name));
    for (const [name, count] of rows.map((r) => [r[0], Number(r[1])] as const)) expect(count).toBe(counts.get(name) ?? 0);
    // Both charts are SVG with axes labels, drawn without JavaScript.
    expect(await page.locator('svg.chart').count()).toBe(2);
    expect(await page.locator('#probability-distribution-title').textContent()).toContain('Distribution of top-1 probabilities');
    expect(await page.locator('svg.chart .axis-label').allTextContents()).toEqual(expect.arrayContaining(['Images', 'Top-1 probability (%)']));
    expect(await page.locator('script').count()).toBe(0);
    // Downloads resolve.
    for (const href of await page.locator('.downloads a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))) {
      expect((await fetch(href)).status, href).toBe(200);
    }
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  it('a category page shows its samples with probability and second choice, a histogram and phrase wins', async () => {
    const [name, count] = [...countsByCategory()].sort((a, b) => b[1] - a[1])[0];
    const slug = results.dictionary.categories.find((c) => c.name === name)!.slug;
    const { page, allProblems, context } = await openPage(browser, server.url(`categories/${slug}/`));
    expect(await page.locator('h1').textContent()).toBe(name);
    const cards = page.locator('.cards .card');
    expect(await cards.count()).toBe(Math.min(12, count));
    const first = cards.first();
    expect(await first.locator('.prob').textContent()).toMatch(/^\d+\.\d %/);
    expect(await first.locator('.second').textContent()).toMatch(/^2nd: .+\(\d+\.\d %\)$/);
    // The demo scores like the seed (top-1 phrase, top-k 1): the page says the "2nd" is a whole category.
    expect(await page.locator('#samples + p').textContent()).toContain("winning phrase's share among all 14 phrases; “2nd” is the next most probable category");
    // Every thumbnail loaded (naturalWidth > 0) and is no larger than the configured box.
    const sizes = await page.locator('.cards img').evaluateAll((imgs) => imgs.map((i) => [(i as HTMLImageElement).naturalWidth, (i as HTMLImageElement).naturalHeight]));
    expect(sizes.length).toBe(Math.min(12, count));
    for (const [w, h] of sizes) expect(w > 0 && w <= 360 && h <= 360).toBe(true);
    // The confidence histogram: bars whose counts add up to the category size.
    const bars = await page.locator('#confidence ~ .charts svg rect.bar title').allTextContents();
    const total = bars.reduce((s, t) => s + Number(/^(\d+)/.exec(t)![1]), 0);
    expect(total).toBe(count);
    expect(await page.locator('table.phrases tbody tr').count()).toBe(results.dictionary.categories.find((c) => c.name === name)!.phrases.length);
    await page.screenshot({ path: join(SHOTS, 'category.png'), fullPage: true });
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  it('is readable on a phone: nothing wider than the screen', async () => {
    const { page, allProblems, context } = await openPage(browser, server.url('/'), { viewport: { width: 375, height: 800 } });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS, 'overview-phone.png'), fullPage: true });
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  // At phone width: what is serious on a desktop is serious there too, and narrow tables scroll.
  // Light and dark colour schemes (the stylesheet has both).
  it('every page type passes axe-core without serious violations (phone width, light and dark)', async () => {
    const serious = async (page: Page) =>
      (await new AxeBuilder({ page }).analyze()).violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    const slug = results.dictionary.categories[0].slug;
    const paths = ['/', `categories/${slug}/`, `categories/${slug}/lowest-first/1/`, 'dictionary/', 'skipped/', 'validation/'];
    const found = await mapLimit(paths, PAGES_AT_ONCE, async (path) => {
      const { page, context } = await openPage(browser, server.url(path), { viewport: { width: 375, height: 800 } });
      const light = (await serious(page)).map((v) => `${path}: ${v}`);
      await page.emulateMedia({ colorScheme: 'dark' });
      const dark = (await serious(page)).map((v) => `${path} (dark): ${v}`);
      await context.close();
      return [...light, ...dark];
    });
    expect(found.flat()).toEqual([]);
  });

  it('every page and asset loads without CSP violations, console errors or requests to other hosts', async () => {
    const crawled = await crawl(browser, server.url('/'));
    expect(crawled.broken).toEqual([]);
    // overview, dictionary, skipped, one page and two listings per category (each fits one page here)
    expect(crawled.pages.length).toBeGreaterThanOrEqual(3 + 3 * results.dictionary.categories.length);
    expect(crawled.assets.some((a) => a.endsWith('.webp'))).toBe(true);
  });

  it('the standalone overview is one file with embedded images that opens offline', async () => {
    const name = (await readdir(join(site.outDir, 'downloads'))).find((f) => f.endsWith('-CLIP-Classification.html'))!;
    expect(name).toBe(`${results.run.startedAt.slice(0, 10)}-CLIP-Classification.html`);
    const file = join(site.outDir, 'downloads', name);
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'sha256-/);
    expect(text).not.toMatch(/<script|<link|src="(?!data:)/);
    const { page, allProblems, context } = await openPage(browser, `file://${file}`);
    const images = await page.locator('img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(images.length).toBe([...countsByCategory().values()].reduce((s, n) => s + Math.min(n, 12), 0));
    expect(images.every((w) => w > 0)).toBe(true);
    expect(allProblems()).toEqual([]);
    await context.close();
    // On a phone: no sideways scrolling, and every number stays on one line ("57.1 %", not "57.1" over "%").
    const phone = await openPage(browser, `file://${file}`, { viewport: { width: 375, height: 800 } });
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    const wrapped = await phone.page.locator('td.n').evaluateAll((tds) =>
      tds.filter((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
      }).map((td) => td.textContent),
    );
    expect(wrapped).toEqual([]);
    await phone.context.close();
  });

  it('publishes the results as the CLI writes them, and no absolute path of this machine', async () => {
    const csv = await readFile(join(site.outDir, 'downloads', 'results.csv'), 'utf8');
    expect(csv.startsWith('Image,Classification,Classification Label,Classification Probability')).toBe(true);
    expect(csv).toBe(toCsv(results));
    expect(await readFile(join(site.outDir, 'downloads', 'results.json'), 'utf8')).toBe(toJson(results));
    expect(await filesContaining(site.outDir, REPO_ROOT)).toEqual([]);
    expect(await filesContaining(site.outDir, site.outDir)).toEqual([]);
  });
});
