// `clipscope tokenize`: how CLIP reads phrases — given on the command line, or every phrase of a
// dictionary at once (--dictionary). A readable table by default: each phrase's token count, its
// tokens, and what the cut to the model's context length (77) drops; with --json the ids, tokens,
// count and cut as JSON. Reads only the tokenizer files of the model folder.
import type { Command } from 'commander';
import { ClipscopeError } from '../engine/errors.ts';
import { loadDictionary } from '../engine/dictionary.ts';
import { checkModelFolder } from '../engine/model/load.ts';
import { readClipTokenizer, type ClipEncoding } from '../engine/model/tokenizer.ts';

interface TokenizeFlags {
  model: string;
  dictionary?: string;
  json?: boolean;
}

/** One phrase to tokenize; `category` when it comes from a dictionary. */
interface Phrase {
  text: string;
  category?: string;
}

export function register(program: Command): void {
  program
    .command('tokenize')
    .description('Show how the model reads phrases: token count, tokens, and what the cut to its context length (77 tokens) drops.')
    .usage('--model <dir> (<phrase...> | --dictionary <file>) [options]')
    .option('--model <dir>', 'model folder (its tokenizer.json and tokenizer_config.json) (required)')
    .option('--dictionary <file>', 'check every phrase of this dictionary (YAML or JSON) at once')
    .option('--json', 'print JSON [{ text, ids, tokens, tokenCount, truncated }] (with --dictionary also category) instead of the table')
    .argument('[phrase...]', 'phrases to tokenize')
    .addHelpText(
      'after',
      `
Examples:
  $ clipscope tokenize --model models/clip-vit-base-patch32 "A photo of a cat."
  $ clipscope tokenize --model models/clip-vit-base-patch32 --dictionary content/political-dictionary.yaml
  $ clipscope tokenize --model models/clip-vit-base-patch32 --json "A photo of a cat." "A rally."`,
    )
    .action(async (texts: string[], flags: TokenizeFlags) => {
      if (!flags.model) throw new ClipscopeError('options', 'Missing --model: expected a model folder path', 'For example: clipscope tokenize --model models/clip-vit-base-patch32 "A photo of a cat."');
      if (texts.length === 0 && !flags.dictionary) {
        throw new ClipscopeError('options', 'Nothing to tokenize: give phrases, or --dictionary with a dictionary file', 'For example: clipscope tokenize --model models/clip-vit-base-patch32 "A photo of a cat."');
      }
      const phrases: Phrase[] = texts.map((text) => ({ text }));
      // The dictionary first: its own problems are all reported at once, before the model is read.
      if (flags.dictionary) {
        const dictionary = await loadDictionary(flags.dictionary);
        for (const category of dictionary.categories) for (const p of category.phrases) phrases.push({ text: p.text, category: category.name });
      }
      await checkModelFolder(flags.model, ['tokenizer.json', 'tokenizer_config.json']);
      const tokenizer = await readClipTokenizer(flags.model);
      const encoded = phrases.map((p) => ({ ...p, encoding: tokenizer.encode(p.text) }));
      if (flags.json) {
        const out = encoded.map(({ category, encoding: t }) => ({
          ...(category === undefined ? {} : { category }),
          text: t.text,
          ids: t.ids,
          tokens: t.tokens,
          tokenCount: t.tokenCount,
          truncated: t.truncated,
        }));
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      } else {
        process.stdout.write(tokenTable(encoded, tokenizer.contextLength));
      }
    });
}

/** CLIP's BPE tokens as text a person reads: words apart, the pieces of one word joined by "·"
 * ("colla·ges of"), start and end tokens left out. */
function readableTokens(tokens: readonly string[]): string {
  let out = '';
  let inWord = false;
  for (const token of tokens) {
    const endsWord = token.endsWith('</w>');
    const piece = endsWord ? token.slice(0, -'</w>'.length) : token;
    out += (out === '' ? '' : inWord ? '·' : ' ') + piece;
    inWord = !endsWord;
  }
  return out;
}

/** The table: per phrase its token count (start and end tokens included), the phrase, the tokens the
 * model reads, and for a phrase over the context length the words the cut drops; phrases of a
 * dictionary under their category; a summary line. */
function tokenTable(rows: readonly (Phrase & { encoding: ClipEncoding })[], contextLength: number): string {
  const width = Math.max('tokens'.length, ...rows.map((r) => String(r.encoding.tokenCount).length));
  const pad = ' '.repeat(width);
  const lines = [`${'tokens'.padStart(width)}  phrase / how CLIP reads it`];
  let category: string | undefined;
  for (const { text, category: c, encoding: t } of rows) {
    if (c !== undefined && c !== category) lines.push(`${c}:`);
    category = c;
    lines.push(`${String(t.tokenCount).padStart(width)}  ${text}`);
    lines.push(`${pad}  ${readableTokens(t.tokens.slice(1, -1))}`);
    if (t.truncated) lines.push(`${pad}  cut at ${contextLength} tokens, drops ${t.dropped.length}: "${readableTokens(t.dropped)}"`);
  }
  const cut = rows.filter((r) => r.encoding.truncated).length;
  const n = rows.length;
  lines.push(
    '',
    `${n} phrase${n === 1 ? '' : 's'}; ${cut === 0 ? `all fit in ${contextLength} tokens` : `${cut} ${cut === 1 ? 'is' : 'are'} cut to ${contextLength} tokens (the model never sees the dropped words: shorten ${cut === 1 ? 'it' : 'them'})`}.`,
  );
  return lines.join('\n') + '\n';
}
