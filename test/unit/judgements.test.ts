import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JUDGEMENTS_SCHEMA,
  JUDGEMENTS_SCHEMA_V1,
  coderAnswer,
  fileSafe,
  judgementFileName,
  parseJudgementText,
  runId,
  sameRun,
  serialiseJudgements,
  type JudgementFile,
} from '../../integrations/core/judgements.ts';
import { readJudgementFiles, validatedColumnsOf } from '../../integrations/clipscope/judgement-files.ts';
import { validationReport } from '../../integrations/core/validation-report.ts';
import { applyMerge, planMerge } from '../../integrations/core/judgements.ts';
import { toCsv, toJson } from '../../integrations/engine/results.ts';
import { makeRunResult } from '../fixtures/make-run-result.ts';
import { FORMULA_CASES } from '../fixtures/formula-cases.ts';
import { readRfc4180 } from '../fixtures/rfc4180.ts';

const sha = (c: string) => c.repeat(64);

function goodFile(): JudgementFile {
  return {
    schema: JUDGEMENTS_SCHEMA,
    run: { model: 'demo-colors', modelChecksum: 'a'.repeat(64), dictionaryHash: 'b'.repeat(64) },
    coder: 'Ada',
    role: 'coder',
    mode: 'shown',
    exportedAt: '2025-03-01T14:05:00.000Z',
    items: [
      { sha256: sha('1'), path: 'x/one.jpg', predicted: 'Green', label: 'a green picture', probability: 71.25, verdict: 'right', judgedAt: '2025-03-01T14:00:00.000Z' },
      { sha256: sha('2'), path: 'two.png', predicted: 'Green', label: 'a green picture', probability: 40, verdict: 'wrong', correction: 'Blue and cold', judgedAt: '2025-03-01T14:01:00.000Z' },
      { sha256: sha('3'), path: 'three.png', predicted: 'Monochrome', label: 'a grey picture', probability: 55, verdict: 'wrong', noneOfThese: true, judgedAt: '2025-03-01T14:02:00.000Z' },
      { sha256: sha('4'), path: 'four.png', predicted: 'Monochrome', label: 'a grey picture', probability: 33.3, verdict: 'skip', judgedAt: '2025-03-01T14:03:00+01:00' },
    ],
  };
}

const text = (value: unknown) => JSON.stringify(value);

function reasonOf(input: string, opts?: { maxBytes?: number }): string {
  const r = parseJudgementText(input, opts);
  if (r.ok) throw new Error('expected the file to be refused');
  return r.reason;
}

