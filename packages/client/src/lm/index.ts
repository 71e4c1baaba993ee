// Causal language models: GPT-2 decoder with LoRA, checkpoints, tokenizers, generation, training.
export { GPT2_SMALL, tinyGptConfig, validateGptConfig, gptParameterShapes, type GptConfig } from './config.js';
export { GptModel, disposeCache, geluTanh, type KvCache, type ForwardOptions, type ForwardResult, type NamedVariable } from './model.js';
export { initGptWeights, normalArray } from './init.js';
export { DEFAULT_LORA, LORA_TARGETS, initLoraWeights, loraParameterShapes, loraScale, validateLoraConfig, type LoraConfig, type LoraTarget } from './lora.js';
export { MAX_HEADER_BYTES, parseSafetensors, serializeSafetensors, readSafetensorsFile, writeSafetensorsFile, halfToFloat, type SafeTensor, type SafetensorsDtype, type SafetensorsFile, type TensorToWrite } from './safetensors.js';
export { configFromHuggingFace, loadGpt2, loadLora, saveLora } from './checkpoint.js';
export { ByteTokenizer, type Tokenizer, type EncodeOptions } from './tokenizer.js';
export { BpeTokenizer, bytesToUnicode, type BpeFiles } from './bpe-tokenizer.js';
export { argmax, sampleToken, type SamplingOptions } from './sampling.js';
export { generate, generateText, type GenerateOptions, type GenerateResult, type GenerateTextOptions } from './generate.js';
export { IGNORE_LABEL, maskedLoss, type TokenBatch } from './loss.js';
export { AdamW, clipByGlobalNorm, type AdamWOptions } from './adamw.js';
export { loadJsonl, loadTextDocuments, packDocuments, packPromptCompletions, parseJsonl, selectRows, splitTrainValidation, tokenizeAndPack } from './text-data.js';
export { CausalLmTrainer, LM_TRAIN_DEFAULTS, createCausalLmTrainer, type CausalLmTrainerOptions } from './causal-lm-trainer.js';
export * from './dp-causal-lm-trainer.js';
export { bannedNextTokens, blockRepeats } from './no-repeat-ngram.js';
export { loadGenerationModel, loraInfo, wholeModelInfo, type GenerationModel } from './saved-model.js';
