// The model's text tower in the browser, for the Workbench page: new or changed phrases are embedded
// here so that every image can be re-scored without a rebuild. The page (src/pages/workbench/) uses
// only this interface; what runs the tower (onnxruntime-web, WASM) stays behind it.
//
// The build publishes what the tower needs under `<base>_clipscope/workbench/text-tower/` (its own
// manifest, the ONNX file, the tokenizer and the runtime's WASM), or nothing, with the reason in the
// build log, when the workbench is left out for this model (integrations/clipscope/text-tower-assets.ts).
//
// How it runs: the tokenizer is the build's own (core/tokenizer.ts, on @huggingface/tokenizers) on
// the model's tokenizer files, and phrases are padded as the build pads them (core/model-io.ts), so
// the ids are the build's. The runtime is onnxruntime-web's plain WASM build, loaded from the site
// itself (never from another host): its module is imported from the tower's folder at run time
// (not bundled into the page), `env.wasm.wasmPaths` points at that folder, and the .wasm bytes are
// handed over after their sha256 was checked. Single-threaded: WASM threads need
// SharedArrayBuffer, which needs cross-origin isolation (COOP/COEP headers) that GitHub Pages cannot
// send. The page's CSP must allow 'wasm-unsafe-eval' (src/lib/csp.ts, the workbench page only).
import type * as Ort from 'onnxruntime-web';
import { FAMILY_IO, textInputs } from '../../../integrations/core/model-io.ts';
import { parseTextTowerManifest, TEXT_TOWER_DIR, TEXT_TOWER_MANIFEST, type TextTowerFile, type TextTowerManifest } from '../../../integrations/core/text-tower.ts';
import { createClipTokenizer, type ClipEncoding, type ClipTokenizer } from '../../../integrations/core/tokenizer.ts';

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

/** The loaded tower with what else it knows: the manifest, and the tokenizer (how a phrase is read,
 * whether it was cut to the context length). */
export interface LoadedTextTower extends TextTower {
  readonly manifest: TextTowerManifest;
  tokenize(phrase: string): ClipEncoding;
}

/** The tower's folder URL under the site's base. */
export function textTowerUrl(base: string): string {
  return new URL(`${base.endsWith('/') ? base : `${base}/`}${TEXT_TOWER_DIR}`, globalThis.location?.href).href;
}

const NOT_PUBLISHED = 'This build did not publish the text tower (the build log says why), so new phrases cannot be embedded here.';

async function readManifest(folder: string): Promise<TextTowerManifest | { problem: string }> {
  let response: Response;
  try {
    response = await fetch(`${folder}${TEXT_TOWER_MANIFEST}`);
  } catch (e) {
    return { problem: `The text tower's manifest could not be fetched (${(e as Error).message}). Check the connection and reload the page.` };
  }
  if (response.status === 404) return { problem: NOT_PUBLISHED };
  if (!response.ok) return { problem: `The text tower's manifest could not be fetched (HTTP ${response.status}). Reload the page.` };
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    return { problem: "The text tower's manifest is not JSON; rebuild the site." };
  }
  const parsed = parseTextTowerManifest(json);
  return 'problem' in parsed ? { problem: `The text tower's manifest cannot be used: ${parsed.problem}. Rebuild the site with this version of clipscope.` } : parsed;
}

/** Reads the published manifest (small). `base` is the site's base URL, ending in "/". */
export async function describeTextTower(base: string): Promise<TextTowerDescription> {
  const manifest = await readManifest(textTowerUrl(base));
  if ('problem' in manifest) return { available: false, reason: manifest.problem, sizeBytes: 0, variant: 'none', dim: 0 };
  return { available: true, sizeBytes: manifest.totalBytes, variant: manifest.variant, dim: manifest.dim };
}

async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  // crypto.subtle exists only in secure contexts (https, localhost): elsewhere sizes are checked only.
  if (!globalThis.crypto?.subtle) return null;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Downloads one file into `into` at `offset`, reporting bytes as they arrive; checks its size and sha256. */
