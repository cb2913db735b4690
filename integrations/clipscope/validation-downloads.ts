// The validation figures as files a paper (or a script) can use, published beside the results:
// downloads/validation.json (schema clipscope.validation/v1), downloads/validation.csv (the same
// figures, one per row) and downloads/validation-methods.md (a Methods paragraph and table to paste
// into a paper). All three are derived from the one ValidationReport the build computes; estimates
// are fractions (0–1); values that cannot be computed are null; no machine paths, no build time
// (the run's date is the one named), so the same judgements and results give the same bytes.
import type { RunResult } from '../core/types.ts';
import { escapeFormula } from '../core/format.ts';
import { csvText } from '../engine/csv.ts';
import { ALPHA_BOOTSTRAP, COLLECTION_METHOD, RECALL_METHOD, type ValidationReport } from '../core/validation-report.ts';

const VALIDATION_SCHEMA = 'clipscope.validation/v1';

/** Site-relative paths of the validation downloads. */
export const VALIDATION_FILES = {
  json: 'downloads/validation.json',
  csv: 'downloads/validation.csv',
  methods: 'downloads/validation-methods.md',
} as const;

const SAMPLE_METHOD = 'share of Right among decided images; 95 % Wilson score interval';
const PRECISION_METHOD = 'share of Right among decided images predicted as the category; 95 % Wilson score interval';

/** A number for JSON: NaN and ±Infinity become null. */
const num = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

interface SamplingDesign {
  /** Images drawn per predicted category for judging (the validation.perCategory option). */
  perCategory: number;
}

/** The figures of validation.json. */
export function validationFigures(result: RunResult, v: ValidationReport, design: SamplingDesign) {
  const a = v.agreement;
  return {
    schema: VALIDATION_SCHEMA,
    run: {
      model: result.run.model.name,
      modelChecksum: result.run.model.checksum,
      dictionaryHash: result.run.dictionary.hash,
      startedAt: result.run.startedAt,
      clipscopeVersion: result.run.clipscopeVersion,
    },
    mode: v.mode,
    design: { stratifiedBy: 'predicted category', perCategory: design.perCategory, uncertainDrawn: false },
    files: v.files,
    coders: v.coders.map((c) => ({ coder: c.coder, role: c.role, files: c.files, right: c.right, wrong: c.wrong, skip: c.skip })),
    images: v.images,
    ties: v.ties,
    adjudicated: v.adjudicated,
    adjudicatedTies: v.adjudicatedTies,
    accuracy: {
      sample: { estimate: num(v.accuracy.estimate), low: v.accuracy.low, high: v.accuracy.high, n: v.accuracy.n, successes: v.accuracy.successes, method: SAMPLE_METHOD },
      collection: v.collection
        ? { estimate: num(v.collection.estimate), low: num(v.collection.low), high: num(v.collection.high), se: num(v.collection.se), population: v.collection.population, method: COLLECTION_METHOD, excluded: v.collection.excluded }
        : null,
    },
    categories: v.categories.map((c) => ({
      category: c.category,
      population: c.population,
      judged: c.judged,
      precision: { estimate: num(c.precision.estimate), low: c.precision.low, high: c.precision.high, successes: c.precision.successes, n: c.precision.n },
      recall: c.recall ? { estimate: num(c.recall.estimate), low: num(c.recall.low), high: num(c.recall.high), se: num(c.recall.se) } : null,
      f1: num(c.f1),
      plan: c.plan,
    })),
    methods: { precision: PRECISION_METHOD, recall: RECALL_METHOD, alpha: ALPHA_BOOTSTRAP.method },
    agreement: a
      ? {
          over: a.over,
          alpha: num(a.alpha),
          alphaLow: num(a.alphaLow),
          alphaHigh: num(a.alphaHigh),
          reading: a.alphaReading,
          units: a.alphaUnits,
          values: a.alphaValues,
          pairs: a.pairs.map((p) => ({ coders: [p.a, p.b], n: p.n, observed: num(p.observed), kappa: num(p.kappa) })),
          modelVsDecided: { n: a.modelVsMajority.n, observed: num(a.modelVsMajority.observed), kappa: num(a.modelVsMajority.kappa) },
        }
      : null,
    unknownCorrections: v.unknown.map((u) => ({ file: u.file, coder: u.coder, role: u.role, path: u.path, sha256: u.sha256, correction: u.correction })),
    leftOut: v.leftOut,
    changedSince: v.judgements.changed,
  };
}

