// `clipscope embed`: the L2-normalised image embeddings of a folder as JSON, for users' own analyses
// (clustering, nearest neighbours). Uses and fills the same cache as classify.
import type { Command } from 'commander';
import { writeFileAtomic } from '../engine/atomic.ts';
import { COMMAND_LINE, embedOptionsSchema, parseWith } from '../engine/options.ts';
import { formatDuration } from '../core/format.ts';
import { embedFolder } from '../engine/run.ts';
import { addRunOptions, checkOutputPaths, failIfSkipped, printSkipped, runOptionsFrom, runUsage, withProgress } from './shared.ts';

export function register(program: Command): void {
  const command = program
    .command('embed')
    .description('Write the L2-normalised image embeddings of a folder as JSON: { model, dim, items: [{ path, sha256, embedding }] }.')
    .usage(runUsage('embed', '--out <file>'))
    .option('--out <file>', 'output JSON file (required)');
  addRunOptions(command, 'embed')
    .addHelpText(
      'after',
      `
Examples:
  $ clipscope embed --images photos --model models/clip-vit-base-patch32 --out embeddings.json
  $ clipscope embed --images photos --model models/clip-vit-base-patch32 --variant quantized --out embeddings.json`,
    )
    .action(async (flags: { out?: string } & Record<string, unknown>) => {
      // Every problem of the flags at once, a missing --out included, before any file is looked at.
      const noOut = flags.out ? [] : [{ kind: 'missing' as const, key: '', subject: '--out', expected: 'a file path for the JSON' }];
      const input = parseWith(embedOptionsSchema, runOptionsFrom(flags, 'embed'), { source: COMMAND_LINE }, noOut);
      const out = flags.out!;
      await checkOutputPaths({ '--out': out });
      const result = await withProgress((effects) => embedFolder(input, { ...effects, source: COMMAND_LINE }));
      await writeFileAtomic(out, JSON.stringify(result) + '\n');
      printSkipped(result.skipped, out);
      const s = result.stats;
      process.stderr.write(
        `Embedded ${s.images} images in ${formatDuration(s.seconds)}: ${s.embedded} embedded, ${s.fromCache} from the cache, ${s.skipped} skipped.\n` +
          `Embeddings: ${out}\n`,
      );
      failIfSkipped(s.skipped, input.failOnSkip);
    });
}
