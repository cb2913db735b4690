// Generates models/demo-colors: the model the bundled demo report runs on. It is NOT a trained
// CLIP: its weights are set by hand so that the cosine similarity between an image and a phrase
// says how well the image's COLOURS fit the colour words in the phrase. It measures colour, not
// content. It has the same files, inputs and outputs as a Hugging Face CLIP export, so the engine
// loads it like any real model.
//
// Image tower (pixel_values, CLIP-normalised [batch,3,224,224] → image_embeds [batch,D]):
//   1. undo CLIP's normalisation → RGB in [0,1];
//   2. a 1×1 Conv scores every pixel against K colour prototypes (black … white, red, orange, …)
//      by −t·‖f(x) − f(p)‖² in an opponent colour space f (lightness, red–green, yellow–blue),
//      expanded into a linear function of x (the −t‖f(x)‖² term is the same for every prototype
//      and cancels in the softmax); Softmax over K = soft assignment of each pixel to a prototype;
//   3. mean over the image → a colour histogram h [batch,K]; its square root is the main part of
//      the embedding (cosine of square-root histograms is the Bhattacharyya overlap of colours);
//   4. four "tone" features of the whole image: dark and bright (mean lightness), monochrome
//      (low saturation: mean chroma / mean value, exactly 0 for greyscale pictures) and colourful
//      (hue diversity of the coloured pixels: Gini–Simpson index over four hue groups);
//   5. a final MatMul weighs the parts into D dimensions.
// Text tower (input_ids int64 [batch,seq] → text_embeds [batch,D]): every colour word of CLIP's
// real vocabulary ("red</w>", "colourful</w>", …) has one row: the embedding the image tower gives
// an idealised picture of that word (a small palette, e.g. "warm" = red, orange, yellow and
// brown), L2-normalised. The graph matches input ids against the word ids (Equal → one-hot),
// looks the rows up with a MatMul and sums over the sequence, so a phrase is the sum of its colour
// words; all other words contribute nothing.
//
// The same arithmetic runs in plain TypeScript below (`embedPalette`), used to build the word rows
// and by the tests to check the ONNX graph.

import { DataType, GraphBuilder } from './onnx-writer/graph.ts';
import { createClipTokenizer } from '../../integrations/engine/model/tokenizer.ts';
import { buildClipTokenizerFiles, BOS_ID, CLIP_VOCAB_SIZE } from './tokenizer-files.ts';
import { writeModelFolder } from './model-folder.ts';

export type Rgb = readonly [number, number, number];

/** CLIP's normalisation (preprocessor_config.json image_mean / image_std). */
export const CLIP_MEAN: Rgb = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: Rgb = [0.26862954, 0.26130258, 0.27577711];

/** Hue groups for the colourful feature (neutral prototypes belong to none). Coarse on purpose:
 * neighbouring warm hues (a red cup on brown wood) are not "colourful", red with blue is. */
const HUE_GROUPS = ['warm', 'green', 'blue', 'purple'] as const;
type HueGroup = (typeof HUE_GROUPS)[number];

interface Prototype {
  name: string;
  /** sRGB, 0..255. */
  rgb: Rgb;
  group?: HueGroup;
}

