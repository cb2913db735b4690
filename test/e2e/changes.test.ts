// "Changed since the last build", as a user gets it: `astro build` twice with the same cache, the
// demo model and images, the second time with a copy of content/dictionary.yaml in which one phrase
// moved to another category. The first build has no changes page (no previous run) and no link to
// one; the second lists exactly the images whose category differs between the two published
// results.json files (compared here independently), says what it compares, and links it.
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../integrations/core/types.ts';
import { buildSite, launchBrowser, openPage, REPO_ROOT, serveDir, type BuiltSite, type StaticServer } from './helpers.ts';

let dir: string;
let first: BuiltSite;
let second: BuiltSite;
let server: StaticServer;
let browser: Browser;
let before: RunResult;
let after: RunResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clipscope-changes-'));
  const dictionary = join(dir, 'dictionary.yaml');
  const cacheDir = join(dir, 'cache');
  await copyFile(join(REPO_ROOT, 'content', 'dictionary.yaml'), dictionary);
  first = await buildSite({ cacheDir, env: { CLIPSCOPE_DICTIONARY: dictionary } });
  // "a warm brown photo" moves from "Warm and brown" to "Red".
  const text = await readFile(dictionary, 'utf8');
  const moved = text.replace('  - "a warm brown photo"\n', '').replace('  - "a fiery red image"\n', '  - "a fiery red image"\n  - "a warm brown photo"\n');
  expect(moved).not.toBe(text);
  await writeFile(dictionary, moved);
  second = await buildSite({ cacheDir, env: { CLIPSCOPE_DICTIONARY: dictionary } });
  before = JSON.parse(await readFile(join(first.outDir, 'downloads', 'results.json'), 'utf8'));
  after = JSON.parse(await readFile(join(second.outDir, 'downloads', 'results.json'), 'utf8'));
  server = await serveDir(second.outDir);
  browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await first?.cleanup();
  await second?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Paths of the images in both runs (same path and bytes) whose category differs, by path. */
function expectedChanges(): { path: string; from: string; to: string }[] {
  const old = new Map(before.images.map((i) => [`${i.sha256} ${i.path}`, i.category]));
  return after.images
    .filter((i) => old.has(`${i.sha256} ${i.path}`) && old.get(`${i.sha256} ${i.path}`) !== i.category)
    .map((i) => ({ path: i.path, from: old.get(`${i.sha256} ${i.path}`)!, to: i.category }));
}

describe('the changes page', () => {
  it('is absent after the first build, and not linked', async () => {
    expect(await stat(join(first.outDir, 'changes')).catch(() => null)).toBeNull();
    expect(await readFile(join(first.outDir, 'index.html'), 'utf8')).not.toContain('/changes/');
  });

  it('lists exactly the images whose category changed, says what it compares, and is linked', async () => {
    const expected = expectedChanges();
    // The moved phrase is the best phrase of these demo images (the demo model measures colour).
    expect(expected.map((e) => e.path)).toEqual(['chelsea.png', 'coffee.png']);

    const home = await openPage(browser, server.url('/'));
    const link = home.page.locator('.site-nav a', { hasText: 'Changed' });
    expect(await link.textContent()).toBe(`Changed (${expected.length})`);
    await link.click();
    await home.page.waitForURL(/\/changes\/$/);
    await home.context.close();

    const { page, allProblems, context } = await openPage(browser, server.url('/changes/'));
    expect(await page.locator('h1').textContent()).toBe('Changed since the last build');
    expect(await page.locator('.site-nav a[aria-current="page"]').textContent()).toBe(`Changed (${expected.length})`);
    const rows = await page.locator('table.changed-images tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ path: tr.querySelector('.path')!.textContent!.trim(), from: tr.querySelector('.old-category')!.textContent!.trim(), to: tr.querySelector('.new-category')!.textContent!.trim() })),
    );
    expect(rows).toEqual(expected);
    // What is compared: the two runs' dates and dictionary hashes.
    const compared = await page.locator('dl.compared').textContent();
    expect(compared).toContain(before.run.dictionary.hash.slice(0, 16));
    expect(compared).toContain(after.run.dictionary.hash.slice(0, 16));
    expect(compared).toContain(before.run.startedAt.slice(0, 10));
    expect(before.run.dictionary.hash).not.toBe(after.run.dictionary.hash);
    expect(await page.locator('p.note').first().textContent()).toContain('The dictionary changed between the builds');
    // Category sizes before → after, counted here from the two results files.
    const sizes = await page.locator('table.category-sizes tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent!.trim())));
    const count = (r: RunResult, c: string) => String(r.images.filter((i) => i.category === c).length);
    expect(sizes).toEqual(after.dictionary.categories.map((c) => [c.name, count(before, c.name), count(after, c.name)]));
    // Each changed image's new category links to its page, and the thumbnails load.
    const newHref = await page.locator('table.changed-images tbody tr').first().locator('.new-category a').getAttribute('href');
    expect(newHref).toBe('/categories/red/');
    await page.locator('table.changed-images img').first().scrollIntoViewIfNeeded();
    const serious = (await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
    expect(serious).toEqual([]);
    expect(allProblems()).toEqual([]);
    await context.close();
  });
});
