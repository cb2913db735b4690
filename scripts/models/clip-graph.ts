// CLIP's two towers as ONNX graphs, with the architecture of OpenAI's CLIP / Hugging Face's
// CLIPVisionModelWithProjection and CLIPTextModelWithProjection (see ../../docs and the ViT-B/32 facts):
//
//   vision: patch Conv (no bias) → tokens → [class token; patches] + positions → pre-LayerNorm →
//           N × residual blocks → post-LayerNorm of the class token → projection (no bias)
//   text:   token embedding → + positions[:seq] → N × causal residual blocks → final LayerNorm →
//           the row at the end-of-text token (argmax of the ids) → projection (no bias)
//
// A block is LN → multi-head self-attention (q, k, v, out with bias) → residual → LN → fc1 →
// quick_gelu (x·σ(1.702x)) → fc2 → residual. Every linear layer is a MatMul with a constant
// [in, out] weight initializer followed by an Add of its bias, which is the pattern ONNX Runtime's
// dynamic int8 quantisation rewrites.
//
// Weights are random normal, seeded, scaled as OpenAI's `initialize_parameters` does (std 1/√width
// for attention, 1/√(2·width) for fc1 …), so activations stay O(1) at any width and images differ.
// Each weight gets its own seed drawn from `random` while the graph is built; its values are only
// produced when the graph is encoded (see GraphBuilder.lazyInitializer), one tensor at a time.

import { DataType, GraphBuilder } from './onnx-writer/graph.ts';
import { createNormal, createRandom } from '../../integrations/core/random.ts';

export interface VisionSpec {
  imageSize: number;
  patchSize: number;
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
}

export interface TextSpec {
  vocabSize: number;
  contextLength: number;
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
}

export interface ClipSpec {
  name: string;
  vision: VisionSpec;
  text: TextSpec;
  projectionDim: number;
  layerNormEps: number;
}

export const OPSET = 17;
/** Added to attention scores that must not be attended: finite, so no row ever becomes NaN. */
const MASKED = -1e9;

type Random = () => number;

/** Weight factory: per-tensor seeds drawn in build order, values produced lazily at encoding. */
class Weights {
  private readonly g: GraphBuilder;
  private readonly random: Random;
  constructor(g: GraphBuilder, random: Random) {
    this.g = g;
    this.random = random;
  }

  normal(name: string, dims: number[], std: number): string {
    const seed = Math.floor(this.random() * 0x1_0000_0000);
    const n = dims.reduce((a, b) => a * b, 1);
    return this.g.lazyInitializer(name, {
      dataType: DataType.FLOAT,
      dims,
      fill: () => {
        const normal = createNormal(createRandom(seed));
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = normal() * std;
        return out;
      },
    });
  }

  filled(name: string, dims: number[], value: number): string {
    const n = dims.reduce((a, b) => a * b, 1);
    return this.g.lazyInitializer(name, { dataType: DataType.FLOAT, dims, fill: () => new Float32Array(n).fill(value) });
  }
}

interface Ctx {
  g: GraphBuilder;
  w: Weights;
  eps: number;
}

function scalar(g: GraphBuilder, name: string, value: number): string {
  return g.constant(name, { dataType: DataType.FLOAT, dims: [], data: Float32Array.of(value) });
}

function layerNorm(c: Ctx, x: string, prefix: string, width: number): string {
  const scale = c.w.filled(`${prefix}.weight`, [width], 1);
  const bias = c.w.filled(`${prefix}.bias`, [width], 0);
  return c.g.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: c.eps });
}

/** x·W + b with W stored [in, out] (MatMul-ready; HF's Linear stores [out, in]). */
function linear(c: Ctx, x: string, prefix: string, inDim: number, outDim: number, std: number, bias = true): string {
  const w = c.w.normal(`${prefix}.weight`, [inDim, outDim], std);
  const y = c.g.op('MatMul', [x, w]);
  if (!bias) return y;
  const b = c.w.filled(`${prefix}.bias`, [outDim], 0);
  return c.g.op('Add', [y, b]);
}

function quickGelu(c: Ctx, x: string, k: string): string {
  return c.g.op('Mul', [x, c.g.op('Sigmoid', [c.g.op('Mul', [x, k])])]);
}

interface BlockShared {
  /** Reshape target [0, 0, heads, headDim] and back [0, 0, width]. */
  splitShape: string;
  mergeShape: string;
  qScale: string;
  geluK: string;
  /** Additive attention mask broadcastable to [batch, heads, seq, seq], or undefined. */
  mask?: string;
}

