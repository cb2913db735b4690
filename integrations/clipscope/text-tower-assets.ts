// The Workbench's text tower, published with the site: under _clipscope/workbench/text-tower/ the
// model's text graph (the 8-bit variant where the model folder has one, else fp32), its tokenizer
// files, onnxruntime-web's plain WASM build, and a manifest listing them with sizes and sha256 sums
// (core/text-tower.ts). The Workbench page (src/scripts/workbench/text-tower.ts) embeds new phrases
// with them in the browser.
//
// planTextTower() decides, purely, what is published or why nothing is; gatherTextTowerInputs()
// reads what it needs from the model folder and node_modules; publishTextTower() copies the files
// (splitting a graph over GitHub Pages' 100 MB file limit into parts) and writes the manifest last.
// The runtime is copied from node_modules here, never imported: onnxruntime (node) stays in
// engine/model/onnx.ts and onnxruntime-web runs only in the browser.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { tempPathFor, writeFileAtomic } from '../engine/atomic.ts';
import { readClipTokenizer } from '../engine/model/tokenizer.ts';
import { onnxFiles, type ModelVariant } from '../engine/model/layout.ts';
import { formatBytes } from '../core/format.ts';
import { TEXT_TOWER_DIR, TEXT_TOWER_FORMAT, TEXT_TOWER_MANIFEST, type TextTowerFile, type TextTowerManifest } from '../core/text-tower.ts';
import { preprocessConfigFrom } from '../engine/preprocess.ts';
import type { RunMetadata } from '../core/types.ts';
import { PAGES_SITE_LIMIT_BYTES } from './site-size.ts';

/** The variants the browser runs, in order of preference: 8-bit first (about a quarter of fp32's
 * bytes to download, and faster on WASM), then fp32. fp16 and 4-bit graphs are not published:
 * onnxruntime-web's CPU (WASM) backend lacks kernels for many of their operators. */
export const BROWSER_VARIANTS: readonly ModelVariant[] = ['quantized', 'int8', 'uint8', 'fp32'];

/** GitHub Pages (and git hosting) refuses files over 100 MB; a larger graph is split into parts
 * of PART_BYTES, which the browser joins again. */
export const MAX_FILE_BYTES = 100_000_000;
export const PART_BYTES = 50_000_000;
/** A GitHub Pages site may be at most 1 GB: a tower above that is left out. */
export const MAX_TOWER_BYTES = PAGES_SITE_LIMIT_BYTES;

/** onnxruntime-web's plain WASM build (no JSEP/WebGPU): its module, the Emscripten glue it
 * imports from the same folder (wasmPaths), and the WebAssembly binary. */
export const RUNTIME_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'] as const;
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;

export interface SourceFile {
  /** Relative to the model folder (model and tokenizer files) or to onnxruntime-web's dist/. */
  path: string;
  bytes: number;
}

/** What the plan needs to know, gathered by gatherTextTowerInputs (or made up by a test). */
export interface TextTowerInputs {
  model: { name: string; family: TextTowerManifest['family']; projectionDim: number; contextLength: number; variant: string; imageSize: [number, number] };
  padding: TextTowerManifest['padding'];
  /** The text graphs in the model folder by variant (only variants whose file exists). */
  graphs: Partial<Record<ModelVariant, SourceFile>>;
  /** Files of the model folder that hold a graph's weights outside it (`*.onnx_data`). */
  externalData: string[];
  tokenizer: SourceFile[];
  /** onnxruntime-web's version and files, or null when it is not installed. */
  runtime: { version: string; files: SourceFile[] } | null;
}

/** One file to publish: bytes start..end (exclusive) of a source file. */
export interface TowerCopy {
  name: string;
  role: TextTowerFile['role'];
  from: 'model' | 'runtime';
  path: string;
  start: number;
  end: number;
}

export type TextTowerPlan =
  | { publish: false; reason: string }
  | { publish: true; manifest: Omit<TextTowerManifest, 'files'> & { files: Omit<TextTowerFile, 'sha256'>[] }; copies: TowerCopy[]; summary: string };