type ValidationFigures = ReturnType<typeof validationFigures>;

export function validationJson(figures: ValidationFigures): string {
  return `${JSON.stringify(figures, null, 2)}\n`;
}

/**
 * The same figures, one per row: figure, subject (category, coder pair, or what alpha is over),
 * estimate, low, high (fractions), n (the images a figure rests on, or the count a row reports),
 * mode, method (the estimator of the row's interval, worded as in validation.json; empty without one).
 */
export function validationCsv(f: ValidationFigures): string {
  const rows: (string | number | null)[][] = [['figure', 'subject', 'estimate', 'low', 'high', 'n', 'mode', 'method']];
  const row = (figure: string, subject: string, estimate: number | null, low: number | null, high: number | null, n: number | null, method = '') =>
    rows.push([figure, subject, estimate, low, high, n, f.mode, method]);
  const s = f.accuracy.sample;
  row('accuracy_sample', '', s.estimate, s.low, s.high, s.n, s.method);
  const c = f.accuracy.collection;
  if (c) row('accuracy_collection', '', c.estimate, c.low, c.high, c.population, c.method);
  // Counts go in the n column (estimate empty): images judged, ties, adjudicated, category sizes.
  row('images_judged', '', null, null, null, f.images);
  row('ties', '', null, null, null, f.ties);
  row('adjudicated', '', null, null, null, f.adjudicated);
  for (const k of f.categories) {
    row('precision', k.category, k.precision.estimate, k.precision.low, k.precision.high, k.precision.n, f.methods.precision);
    if (k.recall) row('recall', k.category, k.recall.estimate, k.recall.low, k.recall.high, null, f.methods.recall);
    if (k.f1 !== null) row('f1', k.category, k.f1, null, null, null);
    row('population', k.category, null, null, null, k.population);
  }
  if (f.agreement) {
    row('alpha', f.agreement.over, f.agreement.alpha, f.agreement.alphaLow, f.agreement.alphaHigh, f.agreement.units, f.methods.alpha);
    for (const p of f.agreement.pairs) row('kappa', p.coders.join(' – '), p.kappa, null, null, p.n);
  }
  return csvText(rows.map((r) => r.map((x) => (x === null ? '' : typeof x === 'string' ? escapeFormula(x) : x))));
}

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);
const ci = (low: number | null, high: number | null) => (low === null || high === null ? '–' : `${(low * 100).toFixed(1)}–${(high * 100).toFixed(1)} %`);
const coef = (x: number | null) => (x === null ? '–' : x.toFixed(3).replace(/^(-?)0\./, '$1.'));
/** A table cell: pipes and line breaks from names would break the Markdown table. */
const cell = (text: string) => text.replace(/[|\\]/g, (m) => `\\${m}`).replace(/[\r\n]+/g, ' ');

const READING: Record<string, string> = {
  reliable: 'reliable (α ≥ .800)',
  tentative: 'sufficient for tentative conclusions only (.667 ≤ α < .800)',
  unreliable: 'not reliable (α < .667)',
};

