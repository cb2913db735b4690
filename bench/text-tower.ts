// `node bench/text-tower.ts`: how fast the Workbench's text tower is in the browser — headless Chromium
// (Debian's), onnxruntime-web's WASM build, single-threaded, on the ViT-B/32-shaped synthetic-b32 —
// with its int8 ("quantized") text graph, as the build publishes it. A benchmark to run and read, not a
// timed test.
//
//   node bench/text-tower.ts                  # 3 cold loads, 20 one-phrase embeddings after each
//   node bench/text-tower.ts --repeat 5 --phrases 50
//
// It builds the site once with the test-only page of test/e2e/text-tower.test.ts (which exposes the
// tower on `window`), serves it on 127.0.0.1 and, per round, opens it in a fresh browser context (an
// empty cache): "load" is loadTextTower() from the manifest to a started session (downloading ≈ 81 MB
// from loopback, checking sha256 sums, compiling the WASM, creating the session, one warm-up run);
// "first phrase" is the first embed() after that (a new sequence length); "one phrase" is
// embed([phrase]) of a phrase not seen before — what the Workbench does when one phrase changes. For
// reference, the engine (onnxruntime-node, 1 thread) embeds the same phrases. Prints a table and one
// JSON line with the machine and its load average at start and end.
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../integrations/engine/model/load.ts';
import { buildSite, launchBrowser, openPage, REPO_ROOT, serveDir } from '../test/e2e/helpers.ts';
import { ensureModel } from './inputs.ts';
import { describeMachine, machineLine } from './machine.ts';

const log = (m: string) => process.stderr.write(`[bench:workbench] ${m}\n`);

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '3' }, phrases: { type: 'string', default: '20' } } });
const repeat = Math.max(1, Number(values.repeat));
const count = Math.max(1, Number(values.phrases));

/** A dictionary phrase of ordinary length (10–20 tokens), different each time. */
const phrase = (round: number, i: number) => `Round ${round}, change ${i}: supporters of the party at an open-air rally in the town square, holding flags`;

function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.ceil(at)] - sorted[lo]) * (at - lo);
}
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p90: quantile(s, 0.9), min: s[0], max: s[s.length - 1], n: s.length };
};

const machine = await describeMachine();
const loadAtStart = loadavg();
const model = await ensureModel('synthetic-b32', log);
const work = await mkdtemp(join(tmpdir(), 'clipscope-bench-workbench-'));
try {
  const images = join(work, 'images');
  await mkdir(images);
  for (const f of (await readdir(join(REPO_ROOT, 'content', 'images'))).sort().slice(0, 3)) await copyFile(join(REPO_ROOT, 'content', 'images', f), join(images, f));
  log('building the site with synthetic-b32 and the text-tower test page…');
  const site = await buildSite({ config: join(REPO_ROOT, 'test', 'fixtures', 'text-tower', 'astro.config.mjs'), env: { CLIPSCOPE_MODEL: model, CLIPSCOPE_IMAGES: images } });
  const published = /Workbench text tower: .*/.exec(site.output)?.[0] ?? '(no text tower line in the build log)';
  log(published);
  const server = await serveDir(site.outDir);
  const browser = await launchBrowser();
  type Api = { load(): Promise<{ ms: number }>; embed(p: string[]): Promise<{ ms: number }> };
  const loads: number[] = [];
  const embeds: number[] = [];
  const firsts: number[] = [];
  try {
    for (let r = 0; r < repeat; r++) {
      const opened = await openPage(browser, server.url('/text-tower-test/'));
      await opened.page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
      const { ms } = await opened.page.evaluate(() => (window as unknown as { textTowerTest: Api }).textTowerTest.load());
      loads.push(ms);
      for (let i = 0; i < count; i++) {
        const t = await opened.page.evaluate((p) => (window as unknown as { textTowerTest: Api }).textTowerTest.embed([p]), phrase(r, i));
        (i === 0 ? firsts : embeds).push(t.ms);
      }
      const problems = opened.allProblems();
      if (problems.length > 0) throw new Error(`the page had problems: ${problems.join('; ')}`);
      await opened.context.close();
      log(`round ${r + 1}/${repeat}: load ${ms.toFixed(0)} ms`);
    }
  } finally {
    await browser.close();
    await server.close();
    await site.cleanup();
  }

  // The engine on the same int8 graph, one thread, for reference.
  const engine = await loadModel(model, { threads: 1, variant: 'quantized' });
  const node: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await engine.embedTexts([engine.tokenizer.encode(phrase(99, i))]);
      if (i > 0) node.push(performance.now() - t0);
    }
  } finally {
    await engine.close();
  }

  const loadAtEnd = loadavg();
  const result = {
    what: 'workbench text tower (synthetic-b32 int8 text graph, onnxruntime-web WASM, 1 thread, headless Chromium)',
    published,
    loadMs: summary(loads),
    firstPhraseMs: summary(firsts),
    onePhraseMs: summary(embeds),
    engineOnePhraseMs: summary(node),
    machine: machineLine(machine),
    loadAverage: { start: loadAtStart.map((x) => +x.toFixed(2)), end: loadAtEnd.map((x) => +x.toFixed(2)) },
  };
  const row = (name: string, s: ReturnType<typeof summary>) => `${name.padEnd(44)} ${s.median.toFixed(0).padStart(7)} ${s.p90.toFixed(0).padStart(7)} ${s.min.toFixed(0).padStart(7)} ${s.max.toFixed(0).padStart(7)} ${String(s.n).padStart(4)}`;
  console.log(`${''.padEnd(44)} ${'median'.padStart(7)} ${'p90'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)} ${'n'.padStart(4)}   (ms)`);
  console.log(row('load (manifest → session, cold context)', result.loadMs));
  console.log(row('first phrase after load', result.firstPhraseMs));
  console.log(row('one changed phrase (browser, int8, target <500)', result.onePhraseMs));
  console.log(row('one phrase (engine, onnxruntime-node, 1 thread)', result.engineOnePhraseMs));
  console.log(`load average ${result.loadAverage.start.join(' ')} at start, ${result.loadAverage.end.join(' ')} at end; ${result.machine}`);
  console.log(JSON.stringify(result));
} finally {
  await rm(work, { recursive: true, force: true });
}
