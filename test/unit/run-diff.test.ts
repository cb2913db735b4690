import { describe, expect, it } from 'vitest';
import { diffCsv, diffRuns, parseResultsForDiff } from '../../integrations/engine/run-diff.ts';
import type { DiffImage, DiffSide } from '../../integrations/engine/run-diff.ts';
import { isClipscopeError } from '../../integrations/engine/errors.ts';

const sha = (c: string) => c.repeat(64);
const img = (path: string, s: string, category: string, probability = 50): DiffImage => ({ path, sha256: sha(s), category, probability });
const side = (images: DiffImage[], categories = ['A', 'B']): DiffSide => ({ categories, images });

describe('diffRuns', () => {
  const cases: { name: string; before: DiffSide; after: DiffSide; changed: [string, string, string][]; unchanged: number; onlyOld: string[]; onlyNew: string[] }[] = [
    { name: 'identical runs', before: side([img('x.png', 'a', 'A'), img('y.png', 'b', 'B')]), after: side([img('y.png', 'b', 'B', 70), img('x.png', 'a', 'A')]), changed: [], unchanged: 2, onlyOld: [], onlyNew: [] },
    {
      name: 'one image changes category (its probability alone moving is no change)',
      before: side([img('x.png', 'a', 'A', 60), img('y.png', 'b', 'B', 60)]),
      after: side([img('x.png', 'a', 'B', 55), img('y.png', 'b', 'B', 99)]),
      changed: [['x.png', 'A', 'B']],
      unchanged: 1,
      onlyOld: [],
      onlyNew: [],
    },
    {
      name: 'same bytes renamed: one gone, one new',
      before: side([img('old-name.png', 'a', 'A')]),
      after: side([img('new-name.png', 'a', 'B')]),
      changed: [],
      unchanged: 0,
      onlyOld: ['old-name.png'],
      onlyNew: ['new-name.png'],
    },
    {
      name: 'new bytes under the same name: one gone, one new',
      before: side([img('x.png', 'a', 'A')]),
      after: side([img('x.png', 'c', 'B')]),
      changed: [],
      unchanged: 0,
      onlyOld: ['x.png'],
      onlyNew: ['x.png'],
    },
    {
      name: 'the same bytes under two names are two images; sorted by path',
      before: side([img('z.png', 'a', 'A'), img('b/x.png', 'a', 'A'), img('a.png', 'c', 'Uncertain')]),
      after: side([img('z.png', 'a', 'B'), img('b/x.png', 'a', 'B'), img('a.png', 'c', 'A')]),
      changed: [
        ['a.png', 'Uncertain', 'A'],
        ['b/x.png', 'A', 'B'],
        ['z.png', 'A', 'B'],
      ],
      unchanged: 0,
      onlyOld: [],
      onlyNew: [],
    },
  ];
  it.each(cases)('$name', ({ before, after, changed, unchanged, onlyOld, onlyNew }) => {
    const diff = diffRuns(before, after);
    expect(diff.changed.map((c) => [c.path, c.oldCategory, c.newCategory])).toEqual(changed);
    expect(diff.unchanged).toBe(unchanged);
    expect(diff.onlyOld.map((i) => i.path)).toEqual(onlyOld);
    expect(diff.onlyNew.map((i) => i.path)).toEqual(onlyNew);
  });

  it('keeps both probabilities of a changed image', () => {
    const diff = diffRuns(side([img('x.png', 'a', 'A', 61.25)]), side([img('x.png', 'a', 'B', 40.5)]));
    expect(diff.changed).toEqual([{ path: 'x.png', sha256: sha('a'), oldCategory: 'A', newCategory: 'B', oldProbability: 61.25, newProbability: 40.5 }]);
  });

  it('counts category sizes over every image: new dictionary order, then old categories, then others by name', () => {
    const before = side([img('1', 'a', 'Old'), img('2', 'b', 'B'), img('3', 'c', 'Uncertain'), img('4', 'd', 'B')], ['Old', 'B']);
    const after = side([img('1', 'a', 'A'), img('2', 'b', 'B'), img('3', 'c', 'B'), img('5', 'e', 'Uncertain')], ['B', 'A']);
    expect(diffRuns(before, after).categories).toEqual([
      { category: 'B', before: 2, after: 2 },
      { category: 'A', before: 0, after: 1 },
      { category: 'Old', before: 1, after: 0 },
      { category: 'Uncertain', before: 1, after: 1 },
    ]);
  });
});

describe('diffCsv', () => {
  it('writes the changed images, probabilities rounded like results.csv, formulas escaped', () => {
    const diff = diffRuns(side([img('=cmd.png', 'a', 'A', 12.3456)]), side([img('=cmd.png', 'a', 'B', 99.996)]));
    expect(diffCsv(diff)).toBe(`Image,sha256,Old Classification,New Classification,Old Probability,New Probability\n'=cmd.png,${sha('a')},A,B,12.35,100\n`);
  });
});

describe('parseResultsForDiff refuses what is not a clipscope results file', () => {
  const good = {
    schema: 'clipscope.results/v1',
    run: { startedAt: '2026-01-01T00:00:00.000Z', model: { name: 'demo-colors', checksum: 'c'.repeat(64) }, dictionary: { hash: 'd'.repeat(64) } },
    dictionary: { categories: [{ name: 'A' }] },
    images: [{ path: 'x.png', sha256: sha('a'), category: 'A', probability: 50 }],
  };
  it('reads a good one', () => {
    const r = parseResultsForDiff(JSON.stringify(good), 'dir/old.json');
    expect(r).toMatchObject({ file: 'old.json', startedAt: good.run.startedAt, dictionaryHash: 'd'.repeat(64), model: 'demo-colors', categories: ['A'] });
    expect(r.images).toEqual(good.images);
  });
  it.each([
    ['not JSON', 'Image,Classification\n', /old\.json is not a clipscope results file: it is not JSON/],
    ['a list', '[]', /old\.json is not a clipscope results file: it has no "schema" field, expected "clipscope\.results\/v1"/],
    ['another schema', JSON.stringify({ ...good, schema: 'clipscope.diff/v1' }), /its "schema" is "clipscope\.diff\/v1"/],
    ['a bad sha256', JSON.stringify({ ...good, images: [{ ...good.images[0], sha256: 'xyz' }] }), /old\.json is not a usable clipscope results file: images\[0\]\.sha256: a sha256/],
    ['no images', JSON.stringify({ ...good, images: undefined }), /old\.json is not a usable clipscope results file: images: /],
  ])('%s', (_name, text, message) => {
    let error: unknown;
    try {
      parseResultsForDiff(text, 'old.json');
    } catch (e) {
      error = e;
    }
    expect(isClipscopeError(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});
