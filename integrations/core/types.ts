// Shared data shapes of the clipscope pipeline. Every stage module exchanges these plain objects
// and typed arrays; none of them carries an onnxruntime or sharp object.
//
// discover → hash → decode/preprocess → embed → score → aggregate (results) → report (site)

/** How an image's category is chosen (engine/score.ts explains each); the one list of them. */
export const SCORING_MODES = ['seed', 'sum', 'ensemble', 'sigmoid'] as const;
export type ScoringMode = (typeof SCORING_MODES)[number];

/** How a model family's towers, tokenizer and logits work: OpenAI-style CLIP, or SigLIP / SigLIP 2. */
export type ModelFamily = 'clip' | 'siglip';

/** The category name given to images the model is unsure about (see --min-probability, --min-margin). */
export const UNCERTAIN = 'Uncertain';

/** A file found under the image root. `path` is POSIX-style and relative to the root: absolute
 * machine paths never leave the engine. */
export interface DiscoveredImage {
  path: string;
  absPath: string;
  size: number;
  mtimeMs: number;
}

export interface HashedImage extends DiscoveredImage {
  /** sha256 of the file's bytes, lower-case hex: the image's stable id. */
  sha256: string;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface DictionaryPhrase {
  text: string;
  /** Token count CLIP's tokenizer gives, with start and end tokens, before any cut. */
  tokenCount?: number;
  /** True when the phrase is longer than the model's context (77) and was cut. */
  truncated?: boolean;
}

export interface DictionaryCategory {
  name: string;
  /** URL-safe, unique name used for the category's page. */
  slug: string;
  phrases: DictionaryPhrase[];
}

export interface Dictionary {
  /** File name (no directory) the dictionary came from, for messages and run metadata. */
  source: string;
  /** sha256 of the canonical JSON of the categories and phrases. */
  hash: string;
  categories: DictionaryCategory[];
}

/** The tokenizer's view of one phrase: ids with start and end tokens, unpadded. */
export interface TokenizedText {
  text: string;
  ids: number[];
  tokens: string[];
  /** Token count before the cut, with start and end tokens. */
  tokenCount: number;
  truncated: boolean;
}

/** Image preprocessing as the model's preprocessor_config.json states it. */
export interface PreprocessConfig {
  /** Shorter side after resize (size.shortest_edge). */
  shortestEdge: number;
  /** Centre crop height and width; with exactResize, the size the whole image is resized to. */
  cropHeight: number;
  cropWidth: number;
  /** SigLIP's resize: the whole image to cropWidth × cropHeight (size { height, width }), aspect
   * ratio not kept, no crop. Absent or false: CLIP's shorter side → shortestEdge, centre crop. */
  exactResize?: boolean;
  /** SigLIP 2 NaFlex (Siglip2ImageProcessor): the image resized, aspect ratio kept, to the largest
   * size whose grid of patchSize² patches (sides multiples of patchSize) has at most maxNumPatches
   * patches, cut into those patches and padded to maxNumPatches; no crop. cropHeight × cropWidth
   * then only name the size of a square image. */
  naflex?: { patchSize: number; maxNumPatches: number };
  mean: [number, number, number];
  std: [number, number, number];
  /** PIL resample code (3 = bicubic). */
  resample: number;
  rescaleFactor: number;
  doResize: boolean;
  doCenterCrop: boolean;
  doNormalize: boolean;
  doConvertRgb: boolean;
}

export interface ModelInfo {
  /** Folder name of the model, e.g. "demo-colors" or "clip-vit-base-patch32". */
  name: string;
  /** sha256 over the model's ONNX files and configs: part of every cache key. */
  checksum: string;
  projectionDim: number;
  /** Trained logit scale (100 for OpenAI CLIP) used as logits = scale × cosine (+ logitBias). */
  logitScale: number;
  /** Trained logit bias (SigLIP; 0 for CLIP). */
  logitBias: number;
  /** Where logitScale and logitBias came from, e.g. "config.json", "default (OpenAI CLIP)", "onnx/model.onnx". */
  logitSource: string;
  family: ModelFamily;
  contextLength: number;
  preprocess: PreprocessConfig;
  /** Which ONNX variant runs: "fp32", "quantized", "fp16", "int8", "uint8", "q4", "q4f16" or "bnb4"
   * (the file-name suffixes of the onnx-community layout; engine/model/layout.ts lists them). */
  variant: string;
}

export interface RankedChoice {
  category: string;
  /** The phrase behind the choice (seed mode: the phrase ranked; sum/ensemble: the category's best phrase). */
  label: string;
  /** Percent, 0..100, unrounded in JSON; the CSV rounds to 2 decimals like the seed. */
  probability: number;
}

export interface ImageResult {
  path: string;
  sha256: string;
  size: number;
  width?: number;
  height?: number;
  /** Winning category, or UNCERTAIN when a threshold put it there. */
  category: string;
  /** Winning phrase. */
  label: string;
  /** Percent. */
  probability: number;
  /** Percentage points between the first and the second choice. */
  margin: number;
  /** The k best choices, best first (seed mode: phrases; sum/ensemble: categories). */
  top: RankedChoice[];
  /** Every category's probability in percent (seed and sum: sum of its phrases; ensemble: softmax over categories). */
  categories: Record<string, number>;
  /** --scoring sigmoid: every category at or above the probability threshold, best first (an
   * image can belong to several, or to none). */
  labels?: string[];
  /** Optional extra columns (e.g. a group key from a posts table or a folder). */
  group?: string;
}

export interface RunStats {
  images: number;
  embedded: number;
  fromCache: number;
  skipped: number;
  seconds: number;
}

export interface RunMetadata {
  clipscopeVersion: string;
  model: {
    name: string;
    checksum: string;
    projectionDim: number;
    logitScale: number;
    variant: string;
    /** Absent in results written before SigLIP support (then: CLIP, bias 0). */
    family?: ModelFamily;
    logitBias?: number;
    logitSource?: string;
  };
  dictionary: { source: string; hash: string; categories: number; phrases: number };
  scoring: ScoringMode;
  topK: number;
  column: string;
  thresholds: { minProbability: number | null; minMargin: number | null };
  /** ISO 8601 time the run started. */
  startedAt: string;
  /** Set when the run classified only part K (index) of N (count) of the images (--shard K/N). */
  shard?: { index: number; count: number };
  /** The onnxruntime execution provider: as requested (--device), as used, and why it fell back. */
  device?: { requested: string; used: string; fallback: string | null };
}

/** How a row of a posts table fared (see --table). */
export type TableRowStatus = 'classified' | 'missing' | 'unreadable' | 'no image';

/** One row of a posts table as the report needs it: its image and grouping values, no other cell. */
export interface TableRowRef {
  /** The row's image as published (relative to the images root, or `external-<hash>/<name>`); null
   * when the image cell is empty. */
  image: string | null;
  status: TableRowStatus;
  /** The --group-by column's value ("(empty)" for an empty cell). */
  group?: string;
  /** The --date-column's day, YYYY-MM-DD, when it could be read. */
  date?: string;
}

/** The posts table a run classified: where the image list came from. */
export interface TableInfo {
  /** File name only (no folder). */
  source: string;
  format: 'csv' | 'jsonl';
  imageColumn: string;
  groupBy: string | null;
  dateColumn: string | null;
  /** Data rows (header excluded). */
  rows: number;
  /** Distinct image files the rows point at. */
  uniqueImages: number;
  /** Rows per status. */
  statuses: Record<TableRowStatus, number>;
  /** Rows with a date column whose value could not be read as a date. */
  undatedRows: number;
}

/** What the groups compared in the report are: a table column, or the first folder level. */
export type Grouping = { kind: 'column'; column: string } | { kind: 'folder' };

export interface RunResult {
  schema: 'clipscope.results/v1';
  run: RunMetadata;
  dictionary: Dictionary;
  /** Sorted by path. */
  images: ImageResult[];
  /** Sorted by path. */
  skipped: SkippedFile[];
  stats: RunStats;
  /** Set when the images came from a posts table (--table). */
  table?: TableInfo;
  /** One entry per table row, in the table's order (with --table). */
  rows?: TableRowRef[];
  /** Set when the run has groups to compare (--group-by, or images in subfolders). */
  grouping?: Grouping;
}
