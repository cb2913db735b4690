// `npm run bench -- --site-scale`: the whole report at 1,000 → 10,000 → 100,000 images. For each N,
// a fresh cache and `astro build`s of the same folder, each in its own process under
// /usr/bin/time: the first cold (every image embedded, every thumbnail made), then warm ones (the
// cache has both), three by default: a warm build's peak varies by tens of MiB from run to run
// (what Vite's bundler holds varies), and "flat in N" is a difference of two peaks. Recorded per
// build: wall and CPU time, peak RSS, the classification time the build log reports; per site: the number of files, total bytes, the largest page (HTML) and the
// largest file of any kind. The model is synthetic-tiny (CLIP's graph at toy widths: the point here
// is everything around inference, which the throughput runs measure with ViT-B/32 shapes).
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { ensureImageSet, ensureModel, ROOT, WORK } from './inputs.ts';
import { buildEnv } from '../scripts/astro-build.ts';
import { runTimed, type TimedRun } from './timed.ts';

/** GitHub Pages' limit for a page is not documented; the issue's: no page over 500 KB. */
export const PAGE_LIMIT_BYTES = 500 * 1000;
/** GitHub Pages refuses files over 100 MB. */
export const FILE_LIMIT_BYTES = 100 * 1000 * 1000;

export interface BuildMeasure {
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  /** "Classified N images in T" from the build log, in seconds (null when the log has no such line). */
  classifySeconds: number | null;
  embedded: number | null;
  fromCache: number | null;
  load: [number, number];
}

export interface SiteMeasure {
  files: number;
  bytes: number;
  largestPage: { path: string; bytes: number };
  pagesOverLimit: { path: string; bytes: number }[];
  largestFile: { path: string; bytes: number };
  filesOverPagesLimit: { path: string; bytes: number }[];
}

export interface SiteScalePoint {
  images: number;
  imageBytes: number;
  cold: BuildMeasure;
  /** The first warm build. */
  warm: BuildMeasure;
  /** Every warm build, the first included (absent in runs recorded before 2026-12-04: `warm` alone). */
  warmRuns?: BuildMeasure[];
  site: SiteMeasure;
}

/** The warm builds of a point: all of them where they were recorded, else the one. */
export function warmBuilds(p: SiteScalePoint): BuildMeasure[] {
  return p.warmRuns?.length ? p.warmRuns : [p.warm];
}

/** The arithmetic mean (of at least one value). */
export function mean(xs: readonly number[]): number {
  return xs.reduce((t, x) => t + x, 0) / xs.length;
}

/** Mean peak RSS (MiB) of a point's warm builds. */
export function meanWarmPeak(p: SiteScalePoint): number {
  return mean(warmBuilds(p).map((r) => r.peakRssMiB));
}

/** Growth of the warm build's mean peak RSS per added image (KiB) from the first point to the last; null with fewer than two sizes. */
export function warmGrowthKiBPerImage(points: SiteScalePoint[]): number | null {
  if (points.length < 2) return null;
  const first = points[0];
  const last = points[points.length - 1];
  return ((meanWarmPeak(last) - meanWarmPeak(first)) * 1024) / (last.images - first.images);
}

/** Parses GNU time's `-f '%e %U %S %M'` line and the build log's summary line. */
export function parseBuildOutput(timeLine: string, log: string): Omit<BuildMeasure, 'load'> {
  const [e, u, s, m] = timeLine.trim().split(/\s+/).map(Number);
  if (![e, u, s, m].every(Number.isFinite)) throw new Error(`unexpected /usr/bin/time output: ${JSON.stringify(timeLine)}`);
  const summary = /Classified ([\d,]+) images? in ([^:]+): (\d+) embedded now, (\d+) from the cache/.exec(log);
  return {
    seconds: e,
    cpuSeconds: u + s,
    peakRssMiB: m / 1024,
    classifySeconds: summary ? parseDuration(summary[2]) : null,
    embedded: summary ? Number(summary[3]) : null,
    fromCache: summary ? Number(summary[4]) : null,
  };
}

/** "52 s", "2 min 00 s", "1 h 02 min" (core/format.ts formatDuration) → seconds. */
export function parseDuration(text: string): number {
  let total = 0;
  for (const [, value, unit] of text.matchAll(/([\d.]+)\s*(h|min|s)\b/g)) total += Number(value) * (unit === 'h' ? 3600 : unit === 'min' ? 60 : 1);
  return total;
}

async function walk(dir: string): Promise<{ path: string; bytes: number }[]> {
  const out: { path: string; bytes: number }[] = [];
  const visit = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await visit(p);
      else if (entry.isFile()) out.push({ path: relative(dir, p), bytes: (await stat(p)).size });
    }
  };
  await visit(dir);
  return out;
}

