// Load and check a CLIP model folder in the Hugging Face ONNX layout (the Xenova/clip-vit-* repos;
// its files are listed in ./layout.ts).
//
// Everything a user can get wrong here (a missing file, a non-ONNX file, a graph without the inputs
// and outputs CLIP needs, towers of different widths) becomes a ClipscopeError that names the file
// and says how to get a working model.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic.ts';
import { ClipscopeError } from '../errors.ts';
import { sha256File } from '../hash.ts';
import { preprocessConfigFrom, tensorSize } from '../preprocess.ts';
import type { ModelInfo, TokenizedText } from '../../core/types.ts';
import { createSession, onnxAvailability, releaseSession, runFloat, type Feed, type OnnxSession, type ValueInfo } from './onnx.ts';
import { createDeviceSelection, planDevice, type Device, type DeviceSelection } from './device.ts';
import { createClipTokenizer, type ClipTokenizer } from './tokenizer.ts';
import { folderVariants, modelFolderFiles, onnxFiles, type ModelVariant } from './layout.ts';
import { FAMILY_IO, isNaflex, modelFamily, NAFLEX_MODEL_TYPE, siglipLogitParams, type LogitParams } from './family.ts';
import { textInputs } from '../../core/model-io.ts';

export type { ClipTokenizer };

export interface ClipModel {
  info: ModelInfo;
  tokenizer: ClipTokenizer;
  /** Embed `count` preprocessed images laid out [count, 3, H, W] at the start of `pixels` (SigLIP 2
   * NaFlex: [count, maxNumPatches, 3 · patch²], with `grids` holding each image's patch rows and
   * columns, 2 values an image — preprocessImage's grid). Returns count × dim L2-normalised
   * embeddings, row after row. */
  embedImages(pixels: Float32Array, count: number, grids?: ArrayLike<number>): Promise<Float32Array>;
  /** Embed tokenized phrases; returns tokenized.length × dim L2-normalised embeddings. */
  embedTexts(tokenized: TokenizedText[]): Promise<Float32Array>;
  close(): Promise<void>;
  /** The execution provider the sessions open on (device.ts). */
  device: DeviceSelection;
}

export interface LoadModelOptions {
  threads: number;
  variant?: ModelVariant;
  /** Open the ONNX sessions on first use (see loadModel). Default false. */
  lazy?: boolean;
  /** --device: 'cpu' when absent. */
  device?: Device;
  /** Where the device choice and a fallback are reported (default: nowhere). */
  log?: (message: string) => void;
}

/** The device selection of a run: what onnxruntime offers here, planned for the requested device. */
export function selectDevice(requested: Device, log: (message: string) => void): DeviceSelection {
  return createDeviceSelection(planDevice(requested, onnxAvailability()), log);
}

/** SigLIP 2 NaFlex's vision inputs, as the onnx-community exports and transformers.js name them. */
export const NAFLEX_INPUTS = ['pixel_values', 'pixel_attention_mask', 'spatial_shapes'] as const;
const NAFLEX_HINT =
  'A SigLIP 2 NaFlex folder (model_type "siglip2") needs onnx/vision_model.onnx exported as the onnx-community NaFlex repositories are: pixel_values [batch, patches, 3·patch²], pixel_attention_mask [batch, patches], spatial_shapes [batch, 2] → pooler_output. Fetch such an export, or use a fixed-resolution SigLIP 2 (e.g. `clipscope model fetch onnx-community/siglip2-base-patch16-224-ONNX`).';

/** The logit scale when config.json does not state a trained one: OpenAI CLIP's trained value. */
export const DEFAULT_LOGIT_SCALE = 100;

/** Phrases per text-tower call. */
const TEXT_BATCH = 32;

/** What to do about a missing or broken model folder: download a real model. Never a generated
 * one — those have random (or colour-only) weights and classify nothing. */
export function getAModelHint(variant: ModelVariant = 'fp32'): string {
  const quantized = variant === 'quantized' ? ' --quantized' : '';
  return `Download a CLIP model with \`npx clipscope model fetch Xenova/clip-vit-base-patch32${quantized}\` (it goes to models/clip-vit-base-patch32) and give that folder as --model (option model in astro.config.mjs).`;
}
const GET_A_MODEL = getAModelHint();


