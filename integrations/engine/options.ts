// The run options of clipscope, each described once (RUN_OPTIONS), with every default in this one
// place. The CLI and the Astro integration both parse their input through `classifyOptionsSchema`
// (the integration extends it with site options), so a default can never differ between the two,
// and both report every problem of a bad configuration at once, through `optionsError`.
//
// HOW TO ADD A RUN OPTION — one edit: an entry in RUN_OPTIONS below, with
//   schema    its zod schema, with its default (`.default(…)`) or `.optional()`; no default and not
//             optional makes it required;
//   flag      its command-line flag in commander's syntax: '--top-k <n>', or '--fail-on-skip' for a switch;
//   help      one line for --help; the choices of an enum ("seed | sum | ensemble") and the default
//             are appended from the schema (`defaultText` when the default is computed, e.g. "all
//             cores"), "(required)" when there is none;
//   expected  (optional) what a valid value is, in words, for messages, when the schema's own
//             description ("an integer ≥ 1", '"seed", "sum" or "ensemble"') does not say it well
//             ("a folder path");
//   commands  the commands that take it: CLASSIFY, or BOTH (classify and embed);
//   negate    (optional) help of a `--no-…` flag that sets the option to null (as --no-cache).
// From that entry come the zod schemas and their types, the flags of `clipscope classify` and
// `embed` with their help (integrations/cli/shared.ts), the flag → option mapping, and the messages
// for a bad value (naming the flag on the command line, the option in astro.config.mjs). The Astro
// integration extends the schema, so the option is also a site option. Then use it where the engine
// needs it, and add a line to README's command-line section. (Options only the site has go into
// integrations/clipscope/options.ts; flags of the other commands, model fetch and cache, are that
// command's own, in integrations/cli/<command>.ts — validate them with `parseWith(schema, input,
// { source: COMMAND_LINE, options: { key: { flag, expected } } })` to get the same messages, as
// model/fetch.ts does for --timeout and --retries.)
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ClipscopeError, didYouMean, show } from './errors.ts';
import { shardOptionSchema } from './shard.ts';
import { DEVICES, DEVICE_BATCH_SIZE } from './model/device.ts';
import { MODEL_VARIANTS } from './model/layout.ts';
import { SCORING_MODES } from '../core/types.ts';

/** Images per onnxruntime call. Measured on synthetic-b32 (ViT-B/32 shapes, fp32, one intra-op
 * thread so the machine's load does not blur it): 109, 105, 99, 109, 105 and 108 ms of CPU per image
 * at batch 1, 2, 4, 8, 16 and 32 — the vision tower's cost is flat in the batch size on CPU. End to
 * end (`classify`, 300 social-media images, 2 cores), 16 was faster than 8 in 5 of 6 paired runs
 * (17.9 vs 16.1 images/s, when decoding still ran beside inference), and again after embed.ts moved
 * decoding between runs (best of 2 rounds: 19.25 vs 16.71 images/s); 32 was no faster and raised
 * peak RSS to ~1.4 GB. The batch tensor is 9.6 MB at 16 (docs/performance.md, Levers). */
export const DEFAULT_BATCH_SIZE = DEVICE_BATCH_SIZE.cpu;

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

/** The commands that take run options. */
export type RunCommand = 'classify' | 'embed';

/** One run option, described once (see the top of this file). */
export interface RunOption<S extends z.ZodType = z.ZodType, C extends readonly RunCommand[] = readonly RunCommand[]> {
  schema: S;
  flag: string;
  help: string;
  expected?: string;
  commands: C;
  /** The default as --help shows it, when the schema computes it (cores, environment). */
  defaultText?: string;
  /** Help of a `--no-…` flag that sets the option to null. */
  negate?: string;
}

const option = <S extends z.ZodType, const C extends readonly RunCommand[]>(o: RunOption<S, C>): RunOption<S, C> => o;
const BOTH = ['classify', 'embed'] as const;
const CLASSIFY = ['classify'] as const;

