// The run options of clipscope, validated once, with every default in this one place. The CLI and
// the Astro integration both parse their input through `classifyOptionsSchema` (the integration
// extends it with site options), so a default can never differ between the two.
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ClipscopeError, invalidValue, show } from './errors.ts';
import { MODEL_VARIANTS } from './model/layout.ts';

/** Images per onnxruntime call. Measured on synthetic-b32 (ViT-B/32 shapes, fp32, one intra-op
 * thread so the machine's load does not blur it): 109, 105, 99, 109, 105 and 108 ms of CPU per image
 * at batch 1, 2, 4, 8, 16 and 32 — the vision tower's cost is flat in the batch size on CPU. End to
 * end (`classify`, 300 social-media images, 2 cores), 16 was faster than 8 in 5 of 6 paired runs
 * (17.9 vs 16.1 images/s, when decoding still ran beside inference), and again after embed.ts moved
 * decoding between runs (best of 2 rounds: 19.25 vs 16.71 images/s); 32 was no faster and raised
 * peak RSS to ~1.4 GB. The batch tensor is 9.6 MB at 16 (docs/performance.md, Levers). */
export const DEFAULT_BATCH_SIZE = 16;

/** The default cache folder, relative to the working directory. */
export const DEFAULT_CACHE_DIR = '.clipscope';

/** Images with more pixels (width × height) are skipped, refused from their header: 100 megapixels,
 * the same limit decode.ts applies when called without options. */
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

/** CLI strings such as "8" or "0.5" become numbers; anything else is left for the schema to reject
 * with the value the user typed. */
function numeric(value: unknown): unknown {
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return value;
}

const count = () => z.preprocess(numeric, z.int().min(1));
const percent = () => z.preprocess(numeric, z.number().min(0).max(100).nullable()).default(null);

export const classifyOptionsSchema = z.strictObject({
  /** Folder of images (searched recursively). Required unless `table` lists the images. */
  images: z.string().min(1).optional(),
  /** A posts table (CSV or JSON Lines) whose image column lists the images to classify (issue 9). */
  table: z.string().min(1).optional(),
  /** The table's column of image paths, as in the seed (`df['Image']`). */
  imageColumn: z.string().min(1).default('Image'),
  /** Folder the table's relative image paths start from (default: the table's folder). */
  imagesRoot: z.string().min(1).optional(),
  /** A table column whose values are the groups the report compares (e.g. "party"). */
  groupBy: z.string().min(1).optional(),
  /** A table column with each post's date, for category shares over time. */
  dateColumn: z.string().min(1).optional(),
  /** Dictionary file (YAML or JSON): category → phrases. */
  dictionary: z.string().min(1),
  /** Model folder in the Hugging Face ONNX layout. */
  model: z.string().min(1),
  /** Which ONNX files of the model folder run: onnx/*_model.onnx or onnx/*_model_quantized.onnx. */
  modelVariant: z.enum(MODEL_VARIANTS).default('fp32'),
  /** sigmoid: SigLIP's multi-label reading (minProbability then defaults to 50, see score.ts). */
  scoring: z.enum(['seed', 'sum', 'ensemble', 'sigmoid']).default('seed'),
  topK: count().default(1),
  /** Column name (prefix) in the CSV, as in the seed notebook. */
  column: z.string().min(1).default('Classification'),
  batchSize: count().default(DEFAULT_BATCH_SIZE),
  /** onnxruntime's intra-op threads. */
  threads: count().default(() => availableParallelism()),
  /** Below this top probability (percent), an image goes to the Uncertain category. */
  minProbability: percent(),
  /** Below this margin between first and second (percentage points), an image goes to Uncertain. */
  minMargin: percent(),
  /** Embedding cache folder; null turns the cache off (--no-cache). */
  cache: z
    .string()
    .min(1)
    .nullable()
    .default(() => process.env.CLIPSCOPE_CACHE_DIR || DEFAULT_CACHE_DIR),
  /** Treat any skipped image as a failure (the CLI exits 1). */
  failOnSkip: z.boolean().default(false),
  /** Images with more pixels than this are skipped. */
  pixelLimit: count().default(DEFAULT_PIXEL_LIMIT),
  /** Follow symbolic links that lead out of the image folder (links inside it are always read). */
  followSymlinks: z.boolean().default(false),
});

