// Output paths that cannot be written are refused before the run starts, not after every image was
// embedded: `classify --out/--json` and `embed --out` in a missing folder, or naming a folder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runClipscope } from '../fixtures/cli.ts';

const ROOT = join(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'models/demo-colors');
let tmp: string;

const clipscope = (args: string[]) => runClipscope(args, tmp);

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-out-paths-'));
  await mkdir(join(tmp, 'images'));
  await mkdir(join(tmp, 'a-folder'));
  await cp(join(ROOT, 'content/images/coffee.png'), join(tmp, 'images/coffee.png'));
  await writeFile(join(tmp, 'dictionary.yaml'), 'Warm: ["a warm brown photo"]\nCold: ["a cold blue picture"]\n');
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const classify = ['classify', '--images', 'images', '--dictionary', 'dictionary.yaml', '--model', MODEL, '--cache', 'cache', '--threads', '1'];

describe('unwritable output paths are refused before any work', () => {
  it.each([
    ['classify --out in a missing folder', [...classify, '--out', 'missing/results.csv'], /Cannot write --out missing\/results\.csv: its folder missing does not exist/],
    ['classify --json in a missing folder', [...classify, '--out', 'r.csv', '--json', 'missing/r.json'], /Cannot write --json missing\/r\.json: its folder missing does not exist/],
    ['classify --out naming a folder', [...classify, '--out', 'a-folder'], /Cannot write --out a-folder: it is a folder/],
    ['embed --out in a missing folder', ['embed', '--images', 'images', '--model', MODEL, '--cache', 'cache', '--out', 'missing/e.json'], /Cannot write --out missing\/e\.json: its folder missing does not exist/],
  ])('%s', async (_name, args, message) => {
    const { code, stderr } = await clipscope(args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('→ ');
    // Nothing ran: no image was looked at, no cache was created, no stack trace.
    expect(stderr).not.toMatch(/images found|embed|at .*\.ts:\d+/);
    expect(existsSync(join(tmp, 'cache'))).toBe(false);
    expect((await readdir(tmp)).sort()).toEqual(['a-folder', 'dictionary.yaml', 'images']);
  });
});
