// Causal language models: GPT-2 decoder with LoRA, checkpoints, tokenizers, generation, training.
export { GPT2_SMALL, tinyGptConfig, validateGptConfig, gptParameterShapes, type GptConfig } from './config.js';
export { GptModel, disposeCache, type KvCache, type ForwardOptions, type ForwardResult, type NamedVariable } from './model.js';
export { initGptWeights, normalArray } from './init.js';
export { DEFAULT_LORA, LORA_TARGETS, initLoraWeights, loraParameterShapes, loraScale, validateLoraConfig, type LoraConfig, type LoraTarget } from './lora.js';
export { MAX_HEADER_BYTES, parseSafetensors, serializeSafetensors, readSafetensorsFile, writeSafetensorsFile, halfToFloat, type SafeTensor, type SafetensorsDtype, type SafetensorsFile, type TensorToWrite } from './safetensors.js';
export { configFromHuggingFace, loadGpt2, loadLora, saveLora } from './checkpoint.js';
export { ByteTokenizer, type Tokenizer, type EncodeOptions } from './tokenizer.js';
export { BpeTokenizer, PRETOKENIZE, bytesToUnicode, type BpeFiles } from './bpe-tokenizer.js';
export { bpeFilesFromRanks } from './bpe-ranks.js';
export { argmax, sampleToken, type SamplingOptions } from './sampling.js';
export { generate, generateText, type GenerateOptions, type GenerateResult, type GenerateTextOptions } from './generate.js';
export { IGNORE_LABEL, maskedLoss, type TokenBatch } from './loss.js';
export { AdamW, clipByGlobalNorm, type AdamWOptions } from './adamw.js';
export { loadJsonl, loadTextDocuments, packDocuments, packPromptCompletions, parseJsonl, selectRows, shuffle, splitTrainValidation, tokenizeAndPack } from './text-data.js';
export { CausalLmTrainer, LM_TRAIN_DEFAULTS, createCausalLmTrainer, federatedVariables, type CausalLmTrainerOptions } from './causal-lm-trainer.js';
export * from './dp-causal-lm-trainer.js';
export { geluTanh, layerNorm } from './fused-ops.js';
export { trainingFlopsPerToken } from './flops.js';
