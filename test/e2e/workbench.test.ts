// The Workbench page in headless Chromium: the baseline equals the build (demo model and a synthetic
// one); an edit (a category removed, a phrase moved to another category) moves exactly the images it
// should — the expectation computed here from the published embeddings with plain loops (seed
// scoring: an image goes to the category of its most similar phrase, the first listed on a tie),
// independently of core/score.ts; a broken dictionary shows the message the build prints for it; the
// exported YAML builds to the same numbers; the page keeps working offline once loaded; the accuracy
// against the coders and its holdout. Screenshots at 1280 and 390 px, light and dark, go to
// $CLIPSCOPE_SHOTS_DIR or <tmpdir>/clipscope-site-shots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { ImageResult, RunResult } from '../../integrations/core/types.ts';
import type { WorkbenchData } from '../../integrations/core/workbench.ts';
import { JUDGEMENTS_SCHEMA, serialiseJudgements, type JudgementItem } from '../../integrations/core/judgements.ts';
import { buildSite, launchBrowser, openPage, REPO_ROOT, serveDir, tearDown, type BuiltSite, type OpenedPage, type StaticServer } from './helpers.ts';

const SHOTS = process.env.CLIPSCOPE_SHOTS_DIR || join(tmpdir(), 'clipscope-site-shots');
/** Points the page's probabilities may differ from a build's (the baseline rule). */
const TOLERANCE = 0.05;

let work: string;
let cacheDir: string;
let site: BuiltSite;
let server: StaticServer;
let browser: Browser;
let result: RunResult;
let data: WorkbenchData;
let imageRows: Float32Array;
let phraseRows: Float32Array;
const opened: OpenedPage[] = [];

async function readF32(file: string): Promise<Float32Array> {
  const b = await readFile(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

async function published(outDir: string): Promise<{ data: WorkbenchData; images: Float32Array; phrases: Float32Array; result: RunResult }> {
  const d = JSON.parse(await readFile(join(outDir, '_clipscope', 'workbench', 'workbench.json'), 'utf8')) as WorkbenchData;
  const parts = await Promise.all(d.embeddings.images.map((p) => readF32(join(outDir, ...p.file.split('/')))));
  const images = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    images.set(p, o);
    o += p.length;
  }
  return { data: d, images, phrases: await readF32(join(outDir, ...d.embeddings.phrases.split('/'))), result: JSON.parse(await readFile(join(outDir, 'downloads', 'results.json'), 'utf8')) as RunResult };
}

/** Seed scoring by hand: each image's category is that of its most similar phrase (first on ties). */
function expectedCategories(dictionary: Record<string, string[]>): string[] {
  const row = new Map(data.phrases.map((p, i) => [p.text, i]));
  const dim = data.dim;
  const flat = Object.entries(dictionary).flatMap(([category, phrases]) => phrases.map((text) => ({ category, r: row.get(text)! })));
  return data.images.map((_, i) => {
    let best = -Infinity;
    let category = '';
    for (const p of flat) {
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += imageRows[i * dim + k] * phraseRows[p.r * dim + k];
      if (dot > best) {
        best = dot;
        category = p.category;
      }
    }
    return category;
  });
}

async function open(url: string, viewport = { width: 1280, height: 900 }): Promise<OpenedPage> {
  const o = await openPage(browser, url, { viewport });
  opened.push(o);
  await o.page.waitForSelector('#workbench[data-ready="true"]', { timeout: 30_000 });
  return o;
}

/** Replace the editor's text and wait for the page to re-score (or to report problems). */
async function edit(o: OpenedPage, text: string, expect: 'render' | 'status' = 'render'): Promise<void> {
  const page = o.page;
  const before = await page.getAttribute('#workbench', 'data-renders');
  const status = await page.textContent('#wb-status');
  await page.fill('#wb-text', text);
  if (expect === 'render') await page.waitForFunction((b) => document.getElementById('workbench')!.dataset.renders !== b, before, { timeout: 15_000 });
  else await page.waitForFunction((s) => document.getElementById('wb-status')!.textContent !== s || document.getElementById('wb-problems')!.childElementCount > 0, status, { timeout: 15_000 });
}

async function changedOnPage(o: OpenedPage): Promise<{ path: string; from: string; to: string }[]> {
  return o.page.$$eval('#wb-changed li', (items) => items.map((li) => ({ path: li.getAttribute('data-path')!, from: li.getAttribute('data-from')!, to: li.getAttribute('data-to')! })));
}

async function sizesOnPage(o: OpenedPage): Promise<Record<string, [number, number]>> {
  const rows = await o.page.$$eval('#wb-sizes tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-category')!, Number(tr.children[1].textContent), Number(tr.children[2].textContent)] as const));
  return Object.fromEntries(rows.map(([c, b, a]) => [c, [b, a]]));
}

