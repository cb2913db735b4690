// The Validation page's figures in headless Chromium: a site built with judgement files of two
// coders who disagree on one image (a tie), an adjudicator, a correction that is no category of the
// run, a blind file among shown ones, a broken file and a symbolic link. Checks that the sample and
// collection accuracy, the ties, recall, the alpha interval and reading, the sample-size plan and the
// Methods text render; that downloads/validation.json carries the same figures; and that the
// linked file's content appears nowhere. Screenshots at 1280 and 390 px, light and dark, go to
// $CLIPSCOPE_SHOTS_DIR or <tmpdir>/clipscope-validation-page-shots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { ImageResult, RunResult } from '../../integrations/core/types.ts';
import { JUDGEMENTS_SCHEMA, serialiseJudgements, type JudgementFile, type JudgementItem } from '../../integrations/core/judgements.ts';
import { formatPercent } from '../../integrations/core/format.ts';
import { buildSite, launchBrowser, openPage, serveDir, type BuiltSite, type OpenedPage, type StaticServer, tearDown } from './helpers.ts';

const SHOTS = process.env.CLIPSCOPE_SHOTS_DIR || join(tmpdir(), 'clipscope-validation-page-shots');

let work: string;
let site: BuiltSite;
let server: StaticServer;
let browser: Browser;
const opened: OpenedPage[] = [];
/** Expected collection accuracy, from the category sizes of the run. */
let expectedCollection = 0;

function judgement(img: ImageResult, spec: string): JudgementItem {
  const base = { sha256: img.sha256, path: img.path, predicted: img.category, label: img.label, probability: img.probability, judgedAt: '2025-03-01T10:00:00.000Z' };
  if (spec === 'R') return { ...base, verdict: 'right' };
  return { ...base, verdict: 'wrong', correction: spec.slice(2) };
}

function file(coder: string, items: JudgementItem[], result: RunResult, extra: Partial<JudgementFile> = {}): string {
  return serialiseJudgements({
    schema: JUDGEMENTS_SCHEMA,
    run: { model: result.run.model.name, modelChecksum: result.run.model.checksum, dictionaryHash: result.run.dictionary.hash },
    coder,
    role: 'coder',
    mode: 'shown',
    exportedAt: '2025-03-01T12:00:00.000Z',
    items,
    ...extra,
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'clipscope-validation-page-'));
  const cacheDir = join(work, 'cache');
  await mkdir(SHOTS, { recursive: true });
  await mkdir(join(work, 'empty'));
  // First build without judgements, for the run's images and categories.
  const first = await buildSite({ cacheDir, env: { CLIPSCOPE_VALIDATION_DIR: join(work, 'empty') } });
  const result = JSON.parse(await readFile(join(first.outDir, 'downloads', 'results.json'), 'utf8')) as RunResult;
  await first.cleanup();

  const byCategory = new Map<string, ImageResult[]>();
  for (const img of result.images) byCategory.set(img.category, [...(byCategory.get(img.category) ?? []), img]);
  const [X, Y] = result.dictionary.categories.map((c) => c.name).filter((c) => (byCategory.get(c)?.length ?? 0) >= 3);
  const [x0, x1, x2] = byCategory.get(X)!;
  const [y0, y1, y2] = byCategory.get(Y)!;
  // Ada and Bo tie on x1; Cy (adjudicator) decides y2 Wrong. Decided: x0 R, x2 W; y0 R, y1 W, y2 W.
  const N = (c: string) => new Set(byCategory.get(c)!.map((i) => i.sha256)).size;
  expectedCollection = (N(X) * (1 / 2) + N(Y) * (1 / 3)) / (N(X) + N(Y));

  const dir = join(work, 'validation');
  await mkdir(dir);
  const other = result.images.find((i) => i.category !== X && i.category !== Y) ?? byCategory.get(X)![3];
  await writeFile(join(dir, 'ada.json'), file('Ada', [judgement(x0, 'R'), judgement(x1, 'R'), judgement(x2, `W→${Y}`), judgement(y0, 'R'), judgement(y1, `W→${X}`), judgement(y2, 'R'), judgement(other, 'W→Not a category')], result));
  await writeFile(join(dir, 'bo.json'), file('Bo', [judgement(x0, 'R'), judgement(x1, `W→${Y}`), judgement(x2, `W→${Y}`), judgement(y0, 'R'), judgement(y1, `W→${X}`), judgement(y2, 'R')], result));
  await writeFile(join(dir, 'cy-adjudication.json'), file('Cy', [judgement(y2, `W→${X}`)], result, { role: 'adjudicator' }));
  await writeFile(join(dir, 'dee-blind.json'), file('Dee', [judgement(x0, 'R')], result, { mode: 'blind' }));
  await writeFile(join(dir, 'broken.json'), 'root:x:0:0:root:/root:/bin/bash\n');
  await writeFile(join(work, 'secret.txt'), 'root:x:0:0:root:/root:/bin/bash\n');
  await symlink(join(work, 'secret.txt'), join(dir, 'linked.json'));

  site = await buildSite({ cacheDir, env: { CLIPSCOPE_VALIDATION_DIR: dir } });
  server = await serveDir(site.outDir);
  browser = await launchBrowser();
});