export const RUN_OPTIONS = {
  images: option({
    schema: z.string().min(1).optional(),
    flag: '--images <dir>',
    help: 'folder of images (searched recursively)',
    expected: 'a folder path',
    commands: BOTH,
  }),
  table: option({
    schema: z.string().min(1).optional(),
    flag: '--table <file>',
    help: 'posts table (CSV or JSON Lines) whose image column lists the images, instead of --images; --out writes it back with the classification columns',
    expected: 'a table file path (CSV or JSON Lines)',
    commands: CLASSIFY,
  }),
  imageColumn: option({
    schema: z.string().min(1).default('Image'),
    flag: '--image-column <name>',
    help: 'the table column of image paths',
    expected: 'a column name of the table',
    commands: CLASSIFY,
  }),
  imagesRoot: option({
    schema: z.string().min(1).optional(),
    flag: '--images-root <dir>',
    help: "folder the table's relative image paths start from (default: the table's folder)",
    expected: 'a folder path',
    commands: CLASSIFY,
  }),
  groupBy: option({
    schema: z.string().min(1).optional(),
    flag: '--group-by <column>',
    help: 'table column whose values are the groups to compare (e.g. party)',
    expected: 'a column name of the table',
    commands: CLASSIFY,
  }),
  dateColumn: option({
    schema: z.string().min(1).optional(),
    flag: '--date-column <column>',
    help: 'table column with the post date (shares over time in the report)',
    expected: 'a column name of the table',
    commands: CLASSIFY,
  }),
  dictionary: option({
    schema: z.string().min(1),
    flag: '--dictionary <file>',
    help: 'dictionary (YAML or JSON): category → phrases',
    expected: 'a dictionary file path (YAML or JSON)',
    commands: CLASSIFY,
  }),
  model: option({
    schema: z.string().min(1),
    flag: '--model <dir>',
    help: 'model folder (Hugging Face ONNX layout; get one with `clipscope model fetch`)',
    expected: 'a model folder path',
    commands: BOTH,
  }),
  /** Which ONNX files of the model folder run: onnx/*_model.onnx or onnx/*_model_quantized.onnx. */
  modelVariant: option({
    schema: z.enum(MODEL_VARIANTS).default('fp32'),
    flag: '--variant <variant>',
    help: 'which ONNX files of the model folder run (onnx/*_model[_<variant>].onnx)',
    commands: BOTH,
  }),
  /** sigmoid: SigLIP's multi-label reading (minProbability then defaults to 50, see score.ts). */
  scoring: option({
    schema: z.enum(SCORING_MODES).default('seed'),
    flag: '--scoring <mode>',
    help: 'how the category of an image is chosen',
    commands: CLASSIFY,
  }),
  topK: option({
    schema: count().default(1),
    flag: '--top-k <n>',
    help: 'how many choices per image',
    commands: CLASSIFY,
  }),
  /** Column name (prefix) in the CSV, as in the seed notebook. */
  column: option({
    schema: z.string().min(1).default('Classification'),
    flag: '--column <name>',
    help: 'column name (prefix) in the CSV',
    expected: 'a non-empty column name',
    commands: CLASSIFY,
  }),
  /** Absent: the device's batch size (model/device.ts DEVICE_BATCH_SIZE; DEFAULT_BATCH_SIZE on the CPU). */
  batchSize: option({
    schema: count().optional(),
    flag: '--batch-size <n>',
    help: `images per model call (default per device: ${DEFAULT_BATCH_SIZE} on the CPU)`,
    commands: BOTH,
  }),
  /** onnxruntime's intra-op threads. */
  threads: option({
    schema: count().default(() => availableParallelism()),
    flag: '--threads <n>',
    help: 'onnxruntime threads',
    defaultText: 'all cores',
    commands: BOTH,
  }),
  /** Below this top probability (percent), an image goes to the Uncertain category. */
  minProbability: option({
    schema: percent(),
    flag: '--min-probability <p>',
    help: 'below this top probability (percent) an image is Uncertain',
    expected: 'a percentage from 0 to 100',
    commands: CLASSIFY,
  }),
  /** Below this margin between first and second (percentage points), an image goes to Uncertain. */
  minMargin: option({
    schema: percent(),
    flag: '--min-margin <m>',
    help: 'below this margin (percentage points) an image is Uncertain',
    expected: 'a percentage from 0 to 100',
    commands: CLASSIFY,
  }),
  /** Embedding cache folder; null turns the cache off (--no-cache). */
  cache: option({
    schema: z
      .string()
      .min(1)
      .nullable()
      .default(() => process.env.CLIPSCOPE_CACHE_DIR || DEFAULT_CACHE_DIR),
    flag: '--cache <dir>',
    help: 'embedding cache folder',
    defaultText: `${DEFAULT_CACHE_DIR}, or CLIPSCOPE_CACHE_DIR`,
    negate: 'do not read or write the embedding cache',
    expected: 'a folder path, or null for no cache',
    commands: BOTH,
  }),
  /** Images with more pixels than this are skipped. */
  pixelLimit: option({
    schema: count().default(DEFAULT_PIXEL_LIMIT),
    flag: '--pixel-limit <n>',
    help: 'skip images with more pixels than this',
    defaultText: `${DEFAULT_PIXEL_LIMIT}, ${DEFAULT_PIXEL_LIMIT / 1e6} megapixels`,
    commands: BOTH,
  }),
  /** Follow symbolic links that lead out of the image folder (links inside it are always read). */
  followSymlinks: option({
    schema: z.boolean().default(false),
    flag: '--follow-symlinks',
    help: 'follow symbolic links that lead out of the image folder',
    commands: BOTH,
  }),
  /** Treat any skipped image as a failure (the CLI exits 1). */
  failOnSkip: option({
    schema: z.boolean().default(false),
    flag: '--fail-on-skip',
    help: 'exit with code 1 when any image was skipped',
    commands: BOTH,
  }),
  /** Only the K-th of N parts of the images, chosen by content hash ("K/N", see shard.ts). */
  shard: option({
    schema: shardOptionSchema.default(null),
    flag: '--shard <K/N>',
    help: 'only part K of N (K from 0 to N−1), chosen by content hash: for job arrays; merge the caches with `clipscope cache merge`',
    commands: BOTH,
  }),
  /** onnxruntime execution provider (model/device.ts): auto picks the best available. */
  device: option({
    schema: z.enum(DEVICES).default('auto'),
    flag: '--device <device>',
    help: 'where onnxruntime runs the model (auto: the best available, else the CPU)',
    commands: BOTH,
  }),
};

