// The sentence that tells a reader what the percentages on an image card are: every percentage called
// a probability is a category's; the seed's phrase share appears only labelled as such.
import { describe, expect, it } from 'vitest';
import { probabilityNote } from '../../integrations/clipscope/report/report.ts';

const dictionary = { source: 'd.yaml', hash: 'h', categories: 5, phrases: 14 };

describe('probabilityNote', () => {
  it.each([1, 3])('seed scoring (top-k %i): category probabilities, the phrase share labelled, the 2nd a category', (topK) => {
    const note = probabilityNote({ scoring: 'seed', topK, dictionary });
    expect(note).toContain("Percentages are category probabilities: the share of the softmax over all 14 phrases that falls on the category's phrases together");
    expect(note).toContain('“phrase share” is that phrase');
    expect(note).toContain('“2nd” is the most probable other category');
    expect(note).not.toContain('phrase probabilities');
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
