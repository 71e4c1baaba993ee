// The hand-written GELU and LayerNorm gradients equal tfjs's automatic differentiation of the plain
// formulas (and their values the formulas'), on cpu and on wasm.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { probeBackend } from '../backend/select.js';
import { geluTanh, layerNorm } from './fused-ops.js';

function plainGelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

function plainLayerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b);
}

function data(n: number, scale: number, salt: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + salt * 78.233) * scale);
}

/** max |a - b| / (1 + |b|) over the elements. */
function maxRelErr(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!)));
  return m;
}

describe.each(['cpu', 'wasm'] as const)('fused ops on %s', (backend) => {
  // float32 on both sides; the two forms round differently (sigmoid vs tanh, fused vs op-by-op
  // sums), each to a few ulps of values of order 1: 2e-6 relative is ~16 ulps of margin.
  const TOL = 2e-6;

  it('GELU: values and gradient equal the op-by-op tanh form, including large |x|', async () => {
    expect((await probeBackend(backend)).available).toBe(true);
    const x = tf.tensor(Float32Array.from([...data(300, 4, 1), 0, -0, 30, -30, 1e-20, -1e-20]), [2, 153]);
    const dy = tf.tensor(data(306, 1, 2), [2, 153]);
    const [got, want] = [geluTanh, plainGelu].map((f) => tf.tidy(() => f(x)));
    expect(maxRelErr(got!, want!)).toBeLessThan(TOL);
    const [gGot, gWant] = [geluTanh, plainGelu].map((f) => tf.tidy(() => tf.grad((t: tf.Tensor) => f(t))(x, dy)));
    expect(maxRelErr(gGot!, gWant!)).toBeLessThan(TOL);
    tf.dispose([x, dy, got!, want!, gGot!, gWant!]);
  });

  it('LayerNorm: values and the gradients of x, gain and bias equal the op-by-op form', async () => {
    expect((await probeBackend(backend)).available).toBe(true);
    const x = tf.tensor(data(3 * 5 * 24, 3, 3), [3, 5, 24]).add(tf.tensor(data(3 * 5 * 24, 50, 4), [3, 5, 24]).round().mul(0.1));
    const g = tf.tensor1d(data(24, 1, 5).map((v) => 1 + v));
    const b = tf.tensor1d(data(24, 0.5, 6));
    const dy = tf.tensor(data(3 * 5 * 24, 1, 7), [3, 5, 24]);
    const eps = 1e-5;
    const f1 = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => layerNorm(a, c as tf.Tensor1D, d as tf.Tensor1D, eps);
    const f2 = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => plainLayerNorm(a, c, d, eps);
    expect(maxRelErr(tf.tidy(() => f1(x, g, b)), tf.tidy(() => f2(x, g, b)))).toBeLessThan(TOL);
    const got = tf.grads(f1)([x, g, b], dy);
    const want = tf.grads(f2)([x, g, b], dy);
    // The input gradient subtracts two means of products: cancellation costs a few more ulps.
    got.forEach((t, i) => expect(maxRelErr(t, want[i]!), `gradient ${i}`).toBeLessThan(i === 0 ? 1e-5 : TOL));
    tf.dispose([x, g, b, dy, ...got, ...want]);
  });

  it('LayerNorm of a constant row is the bias, with finite gradients', async () => {
    expect((await probeBackend(backend)).available).toBe(true);
    const x = tf.fill([2, 8], 3.5);
    const g = tf.ones([8]) as tf.Tensor1D;
    const b = tf.range(0, 8).toFloat() as tf.Tensor1D;
    expect(Array.from(layerNorm(x, g, b, 1e-5).dataSync())).toEqual([...Array.from({ length: 8 }, (_, i) => i), ...Array.from({ length: 8 }, (_, i) => i)]);
    const gs = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => layerNorm(a, c as tf.Tensor1D, d as tf.Tensor1D, 1e-5))([x, g, b]);
    for (const t of gs) expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
  });
});
