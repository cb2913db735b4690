// `clipscope classify --table` as a researcher runs it (a child process, the demo model): the posts
// table comes back with every row and column as it was plus the seed's classification columns, in its
// own format; the rows join to the per-image results; user errors are refused before any work; and a
// folder of per-account subfolders gets folder groups.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../integrations/core/types.ts';
import { runClipscope } from '../fixtures/cli.ts';
import { readRfc4180 } from '../fixtures/rfc4180.ts';

const ROOT = join(import.meta.dirname, '../..');
const MODEL = join(ROOT, 'models/demo-colors');
const DICTIONARY = join(ROOT, 'content/dictionary.yaml');

let tmp: string;

const clipscope = (args: string[]) => runClipscope(args, tmp, { CLIPSCOPE_CACHE_DIR: join(tmp, 'cache') });

const run = (table: string, ...extra: string[]) => clipscope(['classify', '--table', table, '--model', MODEL, '--dictionary', DICTIONARY, '--threads', '1', ...extra]);

// Extra columns, Unicode, quotes and newlines, a duplicate image, a missing file, an empty cell, a
// damaged image and a 19-digit id.
const POSTS = [
  'post_id,account,party,date,caption,likes,Image',
  '1234567890123456789,afd.bund,AfD,2024-03-02,"Wahlkampf „Heimat“ 🇩🇪",0120,accounts/afd.bund/coffee.png',
  '2,spdde,SPD,2024-03-05,"Línea ""2"", multi\nline",45,accounts/spdde/camera.png',
  '3,afd.bund,AfD,2024-04-01,日本語,7,accounts/afd.bund/coffee.png',
  '4,cdu,CDU,2024-04-02,x,1,accounts/cdu/gone.jpg',
  '5,cdu,CDU,2024-04-03,y,2,',
  '6,cdu,CDU,2024-04-04,z,3,accounts/cdu/truncated.png',
  '7,gruene,Grüne,2024-05-01,😀,5,accounts/gruene/horse.png',
].join('\n') + '\n';

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clipscope-table-cli-'));
  const accounts = join(tmp, 'data', 'accounts');
  for (const [account, file] of [['afd.bund', 'coffee.png'], ['spdde', 'camera.png'], ['gruene', 'horse.png']]) {
    await mkdir(join(accounts, account), { recursive: true });
    await cp(join(ROOT, 'content/images', file), join(accounts, account, file));
  }
  await mkdir(join(accounts, 'cdu'), { recursive: true });
  await writeFile(join(accounts, 'cdu', 'truncated.png'), (await readFile(join(ROOT, 'content/images/coins.png'))).subarray(0, 200));
  await writeFile(join(tmp, 'data', 'posts.csv'), POSTS);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('clipscope classify --table', () => {
  it('writes the table back with every row and column intact and the classification columns joined on', async () => {
    const r = await run('data/posts.csv', '--group-by', 'party', '--date-column', 'date', '--json', 'run.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Table posts.csv: 7 rows, 5 distinct image paths; 1 row points at a missing file; 1 row has no image path');
    expect(r.stderr).toContain('Table: 7 rows (4 classified, 1 missing, 1 unreadable, 1 without image path); every row is in the written table');
    expect(r.stderr).toContain('Results: posts.classified.csv, run.json'); // default --out: <table>.classified.<ext>

    const before = readRfc4180(POSTS);
    const [header, ...rows] = readRfc4180(await readFile(join(tmp, 'posts.classified.csv'), 'utf8'));
    const json: RunResult = JSON.parse(await readFile(join(tmp, 'run.json'), 'utf8'));
    const categories = json.dictionary.categories.map((c) => `P(${c.name})`);
    expect(header).toEqual([
      ...before[0],
      'Classification',
      'Classification Label',
      'Classification Probability',
      'Classification Margin',
      ...categories,
      'sha256',
      'Classification Status',
    ]);
    expect(rows).toHaveLength(7);
    rows.forEach((row, i) => {
      expect(row.slice(0, 7)).toEqual(before[i + 1]);
    });
    expect(rows.map((r) => r.at(-1))).toEqual(['classified', 'classified', 'classified', 'missing', 'no image', 'unreadable', 'classified']);

    // The joined cells are the per-image results (rounded like the seed), the same for both coffee rows.
    const byPath = new Map(json.images.map((i) => [i.path, i]));
    for (const row of rows.filter((r) => r.at(-1) === 'classified')) {
      const image = byPath.get(row[6])!; // paths relative to the table's folder, as written
      expect(row[7]).toBe(image.category);
      expect(row[8]).toBe(image.label);
      expect(Number(row[9])).toBeCloseTo(image.probability, 2);
      expect(row.at(-2)).toBe(image.sha256);
    }
    expect(rows[2].slice(7)).toEqual(rows[0].slice(7));
    expect(rows[3].slice(7, -1).every((c) => c === '')).toBe(true);

    // What the report gets: rows with groups and days, no absolute path anywhere.
    expect(json.grouping).toEqual({ kind: 'column', column: 'party' });
    expect(json.rows!.map((r) => r.group)).toEqual(['AfD', 'SPD', 'AfD', 'CDU', 'CDU', 'CDU', 'Grüne']);
    expect(json.rows![1].date).toBe('2024-03-05');
    expect(JSON.stringify(json)).not.toContain(tmp);
    expect(json.skipped.map((s) => s.path)).toEqual(['accounts/cdu/gone.jpg', 'accounts/cdu/truncated.png']);
  });

  it('keeps JSON Lines as JSON Lines, with --images-root for relative paths', async () => {
    const lines = [
      '{"id": 98765432109876543210, "Bild": "afd.bund/coffee.png", "party": "AfD"}',
      '{"id": 2, "Bild": "gruene/horse.png", "party": "Grüne", "nested": {"a": [1, 2]}}',
    ];
    await writeFile(join(tmp, 'posts.jsonl'), lines.join('\n') + '\n');
    const r = await run('posts.jsonl', '--image-column', 'Bild', '--images-root', 'data/accounts', '--out', 'out.jsonl');
    expect(r.code, r.stderr).toBe(0);
    const out = (await readFile(join(tmp, 'out.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(out).toHaveLength(2);
    out.forEach((line, i) => {
      expect(line.startsWith(`${lines[i].slice(0, -1)},"Classification":`)).toBe(true);
    });
    expect(JSON.parse(out[1])).toMatchObject({ party: 'Grüne', nested: { a: [1, 2] }, 'Classification Status': 'classified' });
  });

  it('refuses contradictory or wrong options before classifying (exit 2, no stack)', async () => {
    const [both, column, format, self, folderOnly, parquet] = await Promise.all([
      clipscope(['classify', '--table', 'data/posts.csv', '--images', 'data', '--model', MODEL, '--dictionary', DICTIONARY]),
      run('data/posts.csv', '--group-by', 'Party'),
      run('data/posts.csv', '--out', 'out.jsonl'),
      run('data/posts.csv', '--out', 'data/posts.csv'),
      clipscope(['classify', '--images', 'data', '--group-by', 'party', '--model', MODEL, '--dictionary', DICTIONARY]),
      run('posts.parquet'),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('clipscope: Both --images and --table were given');
    expect(column.stderr).toContain('clipscope: Table posts.csv has no column "Party" (--group-by)');
    expect(column.stderr).toContain('Did you mean "party"?');
    expect(format.stderr).toContain('clipscope: --out out.jsonl is JSON Lines, but the table posts.csv is CSV');
    expect(self.stderr).toContain('is the input table itself');
    expect(folderOnly.stderr).toContain('clipscope: --group-by needs --table');
    expect(parquet.stderr).toContain('pd.read_parquet');
    for (const r of [both, column, format, self, folderOnly, parquet]) {
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('groups a folder of per-account subfolders by the first folder level', async () => {
    const r = await clipscope(['classify', '--images', 'data/accounts', '--model', MODEL, '--dictionary', DICTIONARY, '--threads', '1', '--out', 'folder.csv', '--json', 'folder.json']);
    expect(r.code, r.stderr).toBe(0);
    const json: RunResult = JSON.parse(await readFile(join(tmp, 'folder.json'), 'utf8'));
    expect(json.grouping).toEqual({ kind: 'folder' });
    expect(json.images.map((i) => [i.path, i.group])).toEqual([
      ['afd.bund/coffee.png', 'afd.bund'],
      ['gruene/horse.png', 'gruene'],
      ['spdde/camera.png', 'spdde'],
    ]);
  });
});
