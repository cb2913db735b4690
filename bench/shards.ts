// `node bench/shards.ts`: issue 19's "K shards in parallel on this machine vs one process". Runs the
// CLI as a user would, each command its own process under /usr/bin/time:
//   one      `clipscope embed --images DIR --model M --cache one` (all images, default threads)
//   sharded  K × `clipscope embed … --shard k/K --threads T --cache shard-k`, started together; its
//            time is from the first start to the last exit
// then `clipscope cache merge` of the shard caches, and an `embed` on the merged cache, which must
// embed nothing and give the same embeddings (bit for bit) as the single run's cache. Rounds
// alternate the two ways so both see the same machine. On one machine the shards share its cores: the point is the
// recipe, not a speed-up (docs/scaling.md).
//
//   node bench/shards.ts [--images 2000] [--shards 4] [--threads-per-shard 1] [--rounds 2] [--model synthetic-b32]
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureImageSet, ensureModel, ROOT, WORK } from './inputs.ts';
import { parseBuildOutput } from './site-scale.ts';
import { runTimed } from './timed.ts';

interface Timed {
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  log: string;
}

export interface ShardRound {
  load: number;
  one: { seconds: number; cpuSeconds: number; peakRssMiB: number };
  sharded: { seconds: number; cpuSeconds: number; peakRssMiB: number[]; imagesPerShard: number[] };
  merged: { embedded: number; sameEmbeddings: boolean };
}

/** Sharded time over single-process time per round, and their median (what the docs quote). */
export function shardRatios(rounds: readonly Pick<ShardRound, 'one' | 'sharded'>[]): { ratios: number[]; median: number } {
  const ratios = rounds.map((r) => r.sharded.seconds / r.one.seconds);
  const sorted = [...ratios].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { ratios, median };
}

/** Whether two `embed --out` files hold the same images with bit-identical embeddings, in the same
 * order (their `stats` differ: the time each run took). */
export function sameItems(a: string, b: string): boolean {
  const items = (text: string) => JSON.stringify((JSON.parse(text) as { items: unknown }).items);
  return items(a) === items(b);
}

/** "Embedded 98 images in 7.1 s: 98 embedded, 0 from the cache, 0 skipped." → the counts. */
export function parseEmbedSummary(log: string): { images: number; embedded: number; fromCache: number } {
  const m = /Embedded ([\d,]+) images? in [^:]+: (\d+) embedded, (\d+) from the cache/.exec(log);
  if (!m) throw new Error(`no "Embedded … images" line in the output:\n${log.slice(-1500)}`);
  return { images: Number(m[1].replace(/,/g, '')), embedded: Number(m[2]), fromCache: Number(m[3]) };
}

const CLI = join(ROOT, 'bin', 'clipscope.js');

async function run(args: string[]): Promise<Timed> {
  const r = await runTimed([process.execPath, CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } });
  if (r.code !== 0 || !r.timeLine) throw new Error(`clipscope ${args.join(' ')} failed (exit ${r.code}):\n${r.log.slice(-2000)}`);
  const { seconds, cpuSeconds, peakRssMiB } = parseBuildOutput(r.timeLine, r.log);
  return { seconds, cpuSeconds, peakRssMiB, log: r.log };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '2000' },
      shards: { type: 'string', default: '4' },
      'threads-per-shard': { type: 'string', default: '1' },
      rounds: { type: 'string', default: '2' },
      model: { type: 'string', default: 'synthetic-b32' },
    },
  });
  const n = Number(values.images);
  const shards = Number(values.shards);
  const threads = Number(values['threads-per-shard']);
  const rounds = Number(values.rounds);
  const modelName = values.model as 'synthetic-b32' | 'synthetic-tiny';
  for (const [name, v] of [['--images', n], ['--shards', shards], ['--threads-per-shard', threads], ['--rounds', rounds]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number ≥ 1, not ${v}`);
  }
  const log = (m: string) => console.log(`[shards] ${m}`);
  const model = await ensureModel(modelName, log);
  const set = await ensureImageSet('small', n, log);
  const work = join(WORK, 'shards');
  const results: ShardRound[] = [];
  for (let round = 0; round < rounds; round++) {
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    const load = loadavg()[0];
    const base = ['embed', '--images', set.dir, '--model', model];
    const runOne = () => run([...base, '--cache', join(work, 'one')]);
    const runSharded = async () => {
      const t0 = performance.now();
      const parts = await Promise.all(Array.from({ length: shards }, (_, k) => run([...base, '--shard', `${k}/${shards}`, '--threads', String(threads), '--cache', join(work, `shard-${k}`)])));
      return { seconds: (performance.now() - t0) / 1000, parts };
    };
    // Alternate which goes first, so that neither always meets a machine the other has warmed.
    let one: Timed;
    let sharded: { seconds: number; parts: Timed[] };
    if (round % 2 === 0) {
      one = await runOne();
      sharded = await runSharded();
    } else {
      sharded = await runSharded();
      one = await runOne();
    }
    const imagesPerShard = sharded.parts.map((p) => parseEmbedSummary(p.log).embedded);
    await run(['cache', 'merge', '--cache', join(work, 'merged'), ...Array.from({ length: shards }, (_, k) => join(work, `shard-${k}`))]);
    const again = await run([...base, '--cache', join(work, 'merged'), '--out', join(work, 'merged.json')]);
    await run([...base, '--cache', join(work, 'one'), '--out', join(work, 'one.json')]);
    const same = sameItems(await readFile(join(work, 'merged.json'), 'utf8'), await readFile(join(work, 'one.json'), 'utf8'));
    const r: ShardRound = {
      load,
      one: { seconds: one.seconds, cpuSeconds: one.cpuSeconds, peakRssMiB: one.peakRssMiB },
      sharded: { seconds: sharded.seconds, cpuSeconds: sharded.parts.reduce((t, p) => t + p.cpuSeconds, 0), peakRssMiB: sharded.parts.map((p) => p.peakRssMiB), imagesPerShard },
      merged: { embedded: parseEmbedSummary(again.log).embedded, sameEmbeddings: same },
    };
    results.push(r);
    log(
      `round ${round + 1}/${rounds} (load ${load.toFixed(2)}): one process ${r.one.seconds.toFixed(1)} s (CPU ${r.one.cpuSeconds.toFixed(0)} s, peak ${r.one.peakRssMiB.toFixed(0)} MiB); ` +
        `${shards} shards × ${threads} thread(s) ${r.sharded.seconds.toFixed(1)} s (CPU ${r.sharded.cpuSeconds.toFixed(0)} s, peaks ${r.sharded.peakRssMiB.map((x) => x.toFixed(0)).join('/')} MiB, images ${imagesPerShard.join('/')}); ` +
        `ratio ${(r.sharded.seconds / r.one.seconds).toFixed(3)}; merged cache: ${r.merged.embedded} embedded, embeddings ${same ? 'identical' : 'DIFFERENT'}`,
    );
  }
  const { ratios, median } = shardRatios(results);
  log(`${shards} shards / one process, per round: ${ratios.map((x) => x.toFixed(3)).join(', ')}; median ${median.toFixed(3)} (≤ 1: no slower in total)`);
  await writeFile(join(WORK, 'shards.json'), `${JSON.stringify({ at: new Date().toISOString(), images: n, shards, threads, model: modelName, rounds: results }, null, 2)}\n`);
  await rm(work, { recursive: true, force: true });
  if (results.some((r) => r.merged.embedded !== 0 || !r.merged.sameEmbeddings)) {
    log('the merged cache did not reproduce the single run');
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
