// `astro dev` serves the report, its thumbnails and downloads, and picks up a changed dictionary
// without a restart (the integration watches the file, re-prepares and invalidates the report).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { parseTextTowerManifest, TEXT_TOWER_DIR } from '../../integrations/core/text-tower.ts';
import { launchBrowser, openPage, REPO_ROOT } from './helpers.ts';

let work: string;
let dev: ChildProcess;
let origin: string;
let output = '';

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

/** Polls `check` until it returns true or `ms` pass. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const text = async (path: string) => (await fetch(`${origin}${path}`)).text();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'clipscope-dev-'));
  await copyFile(join(REPO_ROOT, 'content', 'dictionary.yaml'), join(work, 'dictionary.yaml'));
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NODE_ENV|BASE_URL|MODE|DEV|PROD|SSR|TEST|VITEST.*)$/.test(k)));
  dev = spawn(process.execPath, [join(REPO_ROOT, 'node_modules/astro/bin/astro.mjs'), 'dev', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: REPO_ROOT,
    env: { ...env, CLIPSCOPE_DICTIONARY: join(work, 'dictionary.yaml'), CLIPSCOPE_CACHE_DIR: join(work, 'cache'), ASTRO_TELEMETRY_DISABLED: '1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stdout!.on('data', (d) => (output += d));
  dev.stderr!.on('data', (d) => (output += d));
  const up = await eventually(async () => (await fetch(`${origin}/dictionary/`)).ok, 90_000);
  if (!up) throw new Error(`astro dev did not serve the report:\n${output}`);
});

afterAll(async () => {
  dev?.kill('SIGTERM');
  if (work) await rm(work, { recursive: true, force: true });
});

describe('astro dev', () => {
  it('serves the report pages, thumbnails and downloads', async () => {
    const category = /href="(\/categories\/[^"/]+\/)"/.exec(await text('/'))![1];
    const page = await text(category);
    const thumb = /\/_clipscope\/thumbs\/[0-9a-f]{24}-\d+\.webp/.exec(page)?.[0];
    expect(thumb).toBeDefined();
    const res = await fetch(`${origin}${thumb}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect((await fetch(`${origin}/downloads/results.csv`)).status).toBe(200);
  });

  it('serves the Workbench page and its data through the same path, and the page matches the build', async () => {
    const browser = await launchBrowser();
    try {
      const o = await openPage(browser, `${origin}/workbench/`);
      await o.page.waitForSelector('#workbench[data-ready="true"]', { timeout: 60_000 });
      expect(await o.page.textContent('#wb-baseline')).toMatch(/^Matches the build: (\d+) of \1 images/);
      expect(o.problems.failedRequests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);

  it("serves the Workbench's text tower as a build publishes it: manifest, files of the stated sizes and sums", async () => {
    const manifest = parseTextTowerManifest(await (await fetch(`${origin}/${TEXT_TOWER_DIR}manifest.json`)).json());
    if ('problem' in manifest) throw new Error(manifest.problem);
    expect(manifest.model).toBe('demo-colors');
    for (const f of manifest.files) {
      const res = await fetch(`${origin}/${TEXT_TOWER_DIR}${f.name}`);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect([f.name, res.status, bytes.length, createHash('sha256').update(bytes).digest('hex')]).toEqual([f.name, 200, f.bytes, f.sha256]);
    }
    expect((await fetch(`${origin}/${TEXT_TOWER_DIR}nothing.onnx`)).status).toBe(404);
  });

  it('picks up a changed dictionary without a restart', async () => {
    expect(await text('/dictionary/')).not.toContain('Purple');
    expect((await fetch(`${origin}/categories/purple/`)).status).toBe(404);
    const dictionary = join(work, 'dictionary.yaml');
    await writeFile(dictionary, `${await readFile(dictionary, 'utf8')}\n"Purple":\n  - "a purple picture"\n`);
    const updated = await eventually(async () => (await text('/dictionary/')).includes('Purple'), 30_000);
    expect(updated, output).toBe(true);
    expect((await fetch(`${origin}/categories/purple/`)).status).toBe(200);
    expect(output).toContain('Dictionary changed: preparing the report again');
  });
});
