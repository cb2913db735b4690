// The sentence that tells a reader what the percentages on an image card are: the seed's phrase
// probability and a category-level second choice must not be presented as one scale.
import { describe, expect, it } from 'vitest';
import { probabilityNote } from '../../integrations/clipscope/report/report.ts';

const dictionary = { source: 'd.yaml', hash: 'h', categories: 5, phrases: 14 };

describe('probabilityNote', () => {
  it('seed scoring at top-k 1: a phrase probability, and a second choice that is a whole category', () => {
    const note = probabilityNote({ scoring: 'seed', topK: 1, dictionary });
    expect(note).toContain("winning phrase's share among all 14 phrases");
    expect(note).toContain('next most probable category, with all its phrases together');
  });

  it('seed scoring at top-k 2 or more: both are phrases (the second may share the category)', () => {
    const note = probabilityNote({ scoring: 'seed', topK: 3, dictionary });
    expect(note).toContain('phrase probabilities');
    expect(note).toContain('next most probable phrase');
    expect(note).not.toContain('category, with all its phrases');
  });

  it.each([
    ['sum', 'each category with all its phrases together'],
    ['ensemble', 'one averaged phrase embedding per category'],
  ] as const)('%s scoring: both are category probabilities', (scoring, how) => {
    const note = probabilityNote({ scoring, topK: 1, dictionary });
    expect(note).toContain(`category probabilities (${how})`);
    expect(note).toContain('next most probable category');
  });
});
