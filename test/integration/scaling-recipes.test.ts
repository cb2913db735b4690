// The recipes of docs/scaling.md, run as far as this machine can: the Slurm scripts as bash with the
// variables sbatch would set (and the real clipscope command, on the tiny model), the Kubernetes
// manifest and the GitHub Actions workflow parsed and their commands run with a stand-in `npx` that
// prints its arguments.
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/clipscope.js');
const MODEL = join(ROOT, 'models/synthetic-tiny');
const RECIPES = join(ROOT, 'docs/recipes');

let tmp: string;
let fakeBin: string;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: tmp, env: { PATH: process.env.PATH!, HOME: tmp, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-recipes-'));
  await mkdir(join(tmp, 'images'));
  for (const name of ['horse.png', 'coins.png', 'rocket.jpg', 'coffee.png', 'camera.png']) await cp(join(ROOT, 'content/images', name), join(tmp, 'images', name));
  // A stand-in for npx: prints its arguments, one per line.
  fakeBin = join(tmp, 'fake-bin');
  await mkdir(fakeBin);
  await writeFile(join(fakeBin, 'npx'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
  await chmod(join(fakeBin, 'npx'), 0o755);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('Slurm job array (docs/recipes/slurm-*.sbatch)', () => {
  const common = { CLIPSCOPE: `${process.execPath} ${BIN}`, CLIPSCOPE_MODEL: MODEL, SLURM_CPUS_PER_TASK: '1', CLIPSCOPE_CACHE_DIR: '' };
  const task = (k: number, n: number) => ({ SLURM_ARRAY_TASK_ID: String(k), SLURM_ARRAY_TASK_COUNT: String(n), SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: String(n - 1) });

  it('each array task embeds its part into shards/shard-K, and the merge job joins them', async () => {
    const env = { ...common, CLIPSCOPE_IMAGES: join(tmp, 'images') };
    let embedded = 0;
    for (const k of [0, 1, 2]) {
      const r = await run('bash', [join(RECIPES, 'slurm-embed.sbatch')], { ...env, ...task(k, 3) });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`shard ${k}/3: `);
      embedded += Number(/: (\d+) embedded/.exec(r.stderr)![1]);
    }
    expect(embedded).toBe(5);
    const merged = await run('bash', [join(RECIPES, 'slurm-merge.sbatch')], { ...env, CLIPSCOPE_CACHE_DIR: 'merged' });
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/^Merged 3 caches into .*merged\/embeddings\.sqlite: 5 new image embeddings\.$/m);
  });

  it('the real-Slurm check (npm run test:slurm, not run here: it starts system daemons) is valid bash and submits these recipes', async () => {
    const script = join(ROOT, 'scripts/slurm-e2e.sh');
    const r = await run('bash', ['-n', script], {});
    expect(r.code, r.stderr).toBe(0);
    const text = await readFile(script, 'utf8');
    expect(text).toContain('docs/recipes/slurm-embed.sbatch');
    expect(text).toContain('docs/recipes/slurm-merge.sbatch');
  });

  it('refuses an array not numbered from 0, and a run outside an array', async () => {
    const env = { ...common, CLIPSCOPE_IMAGES: join(tmp, 'images') };
    const ones = await run('bash', [join(RECIPES, 'slurm-embed.sbatch')], { ...env, SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '3' });
    expect(ones.code).toBe(2);
    expect(ones.stderr).toContain('submit the array as --array=0-2 (parts are numbered from 0; this array is 1-3)');
    const plain = await run('bash', [join(RECIPES, 'slurm-embed.sbatch')], env);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain('not an array task: submit with sbatch --array=0-(N-1)');
  });

  it('declares its resources as #SBATCH lines, and the merge job fails clearly without shards', async () => {
    const text = await readFile(join(RECIPES, 'slurm-embed.sbatch'), 'utf8');
    expect(text).toMatch(/^#SBATCH --cpus-per-task=\d+$/m);
    expect(text).not.toMatch(/^#SBATCH --array/m); // N is chosen at submission
    const r = await run('bash', [join(RECIPES, 'slurm-merge.sbatch')], { ...common, CLIPSCOPE_SHARDS_DIR: 'nowhere' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no shard caches in nowhere');
  });
});

describe('Kubernetes Indexed Job (docs/recipes/k8s-indexed-job.yaml)', () => {
  it('is an Indexed Job with one completion per part, whose pods pass JOB_COMPLETION_INDEX as K', async () => {
    const job = parse(await readFile(join(RECIPES, 'k8s-indexed-job.yaml'), 'utf8'));
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job' });
    expect(job.spec.completionMode).toBe('Indexed');
    const container = job.spec.template.spec.containers[0];
    const shards = Number(container.env.find((e: { name: string }) => e.name === 'SHARDS').value);
    expect(job.spec.completions).toBe(shards);
    expect(job.spec.parallelism).toBeLessThanOrEqual(shards);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    const [shell, flag, script] = container.command;
    expect([shell, flag]).toEqual(['/bin/sh', '-c']);
    expect(script).toContain('$JOB_COMPLETION_INDEX');

    // The pod's command, as the pod with index 2 runs it (npx replaced by the stand-in).
    const r = await run('/bin/sh', ['-c', script], { PATH: `${fakeBin}:${process.env.PATH}`, JOB_COMPLETION_INDEX: '2', SHARDS: String(shards) });
    expect(r.code, r.stderr).toBe(0);
    const args = r.stdout.trim().split('\n');
    expect(args.slice(0, 2)).toEqual(['clipscope', 'embed']);
    expect(args[args.indexOf('--shard') + 1]).toBe(`2/${shards}`);
    expect(args[args.indexOf('--cache') + 1]).toBe('/data/shards/shard-2');
  });
});

describe('GitHub Actions matrix (docs/recipes/github-actions-shards.yml)', () => {
  it('runs one job per part 0 … SHARDS − 1 and a merge job after them; its embed step passes K/N', async () => {
    const workflow = parse(await readFile(join(RECIPES, 'github-actions-shards.yml'), 'utf8'));
    const shards = workflow.env.SHARDS;
    expect(workflow.jobs.embed.strategy.matrix.shard).toEqual(Array.from({ length: shards }, (_, k) => k));
    expect(workflow.jobs.embed.strategy['fail-fast']).toBe(false);
    expect(workflow.jobs.report.needs).toBe('embed');
    const runs = (job: { steps: { run?: string }[] }) => job.steps.map((s) => s.run).filter((r): r is string => Boolean(r));
    expect(runs(workflow.jobs.report)).toContain('npx clipscope cache merge --cache .clipscope shards/shard-*');

    const embed = runs(workflow.jobs.embed).find((r) => r.includes('clipscope embed'))!;
    // What the runner executes for matrix.shard = 1 (expressions substituted first, as Actions does).
    const script = embed.replaceAll('${{ matrix.shard }}', '1');
    expect(script).not.toContain('${{');
    const r = await run('bash', ['-c', script], { PATH: `${fakeBin}:${process.env.PATH}`, SHARDS: String(shards), CLIPSCOPE_IMAGES: 'content/images', CLIPSCOPE_MODEL: 'models/m' });
    expect(r.code, r.stderr).toBe(0);
    const args = r.stdout.trim().split('\n');
    expect(args[args.indexOf('--shard') + 1]).toBe(`1/${shards}`);
    expect(args[args.indexOf('--cache') + 1]).toBe('shards/shard-1');
    const upload = workflow.jobs.embed.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload.with.path).toBe('shards/shard-${{ matrix.shard }}');
  });
});
