// `node bench/workbench.ts [--images N] [--phrases P] [--rounds K] [--reuse-site]`: the Workbench page
// at report scale in headless Chromium. Its speed targets: open the workbench of a 10,000-image report
// in under 5 s from a local server, and re-score 10,000 images × 100 phrases in under 150 ms.
//
// The report: one `astro build` of the demo (content/, models/demo-colors) gives the page and its
// script; its workbench data is then replaced by data for N images with 512-d embeddings (ViT-B/32's
// width), written by the project's own writer (integrations/clipscope/workbench-data.ts) from seeded
// random unit vectors (each image near one of the phrases, so the categories are not a coin toss) and
// a dictionary of P phrases in P / 5 categories. The build's categories come from the build's scoring
// (core/score.ts, seed scoring, logit scale 100), so the page must match them: it checks that. The
// page's other text (its image count in the lead) still speaks of the demo; the script reads only the
// data. Thumbnails: none (the page shows "no thumbnail" tiles).
//
// Measured per round, in a fresh browser context (no cache, nothing kept from earlier rounds):
// - open: navigation start → the page's `workbench:ready` mark (data downloaded and parsed, baseline
//   re-scored and checked against the build, everything rendered), and the full re-score of the
//   baseline in it (`workbench:rescore`, the first one: every cosine computed);
// - move: one phrase moved to another category (no new text, so no cosine computed): the page's
//   `workbench:rescore` measure (scoring and phrase ranking, no rendering) and `workbench:render`;
// - remove: one category removed (from the build's dictionary), the same two measures;
// - moveAgain: the move once more (from the removal), as the first edit after opening may pay for
//   the opening's garbage and for code not yet optimised.
// The edits never need the text tower. Printed: every round, then best and median, and the load
// average before and after (the machine may be shared: numbers on a loaded machine are upper bounds).
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify as stringifyYaml } from 'yaml';
import { buildSite, launchBrowser, openPage, serveDir } from '../test/e2e/helpers.ts';
import { flattenPhrases, parseDictionaryText } from '../integrations/core/dictionary.ts';
import { createNormal, createRandom } from '../integrations/core/random.ts';
import { l2normalize, scoreImages } from '../integrations/core/score.ts';
import { sha256Hex } from '../integrations/core/sha256.ts';
import { WORKBENCH_DIR, type WorkbenchData } from '../integrations/core/workbench.ts';
import { TEXT_TOWER_DIR } from '../integrations/core/text-tower.ts';
import { workbenchFiles } from '../integrations/clipscope/workbench-data.ts';
import type { ReportData } from '../integrations/clipscope/report/report.ts';
import { WORK } from './inputs.ts';

const USAGE = `node bench/workbench.ts [options]
  --images N    images in the report (default 10000)
  --phrases P   phrases in the dictionary, 5 per category (default 100)
  --rounds K    fresh page loads, each with both edits (default 5)
  --reuse-site  keep the demo site built by the last run (bench/.work/workbench-site) instead of
                building it again (only while the site's code is unchanged)
`;

const DIM = 512;
const PER_CATEGORY = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The dictionary: P / 5 categories of 5 phrases each, as YAML (the format the page edits). */
function dictionary(phrases: number): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let c = 0; c < phrases / PER_CATEGORY; c++) {
    const name = `Category ${String(c + 1).padStart(2, '0')}`;
    out[name] = Array.from({ length: PER_CATEGORY }, (_, k) => `a photo of thing ${c + 1}.${k + 1}`);
  }
  return out;
}

