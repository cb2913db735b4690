// `clipscope model fetch` of a SigLIP repository: the logit scale and bias are read from the
// repository's weights with HTTP range requests (never downloading them) and recorded in
// clipscope.json, where loadModel finds them. A local stand-in for the Hub (node:http on 127.0.0.1)
// serves the committed tiny SigLIP fixtures in the Hub's URL layout.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchModel } from '../../integrations/engine/model/fetch.ts';
import { loadModel } from '../../integrations/engine/model/load.ts';

const COMMIT = 'feed'.padEnd(40, '0');
const FIXTURES = 'test/fixtures/models';

async function filesOf(dir: string, prefix = ''): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [k, v] of await filesOf(dir, rel)) out.set(k, v);
    else if (entry.name !== 'reference.json') out.set(rel, await readFile(join(dir, rel)));
  }
  return out;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

let server: Server;
let endpoint = '';
const repos = new Map<string, Map<string, Buffer>>();
/** Range header of every /resolve/ request, per path. */
const ranges: Array<{ path: string; range?: string }> = [];
let ignoreRange = false;
const dirs: string[] = [];

beforeAll(async () => {
  repos.set('test-org/siglip-tiny', await filesOf(join(FIXTURES, 'siglip-tiny')));
  repos.set('test-org/siglip2-tiny', await filesOf(join(FIXTURES, 'siglip2-tiny')));
  repos.set('test-org/siglip2-naflex-tiny', await filesOf(join(FIXTURES, 'siglip2-naflex-tiny')));
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const send = (status: number, body: Buffer | string, headers: Record<string, string | number> = {}) => {
      res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    let m = /^\/api\/models\/(.+)\/revision\/[^/]+$/.exec(url.pathname);
    if (m && repos.has(m[1])) return send(200, JSON.stringify({ sha: COMMIT }));
    m = /^\/api\/models\/(.+)\/tree\/[^/]+$/.exec(url.pathname);
    if (m && repos.has(m[1])) {
      const tree = [{ type: 'directory', path: 'onnx', size: 0, oid: 'd'.repeat(40) }];
      for (const [path, data] of repos.get(m[1])!) {
        const lfs = /\.(onnx|safetensors)$/.test(path);
        tree.push({ type: 'file', path, size: data.length, oid: lfs ? 'e'.repeat(40) : gitOid(data), ...(lfs ? { lfs: { oid: sha256(data), size: data.length } } : {}) });
      }
      return send(200, JSON.stringify(tree), { 'content-type': 'application/json' });
    }
    m = /^\/(.+?\/.+?)\/resolve\/[^/]+\/(.+)$/.exec(url.pathname);
    const data = m ? repos.get(m[1])?.get(decodeURIComponent(m[2])) : undefined;
    if (!m || !data) return send(404, '{}', { 'x-error-code': 'EntryNotFound' });
    ranges.push({ path: m[2], range: req.headers.range });
    const r = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!r || ignoreRange) return send(200, data);
    const begin = Number(r[1]);
    const end = r[2] ? Math.min(Number(r[2]), data.length - 1) : data.length - 1;
    return send(206, data.subarray(begin, end + 1), { 'content-range': `bytes ${begin}-${end}/${data.length}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function fetchInto(repo: string) {
  const dest = await mkdtemp(join(tmpdir(), 'clipscope-fetch-siglip-'));
  dirs.push(dest);
  ranges.length = 0;
  const result = await fetchModel({ repo, dest, endpoint, retries: 0 });
  return { dir: result.dir, record: JSON.parse(await readFile(join(result.dir, 'clipscope.json'), 'utf8')) };
}

describe('clipscope model fetch of a SigLIP repository', () => {
  it('reads logit_scale and logit_bias from onnx/model.onnx by range requests, without downloading it', async () => {
    const { dir, record } = await fetchInto('test-org/siglip-tiny');
    expect(record.logit.source).toBe('onnx/model.onnx');
    expect(record.logit.scale).toBeCloseTo(30, 4);
    expect(record.logit.bias).toBeCloseTo(-2.5, 6);
    expect(record.complete).toBe(true);
    await expect(stat(join(dir, 'onnx', 'model.onnx'))).rejects.toThrow();
    const reads = ranges.filter((r) => r.path === 'onnx/model.onnx');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((r) => r.range?.startsWith('bytes='))).toBe(true);
    // The fetched folder runs with the recorded values.
    const model = await loadModel(dir, { threads: 1 });
    expect(model.info).toMatchObject({ family: 'siglip', logitSource: 'clipscope.json (from onnx/model.onnx)' });
    expect(model.info.logitBias).toBeCloseTo(-2.5, 6);
    await model.close();
  });

  it('prefers model.safetensors: its header and the two tensors, four small requests', async () => {
    const { record } = await fetchInto('test-org/siglip2-tiny');
    expect(record.logit.source).toBe('model.safetensors');
    expect(record.logit.scale).toBeCloseTo(20, 4);
    expect(record.logit.bias).toBeCloseTo(-4, 6);
    const reads = ranges.filter((r) => r.path === 'model.safetensors').map((r) => r.range);
    expect(reads).toHaveLength(4); // length, header, logit_scale, logit_bias
    expect(reads[0]).toBe('bytes=0-7');
  });

  it('records them for SigLIP 2 NaFlex (model_type "siglip2") too, and the fetched folder runs', async () => {
    const { dir, record } = await fetchInto('test-org/siglip2-naflex-tiny');
    expect(record.logit).toMatchObject({ source: 'model.safetensors' });
    expect(record.logit.scale).toBeCloseTo(30, 4);
    expect(record.logit.bias).toBeCloseTo(-0.5, 6);
    const model = await loadModel(dir, { threads: 1 });
    expect(model.info).toMatchObject({ family: 'siglip', logitSource: 'clipscope.json (from model.safetensors)', preprocess: { naflex: { patchSize: 4, maxNumPatches: 24 } } });
    await model.close();
  });

  it('stops with a message when the server ignores Range (it never downloads the weights whole)', async () => {
    ignoreRange = true;
    try {
      await expect(fetchInto('test-org/siglip2-tiny')).rejects.toThrow(/ignored an HTTP Range request for model\.safetensors/);
    } finally {
      ignoreRange = false;
    }
  });
});
