// CLIP's tokenizer, built from a model folder's parsed tokenizer.json + tokenizer_config.json and RUN
// by @huggingface/tokenizers (pure JavaScript, no hand-written BPE). This module adds only what CLIP
// needs on top: the start/end tokens around every phrase and the cut to the model's context length
// (77), with the caller told when a phrase was cut. It reads nothing that only our own generator
// writes, so real downloaded exports (e.g. Xenova/clip-vit-base-patch32) work the same way.
// Browser-safe: the build (engine/model/tokenizer.ts reads the files) and the Workbench page (which
// fetches them) tokenize with this same code.
import { Tokenizer } from '@huggingface/tokenizers';
import { ClipscopeError, show } from './errors.ts';
import type { ModelFamily, TokenizedText } from './types.ts';

export interface ClipTokenizer {
  /** Maximum ids per phrase, start and end tokens included (77 for CLIP, 64 for SigLIP). */
  contextLength: number;
  /** The start token, or null for a family without one (SigLIP). */
  bosId: number | null;
  eosId: number;
  /** Id to pad input_ids with after the end token (CLIP exports use the end token itself). */
  padId: number;
  /** The length every phrase must be padded to (SigLIP: its text tower reads the LAST position, so
   * a phrase padded to another length gets another embedding; OpenCLIP-style tokenizers that pad
   * with a token other than the end token, e.g. MobileCLIP's "!": see createClipTokenizer), or null
   * when padding to the longest phrase of a batch is equivalent (CLIP reads the end-of-text token
   * under causal attention). */
  padTo: number | null;
  /** Pad before the phrase instead of after it (tokenizer_config.json padding_side "left", or
   * tokenizer.json's padding direction "Left"). False for every CLIP and SigLIP release. */
  padLeft: boolean;
  /** Ids with start and end tokens, unpadded, cut to contextLength (the last id stays the end token). */
  encode(text: string): ClipEncoding;
}

/** A phrase as CLIP reads it, and the content tokens a cut to the context length dropped (none when
 * the phrase fits). */
export interface ClipEncoding extends TokenizedText {
  dropped: string[];
}

/** SigLIP's text length (tokenizer_config.json model_max_length of every SigLIP / SigLIP 2 export). */
export const SIGLIP_CONTEXT_LENGTH = 64;

export const DEFAULT_CONTEXT_LENGTH = 77;
/** Upper bound for a believable model_max_length; some configs carry 1e30 meaning "no limit". */
const MAX_CONTEXT_LENGTH = 16_384;
const DEFAULT_BOS = '<|startoftext|>';
const DEFAULT_EOS = '<|endoftext|>';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** tokenizer_config.json writes special tokens either as a string or as an AddedToken object. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

function contextLengthOf(config: JsonObject, fallback = DEFAULT_CONTEXT_LENGTH): number {
  const n = config.model_max_length;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 3 && n <= MAX_CONTEXT_LENGTH) return n;
  return fallback;
}

/** Where padding goes: tokenizer_config.json padding_side, else tokenizer.json padding.direction,
 * else right (SigLIP and SigLIP 2 as released: their text tower reads the last position). */
function paddingSide(tokenizerJson: JsonObject, tokenizerConfig: JsonObject): 'left' | 'right' {
  const side = tokenizerConfig.padding_side;
  if (side === 'left' || side === 'right') return side;
  const padding = tokenizerJson.padding;
  return isObject(padding) && padding.direction === 'Left' ? 'left' : 'right';
}

/** tokenizer.json's truncation length ("truncation": { "max_length": 64 }), or null. */
function truncationLength(tokenizerJson: JsonObject): number | null {
  const truncation = tokenizerJson.truncation;
  const n = isObject(truncation) ? truncation.max_length : undefined;
  return typeof n === 'number' && Number.isInteger(n) && n >= 2 && n <= MAX_CONTEXT_LENGTH ? n : null;
}

/** tokenizer.json's fixed padding length ("padding": { "strategy": { "Fixed": 64 } }), or null. */
function fixedPadding(tokenizerJson: JsonObject): number | null {
  const padding = tokenizerJson.padding;
  const strategy = isObject(padding) ? padding.strategy : undefined;
  const fixed = isObject(strategy) ? strategy.Fixed : undefined;
  return typeof fixed === 'number' && Number.isInteger(fixed) && fixed >= 2 && fixed <= MAX_CONTEXT_LENGTH ? fixed : null;
}

/** A file of a model folder (or of a URL ending in "/"), for messages. */
function fileIn(source: string, file: string): string {
  return source.endsWith('/') ? `${source}${file}` : `${source}/${file}`;
}

/** A tokenizer file that cannot be used: the file, the problem, and how to get a working one. */
export function tokenizerFileError(file: string, problem: string, cause?: unknown): ClipscopeError {
  return new ClipscopeError(
    'model',
    `The CLIP tokenizer file ${file} ${problem}`,
    'Use the tokenizer.json and tokenizer_config.json of a Hugging Face CLIP export, or re-fetch the model (`clipscope model fetch <repo-id>`).',
    { cause },
  );
}

/**
 * Builds a CLIP tokenizer from parsed tokenizer.json and tokenizer_config.json. `source` names the
 * model folder the files came from (used in messages as `<source>/tokenizer.json`; `pathIn` joins
 * the two, e.g. node:path's join on the build's side).
 */
