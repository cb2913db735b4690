// The judgement file format `clipscope.judgements/v2`: what a coder's judgements are saved as,
// exported by the validation widget (browser) and read back by the build (Node). Files of the first
// format (`v1`) are still read: their correction "none" becomes `noneOfThese` (v1 could not tell it
// from a category named "none"; v2 keeps the two apart).
//
// v2 adds, per file, `role` ("coder", or "adjudicator": whose verdicts decide images the coders
// disagree on) and `mode` ("shown": the coder saw the model's answer; "blind": the coder picked a
// category without seeing it — the verdict is then derived: Right when the pick is the prediction);
// and per item `noneOfThese: true` instead of the magic correction "none". One zod schema,
// one parser and one serialiser shared by both sides, so a file the widget writes is exactly a file
// the build accepts. Browser-safe: no Node imports.
//
// Files come from anywhere (a colleague's e-mail, a shared drive), so parsing is defensive:
// - a size limit before anything is decoded;
// - JSON.parse with a reviver that refuses `__proto__`, `constructor` and `prototype` keys (no
//   legitimate place for them exists in the format), so nothing downstream can be tricked into
//   touching Object.prototype by a merge or lookup;
// - the zod schema copies the known fields into fresh objects and drops everything else;
// - every string is length-limited; the page renders strings as text, never as markup.
import { z } from 'zod';
import { formatBytes } from './format.ts';

// In the browser zod must not compile validators with `new Function`: the site's CSP forbids eval,
// and even zod's guarded probe for it is reported as a CSP violation. Same results, no eval.
if (typeof window !== 'undefined') z.config({ jitless: true });

export const JUDGEMENTS_SCHEMA = 'clipscope.judgements/v2';
/** The first format, still read (never written). */
export const JUDGEMENTS_SCHEMA_V1 = 'clipscope.judgements/v1';

/** Who wrote a file: a coder, or an adjudicator whose verdicts decide where coders disagree. */
const CODER_ROLES = ['coder', 'adjudicator'] as const;
export type CoderRole = (typeof CODER_ROLES)[number];

/** How the images were coded: with the model's answer shown, or blind (the coder picks a category). */
const CODING_MODES = ['shown', 'blind'] as const;
export type CodingMode = (typeof CODING_MODES)[number];

/** Largest judgement file accepted (bytes): a few thousand judgements take well under 1 MB. */
export const MAX_JUDGEMENT_FILE_BYTES = 5_000_000;

/** Most judgements one file may hold. */
const MAX_JUDGEMENT_ITEMS = 200_000;

/** What the coder answered. "skip" is "unsure": recorded, but counted in no statistic. */
const VERDICTS = ['right', 'wrong', 'skip'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** The correction v1 files used for "none of these" (read only; v2 writes `noneOfThese: true`). */
const V1_NONE_OF_THESE = 'none';

/** Keys a hostile file could use to reach an object's prototype. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lower-case hex sha256 (64 characters)');
const hex = z.string().regex(/^[0-9a-f]{8,128}$/, 'expected a lower-case hex checksum');
const text = (max: number) => z.string().max(max, `expected at most ${max} characters`);
const isoTime = z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time, e.g. 2025-03-01T14:05:00.000Z' });

const judgementRunSchema = z.object({
  /** Model folder name, for people reading the file. */
  model: text(200),
  /** The model's checksum: with the dictionary hash, identifies the run (see runId). */
  modelChecksum: hex,
  /** sha256 of the dictionary's canonical JSON. */
  dictionaryHash: hex,
});

export const judgementItemSchema = z
  .object({
    sha256,
    /** Path relative to the image root when judged (for people; images are matched by sha256). */
    path: text(4096),
    /** The category the model predicted when the coder judged it. */
    predicted: text(500),
    /** The winning phrase. */
    label: text(4000),
    /** Probability of the prediction, percent. */
    probability: z.number().min(0).max(100),
    verdict: z.enum(VERDICTS, { message: 'expected "right", "wrong" or "skip"' }),
    /** After "wrong": the category the image belongs to (any category name, "none" included). */
    correction: text(500).min(1).optional(),
    /** After "wrong": the image belongs to none of the categories. */
    noneOfThese: z.literal(true).optional(),
    judgedAt: isoTime,
  })
  .refine((item) => (item.correction === undefined && item.noneOfThese === undefined) || item.verdict === 'wrong', {
    message: 'a correction is only allowed with verdict "wrong"',
    path: ['correction'],
  })
  .refine((item) => item.correction === undefined || item.noneOfThese === undefined, {
    message: 'a judgement has either a correction or "noneOfThese", not both',
    path: ['noneOfThese'],
  });

