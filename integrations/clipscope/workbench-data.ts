// The Workbench page's published data (core/workbench.ts defines its shape): the run's image and
// phrase embeddings as little-endian float32 files and one JSON file with what re-scoring needs (the
// scoring mode, logit scale and bias, thresholds, the phrases, the dictionary text the build read)
// and per image its sha256, path, thumbnail, the build's category and the coders' decision. Pure:
// prepare.ts hands in the run's embeddings and the dictionary text, and publishes the files returned.
//
// Sizes: image rows are split into parts of at most MAX_PART_BYTES (static hosts refuse large files:
// GitHub warns at 50 MB and refuses 100 MB); above MAX_TOTAL_BYTES in all, or with an index (the JSON,
// one file) above MAX_FILE_BYTES, the page is left out, with the reason, since a browser would have
// to download and hold it all.
import type { RunEmbeddings } from '../engine/run.ts';
import { flattenPhrases } from '../core/dictionary.ts';
import { WORKBENCH_DIR, WORKBENCH_FILE, WORKBENCH_SCHEMA, type WorkbenchData, type WorkbenchImage, type WorkbenchTruth } from '../core/workbench.ts';
import { formatBytes } from '../core/format.ts';
import { thumbOf, type ReportData } from './report/report.ts';

export const MAX_PART_BYTES = 50_000_000;
export const MAX_TOTAL_BYTES = 500_000_000;
/** The largest single file a static host takes (GitHub refuses files of 100 MB). */
export const MAX_FILE_BYTES = 100_000_000;

export interface WorkbenchFiles {
  data: WorkbenchData;
  /** Site-relative path → bytes; the JSON as its text (written in pieces: at 100,000 images it is
   * 27 MB, and one buffer of it may stay on glibc's heap). */
  files: Map<string, Buffer | string>;
  bytes: number;
}

export interface WorkbenchInput {
  report: ReportData;
  embeddings: RunEmbeddings;
  dictionary: { source: string; format: 'yaml' | 'json'; text: string };
  maxPartBytes?: number;
  maxTotalBytes?: number;
  maxFileBytes?: number;
}

const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/** float32 values as little-endian bytes, whatever this machine's byte order: a view of the same
 * memory on little-endian machines (at 100,000 images × 512 dimensions a copy would be 205 MB more), a
 * byte-swapped copy elsewhere. */
export function float32Bytes(values: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)).swap32();
}

/** The coders' decision on each image, on the first image of each sha256 only (as the validation
 * statistics count distinct images). */
function truths(report: ReportData): (WorkbenchTruth | null)[] {
  const seen = new Set<string>();
  return report.result.images.map((img) => {
    if (seen.has(img.sha256)) return null;
    seen.add(img.sha256);
    const v = report.validation && Object.hasOwn(report.validation.bySha256, img.sha256) ? report.validation.bySha256[img.sha256] : undefined;
    if (!v || v.validated === 'tie') return null;
    return { verdict: v.validated, category: v.validated === 'right' ? img.category : v.category === '' ? null : v.category };
  });
}

/** The workbench's files, or the reason it is left out. */
export function workbenchFiles(input: WorkbenchInput): WorkbenchFiles | { reason: string } {
  const { report, embeddings, dictionary } = input;
  const result = report.result;
  const maxPart = input.maxPartBytes ?? MAX_PART_BYTES;
  const maxTotal = input.maxTotalBytes ?? MAX_TOTAL_BYTES;
  const { dim } = embeddings;
  const count = result.images.length;
  const phrases = flattenPhrases(result.dictionary);
  if (count === 0) return { reason: 'the run classified no image.' };
  if (embeddings.images.length !== count * dim || embeddings.phrases.length !== phrases.length * dim) {
    return { reason: `the run's embeddings (${embeddings.images.length / dim} images, ${embeddings.phrases.length / dim} phrases) do not match its results (${count} images, ${phrases.length} phrases).` };
  }
  const rowBytes = dim * 4;
  const imageBytes = count * rowBytes;
  if (imageBytes > maxTotal) {
    return { reason: `its image embeddings would take ${formatBytes(imageBytes)} (${count} images × ${dim} float32 values), more than the ${formatBytes(maxTotal)} a browser page should download.` };
  }
  const files = new Map<string, Buffer | string>();
  const rowsPerPart = Math.max(1, Math.floor(maxPart / rowBytes));
  const parts: WorkbenchData['embeddings']['images'] = [];
  for (let start = 0, k = 0; start < count; start += rowsPerPart, k++) {
    const rows = Math.min(rowsPerPart, count - start);
    const file = `${WORKBENCH_DIR}/images-${k}.f32`;
    files.set(file, float32Bytes(embeddings.images.subarray(start * dim, (start + rows) * dim)));
    parts.push({ file, rows });
  }
  const phraseFile = `${WORKBENCH_DIR}/phrases.f32`;
  files.set(phraseFile, float32Bytes(embeddings.phrases));

  const truth = truths(report);
  const thumb = (i: number) => {
    const img = result.images[i];
    return (thumbOf(report, 'list', img) ?? thumbOf(report, 'sample', img) ?? thumbOf(report, 'validation', img))?.src ?? null;
  };
  const images: WorkbenchImage[] = result.images.map((img, i) => ({
    sha256: img.sha256,
    path: img.path,
    thumb: thumb(i),
    category: img.category,
    label: img.label,
    probability: img.probability,
    truth: truth[i],
  }));
  const run = result.run;
  const data: WorkbenchData = {
    schema: WORKBENCH_SCHEMA,
    run: {
      model: run.model.name,
      scoring: run.scoring,
      logitScale: run.model.logitScale,
      logitBias: run.model.logitBias ?? 0,
      topK: run.topK,
      minProbability: run.thresholds.minProbability,
      minMargin: run.thresholds.minMargin,
      dictionaryHash: run.dictionary.hash,
    },
    dim,
    dictionary,
    phrases: phrases.map((p) => ({ text: p.text, category: p.category })),
    embeddings: { dtype: 'float32', images: parts, phrases: phraseFile },
    images,
    seed: String(report.options.seed),
    bytes: 0,
  };
  let binary = 0;
  for (const b of files.values()) binary += Buffer.byteLength(b);
  // The JSON states the total, itself included: its length settles after one more digit at most.
  let json = '';
  for (let guess = binary; ; ) {
    data.bytes = guess;
    json = JSON.stringify(data);
    const total = binary + Buffer.byteLength(json);
    if (total === guess) break;
    guess = total;
  }
  const jsonBytes = Buffer.byteLength(json);
  // The index is one file: past the part limit a static host may refuse it (it grows ~200 B an image).
  const maxFile = input.maxFileBytes ?? MAX_FILE_BYTES;
  if (jsonBytes > maxFile) return { reason: `its index would take ${formatBytes(jsonBytes)} in one file, more than the ${formatBytes(maxFile)} a static host takes.` };
  files.set(WORKBENCH_FILE, json);
  if (data.bytes > maxTotal) return { reason: `its data would take ${formatBytes(data.bytes)}, more than the ${formatBytes(maxTotal)} a browser page should download.` };
  return { data, files, bytes: data.bytes };
}
