// `clipscope doctor`: what this installation is and finds — the first thing to paste into a bug
// report. Node, onnxruntime-node and sharp versions, the execution providers onnxruntime offers here
// (and which one --device auto picks), cores and default threads, the embedding cache (location,
// size, entries) and the model folders found. `--json` prints the same as one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { formatBytes } from '../core/format.ts';
import { sharpVersions } from '../engine/decode.ts';
import { AUTO_ORDER, DEVICES, planDevice, providerStatus, type Availability, type Provider } from '../engine/model/device.ts';
import { MODEL_VARIANTS, modelFolderFiles, type ModelVariant } from '../engine/model/layout.ts';
import { onnxAvailability } from '../engine/model/onnx.ts';
import { openStore, STORE_FILE } from '../engine/store.ts';
import { CLIPSCOPE_VERSION } from '../engine/version.ts';
import { cacheFolder } from './shared.ts';

interface DoctorReport {
  clipscope: string;
  node: { version: string; platform: string; arch: string };
  machine: { cpus: number; cpuModel: string | null; memory: number; defaultThreads: number };
  onnxruntime: {
    version: string;
    providers: { name: string; bundled: boolean; available: boolean; reason: string | null }[];
    /** The provider --device auto starts with. */
    auto: string;
  };
  sharp: { sharp: string; libvips: string };
  cache: { location: string; exists: boolean; bytes: number; images: number; texts: number; models: { name: string | null; images: number; texts: number }[] };
  models: { folder: string; variants: ModelVariant[]; missing: string[] }[];
}

interface DoctorFlags {
  cache?: string;
  models?: string[];
  json?: boolean;
}

const DEVICE_NAMES = new Set<string>(DEVICES);

/** The providers of the binding, with whether clipscope can use each and why not. */
function providerRows(a: Availability): DoctorReport['onnxruntime']['providers'] {
  return a.backends.map((b) => {
    if (!DEVICE_NAMES.has(b.name) || b.name === 'auto') {
      return { name: b.name, bundled: b.bundled, available: false, reason: 'not offered by clipscope --device' };
    }
    const status = providerStatus(b.name as Provider, a);
    return { name: b.name, bundled: b.bundled, available: status.available, reason: status.available ? null : status.reason };
  });
}

/** Model folders: each given folder if it is one, else its subfolders that are. A folder counts when
 * it has config.json; its variants are the ONNX pairs that are complete. */
function findModelFolders(roots: readonly string[]): DoctorReport['models'] {
  const found: DoctorReport['models'] = [];
  const inspect = (dir: string) => {
    const variants = MODEL_VARIANTS.filter((v) => modelFolderFiles(v).required.every((f) => fs.existsSync(path.join(dir, f))));
    const missing = variants.length > 0 ? [] : modelFolderFiles('fp32').required.filter((f) => !fs.existsSync(path.join(dir, f)));
    found.push({ folder: dir, variants, missing });
  };
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    if (fs.existsSync(path.join(root, 'config.json'))) {
      inspect(root);
      continue;
    }
    for (const entry of fs.readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory() && fs.existsSync(path.join(root, entry.name, 'config.json'))) inspect(path.join(root, entry.name));
    }
  }
  return found;
}

function collectDoctorReport(flags: DoctorFlags, cwd = process.cwd(), env = process.env): DoctorReport {
  const availability = onnxAvailability();
  const cacheDir = cacheFolder(flags.cache, cwd, env);
  const file = path.join(cacheDir, STORE_FILE);
  const exists = fs.existsSync(file);
  const store = exists ? openStore({ dir: cacheDir, readonly: true, log: () => {} }) : null;
  const stats = store?.stats();
  store?.close();
  const roots = flags.models?.length ? flags.models.map((m) => path.resolve(cwd, m)) : [path.join(cwd, 'models'), ...(env.CLIPSCOPE_MODEL ? [path.resolve(cwd, env.CLIPSCOPE_MODEL)] : [])];
  const cpus = os.cpus();
  return {
    clipscope: CLIPSCOPE_VERSION,
    node: { version: process.version, platform: process.platform, arch: process.arch },
    machine: { cpus: os.availableParallelism(), cpuModel: cpus[0]?.model?.trim() || null, memory: os.totalmem(), defaultThreads: os.availableParallelism() },
    onnxruntime: { version: availability.version, providers: providerRows(availability), auto: planDevice('auto', availability).candidates[0] },
    sharp: sharpVersions(),
    cache: {
      location: file,
      exists,
      bytes: stats?.bytes ?? 0,
      images: stats?.images ?? 0,
      texts: stats?.texts ?? 0,
      models: (stats?.models ?? []).map((m) => ({ name: m.name, images: m.images, texts: m.texts })),
    },
    models: [...new Map(findModelFolders(roots).map((m) => [m.folder, m])).values()],
  };
}

function providerNote(p: DoctorReport['onnxruntime']['providers'][number]): string {
  const where = p.bundled ? 'ships with onnxruntime-node' : 'installed';
  if (p.name === 'cpu') return where;
  // Whether a GPU answers is only known when a session starts (see --device).
  return AUTO_ORDER.includes(p.name as Provider) ? `${where}; tried first by --device auto` : `${where}; needs a GPU adapter, only with --device ${p.name}`;
}

function formatDoctorReport(r: DoctorReport): string {
  const lines = [
    `clipscope    ${r.clipscope}`,
    `Node.js      ${r.node.version} (${r.node.platform}/${r.node.arch})`,
    `machine      ${r.machine.cpus} cores${r.machine.cpuModel ? ` (${r.machine.cpuModel})` : ''}, ${formatBytes(r.machine.memory)} memory; default --threads ${r.machine.defaultThreads}`,
    `onnxruntime  onnxruntime-node ${r.onnxruntime.version}; --device auto uses ${r.onnxruntime.auto}`,
    ...r.onnxruntime.providers.map((p) => `  ${p.available ? '✓' : '✗'} ${p.name.padEnd(8)} ${p.available ? providerNote(p) : p.reason}`),
    `sharp        ${r.sharp.sharp} (libvips ${r.sharp.libvips})`,
    `cache        ${r.cache.location}${r.cache.exists ? ` (${formatBytes(r.cache.bytes)}): ${r.cache.images} image and ${r.cache.texts} text embeddings` : ' (not created yet)'}`,
    ...r.cache.models.map((m) => `  ${m.name ?? '(unnamed)'}: ${m.images} images, ${m.texts} texts`),
    `models       ${r.models.length === 0 ? 'no model folder found (clipscope model fetch Xenova/clip-vit-base-patch32)' : `${r.models.length} folder${r.models.length === 1 ? '' : 's'}`}`,
    ...r.models.map((m) => `  ${m.folder}: ${m.variants.length > 0 ? m.variants.join(', ') : `incomplete, missing ${m.missing.join(', ')}`}`),
  ];
  if (r.onnxruntime.providers.some((p) => p.name === 'cuda' && !p.available)) lines.push('CUDA: `npm run gpu:install` downloads onnxruntime-node\'s CUDA provider (NVIDIA driver, CUDA 12 and cuDNN 9 needed too).');
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Show versions, execution providers, threads, the cache and the model folders found — paste it into a bug report.')
    .option('--cache <dir>', 'embedding cache folder (default .clipscope, or CLIPSCOPE_CACHE_DIR)')
    .option('--models <dir...>', 'model folders, or folders of them, to check (default models/ and CLIPSCOPE_MODEL)')
    .option('--json', 'print JSON on stdout')
    .action((flags: DoctorFlags) => {
      const report = collectDoctorReport(flags);
      process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatDoctorReport(report));
    });
}
