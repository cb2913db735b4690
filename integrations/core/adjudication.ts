// The adjudication queue: the images of a run whose coders disagree, each with every coder's answer,
// for an adjudicator to decide (the Adjudicate page). Pure and browser-safe: the build computes the
// queue once from the judgement files, the page shows it, the adjudicator's file (role
// "adjudicator") is an ordinary judgement file.
//
// Two coders disagree on an image when both gave an answer (Right or Wrong; a skip is no answer) and
// - their verdicts differ (one Right, one Wrong), or
// - both said Wrong and both named what the image is (a category or "none of these"), differently.
// Wrong without a category next to Wrong with one is no disagreement: the verdicts agree and only one
// coder said more.
//
// Only judgements of this run's images on their current prediction count (a judgement made on
// another prediction judged another answer). A coder is a name among the files of role "coder"; when
// one name judged an image in several files, the latest judgement counts. Files of role
// "adjudicator" are not coders: their verdicts are reported per image as `decisions`.
import { indexBySha256 } from './paths.ts';
import { coderAnswer, sameRun, type CodingMode, type JudgementFile, type JudgementItem, type JudgementRun, type Verdict } from './judgements.ts';

/** One coder's answer on an image of the queue. */
interface QueueAnswer {
  coder: string;
  verdict: Verdict;
  /** After Wrong: the category named. */
  correction?: string;
  /** After Wrong: "none of these". */
  noneOfThese?: true;
  mode: CodingMode;
}

export interface AdjudicationCase {
  sha256: string;
  path: string;
  /** The model's prediction the coders judged. */
  predicted: string;
  /** Every coder's answer on the image (skips included, for the adjudicator to see), by coder name. */
  answers: QueueAnswer[];
  /** Verdicts already given in adjudicator files, by adjudicator name. */
  decisions: QueueAnswer[];
}

/** An image of the run, as far as the queue needs it. */
interface QueueImage {
  sha256: string;
  path: string;
  category: string;
}

type Judged = Pick<JudgementItem, 'verdict' | 'predicted' | 'correction' | 'noneOfThese'>;

/** Whether two coders' judgements of one image disagree (see the rules at the top). */
export function disagree(a: Judged, b: Judged): boolean {
  if (a.verdict === 'skip' || b.verdict === 'skip') return false;
  if (a.verdict !== b.verdict) return true;
  if (a.verdict === 'right') return false;
  const x = coderAnswer(a);
  const y = coderAnswer(b);
  if (!x || !y) return false;
  if (x.kind !== y.kind) return true;
  return x.kind === 'category' && y.kind === 'category' && x.category !== y.category;
}

function answerOf(name: string, mode: CodingMode, item: JudgementItem): QueueAnswer {
  return {
    coder: name,
    verdict: item.verdict,
    ...(item.correction !== undefined ? { correction: item.correction } : {}),
    ...(item.noneOfThese ? { noneOfThese: true as const } : {}),
    mode,
  };
}

/** Latest judgement per name and image (sha256 → name → judgement), of files of one role. */
function latestBy(files: readonly JudgementFile[], current: ReadonlyMap<string, QueueImage>): Map<string, Map<string, { item: JudgementItem; mode: CodingMode }>> {
  const out = new Map<string, Map<string, { item: JudgementItem; mode: CodingMode }>>();
  for (const file of files) {
    for (const item of file.items) {
      const image = current.get(item.sha256);
      if (!image || item.predicted !== image.category) continue;
      const byName = out.get(item.sha256) ?? new Map();
      out.set(item.sha256, byName);
      const had = byName.get(file.coder);
      if (!had || item.judgedAt >= had.item.judgedAt) byName.set(file.coder, { item, mode: file.mode });
    }
  }
  return out;
}

const byName = (a: QueueAnswer, b: QueueAnswer) => (a.coder < b.coder ? -1 : a.coder > b.coder ? 1 : 0);

/**
 * The images of `run` (given as its images) on which coders disagree, in path order, each with every
 * coder's answer and any adjudicator's decision. Files of other runs are ignored.
 */
export function adjudicationQueue(images: readonly QueueImage[], run: Pick<JudgementRun, 'modelChecksum' | 'dictionaryHash'>, files: readonly JudgementFile[]): AdjudicationCase[] {
  const current = new Map([...indexBySha256(images)].map(([sha256, i]) => [sha256, images[i]]));
  const ofRun = files.filter((f) => sameRun(f.run, run));
  const coders = latestBy(ofRun.filter((f) => f.role === 'coder'), current);
  const adjudicators = latestBy(ofRun.filter((f) => f.role === 'adjudicator'), current);
  const queue: AdjudicationCase[] = [];
  for (const [sha256, judged] of coders) {
    const list = [...judged.values()];
    const split = list.some((a, i) => list.slice(i + 1).some((b) => disagree(a.item, b.item)));
    if (!split) continue;
    const image = current.get(sha256)!;
    queue.push({
      sha256,
      path: image.path,
      predicted: image.category,
      answers: [...judged].map(([name, j]) => answerOf(name, j.mode, j.item)).sort(byName),
      decisions: [...(adjudicators.get(sha256) ?? [])].map(([name, j]) => answerOf(name, j.mode, j.item)).sort(byName),
    });
  }
  return queue.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.sha256 < b.sha256 ? -1 : 1));
}

/** "Right", "Wrong → Dark", "Wrong → none of these", "Wrong", "Skipped / unsure": an answer in words. */
export function answerText(a: Pick<QueueAnswer, 'verdict' | 'correction' | 'noneOfThese'>): string {
  if (a.verdict === 'right') return 'Right';
  if (a.verdict === 'skip') return 'Skipped / unsure';
  if (a.noneOfThese) return 'Wrong → none of these';
  return a.correction !== undefined ? `Wrong → ${a.correction}` : 'Wrong';
}
