// `npm run gpu:install` (scripts/gpu-install.ts): the command and environment it runs
// onnxruntime-node's install script with, and the facts about that script the plan relies on.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gpuInstallPlan } from '../../scripts/gpu-install.ts';

const require = createRequire(import.meta.url);
const PKG = dirname(require.resolve('onnxruntime-node/package.json'));
const metadata = require(join(PKG, 'script/install-metadata.js')) as { requirements: Record<string, string[]> };
const { parseInstallFlag } = require(join(PKG, 'script/install-utils.js')) as { parseInstallFlag: () => unknown };

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['ONNXRUNTIME_NODE_INSTALL', 'ONNXRUNTIME_NODE_INSTALL_CUDA', 'npm_config_onnxruntime_node_install']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('gpuInstallPlan', () => {
  it('on Linux x64 runs install.js in the package with ONNXRUNTIME_NODE_INSTALL=true, dropping the .npmrc skip', () => {
    const plan = gpuInstallPlan('linux', 'x64', { PATH: '/usr/bin', npm_config_onnxruntime_node_install: 'skip', ONNXRUNTIME_NODE_INSTALL_CUDA: 'skip' }, PKG, metadata.requirements, '/node');
    expect(plan).toEqual({
      kind: 'run',
      command: '/node',
      args: [join(PKG, 'script/install.js')],
      env: { PATH: '/usr/bin', ONNXRUNTIME_NODE_INSTALL: 'true' },
      cwd: PKG,
      files: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'],
    });
  });

  it('elsewhere says there is nothing to download, and what ships inside', () => {
    expect(gpuInstallPlan('win32', 'x64', {}, PKG, metadata.requirements)).toEqual({ kind: 'nothing', message: 'onnxruntime-node has nothing to download for win32/x64. DirectML ships inside it: use --device dml or auto.' });
    expect(gpuInstallPlan('darwin', 'arm64', {}, PKG, metadata.requirements)).toMatchObject({ kind: 'nothing', message: expect.stringContaining('CoreML ships inside it') });
    expect(gpuInstallPlan('linux', 'arm64', {}, PKG, metadata.requirements)).toEqual({ kind: 'nothing', message: 'onnxruntime-node has nothing to download for linux/arm64.' });
  });
});

describe("onnxruntime-node's install script (the facts the plan relies on)", () => {
  it('downloads CUDA 12 for Linux x64 only', () => {
    expect(metadata.requirements['linux/x64']).toEqual(['cuda12']);
    expect(Object.entries(metadata.requirements).filter(([, v]) => v.length > 0).map(([k]) => k)).toEqual(['linux/x64']);
  });

  it('reads ONNXRUNTIME_NODE_INSTALL=true as "install", before the npm config key; "cuda12" is read as nothing', () => {
    process.env.npm_config_onnxruntime_node_install = 'skip';
    process.env.ONNXRUNTIME_NODE_INSTALL = 'true';
    expect(parseInstallFlag()).toBe(true);
    delete process.env.ONNXRUNTIME_NODE_INSTALL;
    expect(parseInstallFlag()).toBe(false); // the .npmrc skip, as in a normal install
    process.env.ONNXRUNTIME_NODE_INSTALL = 'cuda12';
    expect(parseInstallFlag()).toBeUndefined(); // documented, but not returned by 1.30's parser
  });
});
