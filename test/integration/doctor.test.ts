// `clipscope doctor` through the real CLI: versions, providers, the cache it is pointed at and the
// model folders it finds, as text and as JSON.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../integrations/engine/store.ts';
import { runClipscope } from '../fixtures/cli.ts';

const ROOT = join(import.meta.dirname, '../..');
let tmp: string;

const clipscope = (args: string[]) => runClipscope(args, tmp, { CLIPSCOPE_MODEL: '' });

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-doctor-'));
  await cp(join(ROOT, 'models/synthetic-tiny'), join(tmp, 'models/tiny'), { recursive: true });
  await mkdir(join(tmp, 'models/half'), { recursive: true });
  await writeFile(join(tmp, 'models/half/config.json'), '{}');
  const store = openStore({ dir: join(tmp, 'cache'), log: () => {} });
  store.recordModel('key', { name: 'tiny', checksum: 'c', dim: 2 });
  store.putImageEmbeddings('key', [{ sha256: 'a', embedding: Float32Array.of(0.6, 0.8) }]);
  store.close();
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('clipscope doctor', () => {
  it('--json reports versions, providers, the cache and the model folders', async () => {
    const r = await clipscope(['doctor', '--json', '--cache', 'cache']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.node).toMatchObject({ version: process.version, platform: process.platform, arch: process.arch });
    expect(report.onnxruntime.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(report.onnxruntime.providers).toContainEqual({ name: 'cpu', bundled: true, available: true, reason: null });
    expect(['cpu', 'cuda', 'dml', 'coreml']).toContain(report.onnxruntime.auto);
    expect(report.sharp.sharp).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.sharp.libvips).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.machine.defaultThreads).toBeGreaterThanOrEqual(1);
    expect(report.cache).toMatchObject({ location: join(tmp, 'cache/embeddings.sqlite'), exists: true, images: 1, models: [{ name: 'tiny', images: 1, texts: 0 }] });
    expect(report.cache.bytes).toBeGreaterThan(0);
    expect(report.models).toEqual([
      { folder: join(tmp, 'models/half'), variants: [], missing: ['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx'] },
      { folder: join(tmp, 'models/tiny'), variants: ['fp32', 'quantized'], missing: [] },
    ]);
  });

  it('prints the same for people, one line per fact', async () => {
    const r = await clipscope(['doctor']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^clipscope {4}\d+\.\d+\.\d+$/m);
    expect(r.stdout).toContain(`Node.js      ${process.version} (${process.platform}/${process.arch})`);
    expect(r.stdout).toMatch(/^onnxruntime {2}onnxruntime-node \d+\.\d+\.\d+; --device auto uses \w+$/m);
    expect(r.stdout).toMatch(/^ {2}✓ cpu {6}ships with onnxruntime-node$/m);
    expect(r.stdout).toContain(`cache        ${join(tmp, '.clipscope/embeddings.sqlite')} (not created yet)`);
    expect(r.stdout).toContain(`  ${join(tmp, 'models/half')}: incomplete, missing preprocessor_config.json`);
  });

  it('names a file where the cache folder should be as the problem (exit 2), like the cache commands', async () => {
    await writeFile(join(tmp, 'a-file'), 'not a folder');
    const r = await clipscope(['doctor', '--cache', 'a-file']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`The embedding cache folder --cache a-file cannot be used: ${join(tmp, 'a-file')} is a file, not a folder.`);
    expect(r.stdout).toBe('');
  });
});
