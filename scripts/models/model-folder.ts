// Writes a model folder in the Hugging Face ONNX layout (the layout of the Xenova/clip-vit-* exports):
//
//   config.json  preprocessor_config.json  tokenizer.json  tokenizer_config.json  special_tokens_map.json
//   onnx/vision_model.onnx  onnx/text_model.onnx  [onnx/<extra>.onnx]  .generator.json
//
// The folder is written under a hidden temporary name beside its destination and renamed into place,
// so a half-written folder never looks complete, and two processes generating the same folder at
// once (the test setup and a build) both end with one complete folder.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { OnnxSource } from './onnx-writer/graph.ts';
import type { ClipSpec } from './clip-graph.ts';
import { writeTokenizerFiles } from './tokenizer-files.ts';
import { formatBytes } from '../../integrations/core/format.ts';

/** The trained logit scale of OpenAI's CLIP models (exp of the learned 4.6052). */
export const DEFAULT_LOGIT_SCALE = 100;

/** What `.generator.json` records, so a stale generated folder can be recognised and replaced. */
export interface GeneratorInfo {
  generator: string;
  model: string;
  version: number;
  /** Seed of the random weights; null for hand-set weights. */
  seed: number | null;
  /** sha256 of the generator's source files: any change to them makes the folder stale. */
  sourceHash: string;
}

export interface ModelFolderContents {
  /** config.json's content (see clipConfig()); written as given, plus logit_scale when set. */
  config: Record<string, unknown>;
  visionModel: Uint8Array | OnnxSource;
  textModel: Uint8Array | OnnxSource;
  /** More files for onnx/, by file name (e.g. "vision_model_quantized.onnx"). */
  extraOnnx?: Record<string, Uint8Array | OnnxSource>;
  /** Written as config.json's top-level "logit_scale" (the trained multiplier, e.g. 100). */
  logitScale?: number;
  /** preprocessor_config.json's content; CLIP's defaults for the vision config's image size if absent. */
  preprocessor?: Record<string, unknown>;
  generator?: GeneratorInfo;
}

export interface WriteFolderOptions {
  /** Progress lines. */
  log?: (msg: string) => void;
  /**
   * Called when the destination already exists at publish time: true keeps it (another process
   * just wrote an up-to-date folder) and discards ours; false (the default) replaces it.
   */
  isCurrent?: (dir: string) => Promise<boolean>;
}

export type PublishResult = 'written' | 'kept-existing';

/** config.json for a CLIP spec, with the fields of Hugging Face's CLIPConfig. */
export function clipConfig(spec: ClipSpec): Record<string, unknown> {
  const { vision: v, text: t } = spec;
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: spec.projectionDim,
    logit_scale_init_value: 2.6592,
    initializer_factor: 1.0,
    text_config: {
      model_type: 'clip_text_model',
      vocab_size: t.vocabSize,
      hidden_size: t.width,
      intermediate_size: t.mlpWidth,
      num_hidden_layers: t.layers,
      num_attention_heads: t.heads,
      max_position_embeddings: t.contextLength,
      hidden_act: 'quick_gelu',
      layer_norm_eps: spec.layerNormEps,
      projection_dim: spec.projectionDim,
      bos_token_id: 49406,
      eos_token_id: 49407,
      pad_token_id: 1,
    },
    vision_config: {
      model_type: 'clip_vision_model',
      hidden_size: v.width,
      intermediate_size: v.mlpWidth,
      num_hidden_layers: v.layers,
      num_attention_heads: v.heads,
      image_size: v.imageSize,
      patch_size: v.patchSize,
      num_channels: 3,
      hidden_act: 'quick_gelu',
      layer_norm_eps: spec.layerNormEps,
      projection_dim: spec.projectionDim,
    },
  };
}

