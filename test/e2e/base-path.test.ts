// The report as GitHub Pages serves a project site: built with CLIPSCOPE_BASE=/my-repo/ from another
// image folder and dictionary (CLIPSCOPE_IMAGES, CLIPSCOPE_DICTIONARY) whose file names are hostile,
// served under /my-repo/ only. A crawler follows every internal link and asset: none may be broken,
// leave the base path or go to another host; names show as text, never as markup; and no absolute
// path of the build machine ends up in dist/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { RunResult } from '../../integrations/core/types.ts';
import { buildSite, crawl, filesContaining, launchBrowser, mapLimit, openPage, PAGES_AT_ONCE, REPO_ROOT, serveDir, type BuiltSite, type StaticServer } from './helpers.ts';

// A marker in the absolute path of the input folder: if any page, asset or download contained the
// path, grepping dist/ for the marker finds it.
const MARKER = 'cs-abs-path-marker-93b1';

// File names cannot contain "/", so markup in names has no closing slashes. (Names starting with a dot
// are hidden files, which discovery skips by design.)
const NAMES: [string, string][] = [
  ['coffee.png', '<script>alert(1)<script>.png'],
  ['horse.png', '"><img src=x onerror=alert(2)>.png'],
  ['retina.jpg', "quote's \"double\".jpg"],
  ['rocket.jpg', 'emoji 🚀 ünïcödé.jpg'],
  ['text.png', 'up ..%2F..%2Fescape &amp; #hash?.png'],
  ['astronaut.png', 'sub dir/x..weird/a b.png'],
  ['chelsea.png', 'sub dir/&lt;entity&gt;.png'],
];

