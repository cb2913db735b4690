// The validation widget in headless Chromium on the demo site built under a base path and served
// locally: judge with the mouse and the keyboard, undo, reload (state kept), export (the download
// matches the schema and the clicks), import into a fresh browser profile, refuse bad files, resolve
// a conflicting import explicitly; axe-core finds no serious or critical violation; no CSP violation.
// Then the exported file (and a second coder's) go into a judgement folder and the site is built
// again: the Validation page shows the accuracy, agreement, and the results carry `validated`.
//
// Screenshots (desktop, phone, Validation page) are written to $CLIPSCOPE_SHOTS_DIR or
// <tmpdir>/clipscope-validate-shots for a person to look at.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { RunResult } from '../../integrations/core/types.ts';
import { JUDGEMENTS_SCHEMA, parseJudgementText, serialiseJudgements, type JudgementFile } from '../../integrations/core/judgements.ts';
import { buildSite, launchBrowser, openPage, serveDir, type BuiltSite, type OpenedPage, type StaticServer, tearDown } from './helpers.ts';
import { readRfc4180 } from '../fixtures/rfc4180.ts';

const BASE = '/clipscope-validate/';
const SHOTS = process.env.CLIPSCOPE_SHOTS_DIR || join(tmpdir(), 'clipscope-validate-shots');

let work: string;
let cacheDir: string;
let site: BuiltSite;
let server: StaticServer;
let browser: Browser;
let results: RunResult;
/** What the test clicked, by image path: verdict and correction. */
const clicked = new Map<string, { verdict: string; correction?: string; noneOfThese?: true }>();
let exportedPath = '';
let exportedName = '';
const opened: OpenedPage[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'clipscope-validate-e2e-'));
  cacheDir = join(work, 'cache');
  await mkdir(SHOTS, { recursive: true });
  // An empty judgement folder: the repository's content/validation/ must not leak into the test.
  await mkdir(join(work, 'no-judgements'));
  site = await buildSite({ cacheDir, env: { CLIPSCOPE_BASE: BASE, CLIPSCOPE_VALIDATION_DIR: join(work, 'no-judgements') } });
  server = await serveDir(site.outDir, { base: BASE });
  browser = await launchBrowser();
  results = JSON.parse(await readFile(join(site.outDir, 'downloads', 'results.json'), 'utf8'));
});

afterAll(() => tearDown({ opened, browser, server, site, work }));

async function open(url: string, viewport?: { width: number; height: number }): Promise<OpenedPage> {
  const o = await openPage(browser, url, viewport ? { viewport } : {});
  opened.push(o);
  return o;
}

/** Waits for the island to hydrate (the name field is enabled once the browser state is loaded). */
async function hydrated(page: Page): Promise<void> {
  await page.locator('.vw').waitFor();
  await page.waitForFunction(() => {
    const input = document.querySelector<HTMLInputElement>('#vw-coder-name');
    return (input && !input.disabled) || document.querySelector('.vw-coder button.vw-small');
  });
}

const currentPath = (page: Page) => page.locator('.vw-path').textContent();
/** Waits until the image on screen takes judgements (the widget ignores input for a moment after a new image). */
const armed = (page: Page) => page.locator('.vw-item[data-armed]').waitFor();
const progress = async (page: Page) => (await page.locator('.vw-count').textContent())?.replace(/\s+/g, ' ').trim();