/** preprocessor_config.json as Hugging Face's CLIPImageProcessor writes it for OpenAI's models. */
export function clipPreprocessorConfig(imageSize = 224): Record<string, unknown> {
  return {
    crop_size: { height: imageSize, width: imageSize },
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    feature_extractor_type: 'CLIPFeatureExtractor',
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_processor_type: 'CLIPImageProcessor',
    image_std: [0.26862954, 0.26130258, 0.27577711],
    resample: 3,
    rescale_factor: 1 / 255,
    size: { shortest_edge: imageSize },
  };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes ONNX bytes or a streamed source to a file; large sources report progress in quarters. */
export async function writeOnnxFile(path: string, model: Uint8Array | OnnxSource, log?: (msg: string) => void): Promise<number> {
  if (model instanceof Uint8Array) {
    await writeFile(path, model);
    return model.byteLength;
  }
  const file = await open(path, 'w');
  const reportEvery = model.byteLength > 50e6 ? model.byteLength / 4 : Infinity;
  let written = 0;
  let nextReport = reportEvery;
  try {
    for (const chunk of model.chunks()) {
      await file.write(chunk);
      written += chunk.byteLength;
      if (written >= nextReport && written < model.byteLength) {
        log?.(`  ${basename(path)}: ${Math.round((100 * written) / model.byteLength)}%`);
        nextReport += reportEvery;
      }
    }
  } finally {
    await file.close();
  }
  if (written !== model.byteLength) throw new Error(`${path}: wrote ${written} bytes, expected ${model.byteLength}`);
  return written;
}

/** A hidden sibling path for temporary folders: same file system, so rename is atomic. */
export function siblingTempPath(dir: string, kind: 'tmp' | 'old'): string {
  return join(dirname(dir), `.${basename(dir)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function isExistsError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}

/**
 * Moves a complete temporary folder to `dir`. When `dir` exists: keep it if `isCurrent` says it is
 * up to date (our copy is discarded), else move it aside and retry. Tolerates another process doing
 * the same at the same time.
 */
export async function publishFolder(tmp: string, dir: string, isCurrent?: (dir: string) => Promise<boolean>): Promise<PublishResult> {
  const aside: string[] = [];
  try {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await rename(tmp, dir);
        return 'written';
      } catch (err) {
        if (!isExistsError(err)) throw err;
      }
      if (isCurrent && (await isCurrent(dir))) {
        await rm(tmp, { recursive: true, force: true });
        return 'kept-existing';
      }
      const old = siblingTempPath(dir, 'old');
      try {
        await rename(dir, old);
        aside.push(old);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // someone else moved it: retry
      }
    }
    throw new Error(`could not move ${tmp} to ${dir}: the destination kept reappearing`);
  } finally {
    for (const old of aside) await rm(old, { recursive: true, force: true });
  }
}

/** Writes the whole folder into a temporary sibling and publishes it as `dir`. */
export async function writeModelFolder(dir: string, contents: ModelFolderContents, options: WriteFolderOptions = {}): Promise<PublishResult> {
  const { log } = options;
  await mkdir(dirname(dir), { recursive: true });
  const tmp = siblingTempPath(dir, 'tmp');
  try {
    await mkdir(join(tmp, 'onnx'), { recursive: true });
    const config = contents.logitScale === undefined ? contents.config : { ...contents.config, logit_scale: contents.logitScale };
    if (config.model_type !== 'clip') throw new Error(`config.model_type must be "clip", got ${JSON.stringify(config.model_type)}`);
    await writeFile(join(tmp, 'config.json'), json(config));
    const imageSize = Number((config.vision_config as { image_size?: number } | undefined)?.image_size ?? 224);
    await writeFile(join(tmp, 'preprocessor_config.json'), json(contents.preprocessor ?? clipPreprocessorConfig(imageSize)));
    await writeTokenizerFiles(tmp);

    const onnxFiles: [string, Uint8Array | OnnxSource][] = [
      ['vision_model.onnx', contents.visionModel],
      ['text_model.onnx', contents.textModel],
      ...Object.entries(contents.extraOnnx ?? {}),
    ];
    for (const [name, model] of onnxFiles) {
      if (!/^[\w.-]+\.onnx$/.test(name) || name.startsWith('.')) throw new Error(`not a plain .onnx file name: ${JSON.stringify(name)}`);
      const started = performance.now();
      const size = await writeOnnxFile(join(tmp, 'onnx', name), model, log);
      log?.(`  onnx/${name}: ${formatBytes(size)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    // Last, so that a folder with a generator record is always complete.
    if (contents.generator) await writeFile(join(tmp, '.generator.json'), json(contents.generator));
    return await publishFolder(tmp, dir, options.isCurrent);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The folder's `.generator.json`, or undefined when absent or unreadable. */
export async function readGeneratorInfo(dir: string): Promise<GeneratorInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, '.generator.json'), 'utf8')) as GeneratorInfo;
  } catch {
    return undefined;
  }
}
