// LoRA: low-rank adapters on frozen weights, y = xW + b + (alpha/r) * dropout(x) A B
// (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models").
import type { RandomSource } from '@fedtune/shared';
import type { GptConfig } from './config.js';
import { normalArray } from './init.js';

export const LORA_TARGETS = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraConfig {
  rank: number;
  alpha: number;
  /** Dropout on the adapter input during training, in [0, 1). */
  dropout: number;
  targets: readonly LoraTarget[];
}

export const DEFAULT_LORA: Readonly<LoraConfig> = Object.freeze({ rank: 8, alpha: 16, dropout: 0.05, targets: ['attn.c_attn', 'attn.c_proj'] as LoraTarget[] });

/** @throws RangeError naming the bad field. */
export function validateLoraConfig(c: LoraConfig): LoraConfig {
  if (!Number.isSafeInteger(c.rank) || c.rank < 1 || c.rank > 4096) throw new RangeError(`LoraConfig.rank must be an integer in [1, 4096], got ${c.rank}`);
  if (!Number.isFinite(c.alpha) || c.alpha <= 0) throw new RangeError(`LoraConfig.alpha must be positive, got ${c.alpha}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`LoraConfig.dropout must be in [0, 1), got ${c.dropout}`);
  if (c.targets.length === 0) throw new RangeError('LoraConfig.targets must name at least one module');
  for (const t of c.targets) {
    if (!(LORA_TARGETS as readonly string[]).includes(t)) throw new RangeError(`LoraConfig.targets: unknown module ${JSON.stringify(t)}; expected ${LORA_TARGETS.join(', ')}`);
  }
  return c;
}

/** [in, out] of each target's Conv1D weight. */
export function targetShape(config: GptConfig, target: LoraTarget): [number, number] {
  const d = config.nEmbd;
  switch (target) {
    case 'attn.c_attn':
      return [d, 3 * d];
    case 'attn.c_proj':
      return [d, d];
    case 'mlp.c_fc':
      return [d, 4 * d];
    case 'mlp.c_proj':
      return [4 * d, d];
  }
}

/** Adapter names and shapes in federated order: per layer, per target, A then B. */
export function loraParameterShapes(config: GptConfig, lora: LoraConfig): [string, number[]][] {
  const out: [string, number[]][] = [];
  for (let i = 0; i < config.nLayer; i++) {
    for (const t of lora.targets) {
      const [fanIn, fanOut] = targetShape(config, t);
      out.push([`h.${i}.${t}.lora_A`, [fanIn, lora.rank]], [`h.${i}.${t}.lora_B`, [lora.rank, fanOut]]);
    }
  }
  return out;
}

/** Fresh adapters: A Gaussian with std 1/sqrt(in), B zero, so the adapted model starts equal to the base. */
export function initLoraWeights(config: GptConfig, lora: LoraConfig, random: RandomSource): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of loraParameterShapes(config, lora)) {
    const [fanIn, fanOut] = shape as [number, number];
    out.set(name, name.endsWith('lora_A') ? normalArray(random, fanIn * fanOut, 1 / Math.sqrt(fanIn)) : new Float32Array(fanIn * fanOut));
  }
  return out;
}

export function loraScale(lora: LoraConfig): number {
  return lora.alpha / lora.rank;
}
