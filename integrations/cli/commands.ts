// The subcommands, one file each. Add a command by writing integrations/cli/<name>.ts exporting
// register(program) and listing it here.
import type { Command } from 'commander';

export function registerCommands(_program: Command): void {
  // classify, embed, tokenize (engine), model fetch (model.ts), cache (cache.ts)
}
