// bin/clipscope.js on a Node.js that keeps node:sqlite behind a flag (Node 22.12, the oldest that
// package.json's engines accepts). Simulated on this Node with --no-experimental-sqlite: the command
// must re-run itself with --experimental-sqlite and keep its embedding cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-node-flags-'));
  await mkdir(join(tmp, 'images'));
  for (const name of ['coffee.png', 'horse.png']) await cp(join(ROOT, 'content/images', name), join(tmp, 'images', name));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function classifyWithoutSqlite() {
  const env = { ...process.env };
  delete env.CLIPSCOPE_NODE_FLAGS;
  delete env.CLIPSCOPE_CACHE_DIR;
  return spawnSync(
    process.execPath,
    [
      '--no-experimental-sqlite',
      join(ROOT, 'bin/clipscope.js'),
      'classify',
      ...['--images', join(tmp, 'images'), '--model', join(ROOT, 'models/demo-colors'), '--dictionary', join(ROOT, 'content/dictionary.yaml')],
      ...['--cache', join(tmp, 'cache'), '--out', join(tmp, 'results.csv'), '--json', join(tmp, 'results.json'), '--threads', '1'],
    ],
    { encoding: 'utf8', env },
  );
}

describe('bin/clipscope.js on a Node without unflagged node:sqlite', () => {
  it('the simulation works: this Node offers no node:sqlite under --no-experimental-sqlite', () => {
    const probe = spawnSync(process.execPath, ['--no-experimental-sqlite', '-p', "String(process.getBuiltinModule('node:sqlite'))"], { encoding: 'utf8' });
    expect(probe.stdout.trim()).toBe('undefined');
  });

  it('re-runs itself with --experimental-sqlite: the cache is written and read, no warning about it', async () => {
    const first = classifyWithoutSqlite();
    expect(first.status, first.stderr).toBe(0);
    expect(existsSync(join(tmp, 'cache/embeddings.sqlite'))).toBe(true);
    expect(first.stderr).not.toMatch(/without the embedding cache|ExperimentalWarning/);
    const second = classifyWithoutSqlite();
    expect(second.status, second.stderr).toBe(0);
    const stats = JSON.parse(await readFile(join(tmp, 'results.json'), 'utf8')).stats;
    expect(stats).toMatchObject({ images: 2, embedded: 0, fromCache: 2 });
  });
});
