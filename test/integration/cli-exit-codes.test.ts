// Exit codes of `clipscope` for command-line mistakes: 2, like every other unusable input, so that
// 1 keeps its one meaning ("--fail-on-skip and images were skipped"); help and --version exit 0.
// A mistake prints one line saying what is wrong (with what was probably meant) and the command's
// usage line, not its whole help.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLIPSCOPE_VERSION } from '../../integrations/engine/version.ts';

const BIN = join(import.meta.dirname, '../../bin/clipscope.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
const CLASSIFY_USAGE = 'Usage: clipscope classify --dictionary <file> --model <dir> (--images <dir> | --table <file>) [options]\nRun `clipscope classify --help` for all options.\n';

describe('clipscope exit codes', () => {
  it.each([
    ['an unknown flag', ['classify', '--dictionary', 'd.yaml', '--model', 'm', '--bogus'], /^clipscope: unknown option `--bogus`\n/],
    ['a missing required flag', ['classify', '--images', 'x'], /^clipscope: 2 problems on the command line:\n {2}Missing --dictionary: expected a dictionary file path \(YAML or JSON\)\n {2}Missing --model: expected a model folder path\n$/],
    ['an unknown command', ['clasify'], /^clipscope: unknown command `clasify` \(did you mean `classify`\?\)\nUsage: clipscope /],
  ])('%s exits 2 with one message and no stack trace', (_name, args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('a misspelt flag says what was meant, then the usage line instead of the help', () => {
    const r = run('classify', '--images', 'x', '--dictonary', 'd.yaml', '--model', 'm');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`clipscope: unknown option \`--dictonary\` (did you mean \`--dictionary\`?)\n${CLASSIFY_USAGE}`);
  });

  it('every bad value of a command line is reported at once', () => {
    const r = run('classify', '--images', 'x', '--dictionary', 'd.yaml', '--model', 'm', '--top-k', '0', '--scoring', 'max', '--batch-size', 'many');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'clipscope: 3 problems on the command line:\n' +
        '  Invalid value max for --scoring: expected "seed", "sum", "ensemble" or "sigmoid"\n' +
        '  Invalid value 0 for --top-k: expected an integer ≥ 1\n' +
        '  Invalid value many for --batch-size: expected an integer ≥ 1\n',
    );
  });

  it('embed reports "nothing to write" (no --out, no cache) with its other problems', () => {
    const r = run('embed', '--images', 'x', '--batch-size', '0', '--no-cache');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'clipscope: 3 problems on the command line:\n' +
        '  Missing --model: expected a model folder path\n' +
        '  Invalid value 0 for --batch-size: expected an integer ≥ 1\n' +
        '  Nothing to write: neither --out nor a cache (--no-cache was given)\n' +
        '  → Give --out FILE.json for the embeddings, or drop --no-cache to fill the cache (e.g. with --cache DIR for a shard).\n',
    );
  });

  it('--help and --version exit 0; --version prints the package version', () => {
    expect(run('classify', '--help').status).toBe(0);
    const v = run('--version');
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(CLIPSCOPE_VERSION);
  });
});
