// --device through the real CLI on this machine (no GPU): an explicit accelerator that is not
// available is exit code 2 with what to install; auto runs on the CPU, says so, and records it.
import { mkdtemp, readFile, rm, writeFile, cp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxAvailability } from '../../integrations/engine/model/onnx.ts';
import { runClipscope } from '../fixtures/cli.ts';

const ROOT = join(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'models/synthetic-tiny');
let tmp: string;

const clipscope = (args: string[]) => runClipscope(args, tmp);

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-device-'));
  await mkdir(join(tmp, 'images'));
  await cp(join(ROOT, 'content/images/horse.png'), join(tmp, 'images/horse.png'));
  await writeFile(join(tmp, 'd.yaml'), '"A":\n  - "a horse"\n"B":\n  - "coins"\n');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const classify = ['classify', '--images', 'images', '--dictionary', 'd.yaml', '--model', MODEL, '--threads', '1', '--no-cache'];

describe('--device', () => {
  it.runIf(process.platform === 'linux' && process.arch === 'x64' && !onnxAvailability().installed('cuda'))(
    'cuda without its libraries: exit 2, naming npm run gpu:install, before any work',
    async () => {
      const r = await clipscope([...classify, '--device', 'cuda', '--out', 'never.csv']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("clipscope: Device cuda (--device cuda) is not available here: the CUDA (NVIDIA GPU) provider's libraries are not installed");
      expect(r.stderr).toContain('`npm run gpu:install`');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('an unknown device: exit 2 with the choices', async () => {
    const r = await clipscope([...classify, '--device', 'tpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('clipscope: Invalid value tpu for --device: expected "auto", "cpu", "cuda", "dml", "coreml" or "webgpu"');
  });

  it('auto (the default) says which device it uses and records it in the run metadata', async () => {
    const r = await clipscope([...classify, '--out', 'r.csv', '--json', 'r.json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(await readFile(join(tmp, 'r.json'), 'utf8'));
    expect(json.run.device).toEqual({ requested: 'auto', used: json.run.device.used, fallback: null });
    expect(r.stderr).toMatch(new RegExp(`^device: ${json.run.device.used}\\b.*chosen by --device auto`, 'm'));
  });
});
