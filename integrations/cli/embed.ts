// `clipscope embed`: the L2-normalised image embeddings of a folder as JSON, for users' own analyses
// (clustering, nearest neighbours). Uses and fills the same cache as classify.
import type { Command } from 'commander';
import { writeFileAtomic } from '../engine/atomic.ts';
import { ClipscopeError } from '../engine/errors.ts';
import { COMMAND_LINE } from '../engine/options.ts';
import { formatDuration } from '../core/format.ts';
import { embedFolder } from '../engine/run.ts';
import { addEmbeddingOptions, checkOutputPaths, definedOnly, embeddingOptions, failIfSkipped, printSkipped, withProgress, type EmbeddingFlags } from './shared.ts';

interface EmbedFlags extends EmbeddingFlags {
  images: string;
  model: string;
  /** Optional: without it the embeddings only go into the cache (sharded runs). */
  out?: string;
}

export function register(program: Command): void {
  const command = program
    .command('embed')
    .description('Embed the images of a folder into the cache, and write the L2-normalised embeddings as JSON with --out: { model, dim, items: [{ path, sha256, embedding }] }.')
    .requiredOption('--images <dir>', 'folder of images (searched recursively)')
    .requiredOption('--model <dir>', 'model folder (Hugging Face ONNX layout)')
    .option('--out <file>', 'output JSON file (without it, the embeddings only go into the cache)');
  addEmbeddingOptions(command)
    .action(async (flags: EmbedFlags) => {
      if (!flags.out && flags.cache === false) {
        throw new ClipscopeError('options', 'Nothing to write: neither --out nor a cache (--no-cache was given)', 'Give --out FILE.json for the embeddings, or drop --no-cache to fill the cache (e.g. with --cache DIR for a shard).');
      }
      await checkOutputPaths({ '--out': flags.out });
      const input = definedOnly({
        images: flags.images,
        model: flags.model,
        ...embeddingOptions(flags),
      });
      const result = await withProgress((effects) => embedFolder(input, { ...effects, source: COMMAND_LINE }));
      if (flags.out) await writeFileAtomic(flags.out, JSON.stringify(result) + '\n');
      printSkipped(result.skipped, flags.out);
      const s = result.stats;
      process.stderr.write(
        `Embedded ${s.images} images in ${formatDuration(s.seconds)}: ${s.embedded} embedded, ${s.fromCache} from the cache, ${s.skipped} skipped.\n` +
          (flags.out ? `Embeddings: ${flags.out}\n` : ''),
      );
      failIfSkipped(s.skipped, flags.failOnSkip);
    });
}
