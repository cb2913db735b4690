// `npm run bench`: clipscope's performance against the model's own speed and against transformers.js,
// on inputs the harness makes itself (see inputs.ts), with the results as a table on stdout, JSON in
// bench/.work/results.json, and docs/performance.md + its plots regenerated.
//
//   npm run bench                      # the standard run: N = 300 social-media-sized images
//   npm run bench -- --n 120 --repeat 1 # quicker
//   npm run bench -- --scale           # also 100 → 1,000 → 10,000 images and the cache scenarios (~15 min)
//   npm run bench -- --scale-only      # only those (reuses the last standard run's numbers in the docs)
//   npm run bench -- --levers          # thread/batch/concurrency settings, one at a time
//   npm run bench -- --site-scale      # the whole report (astro build) at 1,000 → 10,000 → 100,000 images
//   npm run bench -- --docs-only       # rewrite docs/performance.md and the plots from the last results
//
// Every measurement runs in its own process (tasks.ts); each is repeated --repeat times, rounds
// interleaved (bound, clipscope, peer, bound, …) so a burst of load from elsewhere hits them alike,
// and the best of the repeats counts. See docs/performance.md for what each number means.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_BATCH_SIZE } from '../integrations/engine/options.ts';
import { ensureDictionaries, ensureImageSet, ensureModel, linkSubset, ROOT, WORK } from './inputs.ts';
import { describeMachine, machineLine, type Machine } from './machine.ts';
import { scalePlot, throughputPlot, timeAndMemoryPlot, type Series } from './plots.ts';
import { renderDoc, siteScaleSection, summaryTable, WARM_BUILD_LIMIT_SECONDS, withSiteScaleSection } from './report.ts';
import { mean, siteScale, type SiteScalePoint, WARM_RUNS, warmBuilds } from './site-scale.ts';
import type { Agreement, Args, R, Results } from './results.ts';
import type { TaskResult } from './tasks.ts';

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

const USAGE = `npm run bench [-- options]   (the peer, transformers.js, needs \`npm --prefix bench ci\` once)
  --n N               images in the standard run (default 300)
  --repeat K          rounds of each measurement; the best counts (default 2)
  --batch-sizes LIST  batch sizes of the bound's sweep (default 1,4,8,16,32)
  --sweep N           images per sweep point (default 96)
  --threads N         intra-op threads (default: the machine's cores)
  --peer-batch N      transformers.js batch size (default clipscope's)
  --scale             also 100 → 1,000 → 10,000 images and the cache scenarios (--scale-sizes LIST)
  --scale-only        only those (reuses the last standard run)
  --levers            thread/batch/concurrency settings, one at a time
  --site-scale        only the whole report (astro build, cold and warm) at --site-scale-sizes LIST
                      images (default 1000,10000,100000); updates its section of docs/performance.md
                      (with --docs-only: only that section, from bench/.work/site-scale.json)
  --site-scale-warm-runs K
                      warm builds per size (default 3; "flat in N" compares their mean peaks)
  --site-scale-keep   keep each size's cache (bench/.work/site-cache-N) for more warm builds by hand
  --docs-only         rewrite docs/performance.md and the plots from the last results
  --no-peer, --no-int8, --no-docs   leave out transformers.js, the int8 model, the docs
`;

/** The peer is bench/package.json's own dependency (kept out of the project's install): when it is
 * missing, say how to install it instead of failing in the middle of a run. */
function checkPeerInstalled(): void {
  try {
    import.meta.resolve('@huggingface/transformers');
  } catch {
    log('the peer, transformers.js (@huggingface/transformers), is not installed. The benchmark keeps it in its own');
    log('package (bench/package.json), out of the project\'s install: run `npm --prefix bench ci` once, then');
    log('`npm run bench` again, or run without the peer: `npm run bench -- --no-peer`.');
    process.exit(2);
  }
}

