// Choosing the next token from logits: greedy, temperature, top-k and nucleus (top-p) sampling
// (Holtzman et al. 2020), with randomness from a RandomSource.
import type { RandomSource } from '@fedtune/shared';

export interface SamplingOptions {
  /** 0 (or greedy) picks the arg-max. Default 1. */
  temperature?: number;
  /** Keep the k most likely tokens (0 or undefined: all). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 or undefined: all). */
  topP?: number;
  greedy?: boolean;
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

/** @throws RangeError on a negative temperature, a topK below 0 or a topP outside (0, 1]. */
export function checkSampling(o: SamplingOptions): void {
  if (o.temperature !== undefined && !(o.temperature >= 0 && Number.isFinite(o.temperature))) throw new RangeError(`temperature must be finite and >= 0, got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isSafeInteger(o.topK) && o.topK >= 0)) throw new RangeError(`topK must be a non-negative integer, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${o.topP}`);
}

/** Picks a token id from one position's logits. */
export function sampleToken(logits: Float32Array, options: SamplingOptions, random: RandomSource | undefined): number {
  const temperature = options.temperature ?? 1;
  if (options.greedy === true || temperature === 0) return argmax(logits);
  if (random === undefined) throw new TypeError('sampleToken: sampling with temperature > 0 needs a RandomSource');
  let order = Array.from(logits.keys()).sort((a, b) => (logits[b] as number) - (logits[a] as number));
  if (options.topK !== undefined && options.topK > 0) order = order.slice(0, options.topK);
  const top = logits[order[0]!] as number;
  let probs = order.map((i) => Math.exp(((logits[i] as number) - top) / temperature));
  let total = probs.reduce((a, b) => a + b, 0);
  if (options.topP !== undefined && options.topP < 1) {
    let cum = 0;
    let keep = 0;
    while (keep < probs.length && cum < options.topP * total) cum += probs[keep++] as number;
    order = order.slice(0, Math.max(keep, 1));
    probs = probs.slice(0, Math.max(keep, 1));
    total = probs.reduce((a, b) => a + b, 0);
  }
  let u = random.float() * total;
  for (let j = 0; j < order.length; j++) {
    u -= probs[j] as number;
    if (u < 0) return order[j] as number;
  }
  return order[order.length - 1] as number;
}
