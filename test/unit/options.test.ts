import { afterEach, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import {
  COMMAND_LINE,
  DEFAULT_BATCH_SIZE,
  DEFAULT_CACHE_DIR,
  classifyOptionsSchema,
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
      batchSize: DEFAULT_BATCH_SIZE,
      threads: availableParallelism(),
      minProbability: null,
      minMargin: null,
      cache: DEFAULT_CACHE_DIR,
      failOnSkip: false,
      pixelLimit: 100_000_000,
      followSymlinks: false,
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
    [{ topK: 0 }, 'Expected an integer ≥ 1 for option topK (in astro.config.mjs) but received 0'],
    [{ topK: 1.5 }, 'Expected an integer ≥ 1 for option topK (in astro.config.mjs) but received 1.5'],
    [{ batchSize: 'many' }, 'Expected an integer ≥ 1 for option batchSize (in astro.config.mjs) but received "many"'],
    [{ scoring: 'max' }, 'Expected "seed", "sum", "ensemble" or "sigmoid" for option scoring (in astro.config.mjs) but received "max"'],
    [{ minProbability: 101 }, 'Expected a percentage from 0 to 100 for option minProbability (in astro.config.mjs) but received 101'],
    [{ minMargin: -1 }, 'Expected a percentage from 0 to 100 for option minMargin (in astro.config.mjs) but received -1'],
    [{ cache: 3 }, 'Expected a folder path, or null for no cache for option cache (in astro.config.mjs) but received 3'],
    [{ failOnSkip: 'yes' }, 'Expected true or false for option failOnSkip (in astro.config.mjs) but received "yes"'],
  ])('rejects %j with a message naming option and value', (bad, message) => {
    const e = errorOf(() => parseClassifyOptions({ ...required, ...bad }, 'astro.config.mjs'));
    expect(e.message).toBe(message);
    expect(e.kind).toBe('options');
  });

  it('names command-line flags when the options came from the command line', () => {
    expect(errorOf(() => parseClassifyOptions({ ...required, topK: '0' }, COMMAND_LINE)).message).toBe(
      'Expected an integer ≥ 1 for option --top-k but received "0"',
    );
    expect(errorOf(() => parseClassifyOptions({ ...required, batchSize: 'x' }, COMMAND_LINE)).message).toBe(
      'Expected an integer ≥ 1 for option --batch-size but received "x"',
    );
  });

  it('reports a missing required option and an unknown one', () => {
    expect(errorOf(() => parseClassifyOptions({ images: 'a', model: 'm' }, 'test')).message).toBe(
      'Missing option dictionary (in test): expected a dictionary file path (YAML or JSON)',
    );
    expect(errorOf(() => parseClassifyOptions({ ...required, topk: 2 }, 'test')).message).toBe('Unknown option "topk" (in test)');
  });

  it('can be extended by another schema (the Astro integration) and keeps its messages', () => {
    const extended = classifyOptionsSchema.extend({ title: classifyOptionsSchema.shape.column.default('Report') });
    const parsed = parseWith(extended, required, 'astro.config.mjs');
    expect(parsed.title).toBe('Report');
    expect(parsed.topK).toBe(1);
    expect(errorOf(() => parseWith(extended, { ...required, topK: -2 }, 'astro.config.mjs')).message).toContain('option topK');
  });
});

describe('parseEmbedOptions', () => {
  it('needs no dictionary and refuses classification options', () => {
    const o = parseEmbedOptions({ images: 'i', model: 'm', cache: null }, COMMAND_LINE);
    expect(o).toMatchObject({ images: 'i', model: 'm', batchSize: DEFAULT_BATCH_SIZE, cache: null });
    expect(errorOf(() => parseEmbedOptions({ images: 'i', model: 'm', topK: 2 }, 'test')).message).toBe('Unknown option "topK" (in test)');
  });
});