describe('parseJudgementText', () => {
  it('accepts a good file and round-trips it through serialiseJudgements', () => {
    const r = parseJudgementText(serialiseJudgements(goodFile()));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.file.items).toHaveLength(4);
    expect(r.file.items[1].correction).toBe('Blue and cold');
    expect(parseJudgementText(serialiseJudgements(r.file))).toEqual(r);
  });

  it('drops unknown keys into fresh objects (forward-compatible, nothing extra kept)', () => {
    const f = { ...goodFile(), extra: 'x', items: [{ ...goodFile().items[0], note: 'hello' }] };
    const r = parseJudgementText(text(f));
    expect(r.ok && 'extra' in r.file).toBe(false);
    expect(r.ok && 'note' in r.file.items[0]).toBe(false);
  });

  it('refuses a foreign schema, naming it', () => {
    expect(reasonOf(text({ ...goodFile(), schema: 'clipscope.results/v1' }))).toMatch(/not a clipscope judgement file: its schema is "clipscope.results\/v1"/);
    expect(reasonOf(text({ coder: 'x' }))).toMatch(/has no "schema" field/);
    expect(reasonOf(text({ schema: 'root:x:0:0:root:/root:/bin/bash' }))).toBe('This is not a clipscope judgement file: its "schema" is not a clipscope schema, expected "clipscope.judgements/v2".');
    expect(reasonOf('[1,2]')).toMatch(/expected a JSON object/);
    expect(reasonOf('null')).toMatch(/expected a JSON object/);
  });

  it('locates a JSON syntax error by line and column, never quoting the text', () => {
    expect(reasonOf('root:x:0:0:root')).toBe('The file is not valid JSON: syntax error at line 1, column 1.');
    expect(reasonOf('{"schema": "x",\n  "coder": tru }')).toBe('The file is not valid JSON: syntax error at line 2, column 12.');
    expect(reasonOf('{"a": [1, 2,]}')).toBe('The file is not valid JSON: syntax error at line 1, column 13.');
    expect(reasonOf('{"a": "b\\q"}')).toBe('The file is not valid JSON: syntax error at line 1, column 9.');
    expect(reasonOf('{"a": 1} x')).toBe('The file is not valid JSON: syntax error at line 1, column 10.');
    expect(reasonOf('{"a": 01}')).toBe('The file is not valid JSON: syntax error at line 1, column 8.');
    expect(reasonOf('')).toBe('The file is not valid JSON: it ends too early (line 1, column 1).');
    expect(reasonOf('{"a": "secret')).toBe('The file is not valid JSON: it ends too early (line 1, column 14).');
  });

  it('refuses malformed JSON', () => {
    expect(reasonOf('{"schema": "clipscope.judgements/v1", ')).toMatch(/^The file is not valid JSON/);
    expect(reasonOf('')).toMatch(/^The file is not valid JSON/);
  });

  it('refuses an oversized file before parsing it', () => {
    const big = serialiseJudgements(goodFile());
    expect(reasonOf(big, { maxBytes: 100 })).toMatch(/judgement files are at most 100 B/);
    // Multi-byte characters count as bytes, not UTF-16 units: 40 × "é" is 80 bytes.
    expect(reasonOf(`"${'é'.repeat(40)}"`, { maxBytes: 60 })).toMatch(/is 82 B/);
    // The default limit is 5 MB.
    expect(reasonOf(`"${'x'.repeat(5_000_000 + 1)}"`)).toMatch(/is 5\.0 MB; judgement files are at most 5\.0 MB/);
  });

  it('refuses __proto__, constructor and prototype keys anywhere, and Object.prototype stays clean', () => {
    const good = serialiseJudgements(goodFile());
    const top = good.replace('"coder": "Ada"', '"coder": "Ada", "__proto__": { "polluted": true }');
    expect(reasonOf(top)).toMatch(/contains the key "__proto__"/);
    const nested = good.replace('"verdict": "right"', '"verdict": "right", "constructor": { "prototype": { "polluted": true } }');
    expect(reasonOf(nested)).toMatch(/contains the key "(constructor|prototype)"/);
    const run = good.replace('"model": "demo-colors"', '"model": "demo-colors", "prototype": 1');
    expect(reasonOf(run)).toMatch(/contains the key "prototype"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses wrong types with the path of the first problem', () => {
    const f = goodFile() as unknown as { items: Record<string, unknown>[]; coder: unknown; run: Record<string, unknown> };
    f.items[2].verdict = 'maybe';
    expect(reasonOf(text(f))).toMatch(/items\[2\]\.verdict: expected "right", "wrong" or "skip"/);

    const g = goodFile() as unknown as { items: Record<string, unknown>[] };
    g.items[0].probability = '71';
    expect(reasonOf(text(g))).toMatch(/items\[0\]\.probability/);

    const h = goodFile() as unknown as { items: Record<string, unknown>[] };
    h.items[0].sha256 = 'ABC';
    expect(reasonOf(text(h))).toMatch(/items\[0\]\.sha256: expected a lower-case hex sha256/);

    const i = goodFile() as unknown as { coder: unknown };
    i.coder = '   ';
    expect(reasonOf(text(i))).toMatch(/coder: expected a coder name/);

    const j = goodFile() as unknown as { items: unknown };
    j.items = { 0: 'x' };
    expect(reasonOf(text(j))).toMatch(/^The judgement file is invalid: items:/);

    const k = goodFile() as unknown as { items: Record<string, unknown>[] };
    k.items[0].judgedAt = 'yesterday';
    expect(reasonOf(text(k))).toMatch(/items\[0\]\.judgedAt: expected an ISO 8601 date-time/);

    const l = goodFile() as unknown as { run: Record<string, unknown> };
    delete l.run.dictionaryHash;
    expect(reasonOf(text(l))).toMatch(/run\.dictionaryHash/);
  });

  it('refuses a correction without "wrong", and an image judged twice', () => {
    const f = goodFile();
    f.items[0].correction = 'Green';
    expect(reasonOf(text(f))).toMatch(/items\[0\]\.correction: a correction is only allowed with verdict "wrong"/);
    const g = goodFile();
    g.items[3].sha256 = g.items[0].sha256;
    expect(reasonOf(text(g))).toMatch(/items\[3\]\.sha256: image 111111111111… is judged twice/);
  });
});