async function download(folder: string, file: TextTowerFile, into: Uint8Array, offset: number, progress: (bytes: number) => void): Promise<void> {
  const url = `${folder}${file.name}`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`Downloading ${file.name} failed (${(e as Error).message}). Check the connection and try again.`);
  }
  if (!response.ok || !response.body) throw new Error(`Downloading ${file.name} failed (HTTP ${response.status}). Reload the page; if it persists, rebuild the site.`);
  const reader = response.body.getReader();
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > file.bytes) {
      await reader.cancel();
      throw new Error(`${file.name} is larger than the build published (${file.bytes} bytes): the site changed since this page loaded. Reload the page.`);
    }
    into.set(value, offset + received);
    received += value.length;
    progress(value.length);
  }
  if (received !== file.bytes) throw new Error(`${file.name} arrived incomplete (${received} of ${file.bytes} bytes). Try again.`);
  const sha256 = await sha256Hex(into.subarray(offset, offset + file.bytes));
  if (sha256 !== null && sha256 !== file.sha256) throw new Error(`${file.name} is not the file the build published (its sha256 differs): an older copy may be cached. Reload the page.`);
}

/** Phrases per run of the tower (as the engine batches them). */
const TEXT_BATCH = 32;

/** Downloads and starts the tower, reporting progress. Rejects with a message fit for the page. */
export async function loadTextTower(base: string, onProgress?: (progress: TextTowerProgress) => void): Promise<TextTower> {
  return openTextTower(base, onProgress);
}