/** A Methods paragraph and table in Markdown, to paste into a paper (and shown on the page). */
export function methodsMarkdown(f: ValidationFigures): string {
  const coders = f.coders.filter((c) => c.role === 'coder');
  const adjudicators = f.coders.filter((c) => c.role === 'adjudicator');
  const lines: string[] = [];
  lines.push('## Validation of the automated classification', '');
  const design =
    `Images were classified with the CLIP model ${f.run.model} (checksum ${f.run.modelChecksum.slice(0, 12)}) and a dictionary of category phrases (sha256 ${f.run.dictionaryHash.slice(0, 12)}), run on ${f.run.startedAt.slice(0, 10)}. ` +
    `For validation, up to ${f.design.perCategory} images per predicted category were drawn at random (stratified by predicted category, seeded; images the model left uncertain were not drawn). ` +
    (f.mode === 'blind'
      ? `${coders.length} ${coders.length === 1 ? 'coder' : 'coders'} assigned each image to a category (or to none of them) without seeing the model's answer (blind coding); the model was counted correct where its category matched the coders' category. `
      : `${coders.length} ${coders.length === 1 ? 'coder' : 'coders'} judged each model answer as right or wrong and named the correct category when wrong. `) +
    `${f.images} images were judged. An image's decision is ${f.mode === 'blind' ? "the category most of its coders assigned" : "the majority of its coders' verdicts"}; ` +
    (f.ties > 0 ? `${f.ties} ${f.ties === 1 ? 'image' : 'images'} with tied coders ${f.ties === 1 ? 'was' : 'were'} not adjudicated and ${f.ties === 1 ? 'is' : 'are'} excluded from the accuracy figures. ` : 'no tie remained. ') +
    (f.adjudicated > 0 ? `${adjudicators.length === 1 ? 'An adjudicator' : `${adjudicators.length} adjudicators`} decided ${f.adjudicated} ${f.adjudicated === 1 ? 'image' : 'images'}, ${f.adjudicatedTies === 0 ? 'none of them a tie' : `${f.adjudicatedTies} of which ${f.adjudicatedTies === 1 ? 'was a tie' : 'were ties'}`} between coders. ` : '');
  lines.push(design, '');
  if (f.agreement) {
    const a = f.agreement;
    lines.push(
      `Inter-coder reliability was assessed with Krippendorff's α (nominal, over the ${a.over === 'categories' ? 'assigned categories' : 'right/wrong verdicts'}; ${a.units} images coded by at least two coders): ` +
        `α = ${coef(a.alpha)} (95 % bootstrap interval ${coef(a.alphaLow)} to ${coef(a.alphaHigh)}; ${ALPHA_BOOTSTRAP.samples} resamples of images), ` +
        `${a.reading ? READING[a.reading] : 'not computable'} by Krippendorff's (2004) criteria. ` +
        `Pairwise Cohen's κ: ${a.pairs.map((p) => `${p.coders.join('–')} ${coef(p.kappa)} (n = ${p.n})`).join('; ')}.`,
      '',
    );
  }
  const s = f.accuracy.sample;
  const c = f.accuracy.collection;
  lines.push(
    `The model's accuracy in the judged sample was ${pct(s.estimate)} (95 % Wilson interval ${ci(s.low, s.high)}, n = ${s.n}). ` +
      (c
        ? `Because every category was sampled up to the same number of images regardless of its size, the accuracy over the whole collection was estimated by weighting each category's precision by its share of the collection (stratified estimator with finite-population correction; Cochran, 1977, ch. 5): ${pct(c.estimate)} (95 % interval ${ci(c.low, c.high)}, N = ${c.population} images)` +
          (c.excluded.length ? `; categories without judged images were excluded: ${c.excluded.map((e) => `${e.category} (${e.population})`).join(', ')}.` : '.') +
          ' '
        : '') +
      'Recall was estimated per category from the corrections, weighting each predicted category by its size (combined ratio estimator, linearisation variance).',
    '',
  );
  lines.push('| Category | Images | Judged | Precision (95 % CI) | Recall (95 % CI) | F1 |', '|---|---:|---:|---|---|---:|');
  for (const k of f.categories) {
    if (k.population === 0 && k.judged === 0) continue;
    lines.push(
      `| ${cell(k.category)} | ${k.population} | ${k.judged} | ${k.judged ? `${pct(k.precision.estimate)} (${ci(k.precision.low, k.precision.high)})` : '–'} | ${k.recall ? `${pct(k.recall.estimate)} (${ci(k.recall.low, k.recall.high)})` : '–'} | ${k.f1 === null ? '–' : coef(k.f1)} |`,
    );
  }
  lines.push('', `Figures generated by clipscope ${f.run.clipscopeVersion} from ${f.files} judgement ${f.files === 1 ? 'file' : 'files'} (${f.mode} coding).`, '');
  return lines.join('\n');
}
