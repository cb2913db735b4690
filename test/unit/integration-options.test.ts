import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { engineOptions, parseClipscopeOptions } from '../../integrations/clipscope/options.ts';
import { classifyOptionsSchema } from '../../integrations/engine/options.ts';
import { ClipscopeError } from '../../integrations/engine/errors.ts';

const root = join('/', 'project');
const parse = (input: unknown, env: NodeJS.ProcessEnv = {}) => parseClipscopeOptions(input, { root, env });
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ClipscopeError);
    return (error as ClipscopeError).message;
  }
  throw new Error('expected a ClipscopeError');
};

describe('parseClipscopeOptions', () => {
  it('defaults to the demo, paths resolved against the project root', () => {
    const o = parse({});
    expect(o.images).toBe(join(root, 'content/images'));
    expect(o.dictionary).toBe(join(root, 'content/dictionary.yaml'));
    expect(o.model).toBe(join(root, 'models/demo-colors'));
    expect(o.validation.dir).toBe(join(root, 'content/validation'));
    expect(o).toMatchObject({ samplesPerCategory: 12, seed: 'clipscope', pageSize: 60, copyOriginals: false, scoring: 'seed', topK: 1 });
    expect(o.thumbnails).toEqual({ sample: 360, list: 128, large: 1024, validation: 768, standalone: 200, quality: 75 });
    expect(o.validation).toMatchObject({ perCategory: 20, seed: 'clipscope' });
    expect(o.standaloneSamples).toBe(12);
  });

  it('lets CLIPSCOPE_* environment variables override the paths of the config', () => {
    const o = parse({ images: 'config/images' }, { CLIPSCOPE_IMAGES: '/data/posts', CLIPSCOPE_DICTIONARY: 'dict.json', CLIPSCOPE_MODEL: '' });
    expect(o.images).toBe(join('/', 'data', 'posts'));
    expect(o.dictionary).toBe(join(root, 'dict.json'));
    expect(o.model).toBe(join(root, 'models/demo-colors'));
    expect(o.fromEnv).toEqual({ images: 'CLIPSCOPE_IMAGES', dictionary: 'CLIPSCOPE_DICTIONARY' });
  });

  it('names the option and the bad value (engine options use the engine wording)', () => {
    expect(messageOf(() => parse({ topK: 0 }))).toBe('Expected an integer ≥ 1 for option topK (in astro.config.mjs) but received 0');
    expect(messageOf(() => parse({ scoring: 'best' }))).toMatch(/"seed", "sum" or "ensemble" for option scoring .* received "best"/);
  });

  it('copyOriginals: true publishes copies without metadata; keeping it is an explicit choice', () => {
    expect(parse({ copyOriginals: true }).copyOriginals).toEqual({ keepMetadata: false });
    expect(parse({ copyOriginals: {} }).copyOriginals).toEqual({ keepMetadata: false });
    expect(parse({ copyOriginals: { keepMetadata: true } }).copyOriginals).toEqual({ keepMetadata: true });
    expect(parse({ copyOriginals: false }).copyOriginals).toBe(false);
    expect(messageOf(() => parse({ copyOriginals: { keepExif: true } }))).toBe('Unknown option "copyOriginals.keepExif" in option copyOriginals (in astro.config.mjs)');
    for (const bad of ['yes', { keepMetadata: 'yes' }]) {
      expect(messageOf(() => parse({ copyOriginals: bad }))).toBe(
        `Invalid value ${JSON.stringify(bad)} for option copyOriginals (in astro.config.mjs): expected true, false or { keepMetadata: true | false }`,
      );
    }
  });

  it('names nested site options by their path', () => {
    expect(messageOf(() => parse({ validation: { perCategory: 0 } }))).toMatch(/^Invalid value 0 for option validation\.perCategory \(in astro\.config\.mjs\)/);
    expect(messageOf(() => parse({ thumbnails: { quality: 101 } }))).toMatch(/^Invalid value 101 for option thumbnails\.quality/);
    expect(messageOf(() => parse({ samplesPerCategory: 'ten' }))).toMatch(/^Invalid value "ten" for option samplesPerCategory/);
    expect(messageOf(() => parse({ seed: 1.5 }))).toMatch(/^Invalid value 1\.5 for option seed/);
  });

  it('refuses unknown options and lists the known ones', () => {
    let error: ClipscopeError | undefined;
    try {
      parse({ sample: 3 });
    } catch (e) {
      error = e as ClipscopeError;
    }
    expect(error?.message).toBe('Unknown option "sample" (in astro.config.mjs)');
    expect(error?.hint).toMatch(/samplesPerCategory/);
    expect(error?.hint).toMatch(/images/);
    expect(messageOf(() => parse({ validation: { percategory: 3 } }))).toBe('Unknown option "validation.percategory" in option validation (in astro.config.mjs)');
  });

  it('refuses a non-object', () => {
    expect(messageOf(() => parse('images'))).toBe('Expected an object of options for clipscope() (in astro.config.mjs) but received "images"');
  });

  it('passes only the engine options to classify(), which rejects unknown keys', () => {
    const e = engineOptions(parse({ samplesPerCategory: 3, topK: 2 }));
    // Every engine option but the unset optional ones (a posts table and its columns).
    const unset = ['table', 'imagesRoot', 'groupBy', 'dateColumn'];
    expect(Object.keys(e).sort()).toEqual(Object.keys(classifyOptionsSchema.shape).filter((k) => !unset.includes(k)).sort());
    expect(() => classifyOptionsSchema.parse(e)).not.toThrow();
    expect(e.topK).toBe(2);
  });
});
