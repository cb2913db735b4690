// The validation widget for coders who judge hundreds of images, in headless Chromium, on the demo
// images classified with a dictionary of eleven categories, one of them named "none":
// - a reflex Enter, Space or second click after a click on Right judges nothing (focus leaves the
//   button; input waits half a second after a new image);
// - the Right/Wrong buttons stay in place from image to image (desktop and phone);
// - ← → browse without judging; Esc closes the correction panel; + enlarges the image;
// - every category of more than nine is picked from the keyboard (type to filter, Enter);
// - the category "none" and "none of these" are two different answers in the exported file;
// - importing another coder's file keeps the active coder;
// - blind mode: nothing of the model's answer is on the page before the pick; the file says "blind".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { RunResult } from '../../integrations/core/types.ts';
import { parseJudgementText, serialiseJudgements, type JudgementFile } from '../../integrations/core/judgements.ts';
import { buildSite, launchBrowser, openPage, serveDir, type BuiltSite, type OpenedPage, type StaticServer, tearDown } from './helpers.ts';

const SHOTS = process.env.CLIPSCOPE_SHOTS_DIR || join(tmpdir(), 'clipscope-validate-shots');
const DICTIONARY = `
"Red": ["a red picture"]
"none": ["a grey picture"]
"Blue": ["a blue picture"]
"Green": ["a green picture"]
"Dark": ["a dark picture"]
"Warm": ["a warm brown picture"]
"Black and white": ["a black and white photo"]
"Colourful": ["a colourful picture"]
"Orange": ["an orange picture"]
"Cold": ["a cold picture"]
"Yellow": ["a yellow picture"]
`;

let work: string;
let site: BuiltSite;
let server: StaticServer;
let browser: Browser;
let results: RunResult;
const opened: OpenedPage[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'clipscope-validate-keys-'));
  await mkdir(SHOTS, { recursive: true });
  await mkdir(join(work, 'no-judgements'));
  await writeFile(join(work, 'dictionary.yaml'), DICTIONARY);
  site = await buildSite({ cacheDir: join(work, 'cache'), env: { CLIPSCOPE_DICTIONARY: join(work, 'dictionary.yaml'), CLIPSCOPE_VALIDATION_DIR: join(work, 'no-judgements') } });
  server = await serveDir(site.outDir);
  browser = await launchBrowser();
  results = JSON.parse(await readFile(join(site.outDir, 'downloads', 'results.json'), 'utf8'));
});

afterAll(() => tearDown({ opened, browser, server, site, work }));

async function start(name: string, viewport?: { width: number; height: number }): Promise<OpenedPage> {
  const o = await openPage(browser, server.url('/validate/'), viewport ? { viewport } : {});
  opened.push(o);
  await o.page.waitForFunction(() => !document.querySelector<HTMLInputElement>('#vw-coder-name')?.disabled);
  await o.page.fill('#vw-coder-name', name);
  await o.page.keyboard.press('Enter');
  await o.page.locator('.vw-item').waitFor();
  return o;
}

const armed = (page: Page) => page.locator('.vw-item[data-armed]').waitFor();
const progress = async (page: Page) => (await page.locator('.vw-count').textContent())?.replace(/\s+/g, ' ').trim();
const currentPath = async (page: Page) => (await page.locator('.vw-path').textContent())!;
const focused = (page: Page) => page.evaluate(() => document.activeElement?.id || document.activeElement?.className || document.activeElement?.tagName);
const predictionOf = (path: string) => results.images.find((i) => i.path === path)!;

async function exportFrom(page: Page, name: string): Promise<{ file: JudgementFile; fileName: string; path: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /^Export/ }).click()]);
  const path = join(work, name);
  await download.saveAs(path);
  const parsed = parseJudgementText(await readFile(path, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.reason);
  return { file: parsed.file, fileName: download.suggestedFilename(), path };
}

