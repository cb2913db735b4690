// The Workbench page's published data (clipscope/workbench-data.ts) and its glue in prepareSite: the
// embeddings as little-endian float32 in parts of whole rows, the JSON's total size, the coders'
// decisions per image, the reasons the page is left out, and option workbench.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { float32Bytes, workbenchFiles } from '../../integrations/clipscope/workbench-data.ts';
import { buildReport, type ReportData } from '../../integrations/clipscope/report/report.ts';
import { prepareSite, removeStagingFolders, reportOptionsOf, type PrepareEffects } from '../../integrations/clipscope/prepare.ts';
import { parseClipscopeOptions } from '../../integrations/clipscope/options.ts';
import { dictionaryHash } from '../../integrations/engine/dictionary.ts';
import { toCsv, toJson } from '../../integrations/engine/results.ts';
import { flattenPhrases } from '../../integrations/core/dictionary.ts';
import { WORKBENCH_FILE, type WorkbenchData } from '../../integrations/core/workbench.ts';
import type { RunEmbeddings } from '../../integrations/engine/run.ts';
import type { RunResult } from '../../integrations/core/types.ts';
import { makeRunResult } from '../fixtures/make-run-result.ts';

const DIM = 4;
let dir: string;

function runResult(count = 10): RunResult {
  return makeRunResult({ syntheticCount: count, seed: 'workbench' });
}

function embeddingsOf(result: RunResult): RunEmbeddings {
  const phrases = flattenPhrases(result.dictionary).length;
  return {
    dim: DIM,
    images: Float32Array.from({ length: result.images.length * DIM }, (_, i) => i + 0.5),
    phrases: Float32Array.from({ length: phrases * DIM }, (_, i) => -i),
  };
}

function reportOf(result: RunResult): ReportData {
  const options = reportOptionsOf(parseClipscopeOptions({}, { root: '/r', env: {} }));
  return buildReport({ result, options });
}

const dictionary = { source: 'dictionary.yaml', format: 'yaml' as const, text: 'x' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clipscope-workbench-data-'));
});
afterAll(async () => {
  await removeStagingFolders();
  await rm(dir, { recursive: true, force: true });
});

describe('workbenchFiles', () => {
  it('splits the image rows into parts of whole rows under the part limit, little-endian float32', () => {
    const result = runResult(10);
    const embeddings = embeddingsOf(result);
    // 3 rows of 16 bytes fit into 50 bytes: parts of 3, 3, 3 and 1 rows.
    const built = workbenchFiles({ report: reportOf(result), embeddings, dictionary, maxPartBytes: 50 });
    if ('reason' in built) throw new Error(built.reason);
    expect(built.data.embeddings.images.map((p) => p.rows)).toEqual([3, 3, 3, 1]);
    const part1 = built.files.get(built.data.embeddings.images[1].file) as Buffer;
    expect(part1.length).toBe(3 * DIM * 4);
    expect(part1.readFloatLE(0)).toBe(embeddings.images[3 * DIM]);
    expect(part1.readFloatLE(4 * (3 * DIM - 1))).toBe(embeddings.images[6 * DIM - 1]);
    expect((built.files.get(built.data.embeddings.phrases) as Buffer).readFloatLE(4)).toBe(-1);
    // The total names every file, the JSON itself included.
    const total = [...built.files.values()].reduce((n, b) => n + Buffer.byteLength(b), 0);
    expect(built.bytes).toBe(total);
    expect((JSON.parse(built.files.get(WORKBENCH_FILE)!.toString()) as WorkbenchData).bytes).toBe(total);
  });

  it('carries the run, the phrases and per image the build’s result and the coders’ decision', () => {
    const result = runResult(4);
    const report = reportOf(result);
    const [a, b, c] = result.images;
    // As validation-report.ts decides: right, wrong with a correction, wrong without one.
    report.validation = {
      bySha256: {
        [a.sha256]: { validated: 'right', category: a.category, right: 1, wrong: 0, adjudicated: false },
        [b.sha256]: { validated: 'wrong', category: 'Green', right: 0, wrong: 1, adjudicated: false },
        [c.sha256]: { validated: 'wrong', category: '', right: 0, wrong: 1, adjudicated: false },
      },
    } as unknown as ReportData['validation'];
    const built = workbenchFiles({ report, embeddings: embeddingsOf(result), dictionary });
    if ('reason' in built) throw new Error(built.reason);
    const d = built.data;
    expect(d.run.scoring).toBe(result.run.scoring);
    expect(d.run.logitScale).toBe(result.run.model.logitScale);
    expect(d.phrases).toEqual(flattenPhrases(result.dictionary).map((p) => ({ text: p.text, category: p.category })));
    expect(d.images.map((i) => i.truth)).toEqual([{ verdict: 'right', category: a.category }, { verdict: 'wrong', category: 'Green' }, { verdict: 'wrong', category: null }, null]);
    expect(d.images[0]).toMatchObject({ sha256: a.sha256, path: a.path, category: a.category, probability: a.probability });
  });

  it('says why it leaves the page out', () => {
    const result = runResult(10);
    expect(workbenchFiles({ report: reportOf(result), embeddings: embeddingsOf(result), dictionary, maxTotalBytes: 100 })).toEqual({ reason: expect.stringMatching(/^its image embeddings would take 160 B/) });
    expect(workbenchFiles({ report: reportOf(result), embeddings: { ...embeddingsOf(result), images: new Float32Array(DIM) }, dictionary })).toEqual({ reason: expect.stringContaining('do not match its results') });
    // The index is one file, and it is larger than 1000 bytes.
    expect(workbenchFiles({ report: reportOf(result), embeddings: embeddingsOf(result), dictionary, maxFileBytes: 1000 })).toEqual({ reason: expect.stringMatching(/^its index would take [\d.]+ kB in one file/) });
  });

  it('writes float32 little-endian', () => {
    expect([...float32Bytes(new Float32Array([1]))]).toEqual([0, 0, 0x80, 0x3f]);
  });
});