function modelError(message: string, hint = GET_A_MODEL): ClipscopeError {
  return new ClipscopeError('model', message, hint);
}

async function readJson(dir: string, file: string): Promise<unknown> {
  const text = await readFile(join(dir, file), 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw modelError(`${file} in model folder ${dir} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Stop with one message listing every missing file, so a user fixes the folder in one go. */
export async function checkModelFolder(dir: string, required: readonly string[], variant: ModelVariant = 'fp32'): Promise<void> {
  const hint = getAModelHint(variant);
  const st = await stat(dir).catch(() => null);
  if (!st) throw modelError(`Model folder ${dir} does not exist`, hint);
  if (!st.isDirectory()) throw modelError(`Model folder ${dir} is not a folder`, hint);
  const missing: string[] = [];
  for (const file of required) {
    const s = await stat(join(dir, file)).catch(() => null);
    if (!s?.isFile()) missing.push(file);
  }
  if (missing.length > 0) {
    // Graphs of another variant: name them, so --variant can be fixed at once.
    const graphs: string[] = Object.values(onnxFiles(variant));
    const others = missing.every((f) => graphs.includes(f)) ? (await folderVariants(dir)).filter((v) => v !== variant) : [];
    if (others.length > 0) {
      throw modelError(
        `Model folder ${dir} is missing ${missing.join(', ')}; it has the graphs of variant ${others.map((v) => `"${v}"`).join(', ')}, not of "${variant}"`,
        `Run with --variant ${others[0]}${others.length > 1 ? ` (or ${others.slice(1).join(', ')})` : ''}, or fetch the ${variant} files. ${hint}`,
      );
    }
    throw modelError(`Model folder ${dir} is missing ${missing.join(', ')} (a CLIP model in the Hugging Face ONNX layout has ${required.join(', ')})`, hint);
  }
}

/** CLIP's trained logit scale: config.json's top-level `logit_scale` when a folder states one (the
 * multiplier itself), else 100. Never `logit_scale_init_value`, the value before training. */
export function logitScaleFrom(config: Record<string, unknown>, source: string): number {
  const value = config.logit_scale;
  if (value === undefined || value === null) return DEFAULT_LOGIT_SCALE;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw modelError(`Expected a positive number for logit_scale in ${source} but received ${JSON.stringify(value)}`, 'Remove logit_scale to use 100, or state the trained multiplier.');
  }
  return value;
}

/** Check a tower's input and output; returns the output to read (the first of `expected.outputs`
 * the graph has). `kind` and `hint` name the tower kind and the way out in the message. */
function checkIo(
  session: OnnxSession,
  expected: { inputs: string[]; outputs: readonly string[] },
  name: string,
  kind = 'a CLIP tower',
  hint = 'Use a CLIP model exported the way transformers.js expects (e.g. `clipscope model fetch Xenova/clip-vit-base-patch32`).',
): string {
  const inputs = session.inputs.map((i) => i.name);
  const outputs = session.outputs.map((o) => o.name);
  const missingIn = expected.inputs.filter((n) => !inputs.includes(n));
  const output = expected.outputs.find((n) => outputs.includes(n));
  if (missingIn.length > 0 || output === undefined) {
    throw modelError(
      `${name} does not look like ${kind}: expected inputs ${expected.inputs.join(', ')} and outputs ${expected.outputs.join(' or ')}, found inputs ${inputs.join(', ') || '(none)'} and outputs ${outputs.join(', ') || '(none)'}`,
      hint,
    );
  }
  return output;
}

function info(session: OnnxSession, name: string): ValueInfo {
  return [...session.inputs, ...session.outputs].find((v) => v.name === name)!;
}

/** The embedding width a tower declares in its output shape, or null when it is symbolic. */
function declaredDim(session: OnnxSession, output: string): number | null {
  const shape = info(session, output).shape;
  const last = shape[shape.length - 1];
  return typeof last === 'number' ? last : null;
}

// ---------------------------------------------------------------------------------------------
// Checksum: sha256 over the configs and the ONNX files of the variant. Model files are large
// (ViT-B/32: ~600 MB for both towers, ~0.7 s to hash), so each file's digest is remembered in a
// small sidecar keyed by size and mtime, and a warm run only stats the files.

const SIDECAR = '.clipscope-checksums.json';

interface SidecarEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export async function modelChecksum(dir: string, files: string[]): Promise<string> {
  const sidecarPath = join(dir, SIDECAR);
  let sidecar: Record<string, SidecarEntry> = {};
  try {
    sidecar = JSON.parse(await readFile(sidecarPath, 'utf8'));
  } catch {
    // no sidecar yet, or an unreadable one: recompute
  }
  let changed = false;
  const total = createHash('sha256');
  for (const file of [...files].sort()) {
    const s = await stat(join(dir, file));
    let entry = sidecar[file];
    if (!entry || entry.size !== s.size || entry.mtimeMs !== s.mtimeMs) {
      entry = { size: s.size, mtimeMs: s.mtimeMs, sha256: await sha256File(join(dir, file)) };
      sidecar[file] = entry;
      changed = true;
    }
    total.update(`${file}\0${entry.sha256}\n`);
  }
  if (changed) {
    // Atomic, as runs may load the same model at once; a read-only model folder only costs the
    // hashing again next time.
    await writeFileAtomic(sidecarPath, JSON.stringify(sidecar, null, 2) + '\n').catch(() => {});
  }
  return total.digest('hex');
}

// ---------------------------------------------------------------------------------------------

/** Divide each of `count` rows of width `dim` by its L2 norm, into a fresh array. */
function normalizedRows(data: Float32Array, count: number, dim: number): Float32Array {
  const out = new Float32Array(count * dim);
  for (let r = 0; r < count; r++) {
    const o = r * dim;
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += data[o + i] * data[o + i];
    const inv = 1 / Math.max(Math.sqrt(sum), 1e-12);
    for (let i = 0; i < dim; i++) out[o + i] = data[o + i] * inv;
  }
  return out;
}

function intFeed(type: string | null, values: number[], dims: number[]): Feed {
  if (type === 'int32') return { type: 'int32', data: Int32Array.from(values), dims };
  return { type: 'int64', data: BigInt64Array.from(values, (v) => BigInt(v)), dims };
}

/** One tower (vision or text) whose session opens, and is checked, on first use. */
interface Tower {
  readonly file: string;
  open(): Promise<OnnxSession>;
  /** Whether the session has been opened. */
  readonly opened: boolean;
  close(): Promise<void>;
}

function lazyTower(file: string, threads: number, device: DeviceSelection, check: (session: OnnxSession) => Promise<void>): Tower {
  let pending: Promise<OnnxSession> | null = null;
  return {
    file,
    get opened() {
      return pending !== null;
    },
    open() {
      pending ??= (async () => {
        const session = await createSession(file, { threads, device });
        try {
          await check(session);
        } catch (e) {
          await releaseSession(session);
          throw e;
        }
        return session;
      })();
      return pending;
    },
    async close() {
      if (!pending) return;
      const session = await pending.catch(() => null);
      pending = null;
      if (session) await releaseSession(session);
    },
  };
}

/** The widest embedding clipscope accepts. CLIP models embed into 512–1280 values; the bound only
 * keeps a mistyped config.json from sizing arrays (1e12 values would be 4 TB) before any check. */
export const MAX_PROJECTION_DIM = 65_536;

/** A width config.json states (`key` names it in messages), or null when it states none; a value
 * that cannot be an embedding width is refused with the file, key and value. */
function statedWidth(value: unknown, key: string, source: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_PROJECTION_DIM) {
    throw modelError(
      `Expected a whole number from 1 to ${MAX_PROJECTION_DIM} for ${key} in ${source} but received ${JSON.stringify(value)}`,
      `Set ${key} to the width of the model's embeddings (512 for ViT-B/32), or remove it: clipscope then reads the width from the ONNX graphs.`,
    );
  }
  return value;
}

