// Filling an output array with integer draws, shared by the exact samplers (discrete Gaussian,
// Poisson, Skellam): one RandomReader for the whole vector, and the output type chosen by the caller.
import type { RandomSource } from '../crypto/random.js';
import { RandomReader } from './random-reader.js';

/** An output for integer noise: Int32Array (each draw must fit), Float64Array (exact to 2^53), BigInt64Array. */
export type DrawOutput = Int32Array | Float64Array | BigInt64Array;

/**
 * Fills `out` with `draw(reader)`, one reader over `rng` for all of them.
 * @throws TypeError if out is not an Int32Array, Float64Array or BigInt64Array.
 * @throws RangeError if a draw does not fit an Int32Array.
 */
export function fillWithDraws(rng: RandomSource, out: DrawOutput, draw: (reader: RandomReader) => number): void {
  const reader = new RandomReader(rng);
  if (out instanceof Int32Array) {
    for (let i = 0; i < out.length; i++) {
      const x = draw(reader);
      if (x > 2147483647 || x < -2147483648) throw new RangeError(`draw ${x} does not fit an Int32Array; use Float64Array or BigInt64Array`);
      out[i] = x;
    }
  } else if (out instanceof Float64Array) {
    for (let i = 0; i < out.length; i++) out[i] = draw(reader);
  } else if (out instanceof BigInt64Array) {
    for (let i = 0; i < out.length; i++) out[i] = BigInt(draw(reader));
  } else {
    throw new TypeError(`out must be an Int32Array, Float64Array or BigInt64Array, got ${Object.prototype.toString.call(out)}`);
  }
}