export type RunOptionName = keyof typeof RUN_OPTIONS;
type Options = typeof RUN_OPTIONS;
type ShapeFor<C extends RunCommand> = { [K in keyof Options as C extends Options[K]['commands'][number] ? K : never]: Options[K]['schema'] };

function shapeFor<C extends RunCommand>(command: C): ShapeFor<C> {
  const entries = Object.entries(RUN_OPTIONS as Record<string, RunOption>).filter(([, o]) => o.commands.includes(command));
  return Object.fromEntries(entries.map(([key, o]) => [key, o.schema])) as ShapeFor<C>;
}

/** The long flag of an option ("--batch-size"), from RUN_OPTIONS or another command's table. */
export function flagOf(key: string, options: Record<string, Pick<RunOption, 'flag'>> = RUN_OPTIONS): string | undefined {
  return options[key]?.flag.split(/[ ,]/)[0];
}

export const classifyOptionsSchema = z.strictObject(shapeFor('classify'));

export type ClassifyOptions = z.output<typeof classifyOptionsSchema>;

/** The options of `clipscope embed`: the image and model options of a classification run, with
 * the image folder required. */
export const embedOptionsSchema = z.strictObject(shapeFor('embed')).extend({ images: z.string().min(1) });
export type EmbedOptions = z.output<typeof embedOptionsSchema>;