const demoDictionary = async () => parseYaml(await readFile(join(REPO_ROOT, 'content', 'dictionary.yaml'), 'utf8')) as Record<string, string[]>;

/** The edit under test: "Warm and brown" removed, "a grey monochrome picture" moved to "Dark". */
function edited(dictionary: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [c, phrases] of Object.entries(dictionary)) {
    if (c === 'Warm and brown') continue;
    out[c] = phrases.filter((p) => p !== 'a grey monochrome picture');
  }
  out.Dark.push('a grey monochrome picture');
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'clipscope-workbench-'));
  cacheDir = join(work, 'cache');
  await mkdir(SHOTS, { recursive: true });
  await mkdir(join(work, 'empty'));
  // First build without judgements: the run's images and categories, for judgement files.
  const first = await buildSite({ cacheDir, env: { CLIPSCOPE_VALIDATION_DIR: join(work, 'empty') } });
  const firstResult = JSON.parse(await readFile(join(first.outDir, 'downloads', 'results.json'), 'utf8')) as RunResult;
  await first.cleanup();
  // One coder judged every image: Right, except "Black and white" images judged Wrong → "Dark"
  // (so moving their phrase to Dark improves the edited dictionary's accuracy on them).
  const items: JudgementItem[] = firstResult.images.map((img: ImageResult) => ({
    sha256: img.sha256,
    path: img.path,
    predicted: img.category,
    label: img.label,
    probability: img.probability,
    judgedAt: '2026-01-01T10:00:00.000Z',
    ...(img.category === 'Black and white' ? { verdict: 'wrong' as const, correction: 'Dark' } : { verdict: 'right' as const }),
  }));
  const dir = join(work, 'validation');
  await mkdir(dir);
  await writeFile(
    join(dir, 'ada.json'),
    serialiseJudgements({
      schema: JUDGEMENTS_SCHEMA,
      run: { model: firstResult.run.model.name, modelChecksum: firstResult.run.model.checksum, dictionaryHash: firstResult.run.dictionary.hash },
      coder: 'Ada',
      role: 'coder',
      mode: 'shown',
      exportedAt: '2026-01-01T12:00:00.000Z',
      items,
    }),
  );
  site = await buildSite({ cacheDir, env: { CLIPSCOPE_VALIDATION_DIR: dir } });
  ({ data, images: imageRows, phrases: phraseRows, result } = await published(site.outDir));
  server = await serveDir(site.outDir);
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await tearDown({ opened, browser, server, site, work });
});

describe('the workbench data', () => {
  it('is published with the build’s results, and the build log gives its size', () => {
    expect(site.output).toMatch(/Workbench: [\d.]+ kB of data/);
    expect(data.images.map((i) => [i.path, i.category])).toEqual(result.images.map((i) => [i.path, i.category]));
    expect(data.run.scoring).toBe('seed');
    expect(data.run.minProbability).toBeNull();
    expect(imageRows.length).toBe(result.images.length * data.dim);
    // Independent check of the published embeddings: the hand-computed seed categories are the build's.
    expect(expectedCategories(Object.fromEntries(result.dictionary.categories.map((c) => [c.name, c.phrases.map((p) => p.text)])))).toEqual(result.images.map((i) => i.category));
  });
});

