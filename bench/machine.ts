// What the numbers were measured on: CPU, cores, memory, load, and the versions that matter.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './inputs.ts';

/** CPU seconds (user + system, all threads) used by this process so far: a load-independent view of
 * the work per image, to read beside wall-clock rates on a shared machine. */
export const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export interface Machine {
  cpu: string;
  cores: number;
  /** CPU features that change onnxruntime's kernels. */
  features: string[];
  memoryGiB: number;
  os: string;
  node: string;
  versions: Record<string, string>;
  loadAtStart: number[];
}

/** The installed version of a package: the project's, or (for the peer) the benchmark's own
 * (bench/package.json). */
function packageVersion(name: string, from = ROOT): string {
  try {
    return (JSON.parse(readFileSync(join(from, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function cpuFlags(): string[] {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/));
    return ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni', 'amx_int8'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

export async function describeMachine(): Promise<Machine> {
  const sharp = (await import('sharp')).default;
  const clipscope = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    features: cpuFlags(),
    memoryGiB: totalmem() / 2 ** 30,
    os: `${platform()} ${release()}`,
    node: process.version,
    versions: {
      clipscope,
      'onnxruntime-node': packageVersion('onnxruntime-node'),
      sharp: packageVersion('sharp'),
      libvips: sharp.versions.vips,
      '@huggingface/transformers': packageVersion('@huggingface/transformers', join(ROOT, 'bench')),
    },
    loadAtStart: loadavg(),
  };
}

export function machineLine(m: Machine): string {
  return (
    `${m.cpu}, ${m.cores} cores (${m.features.join(', ') || 'no AVX2'}), ${m.memoryGiB.toFixed(0)} GiB, ${m.os}; Node ${m.node}, ` +
    Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')
  );
}
