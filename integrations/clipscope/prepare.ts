// One build's data, prepared before any page renders: classify (through the engine and its cache),
// read judgement files, build the report model, make the thumbnails of the images the pages show,
// and the files the site publishes (results CSV/JSON as the CLI writes them, the standalone file).
// Effects (logging, progress, the engine itself) are passed in, so tests can capture or replace them.
import { copyFile, mkdir, mkdtemp, rename, stat, unlink } from 'node:fs/promises';
import { tempPathFor, writeFileAtomic } from '../engine/atomic.ts';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ClipscopeError, isClipscopeError } from '../engine/errors.ts';
import type { Progress } from '../engine/progress.ts';
import type { RunResult } from '../core/types.ts';
import type { ExtraColumns } from '../engine/results.ts';
import type { PostsTable } from '../engine/table.ts';
import { groupReport } from './report/groups-report.ts';
import { GROUP_FILES, groupSharesCsv, joinedTable, periodSharesCsv } from './group-downloads.ts';
import { validatedColumnsOf, type JudgementFile, type JudgementProblem } from './judgement-files.ts';
import { buildReport, thumbnailRequests, type ReportData, type ReportOptions } from './report/report.ts';
import { engineOptions, CONFIG_SOURCE, type ClipscopeOptions } from './options.ts';
import { makeThumbnails, type MakeThumbnail } from './thumbnails.ts';
import { publishOriginals, type MakeOriginal } from './originals.ts';
import { renderStandalone } from './standalone.ts';
import { changesSince, previousRunFile, previousRunOf, readPreviousRun, type PreviousRun } from './changes.ts';
import { methodsMarkdown, validationCsv, validationFigures, validationJson, VALIDATION_FILES } from './validation-downloads.ts';

/** A file the site publishes: bytes in memory or a file to copy. */
export type SiteAsset = { data: string | Buffer; type: string } | { file: string; type: string };

export interface PreparedSite {
  report: ReportData;
  /** Site-relative path (no leading slash) → content. */
  assets: Map<string, SiteAsset>;
  /** This run's compact results and the cache file to keep them in at the end of the build, for
   * the next build's changes page (changes.ts); null without a cache. */
  keep: { file: string; run: PreviousRun } | null;
}

export interface PrepareEffects {
  log(message: string): void;
  warn(message: string): void;
  progress?(p: Progress): void;
  /** The engine's run function (tests may pass a fixture). */
  classify(
    input: unknown,
    effects: { log(message: string): void; progress?(p: Progress): void; source?: string; imageFiles?(files: ReadonlyMap<string, string>): void; table?(table: PostsTable): void },
  ): Promise<RunResult>;
  makeThumbnail: MakeThumbnail;
  /** A publishable copy of an original (option copyOriginals). */
  makeOriginal: MakeOriginal;
  readJudgementFiles(dir: string): Promise<{ files: JudgementFile[]; problems: JudgementProblem[] }>;
  toCsv(result: RunResult, opts: { column?: string; topK?: number; extra?: ExtraColumns }): string;
  toJson(result: RunResult, opts?: { extra?: ExtraColumns }): string;
}

export function reportOptionsOf(o: ClipscopeOptions): ReportOptions {
  return {
    samplesPerCategory: o.samplesPerCategory,
    standaloneSamples: o.standaloneSamples,
    seed: o.seed,
    pageSize: o.pageSize,
    listThumbnails: o.thumbnails.list !== false,
    validation: { perCategory: o.validation.perCategory, seed: o.validation.seed, blind: o.validation.blind },
    groupColors: Object.entries(o.groupColors),
  };
}

async function judgementsOf(dir: string, effects: PrepareEffects): Promise<ReportData['judgements']> {
  if (!(await stat(dir).catch(() => null))?.isDirectory()) return { files: [], problems: [] };
  const read = await effects.readJudgementFiles(dir);
  for (const p of read.problems) effects.warn(`Judgement file ${p.file} was not read: ${p.reason}`);
  return read;
}