let work: string;
let site: BuiltSite;
let server: StaticServer;
let browser: Browser;
let results: RunResult;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), `${MARKER}-`));
  const images = join(work, 'images');
  for (const [from, to] of NAMES) {
    await mkdir(join(images, to, '..'), { recursive: true });
    await copyFile(join(REPO_ROOT, 'content', 'images', from), join(images, to));
  }
  await writeFile(join(images, 'broken.png'), 'this is not a PNG');
  // A dictionary whose category names need escaping too (the demo model reads colour words).
  await writeFile(
    join(work, 'dictionary.yaml'),
    [
      '"Warm <b>brown</b> & orange":',
      '  - "a warm brown photo"',
      '  - "an orange and brown picture"',
      '"Blue \\"cold\\" pictures":',
      '  - "a cold blue picture"',
      '"Grey 🩶":',
      '  - "a black and white photo"',
      // No image goes here: its page shows the images that came closest.
      '"Never <i>chosen</i>":',
      '  - "a colourful picture"',
      '',
    ].join('\n'),
  );
  site = await buildSite({
    env: { CLIPSCOPE_BASE: '/my-repo/', CLIPSCOPE_IMAGES: images, CLIPSCOPE_DICTIONARY: join(work, 'dictionary.yaml') },
    cacheDir: join(work, 'cache'),
  });
  console.log(`base-path build: ${site.seconds.toFixed(1)} s`);
  server = await serveDir(site.outDir, { base: '/my-repo/' });
  browser = await launchBrowser();
  results = JSON.parse(await readFile(join(site.outDir, 'downloads', 'results.json'), 'utf8'));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await site?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a site under /my-repo/ from another folder', () => {
  it('classified the other folder with the other dictionary', () => {
    expect(results.images.map((i) => i.path).sort()).toEqual(NAMES.map(([, to]) => to).sort());
    expect(results.dictionary.categories.map((c) => c.name)).toEqual(['Warm <b>brown</b> & orange', 'Blue "cold" pictures', 'Grey 🩶', 'Never <i>chosen</i>']);
    expect(results.skipped.map((s) => s.path)).toEqual(['broken.png']);
  });

  it('has no broken internal link or asset, and nothing outside /my-repo/ or on another host', async () => {
    const crawled = await crawl(browser, server.url('/'));
    expect(crawled.broken).toEqual([]);
    expect(crawled.pages.length).toBeGreaterThanOrEqual(3 + 3 * 3);
    expect(crawled.assets.some((a) => a.includes('/my-repo/_astro/') && a.endsWith('.css'))).toBe(true);
    expect(crawled.assets.filter((a) => a.endsWith('.webp')).length).toBeGreaterThan(0);
    expect(crawled.assets.some((a) => a.endsWith('/downloads/results.csv'))).toBe(true);
    // Nothing was requested outside the base path (the server answers those with 404 anyway).
    expect(server.requests.filter((r) => !r.path.startsWith('/my-repo/'))).toEqual([]);
  });

  it('shows hostile file and category names as text, never as markup', async () => {
    const dialogs: string[] = [];
    const category = results.dictionary.categories[0];
    await mapLimit(['/', 'skipped/', 'dictionary/', `categories/${category.slug}/`, `categories/${category.slug}/lowest-first/1/`], PAGES_AT_ONCE, async (path) => {
      const { page, allProblems, context } = await openPage(browser, server.url(path));
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      // No element came from a name: no <b>, no extra <img> without a thumbnail source, no <script>
      // but the site's own large-view script file (under the base path, nothing inline).
      expect(await page.locator('main b').count()).toBe(0);
      const scripts = await page.locator('script').evaluateAll((ss) => ss.map((s) => [s.getAttribute('src'), s.textContent]));
      for (const script of scripts) expect(script).toEqual([expect.stringMatching(/^\/my-repo\/_astro\/[\w.-]+\.js$/), '']);
      const srcs = await page.locator('img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('src')!));
      for (const src of srcs) expect(src).toMatch(/^\/my-repo\/_clipscope\/thumbs\/[0-9a-f]{24}-\d+\.webp$/);
      expect(allProblems()).toEqual([]);
      if (path === '/') expect(await page.locator('main').textContent()).toContain('Warm <b>brown</b> & orange');
      if (path === 'skipped/') expect(await page.locator('main').textContent()).toContain('broken.png');
      if (path.endsWith('lowest-first/1/')) {
        const shown = await page.locator('.row .path').allTextContents();
        const expected = results.images.filter((i) => i.category === category.name).map((i) => i.path);
        expect(shown.map((s) => s.replace(/^\d+\./, '')).sort()).toEqual(expected.sort());
      }
      await context.close();
    });
    expect(dialogs).toEqual([]);
  });

  it('an empty category shows the images that came closest to it, not an empty histogram', async () => {
    const never = results.dictionary.categories[3];
    expect(results.images.filter((i) => i.category === never.name)).toEqual([]);
    const { page, allProblems, context } = await openPage(browser, server.url(`categories/${encodeURIComponent(never.slug)}/`));
    expect(await page.locator('#closest').textContent()).toContain(`came closest: they have the highest probabilities of ${never.name}`);
    expect(await page.locator('#confidence').count()).toBe(0);
    const cards = await page.locator('.cards .card').evaluateAll((cs) => cs.map((c) => [c.querySelector('.path')!.textContent, Number(c.querySelector('.prob')!.getAttribute('data-probability'))]));
    const expected = results.images.map((i) => [i.path, i.categories[never.name]] as const).sort((a, b) => b[1] - a[1]).slice(0, 12);
    expect(cards.map((c) => c[0])).toEqual(expected.map((e) => e[0]));
    for (const [i, [, p]] of cards.entries()) expect(p).toBeCloseTo(expected[i][1], 3);
    expect(allProblems()).toEqual([]);
    await context.close();
  });

  it('encodes names in URLs so that every category page resolves', async () => {
    for (const c of results.dictionary.categories) {
      const res = await fetch(server.url(`categories/${encodeURIComponent(c.slug)}/`));
      expect(res.status, c.name).toBe(200);
    }
  });

  it('leaves no absolute path of the build machine in dist/', async () => {
    expect(await filesContaining(site.outDir, MARKER)).toEqual([]);
    expect(await filesContaining(site.outDir, REPO_ROOT)).toEqual([]);
    expect(await filesContaining(site.outDir, site.outDir)).toEqual([]);
  });
});