export function createClipTokenizer(
  tokenizerJson: unknown,
  tokenizerConfig: unknown,
  source: string,
  family: ModelFamily = 'clip',
  pathIn: (source: string, file: string) => string = fileIn,
): ClipTokenizer {
  const jsonFile = pathIn(source, 'tokenizer.json');
  const configFile = pathIn(source, 'tokenizer_config.json');
  if (!isObject(tokenizerJson)) throw tokenizerFileError(jsonFile, `is missing or not a JSON object (received ${show(typeof tokenizerJson)}).`);
  if (!isObject(tokenizerConfig)) throw tokenizerFileError(configFile, `is missing or not a JSON object (received ${show(typeof tokenizerConfig)}).`);
  if (!isObject(tokenizerJson.model)) throw tokenizerFileError(jsonFile, 'has no "model" section: it is not a Hugging Face tokenizers file.');

  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  } catch (e) {
    throw tokenizerFileError(jsonFile, `could not be read by @huggingface/tokenizers: ${(e as Error).message}`, e);
  }

  const idOf = (key: 'bos_token' | 'eos_token' | 'pad_token', fallback: string): number | undefined => {
    const content = tokenContent(tokenizerConfig[key]) ?? fallback;
    return tokenizer.token_to_id(content);
  };
  if (family === 'siglip') return siglipTokenizer(tokenizer, tokenizerJson, tokenizerConfig, jsonFile, configFile);
  const bosId = idOf('bos_token', DEFAULT_BOS);
  const eosId = idOf('eos_token', DEFAULT_EOS);
  if (bosId === undefined || eosId === undefined) {
    throw tokenizerFileError(jsonFile, `has no id for the start or end token (bos_token/eos_token of ${configFile}, default ${DEFAULT_BOS} and ${DEFAULT_EOS}).`);
  }
  const padId = idOf('pad_token', DEFAULT_EOS) ?? eosId;
  const contextLength = contextLengthOf(tokenizerConfig);
  // A pad token other than the end token is OpenCLIP's convention (it pads every phrase with id 0,
  // "!" in CLIP's vocabulary, to the full context; the Xenova/mobileclip_* exports say pad_token
  // "!"). Those text towers were trained on exactly that input, and MobileCLIP-S0's attends to the
  // padding (no causal mask): pad to the full context, as the original does. For a causal tower
  // (OpenAI CLIP) the result is the same either way.
  const padTo = padId !== eosId ? contextLength : null;
  const bosToken = tokenizer.id_to_token(bosId) ?? DEFAULT_BOS;
  const eosToken = tokenizer.id_to_token(eosId) ?? DEFAULT_EOS;

  return {
    contextLength,
    bosId,
    eosId,
    padId,
    padTo,
    padLeft: false,
    encode(text: string): ClipEncoding {
      // Content tokens only: the start and end tokens are added here rather than by the file's
      // post-processor, because older CLIP exports have a post-processor that adds none.
      const { ids: contentIds, tokens: contentTokens } = tokenizer.encode(text, { add_special_tokens: false });
      const tokenCount = contentIds.length + 2;
      const room = contextLength - 2;
      const truncated = contentIds.length > room;
      const keep = truncated ? room : contentIds.length;
      return {
        text,
        ids: [bosId, ...contentIds.slice(0, keep), eosId],
        tokens: [bosToken, ...contentTokens.slice(0, keep), eosToken],
        tokenCount,
        truncated,
        dropped: contentTokens.slice(keep),
      };
    },
  };
}

/**
 * SigLIP and SigLIP 2 (SentencePiece or Gemma vocabularies): no start token; the end token
 * (tokenizer_config.json eos_token: "</s>" for SigLIP, "<eos>" for SigLIP 2) closes every phrase, as
 * transformers' SiglipTokenizer / the tokenizer.json post-processor add it; a longer phrase is cut
 * to keep it last; every phrase is padded with pad_token to exactly model_max_length (64), as
 * SigLIP was trained (`padding="max_length"`).
 */
function siglipTokenizer(tokenizer: Tokenizer, tokenizerJson: JsonObject, tokenizerConfig: JsonObject, jsonFile: string, configFile: string): ClipTokenizer {
  const idOf = (key: 'eos_token' | 'pad_token' | 'unk_token', fallback: string): number | undefined =>
    tokenizer.token_to_id(tokenContent(tokenizerConfig[key]) ?? fallback);
  const eosId = idOf('eos_token', '</s>');
  if (eosId === undefined) throw tokenizerFileError(jsonFile, `has no id for the end token (eos_token of ${configFile}, default </s>).`);
  const padId = idOf('pad_token', '</s>') ?? eosId;
  const contextLength = fixedPadding(tokenizerJson) ?? truncationLength(tokenizerJson) ?? contextLengthOf(tokenizerConfig, SIGLIP_CONTEXT_LENGTH);
  const eosToken = tokenizer.id_to_token(eosId) ?? '</s>';
  return {
    contextLength,
    bosId: null,
    eosId,
    padId,
    padTo: contextLength,
    padLeft: paddingSide(tokenizerJson, tokenizerConfig) === 'left',
    encode(text: string): ClipEncoding {
      const { ids: contentIds, tokens: contentTokens } = tokenizer.encode(text, { add_special_tokens: false });
      const room = contextLength - 1;
      const truncated = contentIds.length > room;
      const keep = truncated ? room : contentIds.length;
      return {
        text,
        ids: [...contentIds.slice(0, keep), eosId],
        tokens: [...contentTokens.slice(0, keep), eosToken],
        tokenCount: contentIds.length + 1,
        truncated,
        dropped: contentTokens.slice(keep),
      };
    },
  };
}
