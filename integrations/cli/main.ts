// The `clipscope` command. Each subcommand lives in its own file and registers itself here; the
// files are thin glue over engine functions. User errors (ClipscopeError) print their message and
// hint without a stack trace and exit with code 2, as do command-line mistakes commander reports
// (unknown flag or command, missing required flag), so exit code 1 means only "--fail-on-skip and
// images were skipped". A command-line mistake prints one line and the command's usage, not its help.
import { Command, CommanderError } from 'commander';
import { isClipscopeError } from '../engine/errors.ts';
import { registerCommands } from './commands.ts';
import { commanderMessage, usageAfterErrors } from './shared.ts';
import { CLIPSCOPE_VERSION } from '../engine/version.ts';

const program = new Command('clipscope')
  .description('Classify image collections with CLIP and build a report you can validate.')
  .version(CLIPSCOPE_VERSION)
  .configureOutput({ outputError: (text, write) => write(commanderMessage(text)) })
  .exitOverride();

registerCommands(program);
usageAfterErrors(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // commander has printed its message (and the usage); help and --version exit 0.
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (isClipscopeError(e)) {
    process.stderr.write(`clipscope: ${e.describe()}\n`);
    process.exit(2);
  }
  throw e;
}
