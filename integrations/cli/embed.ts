// `clipscope embed`: the L2-normalised image embeddings of a folder as JSON, for users' own analyses
// (clustering, nearest neighbours). Uses and fills the same cache as classify.
import type { Command } from 'commander';
import { writeFileAtomic } from '../engine/atomic.ts';
import { COMMAND_LINE } from '../engine/options.ts';
import { formatDuration } from '../core/format.ts';
import { embedFolder } from '../engine/run.ts';
import { addEmbeddingOptions, checkOutputPaths, definedOnly, embeddingOptions, failIfSkipped, printSkipped, withProgress, type EmbeddingFlags } from './shared.ts';

interface EmbedFlags extends EmbeddingFlags {
  images: string;
  model: string;
  out: string;
}

export function register(program: Command): void {
  const command = program
    .command('embed')
    .description('Write the L2-normalised image embeddings of a folder as JSON: { model, dim, items: [{ path, sha256, embedding }] }.')
    .requiredOption('--images <dir>', 'folder of images (searched recursively)')
    .requiredOption('--model <dir>', 'model folder (Hugging Face ONNX layout)')
    .requiredOption('--out <file>', 'output JSON file');
  addEmbeddingOptions(command)
    .action(async (flags: EmbedFlags) => {
      await checkOutputPaths({ '--out': flags.out });
      const input = definedOnly({
        images: flags.images,
        model: flags.model,
        ...embeddingOptions(flags),
      });
      const result = await withProgress((effects) => embedFolder(input, { ...effects, source: COMMAND_LINE }));
      await writeFileAtomic(flags.out, JSON.stringify(result) + '\n');
      printSkipped(result.skipped, flags.out);
      const s = result.stats;
      process.stderr.write(
        `Embedded ${s.images} images in ${formatDuration(s.seconds)}: ${s.embedded} embedded, ${s.fromCache} from the cache, ${s.skipped} skipped.\n` +
          `Embeddings: ${flags.out}\n`,
      );
      failIfSkipped(s.skipped, flags.failOnSkip);
    });
}
