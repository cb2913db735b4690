import { describe, expect, it } from 'vitest';
import { distinctImages, drawValidationSet } from '../../integrations/clipscope/report/validation-set.ts';
import { adjudicationData, widgetData } from '../../integrations/clipscope/report/widget-data.ts';
import { JUDGEMENTS_SCHEMA, type JudgementFile } from '../../integrations/core/judgements.ts';
import { buildReport, thumbnailRequests } from '../../integrations/clipscope/report/report.ts';
import { UNCERTAIN, type ImageResult } from '../../integrations/core/types.ts';
import { makeRunResult } from '../fixtures/make-run-result.ts';
import { ThumbSet, thumbName } from '../../integrations/clipscope/report/thumb-set.ts';

const result = makeRunResult({ syntheticCount: 400, seed: 'validation-set-test' });
const images = result.images;
const categories = result.dictionary.categories.map((c) => c.name);
const paths = (idx: number[], from: readonly ImageResult[] = images) => idx.map((i) => from[i].path);
const countBy = (list: ImageResult[]) => {
  const m: Record<string, number> = {};
  for (const i of list) m[i.category] = (m[i.category] ?? 0) + 1;
  return m;
};

describe('drawValidationSet', () => {
  it('is the same on every draw, whatever order the images come in', () => {
    const a = paths(drawValidationSet(images, categories, 20, 'clipscope'));
    const b = paths(drawValidationSet(images, categories, 20, 'clipscope'));
    const reversed = images.slice().reverse();
    const c = paths(drawValidationSet(reversed, categories, 20, 'clipscope'), reversed);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('pins the draw (a change of generator or seed scheme must be deliberate)', () => {
    expect(paths(drawValidationSet(images, categories, 2, 'clipscope')).slice(0, 4)).toMatchInlineSnapshot(`
      [
        "synthetic/img-00120.jpg",
        "synthetic/img-00356.jpg",
        "synthetic/img-00026.jpg",
        "synthetic/img-00090.jpg",
      ]
    `);
  });

  it('changes with the seed', () => {
    expect(paths(drawValidationSet(images, categories, 20, 'a'))).not.toEqual(paths(drawValidationSet(images, categories, 20, 'b')));
  });

  it('takes perCategory images of each category (all of a smaller one), once each', () => {
    const sizes = countBy(images);
    const drawn = drawValidationSet(images, categories, 20, 's').map((i) => images[i]);
    const got = countBy(drawn);
    for (const c of categories) expect(got[c] ?? 0).toBe(Math.min(20, sizes[c] ?? 0));
    expect(new Set(drawn.map((d) => d.sha256)).size).toBe(drawn.length);
    // 5 categories of ~80 images: 100 drawn.
    expect(drawn).toHaveLength(categories.reduce((n, c) => n + Math.min(20, sizes[c] ?? 0), 0));
    const small = drawValidationSet(images, categories, 1000, 's');
    expect(small).toHaveLength(images.length);
  });

  it('interleaves the categories (shuffled), instead of one block per category', () => {
    const drawn = drawValidationSet(images, categories, 20, 's').map((i) => images[i].category);
    // Blocks would give exactly categories.length − 1 changes of category along the list.
    const changes = drawn.filter((c, i) => i > 0 && c !== drawn[i - 1]).length;
    expect(changes).toBeGreaterThan(40);
  });

  it('leaves Uncertain out and judges the same bytes under two names once', () => {
    const withExtras: ImageResult[] = [
      ...images.slice(0, 30),
      { ...images[0], path: 'zz/uncertain.jpg', sha256: 'e'.repeat(64), category: UNCERTAIN },
      { ...images[1], path: 'aa/copy-of-1.jpg' },
    ];
    const drawn = drawValidationSet(withExtras, [...categories, UNCERTAIN], 100, 's').map((i) => withExtras[i]);
    expect(drawn.some((d) => d.category === UNCERTAIN)).toBe(false);
    expect(drawn.filter((d) => d.sha256 === images[1].sha256).map((d) => d.path)).toEqual(['aa/copy-of-1.jpg']);
    expect(drawn).toHaveLength(30);
    expect(distinctImages(withExtras)).toHaveLength(31);
  });

  it('does not reshuffle a category whose images did not change', () => {
    const before = drawValidationSet(images, categories, 5, 's').map((i) => images[i]).filter((d) => d.category === categories[0]).map((d) => d.path);
    const fewer = images.filter((i) => !(i.category === categories[1] && i.path.endsWith('3.jpg')));
    const after = drawValidationSet(fewer, categories, 5, 's').map((i) => fewer[i]).filter((d) => d.category === categories[0]).map((d) => d.path);
    expect(after.sort()).toEqual(before.sort());
  });
});

describe('widgetData', () => {
  it('gives the widget each image with prediction, phrase, probability, second choice and large rendition', () => {
    const report = buildReport({
      result,
      options: { samplesPerCategory: 3, standaloneSamples: 1, seed: 'x', pageSize: 10, listThumbnails: false, validation: { perCategory: 4, seed: 'v' } },
    });
    const first = result.images[report.validationSet[0]];
    report.thumbs.validation = new ThumbSet(768, 80);
    report.thumbs.validation.add(first.sha256, 768, 512);
    const big = `_clipscope/thumbs/${thumbName(first.sha256, 768, 80)}`;
    const data = widgetData(report);
    expect(data.run).toEqual({ model: 'fixture-model', modelChecksum: 'f'.repeat(64), dictionaryHash: 'd'.repeat(64) });
    expect(data.categories).toEqual(categories);
    expect(data.items).toHaveLength(20);
    expect(data.items[0]).toMatchObject({ sha256: first.sha256, path: first.path, predicted: first.category, label: first.label, probability: first.categories[first.category], phraseShare: first.probability, src: big, width: 768, height: 512 });
    // The second most probable category, with its phrase when the ranked list names one.
    const second = Object.entries(first.categories).filter(([c]) => c !== first.category).sort((a, b) => b[1] - a[1])[0];
    expect(data.items[0].second).toEqual({ category: second[0], label: first.top.find((t) => t.category === second[0])?.label ?? '', probability: second[1] });
    expect(data.items[1].src).toBeNull();
  });
});

describe('adjudicationData', () => {
  it('hands the Adjudicate page the images the coders disagree on, with their answers, and asks for their large renditions', () => {
    const run = { model: 'fixture-model', modelChecksum: 'f'.repeat(64), dictionaryHash: 'd'.repeat(64) };
    const img = result.images[3];
    const item = { sha256: img.sha256, path: img.path, predicted: img.category, label: img.label, probability: img.probability, judgedAt: '2025-03-01T14:00:00.000Z' };
    const file = (coder: string, role: 'coder' | 'adjudicator', verdict: 'right' | 'wrong'): JudgementFile & { source: string } => ({
      schema: JUDGEMENTS_SCHEMA, run, coder, role, mode: 'shown', exportedAt: '2025-03-01T15:00:00.000Z', items: [{ ...item, verdict }], source: `${coder}.json`,
    });
    const report = buildReport({
      result,
      options: { samplesPerCategory: 3, standaloneSamples: 1, seed: 'x', pageSize: 10, listThumbnails: false, validation: { perCategory: 4, seed: 'v' } },
      judgements: { files: [file('Ada', 'coder', 'right'), file('Bo', 'coder', 'wrong'), file('Judge', 'adjudicator', 'wrong')], problems: [] },
    });
    expect(report.adjudication.map((c) => c.path)).toEqual([img.path]);
    expect(thumbnailRequests(report).some((r) => r.role === 'validation' && r.sha256 === img.sha256)).toBe(true);
    const data = adjudicationData(report);
    expect(data.items.map((i) => i.path)).toEqual([img.path]);
    expect(data.items[0].answers).toEqual([
      { coder: 'Ada', answer: 'Right', blind: false, adjudicator: false },
      { coder: 'Bo', answer: 'Wrong', blind: false, adjudicator: false },
      { coder: 'Judge', answer: 'Wrong', blind: false, adjudicator: true },
    ]);
    expect(data.blind).toBe(false);
  });
});
