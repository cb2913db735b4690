// A short curated list of Hub repositories in the layout clipscope reads, for `clipscope model list`.
// Repositories marked `fetch: true` are known to fit: each has onnx/vision_model.onnx and
// onnx/text_model.onnx (plus variants), config.json with model_type "clip" or "siglip", and a
// tokenizer.json. The LAION / OpenCLIP checkpoints (`fetch: false`) are published with PyTorch
// weights only: they run once exported into that layout (their config.json says model_type "clip").
// Licences are those of the original weights (the ONNX repositories are conversions).
//
// The images/s columns come from speeds.json beside this file, written by
// scripts/measure-model-speeds.ts: each listed model's vision tower measured on this project's
// machine on a "speed twin" (the same architecture and shapes, random weights).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface KnownModel {
  repo: string;
  family: 'clip' | 'siglip';
  /** What it is, briefly. */
  model: string;
  /** Languages its text tower was trained for. */
  languages: string;
  /** Input image size, pixels (square). */
  imageSize: number;
  /** Embedding width. */
  dim: number;
  licence: string;
  /** Whether `clipscope model fetch` can download it as it is (an ONNX export in the layout). */
  fetch: boolean;
  /** The speed twin (scripts/reference/make_speed_twin.py) whose measurement stands for it. */
  twin: string;
}

const OPENAI = (size: string) => `MIT (openai/clip-vit-${size})`;
const APPLE = 'Apple sample-code licence (apple/ml-mobileclip)';

export const KNOWN_MODELS: readonly KnownModel[] = Object.freeze([
  { repo: 'Xenova/clip-vit-base-patch32', family: 'clip', model: 'OpenAI CLIP ViT-B/32', languages: 'English', imageSize: 224, dim: 512, licence: OPENAI('base-patch32'), fetch: true, twin: 'clip-vit-base-patch32' },
  { repo: 'Xenova/clip-vit-base-patch16', family: 'clip', model: 'OpenAI CLIP ViT-B/16', languages: 'English', imageSize: 224, dim: 512, licence: OPENAI('base-patch16'), fetch: true, twin: 'clip-vit-base-patch16' },
  { repo: 'Xenova/clip-vit-large-patch14', family: 'clip', model: 'OpenAI CLIP ViT-L/14', languages: 'English', imageSize: 224, dim: 768, licence: OPENAI('large-patch14'), fetch: true, twin: 'clip-vit-large-patch14' },
  { repo: 'Xenova/clip-vit-large-patch14-336', family: 'clip', model: 'OpenAI CLIP ViT-L/14 at 336 px', languages: 'English', imageSize: 336, dim: 768, licence: OPENAI('large-patch14-336'), fetch: true, twin: 'clip-vit-large-patch14-336' },
  { repo: 'Xenova/mobileclip_s0', family: 'clip', model: 'Apple MobileCLIP-S0', languages: 'English', imageSize: 256, dim: 512, licence: APPLE, fetch: true, twin: 'mobileclip_s0' },
  { repo: 'Xenova/mobileclip_s1', family: 'clip', model: 'Apple MobileCLIP-S1', languages: 'English', imageSize: 256, dim: 512, licence: APPLE, fetch: true, twin: 'mobileclip_s1' },
  { repo: 'Xenova/mobileclip_s2', family: 'clip', model: 'Apple MobileCLIP-S2', languages: 'English', imageSize: 256, dim: 512, licence: APPLE, fetch: true, twin: 'mobileclip_s2' },
  { repo: 'Xenova/mobileclip_b', family: 'clip', model: 'Apple MobileCLIP-B', languages: 'English', imageSize: 224, dim: 512, licence: APPLE, fetch: true, twin: 'mobileclip_b' },
  { repo: 'laion/CLIP-ViT-B-32-laion2B-s34B-b79K', family: 'clip', model: 'LAION OpenCLIP ViT-B/32 (LAION-2B)', languages: 'English', imageSize: 224, dim: 512, licence: 'MIT (laion/CLIP-ViT-B-32-laion2B-s34B-b79K)', fetch: false, twin: 'laion-clip-vit-b-32' },
  { repo: 'Xenova/siglip-base-patch16-224', family: 'siglip', model: 'Google SigLIP base/16', languages: 'English', imageSize: 224, dim: 768, licence: 'Apache-2.0 (google/siglip-base-patch16-224)', fetch: true, twin: 'siglip-base-patch16-224' },
  { repo: 'onnx-community/siglip2-base-patch16-224-ONNX', family: 'siglip', model: 'Google SigLIP 2 base/16', languages: 'multilingual', imageSize: 224, dim: 768, licence: 'Apache-2.0 (google/siglip2-base-patch16-224)', fetch: true, twin: 'siglip2-base-patch16-224' },
]);

