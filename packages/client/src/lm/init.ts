// Weight initialisation from a RandomSource: GPT-2's N(0, 0.02) with residual projections scaled
// by 1/sqrt(2 * nLayer) (Radford et al. 2019, section 2.3).
import type { RandomSource } from '@fedtune/shared';
import { gptParameterShapes, type GptConfig } from './config.js';

/** n draws from N(0, std^2) by Box-Muller over bulk random bytes (fast enough for 124M weights). */
export function normalArray(random: RandomSource, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  const chunk = 1 << 16;
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    const pairs = Math.ceil(count / 2);
    const words = new Uint32Array(random.bytes(pairs * 8).buffer);
    for (let j = 0; j < pairs; j++) {
      // (w + 1) / 2^32 lies in (0, 1], so the log is finite.
      const u1 = ((words[2 * j] as number) + 1) / 4294967296;
      const u2 = (words[2 * j + 1] as number) / 4294967296;
      const r = Math.sqrt(-2 * Math.log(u1)) * std;
      const i = start + 2 * j;
      out[i] = r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < start + count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
  }
  return out;
}

/** Fresh GPT-2 weights by name. LayerNorm gains are 1, biases 0. */
export function initGptWeights(config: GptConfig, random: RandomSource): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  const residualStd = 0.02 / Math.sqrt(2 * config.nLayer);
  for (const [name, shape] of gptParameterShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith('.bias')) weights.set(name, new Float32Array(n));
    else if (/ln_[12f]\.weight$/.test(name)) weights.set(name, new Float32Array(n).fill(1));
    else weights.set(name, normalArray(random, n, name.endsWith('c_proj.weight') ? residualStd : 0.02));
  }
  return weights;
}
