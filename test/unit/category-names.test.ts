// Category names that are Object.prototype keys ("toString", "__proto__", …) are allowed by the
// dictionary format, so they must be plain data everywhere a category name is a key: the results
// JSON and CSV, the report model, the Groups page's cells, the validation report and the widget.
// (The CLI end to end: test/integration/category-names-cli.test.ts.)
import { describe, expect, it } from 'vitest';
import { categorySlug } from '../../integrations/core/dictionary.ts';
import { sha256Hex } from '../../integrations/engine/hash.ts';
import { roundSeed, toCsv, toJson } from '../../integrations/engine/results.ts';
import { buildReport } from '../../integrations/clipscope/report/report.ts';
import { groupCells, groupReport } from '../../integrations/clipscope/report/groups-report.ts';
import { widgetData } from '../../integrations/clipscope/report/widget-data.ts';
import { validatedColumns, validationReport } from '../../integrations/core/validation-report.ts';
import { JUDGEMENTS_SCHEMA, type JudgementFile } from '../../integrations/core/judgements.ts';
import type { ImageResult, RunResult } from '../../integrations/core/types.ts';
import { makeRunResult } from '../fixtures/make-run-result.ts';
import { readRfc4180 } from '../fixtures/rfc4180.ts';

const slugify = (name: string) => categorySlug(name, sha256Hex);

const PROTOTYPE_NAMES = ['toString', 'valueOf', 'hasOwnProperty', 'constructor', '__proto__'];

const categories = PROTOTYPE_NAMES.map((name) => ({ name, slug: slugify(name), phrases: [{ text: `a ${name} picture`, tokenCount: 4 }, { text: `another ${name} photo`, tokenCount: 4 }] }));

function run(): RunResult {
  const result = makeRunResult({ syntheticCount: 60, categories, seed: 'prototype-names' });
  // Groups named like prototype keys too, and one image path that is one.
  result.grouping = { kind: 'folder' };
  result.images.forEach((image, i) => {
    image.group = PROTOTYPE_NAMES[i % 3];
  });
  result.images[0].path = 'constructor';
  return result;
}

const options = { samplesPerCategory: 4, standaloneSamples: 2, seed: 1, pageSize: 50, listThumbnails: false, validation: { perCategory: 3, seed: 1 } };

/** Images per category, counted without any object keyed by a name. */
function countsOf(images: readonly ImageResult[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const image of images) counts.set(image.category, (counts.get(image.category) ?? 0) + 1);
  return counts;
}

