// The report model: everything the pages show, computed once per build from the engine's RunResult
// by pure functions (tested in test/unit). The Astro integration builds it, adds the thumbnails it
// generated, and hands it to the pages through the virtual module `virtual:clipscope/report`.
//
// Images are referred to by their index in `result.images` (sorted by path), so the model stays
// small even with thousands of images, and one image has one record.
import { mean, median } from 'd3-array';
import type { ImageResult, RankedChoice, RunMetadata, RunResult } from '../../core/types.ts';
import { UNCERTAIN } from '../../core/types.ts';
import type { JudgementFile, JudgementProblem } from '../judgement-files.ts';
import { sampleCategory } from '../../core/sampling.ts';
import { indexBySha256 } from '../../core/paths.ts';
import { uniqueSlugs } from '../../core/dictionary.ts';
import { sha256Hex } from '../../engine/hash.ts';
import { adjudicationQueue, type AdjudicationCase } from '../../core/adjudication.ts';
import { categoryProbability, secondCategory } from '../../core/confidence.ts';
import { drawValidationSet } from './validation-set.ts';
import { assessChance, type ChanceAssessment, type GeneratedModel } from './chance.ts';
import { validationReport, type ValidationReport } from '../../core/validation-report.ts';
import type { RunDiff } from '../../core/run-diff.ts';
import type { Thumb, ThumbSet } from './thumb-set.ts';

/** Where each kind of thumbnail is shown; each has its own size (see ThumbnailSizes). `large` is the
 * rendition the large view (src/scripts/viewer.ts) opens from any thumbnail. */
export type ThumbRole = 'sample' | 'list' | 'validation' | 'standalone' | 'large';

export type { Thumb } from './thumb-set.ts';

export interface ReportOptions {
  samplesPerCategory: number;
  /** Samples per category in the standalone HTML overview. */
  standaloneSamples: number;
  seed: string | number;
  /** Images per page in the "all images of a category" listing. */
  pageSize: number;
  /** Whether the listing pages show thumbnails (a small one for every image of the category). */
  listThumbnails: boolean;
  /** `blind`: whether the Validate page starts in blind mode (the coder can switch). */
  validation: { perCategory: number; seed: string | number; blind?: boolean };
  /** Colours of named groups (the groupColors option) as [group, CSS hex colour] pairs; absent: none. */
  groupColors?: [string, string][];
}

export interface PhraseReport {
  text: string;
  /** How many images this phrase won (was the top-1 label of). */
  wins: number;
  tokenCount?: number;
  /** Cut at the model's context length (77 tokens): CLIP saw only its beginning. */
  truncated: boolean;
}

export interface CategoryReport {
  name: string;
  slug: string;
  /** The pseudo-category of images a threshold marked as uncertain; not in the dictionary. */
  uncertain: boolean;
  count: number;
  /** Share of all classified images, 0..1. */
  share: number;
  /** Mean and median of the members' category probabilities (core/confidence.ts), percent. */
  meanProbability: number | null;
  medianProbability: number | null;
  /** Indices of all images of the category, by path. */
  members: number[];
  /** Indices of the seeded random sample shown on the category page. */
  sample: number[];
  /** Indices of the samples in the standalone overview (the first ones of `sample`). */
  standalone: number[];
  /** The category's phrases with how often each won (empty for Uncertain). */
  phrases: PhraseReport[];
  /** For an empty category: the images with the highest probability of it (best first), so its page
   * shows what came closest instead of nothing. Empty otherwise. */
  closest: number[];
}

interface SiteFiles {
  /** Site-relative paths of the downloadable files. */
  csv: string;
  json: string;
  standalone: string;
}

/** The "Changed since the last build" page: the two runs it compares and their diff (../changes.ts). */
export interface ChangesReport {
  previous: { startedAt: string; dictionaryHash: string };
  current: { startedAt: string; dictionaryHash: string };
  diff: RunDiff;
}

export interface ReportData {
  schema: 'clipscope.report/v1';
  /** The engine's result as the CLI writes it to JSON (relative paths only). */
  result: RunResult;
  options: ReportOptions;
  categories: CategoryReport[];
  /** Indices of the validation set: stratified by predicted category, seeded, shuffled. */
  validationSet: number[];
  /** Thumbnails by role, each set by image sha256 (thumbOf). Missing when an image could not be thumbnailed. */
  thumbs: Partial<Record<ThumbRole, ThumbSet>>;
  /** Site-relative paths of copied originals by sha256 (only with `copyOriginals`). */
  originals: Record<string, string>;
  files: SiteFiles;
  /** Judgement files read from the validation folder. */
  judgements: { files: JudgementFile[]; problems: JudgementProblem[] };
  /** Whether the results are close to chance (./chance.ts), with the reasons the overview shows. */
  chance: ChanceAssessment;
  /** The validation statistics of those files, computed once here (null without files). */
  validation: ValidationReport | null;
  /** The images whose coders disagree, for the Adjudicate page (computed once, from `judgements`). */
  adjudication: AdjudicationCase[];
  /** Images whose category changed since the previous build of the same images and model (set by
   * prepare.ts from the cache); null without a previous run, or when none changed. */
  changes: ChangesReport | null;
  /** The Workbench page's data (set by prepare.ts): its total size, or why the page is left out
   * (null reason and null bytes: option workbench is false). */
  workbench: { bytes: number | null; reason: string | null };
}

