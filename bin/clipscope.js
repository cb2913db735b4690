#!/usr/bin/env node
// Entry point of the `clipscope` command. The CLI is written in TypeScript and run by Node's own
// type stripping (unflagged from Node 22.18/23.6; behind --experimental-strip-types on 22.12+),
// so there is no compile step. On a Node that needs the flag, re-run this file with it.
import { spawnSync } from 'node:child_process';

if (!process.features.typescript) {
  const r = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings=ExperimentalWarning', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
await import('../integrations/cli/main.ts');
