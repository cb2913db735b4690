// `npm run gpu:install`: downloads onnxruntime-node's GPU provider libraries (CUDA 12 on Linux x64),
// which a normal install skips (package.json's allowScripts, or ONNXRUNTIME_NODE_INSTALL=skip) so installs stay offline and
// inside the npm registry. It runs onnxruntime-node's own install script with the one setting that
// makes it download them in onnxruntime-node 1.30: ONNXRUNTIME_NODE_INSTALL=true ("install the
// files this platform does not bundle"). The script's documented `=cuda12` does not work there: its
// parseInstallFlag() returns nothing for that value, and inside `npm run` the script then takes the
// project for onnxruntime's own checkout and exits without downloading (test/unit/gpu-install.test.ts
// pins both facts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindingDir, providerLibrary } from '../integrations/engine/model/onnx.ts';

export type GpuInstallPlan =
  | { kind: 'run'; command: string; args: string[]; env: Record<string, string | undefined>; cwd: string; files: string[] }
  | { kind: 'nothing'; message: string };

/** What `npm run gpu:install` does on a platform: `requirements` is onnxruntime-node's
 * install-metadata.js `requirements` (platform/arch → the downloads it knows). */
export function gpuInstallPlan(
  platform: string,
  arch: string,
  env: Record<string, string | undefined>,
  packageDir: string,
  requirements: Record<string, string[]>,
  nodePath = process.execPath,
): GpuInstallPlan {
  const wanted = requirements[`${platform}/${arch}`] ?? [];
  if (wanted.length === 0) {
    const bundled =
      platform === 'win32' ? ' DirectML ships inside it: use --device dml or auto.' : platform === 'darwin' ? ' CoreML ships inside it: use --device coreml or auto.' : '';
    return { kind: 'nothing', message: `onnxruntime-node has nothing to download for ${platform}/${arch}.${bundled}` };
  }
  // A skip set in a user's npm config (onnxruntime-node-install=skip, passed as an environment
  // variable) must not override the request.
  const clean = Object.fromEntries(Object.entries(env).filter(([k]) => !/^npm_config_onnxruntime_node_install/i.test(k) && k !== 'ONNXRUNTIME_NODE_INSTALL_CUDA'));
  return {
    kind: 'run',
    command: nodePath,
    args: [join(packageDir, 'script', 'install.js')],
    env: { ...clean, ONNXRUNTIME_NODE_INSTALL: 'true' },
    cwd: packageDir,
    files: [providerLibrary('cuda', platform), providerLibrary('shared', platform)],
  };
}

function main(): void {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('onnxruntime-node/package.json'));
  const metadata = require(join(packageDir, 'script', 'install-metadata.js')) as { requirements: Record<string, string[]> };
  const plan = gpuInstallPlan(process.platform, process.arch, process.env, packageDir, metadata.requirements);
  if (plan.kind === 'nothing') {
    process.stdout.write(`${plan.message}\n`);
    return;
  }
  process.stdout.write(`Downloading onnxruntime-node's GPU providers (${plan.files.join(', ')}) from NuGet…\n`);
  const r = spawnSync(plan.command, plan.args, { cwd: plan.cwd, env: plan.env as NodeJS.ProcessEnv, stdio: 'inherit' });
  const missing = plan.files.filter((f) => !existsSync(join(bindingDir(), f)));
  if (r.status !== 0 || missing.length > 0) {
    process.stderr.write(
      `gpu:install: onnxruntime-node's install script ${r.status !== 0 ? `failed (exit code ${r.status})` : 'ran'}` +
        (missing.length > 0 ? `, and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} still missing in ${bindingDir()}` : '') +
        '. It needs https://api.nuget.org (set HTTPS_PROXY / GLOBAL_AGENT_HTTPS_PROXY behind a proxy).\n',
    );
    process.exit(1);
  }
  process.stdout.write('Installed. NVIDIA\'s driver, CUDA 12 runtime and cuDNN 9 must be on the machine too; `npx clipscope doctor` shows whether cuda is available.\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
