// Builds CLIP's tokenizer files (Hugging Face "tokenizers" format) from OpenAI's BPE merge list
// (vendor/clip-bpe/bpe_simple_vocab_16e6.txt.gz), structured the way the Hugging Face exports of
// openai/clip-vit-base-patch32 are, so that generated model folders and downloaded ones are read by
// the same loader. The files are built once per process and written into every generated model.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const BPE_FILE = new URL('../../vendor/clip-bpe/bpe_simple_vocab_16e6.txt.gz', import.meta.url);

/** CLIP uses the first 49152 - 256 - 2 merges of the file (OpenAI's simple_tokenizer.py). */
export const CLIP_MERGE_COUNT = 48_894;
export const CLIP_CONTEXT_LENGTH = 77;
export const BOS_TOKEN = '<|startoftext|>';
export const EOS_TOKEN = '<|endoftext|>';
export const BOS_ID = 49_406;
export const EOS_ID = 49_407;
export const CLIP_VOCAB_SIZE = 49_408;

/** CLIP's pre-tokenizer split: contractions, letter runs, single digits, runs of other symbols. */
const CLIP_SPLIT_REGEX = String.raw`'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`;

/**
 * GPT-2's reversible byte → printable character table, in its canonical order: the printable
 * Latin-1 bytes keep their own code point, the rest are shifted to 256 + n. Returns the symbols in
 * table order (printable bytes first), which is the order of CLIP's first 256 vocabulary ids.
 */
export function byteToUnicode(): string[] {
  const printable: number[] = [];
  const ranges: Array<[number, number]> = [
    [0x21, 0x7e], // '!'..'~'
    [0xa1, 0xac], // '¡'..'¬'
    [0xae, 0xff], // '®'..'ÿ'
  ];
  for (const [lo, hi] of ranges) for (let b = lo; b <= hi; b++) printable.push(b);
  const chars = printable.map((b) => String.fromCodePoint(b));
  // The other bytes follow in byte order, each mapped to the next code point from 256 up.
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) chars.push(String.fromCodePoint(256 + shifted++));
  }
  return chars;
}

function readMerges(): string[] {
  const text = gunzipSync(readFileSync(BPE_FILE)).toString('utf8');
  const lines = text.split('\n');
  // Line 1 is the file's version header; the merges CLIP uses are lines 2..48895.
  const merges = lines.slice(1, 1 + CLIP_MERGE_COUNT);
  if (merges.length !== CLIP_MERGE_COUNT || merges.some((m) => m.split(' ').length !== 2)) {
    throw new Error(`${BPE_FILE.pathname}: expected ${CLIP_MERGE_COUNT} merges of two symbols each`);
  }
  return merges;
}

function addedToken(id: number, content: string): object {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true };
}

/** The AddedToken form tokenizer_config.json uses for bos/eos/unk in the Hugging Face CLIP exports. */
function configToken(content: string): object {
  return { __type: 'AddedToken', content, lstrip: false, normalized: true, rstrip: false, single_word: false };
}

function buildTokenizerJson(): object {
  const bytes = byteToUnicode();
  const merges = readMerges();
  const vocab: Record<string, number> = {};
  const symbols = [...bytes, ...bytes.map((s) => `${s}</w>`), ...merges.map((m) => m.replace(' ', ''))];
  symbols.forEach((symbol, id) => {
    vocab[symbol] = id;
  });
  vocab[BOS_TOKEN] = BOS_ID;
  vocab[EOS_TOKEN] = EOS_ID;
  if (symbols.length !== BOS_ID || Object.keys(vocab).length !== CLIP_VOCAB_SIZE) {
    throw new Error(`CLIP vocabulary: expected ${CLIP_VOCAB_SIZE} distinct tokens, built ${Object.keys(vocab).length}`);
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(BOS_ID, BOS_TOKEN), addedToken(EOS_ID, EOS_TOKEN)],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: String.raw`\s+` }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_REGEX }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [EOS_TOKEN, EOS_ID],
      cls: [BOS_TOKEN, BOS_ID],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: EOS_TOKEN,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

function buildTokenizerConfig(): object {
  return {
    add_prefix_space: false,
    bos_token: configToken(BOS_TOKEN),
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    eos_token: configToken(EOS_TOKEN),
    errors: 'replace',
    model_max_length: CLIP_CONTEXT_LENGTH,
    pad_token: EOS_TOKEN,
    tokenizer_class: 'CLIPTokenizer',
    unk_token: configToken(EOS_TOKEN),
  };
}

function buildSpecialTokensMap(): object {
  const plain = (content: string) => ({ content, lstrip: false, normalized: true, rstrip: false, single_word: false });
  return { bos_token: plain(BOS_TOKEN), eos_token: plain(EOS_TOKEN), pad_token: EOS_TOKEN, unk_token: plain(EOS_TOKEN) };
}

export interface ClipTokenizerFiles {
  tokenizerJson: object;
  tokenizerConfig: object;
}

let cached: { files: ClipTokenizerFiles; tokenizerText: string; configText: string; mapText: string } | undefined;

function build() {
  if (!cached) {
    const files = { tokenizerJson: buildTokenizerJson(), tokenizerConfig: buildTokenizerConfig() };
    cached = {
      files,
      // Serialised once too: the vocabulary is a few MB and several model folders get a copy.
      tokenizerText: `${JSON.stringify(files.tokenizerJson)}\n`,
      configText: `${JSON.stringify(files.tokenizerConfig, null, 2)}\n`,
      mapText: `${JSON.stringify(buildSpecialTokensMap(), null, 2)}\n`,
    };
  }
  return cached;
}

/** CLIP's tokenizer.json and tokenizer_config.json as objects (built once per process; do not mutate). */
export function buildClipTokenizerFiles(): ClipTokenizerFiles {
  return build().files;
}

/** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into `dir`. */
export async function writeTokenizerFiles(dir: string): Promise<void> {
  const { tokenizerText, configText, mapText } = build();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tokenizer.json'), tokenizerText);
  await writeFile(join(dir, 'tokenizer_config.json'), configText);
  await writeFile(join(dir, 'special_tokens_map.json'), mapText);
}
