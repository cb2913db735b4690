// Small helpers the engine commands share: console effects with a progress reporter on stderr, the
// run-option flags of classify and embed (derived from the engine's RUN_OPTIONS), commander's
// usage errors in clipscope's words, and the skipped-image listing.
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { ClipscopeError } from '../engine/errors.ts';
import { COMMAND_SCHEMAS, RUN_OPTIONS, choicesOf, type RunCommand, type RunOption } from '../engine/options.ts';
import { createProgressReporter, type ProgressReporter, type ProgressStream } from '../engine/progress.ts';
import { checkCacheDir, defaultCacheDir } from '../engine/store.ts';
import type { RunEffects } from '../engine/run.ts';
import type { SkippedFile } from '../core/types.ts';

function consoleEffects(stream: ProgressStream = process.stderr): { effects: RunEffects; reporter: ProgressReporter } {
  const reporter = createProgressReporter({ stream });
  return {
    reporter,
    effects: {
      log: (message) => reporter.log(message),
      progress: (p) => reporter.update(p),
    },
  };
}

/** Run `body` with console effects and end the live progress bar whatever happens, so that an error
 * message printed afterwards starts on a line of its own instead of after the bar. */
export async function withProgress<T>(body: (effects: RunEffects) => Promise<T>, stream: ProgressStream = process.stderr): Promise<T> {
  const { effects, reporter } = consoleEffects(stream);
  try {
    return await body(effects);
  } finally {
    reporter.finish();
  }
}

const runOptions = (command: RunCommand): [string, RunOption][] =>
  Object.entries(RUN_OPTIONS as Record<string, RunOption>).filter(([, o]) => o.commands.includes(command));

/** An option is required when its schema accepts no undefined (no default, not optional). */
const isRequired = (schema: z.ZodType): boolean => !schema.safeParse(undefined).success;

/** The default as --help shows it: the schema's own, unless it is null, false or computed. */
function defaultOf(o: RunOption, schema: z.ZodType): string | undefined {
  if (o.defaultText !== undefined) return o.defaultText;
  const parsed = schema.safeParse(undefined);
  return parsed.success && parsed.data !== undefined && parsed.data !== null && parsed.data !== false ? String(parsed.data) : undefined;
}

/** Add the flags of every run option `name` takes, in RUN_OPTIONS order, with the default in their
 * help and required ones marked. Values stay strings; the options schema converts them and reports
 * every problem at once, a missing required flag included (so commander does not enforce them: it
 * would stop at the first, before even an unknown flag). */
export function addRunOptions(command: Command, name: RunCommand): Command {
  const shape = COMMAND_SCHEMAS[name].shape as Record<string, z.ZodType>;
  for (const [key, o] of runOptions(name)) {
    const required = isRequired(shape[key]);
    const shown = defaultOf(o, shape[key]);
    const choices = choicesOf(shape[key]);
    const flag = new Option(o.flag, `${o.help}${choices ? `: ${choices.join(' | ')}` : ''}${required ? ' (required)' : shown !== undefined ? ` (default ${shown})` : ''}`);
    command.addOption(flag);
    if (o.negate) command.addOption(new Option(`--no-${flag.long!.slice(2)}`, o.negate));
  }
  return command;
}

/** The short usage of a command: its required flags, then [options]. */
export function runUsage(name: RunCommand, prefix = ''): string {
  const shape = COMMAND_SCHEMAS[name].shape as Record<string, z.ZodType>;
  const required = runOptions(name).filter(([key]) => isRequired(shape[key])).map(([, o]) => o.flag);
  return [...required, prefix, '[options]'].filter(Boolean).join(' ');
}

/** The parsed flags of a command under the names of the options schema, unset ones left out so the
 * schema fills in their defaults (a `--no-…` flag gives null). */
export function runOptionsFrom(flags: Record<string, unknown>, name: RunCommand): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [key, o] of runOptions(name)) {
    const value = flags[new Option(o.flag).attributeName()];
    if (value !== undefined) input[key] = value === false && o.negate ? null : value;
  }
  return input;
}

/** Commander's error text in clipscope's words: "clipscope: unknown option `--dictonary` (did you
 * mean `--dictionary`?)". Other errors keep commander's wording after the "clipscope:" prefix. */
