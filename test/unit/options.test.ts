import { afterEach, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import { checkShardWithTable } from '../../integrations/engine/shard.ts';
import {
  COMMAND_LINE,
  DEFAULT_CACHE_DIR,
  RUN_OPTIONS,
  classifyOptionsSchema,
  describeSchema,
  flagOf,
  optionName,
  parseClassifyOptions,
  parseEmbedOptions,
  parseWith,
} from '../../integrations/engine/options.ts';

const required = { images: 'content/images', dictionary: 'content/dictionary.yaml', model: 'models/demo-colors' };

function errorOf(fn: () => unknown): Error & { kind?: string } {
  try {
    fn();
  } catch (e) {
    expect(isClipscopeError(e)).toBe(true);
    return e as Error;
  }
  throw new Error('expected a ClipscopeError');
}

describe('parseClassifyOptions', () => {
  const saved = process.env.CLIPSCOPE_CACHE_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.CLIPSCOPE_CACHE_DIR;
    else process.env.CLIPSCOPE_CACHE_DIR = saved;
  });

  it('fills every default', () => {
    delete process.env.CLIPSCOPE_CACHE_DIR;
    expect(parseClassifyOptions(required, 'test')).toEqual({
      ...required,
      imageColumn: 'Image',
      modelVariant: 'fp32',
      scoring: 'seed',
      topK: 1,
      column: 'Classification',
      threads: availableParallelism(),
      minProbability: null,
      minMargin: null,
      cache: DEFAULT_CACHE_DIR,
      failOnSkip: false,
      pixelLimit: 100_000_000,
      followSymlinks: false,
      shard: null,
      device: 'auto',
    });
  });

  it('takes the cache folder from CLIPSCOPE_CACHE_DIR, and null turns the cache off', () => {
    process.env.CLIPSCOPE_CACHE_DIR = 'elsewhere/cache';
    expect(parseClassifyOptions(required, 'test').cache).toBe('elsewhere/cache');
    expect(parseClassifyOptions({ ...required, cache: null }, 'test').cache).toBeNull();
    expect(parseClassifyOptions({ ...required, cache: 'x' }, 'test').cache).toBe('x');
  });

  it('turns numeric strings from the command line into numbers', () => {
    const o = parseClassifyOptions({ ...required, topK: '3', batchSize: '16', minProbability: '12.5', minMargin: '0' }, COMMAND_LINE);
    expect([o.topK, o.batchSize, o.minProbability, o.minMargin]).toEqual([3, 16, 12.5, 0]);
  });

  it('is idempotent: parsing parsed options changes nothing', () => {
    const once = parseClassifyOptions({ ...required, scoring: 'sum', topK: 2 }, 'test');
    expect(parseClassifyOptions(once, 'test')).toEqual(once);
  });

  it.each([
    [{ topK: 0 }, 'Invalid value 0 for option topK (in astro.config.mjs): expected an integer ≥ 1'],
    [{ topK: 1.5 }, 'Invalid value 1.5 for option topK (in astro.config.mjs): expected an integer ≥ 1'],
    [{ batchSize: 'many' }, 'Invalid value "many" for option batchSize (in astro.config.mjs): expected an integer ≥ 1'],
    [{ scoring: 'max' }, 'Invalid value "max" for option scoring (in astro.config.mjs): expected "seed", "sum", "ensemble" or "sigmoid"'],
    [{ minProbability: 101 }, 'Invalid value 101 for option minProbability (in astro.config.mjs): expected a percentage from 0 to 100'],
    [{ minMargin: -1 }, 'Invalid value -1 for option minMargin (in astro.config.mjs): expected a percentage from 0 to 100'],
    [{ cache: 3 }, 'Invalid value 3 for option cache (in astro.config.mjs): expected a folder path, or null for no cache'],
    [{ failOnSkip: 'yes' }, 'Invalid value "yes" for option failOnSkip (in astro.config.mjs): expected true or false'],
  ])('rejects %j with a message naming option, value and expected form', (bad, message) => {
    const e = errorOf(() => parseClassifyOptions({ ...required, ...bad }, 'astro.config.mjs'));
    expect(e.message).toBe(message);
    expect(e.kind).toBe('options');
  });

  it('names command-line flags, with values as typed, when the options came from the command line', () => {
    expect(errorOf(() => parseClassifyOptions({ ...required, topK: '0' }, COMMAND_LINE)).message).toBe('Invalid value 0 for --top-k: expected an integer ≥ 1');
    expect(errorOf(() => parseClassifyOptions({ ...required, batchSize: 'x' }, COMMAND_LINE)).message).toBe('Invalid value x for --batch-size: expected an integer ≥ 1');
    expect(errorOf(() => parseClassifyOptions({ ...required, column: '' }, COMMAND_LINE)).message).toBe('Invalid value "" for --column: expected a non-empty column name');
  });

  it('reports every problem at once, one line each, in one message', () => {
    const bad = { images: 'a', model: 'm', topK: 0, scoring: 'max', minMargin: 120, topk: 2 };
    expect(errorOf(() => parseClassifyOptions(bad, 'astro.config.mjs')).message).toBe(
      [
        '5 problems with the options in astro.config.mjs:',
        '  Missing option dictionary: expected a dictionary file path (YAML or JSON)',
        '  Invalid value "max" for option scoring: expected "seed", "sum", "ensemble" or "sigmoid"',
        '  Invalid value 0 for option topK: expected an integer ≥ 1',
        '  Invalid value 120 for option minMargin: expected a percentage from 0 to 100',
        '  Unknown option "topk": did you mean "topK"?',
      ].join('\n'),
    );
    const cli = { ...required, batchSize: '0', pixelLimit: '-3', threads: 'all' };
    expect(errorOf(() => parseClassifyOptions(cli, COMMAND_LINE)).message).toBe(
      [
        '3 problems on the command line:',
        '  Invalid value 0 for --batch-size: expected an integer ≥ 1',
        '  Invalid value all for --threads: expected an integer ≥ 1',
        '  Invalid value -3 for --pixel-limit: expected an integer ≥ 1',
      ].join('\n'),
    );
  });

  it('reports a missing image source and table-only options without a table beside the other problems', () => {
    expect(errorOf(() => parseClassifyOptions({ dictionary: 'd', model: 'm', topK: '0' }, COMMAND_LINE)).message).toBe(
      '2 problems on the command line:\n  Invalid value 0 for --top-k: expected an integer ≥ 1\n  Missing --images: expected a folder of images, or --table with a posts table',
    );
    const e = errorOf(() => parseClassifyOptions({ ...required, groupBy: 'party', dateColumn: 'date' }, 'astro.config.mjs')) as Error & { hint?: string };
    expect(e.message).toBe('option groupBy, option dateColumn need option table (in astro.config.mjs)');
    expect(e.hint).toMatch(/a table column needs a table/);
    expect(errorOf(() => parseClassifyOptions({ ...required, table: 't.csv' }, COMMAND_LINE)).message).toBe('Both --images and --table were given');
  });

  it('reports a missing required option, and an unknown one with what it most likely meant', () => {
    expect(errorOf(() => parseClassifyOptions({ images: 'a', model: 'm' }, 'test')).message).toBe(
      'Missing option dictionary (in test): expected a dictionary file path (YAML or JSON)',
    );
    expect(errorOf(() => parseClassifyOptions({ ...required, topk: 2 }, 'test')).message).toBe('Unknown option "topk" (in test): did you mean "topK"?');
    const far = errorOf(() => parseClassifyOptions({ ...required, colour: 'red' }, 'test')) as Error & { hint?: string };
    expect(far.message).toBe('Unknown option "colour" (in test)');
    expect(far.hint).toMatch(/^Known options: images, table, .*followSymlinks, failOnSkip, shard, device\.$/);
  });

  it('can be extended by another schema (the Astro integration) and keeps its messages', () => {
    const extended = classifyOptionsSchema.extend({ title: classifyOptionsSchema.shape.column.default('Report') });
    const parsed = parseWith(extended, required, { source: 'astro.config.mjs' });
    expect(parsed.title).toBe('Report');
    expect(parsed.topK).toBe(1);
    expect(errorOf(() => parseWith(extended, { ...required, topK: -2 }, { source: 'astro.config.mjs' })).message).toBe(
      'Invalid value -2 for option topK (in astro.config.mjs): expected an integer ≥ 1',
    );
  });
});

