// `clipscope classify`: thin glue from flags to the engine's classify() and writeResults(). Values
// are passed on as typed strings; the one options schema converts and validates them.
import type { Command } from 'commander';
import type { RunResult } from '../core/types.ts';
import { COMMAND_LINE } from '../engine/options.ts';
import { writeResults } from '../engine/results.ts';
import { classify } from '../engine/run.ts';
import { checkWriteBackTarget, defaultWriteBackPath, writeTableBack, type PostsTable } from '../engine/table.ts';
import { addEmbeddingOptions, checkOutputPaths, definedOnly, embeddingOptions, failIfSkipped, printSkipped, withProgress, type EmbeddingFlags } from './shared.ts';
import { formatSummary } from '../engine/progress.ts';

interface ClassifyFlags extends EmbeddingFlags {
  images?: string;
  table?: string;
  imageColumn?: string;
  imagesRoot?: string;
  groupBy?: string;
  dateColumn?: string;
  dictionary: string;
  model: string;
  out?: string;
  json?: string;
  topK?: string;
  column?: string;
  scoring?: string;
  minProbability?: string;
  minMargin?: string;
}

export function register(program: Command): void {
  const command = program
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
    .option('--min-probability <p>', 'below this top probability (percent) an image is Uncertain')
    .option('--min-margin <m>', 'below this margin (percentage points) an image is Uncertain');
  addEmbeddingOptions(command)
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
        scoring: flags.scoring,
        topK: flags.topK,
        column: flags.column,
        minProbability: flags.minProbability,
        minMargin: flags.minMargin,
        ...embeddingOptions(flags),
      });
      // The table as the run read it: written back from that one parse.
      let posts: PostsTable | undefined;
      const result = await withProgress((effects) => classify(input, { ...effects, source: COMMAND_LINE, table: (t) => (posts = t) }));
      if (posts) {
        await writeTableBack(posts, out, result, { column: result.run.column, topK: result.run.topK });
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
      failIfSkipped(s.skipped, flags.failOnSkip);
    });
}

function tableSummary(t: NonNullable<RunResult['table']>): string {
  const s = t.statuses;
  const parts = [`${s.classified} classified`, s.missing ? `${s.missing} missing` : '', s.unreadable ? `${s.unreadable} unreadable` : '', s['no image'] ? `${s['no image']} without image path` : ''];
  return `${t.rows} rows (${parts.filter(Boolean).join(', ')}); every row is in the written table`;
}
