// What the Validate page hands to the widget: the validation set's images as plain data (serialised
// into the page), with the run they belong to and the categories a coder can pick.
import type { RunResult } from '../../core/types.ts';
import { UNCERTAIN } from '../../core/types.ts';
import type { JudgementRun } from '../../core/judgements.ts';
import { answerText } from '../../core/adjudication.ts';
import { secondChoice, type ReportData, type Thumb } from './report.ts';
import { categoryProbability } from '../../core/confidence.ts';
import { indexBySha256 } from '../../core/paths.ts';

/** One image as the widget shows it (plain data: it is serialised into the page). */
export interface WidgetItem {
  sha256: string;
  path: string;
  predicted: string;
  label: string;
  /** The probability of the predicted category (core/confidence.ts), percent. */
  probability: number;
  /** With the seed's scoring, the winning phrase's own share among all phrases (percent), to be shown
   * only labelled "phrase share"; null with sum or ensemble scoring. */
  phraseShare: number | null;
  /** The second most probable category. */
  second: { category: string; label: string; probability: number } | null;
  /** Site-relative URL path of the large rendition (no base), or null when none could be made. */
  src: string | null;
  width: number;
  height: number;
  /** On the Adjudicate page: every coder's answer on the image, in words, by coder name; then any
   * decision already in an adjudicator's file. */
  answers?: { coder: string; answer: string; blind: boolean; adjudicator: boolean }[];
}

export interface WidgetData {
  run: JudgementRun;
  /** The categories a coder can pick as a correction (dictionary order, Uncertain excluded). */
  categories: string[];
  items: WidgetItem[];
  /** Whether the page starts in blind mode (option validation.blind); the coder can switch. */
  blind: boolean;
}

/** The run as judgement files name it. */
export function judgementRunOf(result: RunResult): JudgementRun {
  return { model: result.run.model.name, modelChecksum: result.run.model.checksum, dictionaryHash: result.run.dictionary.hash };
}

/** One image of the run as the widget shows it. */
function widgetItem(report: Pick<ReportData, 'result' | 'thumbs'>, i: number): WidgetItem {
  const img = report.result.images[i];
  const second = secondChoice(img);
  const thumb: Thumb | undefined = report.thumbs.validation?.get(img.sha256) ?? report.thumbs.sample?.get(img.sha256);
  return {
    sha256: img.sha256,
    path: img.path,
    predicted: img.category,
    label: img.label,
    probability: categoryProbability(img),
    phraseShare: report.result.run.scoring === 'seed' ? img.probability : null,
    second: second ? { category: second.category, label: second.label, probability: second.probability } : null,
    src: thumb?.src ?? null,
    width: thumb?.width ?? 0,
    height: thumb?.height ?? 0,
  };
}

function categoriesOf(result: RunResult): string[] {
  return result.dictionary.categories.map((c) => c.name).filter((c) => c !== UNCERTAIN);
}

/** What the Validate page hands to the widget: the run, the categories, the set in order. */
export function widgetData(report: Pick<ReportData, 'result' | 'validationSet' | 'thumbs' | 'options'>): WidgetData {
  return {
    run: judgementRunOf(report.result),
    categories: categoriesOf(report.result),
    items: report.validationSet.map((i) => widgetItem(report, i)),
    blind: report.options.validation.blind ?? false,
  };
}

/**
 * What the Adjudicate page hands to the widget: the images whose coders disagree (the report's
 * adjudication queue, in its order), each with every coder's answer (and their large renditions:
 * thumbnailRequests asks for them).
 */
export function adjudicationData(report: Pick<ReportData, 'result' | 'thumbs' | 'adjudication'>): WidgetData {
  const index = indexBySha256(report.result.images);
  const items = report.adjudication.flatMap((c): WidgetItem[] => {
    const i = index.get(c.sha256);
    if (i === undefined) return [];
    const answers = c.answers.map((a) => ({ coder: a.coder, answer: answerText(a), blind: a.mode === 'blind', adjudicator: false }));
    const decisions = c.decisions.map((a) => ({ coder: a.coder, answer: answerText(a), blind: false, adjudicator: true }));
    return [{ ...widgetItem(report, i), answers: [...answers, ...decisions] }];
  });
  return { run: judgementRunOf(report.result), categories: categoriesOf(report.result), items, blind: false };
}
