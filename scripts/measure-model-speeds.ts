// Measures the vision tower of every model `clipscope model list` shows, here, on a speed twin: the
// real architecture at the real shapes with random weights (scripts/reference/make_speed_twin.py,
// Python: torch + transformers, timm for MobileCLIP), loaded and run by clipscope's own engine
// (loadModel + embedImages, the calls `classify` makes) on a fixed batch of preprocessed images.
//
//   node scripts/measure-model-speeds.ts [repo-or-twin ...] [--rounds N] [--batch N] [--threads N]
//
// Without names it measures every listed model with a twin. Each twin is generated into
// models/.speed-twins/<twin>/ (git-ignored), measured at fp32 and at the quantized (int8) variant,
// then deleted before the next one — an L/14 twin is ~1.2 GB. Results are merged into
// integrations/engine/model/speeds.json (one entry per repository and variant: best images/s of
// the rounds, every round, the load average before and after, date), which `model list` reads.
// The machine is shared, so each variant is measured `rounds` times and the best kept, with the
// load average beside it.
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModel } from '../integrations/engine/model/load.ts';
import { onnxruntimeVersion } from '../integrations/engine/model/onnx.ts';
import { KNOWN_MODELS, SPEEDS_FILE, speedTwinOf, type SpeedRecord, type SpeedsFile } from '../integrations/engine/model/known-models.ts';
import { preprocessImage, tensorSize } from '../integrations/engine/preprocess.ts';
import type { ModelVariant } from '../integrations/engine/model/layout.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TWINS_DIR = join(ROOT, 'models', '.speed-twins');
const BUILDER = join(ROOT, 'scripts', 'reference', 'make_speed_twin.py');
const IMAGES = join(ROOT, 'test', 'fixtures', 'models', 'images');
const IMAGE_FILES = ['blobs-64.jpg', 'blobs-64.png', 'gradient-64.png', 'rings-96.png', 'gradient-32.png', 'rings-32.png'];
const VARIANTS: ModelVariant[] = ['fp32', 'quantized'];

const round2 = (n: number) => Math.round(n * 100) / 100;

async function measure(dir: string, variant: ModelVariant, o: { rounds: number; batch: number; threads: number }): Promise<Omit<SpeedRecord, 'twin' | 'date'>> {
  const model = await loadModel(dir, { threads: o.threads, variant });
  try {
    const cfg = model.info.preprocess;
    const size = tensorSize(cfg);
    const pixels = new Float32Array(o.batch * size);
    for (let i = 0; i < o.batch; i++) {
      const file = IMAGE_FILES[i % IMAGE_FILES.length];
      await preprocessImage(await readFile(join(IMAGES, file)), cfg, { out: pixels, offset: i * size });
    }
    await model.embedImages(pixels, o.batch); // warm-up: first-run allocations and kernel choice
    const before = loadavg().map(round2);
    const rounds: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < o.rounds; r++) {
      const started = performance.now();
      const cpuStart = process.cpuUsage();
      await model.embedImages(pixels, o.batch);
      rounds.push(round2((o.batch * 1000) / (performance.now() - started)));
      const used = process.cpuUsage(cpuStart);
      cpu.push((used.user + used.system) / 1e6 / o.batch);
    }
    // CPU seconds per image (all of onnxruntime's threads), the least of the rounds: much less
    // dependent on the machine's load than images/s, which waits for the CPU.
    const cpuSecondsPerImage = Math.round(Math.min(...cpu) * 1000) / 1000;
    return { variant, imagesPerSecond: Math.max(...rounds), rounds, cpuSecondsPerImage, batch: o.batch, threads: o.threads, loadAverageBefore: before, loadAverageAfter: loadavg().map(round2) };
  } finally {
    await model.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { rounds: { type: 'string', default: '3' }, batch: { type: 'string', default: '16' }, threads: { type: 'string', default: '2' } },
  });
  const o = { rounds: Number(values.rounds), batch: Number(values.batch), threads: Number(values.threads) };
  const listed = KNOWN_MODELS.map((m) => ({ repo: m.repo, twin: speedTwinOf(m.repo) }));
  // In the order given (the large twins can be left to the end), else in list order.
  const wanted = positionals.length === 0 ? listed : positionals.flatMap((p) => listed.filter((m) => m.repo === p || m.twin === p));
  if (wanted.length === 0) throw new Error(`none of ${positionals.join(', ')} is a listed repository or twin (${listed.map((m) => m.twin).join(', ')})`);

  const file: SpeedsFile = await readFile(SPEEDS_FILE, 'utf8').then((t) => JSON.parse(t) as SpeedsFile, () => ({ note: '', machine: { cpu: '', cores: 0, onnxruntime: '' }, models: {} }));
  file.machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, onnxruntime: onnxruntimeVersion() };
  file.note =
    `Vision-tower images/s measured by scripts/measure-model-speeds.ts on a speed twin of each model (its real architecture and shapes, random weights), through clipscope's engine (loadModel + embedImages), onnxruntime threads, batch size and rounds as recorded with each entry, best of the rounds after a warm-up batch. ` +
    'The machine is shared with other work: the load average (1, 5, 15 min) before and after each measurement is recorded beside it; a high one means the number is low. Decoding and resizing are not included.';

  // One twin per architecture: repositories sharing a twin share its measurement.
  for (const twin of [...new Set(wanted.map((m) => m.twin))]) {
    const dir = join(TWINS_DIR, twin);
    await rm(dir, { recursive: true, force: true });
    console.log(`${twin}: building the twin`);
    execFileSync('python3', [BUILDER, twin, dir, '--quantized'], { stdio: ['ignore', 'inherit', 'inherit'] });
    try {
      for (const variant of VARIANTS) {
        const result = await measure(dir, variant, o);
        console.log(`${twin} ${variant}: ${result.imagesPerSecond} images/s (rounds ${result.rounds.join(', ')}; load ${result.loadAverageBefore.join(' ')})`);
        for (const m of wanted.filter((w) => w.twin === twin)) {
          file.models[m.repo] = { ...file.models[m.repo], [variant]: { twin, date: new Date().toISOString().slice(0, 10), ...result } };
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const sorted = Object.fromEntries(Object.entries(file.models).sort(([a], [b]) => a.localeCompare(b)));
    // Arrays of numbers on one line each, to keep the file short.
    const text = JSON.stringify({ ...file, models: sorted }, null, 2).replace(/\[\s*([-\d.,\s]+?)\s*\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
    await writeFile(SPEEDS_FILE, `${text}\n`);
  }
  await rm(TWINS_DIR, { recursive: true, force: true });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
