// The validation set: which images coders judge in the Validate widget, and what the widget shows of
// each. Drawn at build time, stratified by predicted category (`validation.perCategory` per
// category), seeded and shuffled, so every build of the same results asks for the same images in
// the same order, and adding images to one category does not reshuffle another's draw.
//
// - One entry per distinct image (sha256): the same bytes under two names are judged once.
// - "Uncertain" (images a threshold refused to classify) is not drawn: the model claims no
//   category for them, so there is no prediction to call right or wrong.
import type { ImageResult, RunResult } from '../../integrations/engine/types.ts';
import { UNCERTAIN } from '../../integrations/engine/types.ts';
import { stratifiedSample } from './sampling.ts';
import { secondChoice, type ReportData, type Thumb } from './report.ts';
import type { JudgementRun } from './judgements.ts';

/** The first image (by path) of each distinct sha256: the one a judgement is shown with. */
export function distinctImages(images: readonly ImageResult[]): ImageResult[] {
  const seen = new Set<string>();
  const sorted = images.slice().sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return sorted.filter((img) => (seen.has(img.sha256) ? false : (seen.add(img.sha256), true)));
}

/**
 * Indices (into `images`) of the validation set: up to `perCategory` distinct images of each
 * category in `categories` (Uncertain excluded), each category drawn with its own seed, then all
 * shuffled together so categories are interleaved.
 */
export function drawValidationSet(images: readonly ImageResult[], categories: readonly string[], perCategory: number, seed: string | number): number[] {
  const indexOf = new Map(images.map((img, i) => [img, i]));
  const drawable = categories.filter((c) => c !== UNCERTAIN);
  return stratifiedSample(distinctImages(images), drawable, perCategory, seed, 'validation').map((img) => indexOf.get(img)!);
}

/** One image as the widget shows it (plain data: it is serialised into the page). */
export interface WidgetItem {
  sha256: string;
  path: string;
  predicted: string;
  label: string;
  probability: number;
  second: { category: string; label: string; probability: number } | null;
  /** Site-relative URL path of the large rendition (no base), or null when none could be made. */
  src: string | null;
  width: number;
  height: number;
}

export interface WidgetData {
  run: JudgementRun;
  /** The categories a coder can pick as a correction (dictionary order, Uncertain excluded). */
  categories: string[];
  items: WidgetItem[];
}

/** The run as judgement files name it. */
export function judgementRunOf(result: RunResult): JudgementRun {
  return { model: result.run.model.name, modelChecksum: result.run.model.checksum, dictionaryHash: result.run.dictionary.hash };
}

/** What the Validate page hands to the widget: the run, the categories, the set in order. */
export function widgetData(report: Pick<ReportData, 'result' | 'validationSet' | 'thumbs'>): WidgetData {
  const large = report.thumbs.validation ?? {};
  const fallback = report.thumbs.sample ?? {};
  const items = report.validationSet.map((i): WidgetItem => {
    const img = report.result.images[i];
    const second = secondChoice(img);
    const thumb: Thumb | undefined = large[img.sha256] ?? fallback[img.sha256];
    return {
      sha256: img.sha256,
      path: img.path,
      predicted: img.category,
      label: img.label,
      probability: img.probability,
      second: second ? { category: second.category, label: second.label, probability: second.probability } : null,
      src: thumb?.src ?? null,
      width: thumb?.width ?? 0,
      height: thumb?.height ?? 0,
    };
  });
  return {
    run: judgementRunOf(report.result),
    categories: report.result.dictionary.categories.map((c) => c.name).filter((c) => c !== UNCERTAIN),
    items,
  };
}
