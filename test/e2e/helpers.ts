// Shared helpers of the browser tests (test/e2e): build the site into a temporary folder with a given
// environment, serve the build on 127.0.0.1 (optionally under a base path, like GitHub Pages), drive
// Debian's Chromium through playwright-core, and crawl every internal link and asset.
//
//   const site = await buildSite({ env: { CLIPSCOPE_BASE: '/my-repo/' } });
//   const server = await serveDir(site.outDir, { base: '/my-repo/' });
//   const browser = await launchBrowser();
//   const { page, problems } = await openPage(browser, server.url('/'));
//   ... expect(problems()).toEqual([]);
//   await browser.close(); await server.close(); await site.cleanup();
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';

/** The repository root (the Astro project). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Debian's Chromium; CHROMIUM_PATH points elsewhere (another distribution, a local build). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// ---------------------------------------------------------------------------------------------
// Build

export interface BuiltSite {
  outDir: string;
  /** Wall-clock seconds of `astro build`. */
  seconds: number;
  /** stdout + stderr of the build. */
  output: string;
  /** Removes the output folder (and the cache folder when the helper made it). */
  cleanup(): Promise<void>;
}

export interface BuildOptions {
  /** Extra environment: CLIPSCOPE_BASE, CLIPSCOPE_IMAGES, CLIPSCOPE_DICTIONARY, CLIPSCOPE_MODEL, … */
  env?: Record<string, string>;
  /** Output folder; default a new temporary one. */
  outDir?: string;
  /** Embedding/thumbnail cache; default a new temporary one (so tests never write into the repo's). */
  cacheDir?: string;
  /** Expect the build to fail: resolves with the output instead of throwing. */
  expectFailure?: boolean;
  /** Another Astro config file (absolute path), e.g. one that passes clipscope() other options. */
  config?: string;
}

/**
 * A fresh working folder for one `astro build`, inside the repository (test/.work/) so that Node
 * finds the project's node_modules from it. Astro writes its prerender chunks to
 * <cwd>/.astro/.prerender when the output folder lies outside the project (as the tests' temp folders
 * do), so each build runs in its own folder (with --root pointing at the project) and builds can run
 * at the same time without overwriting each other's chunks.
 */
export async function buildWorkDir(): Promise<string> {
  const parent = join(REPO_ROOT, 'test', '.work');
  await mkdir(parent, { recursive: true });
  return mkdtemp(join(parent, 'astro-build-'));
}

/**
 * `astro build` of the repository's site in a child process (so the environment, e.g. CLIPSCOPE_BASE,
 * is read exactly as on a user's machine) into a temporary outDir.
 */
export async function buildSite(opts: BuildOptions = {}): Promise<BuiltSite> {
  const outDir = opts.outDir ?? (await mkdtemp(join(tmpdir(), 'clipscope-site-')));
  const ownCache = !opts.cacheDir;
  const cacheDir = opts.cacheDir ?? (await mkdtemp(join(tmpdir(), 'clipscope-cache-')));
  const astro = join(REPO_ROOT, 'node_modules', 'astro', 'bin', 'astro.mjs');
  // Vitest sets NODE_ENV=test, BASE_URL, MODE, DEV, PROD, SSR and VITEST_* in its process; a child
  // build inheriting them would build in development mode (React's dev JSX embeds file paths) and
  // ignore the base path. The build gets a user's environment instead.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(NODE_ENV|BASE_URL|MODE|DEV|PROD|SSR|TEST|VITEST.*)$/.test(k)),
  );
  const cwd = await buildWorkDir();
  const t0 = performance.now();
  const { code, output } = await new Promise<{ code: number; output: string }>((done) => {
    execFile(
      process.execPath,
      // (Astro resolves --config from the root.)
      [astro, 'build', '--root', REPO_ROOT, '--outDir', outDir, ...(opts.config ? ['--config', relative(REPO_ROOT, opts.config)] : [])],
      {
        cwd,
        env: { ...inherited, CLIPSCOPE_CACHE_DIR: cacheDir, ASTRO_TELEMETRY_DISABLED: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  }).finally(() => rm(cwd, { recursive: true, force: true }));
  const seconds = (performance.now() - t0) / 1000;
  const cleanup = async () => {
    await rm(outDir, { recursive: true, force: true });
    if (ownCache) await rm(cacheDir, { recursive: true, force: true });
  };
  if (code !== 0 && !opts.expectFailure) {
    await cleanup();
    throw new Error(`astro build failed (exit ${code}):\n${output}`);
  }
  if (code === 0 && opts.expectFailure) {
    await cleanup();
    throw new Error(`astro build succeeded but a failure was expected:\n${output}`);
  }
  return { outDir, seconds, output, cleanup };
}

// ---------------------------------------------------------------------------------------------
// Static server

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webp': 'image/webp',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export interface StaticServer {
  /** Origin, e.g. http://127.0.0.1:41234 */
  origin: string;
  /** Absolute URL of a path under the base: url('/') → http://127.0.0.1:port/my-repo/ */
  url(path?: string): string;
  /** Every request path served, with its status (for assertions). */
  requests: { path: string; status: number }[];
  close(): Promise<void>;
}

/**
 * Serves `dir` on 127.0.0.1 like GitHub Pages: under `base` (default "/"), folders answer with their
 * index.html, a folder URL without its trailing slash redirects, anything else is a 404.
 */
export async function serveDir(dir: string, opts: { base?: string } = {}): Promise<StaticServer> {
  const root = resolve(dir);
  const base = `/${(opts.base ?? '/').replace(/^\/+|\/+$/g, '')}/`.replace('//', '/');
  const requests: StaticServer['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: string | Buffer = '', headers: Record<string, string> = {}) => {
      requests.push({ path: req.url ?? '', status });
      res.writeHead(status, headers);
      res.end(body);
    };
    try {
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      if (!pathname.startsWith(base) && `${pathname}/` !== base) return send(404, 'outside base');
      const rel = decodeURIComponent(pathname.slice(base.length - 1));
      const file = normalize(join(root, rel));
      if (file !== root && !file.startsWith(root + sep)) return send(403, 'forbidden');
      const st = await stat(file).catch(() => null);
      if (st?.isDirectory()) {
        if (!pathname.endsWith('/')) return send(301, '', { Location: `${pathname}/` });
        const index = join(file, 'index.html');
        if (!existsSync(index)) return send(404, 'no index');
        return send(200, await readFile(index), { 'Content-Type': MIME['.html'] });
      }
      if (!st?.isFile()) return send(404, 'not found');
      return send(200, await readFile(file), { 'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream' });
    } catch (error) {
      return send(500, String(error));
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path = '/') => `${origin}${base}${path.replace(/^\/+/, '')}`,
    requests,
    // Keep-alive connections a browser left open would hold close() until they time out.
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Browser

/** Installs Debian's chromium when missing (needs root and network to the Debian mirror). */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], { stdio: 'inherit' });
}

