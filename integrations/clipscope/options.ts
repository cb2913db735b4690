// The options of the Astro integration: the engine's run options (one schema, one set of defaults,
// shared with the CLI) extended with what only the site needs. Defaults build the demo report.
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { classifyOptionsSchema, optionProblems, optionsError, type ClassifyOptions, type OptionProblem, type OptionsContext } from '../engine/options.ts';

/** Where the options come from, named in every message. */
export const CONFIG_SOURCE = 'astro.config.mjs';

/** Environment variables that override the paths, so one config serves many image sets. */
const ENV_OVERRIDES = {
  images: 'CLIPSCOPE_IMAGES',
  dictionary: 'CLIPSCOPE_DICTIONARY',
  model: 'CLIPSCOPE_MODEL',
  table: 'CLIPSCOPE_TABLE',
  imageColumn: 'CLIPSCOPE_IMAGE_COLUMN',
  imagesRoot: 'CLIPSCOPE_IMAGES_ROOT',
  groupBy: 'CLIPSCOPE_GROUP_BY',
  dateColumn: 'CLIPSCOPE_DATE_COLUMN',
} as const;

/** Overrides `validation.dir` (the folder of judgement files). */
const VALIDATION_DIR_ENV = 'CLIPSCOPE_VALIDATION_DIR';

const DEMO_PATHS = { images: 'content/images', dictionary: 'content/dictionary.yaml', model: 'models/demo-colors' } as const;

const int = (min: number, max: number) => z.int().min(min).max(max);

/** A CSS hex colour: #rgb, #rgba, #rrggbb or #rrggbbaa. */
const HEX_COLOR = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const seed = z.union([z.string().min(1), z.int()]);

const thumbnailsSchema = z.strictObject({
  /** Longest side of a sample thumbnail on a category page (CSS pixels × ~2 for sharp screens). */
  sample: int(64, 2048).default(360),
  /** Longest side of the small thumbnails on the "all images" pages; false: no thumbnails there. */
  list: z.union([int(32, 1024), z.literal(false)]).default(128),
  /** Longest side of the large view every thumbnail opens (smaller images keep their own size). */
  large: int(256, 4096).default(1024),
  /** Longest side of the large image in the validation widget. */
  validation: int(128, 4096).default(768),
  /** Longest side of the thumbnails embedded in the standalone HTML file (kept small: they are inline). */
  standalone: int(32, 1024).default(200),
  /** WebP quality, 1–100. */
  quality: int(1, 100).default(75),
});

const validationSchema = z.strictObject({
  /** Images per predicted category in the validation set. */
  perCategory: int(1, 10_000).default(20),
  /** Seed of the validation draw (default: `seed`). */
  seed: seed.optional(),
  /** Folder of judgement files (clipscope.judgements/v1) read into the Validation page. */
  dir: z.string().min(1).default('content/validation'),
  /** Whether the Validate page starts in blind mode (the model's answer hidden until the coder picks). */
  blind: z.boolean().default(false),
});

const clipscopeOptionsSchema = classifyOptionsSchema.extend({
  images: z.string().min(1).default(DEMO_PATHS.images),
  dictionary: z.string().min(1).default(DEMO_PATHS.dictionary),
  model: z.string().min(1).default(DEMO_PATHS.model),
  /** Images drawn at random (seeded) for each category page. */
  samplesPerCategory: int(1, 500).default(12),
  /** Samples per category in the standalone HTML file (default: samplesPerCategory). */
  standaloneSamples: int(1, 100).optional(),
  /** Seed of every random draw in the site: the same seed and results give the same pages. */
  seed: seed.default('clipscope'),
  /** Images per page in the "all images of a category" listing. */
  pageSize: int(1, 1000).default(60),
  validation: validationSchema.prefault({}),
  thumbnails: thumbnailsSchema.prefault({}),
  /** Publish the originals of the images the site shows large (links from thumbnails); off by
   * default. true: copies without metadata (no GPS, camera, XMP); { keepMetadata: true }: the files
   * as they are. Normalised to false | { keepMetadata }. */
  /** Colours of named groups in the charts, e.g. { AfD: "#009ee0", SPD: "#e3000f" } (parties in
   * their customary colours); groups without one get the default group palette. */
  groupColors: z
    .record(z.string().min(1), z.string().regex(HEX_COLOR, { error: 'expected a CSS hex colour such as "#009ee0" (#rgb or #rrggbb)' }), {
      error: 'expected an object of group name → CSS hex colour, e.g. { "AfD": "#009ee0" }',
    })
    .default({}),
  /** The Workbench page (/workbench/): edit the dictionary and re-score every image in the browser.
   * Publishes the run's embeddings (about 2 kB per image with 512-dimensional models); false leaves
   * the page and its data out. */
  workbench: z.boolean().default(true),
  copyOriginals: z
    .union([z.boolean(), z.strictObject({ keepMetadata: z.boolean().default(false) })], {
      error: 'expected true, false or { keepMetadata: true | false }',
    })
    .default(false)
    .transform((v) => (v === true ? { keepMetadata: false } : v)),
});

