// The synthetic CLIP models: CLIP's real architecture (./clip-graph.ts) with random, seeded weights.
//   synthetic-tiny  a few MB, for fast tests of every code path a real model takes;
//   synthetic-b32   exactly ViT-B/32's shapes (openai/clip-vit-base-patch32), for benchmarks.
// Their embeddings mean nothing; only shapes, dtypes, names and the computation are real.

import { createRandom } from '../../integrations/core/random.ts';
import { OPSET, textGraphBuilder, visionGraphBuilder, type ClipSpec } from './clip-graph.ts';
import type { OnnxSource } from './onnx-writer/graph.ts';

const CLIP_VOCAB = 49_408;
const CLIP_CONTEXT = 77;

export const SYNTHETIC_SPECS: Record<'synthetic-tiny' | 'synthetic-b32', ClipSpec> = {
  'synthetic-tiny': {
    name: 'synthetic-tiny',
    vision: { imageSize: 224, patchSize: 32, width: 64, layers: 2, heads: 4, mlpWidth: 256 },
    text: { vocabSize: CLIP_VOCAB, contextLength: CLIP_CONTEXT, width: 32, layers: 2, heads: 2, mlpWidth: 128 },
    projectionDim: 32,
    layerNormEps: 1e-5,
  },
  'synthetic-b32': {
    name: 'synthetic-b32',
    vision: { imageSize: 224, patchSize: 32, width: 768, layers: 12, heads: 12, mlpWidth: 3072 },
    text: { vocabSize: CLIP_VOCAB, contextLength: CLIP_CONTEXT, width: 512, layers: 12, heads: 8, mlpWidth: 2048 },
    projectionDim: 512,
    layerNormEps: 1e-5,
  },
};

export type SyntheticName = keyof typeof SYNTHETIC_SPECS;

export function isSyntheticName(name: string): name is SyntheticName {
  return Object.hasOwn(SYNTHETIC_SPECS, name);
}

/**
 * The two towers of a synthetic model as lazily encoded sources (weights are produced while the
 * bytes are consumed). Vision and text draw their weights from independent seeded streams, so
 * either can be rebuilt alone.
 */
export function syntheticTowers(spec: ClipSpec, seed: number): { vision: OnnxSource; text: OnnxSource } {
  return {
    vision: visionGraphBuilder(spec, createRandom(`${seed}:vision`)).toSource(OPSET),
    text: textGraphBuilder(spec, createRandom(`${seed}:text`)).toSource(OPSET),
  };
}

/** Parameter counts of the two towers (CLIP weights only, no shape constants), without producing weights. */
export function parameterCounts(spec: ClipSpec): { vision: number; text: number } {
  return {
    vision: visionGraphBuilder(spec, createRandom(0)).parameterCount(),
    text: textGraphBuilder(spec, createRandom(0)).parameterCount(),
  };
}
