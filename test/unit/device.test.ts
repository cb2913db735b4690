// --device as pure logic (model/device.ts) with injected availability, and onnx.ts's fallback when a
// provider fails to start — exercised here up to the point where a GPU would be used: this machine
// has none, so CUDA's session creation fails and `auto` must fall back to the CPU with the reason.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import { createDeviceSelection, planDevice, providerStatus, type Availability } from '../../integrations/engine/model/device.ts';
import { createSession, executionProviders, onnxAvailability, releaseSession } from '../../integrations/engine/model/onnx.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VISION = path.join(ROOT, 'models/synthetic-tiny/onnx/vision_model.onnx');

/** onnxruntime-node 1.30's backends per platform, as listSupportedBackends() reports them. */
function machine(platform: string, arch: string, installed: string[] = []): Availability {
  const backends: Record<string, { name: string; bundled: boolean }[]> = {
    'linux/x64': [{ name: 'cpu', bundled: true }, { name: 'webgpu', bundled: true }, { name: 'cuda', bundled: false }, { name: 'tensorrt', bundled: false }],
    'linux/arm64': [{ name: 'cpu', bundled: true }],
    'win32/x64': [{ name: 'cpu', bundled: true }, { name: 'dml', bundled: true }, { name: 'webgpu', bundled: true }],
    'darwin/arm64': [{ name: 'cpu', bundled: true }, { name: 'coreml', bundled: true }, { name: 'webgpu', bundled: true }],
  };
  return { platform, arch, version: '1.30.0', backends: backends[`${platform}/${arch}`], installed: (name) => installed.includes(name) };
}

function thrown(fn: () => unknown): Error & { hint?: string } {
  try {
    fn();
  } catch (e) {
    expect(isClipscopeError(e)).toBe(true);
    return e as Error & { hint?: string };
  }
  throw new Error('expected a ClipscopeError');
}

describe('planDevice', () => {
  it.each([
    ['linux', 'x64', [], ['cpu']],
    ['linux', 'x64', ['cuda'], ['cuda', 'cpu']],
    ['linux', 'arm64', [], ['cpu']],
    ['win32', 'x64', [], ['dml', 'cpu']],
    ['darwin', 'arm64', [], ['coreml', 'cpu']],
  ])('auto on %s/%s with %j installed tries %j (never webgpu)', (platform, arch, installed, candidates) => {
    expect(planDevice('auto', machine(platform, arch, installed)).candidates).toEqual(candidates);
  });

  it('auto says which accelerator it skipped and why', () => {
    expect(planDevice('auto', machine('linux', 'x64')).skipped).toEqual([
      { provider: 'cuda', reason: "the CUDA (NVIDIA GPU) provider's libraries are not installed (npm installs skip their download)" },
    ]);
    expect(planDevice('auto', machine('linux', 'arm64')).skipped).toEqual([]); // nothing offered: nothing to say
  });

  it('an explicit device is used alone, or refused with what to install', () => {
    expect(planDevice('cuda', machine('linux', 'x64', ['cuda'])).candidates).toEqual(['cuda']);
    expect(planDevice('webgpu', machine('linux', 'x64')).candidates).toEqual(['webgpu']);
    expect(planDevice('cpu', machine('linux', 'arm64')).candidates).toEqual(['cpu']);

    const cuda = thrown(() => planDevice('cuda', machine('linux', 'x64')));
    expect(cuda.message).toBe("Device cuda (--device cuda) is not available here: the CUDA (NVIDIA GPU) provider's libraries are not installed (npm installs skip their download).");
    expect(cuda.hint).toContain('`npm run gpu:install`');
    expect(thrown(() => planDevice('cuda', machine('win32', 'x64'))).hint).toBe('onnxruntime-node ships CUDA for Linux x64 only; on win32/x64 use --device auto (DirectML) or cpu.');
    expect(thrown(() => planDevice('dml', machine('linux', 'x64'))).message).toBe('Device dml (--device dml) is not available here: onnxruntime-node 1.30.0 has no DirectML (Windows GPU) provider on linux/x64.');
    expect(thrown(() => planDevice('coreml', machine('win32', 'x64'))).hint).toMatch(/macOS only/);
    expect(thrown(() => planDevice('webgpu', machine('linux', 'arm64'))).hint).toMatch(/no WebGPU provider for linux\/arm64/);
  });

  it('providerStatus: the CPU is always there', () => {
    expect(providerStatus('cpu', machine('linux', 'arm64'))).toEqual({ available: true });
  });
});