async function seriousViolations(page: Page): Promise<string[]> {
  const axe = await new AxeBuilder({ page }).analyze();
  return axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('the widget with eleven categories (one named "none")', () => {
  let ada: OpenedPage;

  it('ignores a reflex Enter, Space or second click after a click on Right: the next image is not judged', async () => {
    ada = await start('Ada');
    const { page } = ada;
    expect(results.run.dictionary.categories).toBe(11);
    await armed(page);
    const first = await currentPath(page);
    // A double click (the second click a reflex), then Enter and Space at once.
    await page.locator('.vw-right').dblclick();
    await page.keyboard.press('Enter');
    await page.keyboard.press(' ');
    // Focus left the button: it is on the new image's heading.
    expect(await focused(page)).toBe('vw-item-title');
    expect(await progress(page)).toMatch(/^1 \/ \d+ judged$/);
    expect(await currentPath(page)).not.toBe(first);
    // Nor later: Enter and Space are no judgement keys.
    await armed(page);
    await page.keyboard.press('Enter');
    await page.keyboard.press(' ');
    expect(await progress(page)).toMatch(/^1 \/ \d+ judged$/);
    expect(ada.allProblems()).toEqual([]);
  });

  it('keeps the Right/Wrong buttons in place from image to image (1280 px and 390 px)', async () => {
    for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
      const o = await start(`Pos ${viewport.width}`, viewport);
      const boxes: string[] = [];
      for (let i = 0; i < 4; i++) {
        await armed(o.page);
        await o.page.waitForFunction(() => document.querySelector<HTMLImageElement>('.vw-image img')?.complete);
        const box = (await o.page.locator('.vw-right').boundingBox())!;
        // Relative to the viewport on a phone (fixed bar), to the page on a desktop.
        const scroll = await o.page.evaluate(() => window.scrollY);
        boxes.push(JSON.stringify({ x: box.x, y: viewport.width < 500 ? box.y : box.y + scroll, w: box.width }));
        await o.page.keyboard.press('s');
      }
      expect(new Set(boxes).size, boxes.join(' ')).toBe(1);
      if (viewport.width < 500) await o.page.screenshot({ path: join(SHOTS, 'validate-keys-phone.png') });
    }
  });

  it('← and → browse without judging; + enlarges the image and Esc closes it; Esc closes the correction panel', async () => {
    const { page } = ada;
    const before = await progress(page);
    const here = await currentPath(page);
    await page.keyboard.press('ArrowLeft');
    expect(await currentPath(page)).not.toBe(here);
    expect(await page.locator('.vw-already').textContent()).toMatch(/You judged this image: Right\. Judging it again replaces that\./);
    await page.keyboard.press('ArrowRight');
    expect(await currentPath(page)).toBe(here);
    expect(await progress(page)).toBe(before);
    await armed(page);
    await page.keyboard.press('+');
    await page.locator('.vw-zoom').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.locator('.vw-zoom').waitFor({ state: 'detached' });
    await page.keyboard.press('w');
    await page.locator('.vw-correction').waitFor();
    // The filter field has focus: typing narrows the choices.
    expect(await page.evaluate(() => document.activeElement?.closest('.vw-filter') !== null)).toBe(true);
    await page.keyboard.press('Escape');
    await page.locator('.vw-correction').waitFor({ state: 'detached' });
    expect(await progress(page)).toMatch(/^2 \/ \d+ judged$/);
  });

  it('picks every category from the keyboard, also beyond the ninth: type to filter, then Enter', async () => {
    const { page } = ada;
    await armed(page);
    const path = await currentPath(page);
    await page.keyboard.press('w');
    await page.locator('.vw-correction').waitFor();
    const names = await page.locator('.vw-choices button').allTextContents();
    expect(names).toHaveLength(12); // eleven categories and "None of these"
    // Only nine carry a digit.
    expect(await page.locator('.vw-choices button:not(.vw-none) kbd').count()).toBe(9);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'validate-keys-eleven.png'), fullPage: true });
    const last = predictionOf(path).category === 'Yellow' ? 'Cold' : 'Yellow';
    await page.keyboard.type(last.slice(0, 3).toLowerCase());
    expect(await page.locator('.vw-choices button:not(.vw-none)').allTextContents()).toEqual([`1 ${last}`]);
    await page.keyboard.press('Enter');
    const { file } = await exportFrom(page, 'ada-1.json');
    expect(file.items.find((i) => i.path === path)).toMatchObject({ verdict: 'wrong', correction: last });
  });

  it('keeps the category "none" apart from "none of these" in the exported file', async () => {
    const { page } = ada;
    await armed(page);
    const p1 = await currentPath(page);
    expect(predictionOf(p1).category).not.toBe('none');
    await page.keyboard.press('w');
    await page.keyboard.type('none');
    expect(await page.locator('.vw-choices button:not(.vw-none)').allTextContents()).toEqual(['1 none']);
    await page.keyboard.press('Enter');
    await armed(page);
    const p2 = await currentPath(page);
    await page.keyboard.press('w');
    await page.keyboard.press('0');
    const { file } = await exportFrom(page, 'ada-2.json');
    const one = file.items.find((i) => i.path === p1)!;
    const two = file.items.find((i) => i.path === p2)!;
    expect([one.correction, one.noneOfThese]).toEqual(['none', undefined]);
    expect([two.correction, two.noneOfThese]).toEqual([undefined, true]);
    expect(ada.allProblems()).toEqual([]);
  });

  it("keeps the active coder when another coder's file is imported; later judgements stay the active coder's", async () => {
    const { page } = ada;
    const mine = await exportFrom(page, 'ada-3.json');
    const bo: JudgementFile = { ...mine.file, coder: 'Bo', items: mine.file.items.slice(0, 2) };
    await page.locator('.vw-file').setInputFiles({ name: 'bo.json', mimeType: 'application/json', buffer: Buffer.from(serialiseJudgements(bo)) });
    await expect.poll(() => page.locator('.vw-message').textContent()).toMatch(/Imported bo\.json: 2 new, 0 already here, kept as coder Bo's judgements\. You are still judging as Ada/);
    expect(await page.locator('.vw-coder').textContent()).toContain('Judging as Ada');
    await armed(page);
    const next = await currentPath(page);
    await page.keyboard.press('r');
    const after = await exportFrom(page, 'ada-4.json');
    expect(after.file.coder).toBe('Ada');
    expect(after.file.items).toHaveLength(mine.file.items.length + 1);
    expect(after.file.items.some((i) => i.path === next)).toBe(true);
    // Bo's judgements are under Bo's name.
    await page.getByRole('button', { name: 'Change coder' }).click();
    expect(await focused(page)).toBe('vw-coder-name');
    await page.fill('#vw-coder-name', 'Bo');
    await page.keyboard.press('Enter');
    await expect.poll(() => progress(page)).toMatch(/^2 \/ \d+ judged$/);
    expect(ada.allProblems()).toEqual([]);
  });
});

