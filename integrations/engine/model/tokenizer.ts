// CLIP's tokenizer, read from a model folder's tokenizer.json + tokenizer_config.json and RUN by
// @huggingface/tokenizers (no hand-written BPE). This module adds only what CLIP needs on top:
// the start/end tokens around every phrase and the cut to the model's context length (77), with the
// caller told when a phrase was cut. It reads nothing that only our own generator writes, so real
// downloaded exports (e.g. Xenova/clip-vit-base-patch32) work the same way.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ClipscopeError, show } from '../errors.ts';
import type { TokenizedText } from '../../core/types.ts';

export interface ClipTokenizer {
  /** Maximum ids per phrase, start and end tokens included (77 for CLIP). */
  contextLength: number;
  bosId: number;
  eosId: number;
  /** Id to pad input_ids with after the end token (CLIP exports use the end token itself). */
  padId: number;
  /** Ids with start and end tokens, unpadded, cut to contextLength (the last id stays the end token). */
  encode(text: string): ClipEncoding;
}

/** A phrase as CLIP reads it, and the content tokens a cut to the context length dropped (none when
 * the phrase fits). */
export interface ClipEncoding extends TokenizedText {
  dropped: string[];
}

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

function contextLengthOf(config: JsonObject): number {
  const n = config.model_max_length;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 3 && n <= MAX_CONTEXT_LENGTH) return n;
  return DEFAULT_CONTEXT_LENGTH;
}

function badFile(file: string, problem: string, cause?: unknown): ClipscopeError {
  return new ClipscopeError(
    'model',
    `The CLIP tokenizer file ${file} ${problem}`,
    'Use the tokenizer.json and tokenizer_config.json of a Hugging Face CLIP export, or re-fetch the model (`clipscope model fetch <repo-id>`).',
    { cause },
  );
}

/**
 * Builds a CLIP tokenizer from parsed tokenizer.json and tokenizer_config.json. `source` names the
 * model folder the files came from (used in messages as `<source>/tokenizer.json`).
 */
export function createClipTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown, source: string): ClipTokenizer {
  const jsonFile = join(source, 'tokenizer.json');
  const configFile = join(source, 'tokenizer_config.json');
  if (!isObject(tokenizerJson)) throw badFile(jsonFile, `is missing or not a JSON object (received ${show(typeof tokenizerJson)}).`);
  if (!isObject(tokenizerConfig)) throw badFile(configFile, `is missing or not a JSON object (received ${show(typeof tokenizerConfig)}).`);
  if (!isObject(tokenizerJson.model)) throw badFile(jsonFile, 'has no "model" section: it is not a Hugging Face tokenizers file.');

  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  } catch (e) {
    throw badFile(jsonFile, `could not be read by @huggingface/tokenizers: ${(e as Error).message}`, e);
  }

  const idOf = (key: 'bos_token' | 'eos_token' | 'pad_token', fallback: string): number | undefined => {
    const content = tokenContent(tokenizerConfig[key]) ?? fallback;
    return tokenizer.token_to_id(content);
  };
  const bosId = idOf('bos_token', DEFAULT_BOS);
  const eosId = idOf('eos_token', DEFAULT_EOS);
  if (bosId === undefined || eosId === undefined) {
    throw badFile(jsonFile, `has no id for the start or end token (bos_token/eos_token of ${configFile}, default ${DEFAULT_BOS} and ${DEFAULT_EOS}).`);
  }
  const padId = idOf('pad_token', DEFAULT_EOS) ?? eosId;
  const contextLength = contextLengthOf(tokenizerConfig);
  const bosToken = tokenizer.id_to_token(bosId) ?? DEFAULT_BOS;
  const eosToken = tokenizer.id_to_token(eosId) ?? DEFAULT_EOS;

  return {
    contextLength,
    bosId,
    eosId,
    padId,
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

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw badFile(file, code === 'ENOENT' ? 'does not exist.' : `could not be read (${code ?? (e as Error).message}).`, e);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badFile(file, `is not valid JSON: ${(e as Error).message}`, e);
  }
}

/** Reads tokenizer.json and tokenizer_config.json from a model folder and builds the tokenizer. */
export async function readClipTokenizer(modelDir: string): Promise<ClipTokenizer> {
  const [json, config] = await Promise.all([
    readJson(join(modelDir, 'tokenizer.json')),
    readJson(join(modelDir, 'tokenizer_config.json')),
  ]);
  return createClipTokenizer(json, config, modelDir);
}