function parse(): Args {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '300' },
      repeat: { type: 'string', default: '2' },
      'batch-sizes': { type: 'string', default: '1,4,8,16,32' },
      sweep: { type: 'string', default: '96' },
      threads: { type: 'string', default: String(availableParallelism()) },
      'peer-batch': { type: 'string', default: String(DEFAULT_BATCH_SIZE) },
      scale: { type: 'boolean', default: false },
      'scale-only': { type: 'boolean', default: false },
      'scale-sizes': { type: 'string', default: '100,1000,10000' },
      levers: { type: 'boolean', default: false },
      'site-scale': { type: 'boolean', default: false },
      'site-scale-sizes': { type: 'string', default: '1000,10000,100000' },
      'site-scale-keep': { type: 'boolean', default: false },
      'site-scale-warm-runs': { type: 'string', default: String(WARM_RUNS) },
      'docs-only': { type: 'boolean', default: false },
      'no-peer': { type: 'boolean', default: false },
      'no-int8': { type: 'boolean', default: false },
      'no-docs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const ints = (s: string) => s.split(',').map((x) => Number(x.trim())).filter((x) => Number.isInteger(x) && x > 0);
  return {
    n: Number(values.n),
    repeat: Math.max(1, Number(values.repeat)),
    batchSizes: ints(values['batch-sizes']!),
    sweep: Number(values.sweep),
    threads: Number(values.threads),
    peerBatch: Number(values['peer-batch']),
    scale: values.scale! || values['scale-only']!,
    scaleOnly: values['scale-only']!,
    scaleSizes: ints(values['scale-sizes']!).sort((a, b) => a - b),
    levers: values.levers!,
    siteScale: values['site-scale']!,
    siteScaleSizes: ints(values['site-scale-sizes']!).sort((a, b) => a - b),
    siteScaleKeep: values['site-scale-keep']!,
    siteScaleWarmRuns: Number(values['site-scale-warm-runs']),
    docsOnly: values['docs-only']!,
    peer: !values['no-peer'],
    int8: !values['no-int8'],
    docs: !values['no-docs'],
  };
}

/** Run one task in a fresh process and return its RESULT line. */
function runTask(task: string, args: unknown, env: Record<string, string> = {}): Promise<TaskResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', join(ROOT, 'bench/tasks.ts'), task, JSON.stringify(args)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) return reject(new Error(`task ${task} failed (exit ${code}):\n${out.slice(-2000)}`));
      resolve(JSON.parse(line.slice(7)) as TaskResult);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Embedding agreement

function f32(bytes: Buffer): Float32Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

function cosines(a: Float32Array, b: Float32Array, dim: number, count: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < count; r++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i < dim; i++) {
      const x = a[r * dim + i];
      const y = b[r * dim + i];
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    out.push(ab / Math.sqrt(aa * bb));
  }
  return out;
}

function agreement(values: number[], files: string[]): Agreement {
  const sorted = [...values].sort((a, b) => a - b);
  const order = values.map((v, i) => ({ file: files[i]?.split('/').pop() ?? String(i), cosine: v })).sort((a, b) => a.cosine - b.cosine);
  return {
    count: values.length,
    min: sorted[0],
    median: sorted[Math.floor(sorted.length / 2)],
    mean: values.reduce((s, v) => s + v, 0) / values.length,
    below: values.filter((v) => v < 0.999).length,
    worst: order.slice(0, 5),
  };
}

/** The PIL reference preprocessing (test/fixtures/clip_preprocess_reference.py, OpenAI's clip.load()
 * with PIL) for the first files, when a python3 with Pillow and numpy is installed. */
function referenceTensors(files: string[], out: string): boolean {
  const script = join(ROOT, 'test/fixtures/clip_preprocess_reference.py');
  if (!existsSync(script)) return false;
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import PIL, numpy'], { stdio: 'ignore' });
    if (probe.status !== 0) continue;
    const r = spawnSync(python, [script, out, ...files], { stdio: ['ignore', 'ignore', 'inherit'] });
    return r.status === 0;
  }
  return false;
}

