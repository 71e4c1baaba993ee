// Streaming mask removal (Bonawitz et al. 2017 §4 round 4, server side): an UnmaskPlan lists the
// masks left in the running sum; unmaskRange removes them from any element range on its own, so a
// coordinator can split the work by chunk across worker threads. AES-256-CTR random access (prg.ts),
// applied block by block with the SIMD accumulator (mask-sum.ts).
import type { CryptoProvider } from '../crypto/provider.js';
import { assertBits, assertInt, assertU32Array } from './assert.js';
import { type SignedMask, applyMasks } from './mask-sum.js';

/** One mask to remove: sum += sign * PRG(key). Plain data, so it can be posted to a worker. */
export type UnmaskTerm = SignedMask;

/** Everything needed to unmask the sum; structured-cloneable. */
export interface UnmaskPlan {
  readonly bits: number;
  readonly vectorLength: number;
  readonly chunkElements: number;
  readonly terms: readonly UnmaskTerm[];
  /** U3: the nodes whose inputs make up the sum. */
  readonly survivors: readonly string[];
}

/**
 * Checks a plan's shape (its terms are checked where they are used).
 * @throws TypeError / RangeError for a plan that is not an object with terms, valid bits and sizes.
 */
export function assertUnmaskPlan(plan: UnmaskPlan): void {
  if (typeof plan !== 'object' || plan === null || !Array.isArray(plan.terms)) throw new TypeError('plan must be an UnmaskPlan');
  assertBits('plan.bits', plan.bits);
  assertInt('plan.vectorLength', plan.vectorLength, 0, 2 ** 32);
}

/**
 * Removes the plan's masks from `target`, which holds sum elements [start, start + target.length).
 * Pure apart from updating `target` in place.
 * @throws TypeError / RangeError for a bad plan, target or range past the vector's end.
 */
export function unmaskRange(crypto: CryptoProvider, plan: UnmaskPlan, target: Uint32Array, start: number): Uint32Array {
  assertUnmaskPlan(plan);
  assertU32Array('target', target);
  assertInt('start', start, 0, plan.vectorLength);
  if (start + target.length > plan.vectorLength) throw new RangeError(`range [${start}, ${start + target.length}) passes vector length ${plan.vectorLength}`);
  applyMasks(crypto, plan.terms, target, start, plan.bits);
  return target;
}

/**
 * Removes the plan's masks from chunk `chunkIndex` of the full sum, in place.
 * @throws TypeError / RangeError as {@link unmaskRange}, or for a chunk index past the end.
 */
export function unmaskChunk(crypto: CryptoProvider, plan: UnmaskPlan, sum: Uint32Array, chunkIndex: number): void {
  assertU32Array('sum', sum);
  if (sum.length !== plan.vectorLength) throw new RangeError(`sum has ${sum.length} elements, plan ${plan.vectorLength}`);
  assertInt('chunkIndex', chunkIndex, 0, Math.ceil(plan.vectorLength / plan.chunkElements) - 1);
  const start = chunkIndex * plan.chunkElements;
  unmaskRange(crypto, plan, sum.subarray(start, Math.min(start + plan.chunkElements, plan.vectorLength)), start);
}