afterAll(() => tearDown({ opened, browser, server, site, work }));

async function open(width: number, dark: boolean): Promise<OpenedPage> {
  const o = await openPage(browser, server.url('/validation/'), { viewport: { width, height: 900 } });
  opened.push(o);
  if (dark) await o.page.emulateMedia({ colorScheme: 'dark' });
  return o;
}

describe('the Validation page', () => {
  it('shows sample and collection accuracy, ties, recall, alpha with its interval and reading, the plan and the Methods text', async () => {
    const o = await open(1280, false);
    const { page } = o;
    const text = async (sel: string) => ((await page.locator(sel).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
    expect(await text('#accuracy')).toBe('40.0 %');
    expect(await text('#ties')).toBe('1');
    expect(await text('#ties-note')).toContain('rest on the 5 decided images');
    expect(await text('#adjudicated')).toBe('1 (0 ties)');
    expect(await text('#collection-accuracy')).toBe(formatPercent(expectedCollection * 100));
    expect(await text('#collection-interval')).toMatch(/^\d+\.\d % – \d+\.\d %$/);
    // Units x0 RR, x1 RW, x2 WW, y0 RR, y1 WW, y2 RR: α = 1 − (2/12)/(70/132) = 0.686, tentative.
    expect(await text('#alpha')).toBe('0.686');
    expect(await text('#alpha-interval')).toMatch(/^-?\d\.\d{3} – \d\.\d{3}$/);
    expect(await text('#alpha-reading')).toContain('tentative');
    expect(await text('.thresholds')).toContain('α ≥ .800 reliable');
    const header = await text('.per-category thead');
    expect(header).toContain('Recall');
    expect(header).toContain('F1');
    expect(await page.locator('#plan ~ .table-wrap tbody tr').count()).toBeGreaterThan(0);
    expect(await text('#unknown')).toContain('Not a category');
    expect(await text('#left-out')).toContain('dee-blind.json');
    expect(await text('.warning')).toContain('linked.json: it is a symbolic link');
    expect(await text('.warning')).toContain('broken.json: The file is not valid JSON: syntax error at line 1, column 1');
    expect(await page.content()).not.toContain('root:x');
    expect(await text('.methods-text')).toContain('stratified estimator with finite-population correction');
    expect(await seriousViolations(o)).toEqual([]);
    expect(o.allProblems()).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'validation-1280-light.png'), fullPage: true });
  });

  it('fits a phone and dark mode', async () => {
    for (const [width, dark] of [[1280, true], [390, false], [390, true]] as const) {
      const o = await open(width, dark);
      expect(await o.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      if (dark) expect(await seriousViolations(o)).toEqual([]);
      await o.page.screenshot({ path: join(SHOTS, `validation-${width}-${dark ? 'dark' : 'light'}.png`), fullPage: true });
    }
  });

  it('publishes validation.json, validation.csv and validation-methods.md with the same figures', async () => {
    const json = JSON.parse(await readFile(join(site.outDir, 'downloads', 'validation.json'), 'utf8'));
    expect(json.schema).toBe('clipscope.validation/v1');
    expect(json.mode).toBe('shown');
    expect(json.accuracy.sample).toMatchObject({ estimate: 0.4, n: 5 });
    expect(json.accuracy.collection.estimate).toBeCloseTo(expectedCollection, 10);
    expect(json.ties).toBe(1);
    expect(json.adjudicated).toBe(1);
    expect(json.agreement.alpha).toBeCloseTo(1 - 264 / 840, 10);
    expect(json.agreement.pairs).toEqual([{ coders: ['Ada', 'Bo'], n: 6, observed: 5 / 6, kappa: expect.any(Number) }]);
    expect(json.unknownCorrections.map((u: { correction: string }) => u.correction)).toEqual(['Not a category']);
    expect(json.leftOut).toEqual([{ file: 'dee-blind.json', coder: 'Dee', mode: 'blind' }]);
    const csv = await readFile(join(site.outDir, 'downloads', 'validation.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('figure,subject,estimate,low,high,n,mode,method');
    expect(csv).toContain('accuracy_sample,,0.4,');
    const md = await readFile(join(site.outDir, 'downloads', 'validation-methods.md'), 'utf8');
    expect(md).toContain('## Validation of the automated classification');
    expect(JSON.stringify(json) + csv + md).not.toMatch(/root:x|\/tmp\//);
  });
});

async function seriousViolations(o: OpenedPage): Promise<string[]> {
  const axe = await new AxeBuilder({ page: o.page }).analyze();
  return axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}