/** The projection width config.json states, or null when it states none. SigLIP's towers give
 * vision_config.hidden_size and text_config.projection_size (default: its hidden_size). */
function configDim(config: Record<string, unknown>, family: 'clip' | 'siglip', source: string): number | null {
  if (family === 'clip') return statedWidth(config.projection_dim, 'projection_dim', source);
  const sub = (k: string) => (config[k] && typeof config[k] === 'object' ? (config[k] as Record<string, unknown>) : {});
  const vision = statedWidth(sub('vision_config').hidden_size, 'vision_config.hidden_size', source);
  const text = statedWidth(sub('text_config').projection_size, 'text_config.projection_size', source) ?? statedWidth(sub('text_config').hidden_size, 'text_config.hidden_size', source);
  return vision !== null && vision === text ? vision : null;
}

/** The trained logit scale and bias of a folder, and where they came from. */
async function logitParams(root: string, dir: string, family: 'clip' | 'siglip', config: Record<string, unknown>): Promise<LogitParams> {
  if (family === 'siglip') return siglipLogitParams(root);
  const stated = config.logit_scale !== undefined && config.logit_scale !== null;
  return { scale: logitScaleFrom(config, join(dir, 'config.json')), bias: 0, source: stated ? 'config.json' : 'default (OpenAI CLIP: 100)' };
}

