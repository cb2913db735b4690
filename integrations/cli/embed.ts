// `clipscope embed`: the L2-normalised image embeddings of a folder as JSON, for users' own analyses
// (clustering, nearest neighbours). Uses and fills the same cache as classify.
import type { Command } from 'commander';
import { writeFileAtomic } from '../engine/atomic.ts';
import { COMMAND_LINE, DEFAULT_BATCH_SIZE, DEFAULT_PIXEL_LIMIT } from '../engine/options.ts';
import { formatDuration } from '../engine/progress.ts';
import { embedFolder } from '../engine/run.ts';
import { checkOutputPaths, definedOnly, printSkipped, withProgress } from './shared.ts';

interface EmbedFlags {
  images: string;
  model: string;
  out: string;
  variant?: string;
  batchSize?: string;
  threads?: string;
  cache?: string | false;
  pixelLimit?: string;
  followSymlinks?: boolean;
  failOnSkip?: boolean;
}

export function register(program: Command): void {
  program
    .command('embed')
    .description('Write the L2-normalised image embeddings of a folder as JSON: { model, dim, items: [{ path, sha256, embedding }] }.')
    .requiredOption('--images <dir>', 'folder of images (searched recursively)')
    .requiredOption('--model <dir>', 'model folder (Hugging Face ONNX layout)')
    .requiredOption('--out <file>', 'output JSON file')
    .option('--batch-size <n>', `images per model call (default ${DEFAULT_BATCH_SIZE})`)
    .option('--threads <n>', 'onnxruntime threads (default: all cores)')
    .option('--cache <dir>', 'embedding cache folder (default .clipscope, or CLIPSCOPE_CACHE_DIR)')
    .option('--no-cache', 'do not read or write the embedding cache')
    .option('--variant <variant>', 'fp32 | quantized ONNX files (default fp32)')
    .option('--pixel-limit <n>', `skip images with more pixels than this (default ${DEFAULT_PIXEL_LIMIT}, ${DEFAULT_PIXEL_LIMIT / 1e6} megapixels)`)
    .option('--follow-symlinks', 'follow symbolic links that lead out of the image folder')
    .option('--fail-on-skip', 'exit with code 1 when any image was skipped')
    .action(async (flags: EmbedFlags) => {
      await checkOutputPaths({ '--out': flags.out });
      const input = definedOnly({
        images: flags.images,
        model: flags.model,
        modelVariant: flags.variant,
        batchSize: flags.batchSize,
        threads: flags.threads,
        cache: flags.cache === false ? null : flags.cache,
        pixelLimit: flags.pixelLimit,
        followSymlinks: flags.followSymlinks,
        failOnSkip: flags.failOnSkip,
      });
      const result = await withProgress((effects) => embedFolder(input, { ...effects, source: COMMAND_LINE }));
      await writeFileAtomic(flags.out, JSON.stringify(result) + '\n');
      printSkipped(result.skipped, flags.out);
      const s = result.stats;
      process.stderr.write(
        `Embedded ${s.images} images in ${formatDuration(s.seconds)}: ${s.embedded} embedded, ${s.fromCache} from the cache, ${s.skipped} skipped.\n` +
          `Embeddings: ${flags.out}\n`,
      );
      if (flags.failOnSkip && s.skipped > 0) {
        process.stderr.write(`clipscope: ${s.skipped} image${s.skipped === 1 ? ' was' : 's were'} skipped and --fail-on-skip is set\n`);
        process.exitCode = 1;
      }
    });
}
