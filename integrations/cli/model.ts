// `clipscope model fetch <repo-id>`: thin glue over engine/model/fetch.ts. Reads HF_ENDPOINT and
// HF_TOKEN from the environment, prints progress on stderr and a summary on stdout.
import type { Command } from 'commander';
import { formatBytes } from '../core/format.ts';
import { fetchModel, hubFromEnv, progressPrinter } from '../engine/model/fetch.ts';

interface FetchFlags {
  dest: string;
  name?: string;
  revision: string;
  quantized?: boolean;
}

export function register(program: Command): void {
  const model = program.command('model').description('Manage model folders.');
  model
    .command('fetch')
    .description('Download a CLIP model in the Hugging Face ONNX layout (e.g. Xenova/clip-vit-base-patch32) into <dest>/<name>/.')
    .argument('<repo-id>', 'Hugging Face repository id, owner/name')
    .option('--dest <dir>', 'folder the model folder is created in', 'models')
    .option('--name <name>', 'model folder name (default: the last part of the repo id)')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--quantized', 'fetch the int8 onnx/*_quantized.onnx graphs (run them with --variant quantized)')
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
        ...hubFromEnv(process.env),
        onProgress: progressPrinter(stderr),
        log,
      });
      const downloaded = result.files.filter((f) => f.downloaded);
      const bytes = downloaded.reduce((s, f) => s + f.size, 0);
      stdout.write(`Fetched ${result.repo} (${result.variant}) into ${result.dir}: ${downloaded.length} files downloaded (${formatBytes(bytes)}), ${result.files.length - downloaded.length} already complete.\n`);
      if (result.variant === 'quantized') stdout.write(`Run it with --model ${result.dir} --variant quantized.\n`);
      else stdout.write(`Run it with --model ${result.dir}.\n`);
    });
}