async function seriousViolations(page: Page): Promise<string[]> {
  const axe = await new AxeBuilder({ page }).analyze();
  return axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('the Validate widget', () => {
  let main: OpenedPage;
  let total = 0;

  it('judges with the mouse and the keyboard, with a correction after Wrong, and undoes', async () => {
    main = await open(server.url('/validate/'));
    const { page } = main;
    await hydrated(page);
    total = Number(/\/ (\d+)/.exec((await progress(page)) ?? '')![1]);
    expect(total).toBeGreaterThanOrEqual(6);
    expect(await progress(page)).toBe(`0 / ${total} judged`);

    // Before a name: the name field has focus, the page says what to do, R explains.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('vw-coder-name');
    expect(await page.locator('#vw-start-title').textContent()).toBe('Enter your name to start');
    await page.locator('h1').click();
    await page.keyboard.press('r');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Enter your name \(the coder\) and press Start first/);
    expect(await progress(page)).toBe(`0 / ${total} judged`);
    await page.fill('#vw-coder-name', 'Ada');
    await page.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => page.locator('.vw-coder').textContent()).toContain('Judging as Ada');
    // The large image loads under the base path.
    await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('.vw-image img')?.naturalWidth ?? 0) > 0);
    expect(await page.locator('.vw-image img').getAttribute('src')).toMatch(new RegExp(`^${BASE}_clipscope/thumbs/.+\\.webp$`));

    // 1: mouse, Right.
    await armed(page);
    const p1 = (await currentPath(page))!;
    await page.locator('.vw-right').click();
    clicked.set(p1, { verdict: 'right' });
    // 2: keyboard, W then the first category the image was not predicted as (by its digit).
    await armed(page);
    const p2 = (await currentPath(page))!;
    expect(p2).not.toBe(p1);
    await page.keyboard.press('w');
    await page.locator('.vw-correction').waitFor();
    const choice = page.locator('.vw-choices button:not([disabled])').first();
    const digit = (await choice.locator('kbd').textContent())!;
    const category = (await choice.textContent())!.replace(digit, '').trim();
    await page.keyboard.press(digit);
    clicked.set(p2, { verdict: 'wrong', correction: category });
    // The correction buttons are gone: focus is on the next image's prediction, which is announced.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('vw-item-title');
    expect(await page.locator('.vw p.visually-hidden[role=status]').textContent()).toMatch(new RegExp(`^Correction: ${category}\\. Next: .+, \\d+\\.\\d %\\.$`));
    // 3: keyboard, R.
    await armed(page);
    const p3 = (await currentPath(page))!;
    await page.keyboard.press('r');
    clicked.set(p3, { verdict: 'right' });
    // 4: mouse, Skip.
    await armed(page);
    const p4 = (await currentPath(page))!;
    await page.locator('.vw-skip').click();
    clicked.set(p4, { verdict: 'skip' });
    // 5: R, then U takes it back and reopens the same image.
    await armed(page);
    const p5 = (await currentPath(page))!;
    await page.keyboard.press('r');
    expect(await progress(page)).toBe(`5 / ${total} judged`);
    await page.keyboard.press('u');
    expect(await progress(page)).toBe(`4 / ${total} judged`);
    expect(await currentPath(page)).toBe(p5);
    // 5 again: mouse, Wrong → None of these.
    await armed(page);
    await page.locator('.vw-wrong').click();
    await page.getByRole('button', { name: /None of these/ }).click();
    clicked.set(p5, { verdict: 'wrong', noneOfThese: true });

    expect(await progress(page)).toBe(`5 / ${total} judged`);
    // 2 Right of 4 Right/Wrong: 50 %, Wilson 95 % interval 15.0 %–85.0 %.
    const accuracy = (await page.locator('.vw-acc').textContent())!.replace(/\s+/g, ' ');
    expect(accuracy).toContain('Accuracy so far 50.0 %');
    expect(accuracy).toContain('15.0 %–85.0 %');
    expect(main.allProblems()).toEqual([]);
  });

  it('shows the keys on screen and passes axe-core without serious violations (also the correction step)', async () => {
    const { page } = main;
    const keys = (await page.locator('.vw-keys').textContent())!;
    for (const k of ['R', '→', 'W', '←', 'S', 'U', 'Ctrl', '1', '9', '0', 'Enter', 'Esc']) expect(keys).toContain(k);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'validate-desktop.png'), fullPage: true });
    await armed(page);
    await page.keyboard.press('w');
    await page.locator('.vw-correction').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'validate-desktop-wrong.png'), fullPage: true });
    // In the correction panel letters filter the choices; Ctrl+Z undoes.
    await page.keyboard.press('Control+z');
    expect(await progress(page)).toBe(`5 / ${total} judged`);
  });

  it('keeps everything over a reload', async () => {
    const { page } = main;
    await page.waitForLoadState('networkidle'); // preloads in, so the reload aborts no request
    await page.reload({ waitUntil: 'load' });
    await hydrated(page);
    await expect.poll(() => progress(page)).toBe(`5 / ${total} judged`);
    expect(await page.locator('.vw-coder').textContent()).toContain('Judging as Ada');
    // The first image not judged yet is open.
    expect(clicked.has((await currentPath(page))!)).toBe(false);
    expect(main.allProblems()).toEqual([]);
  });

  it('exports judgements-<coder>-<date>.json that matches the schema and the clicks', async () => {
    const { page } = main;
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export judgements' }).click()]);
    exportedName = download.suggestedFilename();
    expect(exportedName).toMatch(/^judgements-Ada-\d{4}-\d{2}-\d{2}\.json$/);
    exportedPath = join(work, exportedName);
    await download.saveAs(exportedPath);
    const parsed = parseJudgementText(await readFile(exportedPath, 'utf8'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const file = parsed.file;
    expect(file.schema).toBe(JUDGEMENTS_SCHEMA);
    expect(file.coder).toBe('Ada');
    expect(file.run).toEqual({ model: results.run.model.name, modelChecksum: results.run.model.checksum, dictionaryHash: results.run.dictionary.hash });
    const got = new Map(file.items.map((i) => [i.path, { verdict: i.verdict, ...(i.correction ? { correction: i.correction } : {}), ...(i.noneOfThese ? { noneOfThese: true } : {}) }]));
    expect(got).toEqual(clicked);
    // Each item carries the image's hash and its prediction from the results (the probability of the
    // predicted category, as everywhere on the site).
    for (const item of file.items) {
      const image = results.images.find((i) => i.path === item.path)!;
      expect([item.sha256, item.predicted, item.label, item.probability]).toEqual([image.sha256, image.category, image.label, image.categories[image.category]]);
    }
    expect(main.allProblems()).toEqual([]);
  });

  it('imports the file into a fresh browser profile and restores the state', async () => {
    const fresh = await open(server.url('/validate/'));
    const { page } = fresh;
    await hydrated(page);
    expect(await progress(page)).toBe(`0 / ${total} judged`);
    await page.locator('.vw-file').setInputFiles(exportedPath);
    await expect.poll(() => page.locator('.vw-message').textContent()).toContain(`Imported ${exportedName} for coder Ada: 5 new, 0 already here`);
    expect(await progress(page)).toBe(`5 / ${total} judged`);
    expect(await page.locator('.vw-coder').textContent()).toContain('Judging as Ada');
    expect((await page.locator('.vw-acc').textContent())!).toContain('50.0 %');
    // And it is kept in that profile too. (Reload once the preloads are in: a reload would abort
    // them, and an aborted request counts as a problem below.)
    await page.waitForLoadState('networkidle');
    await page.reload({ waitUntil: 'load' });
    await hydrated(page);
    await expect.poll(() => progress(page)).toBe(`5 / ${total} judged`);
    expect(fresh.allProblems()).toEqual([]);
  });

  it('refuses malformed, foreign, oversized and hostile files with a visible message, changing nothing', async () => {
    const o = await open(server.url('/validate/'));
    const { page } = o;
    await hydrated(page);
    await page.locator('.vw-file').setInputFiles(exportedPath);
    await expect.poll(() => progress(page)).toBe(`5 / ${total} judged`);
    const good = await readFile(exportedPath, 'utf8');
    const cases: [string, string | Buffer, RegExp][] = [
      ['broken.json', '{"schema": "clipscope.judgements/v1", "items": [', /not valid JSON/],
      ['results.json', JSON.stringify({ schema: 'clipscope.results/v1' }), /not a clipscope judgement file: its schema is "clipscope.results\/v1"/],
      ['huge.json', Buffer.alloc(5 * 1024 * 1024 + 10, 0x20), /at most 5\.0 MB/],
      ['proto.json', good.replace('"coder"', '"__proto__": {"polluted": true}, "coder"'), /contains the key "__proto__"/],
      ['other-run.json', good.replace(/"dictionaryHash": "[0-9a-f]+"/, `"dictionaryHash": "${'0'.repeat(64)}"`), /another run/],
    ];
    for (const [name, content, reason] of cases) {
      await page.locator('.vw-file').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.isBuffer(content) ? content : Buffer.from(content) });
      const alert = page.getByRole('alert');
      await expect.poll(() => alert.textContent()).toContain(`${name} was not imported`);
      expect((await alert.textContent())!).toMatch(reason);
      expect(await progress(page)).toBe(`5 / ${total} judged`);
    }
    expect(await page.evaluate(() => ({} as Record<string, unknown>).polluted)).toBeUndefined();
    expect(o.allProblems()).toEqual([]);
  });

  it('never overwrites a different judgement silently: cancel keeps all, "Use the file\'s" replaces', async () => {
    const o = await open(server.url('/validate/'));
    const { page } = o;
    await hydrated(page);
    await page.locator('.vw-file').setInputFiles(exportedPath);
    await expect.poll(() => progress(page)).toBe(`5 / ${total} judged`);
    // A file in which the first Right became Wrong.
    const parsed = parseJudgementText(await readFile(exportedPath, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.reason);
    const firstRight = parsed.file.items.find((i) => i.verdict === 'right')!;
    const changed: JudgementFile = { ...parsed.file, items: parsed.file.items.map((i) => (i === firstRight ? { ...i, verdict: 'wrong' as const } : i)) };
    const upload = { name: 'changed.json', mimeType: 'application/json', buffer: Buffer.from(serialiseJudgements(changed)) };

    await page.locator('.vw-file').setInputFiles(upload);
    const conflict = page.locator('.vw-conflict');
    await conflict.waitFor();
    expect(await conflict.locator('h2').textContent()).toContain('1 image is judged differently in changed.json');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('vw-conflict-title');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Cancel import' }).click();
    await expect.poll(() => page.locator('.vw-message').textContent()).toContain('nothing changed');
    expect((await page.locator('.vw-acc').textContent())!).toContain('50.0 %');

    await page.locator('.vw-file').setInputFiles(upload);
    await conflict.waitFor();
    await page.getByRole('button', { name: "Use the file's" }).click();
    await expect.poll(() => page.locator('.vw-message').textContent()).toContain("1 replaced by the file's");
    // Now 1 Right of 4: 25.0 %.
    expect((await page.locator('.vw-acc').textContent())!).toContain('25.0 %');
    expect(o.allProblems()).toEqual([]);
  });

  it('works on a phone-sized screen (buttons large enough to tap), without serious axe violations', async () => {
    const o = await open(server.url('/validate/'), { width: 390, height: 844 });
    const { page } = o;
    await hydrated(page);
    await page.fill('#vw-coder-name', 'Phone coder');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('.vw-image img')?.naturalWidth ?? 0) > 0);
    await armed(page);
    for (const selector of ['.vw-right', '.vw-wrong', '.vw-skip']) {
      const box = (await page.locator(selector).boundingBox())!;
      expect(box.height).toBeGreaterThanOrEqual(44);
      expect(box.width).toBeGreaterThanOrEqual(44);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    // Nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.locator('.vw-right').tap().catch(() => page.locator('.vw-right').click());
    expect(await progress(page)).toBe(`1 / ${total} judged`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'validate-phone.png') });
    await armed(page);
    // After Wrong, every correction choice is on screen without scrolling by hand.
    await page.locator('.vw-wrong').tap().catch(() => page.locator('.vw-wrong').click());
    await page.locator('.vw-continue').waitFor();
    for (const box of await page.locator('.vw-correction button').evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().toJSON()))) {
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.bottom).toBeLessThanOrEqual(844);
    }
    await page.keyboard.press('Enter');
    expect(o.allProblems()).toEqual([]);
  });
});

