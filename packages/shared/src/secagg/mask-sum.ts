// Adding a signed sum of PRG masks to a vector range, the one hot loop of both ends of SecAgg
// (Bonawitz et al. 2017 §4): a node computes y = x + PRG(b_u) + sum_v ±PRG(s_u,v) (round 2) and
// the coordinator removes the masks left in the sum (round 4). Each mask is one AES-256-CTR
// keystream stream opened at the range's start; work goes block by block so the block stays in
// cache while every mask is applied to it, and is reduced mod 2^b once at the end.
import type { CryptoProvider } from '../crypto/provider.js';
import { assertBits, assertInt, assertU32Array } from './assert.js';
import { type MaskKey, type MaskStream, openMaskStream } from './prg.js';
import { RingAccumulator } from './ring-accumulator.js';

/** One mask to apply: target += sign * PRG(key). Plain data, so it can be posted to a worker. */
export interface SignedMask {
  readonly key: MaskKey;
  readonly sign: 1 | -1;
}

/**
 * Words per block: 128 KiB of target, which stays in L2 while every mask is added into it. The
 * native stream adds its keystream 8 KiB at a time from L1; node:crypto's cipher.update, which
 * allocates per call, ran fastest at 32-128 KiB requests (docs/BENCHMARKS.md).
 */
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
  const streams: MaskStream[] = [];
  try {
    for (const m of masks) streams.push(openMaskStream(crypto, m.key, start));
    const signs = masks.map((m) => m.sign);
    if (streams.every((s) => s.addInto !== undefined)) addFused(streams, signs, target);
    else addThroughAccumulator(streams, signs, target);
  } finally {
    for (const s of streams) s.close();
  }
  if (bits < 32) {
    const mask = 2 ** bits - 1;
    for (let i = 0; i < target.length; i++) target[i] = target[i]! & mask;
  }
  return target;
}

/** The provider adds the keystream itself (native): straight into the target, block by block. */
function addFused(streams: readonly MaskStream[], signs: readonly (1 | -1)[], target: Uint32Array): void {
  for (let off = 0; off < target.length; off += BLOCK) {
    const block = target.subarray(off, off + BLOCK);
    for (let j = 0; j < streams.length; j++) streams[j]!.addInto!(block, signs[j]!);
  }
}

/**
 * Otherwise: the block is copied into WebAssembly memory, each mask's keystream is read into the
 * accumulator's scratch there and added or subtracted with i32x4 SIMD (or the JS loop without it).
 */
function addThroughAccumulator(streams: readonly MaskStream[], signs: readonly (1 | -1)[], target: Uint32Array): void {
  const size = Math.min(BLOCK, target.length);
  const acc = new RingAccumulator(size, size);
  const words = acc.scratchView(size) ?? new Uint32Array(size);
  for (let off = 0; off < target.length; off += BLOCK) {
    const len = Math.min(BLOCK, target.length - off);
    const block = acc.sum.subarray(0, len);
    block.set(target.subarray(off, off + len));
    for (let j = 0; j < streams.length; j++) {
      const w = words.subarray(0, len);
      streams[j]!.readInto(w);
      if (signs[j] === 1) acc.add(w, 0);
      else acc.subtract(w, 0);
    }
    target.set(block, off);
  }
}
