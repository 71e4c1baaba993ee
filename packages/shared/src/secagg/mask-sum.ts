// Adding a signed sum of PRG masks to a vector range, the one hot loop of both ends of SecAgg
// (Bonawitz et al. 2017 §4): a node computes y = x + PRG(b_u) + sum_v ±PRG(s_u,v) (round 2) and
// the coordinator removes the masks left in the sum (round 4). Work goes block by block: each
// mask's AES-256-CTR keystream for one block (128 KiB, so it stays in cache) is added or subtracted
// into the block with the WebAssembly SIMD accumulator, and the block is reduced mod 2^b once.
import type { CryptoProvider } from '../crypto/provider.js';
import { assertBits, assertInt, assertU32Array } from './assert.js';
import { type MaskKey, maskWords } from './prg.js';
import { RingAccumulator } from './ring-accumulator.js';

/** One mask to apply: target += sign * PRG(key). Plain data, so it can be posted to a worker. */
export interface SignedMask {
  readonly key: MaskKey;
  readonly sign: 1 | -1;
}

/** Words per keystream request: 128 KiB, where Node's AES-CTR ran fastest here (docs/BENCHMARKS.md). */
const BLOCK = 32_768;

/**
 * target[i] = target[i] + sum over masks of sign * PRG(key)[start + i], mod 2^bits, in place.
 * @throws TypeError / RangeError for a bad mask, target, start or bits.
 */
export function applyMasks(crypto: CryptoProvider, masks: readonly SignedMask[], target: Uint32Array, start: number, bits: number): Uint32Array {
  if (!Array.isArray(masks)) throw new TypeError('masks must be an array');
  for (const m of masks) if (typeof m !== 'object' || m === null || (m.sign !== 1 && m.sign !== -1)) throw new TypeError('each mask needs a key and a sign of 1 or -1');
  assertU32Array('target', target);
  assertInt('start', start, 0, 2 ** 40);
  assertBits('bits', bits);
  if (target.length === 0) return target;
  const size = Math.min(BLOCK, target.length);
  const acc = new RingAccumulator(size, size);
  const mask = bits === 32 ? -1 : 2 ** bits - 1;
  for (let off = 0; off < target.length; off += BLOCK) {
    const len = Math.min(BLOCK, target.length - off);
    const block = acc.sum.subarray(0, len);
    block.set(target.subarray(off, off + len));
    for (const m of masks) {
      const words = maskWords(crypto, m.key, start + off, len);
      if (m.sign === 1) acc.add(words, 0);
      else acc.subtract(words, 0);
    }
    if (bits === 32) target.set(block, off);
    else for (let i = 0; i < len; i++) target[off + i] = block[i]! & mask;
  }
  return target;
}