describe('format v2: "none of these" apart from any category name', () => {
  it('reads a v1 file: its correction "none" becomes noneOfThese, other corrections stay', () => {
    const v1 = { ...goodFile(), schema: JUDGEMENTS_SCHEMA_V1 } as Record<string, unknown>;
    delete v1.role;
    delete v1.mode;
    v1.items = goodFile().items.map((i) => (i.noneOfThese ? { ...i, noneOfThese: undefined, correction: 'none' } : i));
    const parsed = parseJudgementText(JSON.stringify(v1));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.file.schema).toBe(JUDGEMENTS_SCHEMA);
    expect([parsed.file.role, parsed.file.mode]).toEqual(['coder', 'shown']);
    expect(parsed.file.items.map((i) => [i.correction, i.noneOfThese])).toEqual([
      [undefined, undefined],
      ['Blue and cold', undefined],
      [undefined, true],
      [undefined, undefined],
    ]);
  });

  it('keeps a category named "none" a category in v2, and "none of these" its own answer', () => {
    const file = goodFile();
    file.items[1] = { ...file.items[1], correction: 'none' };
    const parsed = parseJudgementText(serialiseJudgements(file));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(coderAnswer(parsed.file.items[1])).toEqual({ kind: 'category', category: 'none' });
    expect(coderAnswer(parsed.file.items[2])).toEqual({ kind: 'none' });
    expect(coderAnswer(parsed.file.items[0])).toEqual({ kind: 'category', category: 'Green' });
    expect(coderAnswer(parsed.file.items[3])).toBeNull();
  });

  it('refuses a judgement with both a correction and noneOfThese', () => {
    const file = goodFile();
    const bad = { ...file, items: [{ ...file.items[2], correction: 'Green' }] };
    expect(reasonOf(text(bad))).toMatch(/either a correction or "noneOfThese"/);
  });

  it('writes role and mode, and reads an adjudicator\'s blind file back', () => {
    const file = { ...goodFile(), role: 'adjudicator' as const, mode: 'blind' as const };
    const parsed = parseJudgementText(serialiseJudgements(file));
    expect(parsed.ok && [parsed.file.role, parsed.file.mode]).toEqual(['adjudicator', 'blind']);
    expect(reasonOf(text({ ...goodFile(), role: 'boss' }))).toMatch(/role: expected "coder" or "adjudicator"/);
  });
});

describe('serialise, names and run ids', () => {
  it('writes keys in a fixed order and items by time', () => {
    const f = goodFile();
    f.items.reverse();
    const out = serialiseJudgements(f);
    expect(Object.keys(JSON.parse(out))).toEqual(['schema', 'run', 'coder', 'role', 'mode', 'exportedAt', 'items']);
    expect(JSON.parse(out).items.map((i: { path: string }) => i.path)).toEqual(['x/one.jpg', 'two.png', 'three.png', 'four.png']);
    expect(Object.keys(JSON.parse(out).items[1])).toEqual(['sha256', 'path', 'predicted', 'label', 'probability', 'verdict', 'correction', 'judgedAt']);
  });

  it('names the export file judgements-<coder>-<date>.json with a file-safe coder', () => {
    expect(judgementFileName('Ada', new Date('2025-03-01T23:59:00Z'))).toBe('judgements-Ada-2025-03-01.json');
    expect(judgementFileName('José M. / ../x', new Date('2025-03-01T00:00:00Z'))).toBe('judgements-Jose-M-x-2025-03-01.json');
    expect(fileSafe('<>')).toBe('coder');
  });

  it('identifies a run by dictionary hash and model checksum', () => {
    const r = goodFile().run;
    expect(runId(r)).toBe(`${'b'.repeat(12)}-${'a'.repeat(12)}`);
    const renamed: JudgementFile['run'] = { ...r, model: 'renamed' };
    expect(sameRun(r, renamed)).toBe(true);
    expect(sameRun(r, { ...r, dictionaryHash: 'c'.repeat(64) })).toBe(false);
  });
});

