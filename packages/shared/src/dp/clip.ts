// L2 clipping of a model delta to norm C, the per-user sensitivity bound of DP-FedAvg
// (McMahan, Ramage, Talwar, Zhang 2018, "Learning Differentially Private Recurrent Language Models").
import { assertPositive } from './assert.js';

/** The result of {@link clipL2}. */
export interface ClipResult {
  /** A new array: the input scaled by min(1, C / norm). The input is never modified. */
  readonly clipped: Float32Array;
  /** The L2 norm of the input before clipping, accumulated in float64. */
  readonly norm: number;
  /** True when the input was scaled down (norm > C). */
  readonly wasClipped: boolean;
}

/**
 * Clips `delta` to L2 norm at most `clip`.
 *
 * Float32 rounding of the scaled coordinates can push the norm a few ulps above C; the scale is
 * then shrunk until the float32 result's norm (in float64) is <= C, so the sensitivity bound holds
 * exactly for the array that is sent.
 *
 * @throws TypeError if `delta` is not a Float32Array.
 * @throws RangeError if `clip` is not a finite number > 0, or `delta` holds NaN or +-Infinity.
 */
export function clipL2(delta: Float32Array, clip: number): ClipResult {
  if (!(delta instanceof Float32Array)) throw new TypeError(`delta must be a Float32Array, got ${Object.prototype.toString.call(delta)}`);
  assertPositive('clip', clip);
  let sum = 0;
  for (let i = 0; i < delta.length; i++) {
    const v = delta[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`delta[${i}] must be finite, got ${v}`);
    sum += v * v;
  }
  // A sum of squares can overflow float64 only for values near the float32 maximum; rescale then.
  let norm = Math.sqrt(sum);
  if (!Number.isFinite(norm)) norm = scaledNorm(delta);
  if (norm <= clip) return { clipped: Float32Array.from(delta), norm, wasClipped: false };
  let scale = clip / norm;
  const out = new Float32Array(delta.length);
  for (;;) {
    let s = 0;
    for (let i = 0; i < delta.length; i++) {
      const v = Math.fround(delta[i]! * scale);
      out[i] = v;
      s += v * v;
    }
    if (Math.sqrt(s) <= clip) return { clipped: out, norm, wasClipped: true };
    scale *= 1 - 2 ** -23;
  }
}

function scaledNorm(x: Float32Array): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]!));
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! / max;
    s += v * v;
  }
  return max * Math.sqrt(s);
}