/**
 * Load a model folder. The configs, the tokenizer and the checksum are read at once. The ONNX
 * sessions (about a second each for ViT-B/32) open on first use when `lazy` is set and config.json
 * states projection_dim — so a run whose embeddings all come from the cache never opens them — and
 * otherwise here, which also checks both towers' inputs, outputs and widths before anything runs.
 */
export async function loadModel(dir: string, options: LoadModelOptions): Promise<ClipModel> {
  const variant = options.variant ?? 'fp32';
  const root = resolve(dir);
  const onnx = onnxFiles(variant);
  const required = modelFolderFiles(variant).required;
  await checkModelFolder(dir, required, variant);

  const config = (await readJson(root, 'config.json')) as Record<string, unknown>;
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw modelError(`config.json in model folder ${dir} is not a JSON object`);
  const family = modelFamily(config, join(dir, 'config.json'));
  const io = FAMILY_IO[family];
  // SigLIP 2 NaFlex: the vision tower takes patches with their mask and grid (onnx-community's names).
  const naflex = isNaflex(config);
  const VISION_IO = { inputs: naflex ? [...NAFLEX_INPUTS] : ['pixel_values'], outputs: io.image };
  const TEXT_IO = { inputs: ['input_ids'], outputs: io.text };
  // The output each tower is read at, found when its session opens.
  let imageOut = io.image[0];
  let textOut = io.text[0];
  const preprocess = preprocessConfigFrom(await readJson(root, 'preprocessor_config.json'), join(dir, 'preprocessor_config.json'));
  if (naflex !== Boolean(preprocess.naflex)) {
    throw modelError(
      naflex
        ? `${join(dir, 'config.json')} has model_type "${NAFLEX_MODEL_TYPE}" (SigLIP 2 NaFlex) but ${join(dir, 'preprocessor_config.json')} is not a Siglip2ImageProcessor's (no patch_size and max_num_patches)`
        : `${join(dir, 'preprocessor_config.json')} cuts images into patches (SigLIP 2 NaFlex: max_num_patches) but ${join(dir, 'config.json')} does not have model_type "${NAFLEX_MODEL_TYPE}"`,
      'The model folder mixes files of different models; fetch or generate it again.',
    );
  }
  const tokenizer = createClipTokenizer(await readJson(root, 'tokenizer.json'), await readJson(root, 'tokenizer_config.json'), dir, family);
  const logit = await logitParams(root, dir, family, config);
  const stated = configDim(config, family, join(dir, 'config.json'));

  const [cropH, cropW] = [preprocess.cropHeight, preprocess.cropWidth];
  const perImage = tensorSize(preprocess);
  const visionFile = join(root, onnx.vision);
  const textFile = join(root, onnx.text);

  async function rawImages(session: OnnxSession, pixels: Float32Array, count: number, grids?: ArrayLike<number>): Promise<Float32Array> {
    if (pixels.length < count * perImage) throw new RangeError(`embedImages: ${pixels.length} values for ${count} images of ${perImage}`);
    if (preprocess.naflex) return (await runFloat(session, naflexFeeds(session, pixels, count, grids), [imageOut]))[imageOut].data;
    const feeds: Record<string, Feed> = { pixel_values: { type: 'float32', data: pixels.subarray(0, count * perImage), dims: [count, 3, cropH, cropW] } };
    // A whole-model graph used as the vision tower also takes text: one end token, unused.
    const ids = session.inputs.find((i) => i.name === 'input_ids');
    if (ids) feeds.input_ids = intFeed(ids.type, [tokenizer.eosId], [1, 1]);
    const mask = session.inputs.find((i) => i.name === 'attention_mask');
    if (mask) feeds.attention_mask = intFeed(mask.type, [1], [1, 1]);
    return (await runFloat(session, feeds, [imageOut]))[imageOut].data;
  }

  /** SigLIP 2 NaFlex's three inputs: the patches, a mask with the first rows · cols patches of each
   * image set (the rest is padding) and the grids; without grids (the loader's trial run) every
   * image counts as one patch. The mask and grid types are the ones the graph declares. */
  function naflexFeeds(session: OnnxSession, pixels: Float32Array, count: number, grids?: ArrayLike<number>): Record<string, Feed> {
    const { patchSize, maxNumPatches } = preprocess.naflex!;
    const shapes: number[] = [];
    const mask = new Uint8Array(count * maxNumPatches);
    for (let i = 0; i < count; i++) {
      const [rows, cols] = grids ? [grids[2 * i], grids[2 * i + 1]] : [1, 1];
      if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 1 && cols >= 1 && rows * cols <= maxNumPatches))
        throw new RangeError(`embedImages: image ${i} has a ${rows}×${cols} patch grid; expected at most ${maxNumPatches} patches`);
      shapes.push(rows, cols);
      mask.fill(1, i * maxNumPatches, i * maxNumPatches + rows * cols);
    }
    const maskType = info(session, 'pixel_attention_mask').type;
    return {
      pixel_values: { type: 'float32', data: pixels.subarray(0, count * perImage), dims: [count, maxNumPatches, 3 * patchSize * patchSize] },
      pixel_attention_mask:
        maskType === 'bool' ? { type: 'bool', data: mask, dims: [count, maxNumPatches] } : intFeed(maskType, Array.from(mask), [count, maxNumPatches]),
      spatial_shapes: intFeed(info(session, 'spatial_shapes').type, shapes, [count, 2]),
    };
  }

  async function rawTexts(session: OnnxSession, batch: TokenizedText[]): Promise<Float32Array> {
    // Padded as core/model-io.ts's textInputs says (the browser's text tower lays them out alike).
    const textIds = info(session, 'input_ids');
    const maskInfo = session.inputs.find((i) => i.name === 'attention_mask');
    const fixedSeq = typeof textIds.shape[1] === 'number' ? textIds.shape[1] : null;
    const inputs = textInputs(tokenizer, batch, fixedSeq);
    if ('tooLong' in inputs) throw modelError(`${join(dir, onnx.text)} takes ${inputs.tooLong.length} tokens but a phrase has ${inputs.tooLong.longest}`);
    const { ids, mask, dims } = inputs;
    // Feed only the inputs the graph declares: attention_mask exists in some exports only.
    const feeds: Record<string, Feed> = { input_ids: intFeed(textIds.type, ids, dims) };
    if (maskInfo) feeds.attention_mask = intFeed(maskInfo.type, mask, dims);
    // A whole-model graph used as the text tower also takes an image: one blank image, unused.
    if (session.inputs.some((i) => i.name === 'pixel_values')) feeds.pixel_values = { type: 'float32', data: new Float32Array(perImage), dims: [1, 3, cropH, cropW] };
    return (await runFloat(session, feeds, [textOut]))[textOut].data;
  }

  const device = selectDevice(options.device ?? 'cpu', options.log ?? (() => {}));
  // Lazy sessions need the width before they open: config.json's projection_dim, checked on open.
  const lazy = Boolean(options.lazy) && stated !== null;
  // A tower's embedding width: declared by its graph, or seen on one dummy run when symbolic.
  const widths: { vision?: number; text?: number } = {};
  const mismatch = (what: string, width: number) =>
    modelError(
      `The towers of model ${basename(root)} embed into different sizes: ${what} gives ${width}, config.json states projection_dim ${stated}`,
      'All files of a model folder must come from the same CLIP model; fetch or generate the folder again.',
    );

  const vision = lazyTower(visionFile, options.threads, device, async (session) => {
    if (preprocess.naflex) {
      imageOut = checkIo(session, VISION_IO, join(dir, onnx.vision), 'a SigLIP 2 NaFlex vision tower', NAFLEX_HINT);
      const [, patches, values] = info(session, 'pixel_values').shape;
      const { patchSize, maxNumPatches } = preprocess.naflex;
      if ((typeof values === 'number' && values !== 3 * patchSize * patchSize) || (typeof patches === 'number' && patches !== maxNumPatches)) {
        throw modelError(
          `${join(dir, onnx.vision)} takes ${patches} patches of ${values} values but preprocessor_config.json makes ${maxNumPatches} patches of ${3 * patchSize * patchSize} (patch_size ${patchSize})`,
          'The model folder mixes files of different models; fetch or generate it again.',
        );
      }
      widths.vision = declaredDim(session, imageOut) ?? (await rawImages(session, new Float32Array(perImage), 1)).length;
      if (lazy && widths.vision !== stated) throw mismatch(onnx.vision, widths.vision);
      return;
    }
    imageOut = checkIo(session, VISION_IO, join(dir, onnx.vision));
    const shape = info(session, 'pixel_values').shape;
    const [h, w] = [shape[2], shape[3]];
    if ((typeof h === 'number' && h !== cropH) || (typeof w === 'number' && w !== cropW)) {
      throw modelError(
        `${join(dir, onnx.vision)} expects ${h}×${w} pixel_values but preprocessor_config.json ${preprocess.exactResize ? 'resizes' : 'crops'} to ${cropH}×${cropW}`,
        'The model folder mixes files of different models; fetch or generate it again.',
      );
    }
    widths.vision = declaredDim(session, imageOut) ?? (await rawImages(session, new Float32Array(perImage), 1)).length;
    if (lazy && widths.vision !== stated) throw mismatch(onnx.vision, widths.vision);
  });
  const text = lazyTower(textFile, options.threads, device, async (session) => {
    textOut = checkIo(session, TEXT_IO, join(dir, onnx.text));
    widths.text = declaredDim(session, textOut) ?? (await rawTexts(session, [tokenizer.encode('a photo')])).length;
    if (lazy && widths.text !== stated) throw mismatch(onnx.text, widths.text);
  });
  const close = async () => {
    await vision.close();
    await text.close();
  };

  let dim: number;
  if (lazy) {
    dim = stated!;
  } else {
    try {
      await vision.open();
      await text.open();
    } catch (e) {
      await close();
      throw e;
    }
    if (widths.vision !== widths.text) {
      await close();
      throw modelError(
        `The towers of model ${basename(root)} embed into different sizes: ${onnx.vision} gives ${widths.vision}, ${onnx.text} gives ${widths.text}`,
        'Both towers must come from the same CLIP model; fetch or generate the folder again.',
      );
    }
    dim = widths.vision!;
    if (stated !== null && dim !== stated) {
      await close();
      throw mismatch('both towers', dim);
    }
  }

  let checksum: string;
  try {
    checksum = await modelChecksum(root, required);
  } catch (e) {
    await close();
    throw e;
  }

  return {
    info: {
      name: basename(root),
      checksum,
      projectionDim: dim,
      logitScale: logit.scale,
      logitBias: logit.bias,
      logitSource: logit.source,
      family,
      contextLength: tokenizer.contextLength,
      preprocess,
      variant,
    },
    tokenizer,
    async embedImages(pixels, count, grids) {
      if (count === 0) return new Float32Array(0);
      if (preprocess.naflex && !grids) throw new RangeError('embedImages: a SigLIP 2 NaFlex model needs each image\'s patch grid');
      const session = await vision.open();
      return normalizedRows(await rawImages(session, pixels, count, grids), count, dim);
    },
    async embedTexts(tokenized) {
      if (tokenized.length === 0) return new Float32Array(0);
      // Opened (and its width checked against config.json) before anything is sized by `dim`.
      const session = await text.open();
      const out = new Float32Array(tokenized.length * dim);
      for (let start = 0; start < tokenized.length; start += TEXT_BATCH) {
        const batch = tokenized.slice(start, start + TEXT_BATCH);
        out.set(normalizedRows(await rawTexts(session, batch), batch.length, dim), start * dim);
      }
      return out;
    },
    close,
    device,
  };
}
