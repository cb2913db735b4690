// Load check — a script to run and read, not a test (it takes minutes):
//
//   node test/load/load-10k.ts [--images 10000] [--files 100000] [--model DIR] [--dir DIR] [--keep]
//
// 1. Generates a folder of `--images` small distinct PNGs (and a 1,000-image subset), classifies
//    both with `clipscope classify` (model: synthetic-tiny, whose inference is ~0.5 ms per image, so
//    the pipeline around it is what is measured; demo-colors costs ~20 ms per image on one core),
//    cold cache then warm, and builds the report
//    of the large one with `astro build` (warm cache, then with an empty cache): wall time and peak
//    RSS of each process. Memory is bounded when the 10× larger folder costs far less than 10× the
//    memory.
// 2. Creates `--files` empty files named like images in 1,000 folders and runs discovery alone, and
//    a whole `clipscope classify` over them (every one skipped as empty, the same bytes under every
//    name): time and peak RSS, which show that no file contents are held.
//
// Peak RSS comes from GNU time (`/usr/bin/time -v`, "Maximum resident set size") when installed,
// else from polling /proc/<pid>/status (VmHWM). Prints a Markdown table.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSmallImages } from '../bad-input/make-corpus.ts';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/clipscope.js');
const ASTRO = join(ROOT, 'node_modules/astro/bin/astro.mjs');

const DICTIONARY = join(ROOT, 'content/dictionary.yaml');
const GNU_TIME = '/usr/bin/time';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '10000' },
    files: { type: 'string', default: '100000' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'skip-site': { type: 'boolean', default: false },
    model: { type: 'string', default: join(ROOT, 'models/synthetic-tiny') },
  },
});
const MODEL = values.model;
const IMAGES = Number(values.images);
const FILES = Number(values.files);
const work = values.dir ?? join(tmpdir(), 'clipscope-load');
mkdirSync(work, { recursive: true });

interface Measure {
  step: string;
  seconds: number;
  peakMiB: number;
  code: number | null;
  note: string;
  output: string;
}
const rows: Measure[] = [];

/** Run a command, measuring wall time and the peak RSS of the process. */
function measure(step: string, command: string, args: string[], env: Record<string, string> = {}, cwd = work): Promise<Measure> {
  const useTime = existsSync(GNU_TIME);
  const timeFile = join(work, 'time.txt');
  const [cmd, argv] = useTime ? [GNU_TIME, ['-v', '-o', timeFile, command, ...args]] : [command, args];
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NO_COLOR: '1', ...env } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let peakKiB = 0;
    const poll = useTime
      ? null
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
          } catch {
            // exited
          }
        }, 100);
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      const seconds = (performance.now() - t0) / 1000;
      if (useTime) {
        const text = readFileSync(timeFile, 'utf8');
        peakKiB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(text)?.[1] ?? 0);
        const status = /Exit status: (\d+)/.exec(text);
        code = status ? Number(status[1]) : code;
      }
      const m: Measure = { step, seconds, peakMiB: peakKiB / 1024, code, note: '', output };
      rows.push(m);
      process.stderr.write(`${step}: ${seconds.toFixed(1)} s, peak RSS ${m.peakMiB.toFixed(0)} MiB, exit ${code}\n`);
      if (code !== 0) process.stderr.write(output.slice(-3000) + '\n');
      resolve(m);
    });
  });
}

const classifyArgs = (images: string, cache: string, out: string) => [
  BIN, 'classify', '--images', images, '--dictionary', DICTIONARY, '--model', MODEL,
  '--out', join(work, `${out}.csv`), '--json', join(work, `${out}.json`), '--cache', cache,
];

function duSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += statSync(join(e.parentPath, e.name)).size;
  }
  return { files, bytes };
}