/** speeds.json: measured images/s per repository and variant. */
export const SPEEDS_FILE = fileURLToPath(new URL('./speeds.json', import.meta.url));

export interface SpeedRecord {
  twin: string;
  variant: string;
  /** Best of the rounds. */
  imagesPerSecond: number;
  rounds: number[];
  /** CPU seconds per image over all threads (the least of the rounds), where measured: less
   * dependent on the machine's load than imagesPerSecond. */
  cpuSecondsPerImage?: number;
  batch: number;
  threads: number;
  /** os.loadavg() (1, 5, 15 minutes) before the first round and after the last. */
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  /** YYYY-MM-DD */
  date: string;
}

export interface SpeedsFile {
  note: string;
  machine: { cpu: string; cores: number; onnxruntime: string };
  models: Record<string, Partial<Record<string, SpeedRecord>>>;
}

/** The committed measurements, or none when the file is missing or unreadable. */
export function readSpeeds(file: string = SPEEDS_FILE): SpeedsFile | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as SpeedsFile;
    return parsed && typeof parsed.models === 'object' && parsed.models !== null ? parsed : null;
  } catch {
    return null;
  }
}

/** The speed twin of a listed repository. */
export function speedTwinOf(repo: string): string {
  const known = KNOWN_MODELS.find((m) => m.repo === repo);
  if (!known) throw new Error(`${repo} is not in the model list`);
  return known.twin;
}

/** The list as a plain-text table (fixed-width columns, one row per repository), with the measured
 * vision-tower speeds (images/s at fp32 and the int8 "quantized" variant, CPU seconds per image at
 * fp32) and a note on how they were measured. */
export function knownModelsTable(models: readonly KnownModel[] = KNOWN_MODELS, speeds: SpeedsFile | null = readSpeeds()): string {
  const rate = (repo: string, variant: string) => {
    const r = speeds?.models[repo]?.[variant];
    return r ? r.imagesPerSecond.toFixed(r.imagesPerSecond < 10 ? 1 : 0) : '–';
  };
  const cpu = (repo: string) => speeds?.models[repo]?.fp32?.cpuSecondsPerImage?.toFixed(2) ?? '–';
  const header = ['repository', 'family', 'model', 'languages', 'image', 'dim', 'fp32 img/s', 'int8 img/s', 'fp32 CPU-s/img', 'licence'];
  const rows = models.map((m) => [
    m.fetch ? m.repo : `${m.repo} *`,
    m.family,
    m.model,
    m.languages,
    `${m.imageSize} px`,
    String(m.dim),
    rate(m.repo, 'fp32'),
    rate(m.repo, 'quantized'),
    cpu(m.repo),
    m.licence,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  const notes: string[] = [];
  const records = Object.values(speeds?.models ?? {}).flatMap((v) => Object.values(v ?? {})) as SpeedRecord[];
  if (speeds && records.length > 0) {
    const span = (values: number[], fixed = 0) => {
      const [lo, hi] = [Math.min(...values), Math.max(...values)];
      return lo === hi ? lo.toFixed(fixed) : `${lo.toFixed(fixed)} to ${hi.toFixed(fixed)}`;
    };
    const dates = [...new Set(records.map((r) => r.date))].sort();
    notes.push(
      `img/s: images per second through the vision tower alone (no decoding), measured here on a ${speeds.machine.cores}-core CPU (${speeds.machine.cpu}, onnxruntime ${speeds.machine.onnxruntime}) ` +
        `on a speed twin of each model (same architecture and shapes, random weights), batch ${span(records.map((r) => r.batch))}, best of ${span(records.map((r) => r.rounds.length))} rounds, ${dates.join(' to ')}. ` +
        `The machine was shared with other work (1-minute load average ${span(records.map((r) => r.loadAverageBefore[0]), 1)} on ${speeds.machine.cores} cores), so these are lower bounds and compare models only roughly; CPU-s/img (CPU seconds per image over all threads, least of the rounds) depends far less on the load and ranks the models better. – = not measured.`,
    );
  } else {
    notes.push('img/s: not measured (speeds.json is missing).');
  }
  if (models.some((m) => !m.fetch)) notes.push('* PyTorch weights only on the Hub: export the towers into the ONNX layout first (see README, Models); `clipscope model fetch` cannot download it as it is.');
  return [line(header), ...rows.map(line), '', ...notes].join('\n') + '\n';
}
