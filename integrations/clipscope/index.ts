// The Astro integration: options → one engine run → data for the pages. Thin glue: the work is done
// by pure, tested functions (./report/, ./prepare.ts, the engine).
//
// HOW DATA REACHES THE PAGES — a virtual module, `virtual:clipscope/report`, not a content-layer
// loader. The report is one aggregate (a run, its categories, samples, thumbnails, judgements) that
// many pages slice differently, not a collection of entries; and the same preparation step also
// produces files (thumbnails, results CSV/JSON, the standalone HTML) that must be published in step
// with what the pages show. A virtual module lets the integration own that single step: it runs once
// per build in `astro:build:start`, before any page renders; pages `import report from
// 'virtual:clipscope/report'` and get the typed ReportData (see ./virtual.d.ts). In `astro dev` the
// dictionary file (and the judgement folder) are watched: a change re-runs the preparation (image
// embeddings come from the cache), invalidates the module and reloads the browser — no restart.
import { fileURLToPath } from 'node:url';
import { resolve, sep } from 'node:path';
import { readFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { AstroIntegration, AstroIntegrationLogger } from 'astro';
import { AstroError as AstroUserError } from 'astro/errors';
import type { Plugin, ViteDevServer } from 'vite';
import { classify } from '../engine/run.ts';
import { publishableCopy, thumbnail } from '../engine/decode.ts';
import { readJudgementFiles } from './judgement-files.ts';
import { generatedModel } from './model-origin.ts';
import { csvChunks, jsonChunks } from '../engine/results.ts';
import { createProgressReporter } from '../engine/progress.ts';
import { isClipscopeError } from '../engine/errors.ts';
import { preferSmallHeap } from './heap.ts';
import { parseClipscopeOptions, type ClipscopeOptions, type ClipscopeOptionsInput } from './options.ts';
import { writeChartSvgs } from './chart-svg.ts';
import { prepareSite, publishAssets, removeStaging, removeStagingFolders, type PrepareEffects, type PreparedSite } from './prepare.ts';
import { keepRun } from './changes.ts';
import { measureSite, siteSizeMessage } from './site-size.ts';
import { buildTextTower, devTextTower, type TowerDevFile } from './text-tower-assets.ts';
import { TEXT_TOWER_DIR } from '../core/text-tower.ts';

export type { ClipscopeOptionsInput } from './options.ts';

export const VIRTUAL_ID = 'virtual:clipscope/report';
const RESOLVED_ID = `\0${VIRTUAL_ID}`;
/** Where the prepared report waits for the pages that render in this process (see `load`). */
const REPORT_KEY = Symbol.for('clipscope.report');

/** The virtual module's code: the report by its registered symbol, or a clear error where it is missing. */
export function reportModuleSource(): string {
  const key = JSON.stringify(REPORT_KEY.description);
  return [
    `const report = globalThis[Symbol.for(${key})];`,
    `if (!report) throw new Error(${JSON.stringify(`${VIRTUAL_ID}: no report in this process. Its pages must render in the process that runs the clipscope integration (astro build or astro dev).`)});`,
    'export default report;',
  ].join('\n');
}

/** Test seams: replace effects (a fixture engine, a silent logger) or the environment. */
export interface ClipscopeInternals {
  effects?: Partial<PrepareEffects>;
  env?: NodeJS.ProcessEnv;
}

function defaultEffects(logger: AstroIntegrationLogger): PrepareEffects {
  // Progress lines (count, images/s, ETA) through Astro's logger, at most one every 3 s.
  const reporter = createProgressReporter({ stream: { write: (line: string) => logger.info(line.trimEnd()) }, live: false, interval: 3000 });
  return {
    log: (m) => logger.info(m),
    warn: (m) => logger.warn(m),
    progress: (p) => reporter.update(p),
    classify,
    makeThumbnail: (file, o) => thumbnail(file, { width: o.width, quality: o.quality }),
    makeOriginal: async (file, o) => publishableCopy(await readFile(file), o),
    readJudgementFiles,
    generatedModel,
    toCsv: csvChunks,
    toJson: jsonChunks,
  };
}

/**
 * A user error (bad option, missing folder, broken dictionary) becomes an AstroUserError carrying
 * clipscope's message and hint, which Astro prints (and shows in the dev overlay) without a stack
 * trace; anything else is a bug and keeps its stack.
 */
function userFacing(error: unknown): unknown {
  if (!isClipscopeError(error)) return error;
  const stopped = new AstroUserError(`clipscope: ${error.message}`, error.hint);
  stopped.stack = '';
  return stopped;
}

/** The message and hint of an error for the log (dev mode, after a watched file changed). */
function describe(error: unknown): string {
  if (error instanceof Error && error.name === 'AstroUserError') {
    const hint = (error as Error & { hint?: string }).hint;
    return hint ? `${error.message}\n  → ${hint}` : error.message;
  }
  return String(error);
}

export default function clipscope(userOptions: ClipscopeOptionsInput = {}, internals: ClipscopeInternals = {}): AstroIntegration {
  let options: ClipscopeOptions;
  let logger: AstroIntegrationLogger;
  let base = '/';
  let current: Promise<PreparedSite> | null = null;

  const prepare = (): Promise<PreparedSite> => {
    current ??= prepareSite(options, { ...defaultEffects(logger), ...internals.effects }).catch((error: unknown) => {
      current = null; // a later request (after the user fixed the file) tries again
      throw userFacing(error);
    });
    return current;
  };

  const plugin: Plugin = {
    name: 'clipscope:report',
    resolveId(id) {
      return id === VIRTUAL_ID ? RESOLVED_ID : undefined;
    },
    async load(id) {
      if (id !== RESOLVED_ID) return undefined;
      // The report is build-time data for pages; in a client bundle it would ship every result to
      // every visitor. Islands get what they need as props.
      if (this.environment?.name === 'client') {
        throw new Error(`${VIRTUAL_ID} was imported by client code; pass the data an island needs as props instead.`);
      }
      const { report } = await prepare();
      // The pages render in this process (the build's prerender step, the dev server's SSR runner),
      // so the module hands them the report object the integration already holds, by a registered
      // symbol. Serialising it into the module instead (JSON in a string literal) made Vite carry,
      // bundle and re-parse ~1 KB per image: at 100,000 images, 100 MB of module text and a second
      // copy of every result in memory.
      (globalThis as Record<symbol, unknown>)[REPORT_KEY] = report;
      return reportModuleSource();
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = decodeURIComponent((req.url ?? '').split('?')[0]);
        const prefix = base.endsWith('/') ? base : `${base}/`;
        const path = url.startsWith(prefix) ? url.slice(prefix.length) : url.replace(/^\//, '');
        if (!path.startsWith('_clipscope/') && !path.startsWith('downloads/')) return next();
        if (path.startsWith(TEXT_TOWER_DIR)) {
          towerFiles()
            .then((files) => {
              const file = files.get(path);
              if (!file) return next();
              res.setHeader('Content-Type', file.type);
              if ('data' in file) res.end(file.data);
              else if (file.end === file.start) res.end();
              else createReadStream(file.file, { start: file.start, end: file.end - 1 }).on('error', next).pipe(res);
            })
            .catch(next);
          return;
        }
        prepare()
          .then(async ({ assets }) => {
            const asset = assets.get(path);
            if (!asset) return next();
            res.setHeader('Content-Type', asset.type);
            res.end('file' in asset ? await readFile(asset.file) : asset.data);
          })
          .catch(next);
      });
      watchInputs(server);
    },
  };

  /** Dev only: the Workbench's text tower as a build would publish it (planned, and its files hashed,
   * on the first request after each preparation). */
  let tower: Promise<Map<string, TowerDevFile>> | null = null;
  let towerOf: Promise<PreparedSite> | null = null;
  function towerFiles(): Promise<Map<string, TowerDevFile>> {
    const prepared = prepare();
    if (tower === null || towerOf !== prepared) {
      towerOf = prepared;
      // Nothing when the Workbench is not published (option workbench: false, or left out).
      tower = prepared.then(({ report }) => (report.workbench.bytes === null ? new Map() : devTextTower(options.model, report.result.run.model)));
    }
    return tower;
  }

  /** Dev only: re-prepare when the dictionary, the posts table or a judgement file changes; reload the pages. */
  function watchInputs(server: ViteDevServer): void {
    const dictionary = options.dictionary;
    const table = options.table;
    const judgements = options.validation.dir + sep;
    server.watcher.add([dictionary, options.validation.dir, ...(table ? [table] : [])]);
    let timer: NodeJS.Timeout | undefined;
    const onChange = (file: string) => {
      const abs = resolve(file);
      if (abs !== dictionary && abs !== table && !abs.startsWith(judgements)) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        logger.info(`${abs === dictionary ? 'Dictionary' : abs === table ? 'Posts table' : 'Judgement files'} changed: preparing the report again`);
        const previous = current;
        current = null;
        // On an error the last good report stays on screen; the log says what to fix.
        prepare()
          .then(() => {
            invalidate(server);
            // The replaced preparation's files are no longer served.
            previous?.then((p) => removeStaging(p.staging)).catch(() => {});
          })
          .catch((error: unknown) => logger.error(describe(error)));
      }, 150);
    };
    server.watcher.on('change', onChange);
    server.watcher.on('add', onChange);
    server.watcher.on('unlink', onChange);
  }

  function invalidate(server: ViteDevServer): void {
    const timestamp = Date.now();
    for (const environment of Object.values(server.environments)) {
      const mod = environment.moduleGraph.getModuleById(RESOLVED_ID);
      if (mod) environment.moduleGraph.invalidateModule(mod, undefined, timestamp, true);
      // Environments that run modules in-process (Astro's SSR) also cache the evaluated module.
      const runner = (environment as { runner?: { evaluatedModules: { getModuleById(id: string): unknown; invalidateModule(m: unknown): void } } }).runner;
      const evaluated = runner?.evaluatedModules.getModuleById(RESOLVED_ID);
      if (evaluated) runner!.evaluatedModules.invalidateModule(evaluated);
      // Astro caches getStaticPaths() results per route in dev; this is the event its own content
      // layer sends to clear that cache, so a new category gets its page without a restart.
      if (environment.name !== 'client') environment.hot.send('astro:content-changed', {});
    }
    server.environments.client.hot.send({ type: 'full-reload', path: '*' });
  }

  return {
    name: 'clipscope',
    hooks: {
      'astro:config:setup': ({ command, config, updateConfig, logger: astroLogger }) => {
        logger = astroLogger;
        // A build holds the report while it bundles and renders every page: V8 keeps its heap small
        // rather than growing it, from the start (set later, the heap already grown stays). See ./heap.ts.
        if (command === 'build') preferSmallHeap();
        base = config.base;
        try {
          options = parseClipscopeOptions(userOptions, { root: fileURLToPath(config.root), env: internals.env });
        } catch (error) {
          throw userFacing(error);
        }
        updateConfig({ vite: { plugins: [plugin] } });
      },
      'astro:server:setup': () => {
        // Start classifying as the dev server starts; the first page request waits for it.
        prepare().catch((error: unknown) => logger.error(describe(error)));
      },
      'astro:server:done': async () => {
        await current?.catch(() => null);
        await removeStagingFolders();
      },
      'astro:build:start': async () => {
        await prepare();
      },
      'astro:build:done': async ({ dir }) => {
        const { assets, keep, report, staging } = await prepare();
        const outDir = fileURLToPath(dir);
        try {
          let charts: number;
          let published: Awaited<ReturnType<typeof publishAssets>>;
          let tower: { published: boolean; message: string } | null = null;
          try {
            published = await publishAssets(assets, outDir);
            charts = await writeChartSvgs(outDir);
            // The Workbench's text tower (model graph, tokenizer, onnxruntime-web's WASM), or why not.
            if (report.workbench.bytes !== null) tower = await buildTextTower(options.model, report.result.run.model, outDir);
          } catch (error) {
            throw userFacing(error); // e.g. disk full: the message, not a stack
          }
          const how = published.linked > 0 ? ` (${published.linked} of them hard-linked, not copied)` : '';
          logger.info(`Published ${assets.size} report files (thumbnails, results, standalone overview)${how} and ${charts} charts as SVG`);
          if (tower?.published) logger.info(tower.message);
          else if (tower) logger.warn(tower.message);
          const size = siteSizeMessage(await measureSite(outDir), options.thumbnails);
          if (size.warn) logger.warn(size.message);
          else logger.info(size.message);
          // This build's results (staged by the preparation), for the next build's "Changed since the
          // last build" page. A failure costs only that page, not the build.
          if (keep) await keepRun(keep.file, keep.staged).catch((error: unknown) => logger.warn(`The results of this build were not kept for the next build's changes page: ${isClipscopeError(error) ? error.message : String(error)}`));
        } finally {
          await removeStaging(staging);
        }
      },
    },
  };
}