describe('RUN_OPTIONS: each option described once', () => {
  it('describes every option of the schema, with a distinct long flag', () => {
    expect(Object.keys(RUN_OPTIONS)).toEqual(Object.keys(classifyOptionsSchema.shape));
    const flags = Object.keys(RUN_OPTIONS).map((k) => flagOf(k));
    expect(new Set(flags).size).toBe(flags.length);
    for (const flag of flags) expect(flag).toMatch(/^--[a-z][a-z-]+$/);
  });

  it('keeps the flags README documents', () => {
    const flags = Object.fromEntries(Object.keys(RUN_OPTIONS).map((k) => [k, flagOf(k)]));
    expect(flags).toMatchObject({ modelVariant: '--variant', topK: '--top-k', batchSize: '--batch-size', minProbability: '--min-probability', cache: '--cache', failOnSkip: '--fail-on-skip' });
  });
});

describe('describeSchema', () => {
  it.each([
    [z.int().min(1).max(500).default(12), 'an integer from 1 to 500'],
    [z.int().min(1), 'an integer ≥ 1'],
    [z.number().max(1), 'a number ≤ 1'],
    [z.union([z.int().min(32).max(1024), z.literal(false)]), 'an integer from 32 to 1024 or false'],
    [z.union([z.string().min(1), z.int()]), 'a non-empty text or an integer'],
    [z.enum(['a', 'b', 'c']), '"a", "b" or "c"'],
    [z.boolean().default(false), 'true or false'],
    [z.string().min(1).nullable(), 'a non-empty text, or null'],
  ])('%#: %s', (schema, words) => {
    expect(describeSchema(schema)).toBe(words);
  });
});