/** The parts a file of `bytes` is published as: itself when it fits, else PART_BYTES pieces named
 * name.000, name.001, … */
export function splitParts(name: string, bytes: number, maxFileBytes = MAX_FILE_BYTES, partBytes = PART_BYTES): { name: string; start: number; end: number }[] {
  if (bytes <= maxFileBytes) return [{ name, start: 0, end: bytes }];
  const parts: { name: string; start: number; end: number }[] = [];
  for (let start = 0, i = 0; start < bytes; start += partBytes, i++) parts.push({ name: `${name}.${String(i).padStart(3, '0')}`, start, end: Math.min(bytes, start + partBytes) });
  return parts;
}

/** What to publish for the Workbench's text tower, or why nothing (the reason goes to the build log
 * and, on the page, to the reader). Pure. */
export function planTextTower(inputs: TextTowerInputs): TextTowerPlan {
  const { model } = inputs;
  if (!inputs.runtime) return { publish: false, reason: 'onnxruntime-web is not installed (run `npm install`), so the Workbench cannot embed new phrases in the browser.' };
  const missingRuntime = RUNTIME_FILES.filter((f) => !inputs.runtime!.files.some((s) => s.path === f));
  if (missingRuntime.length > 0) return { publish: false, reason: `onnxruntime-web ${inputs.runtime.version} lacks ${missingRuntime.join(', ')} (its plain WASM build); install onnxruntime-web ~1.30 as package.json says.` };
  const variant = BROWSER_VARIANTS.find((v) => inputs.graphs[v]);
  if (!variant) {
    return {
      publish: false,
      reason: `model ${model.name} has no text graph the browser can run (${BROWSER_VARIANTS.map((v) => onnxFiles(v).text).join(', ')}); fetch one with \`clipscope model fetch <repo-id> --quantized\`.`,
    };
  }
  const graph = inputs.graphs[variant]!;
  const external = inputs.externalData.filter((f) => f.startsWith(`${graph.path}_data`));
  if (external.length > 0) return { publish: false, reason: `${graph.path} keeps its weights in ${external.join(', ')} (a graph over 2 GB), which is too large to embed phrases in a browser.` };
  const tokenizerMissing = TOKENIZER_FILES.filter((f) => !inputs.tokenizer.some((s) => s.path === f));
  if (tokenizerMissing.length > 0) return { publish: false, reason: `model ${model.name} lacks ${tokenizerMissing.join(', ')}.` };

  const onnxName = graph.path.split('/').pop()!;
  const parts = splitParts(onnxName, graph.bytes);
  const copies: TowerCopy[] = [
    ...TOKENIZER_FILES.map((f): TowerCopy => ({ name: f, role: 'tokenizer', from: 'model', path: f, start: 0, end: inputs.tokenizer.find((s) => s.path === f)!.bytes })),
    ...RUNTIME_FILES.map((f): TowerCopy => ({ name: f, role: 'runtime', from: 'runtime', path: f, start: 0, end: inputs.runtime!.files.find((s) => s.path === f)!.bytes })),
    ...parts.map((p): TowerCopy => ({ name: p.name, role: 'model', from: 'model', path: graph.path, start: p.start, end: p.end })),
  ];
  const files = copies.map((c) => ({ name: c.name, role: c.role, bytes: c.end - c.start }));
  const totalBytes = files.reduce((sum, f) => sum + f.bytes, 0);
  if (totalBytes > MAX_TOWER_BYTES) {
    return { publish: false, reason: `its text tower (${graph.path}, ${formatBytes(graph.bytes)}) with the runtime is ${formatBytes(totalBytes)}, over GitHub Pages' 1 GB site limit; use a quantized variant (\`clipscope model fetch <repo-id> --quantized\`).` };
  }
  const bytesOf = (role: TextTowerFile['role']) => formatBytes(files.filter((f) => f.role === role).reduce((s, f) => s + f.bytes, 0));
  const split = parts.length > 1 ? ` in ${parts.length} parts of at most ${formatBytes(PART_BYTES)} (GitHub Pages refuses files over ${formatBytes(MAX_FILE_BYTES)})` : '';
  return {
    publish: true,
    copies,
    summary: `Workbench text tower: ${variant} ${graph.path} ${bytesOf('model')}${split} + tokenizer ${bytesOf('tokenizer')} + onnxruntime-web ${inputs.runtime.version} WASM ${bytesOf('runtime')} = ${formatBytes(totalBytes)} under ${TEXT_TOWER_DIR}`,
    manifest: {
      format: TEXT_TOWER_FORMAT,
      model: model.name,
      family: model.family,
      variant,
      runVariant: model.variant,
      dim: model.projectionDim,
      contextLength: model.contextLength,
      padding: inputs.padding,
      imageSize: model.imageSize,
      onnx: { name: onnxName, bytes: graph.bytes, parts: parts.map((p) => p.name) },
      runtime: { package: 'onnxruntime-web', version: inputs.runtime.version, entry: RUNTIME_FILES[0] },
      files,
      totalBytes,
    },
  };
}

