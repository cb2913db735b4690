// `clipscope tokenize`: how CLIP reads a phrase — ids (with start and end tokens, unpadded), tokens,
// and whether the phrase was cut to the model's context length. Reads only the tokenizer files.
import type { Command } from 'commander';
import { readClipTokenizer } from '../engine/model/tokenizer.ts';

export function register(program: Command): void {
  program
    .command('tokenize')
    .description('Show how the model tokenizes phrases, as JSON [{ text, ids, tokens, tokenCount, truncated }].')
    .requiredOption('--model <dir>', 'model folder (its tokenizer.json and tokenizer_config.json)')
    .argument('<phrase...>', 'phrases to tokenize')
    .action(async (phrases: string[], flags: { model: string }) => {
      const tokenizer = await readClipTokenizer(flags.model);
      const out = phrases.map((text) => {
        const t = tokenizer.encode(text);
        return { text: t.text, ids: t.ids, tokens: t.tokens, tokenCount: t.tokenCount, truncated: t.truncated };
      });
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    });
}
