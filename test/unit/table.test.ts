// Posts tables: reading CSV / JSON Lines, resolving image paths (missing, duplicate, outside the
// root), and the write-back round trip — every row and column intact, plus the classification columns.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addedColumns,
  checkWriteBackTarget,
  commonFolder,
  defaultWriteBackPath,
  detectDelimiter,
  parseTable,
  publishedPath,
  readTable,
  requireColumn,
  resolveTableImages,
  tableFormatOf,
  tableRowRefs,
  writeBackText,
  writeTableBack,
  type PostsTable,
} from '../../integrations/engine/table.ts';
import type { ImageResult, RunResult } from '../../integrations/core/types.ts';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import { readRfc4180 } from '../fixtures/rfc4180.ts';
import { FORMULA_CASES } from '../fixtures/formula-cases.ts';

const CATEGORIES = ['Campaign Material', 'Interviews & Media'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clipscope-table-'));
  await mkdir(join(dir, 'images', 'afd.bund'), { recursive: true });
  await mkdir(join(dir, 'images', 'spd'), { recursive: true });
  // Contents do not matter here: resolving only checks that the files exist and are readable.
  await writeFile(join(dir, 'images', 'afd.bund', '1.jpg'), 'one');
  await writeFile(join(dir, 'images', 'afd.bund', 'ü 2.jpg'), 'two');
  await writeFile(join(dir, 'images', 'spd', '3.png'), 'three');
  await mkdir(join(dir, 'images', 'spd', 'folder.jpg'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A run result as classify() would return it for `table`: every readable image gets a category. */
async function fakeRun(table: PostsTable, tableFile: string, opts: { groupBy?: string; dateColumn?: string; imagesRoot?: string } = {}) {
  const found = await resolveTableImages(table, { imageColumn: 'Image', imagesRoot: opts.imagesRoot, tableFile });
  const images: ImageResult[] = found.images.map((img, i) => {
    const category = CATEGORIES[i % 2];
    const p = 60 + i;
    return {
      path: img.path,
      sha256: `sha-${i}`,
      size: img.size,
      category,
      label: `phrase of ${category}`,
      probability: p,
      margin: p - 30,
      top: [{ category, label: `phrase of ${category}`, probability: p }],
      categories: { [CATEGORIES[0]]: i % 2 ? 100 - p : p, [CATEGORIES[1]]: i % 2 ? p : 100 - p },
    };
  });
  const { rows, info } = tableRowRefs(table, found.rows, new Set(images.map((i) => i.path)), {
    imageColumn: 'Image',
    groupBy: opts.groupBy ?? null,
    dateColumn: opts.dateColumn ?? null,
    unique: found.unique,
  });
  const result = {
    schema: 'clipscope.results/v1',
    run: { topK: 1, column: 'Classification' },
    dictionary: { source: 'd.yaml', hash: 'h', categories: CATEGORIES.map((name) => ({ name, slug: name, phrases: [] })) },
    images,
    skipped: found.skipped,
    stats: { images: images.length, embedded: 0, fromCache: 0, skipped: found.skipped.length, seconds: 0 },
    table: info,
    rows,
  } as unknown as RunResult;
  return { result, found };
}

// Extra columns, a 19-digit id, leading zeros, quotes, commas and newlines in text, Unicode (umlauts,
// emoji, CJK, right-to-left), a cell a spreadsheet would run as a formula, duplicate image paths,
// a missing file, an empty image cell, a URL, a folder named like an image and a short row.
const CSV = [
  'post_id,account,party,date,text,likes,Image',
  '1234567890123456789,afd.bund,AfD,2024-03-02,"Wahlkampf in München — „Heimat“ 🇩🇪",0120,images/afd.bund/1.jpg',
  '2,spd,SPD,2024-03-05,"Línea 2, ""quoted"" text",45,images/spd/3.png',
  '3,cdu,CDU,2024-03-17,日本語のテキスト,7,images/cdu/missing.jpg',
  '4,afd.bund,AfD,2024-04-01,"multi\nline",0,images/afd.bund/1.jpg',
  '5,spd,SPD,05.04.2024,=SUM(A1),3,',
  '6,afd.bund,AfD,2024-04-20,שלום,99,images/afd.bund/ü 2.jpg',
  '7,gruene,Grüne,notadate,x,1,https://example.org/a.jpg',
  '8,spd,SPD,2024-05-01,y,2,images/spd/folder.jpg',
  '9,spd,,2024-05-02,short row',
].join('\n') + '\n';

describe('reading tables', () => {
  it('detects formats from extensions and refuses Parquet and plain JSON with a hint', () => {
    expect(tableFormatOf('a/posts.CSV')).toBe('csv');
    expect(tableFormatOf('posts.tsv')).toBe('csv');
    expect(tableFormatOf('posts.ndjson')).toBe('jsonl');
    for (const [file, hint] of [
      ['posts.parquet', /pd\.read_parquet/],
      ['posts.json', /lines=True/],
      ['posts.xlsx', /\.csv/],
    ] as const) {
      try {
        tableFormatOf(file);
        expect.unreachable();
      } catch (e) {
        expect(isClipscopeError(e)).toBe(true);
        expect((e as { hint: string }).hint).toMatch(hint);
      }
    }
  });

  it('detects the delimiter of the header line, ignoring quoted text', () => {
    expect(detectDelimiter('a,b,c\n1;2;3;4;5')).toBe(',');
    expect(detectDelimiter('a;b;"c,d,e"\n')).toBe(';');
    expect(detectDelimiter('a\tb\n')).toBe('\t');
    expect(detectDelimiter('only')).toBe(',');
  });

  it('reads CSV cells as the strings written and pads short rows', () => {
    const t = parseTable(CSV, 'csv', 'posts.csv');
    if (t.format !== 'csv') throw new Error('csv expected');
    expect(t.columns).toEqual(['post_id', 'account', 'party', 'date', 'text', 'likes', 'Image']);
    expect(t.rows).toHaveLength(9);
    expect(t.rows[0][0]).toBe('1234567890123456789');
    expect(t.rows[0][5]).toBe('0120');
    expect(t.rows[3][4]).toBe('multi\nline');
    expect(t.rows[8]).toEqual(['9', 'spd', '', '2024-05-02', 'short row', '', '']);
  });

  it('names the file and line of a broken CSV or JSON Lines row, and a missing column with a suggestion', async () => {
    expect(() => parseTable('a,b\n1,2,3\n', 'csv', 'p.csv')).toThrow(/p\.csv is not a readable CSV file/);
    expect(() => parseTable('{"a":1}\n[1,2]\n', 'jsonl', 'p.jsonl')).toThrow('Line 2 of table p.jsonl is [1,2], not a JSON object');
    expect(() => parseTable('{"a":1}\n{oops\n', 'jsonl', 'p.jsonl')).toThrow(/Line 2 of table p\.jsonl is not valid JSON/);
    const bad = join(dir, 'latin1.csv');
    await writeFile(bad, Buffer.from([0x49, 0x6d, 0x61, 0x67, 0x65, 0x0a, 0x4d, 0xfc, 0x6e, 0x0a])); // "Image\nMün" in Latin-1
    await expect(readTable(bad)).rejects.toThrow('Table latin1.csv is not valid UTF-8 text');
    await expect(readTable(join(dir, 'nope.csv'))).rejects.toThrow(/Table not found/);
    const t = parseTable('post_id,image,party\n1,a.jpg,X\n', 'csv', 'p.csv');
    let error: unknown;
    try {
      requireColumn(t, 'Image', '--image-column');
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe('Table p.csv has no column "Image" (--image-column)');
    expect((error as { hint: string }).hint).toBe('Did you mean "image"? Its columns are "post_id", "image", "party".');
    expect(() => requireColumn(parseTable('a,a\n1,2\n', 'csv', 'p.csv'), 'a', '--group-by')).toThrow('Table p.csv has 2 columns named "a" (--group-by)');
  });
});

describe('image paths', () => {
  it('resolves relative paths against the table folder, once per distinct file, keeping every row', async () => {
    const table = parseTable(CSV, 'csv', 'posts.csv');
    const found = await resolveTableImages(table, { imageColumn: 'Image', tableFile: join(dir, 'posts.csv') });
    expect(found.images.map((i) => i.path)).toEqual(['images/afd.bund/1.jpg', 'images/afd.bund/ü 2.jpg', 'images/spd/3.png']);
    expect(found.unique).toBe(5); // 1.jpg (twice), ü 2.jpg, 3.png, missing.jpg, folder.jpg; the URL is not a path
    expect(found.rows.map((r) => r.status)).toEqual(['pending', 'pending', 'missing', 'pending', 'no image', 'pending', 'missing', 'unreadable', 'no image']);
    expect(found.skipped).toEqual([
      { path: 'https://example.org/a.jpg', reason: 'a URL, not a local file (download the images and list their paths)' },
      { path: 'images/cdu/missing.jpg', reason: 'listed in the table but not found' },
      { path: 'images/spd/folder.jpg', reason: 'a folder, not an image file' },
    ]);
    expect(found.missingExample).toEqual({ cell: 'images/cdu/missing.jpg', lookedAt: join(dir, 'images/cdu/missing.jpg') });
    // No published path is absolute.
    for (const i of found.images) expect(i.path.startsWith('/')).toBe(false);
  });

  it('publishes absolute paths relative to their common folder, or anonymised outside an explicit root', async () => {
    const abs = (p: string) => join(dir, 'images', p);
    const table = parseTable(`Image\n${abs('afd.bund/1.jpg')}\n${abs('spd/3.png')}\n`, 'csv', 'abs.csv');
    const auto = await resolveTableImages(table, { imageColumn: 'Image', tableFile: '/elsewhere/abs.csv' });
    expect(auto.images.map((i) => i.path)).toEqual(['afd.bund/1.jpg', 'spd/3.png']);
    expect(auto.external).toBe(0);

    const rooted = await resolveTableImages(table, { imageColumn: 'Image', imagesRoot: join(dir, 'images', 'spd'), tableFile: '/elsewhere/abs.csv' });
    const external = rooted.images.find((i) => i.absPath === abs('afd.bund/1.jpg'))!;
    expect(external.path).toMatch(/^external-[0-9a-f]{8}\/1\.jpg$/);
    expect(external.path).not.toContain('afd.bund');
    expect(rooted.images.map((i) => i.path)).toContain('3.png');
    expect(rooted.external).toBe(1);

    expect(commonFolder(['/a/b/c/1.jpg', '/a/b/d/2.jpg'])).toBe('/a/b');
    expect(publishedPath('/a/b/c/1.jpg', '/a/b')).toBe('c/1.jpg');
    expect(publishedPath('/a/b/c/1.jpg', '/a/b/c/1.jpg/..')).toBe('1.jpg');
    expect(publishedPath('/x/..y/1.jpg', '/x')).toBe('..y/1.jpg'); // a folder named "..y" is inside
  });
});

describe('write-back round trip', () => {
  it('CSV: every row and column as read, then the seed columns, with statuses', async () => {
    const tableFile = join(dir, 'posts.csv');
    await writeFile(tableFile, CSV);
    const table = await readTable(tableFile);
    const { result } = await fakeRun(table, tableFile, { groupBy: 'party', dateColumn: 'date' });
    const text = writeBackText(table, result, { column: 'Classification', topK: 1 });
    const [header, ...rows] = readRfc4180(text);
    const original = readRfc4180(CSV);

    const added = addedColumns(CATEGORIES, 1, 'Classification');
    expect(added).toEqual([
      'Classification',
      'Classification Label',
      'Classification Probability',
      'Classification Margin',
      'P(Campaign Material)',
      'P(Interviews & Media)',
      'sha256',
      'Classification Status',
    ]);
    expect(header).toEqual([...original[0], ...added]);
    expect(rows).toHaveLength(9);
    rows.forEach((row, r) => {
      const before = original[r + 1];
      expect(row.slice(0, 7)).toEqual([...before, ...Array(7 - before.length).fill('')]);
    });
    // The formula-like original cell is the user's data: untouched.
    expect(rows[4][4]).toBe('=SUM(A1)');
    const status = rows.map((r) => r.at(-1));
    expect(status).toEqual(['classified', 'classified', 'missing', 'classified', 'no image', 'classified', 'missing', 'unreadable', 'no image']);
    // Duplicate path: both rows get the same (one) classification.
    expect(rows[3].slice(7)).toEqual(rows[0].slice(7));
    expect(rows[0].slice(7, 10)).toEqual(['Campaign Material', 'phrase of Campaign Material', '60']);
    // Rows without a classified image get empty cells (NaN in pandas).
    expect(rows[2].slice(7, -1)).toEqual(Array(7).fill(''));

    // The summary the report shows.
    expect(result.table).toMatchObject({ rows: 9, uniqueImages: 5, undatedRows: 1, statuses: { classified: 4, missing: 2, unreadable: 1, 'no image': 2 } });
    expect(result.rows!.map((r) => r.group)).toEqual(['AfD', 'SPD', 'CDU', 'AfD', 'SPD', 'AfD', 'Grüne', 'SPD', '(empty)']);
    expect(result.rows![4].date).toBe('2024-04-05');
    expect(result.rows![6].date).toBeUndefined();
  });

  it('CSV: keeps a semicolon delimiter, a BOM and CRLF line ends; quotes added cells that need it', async () => {
    const text = '\ufeffImage;Notiz\r\nimages/spd/3.png;"a;b"\r\nimages/spd/3.png;ü\r\n';
    const tableFile = join(dir, 'excel.csv');
    await writeFile(tableFile, text);
    const table = await readTable(tableFile);
    const { result } = await fakeRun(table, tableFile);
    const out = writeBackText(table, result, { column: 'Classification', topK: 1 });
    expect(out.startsWith('\ufeffImage;Notiz;Classification;')).toBe(true);
    expect(out.split('\r\n')).toHaveLength(4); // header, two rows, final empty string
    const lines = out.split('\r\n');
    expect(lines[1].startsWith('images/spd/3.png;"a;b";Campaign Material;phrase of Campaign Material;60;')).toBe(true);
    const parsed = readRfc4180(out.replace(/^\ufeff/, ''), ';');
    expect(parsed.map((r) => r.slice(0, 2))).toEqual([['Image', 'Notiz'], ['images/spd/3.png', 'a;b'], ['images/spd/3.png', 'ü']]);
  });

  it('CSV: escapes added text that a spreadsheet would run (a category named "=x"), never original cells', async () => {
    const tableFile = join(dir, 'formula.csv');
    await writeFile(tableFile, 'Image,t\nimages/spd/3.png,=1+1\n');
    const table = await readTable(tableFile);
    const { result } = await fakeRun(table, tableFile);
    result.images[0].category = '=evil';
    const [, row] = readRfc4180(writeBackText(table, result, { column: 'Classification', topK: 1 }));
    expect(row.slice(0, 3)).toEqual(['images/spd/3.png', '=1+1', "'=evil"]);
  });

  // Every line end the file may use × every cell content that needs quoting, read back with an
  // independent strict reader (test/fixtures/rfc4180.ts) that splits records at CRLF, LF or CR alike,
  // as pandas, Python's csv and Excel do.
  const EOLS = { LF: '\n', CRLF: '\r\n' } as const;
  const CONTENTS = { LF: 'line one\nline two', CR: 'line one\rline two', CRLF: 'line one\r\nline two', delimiter: 'a{d}b', quote: 'say "hi"' } as const;
  const quoteCell = (cell: string, d: string) => (/["\r\n]/.test(cell) || cell.includes(d) ? `"${cell.replaceAll('"', '""')}"` : cell);
  for (const [eolName, eol] of Object.entries(EOLS)) {
    for (const [contentName, template] of Object.entries(CONTENTS)) {
      for (const [delimiter, bom] of [[',', false], [';', true], ['\t', false]] as const) {
        it(`CSV: ${eolName} file, cell with ${contentName}, delimiter ${JSON.stringify(delimiter)}${bom ? ', BOM' : ''}: every row reads back whole`, async () => {
          const content = template.replace('{d}', delimiter);
          const header = ['post_id', 'caption', 'Image'];
          const cells = [
            ['1', content, 'images/spd/3.png'],
            ['2', `${content} again`, 'images/afd.bund/1.jpg'],
            ['3', 'plain', 'images/cdu/missing.jpg'],
          ];
          const text = (bom ? '\ufeff' : '') + [header, ...cells].map((r) => r.map((c) => quoteCell(c, delimiter)).join(delimiter) + eol).join('');
          const tableFile = join(dir, `matrix.${delimiter === '\t' ? 'tsv' : 'csv'}`);
          await writeFile(tableFile, text);
          const table = await readTable(tableFile);
          expect(table.format === 'csv' && table.dialect).toEqual({ delimiter, bom, eol });
          const { result } = await fakeRun(table, tableFile);
          const out = writeBackText(table, result, { column: 'Classification', topK: 1 });
          expect(out.startsWith(bom ? '\ufeffpost_id' : 'post_id')).toBe(true);
          expect(out.endsWith(eol)).toBe(true);
          const records = readRfc4180(bom ? out.slice(1) : out, delimiter);
          const added = addedColumns(CATEGORIES, 1, 'Classification');
          expect(records).toHaveLength(4);
          expect(records[0]).toEqual([...header, ...added]);
          records.slice(1).forEach((record, r) => {
            expect(record).toHaveLength(header.length + added.length);
            expect(record.slice(0, 3)).toEqual(cells[r]);
          });
          expect(records.map((r) => r.at(-1))).toEqual(['Classification Status', 'classified', 'classified', 'missing']);
        });
      }
    }
  }

  it('CSV: the line end is the first one outside quotes (a header cell may hold a line break)', () => {
    const table = parseTable('"post\nid",Image\r\n1,a.jpg\r\n', 'csv', 't.csv');
    expect(table.format === 'csv' && table.dialect.eol).toBe('\r\n');
    const lf = parseTable('"post\r\nid",Image\n1,a.jpg\n', 'csv', 't.csv');
    expect(lf.format === 'csv' && lf.dialect.eol).toBe('\n');
  });

  it('CSV: a CRLF table of 35 posts with multi-line captions comes back as 35 records', async () => {
    const rows = Array.from({ length: 35 }, (_, i) => [`${i + 1}`, i % 3 === 0 ? `Caption ${i}\n\n#hashtag #more` : `Caption ${i}`, 'images/spd/3.png']);
    const text = ['post_id,caption,Image', ...rows.map((r) => r.map((c) => quoteCell(c, ',')).join(','))].join('\r\n') + '\r\n';
    const tableFile = join(dir, 'scraped.csv');
    await writeFile(tableFile, text);
    const table = await readTable(tableFile);
    const { result } = await fakeRun(table, tableFile);
    const records = readRfc4180(writeBackText(table, result, { column: 'Classification', topK: 1 }));
    expect(records).toHaveLength(36);
    expect(records.slice(1).map((r) => r.slice(0, 3))).toEqual(rows);
  });

  it.each(FORMULA_CASES)('CSV: an added cell starting with %s is escaped like results.csv; the original cell is not', async (_name, text) => {
    const tableFile = join(dir, 'formula-cases.csv');
    await writeFile(tableFile, `Image,t\nimages/spd/3.png,"${text}"\n`);
    const table = await readTable(tableFile);
    const { result } = await fakeRun(table, tableFile);
    result.images[0].category = text;
    result.images[0].top[0].label = `${text} label`;
    const [, row] = readRfc4180(writeBackText(table, result, { column: 'Classification', topK: 1 }));
    expect(row.slice(0, 4)).toEqual(['images/spd/3.png', text, `'${text}`, `'${text} label`]);
  });

  it('writes back the table as the run read it, from that one parse (the file is not read again)', async () => {
    const tableFile = join(dir, 'once.csv');
    await writeFile(tableFile, 'Image,note\nimages/spd/3.png,as read\n');
    const table = await readTable(tableFile);
    const { result } = await fakeRun(table, tableFile);
    await writeFile(tableFile, 'Image,note\nimages/spd/3.png,changed on disk since\nimages/spd/3.png,and longer\n');
    await writeTableBack(table, join(dir, 'once.out.csv'), result, { column: 'Classification', topK: 1 });
    const records = readRfc4180(await readFile(join(dir, 'once.out.csv'), 'utf8'));
    expect(records.map((r) => r.slice(0, 2))).toEqual([['Image', 'note'], ['images/spd/3.png', 'as read']]);
    expect(records[1].at(-1)).toBe('classified');
  });

  it('JSON Lines: every line kept as written (64-bit ids, nested values, key order), new keys appended', async () => {
    const lines = [
      '{"id": 12345678901234567890, "Image": "images/afd.bund/1.jpg", "party": "AfD", "meta": {"b": 1, "a": [1, 2.50]}, "text": "„Heimat“ 🇩🇪"}',
      '{"Image":"images/afd.bund/1.jpg","id":2,"2":"integer-like key stays second"}',
      '{"Image": "images/cdu/none.jpg", "id": 3}',
      '{"id": 4, "Image": null}',
      '{}',
    ];
    const tableFile = join(dir, 'posts.jsonl');
    await writeFile(tableFile, lines.join('\n') + '\n\n');
    const table = await readTable(tableFile);
    expect(table.columns).toEqual(['id', 'Image', 'party', 'meta', 'text', '2']);
    const { result } = await fakeRun(table, tableFile);
    const out = writeBackText(table, result, { column: 'Classification', topK: 1 }).split('\n');
    expect(out).toHaveLength(6); // five rows and the final newline
    out.slice(0, 5).forEach((line, i) => {
      const prefix = lines[i].slice(0, lines[i].lastIndexOf('}'));
      expect(line.startsWith(prefix)).toBe(true);
    });
    expect(out[0]).toContain('"id": 12345678901234567890,');
    const parsed = out.slice(0, 5).map((l) => JSON.parse(l));
    expect(parsed[0]).toMatchObject({ Classification: 'Campaign Material', 'Classification Probability': 60, 'Classification Status': 'classified' });
    expect(parsed[1].Classification).toBe('Campaign Material');
    expect(parsed[2]).toMatchObject({ Classification: null, sha256: null, 'Classification Status': 'missing' });
    expect(parsed[3]['Classification Status']).toBe('no image');
    expect(Object.keys(parsed[4])).toEqual(addedColumns(CATEGORIES, 1, 'Classification'));
  });

  it('refuses a table that already has an added column, an --out over the table, and a format change', async () => {
    const tableFile = join(dir, 'again.csv');
    await writeFile(tableFile, 'Image,Classification\nimages/spd/3.png,old\n');
    const table = await readTable(tableFile);
    const { result } = await fakeRun(table, tableFile);
    expect(() => writeBackText(table, result, { column: 'Classification', topK: 1 })).toThrow(/already has a column "Classification"/);
    expect(writeBackText(table, result, { column: 'Run2', topK: 1 }).split('\n')[0]).toBe(
      'Image,Classification,Run2,Run2 Label,Run2 Probability,Run2 Margin,P(Campaign Material),P(Interviews & Media),sha256,Run2 Status',
    );
    expect(() => checkWriteBackTarget(tableFile, tableFile)).toThrow(/is the input table itself/);
    expect(() => checkWriteBackTarget(tableFile, join(dir, 'out.jsonl'))).toThrow(/out\.jsonl is JSON Lines, but the table again\.csv is CSV/);
    expect(() => checkWriteBackTarget(tableFile, join(dir, 'out.csv'))).not.toThrow();
    expect(defaultWriteBackPath('data/posts.jsonl')).toBe('posts.classified.jsonl');
  });

  it('writes the top-k shape when asked', async () => {
    const tableFile = join(dir, 'topk.csv');
    await writeFile(tableFile, 'Image\nimages/spd/3.png\n');
    const table = await readTable(tableFile);
    const { result } = await fakeRun(table, tableFile);
    const [header, row] = readRfc4180(writeBackText(table, result, { column: 'C', topK: 2 }));
    expect(header.slice(0, 7)).toEqual(['Image', 'C_1', 'C_label_1', 'C_prob_1', 'C_2', 'C_label_2', 'C_prob_2']);
    expect(row.slice(4, 7)).toEqual(['', '', '']);
  });
});

describe('table options', async () => {
  const { parseClipscopeOptions, engineOptions } = await import('../../integrations/clipscope/options.ts');
  const { parseClassifyOptions, COMMAND_LINE } = await import('../../integrations/engine/options.ts');
  const root = join('/', 'project');

  it('the engine takes a table instead of an image folder, the image column defaulting to "Image"', () => {
    const o = parseClassifyOptions({ table: 'posts.csv', dictionary: 'd.yaml', model: 'm', groupBy: 'party' }, COMMAND_LINE);
    expect(o).toMatchObject({ table: 'posts.csv', imageColumn: 'Image', groupBy: 'party' });
    expect(o.images).toBeUndefined();
    expect(() => parseClassifyOptions({ table: '', dictionary: 'd.yaml', model: 'm' }, COMMAND_LINE)).toThrow(
      'Invalid value "" for --table: expected a table file path (CSV or JSON Lines)',
    );
  });

  it('the site reads the table and its columns from CLIPSCOPE_* variables, paths against the project', () => {
    const env = { CLIPSCOPE_TABLE: 'data/posts.csv', CLIPSCOPE_IMAGES_ROOT: 'data/img', CLIPSCOPE_GROUP_BY: 'party', CLIPSCOPE_DATE_COLUMN: 'date', CLIPSCOPE_IMAGE_COLUMN: 'Bild' };
    const o = parseClipscopeOptions({}, { root, env });
    expect(o).toMatchObject({ table: join(root, 'data/posts.csv'), imagesRoot: join(root, 'data/img'), groupBy: 'party', dateColumn: 'date', imageColumn: 'Bild' });
    const engine = engineOptions(o);
    expect(engine.images).toBeUndefined(); // the demo folder default is not passed with a table
    expect(engine.table).toBe(join(root, 'data/posts.csv'));
  });

  it('a table from the environment replaces a configured folder; both in one place is refused', () => {
    const o = parseClipscopeOptions({ images: 'photos' }, { root, env: { CLIPSCOPE_TABLE: 'posts.csv' } });
    expect(engineOptions(o).images).toBeUndefined();
    expect(() => parseClipscopeOptions({ images: 'photos', table: 'posts.csv' }, { root, env: {} })).toThrow('Options images and table are both given (in astro.config.mjs)');
    expect(() => parseClipscopeOptions({}, { root, env: { CLIPSCOPE_IMAGES: 'a', CLIPSCOPE_TABLE: 'b.csv' } })).toThrow(/both given \(in environment variables CLIPSCOPE_TABLE and CLIPSCOPE_IMAGES\)/);
  });
});