/** onnxruntime-web's dist/ folder and version, or null when it is not installed. */
async function runtimeDir(): Promise<{ dir: string; version: string } | null> {
  try {
    // Its package.json is not exported; the Node entry lies in dist/, one level below it.
    const dir = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
    const pkg = JSON.parse(await readFile(join(dir, '..', 'package.json'), 'utf8')) as { version: string };
    return { dir, version: pkg.version };
  } catch {
    return null;
  }
}

async function sizeOf(file: string): Promise<number | null> {
  const st = await stat(file).catch(() => null);
  return st?.isFile() ? st.size : null;
}

/** Reads what planTextTower needs: the model folder's text graphs, tokenizer (and its padding) and
 * image size, onnxruntime-web's files. `run` is the build's run's model. */
export async function gatherTextTowerInputs(modelDir: string, run: RunMetadata['model']): Promise<{ inputs: TextTowerInputs; runtimeDir: string | null }> {
  const graphs: TextTowerInputs['graphs'] = {};
  for (const v of BROWSER_VARIANTS) {
    const path = onnxFiles(v).text;
    const bytes = await sizeOf(join(modelDir, path));
    if (bytes !== null) graphs[v] = { path, bytes };
  }
  const onnxDir = await readdir(join(modelDir, 'onnx')).catch(() => [] as string[]);
  const tokenizer: SourceFile[] = [];
  for (const f of TOKENIZER_FILES) {
    const bytes = await sizeOf(join(modelDir, f));
    if (bytes !== null) tokenizer.push({ path: f, bytes });
  }
  const tok = await readClipTokenizer(modelDir);
  const preprocessFile = join(modelDir, 'preprocessor_config.json');
  const preprocess = preprocessConfigFrom(JSON.parse(await readFile(preprocessFile, 'utf8')), preprocessFile);
  const ort = await runtimeDir();
  const runtimeFiles: SourceFile[] = [];
  for (const f of ort ? RUNTIME_FILES : []) {
    const bytes = await sizeOf(join(ort!.dir, f));
    if (bytes !== null) runtimeFiles.push({ path: f, bytes });
  }
  return {
    inputs: {
      model: {
        name: run.name,
        family: run.family ?? 'clip',
        projectionDim: run.projectionDim,
        contextLength: tok.contextLength,
        variant: run.variant,
        imageSize: [preprocess.cropHeight, preprocess.cropWidth],
      },
      padding: { padId: tok.padId, padTo: tok.padTo, padLeft: tok.padLeft },
      graphs,
      externalData: onnxDir.filter((f) => f.endsWith('_data')).map((f) => `onnx/${f}`),
      tokenizer,
      runtime: ort ? { version: ort.version, files: runtimeFiles } : null,
    },
    runtimeDir: ort?.dir ?? null,
  };
}

