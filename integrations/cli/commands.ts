// The subcommands, one file each. Add a command by writing integrations/cli/<name>.ts exporting
// register(program) and listing it here.
import type { Command } from 'commander';
import { register as registerCache } from './cache.ts';
import { register as registerClassify } from './classify.ts';
import { register as registerDoctor } from './doctor.ts';
import { register as registerDiff } from './diff.ts';
import { register as registerEmbed } from './embed.ts';
import { register as registerModel } from './model.ts';
import { register as registerTokenize } from './tokenize.ts';

export function registerCommands(program: Command): void {
  // classify, embed, tokenize (engine), model fetch (model.ts), cache (cache.ts), doctor (doctor.ts), diff (diff.ts)
  registerClassify(program);
  registerEmbed(program);
  registerTokenize(program);
  registerModel(program);
  registerCache(program);
  registerDoctor(program);
  registerDiff(program);
}
