// The Workbench's text tower in headless Chromium (onnxruntime-web, WASM) against the engine's
// (onnxruntime-node) on the same model: the same token ids, and embeddings within a stated tolerance —
// for the demo model (fp32, under a base path), synthetic-b32 (ViT-B/32-shaped; its int8 "quantized"
// text graph is what the build publishes) and synthetic-b32 without its 8-bit graphs (fp32, 254 MB:
// published in parts under GitHub Pages' 100 MB limit and joined again in the browser), and a tiny
// SigLIP 2 (Gemma vocabulary; every phrase padded to 64 tokens, read at the last position).
// The pages the tower runs on are test-only (test/fixtures/text-tower/): one under the Workbench's
// CSP (src/lib/csp.ts: 'wasm-unsafe-eval'), one under every other page's strict CSP, where the tower
// must fail with a message that names the CSP. Every real page of the site keeps the strict CSP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { loadModel } from '../../integrations/engine/model/load.ts';
import type { ModelVariant } from '../../integrations/engine/model/layout.ts';
import { parseTextTowerManifest, TEXT_TOWER_DIR, type TextTowerManifest } from '../../integrations/core/text-tower.ts';
import { MAX_FILE_BYTES } from '../../integrations/clipscope/text-tower-assets.ts';
import { prepareModels } from '../../scripts/prepare-models.ts';
import { buildSite, launchBrowser, openPage, REPO_ROOT, serveDir, type BuiltSite, type StaticServer } from './helpers.ts';
import { cosine } from '../fixtures/vectors.ts';

const CONFIG = join(REPO_ROOT, 'test', 'fixtures', 'text-tower', 'astro.config.mjs');

/** The phrases compared: short, upper case and punctuation, German, other scripts and emoji, one
 * cut at 77 tokens, one that fills them exactly. */
const LONG = Array.from({ length: 90 }, (_, i) => `word${i}`).join(' ');
const PHRASES = [
  'a photo of a cat',
  'A LARGE political rally, at NIGHT!!',
  'Ein Plakat der Partei auf einer Straße in München – größer als üblich.',
  'café crème brûlée, 東京の夜, 🐱🚀',
  LONG,
  'a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w',
];

/** Cosine similarity. */

let browser: Browser;
let work: string;

