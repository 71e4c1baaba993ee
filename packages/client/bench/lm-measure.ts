// Measurements the LM benchmark repeats: training throughput of a GPT on the active backend, a
// kernel-time profile of one step, and greedy generation.
import * as tf from '@tensorflow/tfjs';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { createCausalLmTrainer, type CausalLmTrainer } from '../src/lm/causal-lm-trainer.js';
import type { GptConfig } from '../src/lm/config.js';
import { generate } from '../src/lm/generate.js';
import { GptModel } from '../src/lm/model.js';

export const BATCH = 8;

/** A trainer on random token rows (enough for `steps` batches), warmed up by one step. */
export async function warmTrainer(config: GptConfig, steps: number, backend: string): Promise<CausalLmTrainer> {
  const r = seededRandom(nodeCryptoProvider, 'lm-bench');
  const seqLen = config.contextLength;
  const rows = BATCH * (steps + 1);
  const inputs = Int32Array.from({ length: rows * seqLen }, () => r.int(256));
  const data = { inputs, labels: inputs.map((_, i) => inputs[(i + 1) % inputs.length] as number), rows, seqLen };
  const trainer = await createCausalLmTrainer({ model: GptModel.random(config, r), train: data, validation: data, random: r, backend });
  // Warm-up: wasm and shader compilation, XNNPACK operator caches, allocator growth.
  await trainer.fit({ batchSize: BATCH, maxSteps: 1 });
  return trainer;
}

/** Trained tokens per second over `steps` AdamW steps of BATCH full rows. */
export async function trainTokensPerSecond(trainer: CausalLmTrainer, steps: number): Promise<number> {
  const t0 = performance.now();
  await trainer.fit({ batchSize: BATCH, maxSteps: steps });
  return (steps * BATCH * trainer.model.config.contextLength) / ((performance.now() - t0) / 1000);
}

export interface StepProfile {
  /** Wall time of one step, unprofiled. */
  stepMs: number;
  /** Wall time of the profiled step (profiling adds to each kernel call). */
  profiledMs: number;
  /** Kernel time by kind, from tf.profile of that step. */
  matmulMs: number;
  otherKernelMs: number;
  kernels: number;
}

/**
 * Where one training step's time goes: matmul kernels, other kernels, and the rest of the
 * profiled step (JavaScript: tfjs's engine, the tape, the trainer). Scopes (custom gradients'
 * forward functions, composite ops) are left out: the kernels inside them are listed too.
 */
export async function profileStep(trainer: CausalLmTrainer): Promise<StepProfile> {
  const t0 = performance.now();
  await trainer.fit({ batchSize: BATCH, maxSteps: 1 });
  const stepMs = performance.now() - t0;
  const t1 = performance.now();
  const info = await tf.profile(async () => {
    await trainer.fit({ batchSize: BATCH, maxSteps: 1 });
  });
  const profiledMs = performance.now() - t1;
  let matmulMs = 0;
  let otherKernelMs = 0;
  let kernels = 0;
  for (const k of info.kernels) {
    if (tf.getKernel(k.name, tf.getBackend()) === undefined) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    kernels++;
    if (k.name === 'BatchMatMul' || k.name === '_FusedMatMul') matmulMs += ms;
    else otherKernelMs += ms;
  }
  return { stepMs, profiledMs, matmulMs, otherKernelMs, kernels };
}

/** Greedy generation with the KV cache, tokens per second, batch 1. */
export async function generateTokensPerSecond(trainer: CausalLmTrainer, newTokens: number): Promise<number> {
  await generate(trainer.model, [1, 2, 3, 4], { maxNewTokens: 2, greedy: true });
  const t0 = performance.now();
  const out = await generate(trainer.model, [1, 2, 3, 4], { maxNewTokens: newTokens, greedy: true });
  return out.tokens.length / ((performance.now() - t0) / 1000);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}