/** float32 data of a little-endian .npy file. */
function npyData(bytes: Buffer): Float32Array {
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.toString('latin1', 10, 10 + headerLength);
  if (!header.includes("'<f4'")) throw new Error(`unexpected .npy dtype: ${header}`);
  return f32(bytes.subarray(10 + headerLength));
}

// ---------------------------------------------------------------------------------------------

const best = <T>(items: T[], key: (t: T) => number): T => items.reduce((a, c) => (key(c) > key(a) ? c : a));

async function standard(args: Args, machine: Machine): Promise<Results> {
  const model = await ensureModel('synthetic-b32', log);
  const set = await ensureImageSet('social', args.n, log);
  const warm = await linkSubset(set, 16, join(WORK, 'social-warm-16'));
  const dicts = await ensureDictionaries();
  const runs: Record<string, R[]> = { bound: [], clipscope: [], peer: [], peerSequential: [], peerSingle: [], clipscopeCache: [], boundInt8: [], clipscopeInt8: [] };
  const files = set.files;
  const oursEmb = join(WORK, 'emb-ours.f32');
  const theirsEmb = join(WORK, 'emb-transformersjs.f32');
  const tensorsFile = join(WORK, 'tensors-first16.f32');
  const classifyArgs = (variant: 'fp32' | 'quantized', cache: string | null) => ({
    model,
    variant,
    images: set.dir,
    warmImages: warm.dir,
    dictionary: dicts.base,
    threads: args.threads,
    cache,
    freshCache: true,
    csv: join(WORK, 'results.csv'),
  });

  for (let round = 1; round <= args.repeat; round++) {
    log(`round ${round}/${args.repeat} (load ${loadavg()[0].toFixed(2)})`);
    const first = round === 1;
    const b = (await runTask('bound', {
      model,
      variant: 'fp32',
      files,
      batchSizes: args.batchSizes,
      sweepImages: args.sweep,
      threads: args.threads,
      ...(first ? { embeddingsOut: oursEmb, tensorsOut: tensorsFile, tensorsCount: 16 } : {}),
    })) as R;
    runs.bound.push(b);
    log(`  bound fp32: ${b.imagesPerSecond.toFixed(2)} images/s at batch ${b.bestBatchSize} (sweep ${b.sweep.map((s: R) => `${s.batchSize}:${s.imagesPerSecond.toFixed(1)}`).join(' ')})`);

    const c = (await runTask('classify', classifyArgs('fp32', null))) as R;
    runs.clipscope.push(c);
    log(`  clipscope fp32 --no-cache: ${c.marginalImagesPerSecond.toFixed(2)} images/s per image (${c.imagesPerSecond.toFixed(2)} with startup, ${c.seconds.toFixed(1)} s)`);

    if (args.peer) {
      const p = (await runTask('peer', {
        model,
        variant: 'fp32',
        files,
        batchSize: args.peerBatch,
        ...(first ? { embeddingsOut: theirsEmb, tensorsIn: tensorsFile, tensorsCount: 16 } : {}),
      })) as R;
      runs.peer.push(p);
      log(`  transformers.js fp32, batches of ${args.peerBatch}: ${p.imagesPerSecond.toFixed(2)} images/s (its preprocessing alone ${p.prepareImagesPerSecond.toFixed(1)} images/s)`);
      const ps = (await runTask('peer', { model, variant: 'fp32', files, batchSize: args.peerBatch, read: 'sequential' })) as R;
      runs.peerSequential.push(ps);
      log(`  transformers.js fp32, batches of ${args.peerBatch}, files read one after another: ${ps.imagesPerSecond.toFixed(2)} images/s (its preprocessing alone ${ps.prepareImagesPerSecond.toFixed(1)} images/s)`);
      const p1 = (await runTask('peer', { model, variant: 'fp32', files: files.slice(0, Math.min(files.length, 150)), batchSize: 1 })) as R;
      runs.peerSingle.push(p1);
      log(`  transformers.js fp32, one image at a time: ${p1.imagesPerSecond.toFixed(2)} images/s`);
    }

    const cc = (await runTask('classify', classifyArgs('fp32', join(WORK, 'cache-overhead')))) as R;
    runs.clipscopeCache.push(cc);
    log(`  clipscope fp32 with a cold cache: ${cc.seconds.toFixed(1)} s (no cache: ${c.seconds.toFixed(1)} s)`);

    if (args.int8) {
      const bq = (await runTask('bound', { model, variant: 'quantized', files, batchSizes: args.batchSizes, sweepImages: args.sweep, threads: args.threads })) as R;
      runs.boundInt8.push(bq);
      log(`  bound int8: ${bq.imagesPerSecond.toFixed(2)} images/s at batch ${bq.bestBatchSize}`);
      const cq = (await runTask('classify', classifyArgs('quantized', null))) as R;
      runs.clipscopeInt8.push(cq);
      log(`  clipscope int8 --no-cache: ${cq.marginalImagesPerSecond.toFixed(2)} images/s per image`);
    }
  }

  // Embedding agreement: ours (the engine's preprocessing + onnxruntime) vs transformers.js.
  const dim = runs.bound[0].dim as number;
  const cos: Record<string, Agreement> = {};
  if (args.peer) {
    const ours = f32(await readFile(oursEmb));
    cos.endToEnd = agreement(cosines(ours, f32(await readFile(theirsEmb)), dim, files.length), files);
    cos.sameTensors = agreement(cosines(ours, f32(await readFile(`${theirsEmb}.tensors`)), dim, 16), files);
    // Who is closer to OpenAI's own (PIL) preprocessing? Embed the reference tensors of every file.
    const refCount = files.length;
    const npy = join(WORK, 'reference-tensors.npy');
    if (referenceTensors(files.slice(0, refCount), npy)) {
      const refTensors = join(WORK, 'reference-tensors.f32');
      await writeFile(refTensors, npyData(await readFile(npy)));
      const refEmb = join(WORK, 'emb-reference.f32');
      await runTask('bound', { model, variant: 'fp32', files: files.slice(0, 1), batchSizes: [1], sweepImages: 1, threads: args.threads, referenceIn: refTensors, referenceCount: refCount, referenceOut: refEmb });
      const ref = f32(await readFile(refEmb));
      cos.oursVsReference = agreement(cosines(ours, ref, dim, refCount), files);
      cos.theirsVsReference = agreement(cosines(f32(await readFile(theirsEmb)), ref, dim, refCount), files);
    } else {
      log('PIL reference skipped (needs python3 with Pillow and numpy)');
    }
  }

  const boundBest = best(runs.bound, (r) => r.imagesPerSecond);
  const sweep = args.batchSizes.map((bs) => {
    const rates = runs.bound.flatMap((r) => (r.sweep as R[]).filter((s) => s.batchSize === bs).map((s) => s.imagesPerSecond as number));
    const rates8 = runs.boundInt8.flatMap((r) => (r.sweep as R[]).filter((s) => s.batchSize === bs).map((s) => s.imagesPerSecond as number));
    return { batchSize: bs, fp32: rates.length ? Math.max(...rates) : null, int8: rates8.length ? Math.max(...rates8) : null };
  });
  // Per-image rate from the fastest full and warm-up runs: (N − 16) / (T_N − T_16).
  const marginal = (rs: R[]) => {
    if (rs.length === 0) return null;
    const tFull = Math.min(...rs.map((r) => r.seconds));
    const tWarm = Math.min(...rs.map((r) => r.warm.seconds));
    const n = rs[0].images;
    const n0 = rs[0].warm.images;
    return {
      imagesPerSecond: (n - n0) / (tFull - tWarm),
      withStartupImagesPerSecond: n / tFull,
      seconds: tFull,
      fixedSeconds: tWarm - (n0 * (tFull - tWarm)) / (n - n0),
      peakRssMiB: Math.max(...rs.map((r) => r.peakRssMiB)),
      images: n,
      embedded: rs[0].embedded,
    };
  };
  const clipscope = marginal(runs.clipscope)!;
  const clipscopeInt8 = marginal(runs.clipscopeInt8);
  const peer = runs.peer.length ? best(runs.peer, (r) => r.imagesPerSecond) : null;
  const peerSingle = runs.peerSingle.length ? best(runs.peerSingle, (r) => r.imagesPerSecond) : null;
  const peerSequential = runs.peerSequential.length ? best(runs.peerSequential, (r) => r.imagesPerSecond) : null;
  const boundInt8 = runs.boundInt8.length ? best(runs.boundInt8, (r) => r.imagesPerSecond) : null;
  const tNoCache = Math.min(...runs.clipscope.map((r) => r.seconds));
  const tCache = Math.min(...runs.clipscopeCache.map((r) => r.seconds));

  const peerSummary = (p: R) => ({
    imagesPerSecond: p.imagesPerSecond,
    batchSize: p.batchSize,
    prepareImagesPerSecond: p.prepareImagesPerSecond,
    inferImagesPerSecond: p.images / p.inferSeconds,
    peakRssMiB: p.peakRssMiB,
    ratioToBound: p.imagesPerSecond / boundBest.imagesPerSecond,
  });
  const summary = {
    bound: { imagesPerSecond: boundBest.imagesPerSecond, batchSize: boundBest.bestBatchSize, peakRssMiB: boundBest.peakRssMiB, prepareImagesPerSecond: Math.max(...runs.bound.map((r) => r.prepareImagesPerSecond)) },
    sweep,
    clipscope: { ...clipscope, ratioToBound: clipscope.imagesPerSecond / boundBest.imagesPerSecond, ratioToPeer: peer ? clipscope.imagesPerSecond / peer.imagesPerSecond : null },
    peer: peer ? { ...peerSummary(peer), version: peer.version } : null,
    peerSequential: peerSequential ? { ...peerSummary(peerSequential), clipscopeRatio: clipscope.imagesPerSecond / peerSequential.imagesPerSecond } : null,
    peerSingle: peerSingle
      ? {
          imagesPerSecond: peerSingle.imagesPerSecond,
          images: peerSingle.images,
          ratioToBound: peerSingle.imagesPerSecond / boundBest.imagesPerSecond,
          clipscopeRatio: clipscope.imagesPerSecond / peerSingle.imagesPerSecond,
        }
      : null,
    boundInt8: boundInt8 ? { imagesPerSecond: boundInt8.imagesPerSecond, batchSize: boundInt8.bestBatchSize, speedup: boundInt8.imagesPerSecond / boundBest.imagesPerSecond } : null,
    clipscopeInt8: clipscopeInt8 ? { ...clipscopeInt8, speedup: clipscopeInt8.imagesPerSecond / clipscope.imagesPerSecond, ratioToBound: boundInt8 ? clipscopeInt8.imagesPerSecond / boundInt8.imagesPerSecond : null } : null,
    cacheOverhead: {
      noCacheSeconds: tNoCache,
      coldCacheSeconds: tCache,
      overhead: tCache / tNoCache - 1,
      // CPU time is steadier than wall time on a shared machine.
      cpuOverhead: Math.min(...runs.clipscopeCache.map((r) => r.cpuSeconds)) / Math.min(...runs.clipscope.map((r) => r.cpuSeconds)) - 1,
    },
    cosine: cos,
    // CPU milliseconds (all threads) per image: the work itself, independent of other load.
    cpuMsPerImage: {
      bound: 1000 * Math.min(...runs.bound.map((r) => r.cpuSecondsPerImage)),
      clipscope: 1000 * Math.min(...runs.clipscope.map((r) => r.cpuSecondsPerImage)),
      peer: runs.peer.length ? 1000 * Math.min(...runs.peer.map((r) => r.cpuSecondsPerImage)) : null,
      boundInt8: runs.boundInt8.length ? 1000 * Math.min(...runs.boundInt8.map((r) => r.cpuSecondsPerImage)) : null,
      clipscopeInt8: runs.clipscopeInt8.length ? 1000 * Math.min(...runs.clipscopeInt8.map((r) => r.cpuSecondsPerImage)) : null,
    },
    load: { min: Math.min(...Object.values(runs).flat().map((r) => r.load[0])), max: Math.max(...Object.values(runs).flat().map((r) => Math.max(...r.load))) },
  };
  return {
    schema: 'clipscope.bench/v1',
    startedAt: new Date().toISOString(),
    machine,
    args,
    inputs: { model: 'synthetic-b32', images: files.length, bytes: set.bytes, warmImages: 16, kind: '1080×1080, 1080×1350 and 1920×1080; 7 in 8 photos as JPEG q85, 1 in 8 a graphic as PNG' },
    runs,
    summary,
  };
}