export type ClipscopeOptionsInput = z.input<typeof clipscopeOptionsSchema>;
type ClipscopeParsed = z.output<typeof clipscopeOptionsSchema>;

/** Resolved options: paths absolute (against the Astro project root), defaults filled in. */
export interface ClipscopeOptions extends Omit<ClipscopeParsed, 'standaloneSamples' | 'validation'> {
  standaloneSamples: number;
  validation: { perCategory: number; seed: string | number; dir: string; blind: boolean };
  /** Which option came from which environment variable (for messages). */
  fromEnv: Partial<Record<keyof typeof ENV_OVERRIDES, string>>;
}

const ENGINE_KEYS = new Set(Object.keys(classifyOptionsSchema.shape));

/**
 * Validate the integration's options, apply the CLIPSCOPE_* environment overrides and resolve
 * paths against `root`. Throws one ClipscopeError listing every problem, each naming the option, the
 * value and what the option expects.
 */
export function parseClipscopeOptions(input: unknown, opts: { root: string; env?: NodeJS.ProcessEnv; source?: string }): ClipscopeOptions {
  const env = opts.env ?? process.env;
  const source = opts.source ?? CONFIG_SOURCE;
  if (input !== undefined && (input === null || typeof input !== 'object' || Array.isArray(input))) {
    throw optionsError([{ kind: 'invalid', key: '', subject: 'the options of clipscope()', value: input, expected: 'an object of options' }], { source });
  }
  const merged: Record<string, unknown> = { ...(input as object | undefined) };
  const fromEnv: ClipscopeOptions['fromEnv'] = {};
  for (const [key, variable] of Object.entries(ENV_OVERRIDES) as [keyof typeof ENV_OVERRIDES, string][]) {
    const value = env[variable];
    if (value !== undefined && value !== '') {
      merged[key] = value;
      fromEnv[key] = variable;
    }
  }
  // The judgement folder (nested option validation.dir) can be pointed elsewhere the same way, e.g.
  // by a CI job or a test that builds with judgement files it generated.
  const validationDir = env[VALIDATION_DIR_ENV];
  if (validationDir !== undefined && validationDir !== '') {
    const given = merged.validation;
    merged.validation = { ...(given && typeof given === 'object' ? given : {}), dir: validationDir };
  }

  const context: OptionsContext = { source, origin: (key) => (key in fromEnv ? `environment variable ${fromEnv[key as keyof typeof ENV_OVERRIDES]}` : undefined) };
  const problems: OptionProblem[] = [];
  // A posts table replaces the image folder. A table from the environment wins over an image folder in
  // the config (one config, many data sets); both from the same place is a contradiction.
  if (merged.table !== undefined && merged.images !== undefined) {
    if (fromEnv.table && !fromEnv.images) delete merged.images;
    else {
      problems.push({
        kind: 'other',
        key: '',
        text: 'Options images and table are both given',
        ...(fromEnv.table ? { where: 'environment variables CLIPSCOPE_TABLE and CLIPSCOPE_IMAGES' } : {}),
        hint: 'With a table, the images are the ones its image column lists; set imagesRoot to the folder their relative paths start from.',
      });
    }
  }

  // Every problem at once, engine and site options alike, through the engine's one formatter.
  const parsed = clipscopeOptionsSchema.safeParse(merged);
  if (!parsed.success) problems.push(...optionProblems(clipscopeOptionsSchema, parsed.error, merged, context));
  if (problems.length > 0 || !parsed.success) throw optionsError(problems, context);
  const o = parsed.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(opts.root, p));
  return {
    ...o,
    images: abs(o.images),
    dictionary: abs(o.dictionary),
    model: abs(o.model),
    ...(o.table ? { table: abs(o.table) } : {}),
    ...(o.imagesRoot ? { imagesRoot: abs(o.imagesRoot) } : {}),
    cache: o.cache === null ? null : abs(o.cache),
    standaloneSamples: o.standaloneSamples ?? Math.min(o.samplesPerCategory, 100),
    validation: { perCategory: o.validation.perCategory, seed: o.validation.seed ?? o.seed, dir: abs(o.validation.dir), blind: o.validation.blind },
    fromEnv,
  };
}

/** The engine's share of the options, as `classify()` takes them (it rejects unknown keys). */
export function engineOptions(o: ClipscopeOptions): ClassifyOptions {
  // With a table, `images` (which has the demo folder as its default here) is not passed on.
  return Object.fromEntries(Object.entries(o).filter(([k]) => ENGINE_KEYS.has(k) && !(k === 'images' && o.table))) as ClassifyOptions;
}