export function commanderMessage(text: string): string {
  const unknown = /^error: unknown (option|command) '([^']+)'(?:\n\(Did you mean (?:one of )?(.+)\?\))?/.exec(text);
  if (unknown) {
    const [, what, name, similar] = unknown;
    const mean = similar ? ` (did you mean ${similar.split(', ').map((s) => `\`${s}\``).join(' or ')}?)` : '';
    return `clipscope: unknown ${what} \`${name}\`${mean}\n`;
  }
  return text.replace(/^error: /, 'clipscope: ');
}

/** After a usage error, print the command's usage line and where the full help is, not the whole help. */
export function usageAfterErrors(command: Command): void {
  const path: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) path.unshift(c.name());
  const name = path.join(' ');
  command.showHelpAfterError(`Usage: ${name} ${command.usage()}\nRun \`${name} --help\` for ${command.commands.length > 0 ? 'the commands' : 'all options'}.`);
  for (const sub of command.commands) usageAfterErrors(sub);
}

/** --fail-on-skip: once the outputs are written, say so and exit with code 1 if any image was skipped. */
export function failIfSkipped(skipped: number, failOnSkip: boolean | undefined): void {
  if (failOnSkip && skipped > 0) {
    process.stderr.write(`clipscope: ${skipped} image${skipped === 1 ? ' was' : 's were'} skipped and --fail-on-skip is set\n`);
    process.exitCode = 1;
  }
}

const SHOWN = 20;

/** List skipped images with their reasons on stderr (the first 20; the JSON has all). */
export function printSkipped(skipped: SkippedFile[], json: string | undefined): void {
  if (skipped.length === 0) return;
  process.stderr.write(`Skipped ${skipped.length} image${skipped.length === 1 ? '' : 's'}:\n`);
  for (const s of skipped.slice(0, SHOWN)) process.stderr.write(`  ${s.path}: ${s.reason}\n`);
  if (skipped.length > SHOWN) process.stderr.write(`  … and ${skipped.length - SHOWN} more${json ? ` (all in ${json})` : ''}\n`);
}

/** Refuse output files that cannot be written BEFORE the run, not after an hour of embedding: the
 * folder must exist and the path must not be a folder. `outputs` maps each flag to its path. */
export async function checkOutputPaths(outputs: Record<string, string | undefined>): Promise<void> {
  for (const [flag, path] of Object.entries(outputs)) {
    if (!path) continue;
    const folder = await stat(dirname(resolve(path))).catch(() => null);
    if (!folder?.isDirectory()) {
      throw new ClipscopeError('io', `Cannot write ${flag} ${path}: its folder ${dirname(path)} does not exist`, 'Create the folder or choose another output path.');
    }
    if ((await stat(path).catch(() => null))?.isDirectory()) {
      throw new ClipscopeError('io', `Cannot write ${flag} ${path}: it is a folder`, 'Give a file path, e.g. results.csv.');
    }
  }
}

/** The embedding cache folder of the cache and doctor commands: --cache DIR, else CLIPSCOPE_CACHE_DIR,
 * else .clipscope — absolute. A file where the folder should be is an error (exit 2) that names the
 * setting it came from (saying "no cache yet" would hide it). */
export function cacheFolder(flag: string | undefined, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const dir = flag ? resolve(cwd, flag) : defaultCacheDir(cwd, env);
  const fromEnv = env.CLIPSCOPE_CACHE_DIR?.trim();
  checkCacheDir(dir, flag ? `--cache ${flag}` : fromEnv ? `CLIPSCOPE_CACHE_DIR=${fromEnv}` : dir);
  return dir;
}

/** Rows as a plain-text table, one line each ending in "\n": cells two spaces apart, each column as
 * wide as its widest cell (counted in code points), columns in `right` right-aligned, the others
 * left-aligned, trailing spaces dropped, every line indented by `indent`. */
export function textTable(rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set(), indent = '  '): string {
  const width = (cell: string) => [...cell].length;
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => width(r[c]))));
  return rows
    .map((r) => r.map((cell, c) => (right.has(c) ? ' '.repeat(widths[c] - width(cell)) + cell : cell + ' '.repeat(widths[c] - width(cell)))).join('  '))
    .map((line) => `${indent}${line.trimEnd()}\n`)
    .join('');
}