describe('parseEmbedOptions', () => {
  it('needs no dictionary and refuses classification options', () => {
    const o = parseEmbedOptions({ images: 'i', model: 'm', cache: null }, COMMAND_LINE);
    expect(o).toMatchObject({ images: 'i', model: 'm', cache: null, device: 'auto' });
    expect(o.batchSize).toBeUndefined(); // the device's batch size, DEFAULT_BATCH_SIZE on the CPU (model/device.ts)
    expect(errorOf(() => parseEmbedOptions({ images: 'i', model: 'm', topK: 2 }, 'test')).message).toBe('Unknown option "topK" (in test)');
    expect(errorOf(() => parseEmbedOptions({ model: 'm' }, COMMAND_LINE)).message).toBe('Missing --images: expected a folder path');
  });
});

describe('optionName: one rule for naming an option in a message', () => {
  it('is the flag on the command line, "option <key>" elsewhere', () => {
    expect(optionName('imagesRoot', COMMAND_LINE)).toBe('--images-root');
    expect(optionName('shard', COMMAND_LINE)).toBe('--shard');
    expect(optionName('imagesRoot', 'astro.config.mjs')).toBe('option imagesRoot');
    expect(optionName('validation.seed', COMMAND_LINE)).toBe('option validation.seed');
    expect(optionName('timeout', COMMAND_LINE, { timeout: { flag: '--timeout <seconds>' } })).toBe('--timeout');
  });

  it('the table and shard checks name options by it', () => {
    const message = (source: string) => errorOf(() => checkShardWithTable({ shard: { index: 0, count: 2 }, table: 't.csv' }, (key) => optionName(key, source))).message;
    expect(message(COMMAND_LINE)).toMatch(/^--shard cannot be used with --table/);
    expect(message('astro.config.mjs')).toMatch(/^option shard cannot be used with option table/);
  });
});