/** Headless Chromium (Debian's) through playwright-core. */
export async function launchBrowser(): Promise<Browser> {
  ensureChromium();
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export interface PageProblems {
  /** console.error messages (CSP violations included). */
  consoleErrors: string[];
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** Requests that went (or tried to go) to any host but the test server. */
  foreignRequests: string[];
  /** Responses with status ≥ 400 and requests that failed. */
  failedRequests: string[];
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  problems: PageProblems;
  /** All problems as one list (empty when the page is clean). */
  allProblems(): string[];
}

/**
 * Opens `url` in a fresh context that records console errors, page errors, CSP violations, failed
 * requests and every request to another host (those are blocked, not sent).
 */
export async function openPage(browser: Browser, url: string, opts: { viewport?: { width: number; height: number } } = {}): Promise<OpenedPage> {
  const origin = new URL(url).origin;
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 900 } });
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], foreignRequests: [], failedRequests: [] };
  await context.route('**/*', (route) => {
    const target = route.request().url();
    if (target.startsWith('data:') || target.startsWith('blob:') || new URL(target).origin === origin) return route.continue();
    problems.foreignRequests.push(target);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.consoleErrors.push(msg.text());
  });
  page.on('pageerror', (error) => problems.pageErrors.push(error.message));
  // A navigation of the main frame aborts the old document's requests still in flight (a link
  // clicked while an island's chunks load): those are the browser's doing, not a broken page.
  let navigations = 0;
  const issuedAt = new WeakMap<Request, number>();
  page.on('request', (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) navigations += 1;
    else issuedAt.set(req, navigations);
  });
  page.on('requestfailed', (req) => {
    const error = req.failure()?.errorText ?? 'failed';
    const aborted = error === 'net::ERR_ABORTED';
    const supersededByNavigation = aborted && (issuedAt.get(req) ?? navigations) < navigations;
    // The favicon is fetched by the browser for its tab, and cancelled whenever the browser likes
    // (a reload, a closing context); a missing favicon is still reported, as a 404.
    const faviconCancelled = aborted && new URL(req.url()).pathname.endsWith('/favicon.svg');
    if (supersededByNavigation || faviconCancelled || problems.foreignRequests.includes(req.url())) return;
    problems.failedRequests.push(`${req.url()} (${error})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.failedRequests.push(`${res.url()} (${res.status()})`);
  });
  // CSP violations also as events, in case a browser reports them without a console message.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(url, { waitUntil: 'load' });
  const allProblems = () => [
    ...problems.consoleErrors.map((m) => `console: ${m}`),
    ...problems.pageErrors.map((m) => `page error: ${m}`),
    ...problems.foreignRequests.map((m) => `other host: ${m}`),
    ...problems.failedRequests.map((m) => `failed: ${m}`),
  ];
  return { page, context, problems, allProblems };
}

/**
 * `fn` over `items` with at most `limit` calls in flight (pages open at once in one browser): page
 * loads wait on the server, the renderer and the test in turn, so a few at a time keep both cores busy.
 * Results in the order of `items`; the first error rejects once the calls in flight have settled.
 */
/** Closes what a browser test opened, in order, ignoring what was never opened: pages, browser,
 * server, the built site and the test's work folder. */
export async function tearDown(parts: { opened?: readonly OpenedPage[]; browser?: Browser; server?: StaticServer; site?: BuiltSite; work?: string }): Promise<void> {
  for (const o of parts.opened ?? []) await o.context.close().catch(() => {});
  await parts.browser?.close();
  await parts.server?.close();
  await parts.site?.cleanup();
  if (parts.work) await rm(parts.work, { recursive: true, force: true });
}

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return out;
}

/** Pages the browser tests open at once (see mapLimit). */
export const PAGES_AT_ONCE = 3;

// ---------------------------------------------------------------------------------------------
// Crawler

export interface CrawlResult {
  /** Pages (HTML) visited. */
  pages: string[];
  /** Other internal URLs checked (assets, downloads). */
  assets: string[];
  /** Broken internal links/assets, foreign links, and page problems, with where they were found. */
  broken: string[];
}

/**
 * Follows every internal link (`a[href]`, `link[href]`, `[src]`, `[srcset]`, SVG `a`) from `start`,
 * loading each HTML page in Chromium (so its CSS and images load too) and checking other files
 * with a GET. Any link to another host, any status ≥ 400, and any page problem is reported.
 */
export async function crawl(browser: Browser, start: string, opts: { maxPages?: number; pagesAtOnce?: number } = {}): Promise<CrawlResult> {
  const origin = new URL(start).origin;
  const scope = new URL(start).pathname; // links must stay under the base path
  const maxPages = opts.maxPages ?? 500;
  const seen = new Set<string>();
  const queue: { url: string; from: string }[] = [{ url: start, from: '(start)' }];
  const result: CrawlResult = { pages: [], assets: [], broken: [] };

  const visit = async ({ url, from }: { url: string; from: string }): Promise<void> => {
    const clean = url.split('#')[0];
    const target = new URL(clean);
    if (target.protocol === 'data:') return;
    if (target.origin !== origin) {
      result.broken.push(`link to another host: ${clean} (from ${from})`);
      return;
    }
    if (!target.pathname.startsWith(scope)) {
      result.broken.push(`link outside the base path: ${clean} (from ${from})`);
      return;
    }
    const head = await fetch(clean, { redirect: 'follow' });
    if (head.status >= 400) {
      result.broken.push(`${head.status}: ${clean} (from ${from})`);
      return;
    }
    const type = head.headers.get('content-type') ?? '';
    if (!type.startsWith('text/html')) {
      await head.arrayBuffer();
      result.assets.push(clean);
      return;
    }
    await head.arrayBuffer();
    if (result.pages.length >= maxPages) return;
    result.pages.push(clean);
    const opened = await openPage(browser, clean);
    try {
      for (const p of opened.allProblems()) result.broken.push(`${p} (on ${clean})`);
      const links = await opened.page.evaluate(() => {
        const out: string[] = [];
        for (const el of document.querySelectorAll('[href]')) {
          const href = el.getAttribute('href');
          if (href) out.push(new URL(href, document.baseURI).href);
        }
        for (const el of document.querySelectorAll('[src]')) {
          const src = el.getAttribute('src');
          if (src) out.push(new URL(src, document.baseURI).href);
        }
        for (const el of document.querySelectorAll('[srcset]')) {
          for (const part of (el.getAttribute('srcset') ?? '').split(',')) {
            const u = part.trim().split(/\s+/)[0];
            if (u) out.push(new URL(u, document.baseURI).href);
          }
        }
        return out;
      });
      for (const link of links) if (!seen.has(link.split('#')[0])) queue.push({ url: link, from: clean });
    } finally {
      await opened.context.close();
    }
  };

  // Breadth first, a few pages at a time: each round visits what the previous one found.
  while (queue.length > 0) {
    const round = queue.splice(0).filter(({ url }) => {
      const clean = url.split('#')[0];
      if (seen.has(clean)) return false;
      seen.add(clean);
      return true;
    });
    await mapLimit(round, opts.pagesAtOnce ?? PAGES_AT_ONCE, visit);
  }
  result.pages.sort();
  result.assets.sort();
  return result;
}

/** Every file under `dir` whose text contains `needle` (e.g. the machine's absolute repo path). */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const hits: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if ((await readFile(p)).includes(needle)) hits.push(p.slice(dir.length + 1));
    }
  };
  await walk(dir);
  return hits;
}
