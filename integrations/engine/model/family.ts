// Model families clipscope runs, told apart by config.json's model_type, with what differs between
// them in one place: the towers' output names, the tokenizer (see tokenizer.ts), the preprocessing
// (preprocess.ts reads size { height, width } as SigLIP's square resize) and where the logit scale
// and bias come from.
//
//   clip    OpenAI CLIP and its HF exports (model_type "clip"; also folders without model_type):
//           image_embeds / text_embeds; logits = scale · cos, scale from config.json or 100.
//   siglip  SigLIP and the fixed-resolution SigLIP 2 checkpoints (model_type "siglip"; SigLIP 2's
//           multilingual Gemma vocabulary included): pooler_output from both towers;
//           logits = scale · cos + bias with both trained values read from the weights
//           (logit-params.ts).
//   siglip2 SigLIP 2's NaFlex variant runs as family siglip (same towers' outputs, tokenizer and
//           logits); only its vision input differs — patches, an attention mask and spatial shapes
//           instead of one pixel tensor (isNaflex; preprocess.ts and load.ts).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClipscopeError, show } from '../errors.ts';
import type { ModelFamily } from '../../core/types.ts';
import { FAMILY_IO } from '../../core/model-io.ts';
import { logitParamsFromOnnx, logitParamsFromSafetensorsFile, type LogitParams } from './logit-params.ts';

export type { ModelFamily, LogitParams };
/** The towers' output names per family (core/model-io.ts). */
export { FAMILY_IO };

/** A model folder's family, from config.json's model_type. */
export function modelFamily(config: unknown, source: string): ModelFamily {
  const type = config && typeof config === 'object' && !Array.isArray(config) ? (config as Record<string, unknown>).model_type : undefined;
  if (type === undefined || type === null || type === 'clip') return 'clip';
  if (type === 'siglip' || type === NAFLEX_MODEL_TYPE) return 'siglip';
  throw new ClipscopeError(
    'model',
    `${source} has model_type ${show(type)}, which clipscope does not know`,
    'clipscope runs CLIP (model_type "clip"), SigLIP / SigLIP 2 (model_type "siglip") and SigLIP 2 NaFlex (model_type "siglip2") folders in the Hugging Face ONNX layout.',
  );
}

/** config.json's model_type of SigLIP 2's NaFlex variant. */
export const NAFLEX_MODEL_TYPE = 'siglip2';

/** Whether a folder's config.json is SigLIP 2 NaFlex's (its vision tower takes patches). */
export function isNaflex(config: unknown): boolean {
  return Boolean(config && typeof config === 'object' && !Array.isArray(config) && (config as Record<string, unknown>).model_type === NAFLEX_MODEL_TYPE);
}

/** The record `clipscope model fetch` writes into a folder (clipscope.json), as far as it matters here. */
export const FETCH_RECORD = 'clipscope.json';
/** The combined graph of the onnx-community layout, which holds SigLIP's two scalars. */
export const COMBINED_ONNX = 'onnx/model.onnx';
/** The original weights. */
export const SAFETENSORS = 'model.safetensors';

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * SigLIP's logit scale (exp applied) and bias, from the first of: clipscope.json's "logit" record
 * (written by `clipscope model fetch` from the repository's weights), onnx/model.onnx's
 * initialisers, model.safetensors. No values: an error saying how to get them — never a default,
 * since a wrong bias shifts every sigmoid probability.
 */
export async function siglipLogitParams(dir: string): Promise<LogitParams> {
  const record = await readFile(join(dir, FETCH_RECORD), 'utf8').then(
    (t) => JSON.parse(t) as Record<string, unknown>,
    () => null,
  );
  const logit = record && typeof record.logit === 'object' && record.logit !== null ? (record.logit as Record<string, unknown>) : null;
  if (logit && finite(logit.scale) && finite(logit.bias) && logit.scale > 0) {
    const from = typeof logit.source === 'string' ? ` (from ${logit.source})` : '';
    return { scale: logit.scale, bias: logit.bias, source: `${FETCH_RECORD}${from}` };
  }
  const tried: string[] = [];
  for (const [file, read] of [
    [COMBINED_ONNX, (f: string) => logitParamsFromOnnx(f)],
    [SAFETENSORS, (f: string) => logitParamsFromSafetensorsFile(f, f)],
  ] as const) {
    const path = join(dir, file);
    if (!(await stat(path).then((st) => st.isFile(), () => false))) continue;
    let found: { scale: number; bias: number } | null;
    try {
      found = await read(path);
    } catch (e) {
      if (e instanceof ClipscopeError) throw e;
      throw new ClipscopeError('model', `Could not read logit_scale and logit_bias from ${path}: ${(e as Error).message}`, 'Fetch the model again (`clipscope model fetch <repo-id>`).', { cause: e });
    }
    if (found && finite(found.scale) && found.scale > 0 && finite(found.bias)) return { ...found, source: file };
    tried.push(file);
  }
  throw new ClipscopeError(
    'model',
    `SigLIP model ${dir} has no logit_scale and logit_bias: they are trained values kept only in the weights, and ${tried.length > 0 ? `${tried.join(' and ')} hold${tried.length === 1 ? 's' : ''} none` : `the folder has neither ${COMBINED_ONNX} nor ${SAFETENSORS} nor a "logit" record in ${FETCH_RECORD}`}`,
    `Fetch the folder with \`clipscope model fetch <repo-id>\` (it records both values in ${FETCH_RECORD}), or put the repository's ${SAFETENSORS} or ${COMBINED_ONNX} into the folder.`,
  );
}