function encoderLayer(c: Ctx, x: string, prefix: string, width: number, mlpWidth: number, layers: number, s: BlockShared): string {
  const { g } = c;
  // OpenAI's initialisation: attention std width^-0.5, residual projections scaled by (2·layers)^-0.5.
  const attnStd = width ** -0.5;
  const projStd = width ** -0.5 * (2 * layers) ** -0.5;
  const fcStd = (2 * width) ** -0.5;

  const h = layerNorm(c, x, `${prefix}.layer_norm1`, width);
  const q = g.op('Mul', [linear(c, h, `${prefix}.self_attn.q_proj`, width, width, attnStd), s.qScale]);
  const k = linear(c, h, `${prefix}.self_attn.k_proj`, width, width, attnStd);
  const v = linear(c, h, `${prefix}.self_attn.v_proj`, width, width, attnStd);
  const heads = (t: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [t, s.splitShape])], { perm });
  const qh = heads(q, [0, 2, 1, 3]); // [B, H, S, hd]
  const kh = heads(k, [0, 2, 3, 1]); // [B, H, hd, S]
  const vh = heads(v, [0, 2, 1, 3]); // [B, H, S, hd]
  let scores = g.op('MatMul', [qh, kh]); // [B, H, S, S]
  if (s.mask) scores = g.op('Add', [scores, s.mask]);
  const probs = g.op('Softmax', [scores], { axis: -1 });
  const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] }), s.mergeShape]);
  const attnOut = linear(c, ctx, `${prefix}.self_attn.out_proj`, width, width, projStd);
  const x1 = g.op('Add', [x, attnOut]);

  const h2 = layerNorm(c, x1, `${prefix}.layer_norm2`, width);
  const fc1 = linear(c, h2, `${prefix}.mlp.fc1`, width, mlpWidth, fcStd);
  const fc2 = linear(c, quickGelu(c, fc1, s.geluK), `${prefix}.mlp.fc2`, mlpWidth, width, projStd);
  return g.op('Add', [x1, fc2]);
}

function blockShared(c: Ctx, tower: string, width: number, heads: number): BlockShared {
  if (width % heads !== 0) throw new Error(`${tower}: width ${width} is not divisible by ${heads} heads`);
  const headDim = width / heads;
  return {
    splitShape: c.g.int64(`${tower}.shape_split_heads`, [4], [0, 0, heads, headDim]),
    mergeShape: c.g.int64(`${tower}.shape_merge_heads`, [3], [0, 0, width]),
    qScale: scalar(c.g, `${tower}.attention_scale`, headDim ** -0.5),
    geluK: scalar(c.g, `${tower}.quick_gelu_k`, 1.702),
  };
}

/** The vision tower's builder (weights not yet produced): for encoding, streaming and counting. */
export function visionGraphBuilder(spec: ClipSpec, random: Random): GraphBuilder {
  const v = spec.vision;
  if (v.imageSize % v.patchSize !== 0) throw new Error(`vision: image size ${v.imageSize} is not a multiple of patch ${v.patchSize}`);
  const grid = v.imageSize / v.patchSize;
  const tokens = grid * grid + 1;
  const g = new GraphBuilder(`${spec.name}-vision`);
  const c: Ctx = { g, w: new Weights(g, random), eps: spec.layerNormEps };
  const scale = v.width ** -0.5;

  const pixels = g.input('pixel_values', DataType.FLOAT, ['batch_size', 3, v.imageSize, v.imageSize]);
  // Patch embedding: Conv stride = kernel = patch, no bias. PyTorch's default init ~ 1/√fan_in.
  const convW = c.w.normal('vision_model.embeddings.patch_embedding.weight', [v.width, 3, v.patchSize, v.patchSize], (3 * v.patchSize * v.patchSize) ** -0.5);
  const conv = g.op('Conv', [pixels, convW], { kernel_shape: [v.patchSize, v.patchSize], strides: [v.patchSize, v.patchSize] });
  const flat = g.op('Reshape', [conv, g.int64('vision.shape_patches', [3], [0, v.width, -1])]); // [B, D, grid²]
  const patches = g.op('Transpose', [flat], { perm: [0, 2, 1] }); // [B, grid², D]

  // Class token [D] broadcast to [B, 1, D], prepended.
  const cls = c.w.normal('vision_model.embeddings.class_embedding', [v.width], scale);
  const batch = g.op('Shape', [pixels], { start: 0, end: 1 });
  const clsShape = g.op('Concat', [batch, g.int64('vision.shape_class_tail', [2], [1, v.width])], { axis: 0 });
  const clsTokens = g.op('Expand', [cls, clsShape]);
  const seq = g.op('Concat', [clsTokens, patches], { axis: 1 }); // [B, tokens, D]
  const pos = c.w.normal('vision_model.embeddings.position_embedding.weight', [tokens, v.width], scale);
  const embedded = g.op('Add', [seq, pos]);

  let x = layerNorm(c, embedded, 'vision_model.pre_layrnorm', v.width);
  const shared = blockShared(c, 'vision', v.width, v.heads);
  for (let i = 0; i < v.layers; i++) {
    x = encoderLayer(c, x, `vision_model.encoder.layers.${i}`, v.width, v.mlpWidth, v.layers, shared);
  }
  g.node('Identity', [x], ['last_hidden_state']);

  const classOut = g.op('Gather', [x, g.int64('vision.class_index', [], [0])], { axis: 1 }); // [B, D]
  const pooled = layerNorm(c, classOut, 'vision_model.post_layernorm', v.width);
  const embeds = linear(c, pooled, 'visual_projection', v.width, spec.projectionDim, scale, false);
  g.node('Identity', [embeds], ['image_embeds']);

  g.output('image_embeds', DataType.FLOAT, ['batch_size', spec.projectionDim]);
  g.output('last_hidden_state', DataType.FLOAT, ['batch_size', tokens, v.width]);
  return g;
}

