// The CLI's one plain-text table printer (cli/shared.ts textTable), as `clipscope diff` and
// `clipscope cache stats` print with it: columns padded to their widest cell counted in code points
// (a name with an emoji stays aligned), numbers right-aligned, no trailing spaces.
import { describe, expect, it } from 'vitest';
import { formatStats } from '../../integrations/cli/cache.ts';
import { textTable } from '../../integrations/cli/shared.ts';

describe('textTable', () => {
  it('pads columns to the widest cell, right-aligns the columns asked for, drops trailing spaces', () => {
    expect(textTable([['name', 'n', 'note'], ['a', '10', ''], ['longer', '2', 'x']], new Set([1]))).toBe(
      ['  name     n  note', '  a       10', '  longer   2  x', ''].join('\n'),
    );
    expect(textTable([['a', 'b']], new Set(), '')).toBe('a  b\n');
  });

  it('counts code points, so a name outside the Basic Multilingual Plane stays aligned', () => {
    const lines = textTable([['model', 'images'], ['clip🎉', '1'], ['x', '22']], new Set([1])).split('\n');
    expect(lines.slice(0, 3).map((l) => [...l].length)).toEqual([15, 15, 15]);
  });
});

describe('cache stats table', () => {
  it('lines up the model rows under the header, whatever the characters of a model name', () => {
    const model = { modelKey: 'k'.repeat(64), checksum: null, dim: 512, images: 1234, texts: 5, lastUsed: '2026-01-02T03:04:05.000Z' };
    const text = formatStats('/c/embeddings.sqlite', {
      location: '/c/embeddings.sqlite',
      bytes: 2048,
      images: 1234,
      texts: 5,
      fileHashes: 0,
      models: [{ ...model, name: 'clip🎉' }, { ...model, name: 'siglip-base', images: 7 }],
    });
    expect(text.split('\n').slice(2)).toEqual([
      '  model        key           dim  images  texts  last used',
      '  clip🎉        kkkkkkkkkkkk  512   1,234      5  2026-01-02 03:04',
      '  siglip-base  kkkkkkkkkkkk  512       7      5  2026-01-02 03:04',
      '',
    ]);
  });
});
