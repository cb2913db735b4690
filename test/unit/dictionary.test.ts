import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dictionaryHash, flattenPhrases, loadDictionary, parseDictionary } from '../../integrations/engine/dictionary.ts';
import { sha256Hex } from '../../integrations/engine/hash.ts';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import { DictionaryError, categorySlug, parseDictionaryText, uniqueSlugs } from '../../integrations/core/dictionary.ts';

const SEED = new URL('../../content/political-dictionary.yaml', import.meta.url);

/** Parse and return the ClipscopeError thrown (failing the test if none is). */
function errorOf(text: string, source = 'dict.yaml', format?: 'yaml' | 'json') {
  try {
    parseDictionary(text, source, format);
  } catch (error) {
    expect(isClipscopeError(error)).toBe(true);
    expect((error as { kind: string }).kind).toBe('dictionary');
    return error as Error & { hint?: string };
  }
  throw new Error('expected the dictionary to be refused');
}

describe('the seed dictionary', () => {
  it('parses to 6 categories and 26 phrases in file order', async () => {
    // Counted by hand from the file: 1 + 3 + 9 + 3 + 7 + 3 = 26 phrases.
    const dict = await loadDictionary(SEED.pathname);
    expect(dict.source).toBe('political-dictionary.yaml');
    expect(dict.categories.map((c) => [c.name, c.phrases.length])).toEqual([
      ['Collages', 1],
      ['Campaign Material', 3],
      ['Political Events', 9],
      ['Individual Contact', 3],
      ['Interviews & Media', 7],
      ['Social Media Moderation', 3],
    ]);
    expect(dict.categories.map((c) => c.slug)).toEqual(['collages', 'campaign-material', 'political-events', 'individual-contact', 'interviews-media', 'social-media-moderation']);
    const flat = flattenPhrases(dict);
    expect(flat).toHaveLength(26);
    expect(flat[0]).toEqual({ text: 'A screenshot with multiple visual elements such as text, graphics, and images combined.', category: 'Collages', categoryIndex: 0 });
    expect(flat[25]).toEqual({ text: 'Portrait-style close-up of a face, without discernible logos, graphics, or overlays.', category: 'Social Media Moderation', categoryIndex: 5 });
    expect(dict.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('JSON and YAML give the same dictionary', () => {
  const yaml = '"Interviews & Media":\n  - "a studio"\n  - "a microphone"\nCollages:\n  - "a screenshot"\n';
  const json = JSON.stringify({ 'Interviews & Media': ['a studio', 'a microphone'], Collages: ['a screenshot'] });
  it('same categories, phrases and hash', () => {
    const a = parseDictionary(yaml, 'd.yaml');
    const b = parseDictionary(json, 'd.json');
    expect(b.categories).toEqual(a.categories);
    expect(b.hash).toBe(a.hash);
    expect(b.source).toBe('d.json');
  });

  it('the format follows the extension unless given', () => {
    expect(() => parseDictionary(yaml, 'd.json')).toThrow(/not valid JSON/);
    expect(parseDictionary(yaml, 'd.json', 'yaml').categories).toHaveLength(2);
  });

  it('loadDictionary reads .json and .yml files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clipscope-dict-'));
    try {
      await writeFile(join(dir, 'd.json'), json);
      await writeFile(join(dir, 'd.yml'), yaml);
      expect((await loadDictionary(join(dir, 'd.json'))).hash).toBe((await loadDictionary(join(dir, 'd.yml'))).hash);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hash', () => {
  it('changes with phrase order and text, not with the file format or comments', () => {
    const base = parseDictionary('A:\n  - x\n  - y\nB:\n  - z\n', 'd.yaml').hash;
    expect(parseDictionary('# comment\nA: [x, y]\nB: [z]\n', 'd.yaml').hash).toBe(base);
    expect(parseDictionary('A:\n  - y\n  - x\nB:\n  - z\n', 'd.yaml').hash).not.toBe(base);
    expect(parseDictionary('B:\n  - z\nA:\n  - x\n  - y\n', 'd.yaml').hash).not.toBe(base);
    expect(parseDictionary('A:\n  - x\n  - y!\nB:\n  - z\n', 'd.yaml').hash).not.toBe(base);
  });

  it('is sha256 of the canonical JSON of names and phrases', () => {
    // sha256('[{"name":"A","phrases":["x"]}]'), computed with `printf … | sha256sum`.
    expect(dictionaryHash([{ name: 'A', phrases: [{ text: 'x' }] }])).toBe('ce9b56e1a9d7de63a970a95c9a0f8a5e49d8433bfab6c657629498cf58f037ce');
  });
});

/** Six lines that expand to 9^6 ≈ 531,000 phrases. */
const ALIAS_BOMB = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
  .concat(['b', 'c', 'd', 'e', 'f'].map((k, i) => { const p = 'abcde'[i]; return `${k}: &${k} [${Array(9).fill(`*${p}`).join(', ')}]`; }))
  .join('\n');

describe('refused dictionaries name the file, line, category and phrase', () => {
  const cases: { name: string; text: string; source?: string; message: RegExp[]; hint?: RegExp }[] = [
    { name: 'empty file', text: '', message: [/dict\.yaml is empty/] },
    { name: 'only comments', text: '# nothing here\n', message: [/is empty/] },
    { name: 'empty mapping', text: '{}\n', message: [/is empty/] },
    { name: 'empty JSON object', text: '{}', source: 'd.json', message: [/d\.json is empty/] },
    { name: 'a list instead of a mapping', text: '- a\n- b\n', message: [/dict\.yaml:1:1/, /found a list/] },
    { name: 'category without phrases (null)', text: 'A:\n  - x\nEmpty:\n', message: [/dict\.yaml:3:1/, /category "Empty" has no phrases/] },
    { name: 'category with an empty list', text: 'A:\n  - x\nEmpty: []\n', message: [/dict\.yaml:3:1/, /"Empty" has no phrases/] },
    { name: 'phrases given as one string', text: 'A: "just text"\n', message: [/dict\.yaml:1:4/, /"A": the phrases must be a list/] },
    { name: 'number phrase', text: 'A:\n  - x\n  - 42\n', message: [/dict\.yaml:3:5/, /category "A", phrase 2 is number 42, not text/], hint: /category name to a list/ },
    { name: 'null phrase', text: 'A:\n  - \n', message: [/category "A", phrase 1 is nothing \(null\)/] },
    { name: 'nested list phrase', text: 'A:\n  - [x, y]\n', message: [/dict\.yaml:2:5/, /phrase 1 is a list \["x","y"\]/] },
    { name: 'mapping phrase', text: 'A:\n  - {x: y}\n', message: [/phrase 1 is object \{"x":"y"\}/] },
    { name: 'boolean phrase in JSON', text: '{"A": ["x", true]}', source: 'd.json', message: [/d\.json:1:13/, /category "A", phrase 2 is boolean true/] },
    { name: 'empty phrase', text: 'A:\n  - "ok"\n  - ""\n', message: [/dict\.yaml:3:5/, /category "A", phrase 2 is empty/] },
    { name: 'whitespace phrase', text: 'A:\n  - "   "\n', message: [/phrase 1 is empty \(" {3}"\)/] },
    {
      name: 'duplicate phrase across categories (names both)',
      text: 'Campaign:\n  - "a poster"\nEvents:\n  - "a rally"\n  - "a poster"\n',
      message: [/dict\.yaml:5:5/, /the phrase "a poster" is listed under both "Campaign" \(at dict\.yaml:2:5\) and "Events"/],
      hint: /silently kept the last/,
    },
    {
      name: 'duplicate phrase as CLIP reads it (case, spaces)',
      text: 'A:\n  - "A Poster"\nB:\n  - "a  poster "\n',
      message: [/"a {2}poster " is listed under both "A" .* and "B"/, /same as "A Poster"/],
    },
    { name: 'duplicate phrase within a category', text: 'A:\n  - x\n  - y\n  - x\n', message: [/dict\.yaml:4:5/, /category "A" lists the phrase "x" twice: phrases 1 and 3/] },
    {
      name: 'duplicate category keys in YAML',
      text: 'Collages:\n  - x\nEvents:\n  - y\nCollages:\n  - z\n',
      message: [/dict\.yaml:5:1/, /duplicate category "Collages" \(first at dict\.yaml:1:1\)/],
      hint: /merge/,
    },
    { name: 'duplicate category keys in JSON', text: '{"A": ["x"],\n "A": ["y"]}', source: 'd.json', message: [/d\.json:2:2/, /duplicate category "A"/] },
    {
      name: 'two categories with the same page URL',
      text: '"Interviews & Media":\n  - x\n"interviews / media":\n  - y\n',
      message: [/dict\.yaml:3:1/, /"Interviews & Media" \(at dict\.yaml:1:1\) and "interviews \/ media" would share the page URL "interviews-media"/],
      hint: /own page/,
    },
    { name: 'reserved name Uncertain', text: 'Uncertain:\n  - x\n', message: [/dict\.yaml:1:1/, /"Uncertain" is reserved/] },
    { name: 'empty category name', text: '"":\n  - x\n', message: [/category #1 has an empty name/] },
    { name: 'null category name', text: '? \n: [x]\n', message: [/category #1 has the name null, which is not text/] },
    {
      name: 'YAML alias bomb (billion laughs)',
      text: ALIAS_BOMB,
      message: [/dict\.yaml: refused: its YAML aliases \(\*name\) expand to more than 100 copies/],
      hint: /instead of repeating them through anchors and aliases/,
    },
    { name: 'YAML syntax error', text: 'A: [x\n', message: [/dict\.yaml:2:1/] },
    { name: 'JSON syntax error', text: '{"A": ["x"],}', source: 'd.json', message: [/d\.json: not valid JSON/, /line 1 column 13/] },
    { name: 'several problems at once', text: 'A: []\nB:\n  - 1\n', message: [/2 problems/, /dict\.yaml:1:1: category "A" has no phrases/, /dict\.yaml:3:5: category "B", phrase 1 is number 1/] },
  ];

  it.each(cases)('$name', ({ text, source, message, hint }) => {
    const error = errorOf(text, source ?? 'dict.yaml');
    for (const m of message) expect(error.message).toMatch(m);
    if (hint) expect(error.hint).toMatch(hint);
    expect(error.hint ?? '').not.toBe('');
  });

  it('file errors name the file', async () => {
    await expect(loadDictionary('/nonexistent/dir/dict.yaml')).rejects.toThrow(/Dictionary file not found: \/nonexistent\/dir\/dict\.yaml/);
    await expect(loadDictionary(tmpdir())).rejects.toThrow(/is a folder/);
  });
});

describe('accepted variations', () => {
  it('unquoted numbers and booleans as category names keep the text as written', () => {
    const d = parseDictionary('2024:\n  - x\ntrue:\n  - y\n0x1F:\n  - z\n', 'd.yaml');
    expect(d.categories.map((c) => c.name)).toEqual(['2024', 'true', '0x1F']);
  });

  it('category order is file order, also for names that look like integers', () => {
    const d = parseDictionary('Zeta:\n  - z\n"10":\n  - ten\n"2":\n  - two\n', 'd.yaml');
    expect(d.categories.map((c) => c.name)).toEqual(['Zeta', '10', '2']);
    expect(flattenPhrases(d).map((p) => p.categoryIndex)).toEqual([0, 1, 2]);
  });

  it('a byte-order mark is ignored', () => {
    expect(parseDictionary('\uFEFF{"A": ["x"]}', 'd.json').categories[0].name).toBe('A');
  });

  it('a category named "__proto__" is plain data', () => {
    const d = parseDictionary('"__proto__":\n  - x\n', 'd.yaml');
    expect(d.categories[0].name).toBe('__proto__');
    expect(d.categories[0].phrases).toEqual([{ text: 'x' }]);
  });
});

const slugify = (name: string) => categorySlug(name, sha256Hex);

describe('categorySlug', () => {
  it.each([
    ['Interviews & Media', 'interviews-media'],
    ['Social Media Moderation', 'social-media-moderation'],
    ['  Campaign   Material!! ', 'campaign-material'],
    ['Café Öl', 'cafe-ol'],
    ['Straße', 'strasse'],
    ['Ærø', 'aero'],
    ['2024', '2024'],
  ])('%j → %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it.each([['政治'], ['Политика'], ['🎉'], ['---']])('%j (no Latin letters) gets a stable hash slug', (name) => {
    const slug = slugify(name);
    expect(slug).toMatch(/^c-[0-9a-f]{8}$/);
    expect(slugify(name)).toBe(slug);
  });

  it('partly non-Latin names keep the readable part and add a hash, so they stay distinct', () => {
    const a = slugify('Politik 政治');
    const b = slugify('Politik 经济');
    expect(a).toMatch(/^politik-[0-9a-f]{8}$/);
    expect(b).toMatch(/^politik-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
  });

  it('long names are cut and made distinct by a hash', () => {
    const long = 'a very long category name '.repeat(5);
    const slug = slugify(long);
    expect(slug.length).toBeLessThanOrEqual(60 + 9);
    expect(slug).toMatch(/^a-very-long-category-name-.*-[0-9a-f]{8}$/);
    expect(slugify(long + 'x')).not.toBe(slug);
  });

  it('every slug is URL-safe', () => {
    for (const name of ['Interviews & Media', '<script>alert(1)</script>', '../../etc/passwd', 'a/b?c#d', '政治', 'x'.repeat(200)]) {
      expect(slugify(name)).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    }
  });
});

describe('uniqueSlugs', () => {
  const names = ['Ünsicher', 'Πολιτική', 'Политика', '政治', 'Grüne', 'GRÜNE', 'grüne!', 'Rally'];

  it('gives each name its categorySlug when no other name shares it', () => {
    const slugs = uniqueSlugs(names, sha256Hex);
    expect(slugs.get('Ünsicher')).toBe('unsicher');
    expect(slugs.get('Rally')).toBe('rally');
    for (const name of ['Πολιτική', 'Политика', '政治']) expect(slugs.get(name)).toBe(slugify(name));
    expect(slugs.get('Πολιτική')).toMatch(/^c-[0-9a-f]{8}$/);
  });

  it('gives every name of a shared slug its own hash, so none is preferred', () => {
    const slugs = uniqueSlugs(names, sha256Hex);
    for (const name of ['Grüne', 'GRÜNE', 'grüne!']) expect(slugs.get(name)).toBe(`grune-${sha256Hex(name).slice(0, 8)}`);
    expect(new Set(slugs.values()).size).toBe(names.length);
    for (const slug of slugs.values()) expect(slug).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
  });

  it('gives the same slugs whatever the order of the names', () => {
    const a = uniqueSlugs(names, sha256Hex);
    const b = uniqueSlugs(names.slice().reverse(), sha256Hex);
    const c = uniqueSlugs([...names.slice(3), ...names.slice(0, 3)], sha256Hex);
    expect([...b].sort()).toEqual([...a].sort());
    expect([...c].sort()).toEqual([...a].sort());
  });

  it('avoids the slugs already taken', () => {
    const slugs = uniqueSlugs(['Uncertain', 'Ünsicher'], sha256Hex, new Set(['uncertain']));
    expect(slugs.get('Uncertain')).toBe(`uncertain-${sha256Hex('Uncertain').slice(0, 8)}`);
    expect(slugs.get('Ünsicher')).toBe('unsicher');
  });
});

describe('one parser: the browser-safe core module is what the build runs', () => {
  // A hash that is not sha256, to see that the core parser slugs with the function it is given.
  const fakeHash = (text: string) => Array.from(text, (c) => c.codePointAt(0)!.toString(16)).join('').padEnd(8, '0');

  it('gives the same categories as the engine, slugging with the caller’s sha256', () => {
    const text = '"Politik 政治":\n  - "a poster"\n"Rally":\n  - "a crowd"\n';
    const engine = parseDictionary(text, 'dict.yaml');
    const core = parseDictionaryText(text, 'dict.yaml', 'yaml', fakeHash);
    expect(core.map((c) => c.phrases)).toEqual(engine.categories.map((c) => c.phrases));
    expect(core.map((c) => c.slug)).toEqual([`politik-${fakeHash('Politik 政治').slice(0, 8)}`, 'rally']);
    expect(engine.categories[0].slug).toBe(slugify('Politik 政治'));
  });

  it('throws the same message, with line and column, as the build prints', () => {
    const text = 'A:\n  - "same"\nB:\n  - "Same"\n';
    let coreError: unknown;
    try {
      parseDictionaryText(text, 'dict.yaml', 'yaml', fakeHash);
    } catch (error) {
      coreError = error;
    }
    expect(isClipscopeError(coreError)).toBe(true);
    const engineError = errorOf(text);
    expect((coreError as Error).message).toBe(engineError.message);
    expect(engineError.message).toMatch(/^Invalid dictionary dict\.yaml:4:5: the phrase "Same" is listed under both "A" \(at dict\.yaml:2:5\) and "B"/);
  });

  it('carries every problem as data (line, column, message) for an editor, all of them, not only the 10 printed', () => {
    // The shape is checked first: the 11 empty categories are the problems (the duplicate comes after).
    const text = 'A:\n  - "same"\nB:\n  - "Same"\n' + Array.from({ length: 11 }, (_, i) => `C${i}: []\n`).join('');
    const error = errorOf(text) as DictionaryError;
    expect(error).toBeInstanceOf(DictionaryError);
    expect(error.message).toContain('… and 1 more');
    expect(error.problems).toHaveLength(11);
    expect(error.problems[0]).toEqual({ line: 5, column: 1, message: 'category "C0" has no phrases; give it at least one.' });
    expect(error.problems.at(-1)).toEqual({ line: 15, column: 1, message: 'category "C10" has no phrases; give it at least one.' });
    // Problems without a place keep their whole text.
    expect((errorOf('', 'dir/my dict.yaml') as DictionaryError).problems).toEqual([{ message: 'The dictionary dir/my dict.yaml is empty: it has no categories.' }]);
    expect((errorOf('{"a": [}', 'd.json', 'json') as DictionaryError).problems[0].message).toMatch(/^not valid JSON: /);
  });
});
