// `clipscope classify`: thin glue from flags to the engine's classify() and writeResults(). Values
// are passed on as typed strings; the one options schema converts and validates them.
import type { Command } from 'commander';
import type { RunResult } from '../engine/types.ts';
import { COMMAND_LINE, DEFAULT_BATCH_SIZE, DEFAULT_PIXEL_LIMIT } from '../engine/options.ts';
import { writeResults } from '../engine/results.ts';
import { classify } from '../engine/run.ts';
import { checkWriteBackTarget, defaultWriteBackPath, writeTableBack } from '../engine/table.ts';
import { checkOutputPaths, definedOnly, printSkipped, withProgress } from './shared.ts';
import { formatSummary } from '../engine/progress.ts';

interface ClassifyFlags {
  images?: string;
  table?: string;
  imageColumn?: string;
  imagesRoot?: string;
  groupBy?: string;
  dateColumn?: string;
  dictionary: string;
  model: string;
  variant?: string;
  out?: string;
  json?: string;
  topK?: string;
  column?: string;
  scoring?: string;
  batchSize?: string;
  threads?: string;
  minProbability?: string;
  minMargin?: string;
  cache?: string | false;
  failOnSkip?: boolean;
  pixelLimit?: string;
  followSymlinks?: boolean;
}

export function register(program: Command): void {
  program
    .command('classify')
    .description('Classify every image under a folder, or every image a posts table lists, with a CLIP model and a dictionary of phrases.')
    .option('--images <dir>', 'folder of images (searched recursively)')
    .option('--table <file>', 'posts table (CSV or JSON Lines) whose image column lists the images; --out writes it back with the classification columns')
    .option('--image-column <name>', 'the table column of image paths (default Image)')
    .option('--images-root <dir>', "folder the table's relative image paths start from (default: the table's folder)")
    .option('--group-by <column>', 'table column whose values are the groups to compare (e.g. party)')
    .option('--date-column <column>', 'table column with the post date (shares over time in the report)')
    .requiredOption('--dictionary <file>', 'dictionary (YAML or JSON): category → phrases')
    .requiredOption('--model <dir>', 'model folder (Hugging Face ONNX layout)')
    .option('--out <file>', 'results table (CSV; default results.csv); with --table: the table written back, same format (default <table>.classified.<ext>)')
    .option('--json <file>', 'everything, with run metadata (JSON)')
    .option('--top-k <n>', 'how many choices per image (default 1)')
    .option('--column <name>', 'column name (prefix) in the CSV (default Classification)')
    .option('--scoring <mode>', 'seed | sum | ensemble (default seed)')
    .option('--batch-size <n>', `images per model call (default ${DEFAULT_BATCH_SIZE})`)
    .option('--threads <n>', 'onnxruntime threads (default: all cores)')
    .option('--min-probability <p>', 'below this top probability (percent) an image is Uncertain')
    .option('--min-margin <m>', 'below this margin (percentage points) an image is Uncertain')
    .option('--cache <dir>', 'embedding cache folder (default .clipscope, or CLIPSCOPE_CACHE_DIR)')
    .option('--no-cache', 'do not read or write the embedding cache')
    .option('--variant <variant>', 'fp32 | quantized ONNX files (default fp32)')
    .option('--pixel-limit <n>', `skip images with more pixels than this (default ${DEFAULT_PIXEL_LIMIT}, ${DEFAULT_PIXEL_LIMIT / 1e6} megapixels)`)
    .option('--follow-symlinks', 'follow symbolic links that lead out of the image folder')
    .option('--fail-on-skip', 'exit with code 1 when any image was skipped')
    .action(async (flags: ClassifyFlags) => {
      const out = flags.out ?? (flags.table ? defaultWriteBackPath(flags.table) : 'results.csv');
      // Refuse an --out that would overwrite the table or change its format before the run, not after.
      if (flags.table) checkWriteBackTarget(flags.table, out);
      await checkOutputPaths({ '--out': out, '--json': flags.json });
      const input = definedOnly({
        images: flags.images,
        table: flags.table,
        imageColumn: flags.imageColumn,
        imagesRoot: flags.imagesRoot,
        groupBy: flags.groupBy,
        dateColumn: flags.dateColumn,
        dictionary: flags.dictionary,
        model: flags.model,
        modelVariant: flags.variant,
        scoring: flags.scoring,
        topK: flags.topK,
        column: flags.column,
        batchSize: flags.batchSize,
        threads: flags.threads,
        minProbability: flags.minProbability,
        minMargin: flags.minMargin,
        cache: flags.cache === false ? null : flags.cache,
        failOnSkip: flags.failOnSkip,
        pixelLimit: flags.pixelLimit,
        followSymlinks: flags.followSymlinks,
      });
      const result = await withProgress((effects) => classify(input, { ...effects, source: COMMAND_LINE }));
      if (flags.table) {
        await writeTableBack(flags.table, out, result, { column: result.run.column, topK: result.run.topK });
        await writeResults(result, { json: flags.json });
      } else {
        await writeResults(result, { csv: out, json: flags.json, column: result.run.column, topK: result.run.topK });
      }
      printSkipped(result.skipped, flags.json);
      const s = result.stats;
      process.stderr.write(
        `${formatSummary({ classified: s.images, skipped: s.skipped, embedded: s.embedded, fromCache: s.fromCache, seconds: s.seconds })}\n` +
          (result.table ? `Table: ${tableSummary(result.table)}\n` : '') +
          `Results: ${[out, flags.json].filter(Boolean).join(', ')}\n`,
      );
      if (flags.failOnSkip && s.skipped > 0) {
        process.stderr.write(`clipscope: ${s.skipped} image${s.skipped === 1 ? ' was' : 's were'} skipped and --fail-on-skip is set\n`);
        process.exitCode = 1;
      }
    });
}

function tableSummary(t: NonNullable<RunResult['table']>): string {
  const s = t.statuses;
  const parts = [`${s.classified} classified`, s.missing ? `${s.missing} missing` : '', s.unreadable ? `${s.unreadable} unreadable` : '', s['no image'] ? `${s['no image']} without image path` : ''];
  return `${t.rows} rows (${parts.filter(Boolean).join(', ')}); every row is in the written table`;
}