describe('readJudgementFiles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clipscope-judgements-'));
    await writeFile(join(dir, 'a-good.json'), serialiseJudgements(goodFile()));
    await writeFile(join(dir, 'b-bom.json'), `\uFEFF${serialiseJudgements({ ...goodFile(), coder: 'Bo' })}`);
    await writeFile(join(dir, 'c-malformed.json'), '{"schema": ');
    await writeFile(join(dir, 'd-foreign.json'), text({ schema: 'other/v1' }));
    await writeFile(join(dir, 'e-proto.json'), serialiseJudgements(goodFile()).replace('"coder"', '"__proto__": {"x": 1}, "coder"'));
    await writeFile(join(dir, 'f-big.json'), ' '.repeat(2000) + serialiseJudgements(goodFile()));
    await writeFile(join(dir, 'g-binary.json'), Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
    await mkdir(join(dir, 'h-folder.json'));
    await writeFile(join(dir, 'README.md'), 'not a judgement file');
    await writeFile(join(dir, '.hidden.json'), 'ignored');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the good files and reports every bad one by name, without throwing', async () => {
    const { files, problems } = await readJudgementFiles(dir, { maxBytes: 2500 });
    expect(files.map((f) => [f.source, f.coder])).toEqual([
      ['a-good.json', 'Ada'],
      ['b-bom.json', 'Bo'],
    ]);
    expect(problems.map((p) => p.file)).toEqual(['c-malformed.json', 'd-foreign.json', 'e-proto.json', 'f-big.json', 'g-binary.json', 'h-folder.json']);
    const reason = Object.fromEntries(problems.map((p) => [p.file, p.reason]));
    expect(reason['c-malformed.json']).toMatch(/not valid JSON/);
    expect(reason['d-foreign.json']).toMatch(/its schema is "other\/v1"/);
    expect(reason['e-proto.json']).toMatch(/"__proto__"/);
    expect(reason['f-big.json']).toMatch(/at most 2\.5 kB/);
    expect(reason['g-binary.json']).toMatch(/not UTF-8/);
    expect(reason['h-folder.json']).toMatch(/not a regular file/);
  });

  it('does not follow a symbolic link, and never quotes a file\'s content in a problem', async () => {
    const links = await mkdtemp(join(tmpdir(), 'clipscope-judgement-links-'));
    try {
      const secret = join(links, 'secret.txt');
      await writeFile(secret, 'root:x:0:0:root:/root:/bin/bash\n');
      await symlink(secret, join(links, 'a-link.json'));
      await symlink(join(dir, 'a-good.json'), join(links, 'b-link-to-good.json'));
      await writeFile(join(links, 'c-text.json'), 'root:x:0:0:root:/root:/bin/bash\n');
      const { files, problems } = await readJudgementFiles(links);
      expect(files).toEqual([]);
      const reason = Object.fromEntries(problems.map((p) => [p.file, p.reason]));
      expect(reason['a-link.json']).toMatch(/symbolic link/);
      expect(reason['b-link-to-good.json']).toMatch(/symbolic link/);
      // Position only: no snippet of the file (JSON.parse's own message quotes its first characters).
      expect(reason['c-text.json']).toMatch(/not valid JSON: syntax error at line 1, column 1/);
      for (const r of Object.values(reason)) expect(r).not.toMatch(/root|secret|\/tmp/);
    } finally {
      await rm(links, { recursive: true, force: true });
    }
  });

  it('returns nothing for a missing folder', async () => {
    expect(await readJudgementFiles(join(dir, 'missing'))).toEqual({ files: [], problems: [] });
  });
});

describe('planMerge / applyMerge (Import never overwrites silently)', () => {
  const [one, two, three] = goodFile().items;
  const mine = { [one.sha256]: one, [two.sha256]: two };
  const incoming = [
    { ...one, judgedAt: '2025-03-02T00:00:00.000Z' },
    { ...two, correction: 'Monochrome' },
    three,
  ];
  const plan = planMerge(mine, incoming);

  it('sorts the file into new, same and conflicting judgements', () => {
    expect(plan.added.map((i) => i.sha256)).toEqual([three.sha256]);
    expect(plan.same).toBe(1);
    expect(plan.conflicts.map((c) => [c.existing.correction, c.incoming.correction])).toEqual([['Blue and cold', 'Monochrome']]);
  });

  it('keeps mine or takes the file\'s only where the person chose', () => {
    expect(applyMerge(mine, plan, 'keep-mine')[two.sha256].correction).toBe('Blue and cold');
    expect(applyMerge(mine, plan, 'use-file')[two.sha256].correction).toBe('Monochrome');
    expect(Object.keys(applyMerge(mine, plan, 'keep-mine'))).toHaveLength(3);
    expect(mine[two.sha256].correction).toBe('Blue and cold');
  });
});

