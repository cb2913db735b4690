// The model's text tower in the browser, for the Workbench page: new or changed phrases are embedded
// here so that every image can be re-scored without a rebuild. The page (src/pages/workbench/) uses
// only this interface; what runs the tower (onnxruntime-web, WASM) stays behind it.
//
// The build publishes what the tower needs under `<base>_clipscope/workbench/text-tower/` (its own
// manifest, the ONNX file, the tokenizer and the runtime's WASM), or nothing, with the reason in the
// build log, when the workbench is left out for this model.

/** What the page may show before anything large is downloaded. */
export interface TextTowerDescription {
  available: boolean;
  /** Why the tower is not available (shown to the user as is). */
  reason?: string;
  /** Bytes to download before the first phrase can be embedded (model + runtime). */
  sizeBytes: number;
  /** The model variant published, e.g. "int8" or "fp32". */
  variant: string;
  /** Embedding width. */
  dim: number;
}

export interface TextTowerProgress {
  stage: 'download' | 'start';
  loadedBytes: number;
  totalBytes: number;
}

export interface TextTower {
  readonly dim: number;
  /**
   * Text embeddings as the engine's text tower returns them (not normalised): phrases.length rows of
   * `dim` numbers, row-major. Tokenized exactly as the build tokenizes (same tokenizer, padding,
   * context length).
   */
  embed(phrases: readonly string[]): Promise<Float32Array>;
}

/** Reads the published manifest (small). `base` is the site's base URL, ending in "/". */
export async function describeTextTower(base: string): Promise<TextTowerDescription> {
  void base;
  return { available: false, reason: 'This build does not publish the text tower yet.', sizeBytes: 0, variant: 'none', dim: 0 };
}

/** Downloads and starts the tower, reporting progress. Rejects with a message fit for the page. */
export async function loadTextTower(base: string, onProgress?: (progress: TextTowerProgress) => void): Promise<TextTower> {
  void base;
  void onProgress;
  throw new Error('This build does not publish the text tower yet.');
}
