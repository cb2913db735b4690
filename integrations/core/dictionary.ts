// Dictionary: parse and validate the category → phrases text (YAML or JSON), as in the seed notebook.
// Browser-safe (no Node built-in): the build (engine/dictionary.ts, which reads the file and hashes)
// and the report's pages use this one parser and its messages.
//
// Order matters and is kept: categories and phrases stay in file order (the flat phrase list, the
// hash and the tie-breaking in scoring all follow it). Every problem is reported with the source, the
// line and column, the category and the phrase, and what to do:
//   empty dictionary; a category without phrases; a non-text or empty phrase; the same phrase twice in
//   one category or under two categories (the seed silently kept the last); duplicate category keys;
//   two categories whose page URLs (slugs) would be the same; a category named "Uncertain" (the name
//   clipscope gives to images below the thresholds); YAML aliases expanding to more than 100 copies.
// Phrases count as "the same" when CLIP reads them the same: its tokenizer lower-cases and collapses
// whitespace, so "A cat" and "a  cat" give one embedding.

import { isAlias, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import { z } from 'zod';
import { ClipscopeError, show } from './errors.ts';
import { UNCERTAIN } from './types.ts';
import type { DictionaryCategory } from './types.ts';

// In the browser (the Workbench page) zod must not compile validators with `new Function`: the site's
// CSP forbids eval, and even zod's guarded probe for it is reported as a CSP violation.
if (typeof window !== 'undefined') z.config({ jitless: true });

export type DictionaryFormat = 'yaml' | 'json';

/** sha256 of a text as lower-case hex, supplied by the caller (node:crypto in the build). */
type Sha256Hex = (text: string) => string;

/** One phrase of the flattened dictionary (the seed's flat list), in dictionary order. */
export interface FlatPhrase {
  text: string;
  category: string;
  categoryIndex: number;
}

/** One problem of a refused dictionary as data, for an editor: where (1-based line and column, when
 * the problem has a place) and the message (naming the category and phrase), as in the error text. */
interface DictionaryProblem {
  line?: number;
  column?: number;
  message: string;
}

/** What the parser throws: a ClipscopeError of kind "dictionary" (message and hint as the build
 * prints them) that also carries every problem found as data. */
export class DictionaryError extends ClipscopeError {
  readonly problems: DictionaryProblem[];

  constructor(message: string, hint: string, problems: DictionaryProblem[], options?: { cause?: unknown }) {
    super('dictionary', message, hint, options);
    this.problems = problems;
  }
}

/** Alias expansions (`*name`) the YAML reader resolves before it calls the file an alias bomb
 * ("billion laughs": a few lines that expand to millions of nodes). The yaml package's own default;
 * a dictionary needs none or a handful. */
const MAX_ALIAS_COUNT = 100;
/** Problems listed in one error message before "… and N more". */
const MAX_PROBLEMS = 10;

const HINT_FORMAT = 'A dictionary maps each category name to a list of phrases, e.g.\n    "Collages":\n      - "A screenshot with multiple visual elements."';

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * Parse and validate dictionary text into its categories (with slugs), in file order. `source`
 * names the text in messages (the file path); `sha256` hashes category names for slugs that lost
 * letters. Throws a ClipscopeError of kind "dictionary" listing every problem found.
 */
export function parseDictionaryText(text: string, source: string, format: DictionaryFormat, sha256: Sha256Hex): DictionaryCategory[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lineCounter = new LineCounter();
  const where = (offset: number | undefined): string => {
    if (offset === undefined) return source;
    const { line, col } = lineCounter.linePos(offset);
    return `${source}:${line}:${col}`;
  };

  if (format === 'json') checkJsonSyntax(text, source);

  const doc = parseDocument(text, { uniqueKeys: true, lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) throw parserErrors(doc, source, where);

  const entries = withAliasLimit(source, () => readEntries(doc, source, where));
  return validate(entries, where, source, (name) => categorySlug(name, sha256));
}

/** The seed's flat phrase list: every phrase with its category, in dictionary order. */
export function flattenPhrases(dict: { categories: readonly Pick<DictionaryCategory, 'name' | 'phrases'>[] }): FlatPhrase[] {
  const flat: FlatPhrase[] = [];
  dict.categories.forEach((category, categoryIndex) => {
    for (const phrase of category.phrases) flat.push({ text: phrase.text, category: category.name, categoryIndex });
  });
  return flat;
}

/** The canonical JSON `[{"name":…,"phrases":[…]},…]` the dictionary hash is the sha256 of:
 * order-sensitive, ignores slugs and token counts. */
export function canonicalDictionary(categories: readonly Pick<DictionaryCategory, 'name' | 'phrases'>[]): string {
  return JSON.stringify(categories.map((c) => ({ name: c.name, phrases: c.phrases.map((p) => p.text) })));
}

// Letters NFKD does not decompose into ASCII, spelled the way people write them in URLs.
const TRANSLITERATE: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', þ: 'th', ł: 'l', ı: 'i' };
const MAX_SLUG = 60;

/**
 * A readable, URL-safe page name for a category: lower-case ASCII letters, digits and "-"
 * ("Interviews & Media" → "interviews-media", "Café Öl" → "cafe-ol"). When letters had to be dropped
 * (other scripts: "政治" → "c-1a2b3c4d", "Politik 政治" → "politik-1a2b3c4d") or the name was cut, a
 * short hash of the name is appended so the slug stays stable and distinct.
 */
export function categorySlug(name: string, sha256: Sha256Hex): string {
  const folded = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[ßæœøđðþłı]/g, (c) => TRANSLITERATE[c]);
  const full = folded.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const base = full.slice(0, MAX_SLUG).replace(/-+$/, '');
  const lostLetters = /[\p{L}\p{N}]/u.test(folded.replace(/[a-z0-9]/g, ''));
  if (base && !lostLetters && base === full) return base;
  const suffix = sha256(name.normalize('NFC')).slice(0, 8);
  return base ? `${base}-${suffix}` : `c-${suffix}`;
}

/**
 * Page slugs for a set of names (category or group names), unique among themselves and not in
 * `taken`, each the name's `categorySlug` unless that is shared: then every name sharing it gets the
 * short hash of its own name appended ("Grüne", "GRÜNE" → "grune-…", "grune-…"). The names are
 * taken in code-point order, so the slugs do not depend on the order they come in.
 */
export function uniqueSlugs(names: Iterable<string>, sha256: Sha256Hex, taken: ReadonlySet<string> = new Set()): Map<string, string> {
  const sorted = [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bases = new Map(sorted.map((name) => [name, categorySlug(name, sha256)]));
  const uses = new Map<string, number>();
  for (const base of bases.values()) uses.set(base, (uses.get(base) ?? 0) + 1);
  const used = new Set(taken);
  const out = new Map<string, string>();
  for (const name of sorted) {
    const base = bases.get(name)!;
    let slug = uses.get(base) === 1 && !used.has(base) ? base : `${base}-${sha256(name.normalize('NFC')).slice(0, 8)}`;
    // Only an 8-hex-digit hash collision (or a taken slug of that very form) gets here.
    for (let i = 2; used.has(slug); i++) slug = `${base}-${i}`;
    used.add(slug);
    out.set(name, slug);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** A top-level entry as the file has it, with source offsets for messages. */
interface Entry {
  name: unknown;
  phrases: unknown;
  keyOffset?: number;
  valueOffset?: number;
  /** Offsets of the phrase list items, when the value is a list. */
  itemOffsets: (number | undefined)[];
}

/** JSON.parse first, so a JSON file is really JSON (the YAML parser would accept more). */
function checkJsonSyntax(text: string, source: string): void {
  try {
    JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw single(source, `${source}: not valid JSON: ${detail}`, HINT_FORMAT);
  }
}

function parserErrors(doc: Document, source: string, where: (o?: number) => string): DictionaryError {
  const lines = doc.errors.slice(0, MAX_PROBLEMS).map((e) => {
    const at = where(e.pos?.[0]);
    if (e.code === 'DUPLICATE_KEY') {
      const dup = duplicateKey(doc, e.pos?.[0], where);
      if (dup) return `${at}: ${dup}`;
    }
    return `${at}: ${e.message}`;
  });
  const hint = doc.errors.some((e) => e.code === 'DUPLICATE_KEY')
    ? 'Each category may appear once: merge the phrases of both entries into one list.'
    : `Fix the syntax at that line. ${HINT_FORMAT}`;
  return problems(source, lines, hint);
}

/** Name the duplicated category (and where it first appeared) for a DUPLICATE_KEY error. */
function duplicateKey(doc: Document, offset: number | undefined, where: (o?: number) => string): string | undefined {
  if (!isMap(doc.contents) || offset === undefined) return undefined;
  const pairs = doc.contents.items as Pair<Node | null, Node | null>[];
  const index = pairs.findIndex((p) => p.key?.range?.[0] === offset);
  if (index < 0) return undefined;
  const name = keyName(pairs[index].key);
  const first = pairs.findIndex((p, i) => i < index && keyName(p.key) === name);
  const firstAt = first >= 0 ? ` (first at ${where(pairs[first].key?.range?.[0])})` : '';
  return `duplicate category ${show(name)}${firstAt}`;
}

function keyName(key: Node | null): unknown {
  return isScalar(key) ? key.value : key;
}

/**
 * Runs `read` (which turns YAML nodes into values); the yaml package reports an alias bomb or an
 * unresolvable alias while doing so with a bare ReferenceError, which becomes a dictionary error.
 */
function withAliasLimit<T>(source: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const excessive = /excessive alias count/i.test(error.message);
    throw single(
      source,
      excessive
        ? `${source}: refused: its YAML aliases (*name) expand to more than ${MAX_ALIAS_COUNT} copies of anchored nodes, as an "alias bomb" does.`
        : `${source}: a YAML alias cannot be resolved (${error.message}).`,
      `Write the phrases out in full instead of repeating them through anchors and aliases (&name / *name). ${HINT_FORMAT}`,
      { cause: error },
    );
  }
}

/** A node as plain data, with the alias limit stated. */
const toJS = (node: Node, doc: Document): unknown => node.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT });

function readEntries(doc: Document, source: string, where: (o?: number) => string): Entry[] {
  const root = doc.contents;
  const empty = single(source, `The dictionary ${source} is empty: it has no categories.`, HINT_FORMAT);
  if (root === null || root === undefined || (isScalar(root) && (root.value === null || root.value === ''))) throw empty;
  if (!isMap(root)) {
    const found = Array.isArray(toJS(root, doc)) ? 'a list' : `${show(toJS(root, doc))}`;
    throw single(source, `${where(root.range?.[0])}: a dictionary must map category names to lists of phrases; found ${found}.`, HINT_FORMAT);
  }
  if (root.items.length === 0) throw empty;

  return (root.items as Pair<Node | null, Node | null>[]).map((pair) => {
    const keyNode = pair.key;
    // Unquoted numbers or booleans as names ("2024:") are kept as the text the author wrote.
    const name = isScalar(keyNode) && typeof keyNode.value !== 'string' && keyNode.value !== null && typeof keyNode.source === 'string' ? keyNode.source : keyNode ? toJS(keyNode, doc) : null;
    let valueNode = pair.value;
    if (isAlias(valueNode)) valueNode = (valueNode.resolve(doc) as Node | undefined) ?? null;
    const phrases = valueNode ? toJS(valueNode, doc) : null;
    const items = valueNode && 'items' in valueNode && Array.isArray(valueNode.items) ? (valueNode.items as (Node | null)[]) : [];
    return {
      name,
      phrases,
      keyOffset: keyNode?.range?.[0],
      valueOffset: valueNode?.range?.[0] ?? keyNode?.range?.[0],
      itemOffsets: items.map((n) => n?.range?.[0]),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Validation

// The shape, checked with zod; messages are written below from each issue's path, where the
// category, phrase and line are known.
const PhraseSchema = z.string().refine((s) => s.trim().length > 0, { message: 'empty' });
const CategorySchema = z.object({
  name: z
    .string()
    .refine((s) => s.trim().length > 0, { message: 'empty' })
    .refine((s) => s.trim().toLowerCase() !== UNCERTAIN.toLowerCase(), { message: 'reserved' }),
  phrases: z.array(PhraseSchema).min(1),
});
const EntriesSchema = z.array(CategorySchema);

function validate(entries: Entry[], where: (o?: number) => string, source: string, slugify: (name: string) => string): DictionaryCategory[] {
  const parsed = EntriesSchema.safeParse(entries.map((e) => ({ name: e.name, phrases: e.phrases })));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => describeIssue(issue, entries, where));
    throw problems(source, lines, HINT_FORMAT);
  }
  const categories: DictionaryCategory[] = parsed.data.map((c) => ({ name: c.name, slug: slugify(c.name), phrases: c.phrases.map((text) => ({ text })) }));
  const phraseLines = duplicatePhrases(categories, entries, where);
  const slugLines = duplicateSlugs(categories, entries, where);
  if (phraseLines.length + slugLines.length > 0) {
    const hints = [];
    if (phraseLines.length > 0) hints.push('A phrase may appear once, under one category (the seed notebook silently kept the last one): remove the extra copy.');
    if (slugLines.length > 0) hints.push('Category names must differ in more than punctuation or letter case, because each category gets its own page.');
    throw problems(source, [...phraseLines, ...slugLines], hints.join(' '));
  }
  return categories;
}

function describeIssue(issue: z.core.$ZodIssue, entries: Entry[], where: (o?: number) => string): string {
  const [i, field, j] = issue.path as [number, 'name' | 'phrases' | undefined, number | undefined];
  const entry = entries[i];
  const name = typeof entry.name === 'string' ? entry.name : undefined;
  const category = name === undefined ? `category #${i + 1}` : `category ${show(name)}`;
  if (field === 'name') {
    if (issue.message === 'reserved') return `${where(entry.keyOffset)}: ${category}: the name ${show(UNCERTAIN)} is reserved for images below the --min-probability/--min-margin thresholds; rename the category.`;
    if (issue.message === 'empty') return `${where(entry.keyOffset)}: category #${i + 1} has an empty name.`;
    return `${where(entry.keyOffset)}: category #${i + 1} has the name ${show(entry.name)}, which is not text; write the name in quotes.`;
  }
  if (field === 'phrases' && j === undefined) {
    const value = entry.phrases;
    if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return `${where(entry.keyOffset)}: ${category} has no phrases; give it at least one.`;
    const found = typeof value === 'string' ? `the text ${show(value)}` : show(value);
    return `${where(entry.valueOffset)}: ${category}: the phrases must be a list (one "- phrase" per line); found ${found}.`;
  }
  if (field === 'phrases' && j !== undefined) {
    const value = (entry.phrases as unknown[])[j];
    const at = where(entry.itemOffsets[j] ?? entry.valueOffset);
    if (issue.message === 'empty') return `${at}: ${category}, phrase ${j + 1} is empty (${show(value)}).`;
    const kind = value === null ? 'nothing (null)' : Array.isArray(value) ? `a list ${show(value)}` : `${typeof value} ${show(value)}`;
    return `${at}: ${category}, phrase ${j + 1} is ${kind}, not text; write the phrase in quotes.`;
  }
  return `${where(entry?.keyOffset)}: ${category}: ${issue.message}`;
}

/** CLIP's tokenizer lower-cases and collapses whitespace: phrases equal under that are duplicates. */
function phraseKey(text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
}

function duplicatePhrases(categories: DictionaryCategory[], entries: Entry[], where: (o?: number) => string): string[] {
  const lines: string[] = [];
  const seen = new Map<string, { c: number; p: number }>();
  categories.forEach((category, c) => {
    category.phrases.forEach((phrase, p) => {
      const key = phraseKey(phrase.text);
      const first = seen.get(key);
      if (!first) {
        seen.set(key, { c, p });
        return;
      }
      const at = where(entries[c].itemOffsets[p]);
      const firstText = categories[first.c].phrases[first.p].text;
      const firstAt = where(entries[first.c].itemOffsets[first.p]);
      const same = firstText === phrase.text ? '' : ` (same as ${show(firstText)} once lower-cased and spaces collapsed, as CLIP reads it)`;
      if (first.c === c) {
        lines.push(`${at}: category ${show(category.name)} lists the phrase ${show(phrase.text)} twice${same}: phrases ${first.p + 1} and ${p + 1} (first at ${firstAt}).`);
      } else {
        lines.push(
          `${at}: the phrase ${show(phrase.text)} is listed under both ${show(categories[first.c].name)} (at ${firstAt}) and ${show(category.name)}${same}; a phrase can belong to one category only.`,
        );
      }
    });
  });
  return lines;
}

function duplicateSlugs(categories: DictionaryCategory[], entries: Entry[], where: (o?: number) => string): string[] {
  const lines: string[] = [];
  const seen = new Map<string, number>();
  categories.forEach((category, c) => {
    const first = seen.get(category.slug);
    if (first === undefined) {
      seen.set(category.slug, c);
      return;
    }
    lines.push(
      `${where(entries[c].keyOffset)}: the categories ${show(categories[first].name)} (at ${where(entries[first].keyOffset)}) and ${show(category.name)} would share the page URL ${show(category.slug)}; rename one of them.`,
    );
  });
  return lines;
}

function problems(source: string, lines: string[], hint: string): DictionaryError {
  const shown = lines.slice(0, MAX_PROBLEMS);
  const more = lines.length > shown.length ? `\n  … and ${lines.length - shown.length} more` : '';
  const message = shown.length === 1 ? `Invalid dictionary ${shown[0]}` : `Invalid dictionary ${source} (${lines.length} problems):\n  ${shown.join('\n  ')}${more}`;
  return new DictionaryError(message, hint, lines.map((line) => problemOf(source, line)));
}

/** The error of one problem stated in `message`. */
function single(source: string, message: string, hint: string, options?: { cause?: unknown }): DictionaryError {
  return new DictionaryError(message, hint, [problemOf(source, message)], options);
}

/** A problem line "<source>:<line>:<col>: text" (or "<source>: text") as data. */
function problemOf(source: string, line: string): DictionaryProblem {
  if (!line.startsWith(`${source}:`)) return { message: line };
  const rest = line.slice(source.length);
  const at = /^:(\d+):(\d+): ([\s\S]*)$/.exec(rest);
  if (at) return { line: Number(at[1]), column: Number(at[2]), message: at[3] };
  return { message: rest.startsWith(': ') ? rest.slice(2) : line };
}