describe('the Workbench page', () => {
  it('matches the build before any edit, and is linked in the navigation', async () => {
    const o = await open(server.url('/workbench/'));
    expect(await o.page.isVisible('#wb-export-note')).toBe(false);
    expect(await o.page.textContent('#wb-baseline')).toBe(`Matches the build: ${result.images.length} of ${result.images.length} images.`);
    expect(await o.page.getAttribute('.site-nav a[aria-current="page"]', 'href')).toMatch(/\/workbench\/?$/);
    expect(await changedOnPage(o)).toEqual([]);
    expect(o.allProblems()).toEqual([]);
  });

  it('moves exactly the images an edit should move (a category removed, a phrase moved)', async () => {
    const o = await open(server.url('/workbench/'));
    const next = edited(await demoDictionary());
    await edit(o, stringifyYaml(next));
    const after = expectedCategories(next);
    const expected = result.images.flatMap((img, i) => (after[i] !== img.category ? [{ path: img.path, from: img.category, to: after[i] }] : []));
    expect(expected.length).toBeGreaterThan(0); // the edit does move images
    expect(await changedOnPage(o)).toEqual(expected);
    const sizes = await sizesOnPage(o);
    for (const c of [...new Set([...result.images.map((i) => i.category), ...after])]) {
      expect(sizes[c], c).toEqual([result.images.filter((i) => i.category === c).length, after.filter((a) => a === c).length]);
    }
    expect(await o.page.getAttribute('#wb-status', 'data-state')).toBe('current');
  });

  it('shows the message the build prints for a broken dictionary, and keeps the last result', async () => {
    const bad = '"Red":\n  - "a red picture"\n"Blue":\n  - 42\n  - "a red picture"\n';
    const badFile = join(work, 'bad', 'dictionary.yaml');
    await mkdir(join(work, 'bad'));
    await writeFile(badFile, bad);
    const failed = await buildSite({ cacheDir, expectFailure: true, env: { CLIPSCOPE_DICTIONARY: badFile } });
    await failed.cleanup();
    const o = await open(server.url('/workbench/'));
    await edit(o, bad, 'status');
    const shown = (await o.page.textContent('#wb-message'))!;
    // Every line the page shows is in the build's output (the build names the file with its folder).
    const lines = shown.split('\n').map((l) => l.trim()).filter(Boolean);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(failed.output.replaceAll(`${join(work, 'bad')}/`, ''), line).toContain(line.replace(/^clipscope: /, '').replace(/^→ /, ''));
    expect(shown).toMatch(/dictionary\.yaml:4:\d+/);
    expect(await o.page.getAttribute('#wb-status', 'data-state')).toBe('stale');
    expect(await o.page.isDisabled('#wb-download')).toBe(true);
  }, 120_000);

  it('exports YAML that builds to the same numbers', async () => {
    const o = await open(server.url('/workbench/'));
    await edit(o, stringifyYaml(edited(await demoDictionary())));
    const shownChanged = await changedOnPage(o);
    const shownSizes = await sizesOnPage(o);
    const probabilities = await o.page.$$eval('#wb-changed li .move', (ps) => ps.map((p) => Number(/\(([\d.]+)\s*%\)/.exec(p.textContent ?? '')?.[1])));
    const [download] = await Promise.all([o.page.waitForEvent('download'), o.page.click('#wb-download')]);
    expect(download.suggestedFilename()).toBe('dictionary-edited.yaml');
    const exported = join(work, 'export', 'dictionary.yaml');
    await mkdir(join(work, 'export'));
    await download.saveAs(exported);
    expect(await readFile(exported, 'utf8')).toBe(await o.page.inputValue('#wb-text'));
    await o.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await o.page.click('#wb-copy');
    await o.page.waitForFunction(() => document.getElementById('wb-copied')?.textContent === 'Copied.');
    expect(await o.page.evaluate(() => navigator.clipboard.readText())).toBe(await readFile(exported, 'utf8'));

    const again = await buildSite({ cacheDir, env: { CLIPSCOPE_DICTIONARY: exported, CLIPSCOPE_VALIDATION_DIR: join(work, 'empty') } });
    try {
      const rebuilt = JSON.parse(await readFile(join(again.outDir, 'downloads', 'results.json'), 'utf8')) as RunResult;
      const changed = result.images.flatMap((img, i) => (rebuilt.images[i].category !== img.category ? [{ path: img.path, from: img.category, to: rebuilt.images[i].category }] : []));
      expect(changed).toEqual(shownChanged);
      for (const [c, [, after]] of Object.entries(shownSizes)) expect(rebuilt.images.filter((i) => i.category === c).length, c).toBe(after);
      // Probabilities of the moved images: the page rounds to one decimal.
      shownChanged.forEach((c, k) => {
        const img = rebuilt.images.find((i) => i.path === c.path)!;
        expect(Math.abs(img.probability - probabilities[k]), c.path).toBeLessThanOrEqual(0.05 + TOLERANCE);
      });
    } finally {
      await again.cleanup();
    }
  }, 180_000);

  it('keeps the edit in the browser across a reload, until it is discarded', async () => {
    const o = await open(server.url('/workbench/'));
    const text = stringifyYaml(edited(await demoDictionary()));
    await edit(o, text);
    const changed = await changedOnPage(o);
    await o.page.reload();
    await o.page.waitForSelector('#workbench[data-ready="true"]');
    await o.page.waitForFunction(() => document.getElementById('wb-changed')!.childElementCount > 0);
    expect(await o.page.inputValue('#wb-text')).toBe(text);
    expect(await changedOnPage(o)).toEqual(changed);
    await o.page.click('#wb-reset');
    await o.page.reload();
    await o.page.waitForSelector('#workbench[data-ready="true"]');
    expect(await o.page.inputValue('#wb-text')).toBe(data.dictionary.text);
    expect(await changedOnPage(o)).toEqual([]);
  });

  it('keeps working offline once loaded', async () => {
    const o = await open(server.url('/workbench/'));
    await o.context.setOffline(true);
    const next = await demoDictionary();
    delete next.Red;
    await edit(o, stringifyYaml(next));
    const after = expectedCategories(next);
    expect((await changedOnPage(o)).map((c) => c.path)).toEqual(result.images.flatMap((img, i) => (after[i] !== img.category ? [img.path] : [])));
    await o.context.setOffline(false);
  });

  it('says which new phrases wait for the text model and keeps the last result', async () => {
    const o = await open(server.url('/workbench/'));
    const next = await demoDictionary();
    next.Red.push('a crimson poster');
    await edit(o, stringifyYaml(next), 'status');
    expect(await o.page.getAttribute('#wb-status', 'data-state')).toBe('stale');
    expect(await o.page.textContent('#wb-status')).toContain('“a crimson poster”');
    expect(await changedOnPage(o)).toEqual([]);
    expect(await o.page.isVisible('#wb-export-note')).toBe(true);
  });

  it('embeds a brand-new phrase with the text tower and re-scores', async () => {
    const o = await open(server.url('/workbench/'));
    const next = await demoDictionary();
    next.Red.push('a crimson poster');
    await edit(o, stringifyYaml(next), 'status');
    await o.page.click('#wb-tower-load');
    await o.page.waitForFunction(() => document.getElementById('wb-status')?.dataset.state === 'current', undefined, { timeout: 120_000 });
    expect(await o.page.$('#wb-phrases tr[data-phrase="a crimson poster"]')).not.toBeNull();
  });

  it('compares the edited dictionary with the build against the coders, on a held-out part when asked', async () => {
    const o = await open(server.url('/workbench/'));
    const cell = async (row: string) => (await o.page.textContent(`#wb-accuracy tr[data-row="${row}"] td:nth-child(3)`))!;
    const n = result.images.length;
    const bw = result.images.filter((i) => i.category === 'Black and white').length;
    expect(await cell('build')).toBe(`${n - bw} of ${n}`);
    expect(await cell('edited')).toBe(`${n - bw} of ${n}`);
    expect(await o.page.textContent('#wb-overfit')).toContain('overfits');
    const next = edited(await demoDictionary());
    await edit(o, stringifyYaml(next));
    const after = expectedCategories(next);
    const truth = result.images.map((i) => (i.category === 'Black and white' ? 'Dark' : i.category));
    expect(await cell('edited')).toBe(`${after.filter((c, i) => c === truth[i]).length} of ${n}`);
    await o.page.check('#wb-holdout');
    expect(await o.page.textContent('#wb-accuracy caption')).toContain(`held-out ${Math.round(n / 2)} judged images`);
  });

  it('lays out at 1280 and 390 px, light and dark (screenshots)', async () => {
    for (const width of [1280, 390]) {
      for (const scheme of ['light', 'dark'] as const) {
        const o = await open(server.url('/workbench/'), { width, height: 900 });
        await o.page.emulateMedia({ colorScheme: scheme });
        await edit(o, stringifyYaml(edited(await demoDictionary())));
        const overflow = await o.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `horizontal overflow at ${width} px`).toBeLessThanOrEqual(0);
        await o.page.screenshot({ path: join(SHOTS, `workbench-${width}-${scheme}.png`), fullPage: true });
        expect(o.allProblems()).toEqual([]);
        const serious = (await new AxeBuilder({ page: o.page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), `${width} px ${scheme}`).toEqual([]);
      }
    }
  }, 120_000);
});

describe('the Workbench page on a synthetic model', () => {
  it('matches the build before any edit', async () => {
    const synthetic = await buildSite({ cacheDir, env: { CLIPSCOPE_MODEL: join(REPO_ROOT, 'models', 'synthetic-tiny'), CLIPSCOPE_VALIDATION_DIR: join(work, 'empty') } });
    const s = await serveDir(synthetic.outDir);
    try {
      const own = await published(synthetic.outDir);
      const o = await open(s.url('/workbench/'));
      const n = own.result.images.length;
      expect(await o.page.textContent('#wb-baseline')).toMatch(new RegExp(`^Matches the build: ${n} of ${n} images`));
      expect(o.allProblems()).toEqual([]);
    } finally {
      await s.close();
      await synthetic.cleanup();
    }
  }, 180_000);
});

