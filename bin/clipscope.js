#!/usr/bin/env node
// Entry point of the `clipscope` command. The CLI is written in TypeScript and run by Node's own type
// stripping (unflagged from Node 22.18), and its embedding cache uses node:sqlite (unflagged from
// 22.13), so there is no compile step and no flag to pass.
await import('../integrations/cli/main.ts');
