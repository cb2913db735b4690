// `clipscope embed`: every image under a folder embedded (through the cache, like a classify run)
// and exported with its path and sha256, for users' own analyses.
import { embedImageFolder, withModelAndStore, type EmbedEffects } from './cached-embeddings.ts';
import { checkImageFolder } from './discover.ts';
import { optionName, parseEmbedOptions } from './options.ts';
import type { SkippedFile } from '../core/types.ts';

/** What `clipscope embed` writes: the L2-normalised image embeddings, for users' own analyses. */
export interface EmbeddingsExport {
  model: { name: string; checksum: string; variant: string };
  dim: number;
  items: { path: string; sha256: string; embedding: number[] }[];
  skipped: SkippedFile[];
  stats: { images: number; embedded: number; fromCache: number; skipped: number; seconds: number };
}

/** `clipscope embed`: the L2-normalised embeddings of every image under a folder, through the cache. */
export async function embedFolder(input: unknown, effects: EmbedEffects & { source?: string }): Promise<EmbeddingsExport> {
  const source = effects.source ?? 'options';
  const options = parseEmbedOptions(input, source);
  const t0 = performance.now();
  const imagesFlag = optionName('images', source);
  await checkImageFolder(options.images, imagesFlag);
  return withModelAndStore(options, effects, async (model, store, modelKey) => {
    const set = await embedImageFolder({ ...options, imagesFlag }, model, store, modelKey, effects);
    return {
      model: { name: model.info.name, checksum: model.info.checksum, variant: model.info.variant },
      dim: model.info.projectionDim,
      items: set.images.map((image) => ({ path: image.path, sha256: image.sha256, embedding: Array.from(set.embeddings.get(image.sha256)!) })),
      skipped: set.skipped,
      stats: {
        images: set.images.length,
        embedded: set.embedded,
        fromCache: set.fromCache,
        skipped: set.skipped.length,
        seconds: (performance.now() - t0) / 1000,
      },
    };
  });
}