export function measureFiles(files: { path: string; bytes: number }[]): SiteMeasure {
  const pages = files.filter((f) => f.path.endsWith('.html'));
  const biggest = (list: { path: string; bytes: number }[]) => list.reduce((a, b) => (b.bytes > a.bytes ? b : a), { path: '', bytes: 0 });
  return {
    files: files.length,
    bytes: files.reduce((t, f) => t + f.bytes, 0),
    largestPage: biggest(pages),
    pagesOverLimit: pages.filter((f) => f.bytes > PAGE_LIMIT_BYTES).sort((a, b) => b.bytes - a.bytes),
    largestFile: biggest(files),
    filesOverPagesLimit: files.filter((f) => f.bytes > FILE_LIMIT_BYTES),
  };
}

function build(env: Record<string, string>, outDir: string, cwd: string): Promise<TimedRun> {
  const astro = join(ROOT, 'node_modules', 'astro', 'bin', 'astro.mjs');
  return runTimed([process.execPath, astro, 'build', '--root', ROOT, '--outDir', outDir], {
    cwd,
    // As `npm run build` runs it (scripts/astro-build.ts): with glibc's malloc tuned.
    env: buildEnv({ ...process.env, ...env, ASTRO_TELEMETRY_DISABLED: '1', NO_COLOR: '1', FORCE_COLOR: '0' }),
  });
}

/** Warm builds per size unless told otherwise (`--site-scale-warm-runs`). */
export const WARM_RUNS = 3;

export async function siteScale(sizes: number[], log: (m: string) => void, opts: { keepCache?: boolean; warmRuns?: number } = {}): Promise<{ points: SiteScalePoint[]; at: string }> {
  const warmRuns = opts.warmRuns ?? WARM_RUNS;
  if (!Number.isInteger(warmRuns) || warmRuns < 1) throw new Error(`warm builds per size must be a whole number ≥ 1, not ${warmRuns}`);
  const model = await ensureModel('synthetic-tiny', log);
  const emptyValidation = join(WORK, 'site-scale-no-judgements');
  await mkdir(emptyValidation, { recursive: true });
  const points: SiteScalePoint[] = [];
  for (const n of [...sizes].sort((a, b) => b - a)) await ensureImageSet('tiny', n, log); // largest first: smaller sets link to it
  for (const n of [...sizes].sort((a, b) => a - b)) {
    const set = await ensureImageSet('tiny', n, log);
    const cache = join(WORK, `site-cache-${n}`);
    const outDir = join(WORK, `site-dist-${n}`);
    await rm(cache, { recursive: true, force: true });
    const env = { CLIPSCOPE_IMAGES: set.dir, CLIPSCOPE_MODEL: model, CLIPSCOPE_CACHE_DIR: cache, CLIPSCOPE_VALIDATION_DIR: emptyValidation };
    const measures: BuildMeasure[] = [];
    const phases: ('cold' | 'warm')[] = ['cold', ...Array.from({ length: warmRuns }, () => 'warm' as const)];
    for (const phase of phases) {
      await rm(outDir, { recursive: true, force: true });
      const cwd = await mkdtemp(join(WORK, 'site-build-'));
      const load0 = loadavg()[0];
      log(`site scale: ${n} images, ${phase} build … (load ${load0.toFixed(2)})`);
      const r = await build(env, outDir, cwd);
      await rm(cwd, { recursive: true, force: true });
      if (r.code !== 0) throw new Error(`astro build (${n} images, ${phase}) failed with exit ${r.code}:\n${r.log.slice(-3000)}`);
      const m = { ...parseBuildOutput(r.timeLine, r.log), load: [load0, loadavg()[0]] as [number, number] };
      measures.push(m);
      log(`  ${phase}: ${m.seconds.toFixed(1)} s (classification ${m.classifySeconds ?? '?'} s), peak RSS ${m.peakRssMiB.toFixed(0)} MiB`);
    }
    const site = measureFiles(await walk(outDir));
    log(`  dist: ${site.files} files, ${(site.bytes / 1e6).toFixed(1)} MB; largest page ${site.largestPage.path} ${(site.largestPage.bytes / 1000).toFixed(0)} KB`);
    points.push({ images: n, imageBytes: set.bytes, cold: measures[0], warm: measures[1], warmRuns: measures.slice(1), site });
    await rm(outDir, { recursive: true, force: true });
    if (!opts.keepCache) await rm(cache, { recursive: true, force: true });
  }
  return { points, at: new Date().toISOString() };
}
