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
import { readRfc4180 } from '../fixtures/rfc4180.ts';

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
    // The summary says what happened to every file the run announced.
    expect(site.output).toMatch(/\[clipscope\] Classified 14 images in [\d.]+ s: \d+ embedded now, \d+ from the cache; nothing skipped\./);
  });

  it('warns, in the build log and first thing on the overview, that the demo model’s results are chance', async () => {
    expect(site.output).toMatch(/\[WARN\] \[clipscope\] These results may be no better than chance\. The model is clipscope’s demo model/);
    const { page, allProblems, context } = await openPage(browser, server.url('/'));
    const warning = page.locator('#chance');
    expect(await warning.locator('h2').textContent()).toContain('Close to chance');
    expect(await warning.textContent()).toContain('demo model (demo-colors)');
    expect(await warning.textContent()).toMatch(/chance level \(1\/K for K categories\)/); // the rule is stated
    // Before the samples and the figures.
    const order = await page.evaluate(() => ['#chance', '#samples', '#categories', '#charts'].map((id) => document.querySelector(id)!.getBoundingClientRect().top));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // The histogram marks chance level 1/K.
    const k = results.dictionary.categories.length;
    expect(await page.locator('#probability-distribution-title + svg .chance-label').textContent()).toBe(`chance 1/${k} = ${(100 / k).toFixed(1)} %`);
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  it('the page observer reports a missing file and a request that fails on its own, not requests a navigation cut off', async () => {
    const { page, allProblems, context } = await openPage(browser, server.url('/'));
    // Aborted by the network (as a cancelled transfer reports itself), with no navigation after it.
    await page.route('**/aborted-on-its-own', (route) => route.abort('aborted'));
    await page.evaluate(async () => {
      await fetch('missing-file.png').catch(() => {});
      await fetch('aborted-on-its-own').catch(() => {});
    });
    await page.reload({ waitUntil: 'load' });
    const failed = allProblems().filter((p) => p.startsWith('failed: '));
    expect(failed.some((p) => p.endsWith('missing-file.png (404)'))).toBe(true);
    expect(failed.some((p) => p.endsWith('aborted-on-its-own (net::ERR_ABORTED)'))).toBe(true);
    expect(failed).toHaveLength(2); // nothing from the first load, which the reload cut off
    await context.close();
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
    expect(await page.locator('#probability-distribution-title').textContent()).toContain('Distribution of category probabilities');
    expect(await page.locator('svg.chart .axis-label').allTextContents()).toEqual(expect.arrayContaining(['Images', 'Category probability (%)']));
    // Scripts are files of the site (the large view), nothing inline.
    const scripts = await page.locator('script').evaluateAll((ss) => ss.map((s) => [(s as HTMLScriptElement).getAttribute('src'), s.textContent]));
    expect(scripts).toHaveLength(1);
    for (const script of scripts) expect(script).toEqual([expect.stringMatching(/^\/_astro\/[\w.-]+\.js$/), '']);
    // Every chart is also a standalone SVG file, linked under it, with the chance level drawn in.
    const links = await page.locator('.chart-download a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toContain('/downloads/charts/overview-probability-distribution.svg');
    const svg = await (await fetch(server.url('/downloads/charts/overview-probability-distribution.svg'))).text();
    expect(svg).toMatch(/<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain(`chance 1/${results.dictionary.categories.length}`);
    // Samples of every category come first: a strip per category with its sampled thumbnails.
    const strips = await page.locator('.strip-section').evaluateAll((ss) => ss.map((s) => [s.querySelector('h3')!.textContent, s.querySelectorAll('a[data-view]').length]));
    expect(strips).toEqual(results.dictionary.categories.map((c) => [c.name, Math.min(6, counts.get(c.name) ?? 0)]));
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
    expect(await first.locator('.prob').textContent()).toMatch(/^\s*\d+\.\d %/);
    expect(await first.locator('.second').textContent()).toMatch(/^2nd: .+\(\d+\.\d %\)$/);
    // The demo scores like the seed: the page says every percentage is a category's, the phrase share labelled.
    expect(await page.locator('#samples + p').textContent()).toContain('Percentages are category probabilities');
    expect(await first.locator('.phrase').textContent()).toMatch(/phrase share \d+\.\d %/);
    // Every card's probability is the results' probability of the image's category (P(<category>)),
    // and the second choice is the second most probable category.
    const shown = await cards.evaluateAll((cs) =>
      cs.map((c) => [c.querySelector('.path')!.textContent, Number(c.querySelector('.prob')!.getAttribute('data-probability')), c.querySelector('.prob')!.textContent!.trim(), c.querySelector('.second')!.textContent]),
    );
    for (const [path, probability, text, second] of shown as [string, number, string, string][]) {
      const image = results.images.find((i) => i.path === path)!;
      expect(probability).toBeCloseTo(image.categories[image.category], 3);
      expect(text.startsWith(`${image.categories[image.category].toFixed(1)} %`)).toBe(true);
      const [other, p] = Object.entries(image.categories).filter(([c]) => c !== image.category).sort((a, b) => b[1] - a[1])[0];
      expect(second).toBe(`2nd: ${other} (${p.toFixed(1)} %)`);
    }
    // Every thumbnail loaded (naturalWidth > 0) and is no larger than the configured box.
    // (Lazy images: each is scrolled to, and the sizes read once all have loaded, up to 15 s.)
    for (const img of await page.locator('.cards img').all()) await img.scrollIntoViewIfNeeded();
    await expect.poll(() => page.locator('.cards img').evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).complete)), { timeout: 15_000 }).toBe(true);
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

  it('every thumbnail opens a large view: 1024 px on the long side (or the image’s own size), all category probabilities, ← → and Esc', async () => {
    // retina.jpg is 1411 × 1411: its large view is 1024 px; coins.png (384 × 303) keeps its size.
    const retina = results.images.find((i) => i.path === 'retina.jpg')!;
    const coins = results.images.find((i) => i.path === 'coins.png')!;
    for (const [image, w, h] of [[retina, 1024, 1024], [coins, 384, 303]] as const) {
      const slug = results.dictionary.categories.find((c) => c.name === image.category)!.slug;
      const { page, allProblems, context } = await openPage(browser, server.url(`categories/${slug}/`));
      const link = page.locator(`.card:has(.path:text-is("${image.path}")) a[data-view]`);
      await link.click();
      const dialog = page.locator('dialog#viewer');
      expect(await dialog.evaluate((d) => (d as HTMLDialogElement).open)).toBe(true);
      const img = dialog.locator('img.viewer-img');
      await img.evaluate((i) => (i as HTMLImageElement).decode());
      expect(await img.evaluate((i) => [(i as HTMLImageElement).naturalWidth, (i as HTMLImageElement).naturalHeight])).toEqual([w, h]);
      expect(await dialog.locator('.viewer-path').textContent()).toBe(image.path);
      // Every category, most probable first, with the results' values.
      const rows = await dialog.locator('.viewer-probs tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
      const expected = Object.entries(image.categories).sort((a, b) => b[1] - a[1]).map(([c, p]) => [c, `${p.toFixed(1)} %`]);
      expect(rows).toEqual(expected);
      await page.keyboard.press('Escape');
      expect(await dialog.evaluate((d) => (d as HTMLDialogElement).open)).toBe(false);
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-path'))).toBe(image.path);
      expect(allProblems()).toEqual([]);
      await context.close();
    }

    // Previous / next by keyboard through the page's thumbnails, wrapping around.
    const [name] = [...countsByCategory()].sort((a, b) => b[1] - a[1])[0];
    const slug = results.dictionary.categories.find((c) => c.name === name)!.slug;
    for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
      const { page, allProblems, context } = await openPage(browser, server.url(`categories/${slug}/`), { viewport });
      const paths = await page.locator('.cards .card .path').allTextContents();
      await page.locator('.cards a[data-view]').first().click();
      const current = () => page.locator('dialog#viewer .viewer-path').textContent();
      expect(await current()).toBe(paths[0]);
      await page.keyboard.press('ArrowRight');
      expect(await current()).toBe(paths[1]);
      expect(await page.locator('dialog#viewer .viewer-count').textContent()).toBe(`2 of ${paths.length}`);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      expect(await current()).toBe(paths.at(-1));
      // The view fits the screen: no sideways scrolling, the image inside the window.
      const box = await page.locator('dialog#viewer img.viewer-img').boundingBox();
      expect(box!.x >= 0 && box!.x + box!.width <= viewport.width + 1).toBe(true);
      await page.screenshot({ path: join(SHOTS, `large-view-${viewport.width}.png`) });
      // The open view passes axe-core too, light and dark.
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        const serious = (await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
        expect(serious, colorScheme).toEqual([]);
      }
      await page.keyboard.press('Escape');
      expect(allProblems()).toEqual([]);
      await context.close();
    }
  });

  it('the large view goes to the next / previous image with a swipe on a touch screen', async () => {
    const [name] = [...countsByCategory()].sort((a, b) => b[1] - a[1])[0];
    const slug = results.dictionary.categories.find((c) => c.name === name)!.slug;
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    const page = await context.newPage();
    await page.goto(server.url(`categories/${slug}/`));
    const paths = await page.locator('.cards .card .path').allTextContents();
    await page.locator('.cards a[data-view]').first().tap();
    const current = () => page.locator('dialog#viewer .viewer-path').textContent();
    expect(await current()).toBe(paths[0]);
    const swipe = (from: number, to: number) =>
      page.locator('dialog#viewer').evaluate((dialog, [x0, x1]) => {
        const touch = (x: number) => new Touch({ identifier: 1, target: dialog, clientX: x, clientY: 300 });
        dialog.dispatchEvent(new TouchEvent('touchstart', { changedTouches: [touch(x0)], bubbles: true }));
        dialog.dispatchEvent(new TouchEvent('touchend', { changedTouches: [touch(x1)], bubbles: true }));
      }, [from, to]);
    await swipe(300, 100); // right to left: next
    expect(await current()).toBe(paths[1]);
    await swipe(100, 300); // left to right: previous
    expect(await current()).toBe(paths[0]);
    await swipe(200, 180); // too short: stays
    expect(await current()).toBe(paths[0]);
    await context.close();
  });

  it('Explore filters every image in the browser: live counts, the grid, the filtered list as CSV', async () => {
    const { page, allProblems, context } = await openPage(browser, server.url('explore/'));
    const count = page.locator('#explore-count');
    await expect.poll(() => count.textContent()).toBe(`${results.images.length} of ${results.images.length} images match.`);
    expect(await page.locator('#explore-grid li').count()).toBe(results.images.length);
    // One page of 300: the same pager above and below the grid, both buttons disabled.
    const pagers = page.locator('nav[data-pager]');
    expect(await pagers.count()).toBe(2);
    const [gridTop, topPager, bottomPager] = await Promise.all(['#explore-grid', 'nav[data-pager] >> nth=0', 'nav[data-pager] >> nth=1'].map((s) => page.locator(s).evaluate((el) => el.getBoundingClientRect().top)));
    expect(topPager).toBeLessThan(gridTop);
    expect(bottomPager).toBeGreaterThan(gridTop);
    expect(await pagers.locator('.explore-page').allTextContents()).toEqual(['Page 1 of 1', 'Page 1 of 1']);
    expect(await pagers.locator('button').evaluateAll((bs) => bs.map((b) => (b as HTMLButtonElement).disabled))).toEqual([true, true, true, true]);
    // No posts table with days in the demo: no day filter, no day sort.
    expect(await page.locator('input[name=dateFrom]').count()).toBe(0);
    expect(await page.locator('select[name=sort] option[value=date]').count()).toBe(0);
    // Sorting by category probability: the first tile is the most (descending) or least (ascending)
    // probable image, ties in path order.
    const firstTile = () => page.locator('#explore-grid a[data-view]').first().getAttribute('data-path');
    const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
    const ps = results.images.map((i) => ({ path: i.path, p: Math.round(i.categories[i.category] * 10) / 10 }));
    const desc = [...ps].sort((a, b) => b.p - a.p || byPath(a, b));
    const asc = [...ps].sort((a, b) => a.p - b.p || byPath(a, b));
    expect(await firstTile()).toBe([...ps].sort(byPath)[0].path);
    await page.locator('select[name=sort]').selectOption('p');
    await page.locator('select[name=order]').selectOption('desc');
    expect(await firstTile()).toBe(desc[0].path);
    await page.locator('select[name=order]').selectOption('asc');
    expect(await firstTile()).toBe(asc[0].path);
    expect(asc[0].path).not.toBe(desc[0].path);
    await page.locator('select[name=sort]').selectOption('path');
    // A category: the count is the category's size.
    const [name, size] = [...countsByCategory()].sort((a, b) => b[1] - a[1])[0];
    await page.locator('select[name=category]').selectOption({ label: name });
    expect(await count.textContent()).toBe(`${size} of ${results.images.length} images match.`);
    expect(await page.locator('#explore-grid li').count()).toBe(size);
    // And a probability range: those of the category with P(category) of at least 99.5 %.
    await page.locator('input[name=pMin]').fill('99.5');
    const expected = results.images.filter((i) => i.category === name && Math.round(i.categories[i.category] * 10) / 10 >= 99.5).sort(byPath);
    expect(await count.textContent()).toBe(`${expected.length} of ${results.images.length} images match.`);
    // The filtered list downloads as CSV.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#explore-csv').click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    const [header, ...rows] = readRfc4180(csv);
    expect(header.join(',')).toBe('Image,Category,Category probability,Margin,Second category,Second probability,Groups,Dates,Phrase');
    expect(rows.map((r) => r[0])).toEqual(expected.map((i) => i.path)); // in the grid's order
    // A tile opens the large view.
    expect(expected.length).toBeGreaterThan(0);
    await page.locator('#explore-grid a[data-view]').first().click();
    expect(await page.locator('dialog#viewer .viewer-path').textContent()).toBe(expected[0].path);
    await page.keyboard.press('Escape');
    await page.screenshot({ path: join(SHOTS, 'explore.png'), fullPage: true });
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  it('Explore pages through more than 300 matches with the pager above or below the grid', async () => {
    const { page, allProblems, context } = await openPage(browser, server.url('explore/'));
    // The demo has 14 images: serve an index of 50 copies of each (700 images, three pages).
    const real = JSON.parse(await readFile(join(site.outDir, '_clipscope', 'explore.json'), 'utf8')) as Record<string, unknown[]>;
    const copies = 50;
    const big: Record<string, unknown> = { ...real };
    for (const [key, column] of Object.entries(real)) {
      if (!Array.isArray(column) || column.length !== results.images.length) continue;
      big[key] = Array.from({ length: copies }, (_, k) => (key === 'path' ? column.map((p) => `${String(k).padStart(2, '0')}/${p}`) : column)).flat();
    }
    await page.route('**/_clipscope/explore.json', (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(big) }));
    await page.reload();
    const total = results.images.length * copies;
    await expect.poll(() => page.locator('#explore-count').textContent()).toBe(`${total} of ${total} images match.`);
    const state = async () => ({
      text: await page.locator('nav[data-pager] .explore-page').allTextContents(),
      disabled: await page.locator('nav[data-pager] button').evaluateAll((bs) => bs.map((b) => (b as HTMLButtonElement).disabled)),
      tiles: await page.locator('#explore-grid li').count(),
      first: await page.locator('#explore-grid a[data-view]').first().getAttribute('data-path'),
    });
    const paths = (big.path as string[]).slice().sort();
    expect(await state()).toEqual({ text: ['Page 1 of 3', 'Page 1 of 3'], disabled: [true, false, true, false], tiles: 300, first: paths[0] });
    await page.locator('nav[data-pager] >> nth=1').getByRole('button', { name: 'Next page' }).click(); // below the grid
    expect(await state()).toEqual({ text: ['Page 2 of 3', 'Page 2 of 3'], disabled: [false, false, false, false], tiles: 300, first: paths[300] });
    await page.locator('nav[data-pager] >> nth=0').getByRole('button', { name: 'Next page' }).press('Enter'); // above, by keyboard
    expect(await state()).toEqual({ text: ['Page 3 of 3', 'Page 3 of 3'], disabled: [false, true, false, true], tiles: total - 600, first: paths[600] });
    await page.locator('nav[data-pager] >> nth=0').getByRole('button', { name: 'Previous page' }).click();
    expect((await state()).first).toBe(paths[300]);
    // A change of filter or order starts again at page 1.
    await page.locator('select[name=order]').selectOption('desc');
    expect(await state()).toEqual({ text: ['Page 1 of 3', 'Page 1 of 3'], disabled: [true, false, true, false], tiles: 300, first: paths.at(-1) });
    // Paging replaces tiles whose thumbnails were still loading: the browser cancels those (aborted).
    expect(allProblems().filter((p) => !(p.includes('/_clipscope/thumbs/') && p.endsWith('(net::ERR_ABORTED)')))).toEqual([]);
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
    const paths = ['/', `categories/${slug}/`, `categories/${slug}/lowest-first/1/`, 'explore/', 'dictionary/', 'skipped/', 'validation/'];
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
