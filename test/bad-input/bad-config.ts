// Configurations clipscope must refuse with a message that names the problem, shared by
// the CLI test (test/integration/robustness-cli.test.ts) and the `astro build` test
// (test/e2e/robustness-site.test.ts), so both front ends are held to the same list.
//
// Each case prepares its bad input under a folder and says which path or option it replaces; the
// message is what the engine says (the same through both front ends; only option names differ:
// `--batch-size` on the command line, `batchSize (in astro.config.mjs)` in the Astro config).
import { cp, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { textGraphOfWidth } from '../fixtures/text-graph.ts';

const ROOT = join(import.meta.dirname, '../..');
export const TINY_MODEL = join(ROOT, 'models/synthetic-tiny');

export interface BadInput {
  images?: string;
  dictionary?: string;
  model?: string;
}

export interface BadPathCase {
  name: string;
  /** Also through `astro build` (every case goes through the CLI). The integration relays every
   * engine error the same way, so the site test takes one or more cases per source of error
   * (dictionary, image folder, model) instead of all: each failing build costs seconds. */
  astro?: boolean;
  /** Writes the bad input under `dir` and returns the paths to use instead of the good ones. */
  setup(dir: string): Promise<BadInput>;
  message: RegExp;
}

export interface BadOptionCase {
  name: string;
  /** Option key (Astro config), command-line flag, the bad value, and what the option expects. */
  key: string;
  flag: string;
  value: number;
  expected: string;
}

const dictionary = (text: string) => async (dir: string): Promise<BadInput> => {
  await writeFile(join(dir, 'dict.yaml'), text);
  return { dictionary: join(dir, 'dict.yaml') };
};

/** A copy of synthetic-tiny (its text tower reads the demo dictionary) broken by `change`. */
const brokenModel = (change: (model: string) => Promise<void>) => async (dir: string): Promise<BadInput> => {
  const model = join(dir, 'model');
  await cp(TINY_MODEL, model, { recursive: true });
  await change(model);
  return { model };
};

export const BAD_PATHS: BadPathCase[] = [
  { name: 'empty dictionary', astro: true, setup: dictionary('# nothing yet\n'), message: /dict\.yaml is empty/ },
  { name: 'category without phrases', setup: dictionary('Red:\n  - "a red picture"\nEmpty:\n'), message: /dict\.yaml:3:1.*category "Empty" has no phrases/ },
  { name: 'non-string phrase', setup: dictionary('Red:\n  - "a red picture"\n  - 42\n'), message: /dict\.yaml:3:5.*category "Red", phrase 2 is number 42, not text/ },
  {
    name: 'duplicate phrase across categories',
    setup: dictionary('Red:\n  - "a red picture"\nDark:\n  - "a red picture"\n'),
    message: /the phrase "a red picture" is listed under both "Red" \(at .*dict\.yaml:2:5\) and "Dark"/,
  },
  { name: 'duplicate category keys in YAML', astro: true, setup: dictionary('Red:\n  - "a red picture"\nRed:\n  - "a deep red photo"\n'), message: /dict\.yaml:3:1.*duplicate category "Red"/ },
  {
    name: 'two categories with the same page URL', astro: true,
    setup: dictionary('"Red & Blue":\n  - "a red picture"\n"red / blue":\n  - "a blue picture"\n'),
    message: /"Red & Blue" .* and "red \/ blue" would share the page URL "red-blue"/,
  },
  {
    name: 'YAML alias bomb (billion laughs)', astro: true,
    setup: dictionary(
      ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]', ...['b', 'c', 'd', 'e', 'f'].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcde'[i]}`).join(', ')}]`)].join('\n'),
    ),
    message: /dict\.yaml: refused: its YAML aliases \(\*name\) expand to more than 100 copies/,
  },
  { name: 'image folder that does not exist', astro: true, setup: async (dir) => ({ images: join(dir, 'nowhere') }), message: /nowhere (does not exist|not found)|not found: .*nowhere/ },
  {
    name: 'empty image folder', astro: true,
    setup: async (dir) => {
      await mkdir(join(dir, 'empty'));
      return { images: join(dir, 'empty') };
    },
    message: /No images found in .*empty/,
  },
  {
    name: 'image folder with only hidden files and non-images',
    setup: async (dir) => {
      await mkdir(join(dir, 'nothing'));
      await writeFile(join(dir, 'nothing/.hidden.png'), 'x');
      await writeFile(join(dir, 'nothing/notes.txt'), 'x');
      return { images: join(dir, 'nothing') };
    },
    message: /No images found in .*nothing/,
  },
  { name: 'model folder with a missing file', astro: true, setup: brokenModel((m) => unlink(join(m, 'tokenizer.json'))), message: /Model folder .*model is missing tokenizer\.json[\s\S]*npx clipscope model fetch Xenova\/clip-vit-base-patch32/ },
  {
    name: 'model folder with a file that is not ONNX', astro: true,
    setup: brokenModel((m) => writeFile(join(m, 'onnx/vision_model.onnx'), '<html>404 Not Found</html>')),
    message: /Could not load vision_model\.onnx .* as an ONNX model/,
  },
  {
    name: 'model whose config.json states an impossible projection_dim', astro: true,
    setup: brokenModel(async (m) => {
      const config = JSON.parse(await readFile(join(m, 'config.json'), 'utf8'));
      await writeFile(join(m, 'config.json'), JSON.stringify({ ...config, projection_dim: 1e12 }));
    }),
    message: /Expected a whole number from 1 to 65536 for projection_dim in .*model\/config\.json but received 1000000000000/,
  },
  {
    name: 'model whose towers embed into different sizes', astro: true,
    setup: brokenModel((m) => writeFile(join(m, 'onnx/text_model.onnx'), textGraphOfWidth(16))),
    message: /The towers of model model embed into different sizes: onnx\/text_model\.onnx gives 16/,
  },
];

export const BAD_OPTIONS: BadOptionCase[] = [
  { name: 'batch size 0', key: 'batchSize', flag: '--batch-size', value: 0, expected: 'an integer ≥ 1' },
  { name: 'negative probability threshold', key: 'minProbability', flag: '--min-probability', value: -5, expected: 'a percentage from 0 to 100' },
  { name: 'negative margin threshold', key: 'minMargin', flag: '--min-margin', value: -0.5, expected: 'a percentage from 0 to 100' },
];

/** Regex-escape a literal. */
export const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
