// `clipscope classify`: thin glue from flags to the engine's classify() and writeResults(). The run
// flags come from the engine's RUN_OPTIONS; values are passed on as typed strings, and the one
// options schema converts and validates them.
import type { Command } from 'commander';
import type { RunResult } from '../core/types.ts';
import { COMMAND_LINE, parseClassifyOptions } from '../engine/options.ts';
import { writeResults } from '../engine/results.ts';
import { classify } from '../engine/run.ts';
import { checkWriteBackTarget, defaultWriteBackPath, writeTableBack, type PostsTable } from '../engine/table.ts';
import { addRunOptions, checkOutputPaths, failIfSkipped, printSkipped, runOptionsFrom, runUsage, withProgress } from './shared.ts';
import { formatSummary } from '../engine/progress.ts';

/** The flags of classify that are not run options: where the results go. */
interface OutputFlags {
  out?: string;
  json?: string;
}

export function register(program: Command): void {
  const command = program
    .command('classify')
    .description('Classify every image under a folder, or every image a posts table lists, with a CLIP model and a dictionary of phrases.')
    .usage(runUsage('classify', '(--images <dir> | --table <file>)'))
    .option('--out <file>', 'results table (CSV; default results.csv); with --table: the table written back, same format (default <table>.classified.<ext>)')
    .option('--json <file>', 'everything, with run metadata (JSON)');
  addRunOptions(command, 'classify');
  const images = command.options.find((o) => o.long === '--images')!;
  images.description += ' (required, or --table)';
  command
    .addHelpText(
      'after',
      `
Examples:
  $ clipscope classify --images photos --dictionary dictionary.yaml --model models/clip-vit-base-patch32
  $ clipscope classify --images photos --dictionary dictionary.yaml --model models/clip-vit-base-patch32 --top-k 2 --json results.json
  $ clipscope classify --table posts.csv --group-by party --dictionary dictionary.yaml --model models/clip-vit-base-patch32`,
    )
    .action(async (flags: OutputFlags & Record<string, unknown>) => {
      // Every problem of the flags at once, before any file is looked at.
      const input = parseClassifyOptions(runOptionsFrom(flags, 'classify'), COMMAND_LINE);
      const table = input.table;
      const out = flags.out ?? (table ? defaultWriteBackPath(table) : 'results.csv');
      // Refuse an --out that would overwrite the table or change its format before the run, not after.
      if (table) checkWriteBackTarget(table, out);
      await checkOutputPaths({ '--out': out, '--json': flags.json });
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
      failIfSkipped(s.skipped, input.failOnSkip);
    });
}

function tableSummary(t: NonNullable<RunResult['table']>): string {
  const s = t.statuses;
  const parts = [`${s.classified} classified`, s.missing ? `${s.missing} missing` : '', s.unreadable ? `${s.unreadable} unreadable` : '', s['no image'] ? `${s['no image']} without image path` : ''];
  return `${t.rows} rows (${parts.filter(Boolean).join(', ')}); every row is in the written table`;
}
