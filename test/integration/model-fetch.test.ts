// `clipscope model fetch` against a local stand-in for the Hugging Face Hub (node:http on 127.0.0.1,
// random port) that serves a generated model in the Hub's URL layout: the revision and paged tree
// APIs, /resolve/ with a redirect of LFS files to a "CDN" path, HTTP Range, and connection cuts.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import { fetchLimits, fetchModel, hubFromEnv, type DownloadProgress, type FetchModelOptions } from '../../integrations/engine/model/fetch.ts';
import { formatProgress, progressPrinter } from '../../integrations/cli/model.ts';
import { readClipTokenizer } from '../../integrations/engine/model/tokenizer.ts';
import { buildClipTokenizerFiles } from '../../scripts/models/tokenizer-files.ts';

const REPO = 'test-org/clip-tiny';
const COMMIT = 'c0ffee'.padEnd(40, '0');
const LFS = /\.onnx(_data)?$/;

/** Deterministic pseudo-random bytes (a sha256 chain), so the "model" is the same on every run. */
function bytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < length; i += 32) {
    block.copy(out, i, 0, Math.min(32, length - i));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

function modelRepo(): Map<string, Buffer> {
  const { tokenizerJson, tokenizerConfig } = buildClipTokenizerFiles();
  const json = (o: unknown) => Buffer.from(`${JSON.stringify(o, null, 2)}\n`);
  return new Map([
    ['README.md', Buffer.from('# clip-tiny\n')],
    ['config.json', json({ model_type: 'clip', projection_dim: 8 })],
    ['preprocessor_config.json', json({ crop_size: 224, size: { shortest_edge: 224 } })],
    ['tokenizer.json', Buffer.from(JSON.stringify(tokenizerJson))],
    ['tokenizer_config.json', json(tokenizerConfig)],
    ['special_tokens_map.json', json({ eos_token: '<|endoftext|>' })],
    ['onnx/model.onnx', bytes('combined', 5_000)],
    ['onnx/vision_model.onnx', bytes('vision', 300_000)],
    ['onnx/text_model.onnx', bytes('text', 200_000)],
    ['onnx/vision_model_quantized.onnx', bytes('vision-q', 80_000)],
    ['onnx/text_model_quantized.onnx', bytes('text-q', 60_000)],
    ['onnx/vision_model_fp16.onnx', bytes('vision-16', 150_000)],
    ['onnx/text_model_fp16.onnx', bytes('text-16', 100_000)],
    // An int8 vision graph without its text graph: variant int8 is incomplete.
    ['onnx/vision_model_int8.onnx', bytes('vision-i8', 80_000)],
  ]);
}

interface HubBehaviour {
  /** Paths whose first CDN transfer stops after this many bytes (headers promise the whole file). */
  cutOnce: Map<string, number>;
  /** Paths the tree API lists with a wrong sha256. */
  wrongSha: Set<string>;
  /** Paths whose CDN transfer ignores Range and always sends the whole file. */
  ignoreRange: Set<string>;
  /** Paths whose first CDN transfer sends this many bytes and then nothing, without closing. */
  stallOnce: Map<string, number>;
  /** Paths whose every transfer sends the file followed by this many more bytes, chunked or with a
   * Content-Length that says so. */
  oversize: Map<string, { extra: number; announced: boolean }>;
  /** Paths the tree API lists with this value as their size (lfs.size for LFS files). */
  badSize: Map<string, unknown>;
  /** Paths whose every transfer fails with HTTP 503. */
  serverError: Set<string>;
}

function HubBehaviour(): HubBehaviour {
  return { cutOnce: new Map(), wrongSha: new Set(), ignoreRange: new Set(), stallOnce: new Map(), oversize: new Map(), badSize: new Map(), serverError: new Set() };
}

interface Logged {
  url: string;
  range?: string;
  authorization?: string;
}

class FakeHub {
  readonly files = modelRepo();
  readonly requests: Logged[] = [];
  behaviour: HubBehaviour = HubBehaviour();
  private server: Server = createServer((req, res) => this.handle(req, res));
  endpoint = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  reset(): void {
    this.requests.length = 0;
    this.behaviour = HubBehaviour();
    this.pendingCuts.clear();
  }

  rangesFor(path: string): Array<string | undefined> {
    const sha = sha256(this.files.get(path)!);
    return this.requests.filter((r) => r.url.startsWith(`/cdn/${sha}`)).map((r) => r.range);
  }

  private pendingCuts = new Map<string, { at: number; drop: () => void }>();

  /** Progress hook for fetchModel: drops a cut connection once the client has saved the bytes sent. */
  observe(p: DownloadProgress): void {
    const cut = this.pendingCuts.get(p.path);
    if (cut && p.received >= cut.at) {
      this.pendingCuts.delete(p.path);
      cut.drop();
    }
  }

  private tree(): object[] {
    const entries: object[] = [{ type: 'directory', oid: 'd'.repeat(40), size: 0, path: 'onnx' }];
    for (const [path, data] of this.files) {
      const entry: Record<string, unknown> = { type: 'file', oid: gitOid(data), size: data.length, path };
      if (LFS.test(path)) {
        const oid = this.behaviour.wrongSha.has(path) ? sha256(Buffer.from('something else')) : sha256(data);
        entry.lfs = { oid, size: data.length, pointerSize: 134 };
        entry.size = data.length;
        entry.oid = 'e'.repeat(40); // the git oid of the pointer file, not of the content
      }
      if (this.behaviour.badSize.has(path)) {
        const size = this.behaviour.badSize.get(path);
        if (entry.lfs) (entry.lfs as Record<string, unknown>).size = size;
        else entry.size = size;
      }
      entries.push(entry);
    }
    return entries;
  }

  /** The file's bytes as the server sends them, misbehaving as told; true when it handled the request. */
  private misbehave(path: string, data: Buffer, res: ServerResponse): boolean {
    if (this.behaviour.serverError.has(path)) {
      res.writeHead(503, { 'content-length': 0 });
      res.end();
      return true;
    }
    const over = this.behaviour.oversize.get(path);
    if (over === undefined) return false;
    const { extra, announced } = over;
    // The file, then more and more bytes, as long as the client reads.
    res.writeHead(200, announced ? { 'content-length': data.length + extra } : {});
    res.write(data);
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    let left = extra;
    const more = () => {
      while (left > 0 && !res.destroyed) {
        left -= chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      if (!res.destroyed) res.end();
    };
    more();
    return true;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url!, this.endpoint);
    this.requests.push({ url: req.url!, range: req.headers.range, authorization: req.headers.authorization });
    const send = (status: number, body: string | Buffer, headers: Record<string, string | number> = {}) => {
      res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    const notFound = (code: string) => send(404, JSON.stringify({ error: `${code}` }), { 'x-error-code': code, 'content-type': 'application/json' });
    const repo = `/${REPO}`;

    let m = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (m) {
      if (`/${m[1]}` !== repo) return notFound('RepoNotFound');
      if (![COMMIT, 'main'].includes(decodeURIComponent(m[2]))) return notFound('RevisionNotFound');
      return send(200, JSON.stringify({ id: REPO, sha: COMMIT }), { 'content-type': 'application/json' });
    }
    m = /^\/api\/models\/(.+)\/tree\/([^/]+)$/.exec(url.pathname);
    if (m) {
      if (`/${m[1]}` !== repo) return notFound('RepoNotFound');
      if (m[2] !== COMMIT || url.searchParams.get('recursive') !== 'true') return notFound('RevisionNotFound');
      // Pages of 4 entries, linked the way the Hub does (Link: <…cursor=…>; rel="next").
      const all = this.tree();
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + 4 < all.length) headers.link = `<${this.endpoint}${url.pathname}?recursive=true&cursor=${start + 4}>; rel="next"`;
      return send(200, JSON.stringify(all.slice(start, start + 4)), headers);
    }
    if (url.pathname.startsWith(`${repo}/resolve/`)) {
      const [rev, ...rest] = url.pathname.slice(`${repo}/resolve/`.length).split('/');
      const path = rest.map(decodeURIComponent).join('/');
      const data = this.files.get(path);
      if (rev !== COMMIT || !data) return notFound('EntryNotFound');
      // LFS files live on a CDN; the Hub answers with a redirect to it.
      if (LFS.test(path)) return send(302, '', { location: `/cdn/${sha256(data)}?name=${encodeURIComponent(path)}` });
      if (this.misbehave(path, data, res)) return;
      return send(200, data);
    }
    m = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    if (m) {
      const path = url.searchParams.get('name')!;
      const data = this.files.get(path);
      if (!data || sha256(data) !== m[1]) return notFound('EntryNotFound');
      if (this.misbehave(path, data, res)) return;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (range && !this.behaviour.ignoreRange.has(path)) {
        const from = Number(range[1]);
        if (from >= data.length) return send(416, '', { 'content-range': `bytes */${data.length}` });
        return send(206, data.subarray(from), { 'content-range': `bytes ${from}-${data.length - 1}/${data.length}` });
      }
      const stall = this.behaviour.stallOnce.get(path);
      if (stall !== undefined) {
        this.behaviour.stallOnce.delete(path);
        res.writeHead(200, { 'content-length': data.length });
        res.write(data.subarray(0, stall));
        return;
      }
      const cut = this.behaviour.cutOnce.get(path);
      if (cut !== undefined) {
        // Send part of the file, then drop the connection once the client has written that part
        // (seen through its progress reports, see observe()), so the test knows where it resumes.
        this.behaviour.cutOnce.delete(path);
        res.writeHead(200, { 'content-length': data.length });
        res.write(data.subarray(0, cut));
        this.pendingCuts.set(path, { at: cut, drop: () => res.socket?.destroy() });
        return;
      }
      return send(200, data);
    }
    return notFound('EntryNotFound');
  }
}

const hub = new FakeHub();
let dest: string;

beforeAll(() => hub.start());
afterAll(() => hub.stop());
beforeEach(async () => {
  hub.reset();
  dest = await mkdtemp(join(tmpdir(), 'clipscope-fetch-'));
});
afterEach(() => rm(dest, { recursive: true, force: true }));

function options(extra: Partial<FetchModelOptions> = {}): FetchModelOptions {
  const onProgress = (p: DownloadProgress) => {
    extra.onProgress?.(p);
    hub.observe(p);
  };
  return { repo: REPO, dest, endpoint: hub.endpoint, retries: 2, retryDelayMs: 0, timeout: 10, ...extra, onProgress };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1).split('\\').join('/'))
    .sort();
}