/** Where thumbnails are kept between builds: in the cache folder, or a temporary one without cache. */
async function thumbsCacheDir(o: ClipscopeOptions): Promise<string> {
  if (o.cache) return join(o.cache, 'thumbs');
  return mkdtemp(join(tmpdir(), 'clipscope-thumbs-'));
}

/** A path error of the engine says which environment variable set that path, if one did. */
function withEnvHint(error: unknown, o: ClipscopeOptions): unknown {
  if (!isClipscopeError(error)) return error;
  const variable = o.fromEnv[error.kind as keyof ClipscopeOptions['fromEnv']];
  if (!variable) return error;
  const hint = `The ${error.kind} path was set by the environment variable ${variable}, which overrides astro.config.mjs.`;
  return new ClipscopeError(error.kind, error.message, error.hint ? `${error.hint} ${hint}` : hint, { cause: error });
}

export async function prepareSite(o: ClipscopeOptions, effects: PrepareEffects): Promise<PreparedSite> {
  // Published path → file on this machine (a posts table's images need not sit under one folder).
  let files: ReadonlyMap<string, string> = new Map();
  const imageFiles = (f: ReadonlyMap<string, string>) => {
    files = f;
  };
  // A posts table as the run read it: published with the classification joined on.
  let posts: PostsTable | null = null;
  const table = (t: PostsTable) => {
    posts = t;
  };
  const result = await effects.classify(engineOptions(o), { log: effects.log, progress: effects.progress, source: CONFIG_SOURCE, imageFiles, table }).catch((error: unknown) => {
    throw withEnvHint(error, o);
  });
  const fileOf = (path: string) => files.get(path) ?? join(o.images, path);
  const judgements = await judgementsOf(o.validation.dir, effects);
  const report = buildReport({ result, options: reportOptionsOf(o), judgements });
  // The previous build of these images with this model, if the cache kept it: the changes page.
  const runFile = o.cache ? previousRunFile(o.cache, result.run.model.checksum, o.table ?? o.images) : null;
  if (runFile) report.changes = changesSince(await readPreviousRun(runFile, effects.warn), result);
  if (report.changes) effects.log(`Changed since the last build: ${report.changes.diff.changed.length} images changed category (the /changes/ page)`);

  const t0 = performance.now();
  const requests = thumbnailRequests(report);
  const thumbs = await makeThumbnails(requests, {
    cacheDir: await thumbsCacheDir(o),
    imagesRoot: o.images,
    fileOf,
    settings: { sizes: { sample: o.thumbnails.sample, list: o.thumbnails.list, validation: o.thumbnails.validation, standalone: o.thumbnails.standalone }, quality: o.thumbnails.quality },
    make: effects.makeThumbnail,
  });
  report.thumbs = thumbs.thumbs;
  for (const f of thumbs.failed) effects.warn(`No thumbnail for ${JSON.stringify(f.path)}: ${f.reason}`);
  effects.log(
    `Thumbnails: ${thumbs.made} made, ${thumbs.reused} reused from the cache (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );

  const assets = new Map<string, SiteAsset>();
  for (const [sitePath, file] of thumbs.files) assets.set(sitePath, { file, type: 'image/webp' });

  if (o.copyOriginals) {
    // Originals of the images shown large (samples, validation), under content-hash names with the
    // extension of the format in their bytes (see originals.ts).
    const shown = new Set([...report.categories.flatMap((c) => c.sample), ...report.validationSet]);
    const requests = [...shown].sort((a, b) => a - b).map((i) => ({ sha256: result.images[i].sha256, path: result.images[i].path, file: fileOf(result.images[i].path) }));
    const originals = await publishOriginals(requests, {
      cacheDir: o.cache ? join(o.cache, 'originals') : null,
      keepMetadata: o.copyOriginals.keepMetadata,
      make: effects.makeOriginal,
    });
    report.originals = originals.links;
    for (const [sitePath, asset] of originals.files) assets.set(sitePath, asset);
    for (const f of originals.failed) effects.warn(`No original published for ${JSON.stringify(f.path)}: ${f.reason}`);
    effects.log(`Originals: ${originals.made} made, ${originals.reused} reused from the cache${o.copyOriginals.keepMetadata ? ' (metadata kept)' : ' (metadata removed)'}`);
  }

  // Judgements from the validation folder written as `validated` columns of the downloads, from the
  // report's validation statistics (computed once, in buildReport).
  const extra = validatedColumnsOf(result, report.judgements.files, report.validation) ?? undefined;
  assets.set(report.files.csv, { data: effects.toCsv(result, { column: o.column, topK: o.topK, extra }), type: 'text/csv; charset=utf-8' });
  assets.set(report.files.json, { data: effects.toJson(result, { extra }), type: 'application/json; charset=utf-8' });
  if (report.validation) {
    const figures = validationFigures(result, report.validation, { perCategory: o.validation.perCategory });
    assets.set(VALIDATION_FILES.json, { data: validationJson(figures), type: 'application/json; charset=utf-8' });
    assets.set(VALIDATION_FILES.csv, { data: validationCsv(figures), type: 'text/csv; charset=utf-8' });
    assets.set(VALIDATION_FILES.methods, { data: methodsMarkdown(figures), type: 'text/markdown; charset=utf-8' });
  }
  // The Groups page as data, and a posts table with its classification (see group-downloads.ts).
  const groups = groupReport(report);
  const unknownColors = Object.keys(o.groupColors).filter((name) => !groups.groups.some((g) => g.name === name));
  if (unknownColors.length > 0 && groups.groups.length > 0) {
    effects.warn(`Option groupColors names ${unknownColors.map((n) => JSON.stringify(n)).join(', ')}, which ${unknownColors.length === 1 ? 'is' : 'are'} not a group of this run (groups: ${groups.groups.slice(0, 8).map((g) => JSON.stringify(g.name)).join(', ')}${groups.groups.length > 8 ? ', …' : ''}); check the spelling.`);
  }
  const sharesCsv = groupSharesCsv(groups);
  if (sharesCsv) assets.set(GROUP_FILES.shares, { data: sharesCsv, type: 'text/csv; charset=utf-8' });
  const periodsCsv = periodSharesCsv(groups);
  if (periodsCsv) assets.set(GROUP_FILES.periods, { data: periodsCsv, type: 'text/csv; charset=utf-8' });
  if (posts && result.rows) {
    const joined = joinedTable(posts, result);
    assets.set(joined.file, { data: joined.data, type: joined.type });
  }
  const standaloneImages = new Map(
    [...thumbs.inline].map(([sha, data]) => [sha, { data, width: report.thumbs.standalone![sha].width, height: report.thumbs.standalone![sha].height }]),
  );
  assets.set(report.files.standalone, { data: renderStandalone(report, standaloneImages), type: 'text/html; charset=utf-8' });
  return { report, assets, keep: runFile ? { file: runFile, run: previousRunOf(result) } : null };
}

/** Write the assets into the built site (`astro:build:done`). Each file goes to a temporary name
 * first and is renamed into place, so a build killed while publishing leaves no truncated results
 * file or thumbnail in dist/ (a missing one at worst; the next build writes it). */
export async function publishAssets(assets: ReadonlyMap<string, SiteAsset>, outDir: string): Promise<void> {
  const dirs = new Set<string>();
  for (const [sitePath, asset] of assets) {
    const target = join(outDir, ...sitePath.split('/'));
    const dir = join(target, '..');
    if (!dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      dirs.add(dir);
    }
    if ('file' in asset) {
      const temp = tempPathFor(target);
      try {
        await copyFile(asset.file, temp);
        await rename(temp, target);
      } catch (error) {
        await unlink(temp).catch(() => {});
        throw error;
      }
    } else await writeFileAtomic(target, asset.data);
  }
}
