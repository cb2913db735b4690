// The build's side of CLIP's tokenizer: reads tokenizer.json, tokenizer_config.json and config.json
// from a model folder. The tokenizer itself (start/end tokens, the cut to the context length,
// SigLIP's padding rules) is core/tokenizer.ts, which the Workbench page runs in the browser on the
// same files, so both tokenize with the same code.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelFamily } from './family.ts';
import { createClipTokenizer as createCoreTokenizer, DEFAULT_CONTEXT_LENGTH, SIGLIP_CONTEXT_LENGTH, tokenizerFileError, type ClipEncoding, type ClipTokenizer } from '../../core/tokenizer.ts';
import type { ModelFamily } from '../../core/types.ts';

export { DEFAULT_CONTEXT_LENGTH, SIGLIP_CONTEXT_LENGTH, type ClipEncoding, type ClipTokenizer };

/** core/tokenizer.ts's createClipTokenizer, naming the files in messages with this platform's paths. */
export function createClipTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown, source: string, family: ModelFamily = 'clip'): ClipTokenizer {
  return createCoreTokenizer(tokenizerJson, tokenizerConfig, source, family, join);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw tokenizerFileError(file, code === 'ENOENT' ? 'does not exist.' : `could not be read (${code ?? (e as Error).message}).`, e);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw tokenizerFileError(file, `is not valid JSON: ${(e as Error).message}`, e);
  }
}

/** Reads tokenizer.json and tokenizer_config.json from a model folder and builds the tokenizer of
 * the folder's family (config.json's model_type). */
export async function readClipTokenizer(modelDir: string): Promise<ClipTokenizer> {
  const [json, config, modelConfig] = await Promise.all([
    readJson(join(modelDir, 'tokenizer.json')),
    readJson(join(modelDir, 'tokenizer_config.json')),
    readJson(join(modelDir, 'config.json')).catch(() => ({})),
  ]);
  return createClipTokenizer(json, config, modelDir, modelFamily(modelConfig, join(modelDir, 'config.json')));
}
