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

  it('names the option, the bad value and the expected form, engine and site options alike', () => {
    expect(messageOf(() => parse({ topK: 0 }))).toBe('Invalid value 0 for option topK (in astro.config.mjs): expected an integer ≥ 1');
    expect(messageOf(() => parse({ scoring: 'best' }))).toBe('Invalid value "best" for option scoring (in astro.config.mjs): expected "seed", "sum", "ensemble" or "sigmoid"');
    expect(messageOf(() => parse({ samplesPerCategory: 0 }))).toBe('Invalid value 0 for option samplesPerCategory (in astro.config.mjs): expected an integer from 1 to 500');
  });

  it('copyOriginals: true publishes copies without metadata; keeping it is an explicit choice', () => {
    expect(parse({ copyOriginals: true }).copyOriginals).toEqual({ keepMetadata: false });
    expect(parse({ copyOriginals: {} }).copyOriginals).toEqual({ keepMetadata: false });
    expect(parse({ copyOriginals: { keepMetadata: true } }).copyOriginals).toEqual({ keepMetadata: true });
    expect(parse({ copyOriginals: false }).copyOriginals).toBe(false);
    expect(messageOf(() => parse({ copyOriginals: { keepExif: true } }))).toBe('Unknown option "copyOriginals.keepExif" (in astro.config.mjs)');
    expect(messageOf(() => parse({ copyOriginals: { keepMetdata: true } }))).toBe('Unknown option "copyOriginals.keepMetdata" (in astro.config.mjs): did you mean "keepMetadata"?');
    for (const bad of ['yes', { keepMetadata: 'yes' }]) {
      expect(messageOf(() => parse({ copyOriginals: bad }))).toBe(
        `Invalid value ${JSON.stringify(bad)} for option copyOriginals (in astro.config.mjs): expected true, false or { keepMetadata: true | false }`,
      );
    }
  });

  it('names nested site options by their path', () => {
    expect(messageOf(() => parse({ validation: { blind: 'yes' } }))).toMatch(/^Invalid value "yes" for option validation\.blind/);
    expect(messageOf(() => parse({ validation: { perCategory: 0 } }))).toBe('Invalid value 0 for option validation.perCategory (in astro.config.mjs): expected an integer from 1 to 10000');
    expect(messageOf(() => parse({ thumbnails: { quality: 101 } }))).toBe('Invalid value 101 for option thumbnails.quality (in astro.config.mjs): expected an integer from 1 to 100');
    expect(messageOf(() => parse({ thumbnails: { list: true } }))).toBe('Invalid value true for option thumbnails.list (in astro.config.mjs): expected an integer from 32 to 1024 or false');
    expect(messageOf(() => parse({ samplesPerCategory: 'ten' }))).toMatch(/^Invalid value "ten" for option samplesPerCategory/);
    expect(messageOf(() => parse({ seed: 1.5 }))).toBe('Invalid value 1.5 for option seed (in astro.config.mjs): expected a non-empty text or an integer');
  });

  it('reports every problem of a bad configuration at once, engine, site and nested options and the environment', () => {
    const config = { batchSize: 0, samplesPerCategory: 0, thumbnails: { quality: 101, size: 3 }, sample: 3, images: 'photos', table: 'posts.csv' };
    let error: ClipscopeError | undefined;
    try {
      parse(config);
    } catch (e) {
      error = e as ClipscopeError;
    }
    expect(error?.message.split('\n')).toEqual([
      '6 problems with the options in astro.config.mjs:',
      '  Options images and table are both given',
      '  Invalid value 0 for option batchSize: expected an integer ≥ 1',
      '  Invalid value 0 for option samplesPerCategory: expected an integer from 1 to 500',
      '  Invalid value 101 for option thumbnails.quality: expected an integer from 1 to 100',
      '  Unknown option "thumbnails.size"',
      '  Unknown option "sample": did you mean "samplesPerCategory"?',
    ]);
    expect(error?.hint).toMatch(/imagesRoot/);
    expect(error?.hint).toMatch(/Known options: sample, list, large, validation, standalone, quality\./);
  });

  it('names the environment variables that contradict each other, beside the other problems', () => {
    const both = messageOf(() => parse({ pageSize: 0 }, { CLIPSCOPE_TABLE: 't.csv', CLIPSCOPE_IMAGES: 'i' }));
    expect(both).toBe(
      '2 problems with the options in astro.config.mjs:\n  Options images and table are both given (in environment variables CLIPSCOPE_TABLE and CLIPSCOPE_IMAGES)\n  Invalid value 0 for option pageSize: expected an integer from 1 to 1000',
    );
  });

  it('refuses unknown options and lists the known ones when nothing is close', () => {
    let error: ClipscopeError | undefined;
    try {
      parse({ colour: 3 });
    } catch (e) {
      error = e as ClipscopeError;
    }
    expect(error?.message).toBe('Unknown option "colour" (in astro.config.mjs)');
    expect(error?.hint).toMatch(/samplesPerCategory/);
    expect(error?.hint).toMatch(/images/);
    expect(messageOf(() => parse({ validation: { percategory: 3 } }))).toBe('Unknown option "validation.percategory" (in astro.config.mjs): did you mean "perCategory"?');
  });

  it('starts the Validate page in shown mode unless validation.blind is set', () => {
    expect(parse({}).validation.blind).toBe(false);
    expect(parse({ validation: { blind: true } }).validation.blind).toBe(true);
  });

  it('takes group colours as CSS hex colours and names the group and value of a bad one', () => {
    expect(parse({}).groupColors).toEqual({});
    expect(parse({ groupColors: { AfD: '#009ee0', SPD: '#E3000F', Grüne: '#1a8', Linke: '#be3075cc' } }).groupColors).toEqual({ AfD: '#009ee0', SPD: '#E3000F', Grüne: '#1a8', Linke: '#be3075cc' });
    expect(messageOf(() => parse({ groupColors: { AfD: 'blue' } }))).toBe('Invalid value "blue" for option groupColors.AfD (in astro.config.mjs): expected a CSS hex colour such as "#009ee0" (#rgb or #rrggbb)');
    for (const bad of ['#12345', '009ee0', '#ggg', 'rgb(0,0,0)', '#009ee0 ']) expect(messageOf(() => parse({ groupColors: { SPD: bad } }))).toMatch(/^Invalid value .* for option groupColors\.SPD /);
    expect(messageOf(() => parse({ groupColors: ['#009ee0'] }))).toMatch(/^Invalid value \["#009ee0"\] for option groupColors .*expected an object of group name → CSS hex colour/);
  });

  it('refuses a non-object', () => {
    expect(messageOf(() => parse('images'))).toBe('Invalid value "images" for the options of clipscope() (in astro.config.mjs): expected an object of options');
  });

  it('passes only the engine options to classify(), which rejects unknown keys', () => {
    const e = engineOptions(parse({ samplesPerCategory: 3, topK: 2 }));
    // Every engine option but the unset optional ones (batchSize: the device's default; a posts table and its columns).
    const unset = ['table', 'imagesRoot', 'groupBy', 'dateColumn', 'batchSize'];
    expect(Object.keys(e).sort()).toEqual(Object.keys(classifyOptionsSchema.shape).filter((k) => !unset.includes(k)).sort());
    expect(() => classifyOptionsSchema.parse(e)).not.toThrow();
    expect(e.topK).toBe(2);
  });
});
