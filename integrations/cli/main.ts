// The `clipscope` command. Each subcommand lives in its own file and registers itself here; the
// files are thin glue over engine functions. User errors (ClipscopeError) print their message and
// hint without a stack trace and exit with code 2.
import { Command, CommanderError } from 'commander';
import { isClipscopeError } from '../engine/errors.ts';
import { registerCommands } from './commands.ts';

const program = new Command('clipscope')
  .description('Classify image collections with CLIP and build a report you can validate.')
  .showHelpAfterError()
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (isClipscopeError(e)) {
    process.stderr.write(`clipscope: ${e.describe()}\n`);
    process.exit(2);
  }
  throw e;
}