describe('prepareSite and option workbench', () => {
  async function prepare(workbench: boolean | undefined, withEmbeddings: boolean) {
    const result = runResult(6);
    const file = join(dir, 'dictionary.yaml');
    const categories = result.dictionary.categories;
    await writeFile(file, stringify(Object.fromEntries(categories.map((c) => [c.name, c.phrases.map((p) => p.text)]))));
    result.dictionary.hash = dictionaryHash(categories);
    const options = parseClipscopeOptions({ images: dir, dictionary: file, cache: null, thumbnails: { list: false }, ...(workbench === undefined ? {} : { workbench }) }, { root: dir, env: {} });
    const log: string[] = [];
    const effects: PrepareEffects = {
      log: (m) => log.push(m),
      warn: (m) => log.push(`warn: ${m}`),
      classify: async (_input, e) => {
        if (withEmbeddings) e.embeddings?.(embeddingsOf(result));
        return result;
      },
      makeThumbnail: async () => {
        throw new Error('no thumbnails here');
      },
      makeOriginal: async () => {
        throw new Error('no originals here');
      },
      readJudgementFiles: async () => ({ files: [], problems: [] }),
      toCsv,
      toJson,
    };
    const prepared = await prepareSite(options, effects);
    return { ...prepared, log, text: await readFile(file, 'utf8') };
  }

  it('is on by default: publishes the data, logs its size, and carries the dictionary text the build read', async () => {
    const { assets, report, log, text } = await prepare(undefined, true);
    const json = assets.get(WORKBENCH_FILE) as { file: string };
    expect(json).toBeDefined();
    const data = JSON.parse(await readFile(json.file, 'utf8')) as WorkbenchData;
    expect(data.dictionary).toEqual({ source: 'dictionary.yaml', format: 'yaml', text });
    expect(report.workbench).toEqual({ bytes: data.bytes, reason: null });
    expect(log.some((l) => /^Workbench: [\d.]+ kB of data/.test(l))).toBe(true);
  });

  it('workbench: false publishes nothing of it and says nothing', async () => {
    const { assets, report, log } = await prepare(false, true);
    expect([...assets.keys()].filter((k) => k.startsWith('_clipscope/workbench/'))).toEqual([]);
    expect(report.workbench).toEqual({ bytes: null, reason: null });
    expect(log.filter((l) => /workbench/i.test(l))).toEqual([]);
  });

  it('leaves the page out with the reason when the engine hands over no embeddings', async () => {
    const { report, log } = await prepare(true, false);
    expect(report.workbench.bytes).toBeNull();
    expect(log).toContain('warn: The Workbench page is left out: the engine did not hand over the embeddings of this run.');
  });

  it('refuses a value that is not true or false, naming the option', () => {
    expect(() => parseClipscopeOptions({ workbench: 'yes' }, { root: dir, env: {} })).toThrow(/workbench/);
  });
});
