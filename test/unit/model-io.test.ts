// core/model-io.ts: the text tower's inputs as the build's engine and the browser's text tower both
// lay them out (worked examples: CLIP padded to the longest phrase, SigLIP to its fixed length on
// either side, a graph's fixed length, a phrase too long for it).
import { describe, expect, it } from 'vitest';
import { FAMILY_IO, textInputs } from '../../integrations/core/model-io.ts';
import { FAMILY_IO as ENGINE_FAMILY_IO } from '../../integrations/engine/model/family.ts';

const clip = { padId: 9, padTo: null, padLeft: false };

describe('textInputs', () => {
  it('pads CLIP phrases to the longest of the batch with the pad id, mask 0 there', () => {
    expect(textInputs(clip, [{ ids: [1, 5, 2] }, { ids: [1, 2] }])).toEqual({
      ids: [1, 5, 2, 1, 2, 9],
      mask: [1, 1, 1, 1, 1, 0],
      dims: [2, 3],
    });
  });

  it("pads to the length the graph fixes when the tokenizer has none", () => {
    expect(textInputs(clip, [{ ids: [1, 2] }], 4)).toEqual({ ids: [1, 2, 9, 9], mask: [1, 1, 0, 0], dims: [1, 4] });
  });

  it("pads SigLIP phrases to the tokenizer's length, after or before the phrase", () => {
    expect(textInputs({ padId: 0, padTo: 4, padLeft: false }, [{ ids: [7, 1] }], 10)).toEqual({ ids: [7, 1, 0, 0], mask: [1, 1, 0, 0], dims: [1, 4] });
    expect(textInputs({ padId: 0, padTo: 4, padLeft: true }, [{ ids: [7, 1] }])).toEqual({ ids: [0, 0, 7, 1], mask: [0, 0, 1, 1], dims: [1, 4] });
  });

  it('refuses a phrase longer than the length it must fit', () => {
    expect(textInputs({ padId: 0, padTo: 2, padLeft: false }, [{ ids: [7, 8, 1] }])).toEqual({ tooLong: { length: 2, longest: 3 } });
    expect(textInputs(clip, [{ ids: [1, 5, 2] }], 2)).toEqual({ tooLong: { length: 2, longest: 3 } });
  });

  it('the engine reads the same output names as the browser', () => {
    expect(ENGINE_FAMILY_IO).toBe(FAMILY_IO);
    expect(FAMILY_IO.clip.text).toEqual(['text_embeds']);
  });
});