describe('judgement files come back into the build', () => {
  let second: BuiltSite;
  let secondServer: StaticServer;

  beforeAll(async () => {
    // Ada's exported file, a second coder's (Bo disagrees on the first Right), and a broken file.
    const dir = join(work, 'validation');
    await mkdir(dir);
    const ada = await readFile(exportedPath, 'utf8');
    await writeFile(join(dir, exportedName), ada);
    const parsed = parseJudgementText(ada);
    if (!parsed.ok) throw new Error(parsed.reason);
    const firstRight = parsed.file.items.find((i) => i.verdict === 'right')!;
    const bo: JudgementFile = { ...parsed.file, coder: 'Bo', items: parsed.file.items.map((i) => (i === firstRight ? { ...i, verdict: 'wrong' as const } : i)) };
    await writeFile(join(dir, 'judgements-Bo-2025-01-01.json'), serialiseJudgements(bo));
    await writeFile(join(dir, 'broken.json'), '{ not json');
    second = await buildSite({ cacheDir, env: { CLIPSCOPE_BASE: BASE, CLIPSCOPE_VALIDATION_DIR: dir } });
    secondServer = await serveDir(second.outDir, { base: BASE });
  });

  afterAll(async () => {
    await secondServer?.close();
    await second?.cleanup();
  });

  it('warns about the unreadable file in the build log', () => {
    expect(second.output).toMatch(/Judgement file broken\.json was not read: The file is not valid JSON/);
  });

  it('shows accuracy, precision, agreement and the problem file on the Validation page', async () => {
    const o = await open(secondServer.url('/validation/'));
    const { page } = o;
    // Per image (Ada / Bo): 1st Right → R/W tie; the Wrong with a category W/W; 2nd Right R/R; the
    // Skip S/S (no verdict); the Wrong → none W/W. With a majority: 3 images, 1 Right → 33.3 %.
    expect(await page.locator('#accuracy').textContent()).toBe('33.3 %');
    const facts = (await page.locator('.facts').first().textContent())!.replace(/\s+/g, ' ');
    expect(facts).toContain('1 Right of 3 images');
    expect(facts).toMatch(/Ties \(no majority\) ?1/);
    // Two coders. Verdicts on the 4 images both judged Right/Wrong: (R,W) (W,W) (R,R) (W,W).
    // Alpha: o_RR = 2, o_WW = 4, o_RW = o_WR = 1; n = 8, n_R = 3, n_W = 5 → 1 − (2/8)/(30/56) = 0.533.
    // Kappa: p_o = 3/4, p_e = (2/4)(1/4) + (2/4)(3/4) = 1/2 → 0.500.
    expect(await page.locator('#alpha').textContent()).toBe('0.533');
    const pair = (await page.locator('#agreement ~ .table-wrap tbody tr').first().textContent())!;
    expect(pair).toContain('Ada – Bo');
    expect(pair).toContain('0.500');
    expect((await page.locator('.warning').first().textContent())!).toContain('broken.json');
    // The wrong predictions come with their images.
    expect(await page.locator('#wrong ~ .cards .card').count()).toBe(2);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.cards img')].every((img) => img.complete && img.naturalWidth > 0));
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'validation-page.png'), fullPage: true });
    expect(o.allProblems()).toEqual([]);
    // On a phone the tables scroll sideways: still no serious violation (scrollable regions reachable by keyboard).
    const phone = await open(secondServer.url('/validation/'), { width: 375, height: 800 });
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(await seriousViolations(phone.page)).toEqual([]);
  });

  it('merges the judgements into the downloadable results as validated columns', async () => {
    const csv = readRfc4180(await readFile(join(second.outDir, 'downloads', 'results.csv'), 'utf8'));
    expect(csv[0].slice(-2)).toEqual(['validated', 'validated_category']);
    const byPath = new Map(csv.slice(1).map((r) => [r[0], r.slice(-2)]));
    const verdicts = [...clicked].filter(([, c]) => c.verdict !== 'skip');
    const values = verdicts.map(([path]) => byPath.get(path)![0]).sort();
    expect(values).toEqual(['right', 'tie', 'wrong', 'wrong']);
    const json = JSON.parse(await readFile(join(second.outDir, 'downloads', 'results.json'), 'utf8')) as RunResult;
    expect(json.images.filter((i) => 'validated' in i)).toHaveLength(4);
  });

  it('queues the image the coders disagree on for adjudication; the adjudicator decides and exports role "adjudicator"', async () => {
    // Linked from the Validate and Validation pages (and the navigation) once coders disagree.
    const validation = await open(secondServer.url('/validation/'));
    expect(await validation.page.locator('#adjudicate-link').textContent()).toMatch(/disagree on 1 image/);
    const o = await open(secondServer.url('/validate/'));
    expect(await o.page.locator('#adjudicate-link a').getAttribute('href')).toBe(`${BASE}adjudicate/`);
    await o.page.locator('#adjudicate-link a').click();
    const { page } = o;
    await hydrated(page);
    expect(await page.locator('h1').textContent()).toBe('Adjudicate');
    expect(await progress(page)).toBe('0 / 1 decided');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('vw-coder-name');
    await page.fill('#vw-coder-name', 'Judge');
    await page.keyboard.press('Enter');
    await armed(page);
    // The disputed image (Ada Right, Bo Wrong) with both answers beside it.
    const parsed = parseJudgementText(await readFile(exportedPath, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.reason);
    const disputed = parsed.file.items.find((i) => i.verdict === 'right')!;
    expect(await currentPath(page)).toBe(disputed.path);
    const answers = (await page.locator('.vw-answers tbody').textContent())!.replace(/\s+/g, ' ');
    expect(answers).toBe('AdaRightBoWrong');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'adjudicate-desktop.png'), fullPage: true });
    await page.keyboard.press('w');
    await page.keyboard.press('0');
    expect(await progress(page)).toBe('1 / 1 decided');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export decisions' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^judgements-Judge-adjudicator-\d{4}-\d{2}-\d{2}\.json$/);
    const saved = join(work, 'adjudicator.json');
    await download.saveAs(saved);
    const file = parseJudgementText(await readFile(saved, 'utf8'));
    expect(file.ok && file.file).toMatchObject({ coder: 'Judge', role: 'adjudicator', mode: 'shown', items: [{ sha256: disputed.sha256, verdict: 'wrong', noneOfThese: true }] });
    // A coder's file is refused here (and an adjudicator's on the Validate page).
    await page.locator('.vw-file').setInputFiles(exportedPath);
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/It is a coder's file \(Ada\), not an adjudicator's/);
    expect(o.allProblems()).toEqual([]);
  });

  it('shows a friendly empty state without judgement files', async () => {
    const o = await open(server.url('/validation/'));
    expect(await o.page.locator('#empty-title').textContent()).toBe('No judgements yet');
    expect(await o.page.locator('.note a').getAttribute('href')).toBe(`${BASE}validate/`);
    expect(await seriousViolations(o.page)).toEqual([]);
    expect(o.allProblems()).toEqual([]);
  });
});
