// The Workbench's text tower as the build publishes it and the browser reads it: where its files
// go, and the manifest that lists them (clipscope/text-tower-assets.ts writes it,
// src/scripts/workbench/text-tower.ts reads it). Browser-safe.
import type { ModelFamily } from './types.ts';

/** The folder under the site's base. */
export const TEXT_TOWER_DIR = '_clipscope/workbench/text-tower/';
/** The manifest's name in that folder. */
export const TEXT_TOWER_MANIFEST = 'manifest.json';
export const TEXT_TOWER_FORMAT = 'clipscope.text-tower/v1';

/** One published file of the tower. */
export interface TextTowerFile {
  /** Name in TEXT_TOWER_DIR. */
  name: string;
  /** model: the ONNX graph (or one part of it); tokenizer: tokenizer.json, tokenizer_config.json;
   * runtime: onnxruntime-web's WASM build (its module, the Emscripten glue, the .wasm). */
  role: 'model' | 'tokenizer' | 'runtime';
  bytes: number;
  /** Lower-case hex; the browser checks it, so a stale cached file is never mixed in. */
  sha256: string;
}

export interface TextTowerManifest {
  format: typeof TEXT_TOWER_FORMAT;
  /** The model folder's name. */
  model: string;
  family: ModelFamily;
  /** The variant published (model folder's suffix: "quantized", "int8", "uint8" or "fp32"). */
  variant: string;
  /** The variant the build's run used (the image embeddings come from it). */
  runVariant: string;
  /** Embedding width. */
  dim: number;
  /** Ids per phrase, start and end tokens included (77 CLIP, 64 SigLIP). */
  contextLength: number;
  /** How phrases are padded (core/model-io.ts's textInputs); the browser checks its tokenizer agrees. */
  padding: { padId: number; padTo: number | null; padLeft: boolean };
  /** pixel_values' height and width, for a whole-model graph used as the text tower. */
  imageSize: [number, number];
  /** The ONNX graph: its original name and size, and the published parts in order (one part, the
   * file itself, unless it was over maxFileBytes). */
  onnx: { name: string; bytes: number; parts: string[] };
  runtime: { package: 'onnxruntime-web'; version: string; entry: string };
  /** Every file, in download order; totalBytes is their sum. */
  files: TextTowerFile[];
  totalBytes: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The manifest read back, or a sentence saying what is wrong with it. */
export function parseTextTowerManifest(value: unknown): TextTowerManifest | { problem: string } {
  if (!isObject(value)) return { problem: 'it is not a JSON object' };
  if (value.format !== TEXT_TOWER_FORMAT) return { problem: `its format is ${JSON.stringify(value.format)}, not "${TEXT_TOWER_FORMAT}"` };
  const m = value as unknown as TextTowerManifest;
  if (m.family !== 'clip' && m.family !== 'siglip') return { problem: `its family ${JSON.stringify(m.family)} is unknown` };
  if (!isCount(m.dim) || m.dim < 1 || !isCount(m.contextLength) || m.contextLength < 2) return { problem: 'its dim or contextLength is not a positive whole number' };
  if (!isObject(m.padding) || !isCount(m.padding.padId) || typeof m.padding.padLeft !== 'boolean' || !(m.padding.padTo === null || isCount(m.padding.padTo))) return { problem: 'its padding is malformed' };
  if (!Array.isArray(m.files) || !m.files.every((f) => isObject(f) && typeof f.name === 'string' && /^[\w.-]+$/.test(f.name) && isCount(f.bytes) && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256) && ['model', 'tokenizer', 'runtime'].includes(f.role))) {
    return { problem: 'its file list is malformed' };
  }
  const names = new Set(m.files.map((f) => f.name));
  if (!isObject(m.onnx) || !Array.isArray(m.onnx.parts) || m.onnx.parts.length === 0 || !m.onnx.parts.every((p) => names.has(p))) return { problem: 'its ONNX parts are not among its files' };
  if (!isObject(m.runtime) || !names.has(m.runtime.entry)) return { problem: 'its runtime entry is not among its files' };
  if (!['tokenizer.json', 'tokenizer_config.json'].every((n) => names.has(n))) return { problem: 'it lists no tokenizer.json and tokenizer_config.json' };
  if (m.totalBytes !== m.files.reduce((sum, f) => sum + f.bytes, 0)) return { problem: 'its totalBytes is not the sum of its files' };
  return m;
}
