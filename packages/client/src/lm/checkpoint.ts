// Loading GPT-2 from a local Hugging Face folder (config.json + model.safetensors; Conv1D weights
// stored [in, out]) and saving/loading LoRA adapters as safetensors. Nothing is downloaded.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RandomSource } from '@fedtune/shared';
import { FedtuneError } from '@fedtune/shared';
import { gptParameterShapes, validateGptConfig, type GptConfig } from './config.js';
import { LORA_TARGETS, validateLoraConfig, type LoraConfig, type LoraTarget } from './lora.js';
import { GptModel } from './model.js';
import { readSafetensorsFile, writeSafetensorsFile } from './safetensors.js';

/**
 * Maps a Hugging Face GPT-2 config.json to ours.
 * @throws RangeError on missing or out-of-range fields.
 */
export function configFromHuggingFace(json: unknown): GptConfig {
  if (typeof json !== 'object' || json === null) throw new RangeError('config.json is not an object');
  const j = json as Record<string, unknown>;
  const num = (k: string, fallback?: number): number => {
    const v = j[k] ?? fallback;
    if (typeof v !== 'number') throw new RangeError(`config.json: ${k} is missing or not a number`);
    return v;
  };
  return validateGptConfig({
    vocabSize: num('vocab_size'),
    contextLength: num('n_positions', typeof j['n_ctx'] === 'number' ? j['n_ctx'] : undefined),
    nLayer: num('n_layer'),
    nHead: num('n_head'),
    nEmbd: num('n_embd'),
    layerNormEpsilon: num('layer_norm_epsilon', 1e-5),
  });
}

/**
 * Loads GPT-2 weights from `dir`: names may carry a "transformer." prefix; the attention-mask
 * buffers and the tied lm_head are ignored.
 * @throws FedtuneError FT_ERR_MALFORMED on a bad file; RangeError on missing or misshapen weights.
 */
export async function loadGpt2(dir: string): Promise<GptModel> {
  const config = configFromHuggingFace(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
  const wanted = new Map(gptParameterShapes(config));
  const strip = (name: string): string => (name.startsWith('transformer.') ? name.slice('transformer.'.length) : name);
  const file = await readSafetensorsFile(join(dir, 'model.safetensors'), (name) => wanted.has(strip(name)));
  const weights = new Map<string, Float32Array>();
  for (const [name, t] of file.tensors) {
    const key = strip(name);
    const shape = wanted.get(key)!;
    if (t.shape.join() !== shape.join()) throw new RangeError(`model.safetensors: ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    weights.set(key, t.data);
  }
  return GptModel.fromWeights(config, weights);
}

/** Writes the model's adapters with their LoRA config in the metadata. */
export async function saveLora(model: GptModel, path: string): Promise<void> {
  const lora = model.lora;
  if (lora === undefined) throw new Error('saveLora: the model has no adapters');
  const tensors = await Promise.all(model.loraVariables().map(async (v) => ({ name: v.name, shape: v.shape, data: (await v.variable.data()) as Float32Array })));
  await writeSafetensorsFile(path, tensors, {
    format: 'fedtune-lora',
    rank: String(lora.rank),
    alpha: String(lora.alpha),
    dropout: String(lora.dropout),
    targets: lora.targets.join(','),
  });
}

/**
 * Adds adapters saved by saveLora to a model of the same architecture.
 * @throws FedtuneError FT_ERR_MALFORMED when the metadata is not a fedtune LoRA file.
 */
export async function loadLora(model: GptModel, path: string, random: RandomSource): Promise<LoraConfig> {
  const file = await readSafetensorsFile(path);
  const m = file.metadata;
  if (m['format'] !== 'fedtune-lora') throw new FedtuneError('FT_ERR_MALFORMED', `${path} is not a fedtune LoRA file`);
  const targets = (m['targets'] ?? '').split(',').filter((t): t is LoraTarget => (LORA_TARGETS as readonly string[]).includes(t));
  const lora = validateLoraConfig({ rank: Number(m['rank']), alpha: Number(m['alpha']), dropout: Number(m['dropout']), targets });
  model.addLora(lora, random, new Map([...file.tensors].map(([k, t]) => [k, t.data])));
  return lora;
}
