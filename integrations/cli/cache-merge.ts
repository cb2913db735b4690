// `clipscope cache merge --cache DEST SRC…`: glue over engine/cache-merge.ts. Prints one line per
// source (what it brought) on stderr, then a summary — or with --json one JSON object on stdout.
import type { Command } from 'commander';
import { mergeCaches } from '../engine/cache-merge.ts';
import { cacheFolder } from './shared.ts';

interface MergeFlags {
  cache?: string;
  json?: boolean;
}

export function registerMerge(cache: Command): void {
  cache
    .command('merge')
    .description('Merge the caches of sharded runs (--shard K/N) into --cache: each source in one transaction; sources must hold the same model.')
    .argument('<sources...>', 'cache folders of the shards (each one a --cache DIR of a shard run)')
    .option('--cache <dir>', 'destination cache folder (default .clipscope, or CLIPSCOPE_CACHE_DIR); created when missing')
    .option('--json', 'print JSON on stdout')
    .action((sources: string[], flags: MergeFlags) => {
      const dest = cacheFolder(flags.cache);
      const report = mergeCaches({ dest, sources, log: (m) => process.stderr.write(`clipscope: ${m}\n`) });
      if (flags.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      const images = report.sources.reduce((n, s) => n + s.models.reduce((k, m) => k + m.images.added, 0), 0);
      process.stdout.write(`Merged ${report.sources.length} cache${report.sources.length === 1 ? '' : 's'} into ${report.location}: ${images} new image embedding${images === 1 ? '' : 's'}.\n`);
    });
}