/** Copies bytes start..end of `file` to `target` (via a temporary name), returning their sha256. */
async function copyRange(file: string, start: number, end: number, target: string): Promise<string> {
  const hash = createHash('sha256');
  const temp = tempPathFor(target);
  try {
    // (createReadStream's end is inclusive; an empty range reads nothing.)
    async function* bytes(): AsyncGenerator<Buffer> {
      if (end <= start) return;
      for await (const chunk of createReadStream(file, { start, end: end - 1 })) {
        hash.update(chunk as Buffer);
        yield chunk as Buffer;
      }
    }
    await pipeline(bytes(), createWriteStream(temp));
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  return hash.digest('hex');
}

/** Writes the tower into the built site (`astro:build:done`): every file, then the manifest with
 * their sha256 sums, so a build killed midway leaves no manifest pointing at missing files. A
 * previous build's tower folder is replaced. Returns the manifest written. */
export async function publishTextTower(plan: Extract<TextTowerPlan, { publish: true }>, dirs: { model: string; runtime: string }, outDir: string): Promise<TextTowerManifest> {
  const target = join(outDir, ...TEXT_TOWER_DIR.split('/').filter(Boolean));
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  const sums = new Map<string, string>();
  for (const c of plan.copies) {
    const sha256 = await copyRange(join(c.from === 'model' ? dirs.model : dirs.runtime, ...c.path.split('/')), c.start, c.end, join(target, c.name));
    sums.set(c.name, sha256);
  }
  const manifest: TextTowerManifest = { ...plan.manifest, files: plan.manifest.files.map((f) => ({ ...f, sha256: sums.get(f.name)! })) };
  await writeFileAtomic(join(target, TEXT_TOWER_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Plans and publishes the tower for a build; returns the line for the build log (what was
 * published and its size, or why nothing was). */
export async function buildTextTower(modelDir: string, run: RunMetadata['model'], outDir: string): Promise<{ published: boolean; message: string }> {
  const { inputs, runtimeDir: ortDir } = await gatherTextTowerInputs(modelDir, run);
  const plan = planTextTower(inputs);
  if (!plan.publish) return { published: false, message: `Workbench text tower not published: ${plan.reason}` };
  await publishTextTower(plan, { model: modelDir, runtime: ortDir! }, outDir);
  return { published: true, message: plan.summary };
}

/** A file of the tower as `astro dev` serves it: bytes in memory (the manifest) or a range of a file. */
export type TowerDevFile = { data: string; type: string } | { file: string; start: number; end: number; type: string };

/** The tower's files for `astro dev`, by site path (TEXT_TOWER_DIR + name): the same plan as a build,
 * the parts served from ranges of the model file, the manifest with their sha256 sums (hashed here,
 * once per prepared report). Empty when nothing would be published. */
export async function devTextTower(modelDir: string, run: RunMetadata['model']): Promise<Map<string, TowerDevFile>> {
  const { inputs, runtimeDir: ortDir } = await gatherTextTowerInputs(modelDir, run);
  const plan = planTextTower(inputs);
  const out = new Map<string, TowerDevFile>();
  if (!plan.publish) return out;
  const sums = new Map<string, string>();
  for (const c of plan.copies) {
    const file = join(c.from === 'model' ? modelDir : ortDir!, ...c.path.split('/'));
    const hash = createHash('sha256');
    if (c.end > c.start) for await (const chunk of createReadStream(file, { start: c.start, end: c.end - 1 })) hash.update(chunk as Buffer);
    sums.set(c.name, hash.digest('hex'));
    out.set(`${TEXT_TOWER_DIR}${c.name}`, { file, start: c.start, end: c.end, type: contentType(c.name) });
  }
  const manifest: TextTowerManifest = { ...plan.manifest, files: plan.manifest.files.map((f) => ({ ...f, sha256: sums.get(f.name)! })) };
  out.set(`${TEXT_TOWER_DIR}${TEXT_TOWER_MANIFEST}`, { data: JSON.stringify(manifest), type: 'application/json; charset=utf-8' });
  return out;
}

function contentType(name: string): string {
  if (name.endsWith('.mjs')) return 'text/javascript; charset=utf-8';
  if (name.endsWith('.wasm')) return 'application/wasm';
  if (name.endsWith('.json')) return 'application/json; charset=utf-8';
  return 'application/octet-stream';
}