describe('blind mode', () => {
  it("shows nothing of the model's answer before the pick and exports mode blind with derived verdicts", async () => {
    const o = await start('Cy');
    const { page } = o;
    await page.locator('.vw-mode input').check();
    await page.locator('.vw-correction.vw-blind').waitFor();
    await armed(page);
    const picks: [string, string][] = [];
    for (let i = 0; i < 3; i++) {
      const path = await currentPath(page);
      const image = predictionOf(path);
      // Nothing of the answer on the page: no prediction, phrase, probability or running accuracy.
      const widget = (await page.locator('.vw-item').innerText()).replace(/\s+/g, ' ');
      expect(widget).not.toContain(image.label);
      expect(widget).not.toMatch(/\d+\.\d %|Predicted|Second choice/);
      expect(await page.locator('.vw-acc').count()).toBe(0);
      expect(await page.locator('.vw-predicted').textContent()).toMatch(/^Image \d+ of \d+: which category\?$/);
      // Pick: the prediction itself once, another category once, none of these once.
      if (i === 0) {
        await page.keyboard.type(image.category);
        await page.keyboard.press('Enter');
        picks.push([path, `right`]);
      } else if (i === 1) {
        const other = image.category === 'Red' ? 'Blue' : 'Red';
        await page.getByRole('button', { name: new RegExp(`^\\d? ?${other}$`) }).click();
        picks.push([path, `wrong:${other}`]);
      } else {
        await page.keyboard.press('0');
        picks.push([path, 'wrong:NONE']);
      }
      await armed(page);
    }
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'validate-blind.png'), fullPage: true });
    const { file, fileName } = await exportFrom(page, 'cy-blind.json');
    expect(fileName).toMatch(/^judgements-Cy-blind-\d{4}-\d{2}-\d{2}\.json$/);
    expect(file.mode).toBe('blind');
    expect(file.items.map((i) => [i.path, i.verdict === 'right' ? 'right' : `wrong:${i.noneOfThese ? 'NONE' : i.correction}`])).toEqual(picks);
    // Switching back: the blind judgements are kept apart from shown-mode ones (none here yet).
    await page.locator('.vw-mode input').uncheck();
    await expect.poll(() => progress(page)).toMatch(/^0 \/ \d+ judged$/);
    expect(await page.locator('.vw-message').textContent()).toMatch(/Your 3 blind-mode judgements are kept apart/);
    expect(o.allProblems()).toEqual([]);
  });
});