const judgementFileSchema = z
  .object({
    schema: z.literal(JUDGEMENTS_SCHEMA),
    run: judgementRunSchema,
    role: z.enum(CODER_ROLES, { message: 'expected "coder" or "adjudicator"' }).default('coder'),
    mode: z.enum(CODING_MODES, { message: 'expected "shown" or "blind"' }).default('shown'),
    coder: z
      .string()
      .trim()
      .min(1, 'expected a coder name')
      .max(100, 'expected a coder name of at most 100 characters'),
    exportedAt: isoTime,
    items: z.array(judgementItemSchema).max(MAX_JUDGEMENT_ITEMS, `expected at most ${MAX_JUDGEMENT_ITEMS} judgements`),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.items.forEach((item, i) => {
      if (seen.has(item.sha256)) ctx.addIssue({ code: 'custom', message: `image ${item.sha256.slice(0, 12)}… is judged twice`, path: ['items', i, 'sha256'] });
      seen.add(item.sha256);
    });
  });

export type JudgementRun = z.infer<typeof judgementRunSchema>;
export type JudgementItem = z.infer<typeof judgementItemSchema>;
export type JudgementFile = z.infer<typeof judgementFileSchema>;

/** What a coder says an image is: a category, or none of them. */
type CoderAnswer = { kind: 'category'; category: string } | { kind: 'none' };

/**
 * The coder's answer of a judgement: the prediction when Right, the correction or "none of these"
 * when Wrong; null when skipped or Wrong without a category.
 */
export function coderAnswer(item: Pick<JudgementItem, 'verdict' | 'predicted' | 'correction' | 'noneOfThese'>): CoderAnswer | null {
  if (item.verdict === 'right') return { kind: 'category', category: item.predicted };
  if (item.verdict !== 'wrong') return null;
  if (item.noneOfThese) return { kind: 'none' };
  return item.correction !== undefined ? { kind: 'category', category: item.correction } : null;
}

/** Whether two judgements of one image say the same (verdict and answer). */
function sameJudgement(a: JudgementItem, b: JudgementItem): boolean {
  return a.verdict === b.verdict && a.correction === b.correction && (a.noneOfThese ?? false) === (b.noneOfThese ?? false);
}

/** A v1 file's data as v2: the magic correction "none" becomes `noneOfThese`. */
function upgradeV1(data: Record<string, unknown>): Record<string, unknown> {
  const items = Array.isArray(data.items)
    ? data.items.map((item: unknown) => {
        if (item === null || typeof item !== 'object' || (item as { correction?: unknown }).correction !== V1_NONE_OF_THESE) return item;
        const { correction: _none, ...rest } = item as Record<string, unknown>;
        return { ...rest, noneOfThese: true };
      })
    : data.items;
  return { ...data, schema: JUDGEMENTS_SCHEMA, role: 'coder', mode: 'shown', items };
}

type ParseResult = { ok: true; file: JudgementFile } | { ok: false; reason: string };

/** A run's id in storage keys and messages: short dictionary hash + short model checksum. */
export function runId(run: Pick<JudgementRun, 'modelChecksum' | 'dictionaryHash'>): string {
  return `${run.dictionaryHash.slice(0, 12)}-${run.modelChecksum.slice(0, 12)}`;
}

/** Whether two run descriptions are the same run (same model weights and same dictionary). */
export function sameRun(a: Pick<JudgementRun, 'modelChecksum' | 'dictionaryHash'>, b: Pick<JudgementRun, 'modelChecksum' | 'dictionaryHash'>): boolean {
  return a.modelChecksum === b.modelChecksum && a.dictionaryHash === b.dictionaryHash;
}

/** The size check, done before reading a file's contents (File.size in the browser, stat in Node). */
export function sizeProblem(bytes: number, limit = MAX_JUDGEMENT_FILE_BYTES): string | null {
  return bytes > limit ? `The file is ${formatBytes(bytes)}; judgement files are at most ${formatBytes(limit)}.` : null;
}

class ForbiddenKeyError extends Error {}