/** The schema each command parses with. */
export const COMMAND_SCHEMAS: Record<RunCommand, z.ZodObject> = { classify: classifyOptionsSchema, embed: embedOptionsSchema };

export const COMMAND_LINE = 'the command line';

/** How a message names an option from `source`: on the command line its flag ("--images-root"),
 * elsewhere "option imagesRoot" (a nested one "option validation.seed"). */
export function optionName(key: string, source: string, options: Record<string, Pick<RunOption, 'flag'>> = RUN_OPTIONS): string {
  return source === COMMAND_LINE && !key.includes('.') ? (flagOf(key, options) ?? key) : `option ${key}`;
}

/** Validate options from any source (`source` names it in messages, e.g. "astro.config.mjs" or
 * COMMAND_LINE) and fill in the defaults. Parsing already-parsed options returns them unchanged. */
export function parseClassifyOptions(input: unknown, source: string): ClassifyOptions {
  return parseWith(classifyOptionsSchema, input, { source }, imageSourceProblems(input, { source }));
}

/** What the schema alone cannot see: a classification reads an image folder or a posts table (one
 * of them), and the table-only options need the table. */
function imageSourceProblems(input: unknown, context: OptionsContext): OptionProblem[] {
  if (!input || typeof input !== 'object') return [];
  const given = (key: RunOptionName) => (input as Record<string, unknown>)[key] !== undefined;
  const name = (key: RunOptionName) => optionName(key, context.source);
  if (given('table')) {
    if (!given('images')) return [];
    return [
      {
        kind: 'other',
        key: '',
        text: `Both ${name('images')} and ${name('table')} were given`,
        hint: `With a table, the images are the ones its image column lists; give ${name('imagesRoot')} for the folder their relative paths start from.`,
      },
    ];
  }
  if (!given('images')) return [{ kind: 'missing', key: 'images', subject: name('images'), expected: `a folder of images, or ${name('table')} with a posts table` }];
  const tableOnly = (['imagesRoot', 'groupBy', 'dateColumn'] as const).filter(given).map(name);
  if (tableOnly.length === 0) return [];
  return [
    {
      kind: 'other',
      key: '',
      text: `${tableOnly.join(', ')} ${tableOnly.length === 1 ? 'needs' : 'need'} ${name('table')}`,
      hint: 'Folder runs group by the first folder level automatically; a table column needs a table.',
    },
  ];
}

export function parseEmbedOptions(input: unknown, source: string): EmbedOptions {
  return parseWith(embedOptionsSchema, input, { source });
}

/** Parse with any schema built from these (e.g. the Astro integration's extension); every problem
 * of the input, and the `extra` ones found by the caller, is reported at once. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, context: OptionsContext, extra: OptionProblem[] = []): z.output<S> {
  const parsed = schema.safeParse(input);
  const problems = [...(parsed.success ? [] : optionProblems(schema, parsed.error, input, context)), ...extra];
  if (problems.length > 0 || !parsed.success) throw optionsError(problems, context);
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Messages: one formatter for every problem of every source.

export interface OptionsContext {
  /** Where the options came from: COMMAND_LINE (messages name flags) or a file, e.g. "astro.config.mjs". */
  source: string;
  /** Flags and expected forms of options that are not run options (another command's), else RUN_OPTIONS. */
  options?: Record<string, Pick<RunOption, 'flag' | 'expected'>>;
  /** Where one top-level option came from instead of `source`, e.g. "environment variable CLIPSCOPE_IMAGES". */
  origin?: (key: string) => string | undefined;
}

/** One problem of a configuration; `optionsError` words it. */
export type OptionProblem =
  | { kind: 'invalid'; key: string; subject: string; value: unknown; expected: string }
  | { kind: 'missing'; key: string; subject: string; expected: string }
  | { kind: 'unknown'; key: string; subject: string; suggestion?: string; known: string[] }
  | { kind: 'other'; key: string; text: string; hint?: string; /** Where it comes from, instead of the source. */ where?: string };

