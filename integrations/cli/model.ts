// `clipscope model fetch <repo-id>`: thin glue over engine/model/fetch.ts. Reads HF_ENDPOINT and
// HF_TOKEN from the environment, draws the engine's progress reports on stderr and prints a summary
// on stdout.
import type { Command } from 'commander';
import { formatBytes } from '../core/format.ts';
import { KNOWN_MODELS, knownModelsTable, readSpeeds } from '../engine/model/known-models.ts';
import { MODEL_VARIANTS } from '../engine/model/layout.ts';
import { DEFAULT_FETCH_RETRIES, DEFAULT_FETCH_TIMEOUT_SECONDS, fetchModel, hubFromEnv, type DownloadProgress } from '../engine/model/fetch.ts';

interface FetchFlags {
  dest: string;
  name?: string;
  revision: string;
  quantized?: boolean;
  variant?: string;
  timeout?: string;
  retries?: string;
}

/** "onnx/vision_model.onnx  12.3 MB / 351.5 MB  3.5%  8.1 MB/s" */
export function formatProgress(p: DownloadProgress): string {
  const percent = p.total > 0 ? (100 * p.received) / p.total : 100;
  return `${p.path}  ${formatBytes(p.received)} / ${formatBytes(p.total)}  ${percent.toFixed(1)}%  ${formatBytes(Math.round(p.bytesPerSecond))}/s`;
}

/**
 * A progress printer for a stream such as stderr: on a terminal one line per file, redrawn at most
 * every `intervalMs`; elsewhere (logs, CI) a line at 0, 25, 50 and 75% and one at the end.
 */
export function progressPrinter(out: { write(s: string): unknown; isTTY?: boolean }, intervalMs = 200): (p: DownloadProgress) => void {
  let lastPath = '';
  let lastTime = 0;
  let lastQuarter = -1;
  return (p) => {
    if (p.path !== lastPath) {
      lastPath = p.path;
      lastTime = 0;
      lastQuarter = -1;
    }
    if (out.isTTY) {
      const now = performance.now();
      if (!p.done && now - lastTime < intervalMs) return;
      lastTime = now;
      out.write(`\r\x1b[K${formatProgress(p)}${p.done ? '\n' : ''}`);
      return;
    }
    if (p.done) {
      out.write(`${formatProgress(p)}\n`);
      return;
    }
    const quarter = p.total > 0 ? Math.min(3, Math.floor((4 * p.received) / p.total)) : 0;
    if (quarter > lastQuarter) {
      lastQuarter = quarter;
      out.write(`${formatProgress(p)}\n`);
    }
  };
}

export function register(program: Command): void {
  const model = program.command('model').description('Manage model folders.');
  model
    .command('list')
    .description('List Hub repositories known to work with clipscope: family, languages, image size, licence, and vision-tower images/s measured here.')
    .option('--json', 'print the list as JSON')
    .action((flags: { json?: boolean }) => {
      const speeds = readSpeeds();
      const json = KNOWN_MODELS.map((m) => ({ ...m, imagesPerSecond: { fp32: speeds?.models[m.repo]?.fp32?.imagesPerSecond ?? null, quantized: speeds?.models[m.repo]?.quantized?.imagesPerSecond ?? null } }));
      process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : `${knownModelsTable(KNOWN_MODELS, speeds)}\nFetch one with: clipscope model fetch <repository> [--variant quantized]\n`);
    });
  model
    .command('fetch')
    .description('Download a CLIP model in the Hugging Face ONNX layout (e.g. Xenova/clip-vit-base-patch32) into <dest>/<name>/.')
    .argument('<repo-id>', 'Hugging Face repository id, owner/name')
    .option('--dest <dir>', 'folder the model folder is created in', 'models')
    .option('--name <name>', 'model folder name (default: the last part of the repo id)')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--variant <variant>', `the graphs to fetch: ${MODEL_VARIANTS.join(', ')} (default fp32; run them with the same --variant)`)
    .option('--quantized', 'the same as --variant quantized (the int8 onnx/*_quantized.onnx graphs)')
    .option('--timeout <seconds>', `give a request up after this many seconds without data, then resume it (default ${DEFAULT_FETCH_TIMEOUT_SECONDS})`)
    .option('--retries <n>', `transfers of a file after a failed one, 0 for none (default ${DEFAULT_FETCH_RETRIES})`)
    .addHelpText('after', '\nEnvironment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (gated or private repositories).\nAn interrupted download resumes when the same command runs again.')
    .action(async (repo: string, flags: FetchFlags) => {
      const { stderr, stdout } = process;
      const log = (line: string) => stderr.write(`${stderr.isTTY ? '\r\x1b[K' : ''}${line}\n`);
      const result = await fetchModel({
        repo,
        dest: flags.dest,
        name: flags.name,
        revision: flags.revision,
        quantized: flags.quantized ?? false,
        variant: flags.variant,
        timeout: flags.timeout,
        retries: flags.retries,
        ...hubFromEnv(process.env),
        onProgress: progressPrinter(stderr),
        log,
      });
      const downloaded = result.files.filter((f) => f.downloaded);
      const bytes = downloaded.reduce((s, f) => s + f.size, 0);
      stdout.write(`Fetched ${result.repo} (${result.variant}) into ${result.dir}: ${downloaded.length} files downloaded (${formatBytes(bytes)}), ${result.files.length - downloaded.length} already complete.\n`);
      stdout.write(`Run it with --model ${result.dir}${result.variant === 'fp32' ? '' : ` --variant ${result.variant}`}.\n`);
    });
}
