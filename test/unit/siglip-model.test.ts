// The SigLIP family's pieces that the Hugging Face parity test (test/integration/hf-reference.test.ts)
// does not reach: sigmoid scoring on a worked example, the refusals (no logit values; a NaFlex folder
// with the wrong graph or preprocessor), the CSV's Categories column.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isNaflex, modelFamily, siglipLogitParams } from '../../integrations/engine/model/family.ts';
import type { ClipscopeError } from '../../integrations/engine/errors.ts';
import { loadModel } from '../../integrations/engine/model/load.ts';
import { scoreImages } from '../../integrations/engine/score.ts';
import { toCsvRows } from '../../integrations/engine/results.ts';
import type { RunResult } from '../../integrations/core/types.ts';

const FIXTURE = 'test/fixtures/models/siglip-tiny';
const tmp: string[] = [];
afterAll(async () => Promise.all(tmp.map((d) => rm(d, { recursive: true, force: true }))));

/** A copy of the SigLIP 2 NaFlex fixture (test/integration/hf-naflex.test.ts checks it against HF). */
async function naflexCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'clipscope-naflex-'));
  tmp.push(dir);
  await cp('test/fixtures/models/siglip2-naflex-tiny', dir, { recursive: true });
  return dir;
}

describe('sigmoid scoring (SigLIP multi-label)', () => {
  // One image, dim 2, embedding (1, 0); phrases at cosines 0.5, 0.1 (category A) and 0.3 (B).
  // scale 10, bias −2: logits 3, −1, 1 → sigmoid 95.257 %, 26.894 %, 73.106 %.
  const unit = (c: number) => [c, Math.sqrt(1 - c * c)];
  const input = {
    imageEmbeds: Float32Array.from([1, 0]),
    count: 1,
    dim: 2,
    textEmbeds: Float32Array.from([...unit(0.5), ...unit(0.1), ...unit(0.3)]),
    phrases: [
      { text: 'a1', category: 'A' },
      { text: 'a2', category: 'A' },
      { text: 'b1', category: 'B' },
    ],
    categories: ['A', 'B'],
    mode: 'sigmoid' as const,
    logitScale: 10,
    logitBias: -2,
    topK: 2,
  };

  it('gives each category its best phrase’s sigmoid and lists every category at or above 50 %', () => {
    const [r] = scoreImages(input);
    expect(r.categories.A).toBeCloseTo(95.257, 3);
    expect(r.categories.B).toBeCloseTo(73.106, 3);
    expect(r).toMatchObject({ category: 'A', label: 'a1', labels: ['A', 'B'] });
    expect(r.margin).toBeCloseTo(95.2574 - 73.1059, 2); // float32 embeddings: within 0.005 points
  });

  it('honours --min-probability, and with nothing above it the image is Uncertain', () => {
    expect(scoreImages({ ...input, minProbability: 80 })[0].labels).toEqual(['A']);
    const [none] = scoreImages({ ...input, minProbability: 99 });
    expect(none).toMatchObject({ category: 'Uncertain', label: 'a1', labels: [] });
  });

  it('depends on the bias, which softmax (seed) ignores', () => {
    expect(scoreImages({ ...input, logitBias: -6 })[0].labels).toEqual([]);
    const seed = (bias: number) => scoreImages({ ...input, mode: 'seed', logitBias: bias })[0].probability;
    // Logits 5, 1, 3 (scale × cos), whatever the bias: a1's share is e⁵ / (e⁵ + e¹ + e³) = 86.681 %.
    expect(seed(-6)).toBeCloseTo(86.681, 2);
    expect(seed(0)).toBeCloseTo(86.681, 2);
  });
});

