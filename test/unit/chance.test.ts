// The rule that says when results are no better than chance (report/chance.ts), table-tested, and the
// marker that identifies clipscope's generated models.
import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assessChance, chanceRule } from '../../integrations/clipscope/report/chance.ts';
import { generatedMarker, generatedModel } from '../../integrations/clipscope/model-origin.ts';
import type { ImageResult } from '../../integrations/core/types.ts';

const names = (k: number) => Array.from({ length: k }, (_, i) => `C${i + 1}`);

/** An image whose category probabilities are `ps` (percent, dictionary order), top-1 the best category. */
function image(ps: number[], topPhrases?: [number, number]): Pick<ImageResult, 'category' | 'categories' | 'top'> {
  const cats = names(ps.length);
  const best = ps.indexOf(Math.max(...ps));
  const top = topPhrases
    ? [{ category: cats[best], label: 'a', probability: topPhrases[0] }, { category: cats[best], label: 'b', probability: topPhrases[1] }]
    : [{ category: cats[best], label: 'a', probability: ps[best] }];
  return { category: cats[best], categories: Object.fromEntries(cats.map((c, i) => [c, ps[i]])), top };
}

const uniform = (k: number) => image(Array.from({ length: k }, () => 100 / k));
/** Confident images spread over the categories: the first category wins with `p`. */
const confident = (k: number, winner: number, p = 90) => image(names(k).map((_, i) => (i === winner ? p : (100 - p) / (k - 1))));

describe('assessChance', () => {
  it.each([
    // [case, images, K, generated, expected reasons (substrings), none expected]
    ['60 images all tied at exactly 1/26', Array.from({ length: 60 }, () => uniform(26)), 26, null, ['near chance level', 'exact ties', 'fall into one category']],
    ['confident and spread: no warning', Array.from({ length: 40 }, (_, i) => confident(4, i % 4)), 4, null, []],
    ['the demo model, however confident', Array.from({ length: 40 }, (_, i) => confident(4, i % 4)), 4, 'demo-colors', ['demo model']],
    ['a synthetic model', [confident(3, 0)], 3, 'synthetic', ['random weights']],
    ['near chance but not tied (best 1/K + 3 points)', Array.from({ length: 10 }, () => image([28, 24, 24, 24])), 4, null, ['near chance level']],
    ['one category holds 96 % of 25 images', [...Array.from({ length: 24 }, () => confident(3, 0)), confident(3, 1)], 3, null, ['fall into one category']],
    ['one category but only 10 images: too few to say', Array.from({ length: 10 }, () => confident(3, 0)), 3, null, []],
    ['a few seed phrase ties (≥ 10 %)', [...Array.from({ length: 9 }, (_, i) => confident(3, i % 3)), image([80, 10, 10], [40, 40])], 3, null, ['exact ties']],
  ] as const)('%s', (_, images, k, generated, expected) => {
    const a = assessChance(images as never, k, generated);
    for (const e of expected) expect(a.reasons.some((r) => r.includes(e)), `${e} in ${a.reasons.join(' | ')}`).toBe(true);
    expect(a.reasons).toHaveLength(expected.length);
    for (const r of a.reasons) expect(r).toMatch(/chance/);
  });

  it('counts near-chance images and ties and gives chance level 1/K', () => {
    const a = assessChance([uniform(26), uniform(26), confident(26, 3)], 26);
    expect(a.chanceLevel).toBeCloseTo(100 / 26, 12);
    expect(a.nearChance).toBe(2);
    expect(a.ties).toBe(2);
    expect(a.largest).toEqual({ category: 'C1', share: 2 / 3 });
  });

  it('says nothing for no images and states its rule', () => {
    expect(assessChance([], 5).reasons).toEqual([]);
    expect(chanceRule()).toMatch(/chance level \(1\/K/);
  });
});

describe('generated models', () => {
  it.each([
    [{ clipscope_generated: 'demo-colors' }, null, 'demo-colors'],
    [{ clipscope_generated: 'synthetic' }, null, 'synthetic'],
    [{}, { generator: 'clipscope demo-colors' }, 'demo-colors'],
    [{}, { generator: 'clipscope synthetic-clip' }, 'synthetic'],
    [{ clipscope_generated: 'something else' }, null, null],
    [{ model_type: 'clip' }, null, null],
    [null, null, null],
  ] as const)('config %j, record %j → %s', (config, record, expected) => {
    expect(generatedMarker(config as never, record as never)).toBe(expected);
  });

  it('reads the marker from a folder; a folder without config.json is not generated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clipscope-origin-'));
    expect(await generatedModel(dir)).toBeNull();
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'clip', clipscope_generated: 'synthetic' }));
    expect(await generatedModel(dir)).toBe('synthetic');
  });
});
