// Ensures the model folders the build and the tests need exist and are current: each named folder
// in models/ is generated when missing or when its `.generator.json` does not match the current
// generator (sources, version, seed). Safe when two processes run it at once (vitest's global setup
// and a build): each generates into a temporary folder and the first to finish wins.
//
// As a script (`npm run build` runs it) it prepares demo-colors, the model the demo report uses.

import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ClipscopeError } from '../integrations/engine/errors.ts';
import { DEFAULT_MODELS_DIR, expectedGenerator, generateModel, isCurrentFolder, isModelName, MODEL_NAMES, removeAbandonedTemps } from './generate-models.ts';

export interface PrepareOptions {
  models: string[];
  log: (msg: string) => void;
  /** Where model folders live; the repository's models/ by default. */
  modelsDir?: string;
}

export async function prepareModels({ models, log, modelsDir = DEFAULT_MODELS_DIR }: PrepareOptions): Promise<void> {
  await removeAbandonedTemps(modelsDir);
  for (const name of models) {
    if (!isModelName(name)) {
      throw new ClipscopeError('model', `there is no generator for model ${JSON.stringify(name)}`, `generated models are: ${MODEL_NAMES.join(', ')}`);
    }
    const expected = await expectedGenerator(name);
    const isCurrent = (dir: string) => isCurrentFolder(dir, expected);
    if (await isCurrent(join(modelsDir, name))) {
      log(`${name}: up to date`);
      continue;
    }
    await generateModel(name, modelsDir, { log, isCurrent });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  prepareModels({ models: ['demo-colors'], log: (m) => console.log(m) }).catch((err: unknown) => {
    console.error(err instanceof ClipscopeError ? err.describe() : err);
    process.exitCode = 1;
  });
}