/** The value as the user gave it: after a command-line flag as typed (quoted only when empty or
 * with spaces), elsewhere as JavaScript would show it. */
function shownValue(value: unknown, commandLine: boolean): string {
  if (commandLine && typeof value === 'string' && value !== '' && !/\s/.test(value)) return value;
  return show(value);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** The schema of the value at `path` (through defaults, optionals and nested objects). */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (const key of path) {
    s = unwrap(s);
    if (!(s instanceof z.ZodObject)) return undefined;
    s = (s.shape as Record<string, z.ZodType>)[String(key)];
    if (!s) return undefined;
  }
  return s;
}

/** The keys an object schema (or a union with objects, e.g. `true | { keepMetadata }`) knows. */
function keysOf(schema: z.ZodType): string[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) return Object.keys(s.shape);
  const options = (s._zod.def as { options?: z.ZodType[] }).options;
  return options ? options.flatMap(keysOf) : [];
}

/** Whether the schema, or a wrapper around it, was given its own error message. */
function hasOwnError(schema: z.ZodType): boolean {
  for (let s: z.ZodType | undefined = schema; s; ) {
    const def = s._zod.def as { error?: unknown; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType; type: string };
    if (def.error) return true;
    s = def.innerType ?? (def.type === 'pipe' ? (def.out?._zod.def.type === 'transform' ? def.in : def.out) : undefined);
  }
  return false;
}

function unwrap(s: z.ZodType): z.ZodType {
  const def = s._zod.def as { type: string; innerType?: z.ZodType; out?: z.ZodType; in?: z.ZodType };
  if ((def.type === 'default' || def.type === 'prefault' || def.type === 'optional' || def.type === 'readonly') && def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.out && def.in) return unwrap(def.out._zod.def.type === 'transform' ? def.in : def.out);
  return s;
}

/** The values an enum option takes (["seed", "sum", "ensemble"]), for --help; undefined for others. */
export function choicesOf(schema: z.ZodType): string[] | undefined {
  const s = unwrap(schema);
  return s instanceof z.ZodEnum ? s.options.map(String) : undefined;
}

const BOUND = Number.MAX_SAFE_INTEGER;

/** What a schema accepts, in words ("an integer from 1 to 500"), for options RUN_OPTIONS does not
 * describe (the site options). */
export function describeSchema(schema: z.ZodType): string {
  const s = unwrap(schema);
  const def = s._zod.def as { type: string; innerType?: z.ZodType; options?: z.ZodType[]; values?: unknown[] };
  if (s instanceof z.ZodNumber) {
    const what = s.isInt ? 'an integer' : 'a number';
    const min = s.minValue !== null && Math.abs(s.minValue) < BOUND ? s.minValue : null;
    const max = s.maxValue !== null && Math.abs(s.maxValue) < BOUND ? s.maxValue : null;
    if (min !== null && max !== null) return `${what} from ${min} to ${max}`;
    if (min !== null) return `${what} ≥ ${min}`;
    if (max !== null) return `${what} ≤ ${max}`;
    return what;
  }
  if (s instanceof z.ZodString) return (s.minLength ?? 0) > 0 ? 'a non-empty text' : 'a text';
  if (s instanceof z.ZodBoolean) return 'true or false';
  if (s instanceof z.ZodEnum) return orList(s.options.map((o) => show(o)));
  if (def.type === 'literal' && def.values) return orList(def.values.map((v) => show(v)));
  if (def.type === 'nullable' && def.innerType) return `${describeSchema(def.innerType)}, or null`;
  if (def.type === 'union' && def.options) return orList(def.options.map((o) => describeSchema(o)));
  if (s instanceof z.ZodObject) return `an object with ${orList(Object.keys(s.shape), 'and')}`;
  return 'a valid value';
}