/** loadTextTower, with the manifest and the tokenizer exposed (LoadedTextTower). */
export async function openTextTower(base: string, onProgress?: (progress: TextTowerProgress) => void): Promise<LoadedTextTower> {
  const folder = textTowerUrl(base);
  const read = await readManifest(folder);
  if ('problem' in read) throw new Error(read.problem);
  const manifest: TextTowerManifest = read;

  // Every file in the manifest's order; the model's parts are joined into one buffer.
  const totalBytes = manifest.totalBytes;
  let loadedBytes = 0;
  const report = (bytes: number) => {
    loadedBytes += bytes;
    onProgress?.({ stage: 'download', loadedBytes, totalBytes });
  };
  onProgress?.({ stage: 'download', loadedBytes: 0, totalBytes });
  const model = new Uint8Array(manifest.onnx.bytes);
  const others = new Map<string, Uint8Array>();
  let modelOffset = 0;
  for (const file of manifest.files) {
    if (file.role === 'model') {
      await download(folder, file, model, modelOffset, report);
      modelOffset += file.bytes;
    } else {
      const bytes = new Uint8Array(file.bytes);
      await download(folder, file, bytes, 0, report);
      others.set(file.name, bytes);
    }
  }
  if (modelOffset !== manifest.onnx.bytes) throw new Error(`The text tower's parts add up to ${modelOffset} bytes, not the ${manifest.onnx.bytes} of ${manifest.onnx.name}; rebuild the site.`);
  onProgress?.({ stage: 'start', loadedBytes, totalBytes });

  const text = (name: string) => new TextDecoder().decode(others.get(name));
  let tokenizer: ClipTokenizer;
  try {
    tokenizer = createClipTokenizer(JSON.parse(text('tokenizer.json')), JSON.parse(text('tokenizer_config.json')), folder, manifest.family);
  } catch (e) {
    throw new Error(`The model's tokenizer could not be read: ${(e as Error).message}`);
  }
  const { padId, padTo, padLeft } = manifest.padding;
  if (tokenizer.contextLength !== manifest.contextLength || tokenizer.padId !== padId || tokenizer.padTo !== padTo || tokenizer.padLeft !== padLeft) {
    throw new Error("The tokenizer here reads phrases differently from the build's (context length or padding differ); rebuild the site with this version of clipscope.");
  }

  let ort: typeof Ort;
  try {
    // From the site, at run time: the bundler must not touch it (nor add another copy of the .wasm).
    ort = (await import(/* @vite-ignore */ `${folder}${manifest.runtime.entry}`)) as typeof Ort;
  } catch (e) {
    throw new Error(`The ONNX runtime (onnxruntime-web) could not be loaded: ${(e as Error).message}`);
  }
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = folder;
  const wasm = manifest.files.find((f) => f.role === 'runtime' && f.name.endsWith('.wasm'));
  if (wasm) ort.env.wasm.wasmBinary = others.get(wasm.name);

  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    const csp = /CompileError|unsafe-eval|Content Security/i.test(message) ? " (the page's Content-Security-Policy must allow 'wasm-unsafe-eval')" : '';
    throw new Error(`The text tower could not be started${csp}: ${message}`);
  }
  const output = FAMILY_IO[manifest.family].text.find((n) => session.outputNames.includes(n));
  if (!output) throw new Error(`${manifest.onnx.name} has no ${FAMILY_IO[manifest.family].text.join(' or ')} output; rebuild the site with a CLIP model in the Hugging Face ONNX layout.`);
  const meta = (name: string) => session.inputMetadata.find((m) => m.name === name);
  const idsMeta = meta('input_ids');
  if (!idsMeta) throw new Error(`${manifest.onnx.name} takes no input_ids; rebuild the site with a CLIP model in the Hugging Face ONNX layout.`);
  const typeOf = (m: Ort.InferenceSession.ValueMetadata | undefined) => (m?.isTensor ? m.type : 'int64');
  const fixedLength = idsMeta.isTensor && typeof idsMeta.shape[1] === 'number' ? idsMeta.shape[1] : null;
  const intTensor = (m: Ort.InferenceSession.ValueMetadata | undefined, values: number[], dims: number[]) =>
    typeOf(m) === 'int32' ? new ort.Tensor('int32', Int32Array.from(values), dims) : new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
  const [height, width] = manifest.imageSize;

  async function run(batch: ClipEncoding[]): Promise<Float32Array> {
    const inputs = textInputs(tokenizer, batch, fixedLength);
    if ('tooLong' in inputs) throw new Error(`The text tower takes ${inputs.tooLong.length} tokens but a phrase has ${inputs.tooLong.longest}.`);
    const feeds: Record<string, Ort.Tensor> = { input_ids: intTensor(idsMeta, inputs.ids, inputs.dims) };
    if (meta('attention_mask')) feeds.attention_mask = intTensor(meta('attention_mask'), inputs.mask, inputs.dims);
    // A whole-model graph used as the text tower also takes an image: one blank image, unused.
    if (meta('pixel_values')) feeds.pixel_values = new ort.Tensor('float32', new Float32Array(3 * height * width), [1, 3, height, width]);
    const result = await session.run(feeds, [output!]);
    const tensor = result[output!];
    if (tensor.type !== 'float32') throw new Error(`${manifest.onnx.name} gave ${tensor.type} embeddings; expected float32.`);
    const data = tensor.data as Float32Array;
    if (data.length !== batch.length * manifest.dim) throw new Error(`${manifest.onnx.name} gave ${data.length / batch.length} numbers per phrase, the build ${manifest.dim}; rebuild the site.`);
    return data;
  }

  // One run before the tower is handed out: onnxruntime's first run prepares its kernels (measured
  // ≈ 0.5 s for a ViT-B/32 text graph, int8), which then counts as loading rather than as the first
  // edit; it also checks the embedding width now rather than at the first phrase.
  await run([tokenizer.encode('a photo')]);

  // One run at a time: the WASM session is single-threaded and not re-entrant.
  let queue: Promise<unknown> = Promise.resolve();
  const embed = (phrases: readonly string[]): Promise<Float32Array> => {
    const job = queue.then(async () => {
      const out = new Float32Array(phrases.length * manifest.dim);
      for (let start = 0; start < phrases.length; start += TEXT_BATCH) {
        const batch = phrases.slice(start, start + TEXT_BATCH).map((p) => tokenizer.encode(p));
        out.set(await run(batch), start * manifest.dim);
      }
      return out;
    });
    queue = job.catch(() => {});
    return job;
  };

  return { dim: manifest.dim, manifest, embed, tokenize: (phrase) => tokenizer.encode(phrase) };
}
