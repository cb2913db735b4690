// `clipscope classify --help` and `clipscope embed --help` are derived from the one options table
// (RUN_OPTIONS): every run option of the command is listed with its default (from the schema) or
// marked required, and the help ends with examples.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_BATCH_SIZE, DEFAULT_PIXEL_LIMIT, RUN_OPTIONS } from '../../integrations/engine/options.ts';

const BIN = join(import.meta.dirname, '../../bin/clipscope.js');
/** Help text with commander's line wrapping undone. */
const help = (...command: string[]) => execFileSync(process.execPath, [BIN, ...command, '--help'], { encoding: 'utf8' }).replace(/\n {6,}/g, ' ');

describe('help states the defaults, marks required options and shows examples', () => {
  it.each(['classify', 'embed'] as const)('%s --help', (command) => {
    const text = help(command);
    expect(text).toMatch(new RegExp(`--batch-size <n> +images per model call \\(default per device: ${DEFAULT_BATCH_SIZE} on the CPU\\)`));
    expect(text).toMatch(/--device <device> +where onnxruntime runs the model \(auto: the best available, else the CPU\): auto \| cpu \| cuda \| dml \| coreml \| webgpu \(default auto\)/);
    expect(text).toMatch(/--shard <K\/N> +only part K of N \(K from 0 to N−1\)/);
    expect(text).toMatch(new RegExp(`--pixel-limit <n> +skip images with more pixels than this \\(default ${DEFAULT_PIXEL_LIMIT},`));
    expect(text).toMatch(/--cache <dir> +embedding cache folder \(default \.clipscope, or CLIPSCOPE_CACHE_DIR\)/);
    expect(text).toMatch(/--variant <variant> +which ONNX files of the model folder run \(onnx\/\*_model\[_<variant>\]\.onnx\): fp32 \| quantized \| fp16 \| int8 \| uint8 \| q4 \| q4f16 \| bnb4 \(default fp32\)/);
    expect(text).toMatch(/--threads <n> +onnxruntime threads \(default all cores\)/);
    expect(text).toMatch(/--model <dir> +model folder .*\(required\)/);
    // Every run option of the command is there.
    for (const o of Object.values(RUN_OPTIONS)) {
      if ((o.commands as readonly string[]).includes(command)) expect(text).toContain(o.flag);
    }
    const examples = text.slice(text.indexOf('Examples:'));
    expect(examples.match(/\$ clipscope /g)?.length).toBeGreaterThanOrEqual(2);
  });

  it('classify --help', () => {
    const text = help('classify');
    expect(text).toMatch(/^Usage: clipscope classify --dictionary <file> --model <dir> \(--images <dir> \| --table <file>\) \[options\]/);
    expect(text).toMatch(/--top-k <n> +how many choices per image \(default 1\)/);
    expect(text).toMatch(/--column <name> +column name \(prefix\) in the CSV \(default Classification\)/);
    expect(text).toMatch(/--scoring <mode> +how the category of an image is chosen: seed \| sum \| ensemble \| sigmoid \(default seed\)/);
    expect(text).toMatch(/--dictionary <file> +dictionary \(YAML or JSON\): category → phrases \(required\)/);
    expect(text).toMatch(/--images <dir> +folder of images \(searched recursively\) \(required, or --table\)/);
    expect(text).not.toContain('--out <file> (required)');
  });

  it('embed --help marks its required image folder, and an optional output (a shard only fills the cache)', () => {
    const text = help('embed');
    expect(text).toMatch(/--images <dir> +folder of images \(searched recursively\) \(required\)/);
    expect(text).toMatch(/--out <file> +output JSON file \(without it, the embeddings only go into the cache\)/);
    expect(text).toMatch(/\$ clipscope embed .*--shard 0\/4 --cache cache-0/);
  });

  it('tokenize --help shows examples', () => {
    expect(help('tokenize')).toMatch(/Examples:[\s\S]*\$ clipscope tokenize .*--dictionary/);
  });
});
