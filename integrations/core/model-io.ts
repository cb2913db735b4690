// What the towers of each model family take and give, in one place for the build's engine
// (engine/model/load.ts, onnxruntime-node) and the Workbench page's text tower in the browser
// (src/scripts/workbench/text-tower.ts, onnxruntime-web): the output names to read, and the
// text tower's input_ids / attention_mask laid out from tokenized phrases. Browser-safe.
import type { ModelFamily } from './types.ts';

/** The towers' output names per family, in order of preference (the first a graph has is read).
 * SigLIP's tower exports give pooler_output; exports of the whole model as a tower give
 * image_embeds / text_embeds (the same vectors, normalised). */
export const FAMILY_IO: Readonly<Record<ModelFamily, { image: readonly string[]; text: readonly string[] }>> = Object.freeze({
  clip: { image: ['image_embeds'], text: ['text_embeds'] },
  siglip: { image: ['pooler_output', 'image_embeds'], text: ['pooler_output', 'text_embeds'] },
});

/** How a tokenizer pads (core/tokenizer.ts's ClipTokenizer has these). */
export interface TextPadding {
  padId: number;
  /** The length every phrase is padded to, or null: the longest phrase of the batch. */
  padTo: number | null;
  padLeft: boolean;
}

export interface TextInputs {
  /** [batch, length] row after row. */
  ids: number[];
  /** 1 for the phrase's tokens, 0 for padding, laid out like ids. */
  mask: number[];
  dims: [number, number];
}

/**
 * The text tower's inputs for a batch of tokenized phrases (ids with start and end tokens, already
 * cut to the context length). CLIP: padded to the longest phrase (or to the length the graph
 * fixes, `fixedLength`) with the pad id — the embedding is read at the end-of-text token under
 * causal attention, so what follows it changes nothing. SigLIP: always to the tokenizer's length
 * (64), as its tower reads the last position; before the phrase where the tokenizer pads left.
 * A phrase longer than that length gives `tooLong` (both lengths) instead of inputs.
 */
export function textInputs(padding: TextPadding, batch: readonly { ids: readonly number[] }[], fixedLength: number | null = null): TextInputs | { tooLong: { length: number; longest: number } } {
  const longest = Math.max(...batch.map((t) => t.ids.length));
  const length = padding.padTo ?? fixedLength ?? longest;
  if (longest > length) return { tooLong: { length, longest } };
  const ids: number[] = [];
  const mask: number[] = [];
  for (const t of batch) {
    const lead = padding.padLeft ? length - t.ids.length : 0; // padding before the phrase
    for (let i = 0; i < length; i++) {
      const at = i - lead;
      const real = at >= 0 && at < t.ids.length;
      ids.push(real ? t.ids[at] : padding.padId);
      mask.push(real ? 1 : 0);
    }
  }
  return { ids, mask, dims: [batch.length, length] };
}
