#!/usr/bin/env node
// Entry point of the `clipscope` command. The CLI is written in TypeScript and run by Node's own
// type stripping (unflagged from Node 22.18/23.6; behind --experimental-strip-types on 22.12+), and
// its embedding cache uses node:sqlite (unflagged from 22.13; behind --experimental-sqlite on 22.12),
// so there is no compile step. On a Node that needs a flag, re-run this file once with the flags.
import { spawnSync } from 'node:child_process';

const flags = [];
if (!process.features.typescript) flags.push('--experimental-strip-types');
if (!process.getBuiltinModule('node:sqlite')) flags.push('--experimental-sqlite');
if (flags.length > 0 && !process.env.CLIPSCOPE_NODE_FLAGS) {
  const r = spawnSync(process.execPath, [...flags, '--no-warnings=ExperimentalWarning', ...process.argv.slice(1)], {
    stdio: 'inherit',
    // Marks the child, so a Node that still lacks a feature with the flags is not re-run forever.
    env: { ...process.env, CLIPSCOPE_NODE_FLAGS: flags.join(' ') },
  });
  process.exit(r.status ?? 1);
}
await import('../integrations/cli/main.ts');
