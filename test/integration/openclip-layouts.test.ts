// Two OpenCLIP-trained layouts clipscope loads without flags, against references made by
// scripts/reference/make_openclip_fixtures.py (committed in test/fixtures/models/<name>/; no Python
// runs here):
// - mobileclip-tiny: Apple MobileCLIP as the Xenova/mobileclip_* repositories lay it out — config.json
//   only {"model_type": "clip"}, no normalisation (do_normalize false), BILINEAR resize, pad token "!"
//   to 77, and a NON-causal text tower (as MobileCLIP-S0's), so the padding is part of the input;
// - laion-tiny: an OpenCLIP (LAION) checkpoint converted by transformers, with ImageNet mean/std,
//   BILINEAR resize and a text tower that takes attention_mask (optimum's export).
// Tolerances as in hf-reference.test.ts: token ids exact; embeddings cosine ≥ 0.9999 (ONNX vs
// PyTorch, and clipscope's preprocessing vs PIL's on exact-size and integer-factor images).
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type ClipModel } from '../../integrations/engine/model/load.ts';
import { preprocessImage, tensorSize } from '../../integrations/engine/preprocess.ts';
import { cosine } from '../fixtures/vectors.ts';

const ROOT = 'test/fixtures/models';

interface Reference {
  phrases: string[];
  input_ids: number[][];
  images: string[];
  image_embeds: number[][];
  text_embeds: number[][];
  text_embeds_unpadded?: number[][];
}


const cases = [
  { name: 'mobileclip-tiny', preprocess: { shortestEdge: 32, cropHeight: 32, cropWidth: 32, resample: 2, doNormalize: false, rescaleFactor: 1 / 255 }, padTo: 77 },
  { name: 'laion-tiny', preprocess: { shortestEdge: 32, cropHeight: 32, cropWidth: 32, resample: 2, doNormalize: true, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, padTo: null },
] as const;

describe.each(cases)('$name', ({ name, preprocess, padTo }) => {
  let dir: string;
  let ref: Reference;
  let model: ClipModel;
  let imageEmbeds: Float32Array;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `clipscope-${name}-`));
    await cp(join(ROOT, name), dir, { recursive: true });
    ref = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8'));
    model = await loadModel(dir, { threads: 1 });
    const cfg = model.info.preprocess;
    const pixels = new Float32Array(ref.images.length * tensorSize(cfg));
    for (const [i, file] of ref.images.entries()) {
      await preprocessImage(await readFile(join(ROOT, 'images', file)), cfg, { out: pixels, offset: i * tensorSize(cfg) });
    }
    imageEmbeds = await model.embedImages(pixels, ref.images.length);
  });
  afterAll(async () => {
    await model?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads as a CLIP folder, with the preprocessing its preprocessor_config.json states', () => {
    expect(model.info.family).toBe('clip');
    expect(model.info.contextLength).toBe(77);
    expect(model.info.preprocess).toMatchObject(preprocess);
  });

  it("gives the reference token ids, padded as the model's tokenizer pads", () => {
    const tok = model.tokenizer;
    expect(tok.padTo).toBe(padTo);
    const ids = ref.phrases.map((p) => {
      const t = tok.encode(p).ids;
      return [...t, ...new Array(77 - t.length).fill(tok.padId)];
    });
    expect(ids).toEqual(ref.input_ids);
  });

  it('gives the reference image embeddings (cosine ≥ 0.9999)', () => {
    const dim = model.info.projectionDim;
    for (const [i, e] of ref.image_embeds.entries()) expect(cosine(imageEmbeds.subarray(i * dim, (i + 1) * dim), e), ref.images[i]).toBeGreaterThanOrEqual(0.9999);
  });

  it('gives the reference text embeddings, also for a batch of short phrases only (cosine ≥ 0.9999)', async () => {
    const dim = model.info.projectionDim;
    // Without the phrase that fills 77 tokens, a batch's longest phrase is short: a tower that sees
    // its padding (MobileCLIP's) must still get all 77 positions.
    for (const batch of [ref.phrases, ref.phrases.slice(0, -1), [ref.phrases[0]]]) {
      const embeds = await model.embedTexts(batch.map((p) => model.tokenizer.encode(p)));
      for (const [i, p] of batch.entries()) expect(cosine(embeds.subarray(i * dim, (i + 1) * dim), ref.text_embeds[ref.phrases.indexOf(p)]), p).toBeGreaterThanOrEqual(0.9999);
    }
  });

  it.runIf(name === 'mobileclip-tiny')('the padding matters to this tower: unpadded phrases embed differently', () => {
    const worst = Math.min(...ref.text_embeds_unpadded!.slice(0, -1).map((e, i) => cosine(e, ref.text_embeds[i])));
    expect(worst).toBeLessThan(0.999);
  });
});
