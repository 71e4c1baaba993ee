// The demo's base model, as a hospital would start from one: a small GPT-2-architecture decoder
// (Radford et al. 2019) and a byte-level BPE vocabulary, both learned from public text only
// (public-corpus.ts), never from the clinics' notes. Built reproducibly from a seed and cached in a
// folder named by the hash of everything that shapes it, as a Hugging Face-style checkpoint
// (config.json, model.safetensors, vocab.json, merges.txt) that loadGpt2 and BpeTokenizer read.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { forkSeed, nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { AdamW, GptModel, loadGpt2, maskedLoss, selectRows, shuffle, tokenizeAndPack, writeSafetensorsFile, type BpeFiles, type GptConfig, type TokenBatch } from '@fedtune/client';
import { bpeTokenizerFrom, trainBpe } from './bpe-trainer.js';
import { generatePublicCorpus } from './public-corpus.js';

export interface BaseModelSpec {
  /** Public paragraphs generated for tokenizer and pretraining. */
  paragraphs: number;
  vocabSize: number;
  /** The GPT's shape; its vocabulary size comes from the tokenizer. */
  model: Omit<GptConfig, 'vocabSize' | 'layerNormEpsilon'>;
  steps: number;
  batchSize: number;
  learningRate: number;
  seed: string;
}

/**
 * The demo's base model, the same for the full and the quick run: 2 layers of width 96, 64-token
 * context, a 768-token vocabulary. A 4-layer width-128 one costs about 3.5 times as much per
 * token, and the full demo's rounds would not fit its 10 minutes on 2 cores.
 */
export const DEMO_BASE: Readonly<BaseModelSpec> = Object.freeze({
  paragraphs: 3000,
  vocabSize: 768,
  model: { contextLength: 64, nLayer: 2, nHead: 4, nEmbd: 96 },
  steps: 300,
  batchSize: 16,
  learningRate: 4e-3,
  seed: 'fedtune-demo-public-1',
});

/** Bumped when the generator or the training loop changes what a spec builds. */
const BUILD_VERSION = 3;

export interface BaseModelInfo {
  dir: string;
  /** Whether this call built it (false: read from the cache). */
  built: boolean;
  /** Seconds the build took (when this call built it, else as recorded by the build). */
  buildSeconds: number;
  /** Held-out public text's loss per token at the end of pretraining. */
  publicValidationLoss: number;
}

/** The cache folder's name for a spec. */
export function baseModelKey(spec: BaseModelSpec): string {
  return 'base-' + createHash('sha256').update(JSON.stringify({ v: BUILD_VERSION, ...spec })).digest('hex').slice(0, 16);
}

/**
 * Returns the cached base model for `spec` under `cacheDir`, building it first when absent.
 * `onProgress` sees (step, steps, loss) during a build.
 * @throws what training or the file system throws; a half-written build is never left as the cache.
 */