async function expectClipscopeError(p: Promise<unknown>): Promise<Error & { kind: string; hint?: string }> {
  try {
    await p;
  } catch (e) {
    expect(isClipscopeError(e)).toBe(true);
    return e as Error & { kind: string; hint?: string };
  }
  throw new Error('expected a ClipscopeError');
}

describe('fetchModel', () => {
  it('downloads the fp32 model folder, resuming a file whose connection was cut mid-way', async () => {
    hub.behaviour.cutOnce.set('onnx/vision_model.onnx', 120_000);
    const progress: DownloadProgress[] = [];
    const log: string[] = [];
    const result = await fetchModel(options({ onProgress: (p) => progress.push({ ...p }), log: (l) => log.push(l), token: 'hf_test' }));

    const dir = join(dest, 'clip-tiny');
    expect(result.dir).toBe(dir);
    expect(result.commit).toBe(COMMIT);
    expect(result.variant).toBe('fp32');
    expect(await listFiles(dir)).toEqual([
      'clipscope.json',
      'config.json',
      'onnx/text_model.onnx',
      'onnx/vision_model.onnx',
      'preprocessor_config.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    for (const path of (await listFiles(dir)).filter((p) => p !== 'clipscope.json')) {
      expect(sha256(await readFile(join(dir, path))), path).toBe(sha256(hub.files.get(path)!));
    }
    // The cut transfer was resumed where it stopped, not started over.
    expect(hub.rangesFor('onnx/vision_model.onnx')).toEqual([undefined, 'bytes=120000-']);
    expect(log.some((l) => l.includes('onnx/vision_model.onnx') && l.includes('resuming'))).toBe(true);
    const vision = progress.filter((p) => p.path === 'onnx/vision_model.onnx');
    expect(vision.at(-1)).toMatchObject({ received: 300_000, total: 300_000, resumedFrom: 120_000, done: true });
    // Every request carried the token; only the needed files were fetched.
    expect(hub.requests.every((r) => r.authorization === 'Bearer hf_test')).toBe(true);
    expect(hub.requests.some((r) => r.url.includes('model.onnx?') || r.url.endsWith('/onnx/model.onnx'))).toBe(false);
    expect(hub.requests.some((r) => r.url.includes('README.md') || r.url.includes('fp16'))).toBe(false);

    const record = JSON.parse(await readFile(join(dir, 'clipscope.json'), 'utf8'));
    expect(record).toMatchObject({ repo: REPO, revision: 'main', commit: COMMIT, variant: 'fp32', complete: true });
    expect(record.files.find((f: { path: string }) => f.path === 'onnx/vision_model.onnx').sha256).toBe(sha256(hub.files.get('onnx/vision_model.onnx')!));
    // The fetched tokenizer files are usable as they are.
    expect((await readClipTokenizer(dir)).encode('a photo of a cat').ids).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
  });

  it('keeps complete files on a second run and downloads nothing', async () => {
    await fetchModel(options());
    hub.reset();
    const result = await fetchModel(options());
    expect(result.files.every((f) => !f.downloaded)).toBe(true);
    expect(hub.requests.some((r) => r.url.includes('/resolve/') || r.url.startsWith('/cdn/'))).toBe(false);
  });

  it('resumes a .part file left by an interrupted earlier run', async () => {
    const dir = join(dest, 'clip-tiny');
    const text = hub.files.get('onnx/text_model.onnx')!;
    await mkdir(join(dir, 'onnx'), { recursive: true });
    await writeFile(join(dir, 'onnx/text_model.onnx.part'), text.subarray(0, 50_000));
    await fetchModel(options());
    expect(hub.rangesFor('onnx/text_model.onnx')).toEqual(['bytes=50000-']);
    expect(sha256(await readFile(join(dir, 'onnx/text_model.onnx')))).toBe(sha256(text));
    expect(await listFiles(dir)).not.toContain('onnx/text_model.onnx.part');
  });

  it('gives up on a stalled transfer and resumes it', async () => {
    hub.behaviour.stallOnce.set('onnx/text_model.onnx', 40_000);
    const log: string[] = [];
    await fetchModel(options({ timeout: 0.3, log: (l) => log.push(l) }));
    expect(log.some((l) => l.includes('no data for 300 ms'))).toBe(true);
    // A second request was made (with a Range when bytes had been saved before the stall).
    expect(hub.rangesFor('onnx/text_model.onnx')).toHaveLength(2);
    expect(sha256(await readFile(join(dest, 'clip-tiny/onnx/text_model.onnx')))).toBe(sha256(hub.files.get('onnx/text_model.onnx')!));
  });

  it('says the partial file is kept when every attempt fails', async () => {
    hub.behaviour.cutOnce.set('onnx/text_model.onnx', 30_000);
    const e = await expectClipscopeError(fetchModel(options({ retries: 0 })));
    expect(e.kind).toBe('network');
    expect(e.message).toContain('onnx/text_model.onnx');
    expect(e.hint).toContain('text_model.onnx.part is kept');
    expect((await readFile(join(dest, 'clip-tiny/onnx/text_model.onnx.part'))).length).toBe(30_000);
    await fetchModel(options());
    expect(hub.rangesFor('onnx/text_model.onnx').at(-1)).toBe('bytes=30000-');
  });

  it('does not say a partial file is kept when there is none', async () => {
    hub.behaviour.serverError.add('onnx/text_model.onnx');
    const e = await expectClipscopeError(fetchModel(options({ retries: 1 })));
    expect(e.message).toContain('onnx/text_model.onnx');
    expect(e.message).toContain('HTTP 503');
    expect(e.hint).not.toContain('is kept');
    expect(e.hint).toMatch(/again/);
    expect((await listFiles(join(dest, 'clip-tiny'))).some((f) => f.endsWith('.part'))).toBe(false);
  });

  it.each([
    ['config.json', 10_000_000, false],
    ['onnx/text_model.onnx', 3_000_000, false],
    ['config.json', 10_000_000, true],
  ])('stops %s at its listed size when the server sends %i bytes more (Content-Length: %s), deletes the part file and does not retry', async (path, extra, announced) => {
    hub.behaviour.oversize.set(path, { extra, announced });
    const listed = hub.files.get(path)!.length;
    let most = 0;
    const e = await expectClipscopeError(
      fetchModel(
        options({
          onProgress: (p) => {
            if (p.path === path) most = Math.max(most, p.received);
          },
        }),
      ),
    );
    expect(e.kind).toBe('download');
    expect(e.message).toContain(path);
    expect(e.message).toContain(`more than the ${listed} bytes listed`);
    expect(most).toBeLessThanOrEqual(listed);
    expect((await listFiles(join(dest, 'clip-tiny'))).some((f) => f.startsWith(path))).toBe(false);
    // Asked once: a server that sends too much is not asked again.
    expect(hub.requests.filter((r) => r.url.includes(`/resolve/${COMMIT}/${path}`))).toHaveLength(1);
  });

  it.each([
    ['config.json', 'abc'],
    ['tokenizer.json', -1],
    ['onnx/vision_model.onnx', 1.5],
    ['onnx/text_model.onnx', null],
  ])('refuses a listing where %s has the size %j, before downloading anything', async (path, size) => {
    hub.behaviour.badSize.set(path, size);
    const e = await expectClipscopeError(fetchModel(options()));
    expect(e.message).toContain(path);
    expect(e.message).toContain(`size ${JSON.stringify(size)}`);
    expect(hub.requests.some((r) => r.url.includes('/resolve/') || r.url.startsWith('/cdn/'))).toBe(false);
  });

  it('starts over when the server ignores Range', async () => {
    hub.behaviour.cutOnce.set('onnx/text_model.onnx', 70_000);
    hub.behaviour.ignoreRange.add('onnx/text_model.onnx');
    await fetchModel(options());
    expect(hub.rangesFor('onnx/text_model.onnx')).toEqual([undefined, 'bytes=70000-']);
    const text = hub.files.get('onnx/text_model.onnx')!;
    expect(sha256(await readFile(join(dest, 'clip-tiny/onnx/text_model.onnx')))).toBe(sha256(text));
  });

  it('--quantized stores the int8 graphs under the Hub names the quantized variant is read from', async () => {
    const result = await fetchModel(options({ quantized: true, name: 'clip-tiny-int8' }));
    const dir = join(dest, 'clip-tiny-int8');
    expect(result.variant).toBe('quantized');
    const files = await listFiles(dir);
    expect(files.filter((f) => f.startsWith('onnx/'))).toEqual(['onnx/text_model_quantized.onnx', 'onnx/vision_model_quantized.onnx']);
    expect(JSON.parse(await readFile(join(dir, 'clipscope.json'), 'utf8')).variant).toBe('quantized');
  });

  it("--variant fetches exactly that variant's graphs, under the names --variant reads at run time", async () => {
    const result = await fetchModel(options({ variant: 'fp16', name: 'clip-tiny-fp16' }));
    const dir = join(dest, 'clip-tiny-fp16');
    expect(result.variant).toBe('fp16');
    const files = await listFiles(dir);
    expect(files.filter((f) => f.startsWith('onnx/'))).toEqual(['onnx/text_model_fp16.onnx', 'onnx/vision_model_fp16.onnx']);
    expect(sha256(await readFile(join(dir, 'onnx/text_model_fp16.onnx')))).toBe(sha256(hub.files.get('onnx/text_model_fp16.onnx')!));
    expect(JSON.parse(await readFile(join(dir, 'clipscope.json'), 'utf8')).variant).toBe('fp16');
    // --quantized is --variant quantized; both at once must agree.
    expect((await fetchModel(options({ variant: 'quantized', quantized: true, name: 'clip-tiny-q' }))).variant).toBe('quantized');
  });

  it('--variant of a variant the repository lacks names the missing graph and the variants it has, before downloading', async () => {
    const e = await expectClipscopeError(fetchModel(options({ variant: 'int8' })));
    expect(e.kind).toBe('model');
    expect(e.message).toContain('has no onnx/text_model_int8.onnx');
    expect(e.message).not.toContain('vision_model_int8');
    expect(e.hint).toContain('variant "fp32", "quantized", "fp16": run the command with --variant fp32');
    expect(hub.requests.some((r) => r.url.includes('/resolve/') || r.url.startsWith('/cdn/'))).toBe(false);
  });

  it('refuses an unknown --variant and --quantized with another --variant, as option errors', async () => {
    const unknown = await expectClipscopeError(fetchModel(options({ variant: 'fp8' })));
    expect(unknown.kind).toBe('options');
    expect(unknown.message).toContain('Invalid value fp8 for --variant: expected one of fp32, quantized, fp16, int8, uint8, q4, q4f16, bnb4');
    const both = await expectClipscopeError(fetchModel(options({ variant: 'fp16', quantized: true })));
    expect(both.kind).toBe('options');
    expect(both.message).toContain('--quantized and --variant fp16');
    expect(hub.requests).toEqual([]);
  });

  it('reports a wrong sha256, deletes the damaged download and says to retry', async () => {
    hub.behaviour.wrongSha.add('onnx/vision_model.onnx');
    const e = await expectClipscopeError(fetchModel(options()));
    expect(e.kind).toBe('download');
    expect(e.message).toContain('onnx/vision_model.onnx');
    expect(e.message).toContain('sha256');
    expect(e.hint).toMatch(/again/);
    const files = await listFiles(join(dest, 'clip-tiny'));
    expect(files.some((f) => f.startsWith('onnx/vision_model.onnx'))).toBe(false);
    expect(JSON.parse(await readFile(join(dest, 'clip-tiny/clipscope.json'), 'utf8')).complete).toBe(false);
  });

  it('gives a clear message for a repository that does not exist', async () => {
    const e = await expectClipscopeError(fetchModel(options({ repo: 'test-org/no-such-model' })));
    expect(e.message).toContain('"test-org/no-such-model" was not found');
    expect(e.message).toContain('404');
    expect(await listFiles(dest)).toEqual([]);
  });

  it('gives a clear message for an unknown revision', async () => {
    const e = await expectClipscopeError(fetchModel(options({ revision: 'v9' })));
    expect(e.message).toContain('Revision "v9"');
  });

  it('gives a clear message when the server cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const e = await expectClipscopeError(fetchModel(options({ endpoint: `http://127.0.0.1:${port}` })));
    expect(e.kind).toBe('network');
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('refuses a folder that holds another model and bad ids or names', async () => {
    await mkdir(join(dest, 'clip-tiny'));
    await writeFile(join(dest, 'clip-tiny/config.json'), '{}');
    expect((await expectClipscopeError(fetchModel(options()))).message).toContain('already holds another model');
    expect((await expectClipscopeError(fetchModel(options({ repo: '../etc' })))).kind).toBe('options');
    expect((await expectClipscopeError(fetchModel(options({ name: '../x' })))).kind).toBe('options');
  });
});

/** Runs integrations/cli/model.ts in its own process, registered on a bare commander program the
 * way commands.ts does, so these tests do not depend on the other subcommands. */
async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: unknown; stdout: string; stderr: string }> {
  const model = join(import.meta.dirname, '../../integrations/cli/model.ts');
  const script = `import { Command } from 'commander'; import { register } from ${JSON.stringify(pathToFileURL(model).href)};
    const p = new Command('clipscope'); register(p); await p.parseAsync(process.argv.slice(1), { from: 'user' });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], {
    env: { ...process.env, HF_ENDPOINT: hub.endpoint, ...env },
    cwd: join(import.meta.dirname, '../..'),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

describe('progress and environment', () => {
  it('formats bytes, percent and rate', () => {
    const p = { path: 'onnx/a.onnx', received: 1_500_000, total: 6_000_000, resumedFrom: 0, bytesPerSecond: 2_500_000, done: false };
    expect(formatProgress(p)).toBe('onnx/a.onnx  1.5 MB / 6.0 MB  25.0%  2.5 MB/s');
    const lines: string[] = [];
    const print = progressPrinter({ write: (s: string) => lines.push(s) });
    for (const received of [0, 1_000_000, 1_600_000, 3_100_000, 6_000_000]) print({ ...p, received, done: false });
    print({ ...p, received: 6_000_000, done: true });
    // Without a terminal: the first report in each quarter, then the final one.
    expect(lines.map((l) => l.split('  ')[2])).toEqual(['0.0%', '26.7%', '51.7%', '100.0%', '100.0%']);
  });

  it('--timeout and --retries are validated, with their defaults when not given', () => {
    expect(fetchLimits({})).toEqual({ idleTimeoutMs: 60_000, attempts: 5 });
    expect(fetchLimits({ timeout: '2.5', retries: '0' })).toEqual({ idleTimeoutMs: 2500, attempts: 1 });
    expect(fetchLimits({ timeout: 0.3, retries: 7 })).toEqual({ idleTimeoutMs: 300, attempts: 8 });
    for (const [flag, value] of [['timeout', '0'], ['timeout', 'soon'], ['timeout', '-1'], ['timeout', '7200'], ['retries', '1.5'], ['retries', '-1'], ['retries', 'many'], ['retries', '1000']]) {
      let error: unknown;
      try {
        fetchLimits({ [flag]: value });
      } catch (e) {
        error = e;
      }
      expect(isClipscopeError(error), `${flag} ${value}`).toBe(true);
      expect((error as Error & { kind: string }).kind).toBe('options');
      expect((error as Error).message).toContain(`Invalid value ${value} for --${flag}: expected `);
    }
    // Both flags' problems in one message.
    expect(() => fetchLimits({ timeout: 'soon', retries: '-1' })).toThrow(
      '2 problems on the command line:\n  Invalid value soon for --timeout: expected a number of seconds above 0 (at most 3600)\n  Invalid value -1 for --retries: expected a whole number from 0 to 100',
    );
  });

  it('reads HF_ENDPOINT and HF_TOKEN', () => {
    expect(hubFromEnv({})).toEqual({ endpoint: 'https://huggingface.co', token: undefined });
    expect(hubFromEnv({ HF_ENDPOINT: 'http://mirror.local', HF_TOKEN: 'hf_x' })).toEqual({ endpoint: 'http://mirror.local', token: 'hf_x' });
  });

  it('the CLI gives up on a stalled server after --timeout and --retries', async () => {
    hub.behaviour.stallOnce.set('onnx/vision_model.onnx', 0);
    hub.behaviour.serverError.add('onnx/text_model.onnx');
    const started = performance.now();
    const run = await runCli(['model', 'fetch', REPO, '--dest', dest, '--timeout', '0.5', '--retries', '1']);
    expect(run.stderr).toContain('onnx/vision_model.onnx: no data for 500 ms; resuming (attempt 2 of 2)');
    // Two transfers of text_model.onnx (HTTP 503 both times), no third: --retries 1 is two attempts.
    expect(run.stderr).toContain('Downloading onnx/text_model.onnx of test-org/clip-tiny failed 2 times (last: HTTP 503)');
    expect(run.code).not.toBe(0);
    expect(hub.requests.filter((r) => r.url.includes('name=onnx%2Ftext_model.onnx'))).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(20_000);
    const bad = await runCli(['model', 'fetch', REPO, '--dest', dest, '--retries', 'lots']);
    expect(bad.stderr).toContain('Invalid value lots for --retries: expected a whole number from 0 to 100');
    // Help text with commander's line wrapping undone.
    const help = { stdout: (await runCli(['model', 'fetch', '--help'])).stdout.replace(/\n\s+(?!-)/g, ' ') };
    expect(help.stdout).toMatch(/--timeout <seconds> +give a request up after this many seconds without data, then resume it \(default 60\)/);
    expect(help.stdout).toMatch(/--retries <n> +transfers of a file after a failed one, 0 for none \(default 4\)/);
  });

  it('the CLI takes --variant, says how to run the folder, and exits 2 on an unknown variant', async () => {
    const run = await runCli(['model', 'fetch', REPO, '--dest', dest, '--name', 'cli-fp16', '--variant', 'fp16']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Fetched ${REPO} (fp16) into ${join(dest, 'cli-fp16')}`);
    expect(run.stdout).toContain(`Run it with --model ${join(dest, 'cli-fp16')} --variant fp16.`);
    // The real command (bin/clipscope.js): unusable input is exit code 2, with what to do.
    const bad = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/clipscope.js'), 'model', 'fetch', REPO, '--dest', dest, '--variant', 'fp8'], {
        env: { ...process.env, HF_ENDPOINT: hub.endpoint },
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid value fp8 for --variant: expected one of fp32, quantized, fp16');
    const help = (await runCli(['model', 'fetch', '--help'])).stdout.replace(/\n\s+(?!-)/g, ' ');
    expect(help).toMatch(/--variant <variant> +the graphs to fetch: fp32, quantized, fp16, int8, uint8, q4, q4f16, bnb4/);
    expect(help).toMatch(/--quantized +the same as --variant quantized/);
  });

  it('the CLI command fetches from HF_ENDPOINT with HF_TOKEN and prints progress on stderr', async () => {
    const { code, stdout, stderr } = await runCli(['model', 'fetch', REPO, '--dest', dest, '--name', 'via-cli'], { HF_TOKEN: 'hf_cli' });
    expect(stderr).toMatch(/onnx\/vision_model\.onnx {2}300\.0 kB \/ 300\.0 kB {2}100\.0% {2}\S+ \S*B\/s/);
    expect(code).toBe(0);
    expect(stdout).toContain(`Fetched ${REPO} (fp32) into ${join(dest, 'via-cli')}: 7 files downloaded`);
    expect(hub.requests.length).toBeGreaterThan(7);
    expect(hub.requests.every((r) => r.authorization === 'Bearer hf_cli')).toBe(true);
    expect(sha256(await readFile(join(dest, 'via-cli/onnx/vision_model.onnx')))).toBe(sha256(hub.files.get('onnx/vision_model.onnx')!));
  });
});