/** The colour prototypes the image tower assigns pixels to (order = histogram order). */
export const PROTOTYPES = [
  { name: 'black', rgb: [8, 8, 8] },
  { name: 'dark grey', rgb: [64, 64, 64] },
  { name: 'grey', rgb: [128, 128, 128] },
  { name: 'light grey', rgb: [192, 192, 192] },
  { name: 'white', rgb: [248, 248, 248] },
  { name: 'red', rgb: [205, 30, 35], group: 'warm' },
  { name: 'dark red', rgb: [110, 18, 22], group: 'warm' },
  { name: 'orange', rgb: [240, 130, 40], group: 'warm' },
  { name: 'brown', rgb: [135, 80, 40], group: 'warm' },
  { name: 'dark brown', rgb: [70, 40, 22], group: 'warm' },
  { name: 'tan', rgb: [205, 165, 125], group: 'warm' },
  { name: 'yellow', rgb: [240, 220, 50], group: 'warm' },
  { name: 'olive', rgb: [120, 120, 40], group: 'warm' },
  { name: 'green', rgb: [55, 165, 60], group: 'green' },
  { name: 'dark green', rgb: [25, 80, 35], group: 'green' },
  { name: 'cyan', rgb: [40, 180, 195], group: 'blue' },
  { name: 'sky blue', rgb: [125, 175, 235], group: 'blue' },
  { name: 'blue', rgb: [40, 75, 205], group: 'blue' },
  { name: 'navy', rgb: [22, 32, 95], group: 'blue' },
  { name: 'purple', rgb: [125, 50, 155], group: 'purple' },
  { name: 'pink', rgb: [240, 145, 185], group: 'purple' },
  { name: 'magenta', rgb: [205, 40, 150], group: 'purple' },
] as const satisfies readonly Prototype[];
export type ColourName = (typeof PROTOTYPES)[number]['name'];
/** The same list, typed for code that reads the optional hue group. */
const PROTOS: readonly Prototype[] = PROTOTYPES;

/** Hand-set constants of the image tower (all in RGB 0..1 units). */
export const TUNING = {
  /** Softmax sharpness of the prototype assignment. */
  temperature: 60,
  /** Weights of lightness, red–green and yellow–blue in the colour distance. */
  axisWeights: [1, 2, 2] as Rgb,
  /** Mean lightness below `dark` counts as dark, above `bright` as bright (sigmoid width `toneWidth`). */
  dark: 0.3,
  bright: 0.62,
  toneWidth: 0.05,
  /** Saturation (mean chroma / mean value) below this is monochrome. */
  monochrome: 0.08,
  monochromeWidth: 0.02,
  /** Minimum saturation for the colourful feature to count. */
  colourfulGate: 0.1,
  /** Weights of the parts of the embedding. Neutral (grey) prototypes weigh `histogramWeight`; coloured ones `chromaticWeight`, because a
   * person names a picture by its colours even when much of it is grey (an orange suit on grey). */
  histogramWeight: 1,
  chromaticWeight: 1.6,
  toneWeights: { dark: 0.5, bright: 0.5, monochrome: 1.2, colourful: 1.4 },
  /** Scale the engine multiplies cosines by (config.json logit_scale). */
  logitScale: 20,
};

const TONES = ['dark', 'bright', 'monochrome', 'colourful'] as const;
const K = PROTOTYPES.length;
/** Embedding size: histogram, tones, and one "no colour word" dimension images never use. */
export const EMBED_DIM = K + TONES.length + 1;
const UNKNOWN_DIM = EMBED_DIM - 1;
/** Weight of the start token on the "no colour word" dimension, so a phrase without colour words
 * gets a well-defined embedding (cosine 0 with every image) instead of a zero vector. */
const START_TOKEN_WEIGHT = 1e-3;

const LUMA: Rgb = [0.299, 0.587, 0.114];

/** Opponent colour coordinates, scaled by sqrt of the axis weights: distance² = weighted sum. */
function opponentMatrix(): number[][] {
  const [wl, wa, wb] = TUNING.axisWeights.map(Math.sqrt);
  return [
    LUMA.map((c) => wl * c),
    [wa, -wa, 0],
    [wb * 0.5, wb * 0.5, -wb],
  ];
}

/** Per-prototype linear score s_k(rgb) = w_k · rgb + b_k = −t‖A(rgb − p_k)‖² + (terms equal for all k). */
function prototypeScores(): { w: number[][]; b: number[] } {
  const A = opponentMatrix();
  const t = TUNING.temperature;
  const w: number[][] = [];
  const b: number[] = [];
  for (const p of PROTOTYPES) {
    const rgb = p.rgb.map((v) => v / 255);
    const fp = A.map((row) => row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2]);
    // 2t·Aᵀ·A·p and −t·‖A·p‖²
    w.push([0, 1, 2].map((c) => 2 * t * A.reduce((sum, row, i) => sum + row[c] * fp[i], 0)));
    b.push(-t * fp.reduce((sum, v) => sum + v * v, 0));
  }
  return { w, b };
}

