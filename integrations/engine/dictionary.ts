// Dictionary files: read a category → phrases file (YAML or JSON) and hash it. Parsing and
// validation, with every message (file, line, column, category, phrase), are core/dictionary.ts —
// the one browser-safe parser the build and the report's pages share; this module adds what needs
// Node: reading the file (size-capped) and sha256 (node:crypto).

import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { canonicalDictionary, parseDictionaryText } from '../core/dictionary.ts';
import { sha256Hex } from './hash.ts';
import type { DictionaryFormat } from '../core/dictionary.ts';
import { ClipscopeError } from './errors.ts';
import type { Dictionary, DictionaryCategory } from '../core/types.ts';

export { flattenPhrases } from '../core/dictionary.ts';
export type { DictionaryFormat, FlatPhrase } from '../core/dictionary.ts';

/** Dictionaries are small text files; anything larger is a mistake (or hostile). */
const MAX_BYTES = 5 * 1024 * 1024;

/** Read and validate a dictionary file; the format comes from the extension (.json, else YAML). */
export async function loadDictionary(file: string): Promise<Dictionary> {
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ClipscopeError('dictionary', `Dictionary file not found: ${file}`, 'Check the path given to --dictionary.');
    if (code === 'EISDIR') throw new ClipscopeError('dictionary', `The dictionary ${file} is a folder, not a file.`, 'Give --dictionary a .yaml or .json file.');
    throw new ClipscopeError('dictionary', `Cannot read the dictionary ${file} (${code ?? String(error)}).`, 'Check that the file exists and you may read it.', {
      cause: error,
    });
  }
  if (buffer.length > MAX_BYTES) {
    throw new ClipscopeError('dictionary', `The dictionary ${file} is ${buffer.length} bytes; at most ${MAX_BYTES} are accepted.`, 'A dictionary lists categories and phrases; check that this is the right file.');
  }
  return parseDictionary(buffer.toString('utf8'), file, formatOf(file));
}

/** The format a file name implies: .json → JSON, anything else → YAML (which also reads JSON). */
export function formatOf(file: string): DictionaryFormat {
  return extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
}

/**
 * Parse and validate dictionary text. `source` is the file path (used in messages; the result keeps
 * only its base name). Throws a ClipscopeError of kind "dictionary" listing every problem found.
 */
export function parseDictionary(text: string, source: string, format: DictionaryFormat = formatOf(source)): Dictionary {
  const categories = parseDictionaryText(text, source, format, sha256Hex);
  return { source: basename(source), hash: dictionaryHash(categories), categories };
}

/** sha256 of the canonical JSON `[{"name":…,"phrases":[…]},…]`: order-sensitive, ignores slugs and
 * token counts, so it changes exactly when what CLIP is asked changes. */
export function dictionaryHash(categories: readonly Pick<DictionaryCategory, 'name' | 'phrases'>[]): string {
  return sha256Hex(canonicalDictionary(categories));
}
