// Which onnxruntime execution provider the model runs on (`--device`), as pure logic: what is
// available comes in as data (onnx.ts reads it from onnxruntime-node), so every branch is tested
// without the hardware.
//
// - An explicit device (cpu, cuda, dml, coreml, webgpu) is used or refused: unavailable here, or
//   failing to start, is a ClipscopeError (exit code 2) that says what to install.
// - `auto` (the default) tries the accelerators that are available, best first — CUDA, then
//   DirectML, then CoreML — and falls back to the CPU, saying why, when one fails to start.
//   WebGPU is never tried by `auto`: onnxruntime-node's WebGPU provider is experimental, and on a
//   machine without a GPU it prints driver warnings before failing; ask for it with --device webgpu.
// - Each device has its default batch size (images per call), which --batch-size overrides.
import { ClipscopeError } from '../errors.ts';

export const DEVICES = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];
/** An execution provider: a device other than `auto`. The names are onnxruntime-node's. */
export type Provider = Exclude<Device, 'auto'>;

/** What `auto` tries, best first; the CPU comes last, always. */
export const AUTO_ORDER: readonly Provider[] = ['cuda', 'dml', 'coreml'];

/**
 * Images per onnxruntime call when --batch-size is not given. CPU: 16, measured (options.ts,
 * DEFAULT_BATCH_SIZE: the vision tower's cost per image is flat in the batch size on CPU, and 32
 * only raised memory). The accelerators' values are NOT measured (there was no GPU where this was
 * written): a GPU keeps its cores busy only with larger batches, and 64 ViT-B/32 images are a 38 MB
 * input tensor, which any CUDA card holds; DirectML and WebGPU share memory with the display more
 * often, so 32; CoreML runs partly on the CPU, so the CPU's 16. Override with --batch-size.
 */
export const DEVICE_BATCH_SIZE: Readonly<Record<Provider, number>> = { cpu: 16, cuda: 64, dml: 32, coreml: 16, webgpu: 32 };

/** Names for messages. */
export const PROVIDER_LABEL: Readonly<Record<Provider, string>> = {
  cpu: 'the CPU',
  cuda: 'CUDA (NVIDIA GPU)',
  dml: 'DirectML (Windows GPU)',
  coreml: 'CoreML (Apple)',
  webgpu: 'WebGPU',
};

/** The command that installs onnxruntime-node's CUDA provider (package.json). */
export const GPU_INSTALL_COMMAND = 'npm run gpu:install';

/** What the onnxruntime binding offers on this machine. */
export interface Availability {
  platform: string;
  arch: string;
  /** onnxruntime-node's version, for messages. */
  version: string;
  /** The binding's providers (onnxruntime-node's listSupportedBackends()): `bundled` false means
   * its libraries are downloaded by the package's install script, not shipped in the package. */
  backends: readonly { name: string; bundled: boolean }[];
  /** Whether the libraries of a provider that is not bundled are installed. */
  installed(name: string): boolean;
}

export type ProviderStatus = { available: true } | { available: false; reason: string; install: string };

/** What to install for each provider, when it is missing. */
function installHint(p: Provider, a: Availability): string {
  switch (p) {
    case 'cuda':
      return a.platform === 'linux' && a.arch === 'x64'
        ? `Install the CUDA provider with \`${GPU_INSTALL_COMMAND}\` (onnxruntime-node's CUDA 12 binaries), with NVIDIA's driver, CUDA 12 runtime and cuDNN 9 on the machine; or run with --device auto or cpu.`
        : `onnxruntime-node ships CUDA for Linux x64 only; on ${a.platform}/${a.arch} use --device auto${a.platform === 'win32' ? ' (DirectML)' : a.platform === 'darwin' ? ' (CoreML)' : ''} or cpu.`;
    case 'dml':
      return 'DirectML comes with onnxruntime-node on Windows only (x64, arm64); elsewhere use --device auto or cpu.';
    case 'coreml':
      return 'CoreML comes with onnxruntime-node on macOS only; elsewhere use --device auto or cpu.';
    case 'webgpu':
      return `This onnxruntime-node (${a.version}) has no WebGPU provider for ${a.platform}/${a.arch}; use --device auto or cpu.`;
    default:
      return 'Use --device cpu.';
  }
}

