// `clipscope classify --help` and `clipscope embed --help` state each option's default (taken from
// the one options module), so a user can see what a run without the flag does.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_BATCH_SIZE, DEFAULT_PIXEL_LIMIT } from '../../integrations/engine/options.ts';

const BIN = join(import.meta.dirname, '../../bin/clipscope.js');
/** Help text with commander's line wrapping undone. */
const help = (command: string) => execFileSync(process.execPath, [BIN, command, '--help'], { encoding: 'utf8' }).replace(/\n\s+(?!-)/g, ' ');

describe('help states the defaults', () => {
  it.each(['classify', 'embed'])('%s --help', (command) => {
    const text = help(command);
    expect(text).toMatch(new RegExp(`--batch-size <n> +images per model call \\(default ${DEFAULT_BATCH_SIZE}\\)`));
    expect(text).toMatch(new RegExp(`--pixel-limit <n> +skip images with more pixels than this \\(default ${DEFAULT_PIXEL_LIMIT},`));
    expect(text).toMatch(/--cache <dir> +embedding cache folder \(default \.clipscope, or CLIPSCOPE_CACHE_DIR\)/);
    expect(text).toMatch(/--variant <variant> +fp32 \| quantized \| fp16 \| int8 \| uint8 \| q4 \| q4f16 \| bnb4: .*\(default fp32\)/);
  });

  it('classify --help', () => {
    const text = help('classify');
    expect(text).toMatch(/--top-k <n> +how many choices per image \(default 1\)/);
    expect(text).toMatch(/--column <name> +column name \(prefix\) in the CSV \(default Classification\)/);
    expect(text).toMatch(/--scoring <mode> +seed \| sum \| ensemble \| sigmoid \(default seed;/);
  });
});
