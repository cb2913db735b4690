// The subcommands, one file each. Add a command by writing integrations/cli/<name>.ts exporting
// register(program) and listing it here.
import type { Command } from 'commander';
import { register as registerModel } from './model.ts';

export function registerCommands(program: Command): void {
  // classify, embed, tokenize (engine), model fetch (model.ts), cache (cache.ts)
  registerModel(program);
}