describe('withValidatedColumns (the downloadable results)', () => {
  const made = makeRunResult({ syntheticCount: 6, seed: 'validated-columns' });
  // A category name a spreadsheet would run as a formula (corrections must be the run's categories).
  // The formula cases too: corrections must be the run's categories to be counted.
  const formulaCategories = [['=HYPERLINK("x")', 'hyperlink'], ...FORMULA_CASES.map(([, text], i) => [text, `formula-${i}`])].map(([name, slug]) => ({ name, slug, phrases: [] }));
  const result = { ...made, dictionary: { ...made.dictionary, categories: [...made.dictionary.categories, ...formulaCategories] } };
  const [a, b, c] = result.images;
  const file = {
    ...goodFile(),
    source: 'ada.json',
    items: [
      { sha256: a.sha256, path: a.path, predicted: a.category, label: a.label, probability: a.probability, verdict: 'right' as const, judgedAt: '2025-03-01T10:00:00.000Z' },
      { sha256: b.sha256, path: b.path, predicted: b.category, label: b.label, probability: b.probability, verdict: 'wrong' as const, correction: '=HYPERLINK("x")', judgedAt: '2025-03-01T10:01:00.000Z' },
      { sha256: c.sha256, path: c.path, predicted: 'An old category', label: c.label, probability: c.probability, verdict: 'right' as const, judgedAt: '2025-03-01T10:02:00.000Z' },
    ],
  };
  const csv = toCsv(result, {});
  const json = toJson(result);
  const withValidated = (files: Parameters<typeof validatedColumnsOf>[1]) => {
    const extra = validatedColumnsOf(result, files) ?? undefined;
    return { csv: toCsv(result, { extra }), json: toJson(result, { extra }) };
  };

  it('leaves the files unchanged without judgements', () => {
    expect(validatedColumnsOf(result, [])).toBeNull();
    expect(withValidated([])).toEqual({ csv, json });
  });

  it('appends validated and validated_category, keeping every existing cell', () => {
    const out = withValidated([file]);
    const before = readRfc4180(csv);
    const after = readRfc4180(out.csv);
    expect(after[0]).toEqual([...before[0], 'validated', 'validated_category']);
    expect(after.map((r) => r.slice(0, -2))).toEqual(before);
    const byPath = Object.fromEntries(after.slice(1).map((r) => [r[0], r.slice(-2)]));
    expect(byPath[a.path]).toEqual(['right', a.category]);
    expect(byPath[b.path]).toEqual(['wrong', `'=HYPERLINK("x")`]);
    // Judged on another prediction: counted apart, not validated.
    expect(byPath[c.path]).toEqual(['', '']);
    const images = JSON.parse(out.json).images as Record<string, unknown>[];
    const ja = images.find((i) => i.path === a.path)!;
    expect([ja.validated, ja.validatedCategory]).toEqual(['right', a.category]);
    expect(Object.keys(ja).slice(-2)).toEqual(['validated', 'validatedCategory']);
    expect('validated' in images.find((i) => i.path === c.path)!).toBe(false);
    // Everything else in the JSON is what the CLI writes.
    expect(JSON.parse(out.json).images.map(({ validated: _v, validatedCategory: _c, ...rest }: Record<string, unknown>) => rest)).toEqual(JSON.parse(json).images);
  });

  it('uses the report the build computed once instead of computing another', () => {
    // A report computed from other judgements (a Wrong for image a): its consensus is what is written.
    const other = { ...file, items: [{ ...file.items[0], verdict: 'wrong' as const }] };
    const computed = validationReport(result, [other]);
    expect(validatedColumnsOf(result, [file], computed)!.values(a)).toEqual(['wrong', '']);
    expect(validatedColumnsOf(result, [file])!.values(a)).toEqual(['right', a.category]);
  });

  it.each(FORMULA_CASES)('validated_category starting with %s is escaped like every CSV cell clipscope writes', (_name, correction) => {
    const wrong = { ...file, items: [{ ...file.items[1], correction }] };
    const out = withValidated([wrong]);
    const row = readRfc4180(out.csv).find((r) => r[0] === b.path)!;
    expect(row.slice(-2)).toEqual(['wrong', `'${correction}`]);
  });
});
