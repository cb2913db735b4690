// The "Changed since the last build" data: the compact run kept in the cache, read back, and
// compared with the next build's run.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changesSince, keepRun, previousRunFile, previousRunOf, readPreviousRun, stageRun } from '../../integrations/clipscope/changes.ts';
import type { RunResult } from '../../integrations/core/types.ts';
import { makeRunResult } from '../fixtures/make-run-result.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clipscope-changes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const before = makeRunResult({ syntheticCount: 6, startedAt: '2025-01-01T00:00:00.000Z' });
/** The same run a day later with the categories of images 1 and 4 changed and a new dictionary hash. */
function later(changes: Record<number, string> = { 1: 'Green', 4: 'Red and pink' }): RunResult {
  const r = structuredClone(before);
  r.run.startedAt = '2025-01-02T00:00:00.000Z';
  r.run.dictionary.hash = 'e'.repeat(64);
  for (const [i, category] of Object.entries(changes)) r.images[Number(i)].category = category;
  return r;
}

describe('changesSince', () => {
  it('lists exactly the images whose category changed, with both dates and dictionary hashes', () => {
    const after = later({ 1: before.images[1].category === 'Green' ? 'Monochrome' : 'Green', 4: before.images[4].category === 'Green' ? 'Monochrome' : 'Green' });
    const changes = changesSince(previousRunOf(before), after)!;
    expect(changes.diff.changed.map((c) => [c.path, c.oldCategory, c.newCategory])).toEqual([1, 4].map((i) => [before.images[i].path, before.images[i].category, after.images[i].category]));
    expect(changes.diff.unchanged).toBe(4);
    expect(changes.previous).toEqual({ startedAt: '2025-01-01T00:00:00.000Z', dictionaryHash: 'd'.repeat(64) });
    expect(changes.current).toEqual({ startedAt: '2025-01-02T00:00:00.000Z', dictionaryHash: 'e'.repeat(64) });
  });
  it('is null without a previous run, with another model, or when no category changed', () => {
    expect(changesSince(null, later())).toBeNull();
    const otherModel = later();
    otherModel.run.model.checksum = '0'.repeat(64);
    expect(changesSince(previousRunOf(before), otherModel)).toBeNull();
    expect(changesSince(previousRunOf(before), later({}))).toBeNull();
  });
});

describe('the kept run', () => {
  it('is one file per model and image source', () => {
    const a = previousRunFile(dir, 'f'.repeat(64), '/data/images');
    expect(a).toMatch(/runs[/\\][0-9a-f]{32}\.json$/);
    expect(previousRunFile(dir, 'f'.repeat(64), '/data/images')).toBe(a);
    expect(previousRunFile(dir, '0'.repeat(64), '/data/images')).not.toBe(a);
    expect(previousRunFile(dir, 'f'.repeat(64), '/data/other')).not.toBe(a);
  });
  it('is written atomically and read back as it was kept (no temporary file left)', async () => {
    const file = previousRunFile(dir, 'f'.repeat(64), 'x');
    const staging = await mkdtemp(join(dir, 'staging-'));
    await keepRun(file, await stageRun(staging, previousRunOf(before)));
    const warnings: string[] = [];
    expect(await readPreviousRun(file, (m) => warnings.push(m))).toEqual(previousRunOf(before));
    expect(warnings).toEqual([]);
    expect(await readdir(join(dir, 'runs'))).toEqual([file.split(/[/\\]/).pop()]);
  });
  it('replaces the kept run; when the staged file is gone, the error names the kept file and the old one stays', async () => {
    const file = previousRunFile(dir, 'e'.repeat(64), 'x');
    const staging = await mkdtemp(join(dir, 'staging-'));
    await keepRun(file, await stageRun(staging, previousRunOf(before)));
    const after = later();
    await keepRun(file, await stageRun(staging, previousRunOf(after)));
    expect(await readPreviousRun(file, () => {})).toEqual(previousRunOf(after));
    await expect(keepRun(file, join(staging, 'gone.json'))).rejects.toMatchObject({ kind: 'io', message: expect.stringContaining(file) });
    expect(await readPreviousRun(file, () => {})).toEqual(previousRunOf(after));
    expect((await readdir(join(dir, 'runs'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('is null when missing (silently) or damaged (with a warning)', async () => {
    const warnings: string[] = [];
    expect(await readPreviousRun(join(dir, 'runs', 'missing.json'), (m) => warnings.push(m))).toBeNull();
    expect(warnings).toEqual([]);
    const damaged = join(dir, 'damaged.json');
    for (const text of ['{"schema": "clipscope.previous-run/v1", "images": [', JSON.stringify({ ...previousRunOf(before), images: 'none' })]) {
      await writeFile(damaged, text);
      expect(await readPreviousRun(damaged, (m) => warnings.push(m))).toBeNull();
    }
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/damaged\.json\) are damaged or from another clipscope version; they are ignored/);
  });
});