describe('createDeviceSelection', () => {
  it('auto logs its choice, falls back to the CPU with the reason, and the batch size follows the device', () => {
    const logs: string[] = [];
    const s = createDeviceSelection(planDevice('auto', machine('linux', 'x64', ['cuda'])), (m) => logs.push(m));
    expect(logs).toEqual(['device: cuda (CUDA (NVIDIA GPU)), chosen by --device auto']);
    expect([s.current(), s.batchSize(), s.fallback()]).toEqual(['cuda', 64, null]);
    s.failed('cuda', 'CUDA driver version is insufficient for CUDA runtime version');
    expect([s.current(), s.batchSize()]).toEqual(['cpu', 16]);
    expect(s.fallback()).toBe('cuda failed to start (CUDA driver version is insufficient for CUDA runtime version); fell back to cpu');
    expect(logs[1]).toBe('device: cuda failed to start (CUDA driver version is insufficient for CUDA runtime version); fell back to cpu.');
    s.failed('cuda', 'again, from the other tower'); // already moved on: no second message
    expect(logs).toHaveLength(2);
  });

  it('auto on a machine without accelerators says so once, naming the install command', () => {
    const logs: string[] = [];
    createDeviceSelection(planDevice('auto', machine('linux', 'x64')), (m) => logs.push(m));
    expect(logs).toEqual([
      'device: cpu, chosen by --device auto (cuda is not installed: `npm run gpu:install`)',
    ]);
  });

  it('an explicit device that fails to start is an error with what to check, not a fallback', () => {
    const s = createDeviceSelection(planDevice('cuda', machine('linux', 'x64', ['cuda'])), () => {});
    const e = thrown(() => s.failed('cuda', 'no CUDA-capable device is detected'));
    expect(e.message).toBe('Device cuda (--device cuda) failed to start: no CUDA-capable device is detected');
    expect(e.hint).toMatch(/nvidia-smi/);
  });

  it('explicit cpu logs nothing', () => {
    const logs: string[] = [];
    expect(createDeviceSelection(planDevice('cpu', machine('linux', 'x64')), (m) => logs.push(m)).current()).toBe('cpu');
    expect(logs).toEqual([]);
  });
});

describe('onnx.ts on this machine (no GPU)', () => {
  it('lists what the binding offers; the accelerator goes first, the CPU after it', () => {
    const a = onnxAvailability();
    expect(a.backends.map((b) => b.name)).toContain('cpu');
    expect(a.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(executionProviders('cuda')).toEqual(['cuda', 'cpu']);
    expect(executionProviders('cpu')).toEqual(['cpu']);
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64' && !onnxAvailability().installed('cuda'))(
    'auto with CUDA claimed available: the session fails to start on CUDA and opens on the CPU, saying why',
    async () => {
      const logs: string[] = [];
      const device = createDeviceSelection(planDevice('auto', { ...onnxAvailability(), installed: () => true }), (m) => logs.push(m));
      expect(device.current()).toBe('cuda');
      const session = await createSession(VISION, { threads: 1, device });
      await releaseSession(session);
      expect(device.current()).toBe('cpu');
      expect(logs[1]).toMatch(/^device: cuda failed to start \(.+\); fell back to cpu\.$/);
      expect(device.fallback()).toMatch(/^cuda failed to start/);

      const explicit = createDeviceSelection(planDevice('cuda', { ...onnxAvailability(), installed: () => true }), () => {});
      await expect(createSession(VISION, { threads: 1, device: explicit })).rejects.toThrow(/^Device cuda \(--device cuda\) failed to start: /);
    },
  );
});