beforeAll(async () => {
  await prepareModels({ models: ['synthetic-b32'], log: () => {} });
  work = await mkdtemp(join(tmpdir(), 'clipscope-text-tower-'));
  // Three images are enough: the builds are about the text tower.
  const images = join(work, 'images');
  await mkdir(images);
  for (const f of (await readdir(join(REPO_ROOT, 'content', 'images'))).sort().slice(0, 3)) await copyFile(join(REPO_ROOT, 'content', 'images', f), join(images, f));
  browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Built {
  site: BuiltSite;
  server: StaticServer;
  manifest: TextTowerManifest;
}

async function build(env: Record<string, string>, base = '/'): Promise<Built> {
  const site = await buildSite({ config: CONFIG, env: { CLIPSCOPE_IMAGES: join(work, 'images'), ...env } });
  const server = await serveDir(site.outDir, { base });
  const parsed = parseTextTowerManifest(JSON.parse(await readFile(join(site.outDir, TEXT_TOWER_DIR, 'manifest.json'), 'utf8')));
  if ('problem' in parsed) throw new Error(parsed.problem);
  return { site, server, manifest: parsed };
}

async function close(b: Built | undefined): Promise<void> {
  await b?.server.close();
  await b?.site.cleanup();
}

/** Loads the tower on the test page and embeds PHRASES (once together, then the first alone). */
async function browserTower(built: Built, path = '/text-tower-test/') {
  const opened = await openPage(browser, built.server.url(path));
  const { page } = opened;
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
  type Api = { load(): Promise<{ ms: number; stages: string[]; lastProgress: { loadedBytes: number; totalBytes: number } }>; embed(p: string[]): Promise<{ rows: number[][]; ids: number[][]; truncated: boolean[]; ms: number }> };
  const load = await page.evaluate(() => (window as unknown as { textTowerTest: Api }).textTowerTest.load());
  const all = await page.evaluate((p) => (window as unknown as { textTowerTest: Api }).textTowerTest.embed(p), PHRASES);
  const alone = await page.evaluate((p) => (window as unknown as { textTowerTest: Api }).textTowerTest.embed(p), PHRASES.slice(0, 1));
  const problems = opened.allProblems();
  await opened.context.close();
  return { load, all, alone, problems };
}

/** The engine's text tower on the same model folder and variant: ids and L2-normalised embeddings of
 * PHRASES embedded together, and of the first embedded alone. */
async function engineTower(dir: string, variant: ModelVariant) {
  const model = await loadModel(dir, { threads: 1, variant });
  try {
    const tokenized = PHRASES.map((p) => model.tokenizer.encode(p));
    const flat = await model.embedTexts(tokenized);
    const dim = model.info.projectionDim;
    const alone = Array.from(await model.embedTexts(tokenized.slice(0, 1)));
    return { ids: tokenized.map((t) => t.ids), truncated: tokenized.map((t) => t.truncated), rows: PHRASES.map((_, i) => Array.from(flat.subarray(i * dim, (i + 1) * dim))), alone };
  } finally {
    await model.close();
  }
}

/**
 * Browser and engine agree: ids exactly, every phrase's cosine at least `minCosine`, embedded together
 * and alone. `batchCosine`: how close a phrase embedded alone stays to the same phrase embedded among
 * others — exact for fp32 (padding changes nothing), not for int8: dynamic quantisation takes its
 * scale from the whole batch's activations, in the engine as in the browser. Returns the browser's
 * rows (for further comparisons).
 */
async function expectSame(built: Built, dir: string, variant: ModelVariant, minCosine: number, batchCosine: number, contextLength = 77): Promise<number[][]> {
  const [browserSide, engine] = [await browserTower(built), await engineTower(dir, variant)];
  expect(browserSide.problems).toEqual([]);
  expect(browserSide.load.stages).toEqual(['download', 'start']);
  expect(browserSide.load.lastProgress).toEqual({ loadedBytes: built.manifest.totalBytes, totalBytes: built.manifest.totalBytes });
  expect(browserSide.all.ids).toEqual(engine.ids);
  expect(browserSide.all.truncated).toEqual(engine.truncated);
  // The long phrase is cut to the context length, the short ones are not.
  expect([engine.truncated[0], engine.truncated[1], engine.truncated[4]]).toEqual([false, false, true]);
  expect(engine.ids[4]).toHaveLength(contextLength);
  if (contextLength === 77) expect(engine.truncated).toEqual([false, false, false, false, true, false]);
  expect(browserSide.all.rows.every((r) => r.length === built.manifest.dim)).toBe(true);
  const cosines = [...browserSide.all.rows.map((r, i) => cosine(r, engine.rows[i])), cosine(browserSide.alone.rows[0], engine.alone)];
  for (const [i, c] of cosines.entries()) expect(c, `phrase ${i % PHRASES.length}${i >= PHRASES.length ? ' alone' : ''}: ${PHRASES[i % PHRASES.length].slice(0, 40)}`).toBeGreaterThanOrEqual(minCosine);
  const batch = cosine(browserSide.alone.rows[0], browserSide.all.rows[0]);
  expect(batch).toBeGreaterThanOrEqual(batchCosine);
  console.log(
    `text tower ${built.manifest.model} ${built.manifest.variant}: lowest cosine browser vs engine ${Math.min(...cosines).toFixed(7)}, alone vs in a batch ${batch.toFixed(7)} (engine ${cosine(engine.alone, engine.rows[0]).toFixed(7)}); ` +
      `load ${browserSide.load.ms.toFixed(0)} ms, ${PHRASES.length} phrases ${browserSide.all.ms.toFixed(0)} ms, 1 phrase ${browserSide.alone.ms.toFixed(0)} ms`,
  );
  return browserSide.all.rows;
}

/** The CSP meta tag's script-src of a built page. */
async function scriptSrc(outDir: string, page: string): Promise<string> {
  const html = await readFile(join(outDir, page), 'utf8');
  const csp = /<meta http-equiv="content-security-policy" content="([^"]*)"/i.exec(html)?.[1] ?? '';
  return /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
}

