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
    .description('Embed the images of a folder into the cache, and write the L2-normalised embeddings as JSON with --out: { model, dim, items: [{ path, sha256, embedding }] }.')
    .usage(runUsage('embed', '[--out <file>]'))
    .option('--out <file>', 'output JSON file (without it, the embeddings only go into the cache)');
  addRunOptions(command, 'embed')
    .addHelpText(
      'after',
      `
Examples:
  $ clipscope embed --images photos --model models/clip-vit-base-patch32 --out embeddings.json
  $ clipscope embed --images photos --model models/clip-vit-base-patch32 --variant quantized --out embeddings.json
  $ clipscope embed --images photos --model models/clip-vit-base-patch32 --shard 0/4 --cache cache-0`,
    )
    .action(async (flags: { out?: string } & Record<string, unknown>) => {
      // Every problem of the flags at once, before any file is looked at; without --out the
      // embeddings only go into the cache (a shard of a job array), so a cache is then needed.
      const nothing = !flags.out && flags.cache === false ? [{ kind: 'other' as const, key: '', text: 'Nothing to write: neither --out nor a cache (--no-cache was given)', hint: 'Give --out FILE.json for the embeddings, or drop --no-cache to fill the cache (e.g. with --cache DIR for a shard).' }] : [];
      const input = parseWith(embedOptionsSchema, runOptionsFrom(flags, 'embed'), { source: COMMAND_LINE }, nothing);
      const out = flags.out;
      await checkOutputPaths({ '--out': out });
      const result = await withProgress((effects) => embedFolder(input, { ...effects, source: COMMAND_LINE }));
      if (out) await writeFileAtomic(out, JSON.stringify(result) + '\n');
      printSkipped(result.skipped, out);
      const s = result.stats;
      process.stderr.write(
        `Embedded ${s.images} image${s.images === 1 ? '' : 's'} in ${formatDuration(s.seconds)}: ${s.embedded} embedded, ${s.fromCache} from the cache, ${s.skipped} skipped.\n` +
          (out ? `Embeddings: ${out}\n` : ''),
      );
      failIfSkipped(s.skipped, input.failOnSkip);
    });
}
