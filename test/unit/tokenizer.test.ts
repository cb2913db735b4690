import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { isClipscopeError } from '../../integrations/engine/errors.ts';
import { createClipTokenizer, readClipTokenizer, type ClipTokenizer } from '../../integrations/engine/model/tokenizer.ts';
import { buildClipTokenizerFiles, writeTokenizerFiles } from '../../scripts/models/tokenizer-files.ts';
import cases from '../fixtures/clip-tokenizer-cases.json' with { type: 'json' };

const BOS = 49406;
const EOS = 49407;

let tok: ClipTokenizer;
beforeAll(() => {
  const { tokenizerJson, tokenizerConfig } = buildClipTokenizerFiles();
  tok = createClipTokenizer(tokenizerJson, tokenizerConfig, 'models/test');
});

describe('built CLIP tokenizer.json', () => {
  it('has the 49,408 tokens of CLIP with the byte symbols first', () => {
    const { tokenizerJson } = buildClipTokenizerFiles() as { tokenizerJson: { model: { vocab: Record<string, number>; merges: string[] } } };
    const vocab = tokenizerJson.model.vocab;
    expect(Object.keys(vocab)).toHaveLength(49408);
    expect(vocab['!']).toBe(0);
    expect(vocab['!</w>']).toBe(256);
    expect(vocab['<|startoftext|>']).toBe(BOS);
    expect(vocab['<|endoftext|>']).toBe(EOS);
    expect(tokenizerJson.model.merges).toHaveLength(48894);
    expect(tokenizerJson.model.merges[0]).toBe('i n');
  });

  it('is identical when built twice and when written twice', async () => {
    const a = JSON.stringify(buildClipTokenizerFiles());
    const b = JSON.stringify(buildClipTokenizerFiles());
    expect(b).toBe(a);
    const dirs = [await mkdtemp(join(tmpdir(), 'clipscope-tok-')), await mkdtemp(join(tmpdir(), 'clipscope-tok-'))];
    try {
      for (const d of dirs) await writeTokenizerFiles(d);
      for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
        const [x, y] = await Promise.all(dirs.map((d) => readFile(join(d, f), 'utf8')));
        expect(y).toBe(x);
      }
      const config = JSON.parse(await readFile(join(dirs[0], 'tokenizer_config.json'), 'utf8'));
      expect(config.model_max_length).toBe(77);
      const fromDisk = await readClipTokenizer(dirs[0]);
      expect(fromDisk.encode('a photo of a cat').ids).toEqual(tok.encode('a photo of a cat').ids);
    } finally {
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    }
  });

  it("has a post-processor that adds the start and end tokens the way createClipTokenizer does", () => {
    const { tokenizerJson, tokenizerConfig } = buildClipTokenizerFiles();
    const raw = new Tokenizer(tokenizerJson, tokenizerConfig);
    for (const c of cases.slice(0, 5)) expect(raw.encode(c.text).ids).toEqual(tok.encode(c.text).ids);
  });
});

