// The peer: transformers.js (@huggingface/transformers, bench/package.json's own dependency) on
// the same model folder and the same files, used the way its documentation shows for CLIP image
// embeddings: RawImage.read → the model's image processor (CLIPImageProcessor from
// preprocessor_config.json) → CLIPVisionModelWithProjection → image_embeds, batch after batch.
//
// Local files only: remote models are off, the model folder is found through env.localModelPath,
// and any network request made through fetch() fails the task (so a silent download cannot happen).
import { dirname, basename } from 'node:path';
import { cpuSeconds } from './machine.ts';

export interface PeerArgs {
  /** The model folder (its parent becomes transformers.js' localModelPath). */
  model: string;
  variant: 'fp32' | 'quantized';
  files: string[];
  /** Images per model call; 1 is the documented use (one image: read → processor → model). */
  batchSize: number;
  /** How a batch's files are read: all at once (`Promise.all`, the fastest we found) or one
   * after another (`for … await RawImage.read`, the plain way to write it). Default parallel. */
  read?: 'parallel' | 'sequential';
  embeddingsOut?: string;
  /** Also embed these ready-made tensors (float32 file, [n, 3, 224, 224]) with their model, to
   * separate model agreement from preprocessing differences. */
  tensorsIn?: string;
  tensorsCount?: number;
}

function guardNetwork(): void {
  const original = globalThis.fetch;
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (/^https?:/i.test(url)) throw new Error(`benchmark peer: network request refused: ${url}`);
    return original(input, init);
  }) as typeof fetch;
}

export async function peer(args: PeerArgs): Promise<Record<string, unknown>> {
  guardNetwork();
  const { writeFile, readFile } = await import('node:fs/promises');
  const t = await import('@huggingface/transformers');
  t.env.allowRemoteModels = false;
  t.env.allowLocalModels = true;
  t.env.localModelPath = `${dirname(args.model)}/`;
  t.env.useFSCache = false;
  const name = basename(args.model);
  const now = () => performance.now() / 1000;

  let t0 = now();
  const processor = await t.AutoImageProcessor.from_pretrained(name);
  const model = await t.CLIPVisionModelWithProjection.from_pretrained(name, { dtype: args.variant === 'quantized' ? 'q8' : 'fp32', device: 'cpu' });
  const loadSeconds = now() - t0;

  const embedBatch = async (files: string[]) => {
    const p0 = now();
    let images: Awaited<ReturnType<typeof t.RawImage.read>>[] = [];
    if (args.read === 'sequential') for (const f of files) images.push(await t.RawImage.read(f));
    else images = await Promise.all(files.map((f) => t.RawImage.read(f)));
    const inputs = await processor(images.length === 1 ? images[0] : images);
    const p1 = now();
    const { image_embeds } = await model(inputs);
    return { data: image_embeds.data as Float32Array, dims: image_embeds.dims as number[], prepare: p1 - p0, infer: now() - p1 };
  };

  // Warm-up on the first batch (as the bound and clipscope's difference method exclude it too).
  await embedBatch(args.files.slice(0, args.batchSize));

  const n = args.files.length;
  let prepare = 0;
  let infer = 0;
  let dim = 0;
  const rows: Float32Array[] = [];
  t0 = now();
  const c0 = cpuSeconds();
  for (let s = 0; s < n; s += args.batchSize) {
    const r = await embedBatch(args.files.slice(s, s + args.batchSize));
    prepare += r.prepare;
    infer += r.infer;
    dim = r.dims[1];
    rows.push(r.data.slice());
  }
  const seconds = now() - t0;
  const cpuSecondsPerImage = (cpuSeconds() - c0) / n;

  if (args.embeddingsOut) {
    const all = new Float32Array(n * dim);
    let o = 0;
    for (const r of rows) {
      all.set(r, o);
      o += r.length;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += all[i * dim + k] ** 2;
      const inv = 1 / Math.sqrt(s);
      for (let k = 0; k < dim; k++) all[i * dim + k] *= inv;
    }
    await writeFile(args.embeddingsOut, all);
  }

  let tensorEmbeddings: string | undefined;
  if (args.tensorsIn && args.tensorsCount) {
    const bytes = await readFile(args.tensorsIn);
    const pixels = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const count = args.tensorsCount;
    const { image_embeds } = await model({ pixel_values: new t.Tensor('float32', pixels, [count, 3, 224, 224]) });
    tensorEmbeddings = `${args.embeddingsOut}.tensors`;
    await writeFile(tensorEmbeddings, (image_embeds.data as Float32Array).slice());
  }

  await model.dispose();
  return {
    variant: args.variant,
    version: t.env.version,
    images: n,
    batchSize: args.batchSize,
    read: args.read ?? 'parallel',
    loadSeconds,
    seconds,
    imagesPerSecond: n / seconds,
    cpuSecondsPerImage,
    prepareSeconds: prepare,
    inferSeconds: infer,
    prepareImagesPerSecond: n / prepare,
    tensorEmbeddings,
  };
}