/** The text tower's builder (weights not yet produced): for encoding, streaming and counting. */
export function textGraphBuilder(spec: ClipSpec, random: Random): GraphBuilder {
  const t = spec.text;
  const g = new GraphBuilder(`${spec.name}-text`);
  const c: Ctx = { g, w: new Weights(g, random), eps: spec.layerNormEps };

  const ids = g.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', DataType.INT64, ['batch_size', 'sequence_length']);

  // OpenAI: token embedding std 0.02, positional std 0.01.
  const tokenEmb = c.w.normal('text_model.embeddings.token_embedding.weight', [t.vocabSize, t.width], 0.02);
  const posEmb = c.w.normal('text_model.embeddings.position_embedding.weight', [t.contextLength, t.width], 0.01);
  const zero1 = g.int64('text.zero', [1], [0]);
  const seqLen = g.op('Shape', [ids], { start: 1, end: 2 }); // [S]
  const positions = g.op('Slice', [posEmb, zero1, seqLen, zero1]); // [S, D]
  let x = g.op('Add', [g.op('Gather', [tokenEmb, ids], { axis: 0 }), positions]);

  // Causal mask [S, S] (sliced from a [ctx, ctx] constant) plus padding keys from attention_mask,
  // as Hugging Face's CLIPTextTransformer combines them: [B, 1, S, S].
  const n = t.contextLength;
  const causal = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) causal[i * n + j] = MASKED;
  const causalAll = g.constant('text.causal_mask', { dataType: DataType.FLOAT, dims: [n, n], data: causal });
  const seqSeq = g.op('Concat', [seqLen, seqLen], { axis: 0 });
  const causalS = g.op('Slice', [causalAll, g.int64('text.zeros2', [2], [0, 0]), seqSeq, g.int64('text.axes01', [2], [0, 1])]);
  const keep = g.op('Cast', [attentionMask], { to: DataType.FLOAT });
  const padding = g.op('Mul', [g.op('Sub', [scalar(g, 'text.one', 1), keep]), scalar(g, 'text.masked', MASKED)]); // [B, S]
  const paddingKeys = g.op('Unsqueeze', [padding, g.int64('text.axes12', [2], [1, 2])]); // [B, 1, 1, S]
  const mask = g.op('Add', [causalS, paddingKeys]);

  const shared = { ...blockShared(c, 'text', t.width, t.heads), mask };
  for (let i = 0; i < t.layers; i++) {
    x = encoderLayer(c, x, `text_model.encoder.layers.${i}`, t.width, t.mlpWidth, t.layers, shared);
  }
  const last = layerNorm(c, x, 'text_model.final_layer_norm', t.width);
  g.node('Identity', [last], ['last_hidden_state']);

  // Pool at the end-of-text token: argmax(input_ids) (first occurrence; 49407 is the largest id).
  const eot = g.op('ArgMax', [ids], { axis: -1, keepdims: 1, select_last_index: 0 }); // [B, 1]
  const pooled = g.op('GatherND', [last, eot], { batch_dims: 1 }); // [B, D]
  const embeds = linear(c, pooled, 'text_projection', t.width, spec.projectionDim, t.width ** -0.5, false);
  g.node('Identity', [embeds], ['text_embeds']);

  g.output('text_embeds', DataType.FLOAT, ['batch_size', spec.projectionDim]);
  g.output('last_hidden_state', DataType.FLOAT, ['batch_size', 'sequence_length', t.width]);
  return g;
}

/** The vision tower's ONNX bytes (input pixel_values; outputs image_embeds, last_hidden_state). */
export function buildVisionGraph(spec: ClipSpec, random: Random): Uint8Array {
  return visionGraphBuilder(spec, random).toBytes(OPSET);
}

/** The text tower's ONNX bytes (inputs input_ids, attention_mask; outputs text_embeds, last_hidden_state). */
export function buildTextGraph(spec: ClipSpec, random: Random): Uint8Array {
  return textGraphBuilder(spec, random).toBytes(OPSET);
}