async function htmlFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await htmlFiles(dir, rel)));
    else if (e.name.endsWith('.html')) out.push(rel);
  }
  return out;
}

describe('the text tower of the demo model (fp32), under a base path', () => {
  let built: Built;
  beforeAll(async () => {
    built = await build({ CLIPSCOPE_BASE: '/my-repo/' }, '/my-repo/');
  }, 600_000);
  afterAll(() => close(built));

  it('is published with its manifest, and the build log says what and how large', async () => {
    expect(built.manifest).toMatchObject({ model: 'demo-colors', family: 'clip', variant: 'fp32', runVariant: 'fp32', contextLength: 77, onnx: { name: 'text_model.onnx', parts: ['text_model.onnx'] } });
    expect(built.manifest.files.map((f) => f.name)).toEqual(['tokenizer.json', 'tokenizer_config.json', 'ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm', 'text_model.onnx']);
    expect((await readdir(join(built.site.outDir, TEXT_TOWER_DIR))).sort()).toEqual([...built.manifest.files.map((f) => f.name), 'manifest.json'].sort());
    for (const f of built.manifest.files) expect((await stat(join(built.site.outDir, TEXT_TOWER_DIR, f.name))).size).toBe(f.bytes);
    expect(built.site.output).toMatch(/\[clipscope\] Workbench text tower: fp32 onnx\/text_model\.onnx [\d.]+ kB \+ tokenizer [\d.]+ MB \+ onnxruntime-web 1\.30\.\d+ WASM [\d.]+ MB = [\d.]+ MB under _clipscope\/workbench\/text-tower\//);
  });

  it("gives the engine's embeddings in Chromium: cosine ≥ 0.9999 for every phrase, the same ids", async () => {
    await expectSame(built, join(REPO_ROOT, 'models', 'demo-colors'), 'fp32', 0.9999, 0.99999);
  });

  it("runs only where the page's CSP allows 'wasm-unsafe-eval', and no real page of the site allows it", async () => {
    expect(await scriptSrc(built.site.outDir, 'text-tower-test/index.html')).toContain("'wasm-unsafe-eval'");
    expect(await scriptSrc(built.site.outDir, 'text-tower-test/index.html')).toMatch(/^'self' /);
    const pages = (await htmlFiles(built.site.outDir)).filter((f) => !f.startsWith('downloads/') && !f.startsWith('text-tower-test/'));
    expect(pages.length).toBeGreaterThan(10);
    expect(pages).toContain('workbench/index.html');
    for (const page of pages) {
      // The Workbench page (src/pages/workbench/) is the one real page that runs the tower.
      if (page === 'workbench/index.html') expect(await scriptSrc(built.site.outDir, page), page).toContain("'wasm-unsafe-eval'");
      else expect(await scriptSrc(built.site.outDir, page), page).not.toContain('wasm-unsafe-eval');
    }
    // Under the strict CSP the tower refuses to start, and says why.
    const opened = await openPage(browser, built.server.url('/text-tower-strict/'));
    await opened.page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
    const error = await opened.page.evaluate(() => (window as unknown as { textTowerTest: { load(): Promise<unknown> } }).textTowerTest.load().then(() => 'loaded', (e: Error) => e.message));
    expect(error).toMatch(/^The text tower could not be started \(the page's Content-Security-Policy must allow 'wasm-unsafe-eval'\)/);
    expect(opened.problems.foreignRequests).toEqual([]);
    await opened.context.close();
  });
});

describe('the text tower of synthetic-b32 (ViT-B/32-shaped)', () => {
  let built: Built;
  beforeAll(async () => {
    built = await build({ CLIPSCOPE_MODEL: join(REPO_ROOT, 'models', 'synthetic-b32') });
  }, 600_000);
  afterAll(() => close(built));

  it('publishes the int8 ("quantized") text graph, in one file under 100 MB', () => {
    expect(built.manifest).toMatchObject({ model: 'synthetic-b32', variant: 'quantized', runVariant: 'fp32', dim: 512, onnx: { name: 'text_model_quantized.onnx', parts: ['text_model_quantized.onnx'] } });
    expect(built.manifest.onnx.bytes).toBeLessThan(MAX_FILE_BYTES);
  });

  // The same int8 graph in onnxruntime-web (WASM) and onnxruntime-node (CPU).
  it("gives the engine's int8 embeddings: cosine ≥ 0.999 for every phrase, the same ids", async () => {
    const dir = join(REPO_ROOT, 'models', 'synthetic-b32');
    const rows = await expectSame(built, dir, 'quantized', 0.999, 0.998);
    // For the record (not a property of the tower): how far the published int8 graph is from the
    // fp32 graph the build's run used, on this synthetic model with random weights.
    const fp32 = await engineTower(dir, 'fp32');
    console.log(`text tower synthetic-b32: lowest cosine browser int8 vs engine fp32 ${Math.min(...rows.map((r, i) => cosine(r, fp32.rows[i]))).toFixed(5)}`);
  });
});

describe('the text tower of synthetic-b32 without 8-bit graphs (fp32, 254 MB)', () => {
  let built: Built;
  let dir: string;
  beforeAll(async () => {
    // The model folder without its quantized graphs (links to the other files).
    const source = join(REPO_ROOT, 'models', 'synthetic-b32');
    dir = join(work, 'synthetic-b32-fp32');
    await mkdir(join(dir, 'onnx'), { recursive: true });
    for (const f of await readdir(source)) if (f.endsWith('.json') && !f.startsWith('.')) await symlink(join(source, f), join(dir, f));
    for (const f of ['text_model.onnx', 'vision_model.onnx']) await symlink(join(source, 'onnx', f), join(dir, 'onnx', f));
    built = await build({ CLIPSCOPE_MODEL: dir });
  }, 600_000);
  afterAll(() => close(built));

  it('publishes the fp32 graph in parts under 100 MB each', async () => {
    expect(built.manifest.variant).toBe('fp32');
    expect(built.manifest.onnx.bytes).toBeGreaterThan(MAX_FILE_BYTES);
    expect(built.manifest.onnx.parts).toEqual(['text_model.onnx.000', 'text_model.onnx.001', 'text_model.onnx.002', 'text_model.onnx.003', 'text_model.onnx.004', 'text_model.onnx.005']);
    for (const name of built.manifest.onnx.parts) expect((await stat(join(built.site.outDir, TEXT_TOWER_DIR, name))).size).toBeLessThanOrEqual(MAX_FILE_BYTES);
    expect(built.site.output).toMatch(/Workbench text tower: fp32 onnx\/text_model\.onnx [\d.]+ MB in 6 parts of at most 50\.0 MB \(GitHub Pages refuses files over 100\.0 MB\)/);
  });

  it("joins the parts in the browser and gives the engine's fp32 embeddings: cosine ≥ 0.9999", async () => {
    await expectSame(built, dir, 'fp32', 0.9999, 0.99999);
  }, 180_000);
});

describe('the text tower of a SigLIP 2 model (Gemma vocabulary, padded to 64 tokens)', () => {
  let built: Built;
  let dir: string;
  beforeAll(async () => {
    // A copy: the engine writes its checksum sidecar into the model folder.
    dir = join(work, 'siglip2-tiny');
    await cp(join(REPO_ROOT, 'test', 'fixtures', 'models', 'siglip2-tiny'), dir, { recursive: true });
    built = await build({ CLIPSCOPE_MODEL: dir });
  }, 600_000);
  afterAll(() => close(built));

  it("is published with SigLIP's padding, and gives the engine's embeddings: cosine ≥ 0.9999, the same ids", async () => {
    expect(built.manifest).toMatchObject({ family: 'siglip', variant: 'fp32', contextLength: 64, padding: { padTo: 64, padLeft: false } });
    await expectSame(built, dir, 'fp32', 0.9999, 0.99999, 64);
  });
});
