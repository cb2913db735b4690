// The files of a clipscope model folder — the Hugging Face ONNX layout of the Xenova/clip-vit-*
// exports — in one place, for the loader (what must be there), the Hub download (what to fetch) and
// the CLI (which variants a folder has):
//
//   config.json  preprocessor_config.json  tokenizer.json  tokenizer_config.json
//   onnx/vision_model.onnx  onnx/text_model.onnx        (variant "fp32")
//   onnx/vision_model_quantized.onnx  onnx/text_model_quantized.onnx   (variant "quantized")

export type ModelVariant = 'fp32' | 'quantized';

/** The JSON files every model folder has, whatever the variant. */
export const CONFIG_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;

/** The two ONNX graphs of a variant. */
export function onnxFiles(variant: ModelVariant): { vision: string; text: string } {
  const suffix = variant === 'quantized' ? '_quantized' : '';
  return { vision: `onnx/vision_model${suffix}.onnx`, text: `onnx/text_model${suffix}.onnx` };
}

/** Every file of a variant's folder: the ones the loader needs, and the ones that belong with them
 * when the source has them (external weights of graphs over 2 GB, the tokenizer's special tokens). */
export function modelFolderFiles(variant: ModelVariant): { required: string[]; optional: string[] } {
  const { vision, text } = onnxFiles(variant);
  return {
    required: [...CONFIG_FILES, vision, text],
    optional: ['special_tokens_map.json', `${vision}_data`, `${text}_data`],
  };
}
