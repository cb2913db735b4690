// `clipscope diff OLD.json NEW.json`: the images whose category changed between two results files
// (`clipscope classify --json`), matched by sha256 and path, with the category sizes before → after
// and the images only in one file. Prints a table on stdout; --out writes the changed images as CSV,
// --json everything as JSON. Files that are not clipscope results are refused (exit 2, the reason).
import type { Command } from 'commander';
import { diffRuns, readResultsForDiff, writeDiff } from '../engine/run-diff.ts';
import type { ResultsForDiff, RunDiff } from '../engine/run-diff.ts';
import { checkOutputPaths, textTable } from './shared.ts';
import { formatPercent } from '../core/format.ts';

/** Changed images listed on the terminal before "… and N more (all in FILE)". */
const SHOWN = 50;

export function register(program: Command): void {
  program
    .command('diff')
    .description('Show the images whose category changed between two results files written by `clipscope classify --json`.')
    .argument('<old>', 'the earlier results JSON')
    .argument('<new>', 'the later results JSON')
    .option('--out <file>', 'write the changed images as CSV (Image, sha256, old and new category and probability)')
    .option('--json <file>', 'write the whole diff as JSON (both runs, summary, changed images, images only in one file)')
    .action(async (oldFile: string, newFile: string, flags: { out?: string; json?: string }) => {
      await checkOutputPaths({ '--out': flags.out, '--json': flags.json });
      const before = await readResultsForDiff(oldFile);
      const after = await readResultsForDiff(newFile);
      const diff = diffRuns(before, after);
      await writeDiff(diff, before, after, { csv: flags.out, json: flags.json });
      process.stdout.write(formatDiff(diff, before, after, flags.out ?? flags.json));
    });
}

function formatDiff(diff: RunDiff, before: ResultsForDiff, after: ResultsForDiff, savedIn?: string): string {
  const run = (label: string, r: ResultsForDiff) => `${label} ${r.file}: ${r.images.length} images, ${r.startedAt}, model ${r.model}, dictionary ${r.dictionaryHash.slice(0, 12)}\n`;
  let out = run('old', before) + run('new', after);
  if (before.modelChecksum !== after.modelChecksum) out += 'The runs used different models (checksums differ).\n';
  if (before.dictionaryHash === after.dictionaryHash && before.modelChecksum === after.modelChecksum) out += 'Same model and dictionary in both runs.\n';
  const both = diff.changed.length + diff.unchanged;
  out += `\n${diff.changed.length} of ${both} images in both files changed category.`;
  if (diff.onlyOld.length + diff.onlyNew.length > 0) out += ` Only in ${before.file}: ${diff.onlyOld.length}; only in ${after.file}: ${diff.onlyNew.length}.`;
  out += '\n\nCategory sizes (old → new):\n';
  out += textTable(
    [['category', 'old', 'new', 'change'], ...diff.categories.map((c) => [c.category, String(c.before), String(c.after), c.after === c.before ? '' : `${c.after > c.before ? '+' : ''}${c.after - c.before}`])],
    new Set([1, 2, 3]),
  );
  if (diff.changed.length > 0) {
    out += '\nChanged images:\n';
    const shown = diff.changed.slice(0, SHOWN);
    out += textTable([['image', 'old category', '', 'new category', 'old p', 'new p'], ...shown.map((c) => [c.path, c.oldCategory, '→', c.newCategory, formatPercent(c.oldProbability), formatPercent(c.newProbability)])], new Set([4, 5]));
    if (diff.changed.length > shown.length) out += `  … and ${diff.changed.length - shown.length} more${savedIn ? ` (all in ${savedIn})` : ' (--out FILE writes all)'}\n`;
  }
  return out;
}