/**
 * The site's second choice for an image: the most probable OTHER CATEGORY (core/confidence.ts), with
 * that category's phrase from the image's ranked list when the list names one (else an empty label).
 * Not the seed's second *phrase*, which may belong to the same category: that one stays in the CSV.
 */
export function secondChoice(image: ImageResult): RankedChoice | null {
  const second = secondCategory(image);
  if (!second) return null;
  const label = image.top.find((t) => t.category === second.category)?.label ?? '';
  return { category: second.category, label, probability: second.probability };
}

/**
 * What the percentages next to an image mean. Every percentage the site calls a probability is the
 * probability of a CATEGORY; the seed's own number — the winning phrase's share among all phrases —
 * is shown only labelled "phrase share", because with several phrases per category it is a fraction
 * of the category's probability (an image 97 % "Political Events" may have a best phrase at 11 %).
 */
export function probabilityNote(run: Pick<RunMetadata, 'scoring' | 'topK' | 'dictionary'>): string {
  if (run.scoring === 'seed') {
    return (
      `Percentages are category probabilities: the share of the softmax over all ${run.dictionary.phrases} phrases that falls on the category's phrases together. ` +
      `The image's category is the category of its best phrase (the seed's rule); “phrase share” is that phrase's own share; “2nd” is the most probable other category.`
    );
  }
  const how = run.scoring === 'sum' ? 'each category with all its phrases together' : 'one averaged phrase embedding per category';
  return `Percentages are category probabilities (${how}); “phrase” is the category's best phrase; “2nd” is the next most probable category.`;
}

/** The file name of the standalone overview, like the seed notebook's `{date}-CLIP-Classification.html`. */
export function standaloneFileName(startedAt: string): string {
  const date = /^\d{4}-\d{2}-\d{2}/.exec(startedAt)?.[0] ?? 'report';
  return `${date}-CLIP-Classification.html`;
}

interface BuildReportInput {
  result: RunResult;
  options: ReportOptions;
  judgements?: ReportData['judgements'];
  /** Set when the model folder was generated by clipscope (./chance.ts warns). */
  generated?: GeneratedModel | null;
}

/** The `n` images with the highest probability of `category`, best first (ties by path order). */
function closestTo(images: readonly ImageResult[], category: string, n: number): number[] {
  return images
    .map((img, i) => ({ i, p: img.categories?.[category] ?? 0 }))
    .sort((a, b) => b.p - a.p || a.i - b.i)
    .slice(0, n)
    .map((x) => x.i);
}

/** The report model without thumbnails (the integration adds those for the images it shows). */
export function buildReport({ result, options, judgements, generated = null }: BuildReportInput): ReportData {
  const images = result.images;
  const indexByImage = new Map(images.map((img, i) => [img, i]));
  const idx = (list: readonly ImageResult[]) => list.map((img) => indexByImage.get(img)!);

  const wins = new Map<string, number>();
  for (const img of images) wins.set(img.label, (wins.get(img.label) ?? 0) + 1);

  const byCategory = new Map<string, ImageResult[]>();
  for (const img of images) {
    const list = byCategory.get(img.category);
    if (list) list.push(img);
    else byCategory.set(img.category, [img]);
  }

  const taken = new Set(result.dictionary.categories.map((c) => c.slug));
  const entries = result.dictionary.categories.map((c) => ({ name: c.name, slug: c.slug, uncertain: false, phrases: c.phrases }));
  // Uncertain (from --min-probability/--min-margin) and any category the dictionary does not list
  // (defensive: results from an older dictionary) go last, in name order.
  const extra = [...byCategory.keys()].filter((name) => !entries.some((e) => e.name === name)).sort();
  const extraSlugs = uniqueSlugs(extra, sha256Hex, taken);
  for (const name of extra) entries.push({ name, slug: extraSlugs.get(name)!, uncertain: name === UNCERTAIN, phrases: [] });

  const categories: CategoryReport[] = entries.map((e) => {
    const members = byCategory.get(e.name) ?? [];
    const probabilities = members.map(categoryProbability);
    const sample = sampleCategory(members, e.name, options.samplesPerCategory, options.seed);
    return {
      name: e.name,
      slug: e.slug,
      uncertain: e.uncertain,
      count: members.length,
      share: images.length ? members.length / images.length : 0,
      meanProbability: mean(probabilities) ?? null,
      medianProbability: median(probabilities) ?? null,
      members: idx(members),
      sample: idx(sample),
      standalone: idx(sample.slice(0, options.standaloneSamples)),
      phrases: e.phrases.map((p) => ({ text: p.text, wins: wins.get(p.text) ?? 0, tokenCount: p.tokenCount, truncated: p.truncated === true })),
      closest: members.length === 0 && !e.uncertain ? closestTo(images, e.name, options.samplesPerCategory) : [],
    };
  });

  // Stratified, seeded, shuffled; distinct images only, Uncertain not drawn (validation-set.ts).
  const validationSet = drawValidationSet(images, categories.map((c) => c.name), options.validation.perCategory, options.validation.seed);

  return {
    schema: 'clipscope.report/v1',
    result,
    options,
    categories,
    validationSet,
    thumbs: {},
    originals: {},
    files: {
      csv: 'downloads/results.csv',
      json: 'downloads/results.json',
      standalone: `downloads/${standaloneFileName(result.run.startedAt)}`,
    },
    judgements: judgements ?? { files: [], problems: [] },
    chance: assessChance(images, result.dictionary.categories.length, generated),
    validation: judgements && judgements.files.length > 0 ? validationReport(result, judgements.files) : null,
    adjudication: adjudicationQueue(images, { modelChecksum: result.run.model.checksum, dictionaryHash: result.run.dictionary.hash }, judgements?.files ?? []),
    changes: null,
    workbench: { bytes: null, reason: null },
  };
}