describe('createClipTokenizer', () => {
  it('reads start, end and pad ids and the context length', () => {
    expect(tok).toMatchObject({ contextLength: 77, bosId: BOS, eosId: EOS, padId: EOS });
  });

  // The reference ids are uncut; one case (MULTIBYTE_EMOJIS, 83 ids) is longer than the context, so
  // its uncut ids are checked on the library's own encoding and the cut ones on ours.
  it.each(cases.map((c) => [c.name, c.text, c.ids] as const))('reference case %s', (_name, text, ids) => {
    const out = tok.encode(text);
    expect(out.tokenCount).toBe(ids.length);
    if (ids.length <= 77) {
      expect(out.ids).toEqual(ids);
      expect(out.truncated).toBe(false);
    } else {
      const { tokenizerJson, tokenizerConfig } = buildClipTokenizerFiles();
      expect(new Tokenizer(tokenizerJson, tokenizerConfig).encode(text).ids).toEqual(ids);
      expect(out.ids).toEqual([...ids.slice(0, 76), EOS]);
      expect(out.truncated).toBe(true);
    }
    expect(out.tokens).toHaveLength(out.ids.length);
  });

  it('covers a reference case longer than the context', () => {
    expect(cases.some((c) => c.ids.length > 77)).toBe(true);
  });

  it('cuts a long phrase to 77 ids ending in the end token and says so', () => {
    const words = Array.from({ length: 200 }, (_, i) => ['red', 'green', 'blue', 'yellow'][i % 4]).join(' ');
    const out = tok.encode(words);
    expect(out.ids).toHaveLength(77);
    expect(out.ids[0]).toBe(BOS);
    expect(out.ids[76]).toBe(EOS);
    expect(out.ids.slice(1, 76)).not.toContain(EOS);
    expect(out.tokens).toHaveLength(77);
    expect(out.truncated).toBe(true);
    expect(out.tokenCount).toBe(202);
    // 200 words, 75 kept: the last 125 are what the cut drops.
    expect(out.dropped).toHaveLength(125);
    expect(out.dropped.slice(0, 2)).toEqual(['yellow</w>', 'red</w>']); // words 76 and 77
  });

  it('keeps a phrase of exactly 75 content tokens whole', () => {
    const out = tok.encode(Array.from({ length: 75 }, () => 'red').join(' '));
    expect(out.ids).toHaveLength(77);
    expect(out.truncated).toBe(false);
    expect(out.tokenCount).toBe(77);
    expect(out.dropped).toEqual([]);
    const over = tok.encode(Array.from({ length: 76 }, () => 'red').join(' '));
    expect(over.truncated).toBe(true);
    expect(over.tokenCount).toBe(78);
  });

  it('lower-cases and collapses whitespace', () => {
    const expected = tok.encode('a red car').ids;
    expect(tok.encode('A RED Car').ids).toEqual(expected);
    expect(tok.encode('  a \t red\n\n  car  ').ids).toEqual(expected);
    expect(tok.encode('a red car').tokens).toEqual(['<|startoftext|>', 'a</w>', 'red</w>', 'car</w>', '<|endoftext|>']);
  });

  it('reads the context length from model_max_length and ignores absurd values', () => {
    const { tokenizerJson, tokenizerConfig } = buildClipTokenizerFiles();
    const withMax = (v: unknown) => createClipTokenizer(tokenizerJson, { ...tokenizerConfig, model_max_length: v }, 'm').contextLength;
    expect(withMax(16)).toBe(16);
    expect(withMax(1e30)).toBe(77);
    expect(withMax(undefined)).toBe(77);
    expect(withMax('77')).toBe(77);
    const short = createClipTokenizer(tokenizerJson, { ...tokenizerConfig, model_max_length: 5 }, 'm').encode('one two three four');
    expect(short.ids).toHaveLength(5);
    expect(short.ids[4]).toBe(EOS);
  });

  it('works with string special tokens and without a post-processor (older exports)', () => {
    const { tokenizerJson } = buildClipTokenizerFiles() as { tokenizerJson: Record<string, unknown> };
    const older = { ...tokenizerJson, post_processor: { type: 'ByteLevel', trim_offsets: false } };
    const t = createClipTokenizer(older, { bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', model_max_length: 77 }, 'm');
    expect(t.encode(cases[0].text).ids).toEqual(cases[0].ids);
  });

  it('names the file when the JSON is missing or broken', async () => {
    const expectError = (f: () => unknown, file: string) => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(isClipscopeError(e)).toBe(true);
        expect((e as Error).message).toContain(file);
      }
    };
    expectError(() => createClipTokenizer(undefined, {}, 'models/x'), join('models/x', 'tokenizer.json'));
    expectError(() => createClipTokenizer({ model: {} }, null, 'models/x'), join('models/x', 'tokenizer_config.json'));
    expectError(() => createClipTokenizer({ version: '1.0' }, {}, 'models/x'), join('models/x', 'tokenizer.json'));
    expectError(() => createClipTokenizer({ model: { type: 'Nope' } }, {}, 'models/x'), join('models/x', 'tokenizer.json'));

    const dir = await mkdtemp(join(tmpdir(), 'clipscope-tok-'));
    try {
      await expect(readClipTokenizer(dir)).rejects.toThrow(join(dir, 'tokenizer.json'));
      await writeFile(join(dir, 'tokenizer.json'), '{"model": ');
      await writeFile(join(dir, 'tokenizer_config.json'), '{}');
      await expect(readClipTokenizer(dir)).rejects.toThrow(/tokenizer\.json is not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the browser-safe tokenizer (core/tokenizer.ts)', () => {
  it('is the one the engine runs: same ids, and URLs of a published folder in its messages', async () => {
    const core = await import('../../integrations/core/tokenizer.ts');
    const { tokenizerJson, tokenizerConfig } = buildClipTokenizerFiles();
    const browser = core.createClipTokenizer(tokenizerJson, tokenizerConfig, 'https://example.org/site/_clipscope/workbench/text-tower/');
    for (const c of cases) expect(browser.encode(c.text).ids).toEqual(tok.encode(c.text).ids);
    expect(() => core.createClipTokenizer(undefined, {}, 'https://example.org/t/')).toThrow('https://example.org/t/tokenizer.json');
    expect(() => core.createClipTokenizer(undefined, {}, 'https://example.org/t')).toThrow('https://example.org/t/tokenizer.json');
  });
});