/** JSON.parse that refuses keys able to reach a prototype (wherever they are nested). */
function parseJsonSafely(textValue: string): unknown {
  return JSON.parse(textValue, function reviver(key, value) {
    if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKeyError(`it contains the key "${key}", which judgement files never use`);
    return value;
  });
}

/**
 * Where JSON text first breaks the grammar (RFC 8259): the offset of the offending character, or
 * the text's length when it ends too early; -1 when the text is valid JSON. Iterative (no recursion
 * depth to exhaust). Used for messages instead of JSON.parse's own, which quotes the text: a
 * message about a file must never publish the file's content.
 */
function jsonSyntaxErrorOffset(s: string): number {
  const stack: ('{' | '[')[] = [];
  let i = 0;
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  /** Reads a string at i (which is '"'); returns false at the first bad character (i points at it). */
  const string = (): boolean => {
    i++;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = s[i + 1];
        if (e === undefined) {
          i = s.length;
          return false;
        }
        if (e === 'u') {
          for (let k = 2; k < 6; k++) {
            if (i + k >= s.length || !/[0-9a-fA-F]/.test(s[i + k])) {
              i += k;
              return false;
            }
          }
          i += 6;
        } else if ('"\\/bfnrt'.includes(e)) i += 2;
        else return false;
      } else i++;
    }
    return false;
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  let state: 'value' | 'key' | 'after' = 'value';
  for (;;) {
    ws();
    if (state === 'value') {
      const c = s[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        ws();
        if (s[i] === (c === '{' ? '}' : ']')) {
          stack.pop();
          i++;
          state = 'after';
        } else state = c === '{' ? 'key' : 'value';
      } else if (c === '"') {
        if (!string()) return i;
        state = 'after';
      } else if (c === 't' || c === 'f' || c === 'n') {
        const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
        for (let k = 0; k < word.length; k++) if (s[i + k] !== word[k]) return i;
        i += word.length;
        state = 'after';
      } else {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(s);
        if (!m) return i;
        // "01", "1.", "1e": the number ends early and what follows is reported as the error.
        i += m[0].length;
        state = 'after';
      }
    } else if (state === 'key') {
      if (s[i] !== '"') return i;
      if (!string()) return i;
      ws();
      if (s[i] !== ':') return i;
      i++;
      state = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return i === s.length ? -1 : i;
      if (s[i] === ',') {
        i++;
        state = top === '{' ? 'key' : 'value';
      } else if (s[i] === (top === '{' ? '}' : ']')) {
        stack.pop();
        i++;
      } else return i;
    }
  }
}

/** "line 2, column 5" of an offset (1-based; lines end at \n). */
function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      start = k + 1;
    }
  }
  return `line ${line}, column ${offset - start + 1}`;
}

/** Why text is not JSON, by position only (never a snippet of the text). */
function jsonProblem(text: string): string {
  const at = jsonSyntaxErrorOffset(text);
  if (at === -1) return 'The file is not valid JSON.';
  if (at >= text.length) return `The file is not valid JSON: it ends too early (${lineColumn(text, text.length)}).`;
  return `The file is not valid JSON: syntax error at ${lineColumn(text, at)}.`;
}

/** "items[3].verdict" from a zod issue path. */
function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)), '');
}

function schemaProblem(error: z.ZodError): string {
  const issues = error.issues;
  const first = issues[0];
  const where = pathOf(first.path);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return `${where ? `${where}: ` : ''}${first.message}${more}.`;
}

/**
 * Parse and validate a judgement file's text. Never throws: a problem comes back as a sentence for
 * the person who chose the file (foreign schema, malformed JSON, oversized, wrong types, …).
 */