export interface ThumbRequest {
  role: ThumbRole;
  index: number;
  sha256: string;
  path: string;
}

/**
 * Every thumbnail the site shows, once per role and image: the category samples (and the closest
 * images of an empty category), the listing pages (when enabled), the validation set (and the
 * adjudication queue), the standalone overview, and a large rendition of every image shown as a
 * thumbnail (the large view). Nothing else is thumbnailed, so the
 * build grows with the images shown, not with the folder.
 */
export function thumbnailRequests(report: ReportData): ThumbRequest[] {
  const out: ThumbRequest[] = [];
  const seen = new Set<string>();
  const add = (role: ThumbRole, index: number) => {
    const img = report.result.images[index];
    const key = `${role}:${img.sha256}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ role, index, sha256: img.sha256, path: img.path });
  };
  for (const c of report.categories) for (const i of [...c.sample, ...c.closest]) add('sample', i);
  for (const c of report.categories) for (const i of c.standalone) add('standalone', i);
  for (const i of report.validationSet) add('validation', i);
  // The Adjudicate page shows its images as large as the Validate page does.
  if (report.adjudication.length > 0) {
    const index = indexBySha256(report.result.images);
    for (const c of report.adjudication) if (index.has(c.sha256)) add('validation', index.get(c.sha256)!);
  }
  if (report.options.listThumbnails) for (const c of report.categories) for (const i of c.members) add('list', i);
  // Every image shown as a thumbnail on a page opens a large view.
  for (const r of out.slice()) if (r.role === 'sample' || r.role === 'list') add('large', r.index);
  return out;
}

/** The thumbnail of an image for a role, if one was made. */
export function thumbOf(report: ReportData, role: ThumbRole, image: ImageResult): Thumb | undefined {
  return report.thumbs[role]?.get(image.sha256);
}

/** Phrases flagged on the dictionary page: never the top-1 label of any image, or cut at 77 tokens. */
export function flaggedPhrases(report: ReportData): { category: string; phrase: PhraseReport; reasons: string[] }[] {
  return report.categories.flatMap((c) =>
    c.phrases
      .map((p) => ({
        category: c.name,
        phrase: p,
        reasons: [p.wins === 0 ? 'never won' : '', p.truncated ? "cut at the model's token limit" : ''].filter(Boolean),
      }))
      .filter((f) => f.reasons.length > 0),
  );
}

interface PostRef {
  group?: string;
  date?: string;
}

const postsMemo = new WeakMap<RunResult, Map<string, PostRef[]>>();

/** The posts-table rows (group, date) that list an image, in table order; for a folder run the image's
 * folder group. Empty when the run has neither. */
export function postsOf(result: RunResult, image: ImageResult): PostRef[] {
  if (!result.rows) return image.group ? [{ group: image.group }] : [];
  let byPath = postsMemo.get(result);
  if (!byPath) {
    byPath = new Map();
    for (const row of result.rows) {
      if (row.image === null || row.status !== 'classified') continue;
      const list = byPath.get(row.image) ?? [];
      list.push({ ...(row.group !== undefined ? { group: row.group } : {}), ...(row.date !== undefined ? { date: row.date } : {}) });
      byPath.set(row.image, list);
    }
    postsMemo.set(result, byPath);
  }
  return byPath.get(image.path) ?? [];
}