function orList(items: string[], word = 'or'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${word} ${items.at(-1)}`;
}

/** Every problem of a zod error, each naming the option (its flag on the command line, its path
 * elsewhere), the value received and what the option expects. */
export function optionProblems(schema: z.ZodType, error: z.ZodError, input: unknown, context: OptionsContext): OptionProblem[] {
  const cli = context.source === COMMAND_LINE;
  const table: Record<string, Pick<RunOption, 'flag' | 'expected'>> = context.options ?? RUN_OPTIONS;
  const nameOf = (path: readonly PropertyKey[]) => optionName(path.map(String).join('.'), context.source, table);
  const problems: OptionProblem[] = [];
  const seen = new Set<string>();
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = keysOf(schemaAt(schema, issue.path) ?? schema);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        problems.push({ kind: 'unknown', key: String(path[0]), subject: cli ? show(key) : `option ${show(path.map(String).join('.'))}`, suggestion: didYouMean(key, known), known });
      }
      continue;
    }
    if (issue.path.length === 0) {
      problems.push({ kind: 'invalid', key: '', subject: 'the options', value: input, expected: 'an object of options' });
      continue;
    }
    // One problem per option: a union or a preprocess can raise several issues for one value.
    const dotted = issue.path.map(String).join('.');
    if (seen.has(dotted)) continue;
    seen.add(dotted);
    const key = String(issue.path[0]);
    const described = issue.path.length === 1 ? table[key]?.expected : undefined;
    const at = schemaAt(schema, issue.path);
    // A schema with its own error message ({ error: 'expected …' }) words it best.
    // So does a refinement's own message (code "custom", e.g. the shard's "K from 0 to 2 in K/3").
    const own = issue.code === 'custom' || (at && hasOwnError(at)) ? issue.message.replace(/^expected /i, '') : undefined;
    const expected = described ?? own ?? (at ? describeSchema(at) : issue.message.replace(/^expected /i, ''));
    const value = valueAt(input, issue.path);
    problems.push(value === undefined ? { kind: 'missing', key, subject: nameOf(issue.path), expected } : { kind: 'invalid', key, subject: nameOf(issue.path), value, expected });
  }
  return problems;
}

/** The one error of a bad configuration: every problem on a line of its own, each naming the
 * option or flag, the value and what it expects. One problem is one line. */
export function optionsError(problems: OptionProblem[], context: OptionsContext): ClipscopeError {
  const cli = context.source === COMMAND_LINE;
  const single = problems.length === 1;
  const line = (p: OptionProblem): string => {
    const origin = p.key ? context.origin?.(p.key) : undefined;
    const tag = origin ? ` (from ${origin})` : p.kind === 'other' && p.where ? ` (in ${p.where})` : single && !cli ? ` (in ${context.source})` : '';
    switch (p.kind) {
      case 'invalid':
        return `Invalid value ${shownValue(p.value, cli)} for ${p.subject}${tag}: expected ${p.expected}`;
      case 'missing':
        return `Missing ${p.subject}${tag}: expected ${p.expected}`;
      case 'unknown':
        return `Unknown ${cli ? 'option ' : ''}${p.subject}${tag}${p.suggestion ? `: did you mean ${show(p.suggestion)}?` : ''}`;
      case 'other':
        return `${p.text}${tag}`;
    }
  };
  const message = single
    ? line(problems[0])
    : `${problems.length} problems ${cli ? 'on the command line' : `with the options in ${context.source}`}:\n${problems.map((p) => `  ${line(p)}`).join('\n')}`;
  const hints = new Set<string>();
  for (const p of problems) {
    if (p.kind === 'unknown' && !p.suggestion) hints.add(`Known options: ${p.known.join(', ')}.`);
    if (p.kind === 'other' && p.hint) hints.add(p.hint);
  }
  return new ClipscopeError('options', message, hints.size > 0 ? [...hints].join(' ') : undefined);
}