export function providerStatus(p: Provider, a: Availability): ProviderStatus {
  if (p === 'cpu') return { available: true };
  const backend = a.backends.find((b) => b.name === p);
  if (!backend) {
    return { available: false, reason: `onnxruntime-node ${a.version} has no ${PROVIDER_LABEL[p]} provider on ${a.platform}/${a.arch}`, install: installHint(p, a) };
  }
  if (!backend.bundled && !a.installed(p)) {
    return { available: false, reason: `the ${PROVIDER_LABEL[p]} provider's libraries are not installed (npm installs skip their download)`, install: installHint(p, a) };
  }
  return { available: true };
}

export interface DevicePlan {
  requested: Device;
  /** Providers to try, in order; auto always ends with 'cpu'. */
  candidates: Provider[];
  /** Providers auto did not try, and why. */
  skipped: { provider: Provider; reason: string }[];
}

/** The providers to try for a requested device. An explicit device that is unavailable throws. */
export function planDevice(requested: Device, a: Availability): DevicePlan {
  if (requested !== 'auto') {
    const status = providerStatus(requested, a);
    if (!status.available) {
      throw new ClipscopeError('device', `Device ${requested} (--device ${requested}) is not available here: ${status.reason}.`, status.install);
    }
    return { requested, candidates: [requested], skipped: [] };
  }
  const candidates: Provider[] = [];
  const skipped: DevicePlan['skipped'] = [];
  for (const p of AUTO_ORDER) {
    const status = providerStatus(p, a);
    if (status.available) candidates.push(p);
    else if (a.backends.some((b) => b.name === p)) skipped.push({ provider: p, reason: status.reason }); // offered here, but not installed
  }
  candidates.push('cpu');
  return { requested, candidates, skipped };
}

/** The device choice of one model: sessions open on `current()`; when one fails to start,
 * `failed()` moves `auto` on to the next candidate (at last the CPU) or throws for an explicit device. */
export interface DeviceSelection {
  readonly requested: Device;
  current(): Provider;
  /** Why the selection is not on its first candidate (or skipped one), for the run metadata; null when nothing fell back. */
  fallback(): string | null;
  /** The batch size for the current provider. */
  batchSize(): number;
  /** A session failed to start on `provider` (not the CPU): fall back, or throw. */
  failed(provider: Provider, reason: string): void;
}

export function createDeviceSelection(plan: DevicePlan, log: (message: string) => void): DeviceSelection {
  let index = 0;
  let fellBack: string | null = null;
  const describe = (p: Provider) => (p === 'cpu' ? 'cpu' : `${p} (${PROVIDER_LABEL[p]})`);
  if (plan.requested === 'auto') {
    // Only providers offered here but not installed are named (CUDA on Linux x64), briefly: this
    // line appears in every run; `clipscope doctor` has the details.
    const notes = plan.skipped.map((s) => (s.provider === 'cuda' ? `cuda is not installed: \`${GPU_INSTALL_COMMAND}\`` : `${s.provider} is not installed`));
    log(`device: ${describe(plan.candidates[0])}, chosen by --device auto${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
  } else if (plan.requested !== 'cpu') {
    log(`device: ${describe(plan.requested)}`);
  }
  return {
    requested: plan.requested,
    current: () => plan.candidates[index],
    fallback: () => fellBack,
    batchSize: () => DEVICE_BATCH_SIZE[plan.candidates[index]],
    failed(provider, reason) {
      if (provider !== plan.candidates[index]) return; // another session already moved on
      if (plan.requested !== 'auto') {
        throw new ClipscopeError(
          'device',
          `Device ${provider} (--device ${provider}) failed to start: ${reason}`,
          provider === 'cuda'
            ? `Check the NVIDIA driver (nvidia-smi), CUDA 12 and cuDNN 9 libraries (on LD_LIBRARY_PATH), and re-run \`${GPU_INSTALL_COMMAND}\`; or run with --device auto (falls back to the CPU) or cpu.`
            : 'Run with --device auto (falls back to the CPU) or cpu.',
        );
      }
      index++;
      const next = plan.candidates[index];
      fellBack = `${provider} failed to start (${reason}); fell back to ${describe(next)}`;
      log(`device: ${fellBack}.`);
    },
  };
}