describe('SigLIP model folders', () => {
  it('are told apart by model_type; NaFlex (siglip2) runs as SigLIP; unknown types are refused with a way out', () => {
    expect(modelFamily({ model_type: 'siglip' }, 'c.json')).toBe('siglip');
    expect(modelFamily({ model_type: 'clip' }, 'c.json')).toBe('clip');
    expect(modelFamily({}, 'c.json')).toBe('clip');
    expect(modelFamily({ model_type: 'siglip2' }, 'm/config.json')).toBe('siglip');
    expect([isNaflex({ model_type: 'siglip2' }), isNaflex({ model_type: 'siglip' }), isNaflex(null)]).toEqual([true, false, false]);
    expect(() => modelFamily({ model_type: 'blip' }, 'm/config.json')).toThrow(/"blip"/);
  });

  it('load SigLIP 2 NaFlex (model_type "siglip2") with its patch preprocessing', async () => {
    const dir = await naflexCopy();
    const model = await loadModel(dir, { threads: 1 });
    try {
      expect(model.info.family).toBe('siglip');
      expect(model.info.preprocess.naflex).toEqual({ patchSize: 4, maxNumPatches: 24 });
      expect(model.info.projectionDim).toBe(32);
    } finally {
      await model.close();
    }
  });

  it('refuse a NaFlex folder whose vision graph lacks pixel_attention_mask and spatial_shapes, naming them and the export to use', async () => {
    const dir = await naflexCopy();
    await cp('test/fixtures/models/siglip2-tiny/onnx/vision_model.onnx', join(dir, 'onnx', 'vision_model.onnx'));
    const err = await loadModel(dir, { threads: 1 }).then(() => null, (e: unknown) => e as ClipscopeError);
    expect(err?.message).toMatch(/vision_model\.onnx does not look like a SigLIP 2 NaFlex vision tower: expected inputs pixel_values, pixel_attention_mask, spatial_shapes .* found inputs pixel_values and/);
    expect(err?.hint).toMatch(/onnx-community NaFlex/);
  });

  it('refuse a NaFlex folder with a fixed-size preprocessor, or patches of another size than the graph takes', async () => {
    const fixed = await naflexCopy();
    await cp('test/fixtures/models/siglip2-tiny/preprocessor_config.json', join(fixed, 'preprocessor_config.json'));
    await expect(loadModel(fixed, { threads: 1 })).rejects.toThrow(/model_type "siglip2" \(SigLIP 2 NaFlex\) but .*preprocessor_config\.json is not a Siglip2ImageProcessor's/);
    const patch8 = await naflexCopy();
    const cfg = JSON.parse(await readFile(join(patch8, 'preprocessor_config.json'), 'utf8'));
    await writeFile(join(patch8, 'preprocessor_config.json'), JSON.stringify({ ...cfg, patch_size: 8 }));
    await expect(loadModel(patch8, { threads: 1 })).rejects.toThrow(/takes .* patches of 48 values but preprocessor_config\.json makes 24 patches of 192 \(patch_size 8\)/);
  });

  it('refuse to run without logit_scale and logit_bias, saying how to get them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clipscope-siglip-'));
    tmp.push(dir);
    await cp(FIXTURE, dir, { recursive: true });
    await rm(join(dir, 'onnx', 'model.onnx'));
    await expect(loadModel(dir, { threads: 1 })).rejects.toThrow(/no logit_scale and logit_bias/);
    await expect(siglipLogitParams(dir)).rejects.toMatchObject({ hint: expect.stringContaining('clipscope model fetch') });
  });

  it('take the values clipscope.json records before the weights', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clipscope-siglip-'));
    tmp.push(dir);
    await cp(FIXTURE, dir, { recursive: true });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'clipscope.json'), JSON.stringify({ logit: { scale: 117.33, bias: -12.93, source: 'model.safetensors' } }));
    expect(await siglipLogitParams(dir)).toEqual({ scale: 117.33, bias: -12.93, source: 'clipscope.json (from model.safetensors)' });
  });
});

describe('CSV of a sigmoid run', () => {
  it('has a Categories column with every category above the threshold, best first', () => {
    const result = {
      run: { scoring: 'sigmoid', topK: 1, column: 'Classification' },
      dictionary: { categories: [{ name: 'A' }, { name: 'B' }] },
      images: [
        { path: 'x.jpg', sha256: 'h', size: 1, category: 'A', label: 'a1', probability: 95, margin: 20, top: [{ category: 'A', label: 'a1', probability: 95 }], categories: { A: 95, B: 75 }, labels: ['A', 'B'] },
      ],
    } as unknown as RunResult;
    const { header, rows } = toCsvRows(result);
    const at = header.indexOf('Categories');
    expect(at).toBe(header.indexOf('Classification Margin') + 1);
    expect(rows[0][at]).toBe('A; B');
    expect(toCsvRows({ ...result, run: { ...result.run, scoring: 'seed' } } as RunResult).header).not.toContain('Categories');
  });
});

describe('the German political dictionary', () => {
  it('has the English one’s categories, in order, with a German phrase for each English phrase', async () => {
    const { loadDictionary } = await import('../../integrations/engine/dictionary.ts');
    const en = await loadDictionary('content/political-dictionary.yaml');
    const de = await loadDictionary('content/political-dictionary.de.yaml');
    expect(de.categories.map((c) => [c.name, c.phrases.length])).toEqual(en.categories.map((c) => [c.name, c.phrases.length]));
    const enPhrases = new Set(en.categories.flatMap((c) => c.phrases.map((p) => p.text)));
    for (const phrase of de.categories.flatMap((c) => c.phrases.map((p) => p.text))) expect(enPhrases.has(phrase), phrase).toBe(false);
    expect(de.categories.flatMap((c) => c.phrases.map((p) => p.text)).some((p) => /[äöüß]/.test(p))).toBe(true);
  });
});

describe('clipscope model list', () => {
  it('prints one aligned row per known repository, with family, languages, image size and licence', async () => {
    const { KNOWN_MODELS, knownModelsTable } = await import('../../integrations/engine/model/known-models.ts');
    const lines = knownModelsTable().trimEnd().split('\n').slice(0, KNOWN_MODELS.length + 1);
    expect(lines[0]).toMatch(/^repository +family +model +languages +image +dim +fp32 img\/s +int8 img\/s +fp32 CPU-s\/img +licence$/);
    const siglip2 = lines.find((l) => l.startsWith('onnx-community/siglip2-base-patch16-224-ONNX'))!;
    expect(siglip2).toMatch(/siglip +Google SigLIP 2 base\/16 +multilingual +224 px +768 +\S+ +\S+ +\S+ +Apache-2\.0/);
    // Columns line up: "family" starts at the same offset in every row.
    const at = lines[0].indexOf('family');
    for (const l of lines.slice(1)) expect(['clip  ', 'siglip']).toContain(l.slice(at, at + 6));
  });
});
