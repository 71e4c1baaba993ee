// Trained language models as files a node (or the coordinator's export) writes and `generate`
// reads: LoRA adapters in the `fedtune-lora` format loadLora reads, with the base they adapt named
// in the metadata; or a whole model (`fedtune-gpt`: every weight, its GptConfig and tokenizer in
// the metadata). A base is a Hugging Face GPT-2 folder or such a whole-model file.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FedtuneError, type RandomSource } from '@fedtune/shared';
import { BpeTokenizer } from './bpe-tokenizer.js';
import { loadGpt2, loadLora } from './checkpoint.js';
import { validateGptConfig, type GptConfig } from './config.js';
import { GptModel } from './model.js';
import { readSafetensorsFile } from './safetensors.js';
import { ByteTokenizer, type Tokenizer } from './tokenizer.js';

/** The metadata of a whole-model file for a byte-tokenized GPT (gpt-tiny). */
export function wholeModelInfo(config: GptConfig, tokenizer: 'byte' | 'bpe'): Record<string, string> {
  return { format: 'fedtune-gpt', gpt: JSON.stringify(config), tokenizer };
}

/** SHA-256 (hex) of a file, streamed. */
async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The metadata of adapters over the base in `baseDir`: what loadLora needs, plus the base's name and hash. */
export async function loraInfo(model: GptModel, baseDir: string): Promise<Record<string, string>> {
  const lora = model.lora;
  if (lora === undefined) throw new RangeError('loraInfo: the model has no adapters');
  const weights = join(baseDir, 'model.safetensors');
  return {
    format: 'fedtune-lora',
    rank: String(lora.rank),
    alpha: String(lora.alpha),
    dropout: String(lora.dropout),
    targets: lora.targets.join(','),
    base: basename(baseDir.replace(/\/+$/, '')),
    ...(existsSync(weights) ? { baseSha256: await fileSha256(weights) } : {}),
  };
}

export interface GenerationModel {
  model: GptModel;
  tokenizer: Tokenizer;
  /** What was loaded, for the command's log. */
  description: string;
}

/**
 * Loads a model to generate with: `base` a GPT-2 folder or a whole-model file; `adapters` a
 * fedtune-lora file over that base; `tokenizerDir` a folder with vocab.json + merges.txt when the
 * base does not say (default: the base folder's, else bytes).
 * @throws FedtuneError FT_ERR_CONFIG naming what is missing or does not fit.
 */
export async function loadGenerationModel(o: { base: string; adapters?: string; tokenizerDir?: string; random: RandomSource }): Promise<GenerationModel> {
  let model: GptModel;
  let tokenizerKind: 'byte' | 'bpe' = 'byte';
  let isDir: boolean;
  try {
    isDir = statSync(o.base).isDirectory();
  } catch (err) {
    throw new FedtuneError('FT_ERR_CONFIG', `--base ${o.base}: ${(err as Error).message}`);
  }
  if (isDir) {
    model = await loadGpt2(o.base).catch((err: Error) => Promise.reject(new FedtuneError('FT_ERR_CONFIG', `--base ${o.base}: ${err.message}`)));
    tokenizerKind = existsSync(join(o.base, 'vocab.json')) ? 'bpe' : 'byte';
  } else {
    const file = await readSafetensorsFile(o.base);
    const m = file.metadata;
    if (m['format'] !== 'fedtune-gpt' || m['gpt'] === undefined) {
      throw new FedtuneError('FT_ERR_CONFIG', `--base ${o.base} is not a whole model (format ${JSON.stringify(m['format'] ?? 'none')}); give a GPT-2 folder, or a file from join --save / export of a gpt-tiny run${m['format'] === 'fedtune-lora' ? ' (this file holds adapters: pass it as --adapters)' : ''}`);
    }
    let config: GptConfig;
    try {
      config = validateGptConfig(JSON.parse(m['gpt']) as GptConfig);
    } catch (err) {
      throw new FedtuneError('FT_ERR_CONFIG', `--base ${o.base}: bad gpt config in the metadata: ${(err as Error).message}`);
    }
    try {
      model = GptModel.fromWeights(config, new Map([...file.tensors].map(([k, t]) => [k, t.data])));
    } catch (err) {
      throw new FedtuneError('FT_ERR_CONFIG', `--base ${o.base}: ${(err as Error).message}`);
    }
    tokenizerKind = m['tokenizer'] === 'bpe' ? 'bpe' : 'byte';
  }
  const tokDir = o.tokenizerDir ?? (isDir ? o.base : undefined);
  let tokenizer: Tokenizer;
  if (tokenizerKind === 'bpe' || o.tokenizerDir !== undefined) {
    if (tokDir === undefined) throw new FedtuneError('FT_ERR_CONFIG', `${o.base} was trained with a BPE tokenizer: give its folder (vocab.json, merges.txt) with --tokenizer DIR`);
    tokenizer = await BpeTokenizer.fromFolder(tokDir).catch((err: Error) => Promise.reject(new FedtuneError('FT_ERR_CONFIG', `--tokenizer ${tokDir}: ${err.message}`)));
  } else {
    tokenizer = new ByteTokenizer();
  }
  if (tokenizer.vocabSize > model.config.vocabSize) throw new FedtuneError('FT_ERR_CONFIG', `the tokenizer has ${tokenizer.vocabSize} tokens, the model's vocabulary ${model.config.vocabSize}`);
  let description = `${isDir ? 'GPT-2 folder' : 'whole model'} ${o.base} (${model.config.nLayer} layers, d ${model.config.nEmbd})`;
  if (o.adapters !== undefined) {
    const lora = await loadLora(model, o.adapters, o.random).catch((err: Error) =>
      Promise.reject(err instanceof FedtuneError && err.code !== 'FT_ERR_MALFORMED' ? err : new FedtuneError('FT_ERR_CONFIG', `--adapters ${o.adapters}: ${err.message}`)),
    );
    description += ` + LoRA rank ${lora.rank} on ${lora.targets.join(', ')} from ${o.adapters}`;
  }
  return { model, tokenizer, description };
}