export function parseJudgementText(textValue: string, opts: { maxBytes?: number } = {}): ParseResult {
  const limit = opts.maxBytes ?? MAX_JUDGEMENT_FILE_BYTES;
  // Cheap bound first (a UTF-8 byte is at most one UTF-16 unit), exact count only near the limit.
  if (textValue.length > limit) return { ok: false, reason: sizeProblem(textValue.length, limit)! };
  if (textValue.length * 3 > limit) {
    const tooBig = sizeProblem(new TextEncoder().encode(textValue).length, limit);
    if (tooBig) return { ok: false, reason: tooBig };
  }
  let data: unknown;
  try {
    data = parseJsonSafely(textValue);
  } catch (error) {
    if (error instanceof ForbiddenKeyError) return { ok: false, reason: `The file was refused: ${error.message}.` };
    // JSON.parse's message quotes the text ("Unexpected token 'r', "root:x:0:0"…"): position only.
    return { ok: false, reason: jsonProblem(textValue) };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, reason: `This is not a clipscope judgement file: expected a JSON object with "schema": "${JUDGEMENTS_SCHEMA}".` };
  }
  const schema = (data as { schema?: unknown }).schema;
  if (schema === JUDGEMENTS_SCHEMA_V1) data = upgradeV1(data as Record<string, unknown>);
  else if (schema !== JUDGEMENTS_SCHEMA) {
    // Named only when it looks like a schema id: a message never quotes arbitrary content of a file.
    const found = typeof schema !== 'string' ? 'it has no "schema" field' : /^[\w.-]{1,80}\/v\d{1,4}$/.test(schema) ? `its schema is "${schema}"` : 'its "schema" is not a clipscope schema';
    return { ok: false, reason: `This is not a clipscope judgement file: ${found}, expected "${JUDGEMENTS_SCHEMA}".` };
  }
  const parsed = judgementFileSchema.safeParse(data);
  if (!parsed.success) return { ok: false, reason: `The judgement file is invalid: ${schemaProblem(parsed.error)}` };
  return { ok: true, file: parsed.data };
}

/** The file's text: fixed key order, items sorted by judgement time then sha256, 2-space indent. */
export function serialiseJudgements(file: JudgementFile): string {
  const items = file.items
    .slice()
    .sort((a, b) => (a.judgedAt < b.judgedAt ? -1 : a.judgedAt > b.judgedAt ? 1 : a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0))
    .map((i) => ({
      sha256: i.sha256,
      path: i.path,
      predicted: i.predicted,
      label: i.label,
      probability: i.probability,
      verdict: i.verdict,
      ...(i.correction !== undefined ? { correction: i.correction } : {}),
      ...(i.noneOfThese ? { noneOfThese: true } : {}),
      judgedAt: i.judgedAt,
    }));
  const out = {
    schema: JUDGEMENTS_SCHEMA,
    run: { model: file.run.model, modelChecksum: file.run.modelChecksum, dictionaryHash: file.run.dictionaryHash },
    coder: file.coder,
    role: file.role,
    mode: file.mode,
    exportedAt: file.exportedAt,
    items,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** A coder name as a file-name part: letters, digits, "-" and "_" only. */
export function fileSafe(name: string): string {
  const safe = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return safe || 'coder';
}

/** `judgements-<coder>-<YYYY-MM-DD>.json` (the date in UTC). */
export function judgementFileName(coder: string, date: Date): string {
  return `judgements-${fileSafe(coder)}-${date.toISOString().slice(0, 10)}.json`;
}

/** How an imported file's judgements relate to the ones already kept (per image, by sha256). */
export interface MergePlan {
  /** Images judged in the file but not here. */
  added: JudgementItem[];
  /** Images judged the same way (verdict and answer) in both. */
  same: number;
  /** Images judged differently: nothing is overwritten until the person chooses. */
  conflicts: { existing: JudgementItem; incoming: JudgementItem }[];
}

/** Compares the file's judgements with the kept ones; changes nothing. */
export function planMerge(existing: Readonly<Record<string, JudgementItem>>, incoming: readonly JudgementItem[]): MergePlan {
  const plan: MergePlan = { added: [], same: 0, conflicts: [] };
  for (const item of incoming) {
    const mine = Object.hasOwn(existing, item.sha256) ? existing[item.sha256] : undefined;
    if (!mine) plan.added.push(item);
    else if (sameJudgement(mine, item)) plan.same++;
    else plan.conflicts.push({ existing: mine, incoming: item });
  }
  return plan;
}

/** The kept judgements after an import: new ones added; conflicts resolved as the person chose. */
export function applyMerge(existing: Readonly<Record<string, JudgementItem>>, plan: MergePlan, conflicts: 'keep-mine' | 'use-file'): Record<string, JudgementItem> {
  const out: Record<string, JudgementItem> = { ...existing };
  for (const item of plan.added) out[item.sha256] = item;
  if (conflicts === 'use-file') for (const c of plan.conflicts) out[c.incoming.sha256] = c.incoming;
  return out;
}