describe('category names that are Object.prototype keys', () => {
  it('the fixture really uses every name (as predictions and probability keys)', () => {
    const result = run();
    expect([...countsOf(result.images).keys()].sort()).toEqual([...PROTOTYPE_NAMES].sort());
    for (const image of result.images) expect(Object.keys(image.categories).sort()).toEqual([...PROTOTYPE_NAMES].sort());
  });

  it('results.json and results.csv carry every probability under its own name', () => {
    const result = run();
    const json = JSON.parse(toJson(result)) as RunResult;
    const [header, ...rows] = readRfc4180(toCsv(result));
    const byPath = new Map(json.images.map((image) => [image.path, image]));
    for (const name of PROTOTYPE_NAMES) {
      const column = header.indexOf(`P(${name})`);
      expect(column).toBeGreaterThan(0);
      for (const row of rows) {
        const original = result.images.find((i) => i.path === row[0].replace(/^'/, ''))!;
        const p = Object.getOwnPropertyDescriptor(original.categories, name)!.value as number;
        expect(typeof p).toBe('number');
        expect(Number(row[column])).toBe(roundSeed(p));
        expect(Object.getOwnPropertyDescriptor(byPath.get(original.path)!.categories, name)?.value).toBe(p);
      }
    }
    for (const image of json.images) expect(Object.keys(image.categories)).toEqual(PROTOTYPE_NAMES);
  });

  it('report building: one category page per name with the right counts and members', () => {
    const result = run();
    const report = buildReport({ result, options });
    const counts = countsOf(result.images);
    expect(report.categories.map((c) => c.name)).toEqual(PROTOTYPE_NAMES);
    expect(new Set(report.categories.map((c) => c.slug)).size).toBe(PROTOTYPE_NAMES.length);
    for (const c of report.categories) {
      expect(c.count).toBe(counts.get(c.name));
      expect(c.members.every((i) => result.images[i].category === c.name)).toBe(true);
      expect(c.phrases.map((p) => p.text)).toEqual([`a ${c.name} picture`, `another ${c.name} photo`]);
    }
    const widget = widgetData({ ...report, thumbs: {} });
    expect(widget.categories).toEqual(PROTOTYPE_NAMES);
    expect(widget.items.every((item) => PROTOTYPE_NAMES.includes(item.predicted))).toBe(true);
  });

  it('groups: shares, cell pages and their slugs and post counts', () => {
    const result = run();
    const report = buildReport({ result, options });
    const g = groupReport(report);
    expect(g.groups.map((x) => x.name).sort()).toEqual(PROTOTYPE_NAMES.slice(0, 3).sort());
    for (const name of PROTOTYPE_NAMES) expect(g.categorySlugs.get(name)).toBe(slugify(name));
    const cells = groupCells(report);
    expect(cells).toHaveLength(3 * PROTOTYPE_NAMES.length);
    for (const cell of cells) {
      expect(cell.category.slug).toBe(slugify(cell.category.name));
      const members = result.images.filter((i) => i.group === cell.group.name && i.category === cell.category.name);
      expect(cell.count).toBe(members.length);
      for (const image of members) expect(cell.posts.get(image.path)).toBe(1);
    }
  });

  it('validation report: precision, confusion matrix and validated columns keyed by the names', () => {
    const result = run();
    const report = buildReport({ result, options });
    const judged = report.validationSet.map((i) => result.images[i]);
    // Every other image judged wrong, corrected to the next name (so every name is also a correction).
    const file: JudgementFile = {
      schema: JUDGEMENTS_SCHEMA,
      run: { model: result.run.model.name, modelChecksum: result.run.model.checksum, dictionaryHash: result.run.dictionary.hash },
      coder: 'Ada',
      role: 'coder',
      mode: 'shown',
      exportedAt: '2025-03-01T14:05:00.000Z',
      items: judged.map((img, k) => ({
        sha256: img.sha256,
        path: img.path,
        predicted: img.category,
        label: img.label,
        probability: img.probability,
        ...(k % 2 === 0 ? { verdict: 'right' as const } : { verdict: 'wrong' as const, correction: PROTOTYPE_NAMES[(PROTOTYPE_NAMES.indexOf(img.category) + 1) % PROTOTYPE_NAMES.length] }),
        judgedAt: `2025-03-01T14:${String(k).padStart(2, '0')}:00.000Z`,
      })),
    };
    const v = validationReport(result, [file]);
    expect(v.images).toBe(judged.length);
    expect(v.precision.map((p) => p.category)).toEqual(PROTOTYPE_NAMES);
    for (const p of v.precision) {
      const of = judged.map((img, k) => ({ img, k })).filter(({ img }) => img.category === p.category);
      expect(p.n).toBe(of.length);
      expect(p.successes).toBe(of.filter(({ k }) => k % 2 === 0).length);
    }
    expect(v.confusion.rows).toEqual(PROTOTYPE_NAMES);
    expect(v.confusion.counts.flat().reduce((a, b) => a + b, 0)).toBe(judged.length);
    judged.forEach((img, k) => {
      const expected = k % 2 === 0 ? img.category : PROTOTYPE_NAMES[(PROTOTYPE_NAMES.indexOf(img.category) + 1) % PROTOTYPE_NAMES.length];
      expect(validatedColumns(v, img.sha256)).toEqual({ validated: k % 2 === 0 ? 'right' : 'wrong', validatedCategory: expected });
    });
  });
});