/** Chroma weight of each prototype per hue group [K][groups] (neutrals: all zero). */
function hueGroupMatrix(): number[][] {
  return PROTOS.map((p) => {
    const [r, g, b] = p.rgb.map((v) => v / 255);
    const chroma = Math.max(r, g, b) - Math.min(r, g, b);
    return HUE_GROUPS.map((grp) => (p.group === grp ? chroma : 0));
  });
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const SAT_EPS = 0.02;
const GROUP_EPS = 1e-4;
/** The largest Gini–Simpson index over the groups, to scale colourful into 0..1. */
const MAX_DIVERSITY = 1 - 1 / HUE_GROUPS.length;

/** Final projection [K+4, D]: part weights on the diagonal; the last column stays zero. */
function projection(): Float32Array {
  const rows = K + TONES.length;
  const m = new Float32Array(rows * EMBED_DIM);
  PROTOS.forEach((p, k) => {
    m[k * EMBED_DIM + k] = p.group ? TUNING.chromaticWeight : TUNING.histogramWeight;
  });
  TONES.forEach((tone, i) => {
    m[(K + i) * EMBED_DIM + K + i] = TUNING.toneWeights[tone];
  });
  return m;
}

/** Image-level statistics the graph reduces a picture to. */
interface ImageStats {
  histogram: number[];
  meanRgb: Rgb;
  meanChroma: number;
  meanValue: number;
}

function finishEmbedding(s: ImageStats): Float32Array {
  const lightness = s.meanRgb[0] * LUMA[0] + s.meanRgb[1] * LUMA[1] + s.meanRgb[2] * LUMA[2];
  const saturation = s.meanChroma / (s.meanValue + SAT_EPS);
  const G = hueGroupMatrix();
  const groups = HUE_GROUPS.map((_, g) => s.histogram.reduce((sum, h, k) => sum + h * G[k][g], 0));
  const total = groups.reduce((a, b) => a + b, 0) + GROUP_EPS;
  const diversity = 1 - groups.reduce((sum, v) => sum + (v / total) ** 2, 0);
  const tones = [
    sigmoid((TUNING.dark - lightness) / TUNING.toneWidth),
    sigmoid((lightness - TUNING.bright) / TUNING.toneWidth),
    sigmoid((TUNING.monochrome - saturation) / TUNING.monochromeWidth),
    (diversity / MAX_DIVERSITY) * sigmoid((saturation - TUNING.colourfulGate) / TUNING.monochromeWidth),
  ];
  const features = [...s.histogram.map(Math.sqrt), ...tones];
  const P = projection();
  const out = new Float32Array(EMBED_DIM);
  for (let i = 0; i < features.length; i++) for (let j = 0; j < EMBED_DIM; j++) out[j] += features[i] * P[i * EMBED_DIM + j];
  return out;
}

/**
 * The image tower in plain TypeScript for a picture made of `pixels` (sRGB 0..1 with a weight
 * each; weights are fractions of the picture). Mirrors the ONNX graph; used to build the word
 * rows (from idealised palettes) and to test the graph.
 */
export function embedPixels(pixels: ReadonlyArray<{ rgb: Rgb; weight: number }>): Float32Array {
  const { w, b } = prototypeScores();
  const histogram = new Array<number>(K).fill(0);
  const meanRgb: [number, number, number] = [0, 0, 0];
  let meanChroma = 0;
  let meanValue = 0;
  let total = 0;
  for (const { rgb, weight } of pixels) {
    const scores = w.map((wk, k) => wk[0] * rgb[0] + wk[1] * rgb[1] + wk[2] * rgb[2] + b[k]);
    const max = Math.max(...scores);
    const exps = scores.map((s) => Math.exp(s - max));
    const sum = exps.reduce((a, c) => a + c, 0);
    exps.forEach((e, k) => {
      histogram[k] += (weight * e) / sum;
    });
    for (let c = 0; c < 3; c++) meanRgb[c] += weight * rgb[c];
    const mx = Math.max(...rgb);
    meanChroma += weight * (mx - Math.min(...rgb));
    meanValue += weight * mx;
    total += weight;
  }
  return finishEmbedding({
    histogram: histogram.map((h) => h / total),
    meanRgb: [meanRgb[0] / total, meanRgb[1] / total, meanRgb[2] / total],
    meanChroma: meanChroma / total,
    meanValue: meanValue / total,
  });
}

/** An idealised picture: named prototypes (or sRGB 0..255 colours) with relative areas. */
export type Palette = ReadonlyArray<readonly [ColourName | Rgb, number]>;

function colourOf(c: ColourName | Rgb): Rgb {
  if (typeof c !== 'string') return c;
  const p = PROTOTYPES.find((q) => q.name === c);
  if (!p) throw new Error(`demo-colors: unknown colour ${c}`);
  return p.rgb;
}

export function embedPalette(palette: Palette): Float32Array {
  return embedPixels(
    palette.map(([c, weight]) => {
      const [r, g, b] = colourOf(c);
      return { rgb: [r / 255, g / 255, b / 255] as const, weight };
    }),
  );
}

const RAINBOW: Palette = [['red', 1], ['orange', 1], ['yellow', 1], ['green', 1], ['blue', 1], ['purple', 1], ['pink', 1]];
const GREYS: Palette = [['black', 1], ['dark grey', 1], ['grey', 1], ['light grey', 1], ['white', 1]];
const DARKS: Palette = [['black', 3], ['dark grey', 1], ['dark brown', 1], ['dark red', 1], ['dark green', 1]];
const LIGHTS: Palette = [['white', 3], ['light grey', 2], ['tan', 1], ['sky blue', 1], ['pink', 1], ['yellow', 1]];
const WARM: Palette = [['red', 1], ['orange', 2], ['yellow', 1], ['brown', 1], ['tan', 1]];
const COLD: Palette = [['blue', 2], ['cyan', 1], ['sky blue', 1], ['navy', 1]];
const BROWNS: Palette = [['brown', 2], ['dark brown', 1], ['tan', 1]];

/**
 * Colour words and the idealised picture each stands for. Keys are words as a person types them;
 * the generator finds their ids in CLIP's real vocabulary with the real tokenizer.
 */
export const COLOUR_WORDS: Readonly<Record<string, Palette>> = {
  red: [['red', 3], ['dark red', 1]],
  crimson: [['red', 2], ['dark red', 1]],
  scarlet: [['red', 1]],
  ruby: [['red', 1], ['dark red', 1]],
  maroon: [['dark red', 1]],
  orange: [['orange', 1]],
  ginger: [['orange', 1], ['brown', 1]],
  amber: [['orange', 1], ['yellow', 1]],
  yellow: [['yellow', 1]],
  gold: [['yellow', 2], ['orange', 1], ['brown', 1]],
  golden: [['yellow', 2], ['orange', 1], ['brown', 1]],
  green: [['green', 2], ['dark green', 1]],
  emerald: [['green', 1]],
  lime: [['green', 1], ['yellow', 1]],
  olive: [['olive', 1]],
  nature: [['green', 2], ['dark green', 1], ['brown', 1]],
  forest: [['dark green', 2], ['green', 1]],
  leaves: [['green', 2], ['dark green', 1]],
  blue: [['blue', 3], ['navy', 2], ['sky blue', 2]],
  azure: [['sky blue', 1], ['blue', 1]],
  navy: [['navy', 1]],
  indigo: [['navy', 1], ['purple', 1]],
  teal: [['cyan', 1]],
  turquoise: [['cyan', 1]],
  aqua: [['cyan', 1]],
  sky: [['sky blue', 2], ['blue', 1], ['white', 1]],
  sea: [['blue', 1], ['cyan', 1], ['navy', 1]],
  ocean: [['blue', 1], ['cyan', 1], ['navy', 1]],
  purple: [['purple', 1]],
  violet: [['purple', 1]],
  lavender: [['purple', 1], ['pink', 1], ['white', 1]],
  lilac: [['purple', 1], ['pink', 1], ['white', 1]],
  pink: [['pink', 2], ['magenta', 1]],
  rose: [['pink', 1], ['red', 1]],
  magenta: [['magenta', 1]],
  brown: BROWNS,
  chocolate: [['dark brown', 1], ['brown', 1]],
  coffee: [['dark brown', 1], ['brown', 2], ['tan', 1]],
  wood: BROWNS,
  wooden: BROWNS,
  earthy: [['brown', 2], ['olive', 1], ['tan', 1]],
  rust: [['brown', 1], ['orange', 1], ['dark red', 1]],
  copper: [['brown', 1], ['orange', 1]],
  bronze: [['brown', 1], ['orange', 1], ['olive', 1]],
  beige: [['tan', 1]],
  tan: [['tan', 1]],
  cream: [['tan', 1], ['white', 1]],
  black: [['black', 1]],
  white: [['white', 1]],
  ivory: [['white', 1], ['tan', 1]],
  snow: [['white', 2], ['light grey', 1]],
  grey: [['grey', 2], ['dark grey', 1], ['light grey', 1]],
  gray: [['grey', 2], ['dark grey', 1], ['light grey', 1]],
  silver: [['light grey', 2], ['grey', 1]],
  monochrome: GREYS,
  greyscale: GREYS,
  grayscale: GREYS,
  colourless: GREYS,
  colorless: GREYS,
  dark: DARKS,
  dim: DARKS,
  gloomy: DARKS,
  shadow: DARKS,
  night: [['black', 2], ['navy', 1]],
  space: [['black', 3], ['navy', 1]],
  bright: LIGHTS,
  light: LIGHTS,
  sunny: [['yellow', 1], ['sky blue', 1], ['white', 1]],
  pale: [['light grey', 1], ['tan', 1], ['pink', 1], ['sky blue', 1], ['white', 1]],
  pastel: [['pink', 1], ['sky blue', 1], ['tan', 1], ['white', 1]],
  colourful: RAINBOW,
  colorful: RAINBOW,
  multicoloured: RAINBOW,
  multicolored: RAINBOW,
  rainbow: RAINBOW,
  vivid: RAINBOW,
  vibrant: RAINBOW,
  saturated: RAINBOW,
  colour: RAINBOW,
  color: RAINBOW,
  colours: RAINBOW,
  colors: RAINBOW,
  coloured: RAINBOW,
  colored: RAINBOW,
  warm: WARM,
  hot: WARM,
  fire: [['red', 1], ['orange', 2], ['yellow', 1]],
  fiery: [['red', 1], ['orange', 2], ['yellow', 1]],
  autumn: [['orange', 2], ['brown', 2], ['red', 1], ['yellow', 1]],
  sunset: [['orange', 2], ['red', 1], ['purple', 1], ['navy', 1]],
  cold: COLD,
  cool: COLD,
  icy: [['white', 1], ['sky blue', 1], ['cyan', 1]],
  ice: [['white', 1], ['sky blue', 1], ['cyan', 1]],
};

/** A word split into several BPE tokens gets its row on the first token only when that token is a
 * word-start fragment at least this long ("grey" of "greyscale", "multic" of "multicolored"):
 * short fragments ("cy" of "cyan") start many unrelated words, and full-word tokens ("an</w>") are
 * words of their own. */
const MIN_FRAGMENT = 4;

export interface WordRow {
  word: string;
  id: number;
  token: string;
}

/** Maps the colour words to CLIP vocabulary ids with the real tokenizer; reports words it skips. */
export function colourWordIds(): { rows: WordRow[]; skipped: string[] } {
  const files = buildClipTokenizerFiles();
  const tokenizer = createClipTokenizer(files.tokenizerJson, files.tokenizerConfig, 'demo-colors');
  const rows: WordRow[] = [];
  const skipped: string[] = [];
  const seen = new Map<number, string>();
  for (const word of Object.keys(COLOUR_WORDS)) {
    const { ids, tokens } = tokenizer.encode(word);
    const content = ids.slice(1, -1);
    const contentTokens = tokens.slice(1, -1);
    const first = contentTokens[0] ?? '';
    const usable = content.length === 1 || (!first.endsWith('</w>') && first.length >= MIN_FRAGMENT);
    if (!usable) {
      skipped.push(word);
      continue;
    }
    const previous = seen.get(content[0]);
    if (previous !== undefined) {
      // Spelling variants may share a fragment ("multic" of multicolored/multicoloured) when they mean the same.
      if (COLOUR_WORDS[previous] !== COLOUR_WORDS[word]) throw new Error(`demo-colors: "${word}" and "${previous}" share token ${first}`);
      continue;
    }
    seen.set(content[0], word);
    rows.push({ word, id: content[0], token: first });
  }
  return { rows, skipped };
}

function normalised(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export function buildVisionGraph(): GraphBuilder {
  const g = new GraphBuilder('demo_colors_vision');
  const x = g.input('pixel_values', DataType.FLOAT, ['batch', 3, 224, 224]);
  // Undo CLIP's normalisation: rgb = x·std + mean.
  const std = g.float('clip_std', [1, 3, 1, 1], [...CLIP_STD]);
  const mean = g.float('clip_mean', [1, 3, 1, 1], [...CLIP_MEAN]);
  const rgb = g.op('Add', [g.op('Mul', [x, std]), mean]);

  // Soft assignment of every pixel to the colour prototypes, averaged into a histogram.
  const { w, b } = prototypeScores();
  const convW = g.float('prototype_weight', [K, 3, 1, 1], w.flat());
  const convB = g.float('prototype_bias', [K], b);
  const assign = g.op('Softmax', [g.op('Conv', [rgb, convW, convB])], { axis: 1 });
  const histogram = g.op('ReduceMean', [assign], { axes: [2, 3], keepdims: 0 }); // [batch,K]

  // Lightness → dark, bright.
  const meanRgb = g.op('ReduceMean', [rgb], { axes: [2, 3], keepdims: 0 }); // [batch,3]
  const lightness = g.op('MatMul', [meanRgb, g.float('luma', [3, 1], [...LUMA])]); // [batch,1]
  const tone = (name: string, value: string, threshold: number, width: number, sign: 1 | -1) =>
    g.op('Sigmoid', [g.op('Add', [g.op('Mul', [value, g.float(`${name}_scale`, [1], [sign / width])]), g.float(`${name}_shift`, [1], [(-sign * threshold) / width])])]);
  const dark = tone('dark', lightness, TUNING.dark, TUNING.toneWidth, -1);
  const bright = tone('bright', lightness, TUNING.bright, TUNING.toneWidth, 1);

  // Saturation = mean chroma / mean value (0 for greyscale pictures) → monochrome.
  const maxC = g.op('ReduceMax', [rgb], { axes: [1], keepdims: 1 });
  const minC = g.op('ReduceMin', [rgb], { axes: [1], keepdims: 1 });
  const meanChroma = g.op('ReduceMean', [g.op('Sub', [maxC, minC])], { axes: [2, 3], keepdims: 0 }); // [batch,1]
  const meanValue = g.op('ReduceMean', [maxC], { axes: [2, 3], keepdims: 0 });
  const saturation = g.op('Div', [meanChroma, g.op('Add', [meanValue, g.float('sat_eps', [1], [SAT_EPS])])]);
  const monochrome = tone('monochrome', saturation, TUNING.monochrome, TUNING.monochromeWidth, -1);

  // Colourful = Gini–Simpson diversity of hue-group masses, gated by saturation.
  const groups = g.op('MatMul', [histogram, g.float('hue_groups', [K, HUE_GROUPS.length], hueGroupMatrix().flat())]);
  const axis1 = g.int64('axis_1', [1], [1]);
  const total = g.op('Add', [g.op('ReduceSum', [groups, axis1], { keepdims: 1 }), g.float('group_eps', [1], [GROUP_EPS])]);
  const share = g.op('Div', [groups, total]);
  const concentration = g.op('ReduceSum', [g.op('Mul', [share, share]), axis1], { keepdims: 1 });
  const diversity = g.op('Mul', [g.op('Sub', [g.float('one', [1], [1]), concentration]), g.float('diversity_scale', [1], [1 / MAX_DIVERSITY])]);
  const gate = tone('colourful_gate', saturation, TUNING.colourfulGate, TUNING.monochromeWidth, 1);
  const colourful = g.op('Mul', [diversity, gate]);

  const features = g.op('Concat', [g.op('Sqrt', [histogram]), dark, bright, monochrome, colourful], { axis: 1 });
  const proj = g.float('projection', [K + TONES.length, EMBED_DIM], projection());
  g.node('MatMul', [features, proj], ['image_embeds']);
  g.output('image_embeds', DataType.FLOAT, ['batch', EMBED_DIM]);
  return g;
}

export function buildTextGraph(): GraphBuilder {
  const { rows } = colourWordIds();
  const table = new Float32Array((rows.length + 1) * EMBED_DIM);
  rows.forEach((row, r) => {
    table.set(normalised(embedPalette(COLOUR_WORDS[row.word])), r * EMBED_DIM);
  });
  // The start token (once in every sequence) keeps colourless phrases off the zero vector.
  table[rows.length * EMBED_DIM + UNKNOWN_DIM] = START_TOKEN_WEIGHT;
  const ids = [...rows.map((r) => r.id), BOS_ID];

  const g = new GraphBuilder('demo_colors_text');
  const input = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  const expanded = g.op('Unsqueeze', [input, g.int64('axis_2', [1], [2])]); // [batch,seq,1]
  const match = g.op('Cast', [g.op('Equal', [expanded, g.int64('word_ids', [ids.length], ids)])], { to: DataType.FLOAT }); // [batch,seq,R]
  const perToken = g.op('MatMul', [match, g.float('word_embeddings', [ids.length, EMBED_DIM], table)]); // [batch,seq,D]
  g.node('ReduceSum', [perToken, g.int64('axis_1', [1], [1])], ['text_embeds'], { keepdims: 0 });
  g.output('text_embeds', DataType.FLOAT, ['batch', EMBED_DIM]);
  if (ids.some((id) => id < 0 || id >= CLIP_VOCAB_SIZE)) throw new Error('demo-colors: word id outside the CLIP vocabulary');
  return g;
}

/** config.json: the fields of Hugging Face's CLIPConfig the loader reads, describing this graph. */
function demoConfig(): Record<string, unknown> {
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: EMBED_DIM,
    clipscope_note: 'demo-colors: hand-set weights that measure colour, not content (see models/README.md)',
    // Read by the report (integrations/clipscope/model-origin.ts), which warns that results are chance.
    clipscope_generated: 'demo-colors',
    text_config: { model_type: 'clip_text_model', vocab_size: CLIP_VOCAB_SIZE, max_position_embeddings: 77, bos_token_id: BOS_ID, eos_token_id: BOS_ID + 1 },
    vision_config: { model_type: 'clip_vision_model', image_size: 224, num_channels: 3 },
  };
}

/** Writes the demo-colors model folder (Hugging Face ONNX layout) into `dir`. Deterministic. */
export async function writeDemoColorsModel(dir: string): Promise<void> {
  await writeModelFolder(dir, {
    config: demoConfig(),
    visionModel: buildVisionGraph().toBytes(),
    textModel: buildTextGraph().toBytes(),
    logitScale: TUNING.logitScale,
  });
}
