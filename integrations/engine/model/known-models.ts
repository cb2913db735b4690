// A short curated list of Hub repositories in the layout clipscope reads, for `clipscope model list`.
// Only repositories whose layout is known to fit are listed: each has onnx/vision_model.onnx and
// onnx/text_model.onnx (plus variants), config.json with model_type "clip" or "siglip", and a
// tokenizer.json. Licences are those of the original weights (the ONNX repositories are conversions).

export interface KnownModel {
  repo: string;
  family: 'clip' | 'siglip';
  /** What it is, briefly. */
  model: string;
  /** Languages its text tower was trained for. */
  languages: string;
  /** Input image size, pixels (square). */
  imageSize: number;
  /** Embedding width. */
  dim: number;
  licence: string;
}

export const KNOWN_MODELS: readonly KnownModel[] = Object.freeze([
  { repo: 'Xenova/clip-vit-base-patch32', family: 'clip', model: 'OpenAI CLIP ViT-B/32', languages: 'English', imageSize: 224, dim: 512, licence: 'MIT (openai/clip-vit-base-patch32)' },
  { repo: 'Xenova/clip-vit-base-patch16', family: 'clip', model: 'OpenAI CLIP ViT-B/16', languages: 'English', imageSize: 224, dim: 512, licence: 'MIT (openai/clip-vit-base-patch16)' },
  { repo: 'Xenova/clip-vit-large-patch14', family: 'clip', model: 'OpenAI CLIP ViT-L/14', languages: 'English', imageSize: 224, dim: 768, licence: 'MIT (openai/clip-vit-large-patch14)' },
  { repo: 'Xenova/siglip-base-patch16-224', family: 'siglip', model: 'Google SigLIP base/16', languages: 'English', imageSize: 224, dim: 768, licence: 'Apache-2.0 (google/siglip-base-patch16-224)' },
  { repo: 'onnx-community/siglip2-base-patch16-224-ONNX', family: 'siglip', model: 'Google SigLIP 2 base/16', languages: 'multilingual', imageSize: 224, dim: 768, licence: 'Apache-2.0 (google/siglip2-base-patch16-224)' },
]);

/** The list as a plain-text table (fixed-width columns, one row per repository). */
export function knownModelsTable(models: readonly KnownModel[] = KNOWN_MODELS): string {
  const header = ['repository', 'family', 'model', 'languages', 'image', 'dim', 'licence'];
  const rows = models.map((m) => [m.repo, m.family, m.model, m.languages, `${m.imageSize} px`, String(m.dim), m.licence]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