/** Workbench data for `count` synthetic images, written by workbench-data.ts into the site. */
async function writeData(outDir: string, count: number, dict: Record<string, string[]>): Promise<{ text: string; data: WorkbenchData }> {
  const text = stringifyYaml(dict);
  const categories = parseDictionaryText(text, 'dictionary.yaml', 'yaml', sha256Hex);
  const flat = flattenPhrases({ categories });
  const normal = createNormal(createRandom('bench-workbench'));
  const phrases = l2normalize(Float32Array.from({ length: flat.length * DIM }, normal), DIM);
  // Each image: a phrase's direction plus noise of about twice its length (cosine ≈ 0.45 with it).
  const images = new Float32Array(count * DIM);
  for (let i = 0; i < count; i++) {
    const p = i % flat.length;
    for (let k = 0; k < DIM; k++) images[i * DIM + k] = phrases[p * DIM + k] + normal() * (2 / Math.sqrt(DIM));
  }
  l2normalize(images, DIM);
  const scores = scoreImages({ imageEmbeds: images, count, dim: DIM, textEmbeds: phrases, phrases: flat, categories: categories.map((c) => c.name), mode: 'seed', logitScale: 100, topK: 1 });
  // The part of ReportData the writer reads (result, validation, thumbnails, seed).
  const report = {
    result: {
      images: scores.map((s, i) => ({ ...s, path: `images/${String(i).padStart(5, '0')}.jpg`, sha256: sha256Hex(`bench-workbench-${i}`) })),
      dictionary: { categories },
      run: { model: { name: 'bench-512', logitScale: 100, logitBias: 0 }, scoring: 'seed', topK: 1, thresholds: { minProbability: null, minMargin: null }, dictionary: { hash: sha256Hex(text) } },
    },
    validation: null,
    thumbs: {},
    options: { seed: 'bench' },
  } as unknown as ReportData;
  const files = workbenchFiles({ report, embeddings: { dim: DIM, images, phrases }, dictionary: { source: 'dictionary.yaml', format: 'yaml', text } });
  if ('reason' in files) throw new Error(`the workbench data was left out: ${files.reason}`);
  // The build's own workbench data goes; the text tower published beside it (its own folder) stays.
  const dir = join(outDir, ...WORKBENCH_DIR.split('/'));
  const tower = TEXT_TOWER_DIR.slice(WORKBENCH_DIR.length).replace(/^\/|\/$/g, '');
  for (const entry of await readdir(dir).catch(() => [] as string[])) if (entry !== tower) await rm(join(dir, entry), { recursive: true, force: true });
  for (const [path, bytes] of files.files) {
    const file = join(outDir, ...path.split('/'));
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, bytes);
  }
  return { text, data: files.data };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '10000' },
      phrases: { type: 'string', default: '100' },
      rounds: { type: 'string', default: '5' },
      'reuse-site': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const count = Number(values.images);
  const phraseCount = Number(values.phrases);
  const rounds = Number(values.rounds);
  if (!(Number.isInteger(count) && count > 0 && Number.isInteger(phraseCount) && phraseCount >= 2 * PER_CATEGORY && phraseCount % PER_CATEGORY === 0 && Number.isInteger(rounds) && rounds > 0)) {
    process.stderr.write(`Expected whole numbers: --images > 0, --phrases a multiple of ${PER_CATEGORY} (at least ${2 * PER_CATEGORY}), --rounds > 0.\n${USAGE}`);
    process.exit(2);
  }
  const load0 = loadavg();
  const siteDir = join(WORK, 'workbench-site');
  if (!values['reuse-site'] || !existsSync(join(siteDir, 'workbench', 'index.html'))) {
    process.stdout.write('Building the demo site (bench/.work/workbench-site)…\n');
    await rm(siteDir, { recursive: true, force: true });
    await buildSite({ outDir: siteDir, cacheDir: join(WORK, 'workbench-cache') });
  }
  const dict = dictionary(phraseCount);
  const { data } = await writeData(siteDir, count, dict);
  process.stdout.write(`Workbench data: ${count} images × ${DIM} dims, ${phraseCount} phrases in ${Object.keys(dict).length} categories, ${(data.bytes / 1e6).toFixed(1)} MB.\n`);

  // The edits, as text the page's parser reads (YAML of the same shape).
  const names = Object.keys(dict);
  const moved = structuredClone(dict);
  const phrase = moved[names[0]].pop()!;
  moved[names[1]].push(phrase);
  const removed = structuredClone(dict);
  delete removed[names[names.length - 1]];
  const edits = { move: stringifyYaml(moved), remove: stringifyYaml(removed) };

  const server = await serveDir(siteDir);
  const browser = await launchBrowser();
  type Round = { open: number; baselineRescore: number; matches: string; move: number; moveRender: number; remove: number; removeRender: number; moveAgain: number; moveAgainRender: number };
  const results: Round[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const opened = await openPage(browser, server.url('/workbench/'));
      const page = opened.page;
      await page.waitForSelector('#workbench[data-ready="true"]', { timeout: 120_000 });
      const open = await page.evaluate(() => ({
        ready: performance.getEntriesByName('workbench:ready')[0].startTime,
        rescore: performance.getEntriesByName('workbench:rescore')[0].duration,
        matches: `${document.getElementById('wb-baseline')!.dataset.matches} of ${document.getElementById('wb-baseline')!.dataset.total}`,
      }));
      if (open.matches !== `${count} of ${count}`) throw new Error(`the page does not match the build: ${open.matches}`);
      const measureEdit = async (edited: string) => {
        const before = await page.getAttribute('#workbench', 'data-renders');
        await page.fill('#wb-text', edited);
        await page.waitForFunction((b) => document.getElementById('workbench')!.dataset.renders !== b, before, { timeout: 60_000 });
        return page.evaluate(() => {
          const last = (name: string) => performance.getEntriesByName(name).at(-1)!.duration;
          return { rescore: last('workbench:rescore'), render: last('workbench:render') };
        });
      };
      const move = await measureEdit(edits.move);
      const remove = await measureEdit(edits.remove);
      // The move once more: the first edit after opening may pay for the opening's garbage.
      const moveAgain = await measureEdit(edits.move);
      const problems = opened.allProblems();
      await opened.context.close();
      if (problems.length > 0) throw new Error(`the page had problems:\n${problems.join('\n')}`);
      const round = { open: open.ready, baselineRescore: open.rescore, matches: open.matches, move: move.rescore, moveRender: move.render, remove: remove.rescore, removeRender: remove.render, moveAgain: moveAgain.rescore, moveAgainRender: moveAgain.render };
      results.push(round);
      process.stdout.write(`round ${r + 1}: ${Object.entries(round).map(([k, v]) => `${k} ${typeof v === 'number' ? `${v.toFixed(0)} ms` : v}`).join(', ')}\n`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const load1 = loadavg();
  const keys = ['open', 'baselineRescore', 'move', 'moveRender', 'remove', 'removeRender', 'moveAgain', 'moveAgainRender'] as const;
  process.stdout.write(`\n${count} images × ${phraseCount} phrases, ${rounds} rounds (ms)   best   median\n`);
  for (const k of keys) {
    const xs = results.map((r) => r[k]);
    process.stdout.write(`  ${k.padEnd(16)} ${Math.min(...xs).toFixed(0).padStart(6)} ${median(xs).toFixed(0).padStart(8)}\n`);
  }
  process.stdout.write(`Load average (1, 5, 15 min): before ${load0.map((x) => x.toFixed(1)).join(', ')}; after ${load1.map((x) => x.toFixed(1)).join(', ')} on ${cpus().length} CPUs.\n`);
}

await main();