export type ClassifyOptions = z.output<typeof classifyOptionsSchema>;
export type ClassifyOptionsInput = z.input<typeof classifyOptionsSchema>;

/** What each option must be, in words, for messages. Options added by an extending schema fall back
 * to zod's own description of the problem. */
const EXPECTED: Record<string, string> = {
  images: 'a folder path',
  table: 'a table file path (CSV or JSON Lines)',
  imageColumn: 'a column name of the table',
  imagesRoot: 'a folder path',
  groupBy: 'a column name of the table',
  dateColumn: 'a column name of the table',
  dictionary: 'a dictionary file path (YAML or JSON)',
  model: 'a model folder path',
  modelVariant: MODEL_VARIANTS.map((v) => `"${v}"`).join(', '),
  scoring: '"seed", "sum", "ensemble" or "sigmoid"',
  topK: 'an integer ≥ 1',
  column: 'a non-empty column name',
  batchSize: 'an integer ≥ 1',
  threads: 'an integer ≥ 1',
  minProbability: 'a percentage from 0 to 100',
  minMargin: 'a percentage from 0 to 100',
  cache: 'a folder path, or null for no cache',
  failOnSkip: 'true or false',
  pixelLimit: 'an integer ≥ 1',
  followSymlinks: 'true or false',
};

/** The command-line flag of each option, used when the options came from the command line. */
export const CLI_FLAGS: Record<string, string> = {
  images: '--images',
  table: '--table',
  imageColumn: '--image-column',
  imagesRoot: '--images-root',
  groupBy: '--group-by',
  dateColumn: '--date-column',
  dictionary: '--dictionary',
  model: '--model',
  modelVariant: '--variant',
  scoring: '--scoring',
  topK: '--top-k',
  column: '--column',
  batchSize: '--batch-size',
  threads: '--threads',
  minProbability: '--min-probability',
  minMargin: '--min-margin',
  cache: '--cache',
  failOnSkip: '--fail-on-skip',
  pixelLimit: '--pixel-limit',
  followSymlinks: '--follow-symlinks',
};

export const COMMAND_LINE = 'the command line';

/** Turn the first zod issue into the one message format of clipscope:
 * "Expected <what> for option <name> but received <value>". */
export function optionsError(error: z.ZodError, input: unknown, source: string): ClipscopeError {
  const issue = error.issues[0];
  const record = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const where = source === COMMAND_LINE ? '' : ` (in ${source})`;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => show(k)).join(', ');
    return new ClipscopeError('options', `Unknown option ${keys}${where}`, `Known options: ${Object.keys(EXPECTED).join(', ')}.`);
  }
  const key = String(issue.path[0] ?? '');
  if (!key) return new ClipscopeError('options', `Expected an object of options${where} but received ${show(input)}`);
  const name = source === COMMAND_LINE ? (CLI_FLAGS[key] ?? key) : key;
  const expected = EXPECTED[key] ?? issue.message;
  const received = record[key];
  if (received === undefined) {
    return new ClipscopeError('options', `Missing option ${name}${where}: expected ${expected}`);
  }
  return invalidValue('options', `option ${name}${where}`, expected, received);
}

/** Validate options from any source (`source` names it in messages, e.g. "astro.config.mjs" or
 * COMMAND_LINE) and fill in the defaults. Parsing already-parsed options returns them unchanged. */
export function parseClassifyOptions(input: unknown, source: string): ClassifyOptions {
  return parseWith(classifyOptionsSchema, input, source);
}

/** The options of `clipscope embed`: the image and model options of a classification run. */
export const embedOptionsSchema = classifyOptionsSchema
  .pick({
    model: true,
    modelVariant: true,
    batchSize: true,
    threads: true,
    cache: true,
    failOnSkip: true,
    pixelLimit: true,
    followSymlinks: true,
  })
  .extend({ images: z.string().min(1) });
export type EmbedOptions = z.output<typeof embedOptionsSchema>;

export function parseEmbedOptions(input: unknown, source: string): EmbedOptions {
  return parseWith(embedOptionsSchema, input, source);
}

/** Parse with any schema built from these (e.g. the Astro integration's extension). */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw optionsError(parsed.error, input, source);
  return parsed.data;
}