// ---------------------------------------------------------------------------------------------
// Scale and cache scenarios

async function timedCli(argv: string[]): Promise<{ seconds: number; stderr: string; code: number | null }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/clipscope.js'), ...argv], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ seconds: (performance.now() - t0) / 1000, stderr, code }));
  });
}

async function scale(args: Args): Promise<Record<string, unknown>> {
  const model = await ensureModel('synthetic-b32', log);
  const dicts = await ensureDictionaries();
  const largest = args.scaleSizes[args.scaleSizes.length - 1];
  // The largest set first, so the smaller ones are hard links to its first images.
  const big = await ensureImageSet('small', largest + 10, log);
  const points: R[] = [];
  for (const n of args.scaleSizes) {
    const set = n === largest + 10 ? big : await ensureImageSet('small', n, log);
    log(`scale: ${n} images (cache on, cold) … (load ${loadavg()[0].toFixed(2)})`);
    const r = (await runTask('classify', {
      model,
      variant: 'fp32',
      images: set.dir,
      dictionary: dicts.base,
      threads: args.threads,
      cache: join(WORK, `cache-scale-${n}`),
      freshCache: true,
      csv: join(WORK, `scale-${n}.csv`),
    })) as R;
    points.push(r);
    log(`  ${n}: ${r.seconds.toFixed(1)} s, ${(r.images / r.seconds).toFixed(2)} images/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
  }
  const out: Record<string, unknown> = {
    points: points.map((p) => ({
      images: p.images,
      seconds: p.seconds,
      imagesPerSecond: p.images / p.seconds,
      cpuMsPerImage: (1000 * p.cpuSeconds) / p.images,
      peakRssMiB: p.peakRssMiB,
      embedded: p.embedded,
      load: p.load,
    })),
  };

  // Dictionary changed, everything cached: the CLI, CSV written, zero image inferences.
  const cached = join(WORK, `cache-scale-${largest}`);
  const largestSet = await ensureImageSet('small', largest, log);
  const recls = await timedCli(['classify', '--images', largestSet.dir, '--dictionary', dicts.changed, '--model', model, '--cache', cached, '--out', join(WORK, 'reclassified.csv')]);
  const summary = /Classified (\d+) images? in [^:]+: (\d+) embedded, (\d+) from the cache/.exec(recls.stderr);
  out.reclassify = {
    images: summary ? Number(summary[1]) : null,
    embedded: summary ? Number(summary[2]) : null,
    fromCache: summary ? Number(summary[3]) : null,
    seconds: recls.seconds,
    exitCode: recls.code,
  };
  log(`dictionary changed, ${largest} cached, CLI: ${recls.seconds.toFixed(2)} s (${summary?.[0] ?? recls.stderr.slice(-300)})`);

  // 10 new images beside 1,000 cached ones: only those 10 are embedded.
  const thousand = args.scaleSizes.includes(1000) ? 1000 : args.scaleSizes[0];
  const plusDir = join(WORK, `plus10-${thousand}`);
  await linkSubset(big, thousand + 10, plusDir);
  const plusCache = join(WORK, 'cache-plus10');
  await rm(plusCache, { recursive: true, force: true });
  await cp(join(WORK, `cache-scale-${thousand}`), plusCache, { recursive: true });
  const plus = (await runTask('classify', { model, variant: 'fp32', images: plusDir, dictionary: dicts.base, threads: args.threads, cache: plusCache, csv: join(WORK, 'plus10.csv') })) as R;
  out.plus10 = { cached: thousand, added: 10, embedded: plus.embedded, fromCache: plus.fromCache, seconds: plus.seconds };
  log(`10 new beside ${thousand} cached: ${plus.embedded} embedded, ${plus.fromCache} from the cache, ${plus.seconds.toFixed(1)} s`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Levers: one setting changed at a time against clipscope's defaults (classify, no cache).

async function levers(args: Args): Promise<Record<string, unknown>> {
  const model = await ensureModel('synthetic-b32', log);
  const set = await ensureImageSet('social', args.n, log);
  const warm = await linkSubset(set, 16, join(WORK, 'social-warm-16'));
  const dicts = await ensureDictionaries();
  const base = { model, variant: 'fp32', images: set.dir, warmImages: warm.dir, dictionary: dicts.base, cache: null, csv: join(WORK, 'levers.csv') };
  const settings: { name: string; args?: Record<string, unknown>; env?: Record<string, string> }[] = [
    { name: 'defaults' },
    { name: 'batch 4', args: { batchSize: 4 } },
    { name: 'batch 8', args: { batchSize: 8 } },
    { name: 'batch 32', args: { batchSize: 32 } },
    { name: 'onnxruntime threads 1', args: { threads: 1 } },
    { name: 'libuv pool 1 (UV_THREADPOOL_SIZE)', env: { UV_THREADPOOL_SIZE: '1' } },
    { name: 'libuv pool 2', env: { UV_THREADPOOL_SIZE: '2' } },
    { name: 'libuv pool 8', env: { UV_THREADPOOL_SIZE: '8' } },
    { name: 'libvips threads 1 (VIPS_CONCURRENCY)', env: { VIPS_CONCURRENCY: '1' } },
  ];
  const rows: Record<string, unknown>[] = [];
  for (let round = 1; round <= args.repeat; round++) {
    for (const s of settings) {
      const r = (await runTask('classify', { ...base, ...s.args }, s.env)) as R;
      rows.push({ name: s.name, round, imagesPerSecond: (r.images - r.warm.images) / (r.seconds - r.warm.seconds), seconds: r.seconds, warmSeconds: r.warm.seconds, peakRssMiB: r.peakRssMiB, load: r.load });
      log(`  lever ${s.name}: ${(rows[rows.length - 1].imagesPerSecond as number).toFixed(2)} images/s`);
    }
  }
  const table = settings.map((s) => {
    const mine = rows.filter((r) => r.name === s.name);
    return { name: s.name, imagesPerSecond: Math.max(...mine.map((r) => r.imagesPerSecond as number)), peakRssMiB: Math.max(...mine.map((r) => r.peakRssMiB as number)) };
  });
  return { rows, table };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parse();
  await mkdir(WORK, { recursive: true });
  const machine = await describeMachine();
  log(machineLine(machine));
  const siteFile = join(WORK, 'site-scale.json');
  if (args.siteScale) {
    // With --docs-only: the section again from the last site-scale results, nothing run.
    const run = args.docsOnly
      ? (JSON.parse(await readFile(siteFile, 'utf8')) as { points: SiteScalePoint[]; at: string; machine: string })
      : { ...(await siteScale(args.siteScaleSizes, log, { keepCache: args.siteScaleKeep, warmRuns: args.siteScaleWarmRuns })), machine: machineLine(machine) };
    if (!args.docsOnly) await writeFile(siteFile, JSON.stringify(run, null, 1));
    log(`results: ${siteFile}`);
    if (args.docs) await writeSiteScaleDocs(run);
    return;
  }
  const resultsFile = join(WORK, 'results.json');
  const previous: Results | null = existsSync(resultsFile) ? (JSON.parse(await readFile(resultsFile, 'utf8')) as Results) : null;

  let results: Results;
  if (args.docsOnly) {
    if (!previous) throw new Error('--docs-only needs a run first (npm run bench)');
    results = previous;
  } else if (args.scaleOnly || (args.levers && !args.scale)) {
    if (!previous) throw new Error('--scale-only and --levers need a standard run first (npm run bench)');
    results = previous;
  } else {
    if (args.peer) checkPeerInstalled();
    results = await standard(args, machine);
  }
  if (!args.docsOnly) {
    if (args.scale) results.scale = { ...(await scale(args)), machine, at: new Date().toISOString() };
    else if (previous?.scale) results.scale = previous.scale;
    if (args.levers) results.levers = { ...(await levers(args)), machine, at: new Date().toISOString() };
    else if (previous?.levers) results.levers = previous.levers;
    if (!args.scaleOnly && !args.levers) results.finishedAt = new Date().toISOString();
    await writeFile(resultsFile, JSON.stringify(results, null, 1));
  }
  // The site-scale run is its own (--site-scale); the page shows its last results.
  if (existsSync(siteFile)) results.siteScale = JSON.parse(await readFile(siteFile, 'utf8')) as Record<string, unknown>;
  process.stdout.write(`\n${machineLine(machine)}\n\n${summaryTable(results)}\n`);
  log(`results: ${resultsFile}`);

  if (args.docs) {
    const s = results.summary;
    const series: Series[] = [
      { name: 'onnxruntime fp32', points: s.sweep.filter((p: R) => p.fp32 !== null).map((p: R) => [p.batchSize, p.fp32]) },
    ];
    if (s.sweep.some((p: R) => p.int8 !== null)) series.push({ name: 'onnxruntime int8', points: s.sweep.filter((p: R) => p.int8 !== null).map((p: R) => [p.batchSize, p.int8]) });
    series.push({ name: 'clipscope fp32', points: [[8, s.clipscope.imagesPerSecond]], level: true });
    if (s.peer) series.push({ name: 'transformers.js fp32', points: [[8, s.peer.imagesPerSecond]], level: true });
    await writeFile(join(ROOT, 'docs/performance-batch.svg'), throughputPlot(series));
    if (results.scale) await writeFile(join(ROOT, 'docs/performance-scale.svg'), scalePlot(results.scale.points));
    await writeFile(join(ROOT, 'docs/performance.md'), renderDoc(results));
    log('docs/performance.md, docs/performance-batch.svg' + (results.scale ? ', docs/performance-scale.svg' : '') + ' written');
  }
}

/** The site-scale section of docs/performance.md and its plot; the rest of the page is left as it is. */
async function writeSiteScaleDocs(run: { points: SiteScalePoint[]; at: string; machine: string }): Promise<void> {
  const series = (['cold', 'warm'] as const).map((kind) => ({
    name: `${kind} build`,
    // The warm series: the means of the warm builds, as the table gives them.
    points: run.points.map((p) => {
      const builds = kind === 'warm' ? warmBuilds(p) : [p.cold];
      return { images: p.images, seconds: mean(builds.map((b) => b.seconds)), peakRssMiB: mean(builds.map((b) => b.peakRssMiB)) };
    }),
  }));
  const limit = { seconds: WARM_BUILD_LIMIT_SECONDS, label: '3 min (warm target)' };
  await writeFile(join(ROOT, 'docs/performance-site-scale.svg'), timeAndMemoryPlot(series, 'astro build of the whole report: time and peak RSS against the number of images (synthetic-tiny)', limit));
  const docFile = join(ROOT, 'docs/performance.md');
  await writeFile(docFile, withSiteScaleSection(await readFile(docFile, 'utf8'), siteScaleSection(run)));
  log('docs/performance.md (site-scale section), docs/performance-site-scale.svg written');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