export async function ensureBaseModel(spec: BaseModelSpec, cacheDir: string, onProgress?: (step: number, steps: number, loss: number) => void): Promise<BaseModelInfo> {
  const dir = join(cacheDir, baseModelKey(spec));
  const recorded = await readFile(join(dir, 'build.json'), 'utf8').then((t) => JSON.parse(t) as { buildSeconds: number; publicValidationLoss: number }, () => null);
  if (recorded !== null) return { dir, built: false, buildSeconds: recorded.buildSeconds, publicValidationLoss: recorded.publicValidationLoss };
  const started = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const { files, model, validationLoss } = await pretrain(spec, onProgress);
    try {
      await writeFile(join(tmp, 'vocab.json'), JSON.stringify(files.vocab));
      await writeFile(join(tmp, 'merges.txt'), files.merges);
      const c = model.config;
      await writeFile(join(tmp, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: c.vocabSize, n_positions: c.contextLength, n_layer: c.nLayer, n_head: c.nHead, n_embd: c.nEmbd, layer_norm_epsilon: c.layerNormEpsilon }));
      const tensors = await Promise.all(model.baseVariables().map(async (v) => ({ name: v.name, shape: v.shape, data: (await v.variable.data()) as Float32Array })));
      await writeSafetensorsFile(join(tmp, 'model.safetensors'), tensors, { format: 'pt', source: 'fedtune demo base model, public text only' });
    } finally {
      model.dispose();
    }
    const buildSeconds = (performance.now() - started) / 1000;
    await writeFile(join(tmp, 'build.json'), JSON.stringify({ spec, buildSeconds, publicValidationLoss: validationLoss }, null, 2) + '\n');
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return { dir, built: true, buildSeconds, publicValidationLoss: validationLoss };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Reads a built base model's tokenizer. */
export async function loadBaseTokenizer(dir: string): Promise<ReturnType<typeof bpeTokenizerFrom>> {
  const files: BpeFiles = { vocab: JSON.parse(await readFile(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>, merges: await readFile(join(dir, 'merges.txt'), 'utf8') };
  return bpeTokenizerFrom(files);
}

/** Reads a built base model and its tokenizer. */
export async function loadBaseModel(dir: string): Promise<{ model: GptModel; tokenizer: ReturnType<typeof bpeTokenizerFrom> }> {
  return { model: await loadGpt2(dir), tokenizer: await loadBaseTokenizer(dir) };
}

async function pretrain(spec: BaseModelSpec, onProgress?: (step: number, steps: number, loss: number) => void): Promise<{ files: BpeFiles; model: GptModel; validationLoss: number }> {
  const random = seededRandom(nodeCryptoProvider, forkSeed(spec.seed, 'public-corpus'));
  const corpus = generatePublicCorpus(spec.paragraphs, random);
  const files = trainBpe(corpus, spec.vocabSize);
  const tokenizer = bpeTokenizerFrom(files);
  const config: GptConfig = { ...spec.model, vocabSize: tokenizer.vocabSize, layerNormEpsilon: 1e-5 };
  const held = Math.max(1, Math.floor(corpus.length / 50));
  const train = tokenizeAndPack(corpus.slice(held), tokenizer, config.contextLength, tokenizer.padId);
  const validation = tokenizeAndPack(corpus.slice(0, held), tokenizer, config.contextLength, tokenizer.padId);
  const model = GptModel.random(config, seededRandom(nodeCryptoProvider, forkSeed(spec.seed, 'init')));
  const order = seededRandom(nodeCryptoProvider, forkSeed(spec.seed, 'order'));
  const variables = model.baseVariables().map((v) => v.variable);
  const optimizer = new AdamW(variables, { learningRate: spec.learningRate, weightDecay: 0.01 });
  try {
    let rows: number[] = [];
    for (let step = 0; step < spec.steps; step++) {
      if (rows.length < spec.batchSize) rows = shuffle(Array.from({ length: train.rows }, (_, i) => i), order);
      const batch = selectRows(train, rows.splice(0, spec.batchSize));
      const { value, grads } = tf.variableGrads(() => maskedLoss(model, batch).loss, variables);
      const norm = optimizer.clipAndStep(variables.map((v) => grads[v.name]!), 1);
      const loss = (await value.data())[0]!;
      tf.dispose([value, norm, ...Object.values(grads)]);
      if (!Number.isFinite(loss)) throw new Error(`base model pretraining diverged at step ${step} (loss ${loss})`);
      onProgress?.(step + 1, spec.steps, loss);
    }
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
  return { files, model, validationLoss: meanLoss(model, validation) };
}

/** Token-weighted mean loss over a batch's rows, 32 rows at a time. */
export function meanLoss(model: GptModel, batch: TokenBatch): number {
  let sum = 0;
  let tokens = 0;
  for (let start = 0; start < batch.rows; start += 32) {
    const r = maskedLoss(model, selectRows(batch, Array.from({ length: Math.min(32, batch.rows - start) }, (_, i) => start + i)));
    sum += (r.loss.dataSync() as Float32Array)[0]! * r.tokens;
    tokens += r.tokens;
    r.loss.dispose();
  }
  return tokens === 0 ? NaN : sum / tokens;
}
