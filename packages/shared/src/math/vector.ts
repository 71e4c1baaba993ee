// Small float vector kernels used by strategies and clipping; float64 accumulation where a sum
// over millions of float32 terms would otherwise lose precision.

/** y += a * x, elementwise. */
export function axpy(a: number, x: Float32Array, y: Float32Array | Float64Array): void {
  if (x.length !== y.length) throw new RangeError(`axpy: length ${x.length} != ${y.length}`);
  for (let i = 0; i < x.length; i++) y[i]! += a * x[i]!;
}

/** The L2 norm, accumulated in float64. */
export function l2Norm(x: Float32Array | Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}

/** A new Float32Array of a - b. */
export function subtract(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length !== b.length) throw new RangeError(`subtract: length ${a.length} != ${b.length}`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}
