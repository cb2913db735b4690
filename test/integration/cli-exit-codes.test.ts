// Exit codes of `clipscope` for command-line mistakes: 2, like every other unusable input, so that
// 1 keeps its one meaning ("--fail-on-skip and images were skipped"); help and --version exit 0.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLIPSCOPE_VERSION } from '../../integrations/engine/version.ts';

const BIN = join(import.meta.dirname, '../../bin/clipscope.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

describe('clipscope exit codes', () => {
  it.each([
    ['an unknown flag', ['classify', '--dictionary', 'd.yaml', '--model', 'm', '--bogus'], /unknown option '--bogus'/],
    ['a missing required flag', ['classify', '--images', 'x'], /required option '--dictionary <file>' not specified/],
    ['an unknown command', ['clasify'], /unknown command 'clasify'/],
  ])('%s exits 2 with commander’s message and no stack trace', (_name, args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('--help and --version exit 0; --version prints the package version', () => {
    expect(run('classify', '--help').status).toBe(0);
    const v = run('--version');
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(CLIPSCOPE_VERSION);
  });
});