// --- 1. 10,000 small images ----------------------------------------------------------------------
const big = join(work, `images-${IMAGES}`);
const small = join(work, 'images-1000');
let t0 = performance.now();
if (!existsSync(big) || readdirSync(big).length !== IMAGES) {
  rmSync(big, { recursive: true, force: true });
  await writeSmallImages(big, IMAGES, { size: 64 });
}
if (!existsSync(small) || readdirSync(small).length !== 1000) {
  rmSync(small, { recursive: true, force: true });
  await writeSmallImages(small, 1000, { size: 64 });
}
process.stderr.write(`generated ${IMAGES} + 1000 images (64×64 PNG) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

for (const d of ['cache-1000', 'cache-big', 'cache-site-cold']) rmSync(join(work, d), { recursive: true, force: true });
const r1 = await measure('classify 1,000 images, cold cache', process.execPath, classifyArgs(small, join(work, 'cache-1000'), 'results-1000'));
r1.note = `${(1000 / r1.seconds).toFixed(0)} images/s overall`;
const r2 = await measure(`classify ${IMAGES.toLocaleString('en')} images, cold cache`, process.execPath, classifyArgs(big, join(work, 'cache-big'), 'results-big'));
r2.note = `${(IMAGES / r2.seconds).toFixed(0)} images/s overall`;
const r3 = await measure(`classify ${IMAGES.toLocaleString('en')} images, warm cache`, process.execPath, classifyArgs(big, join(work, 'cache-big'), 'results-big-warm'));
const stats = JSON.parse(readFileSync(join(work, 'results-big-warm.json'), 'utf8')).stats;
r3.note = `${stats.fromCache} from the cache, ${stats.embedded} embedded`;

if (!values['skip-site']) {
  const dist = join(work, 'dist');
  const siteEnv = (cache: string) => ({ CLIPSCOPE_IMAGES: big, CLIPSCOPE_MODEL: MODEL, CLIPSCOPE_CACHE_DIR: cache });
  // (Run from the project folder: Astro resolves the prerender chunks' packages from there.)
  const s1 = await measure(`astro build, ${IMAGES.toLocaleString('en')} images, warm cache`, process.execPath, [ASTRO, 'build', '--outDir', dist], siteEnv(join(work, 'cache-big')), ROOT);
  const size = duSize(dist);
  s1.note = `dist/: ${size.files} files, ${(size.bytes / 2 ** 20).toFixed(1)} MiB`;
  const s2 = await measure(`astro build, ${IMAGES.toLocaleString('en')} images, empty cache`, process.execPath, [ASTRO, 'build', '--outDir', dist], siteEnv(join(work, 'cache-site-cold')), ROOT);
  s2.note = 'classifies, then builds';
}

// --- 2. 100,000 files: discovery ------------------------------------------------------------------
const many = join(work, `files-${FILES}`);
t0 = performance.now();
if (!existsSync(join(many, 'done'))) {
  rmSync(many, { recursive: true, force: true });
  const perDir = Math.ceil(FILES / 1000);
  for (let d = 0; d * perDir < FILES; d++) {
    const dir = join(many, `d${String(d).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < perDir && d * perDir + i < FILES; i++) writeFileSync(join(dir, `f${i}.jpg`), '');
  }
  writeFileSync(join(many, 'done'), '');
}
process.stderr.write(`created ${FILES} empty files in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
const discover = `const { discoverImages } = await import(${JSON.stringify(join(ROOT, 'integrations/engine/discover.ts'))});
const r = await discoverImages(${JSON.stringify(many)});
console.log(JSON.stringify({ images: r.images.length, skipped: r.skipped.length }));`;
const d1 = await measure(`discover ${FILES.toLocaleString('en')} empty files`, process.execPath, ['--input-type=module', '-e', discover]);
d1.note = d1.output.trim().split('\n').pop() ?? '';
const d2 = await measure(`classify ${FILES.toLocaleString('en')} empty files (all skipped)`, process.execPath, [...classifyArgs(many, join(work, 'cache-many'), 'results-many'), '--no-cache']);
const many_ = JSON.parse(readFileSync(join(work, 'results-many.json'), 'utf8'));
d2.note = `${many_.images.length} classified, ${many_.skipped.length} skipped`;

// --- Report -----------------------------------------------------------------------------------------
const lines = [
  '| step | wall time | peak RSS | exit | note |',
  '|---|---:|---:|---:|---|',
  ...rows.map((r) => `| ${r.step} | ${r.seconds.toFixed(1)} s | ${r.peakMiB.toFixed(0)} MiB | ${r.code} | ${r.note} |`),
];
process.stdout.write(lines.join('\n') + '\n');
if (!values.keep) {
  for (const d of ['dist', 'cache-1000', 'cache-big', 'cache-site-cold', 'cache-many']) rmSync(join(work, d), { recursive: true, force: true });
  process.stderr.write(`(generated folders kept in ${work} for a rerun; delete it when done)\n`);
}
