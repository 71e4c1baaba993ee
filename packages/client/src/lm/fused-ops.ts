// GELU (tanh approximation, Hendrycks and Gimpel 2016) and LayerNorm (Ba, Kiros and Hinton 2016)
// with hand-written gradients. tfjs differentiates them op by op (about 16 and 20 kernels in the
// backward pass); these take 8 and 11, and GELU goes through the sigmoid, which the wasm backend
// runs vectorised, instead of tanh, which it runs 17x slower (bench/wasm-kernels.bench.ts):
// 0.5 x (1 + tanh z) = x sigmoid(2z).
import * as tf from '@tensorflow/tfjs';

const C = Math.sqrt(2 / Math.PI);
const A = 0.044715;

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * GELU with GPT-2's tanh approximation, x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)).
 * Its derivative: s + x s (1 - s) 2 sqrt(2/pi) (1 + 3 * 0.044715 x^2), s the sigmoid above.
 */
export function geluTanh<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = tf.square(input);
    // 2z = x (2C + 2CA x^2): x^3 as x * x^2, never pow (some backends take pow through log).
    const s = tf.sigmoid(tf.mul(input, tf.add(tf.mul(x2, 2 * C * A), 2 * C)));
    // Saved, not captured: a tidy around the forward pass would free them before backprop.
    save([input, x2, s]);
    return {
      value: tf.mul(input, s),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, sq, sg] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const slope = tf.mul(tf.mul(sg, tf.sub(1, sg)), tf.add(tf.mul(sq, 6 * C * A), 2 * C));
        return tf.mul(dy, tf.add(sg, tf.mul(xs, slope)));
      },
    };
  }) as unknown as CustomGradFn);
  return f(x) as T;
}

/**
 * LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * gain + bias, var the biased
 * variance. With xhat the normalised input, r = 1 / sqrt(var + eps) and g = dy * gain, the
 * gradients are dx = r (g - mean(g) - xhat mean(g xhat)), dgain = sum(dy xhat), dbias = sum(dy),
 * the sums over every axis but the last.
 */
export function layerNorm<T extends tf.Tensor>(x: T, gain: tf.Tensor1D, bias: tf.Tensor1D, eps: number): T {
  const last = x.rank - 1;
  const outer = Array.from({ length: last }, (_, i) => i);
  const f = tf.customGrad(((input: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const centred = tf.sub(input, tf.mean(input, last, true));
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(centred), last, true), eps));
    const xhat = tf.mul(centred, r);
    save([xhat, r, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gn] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const gy = tf.mul(dy, gn);
        const dx = tf.mul(rs, tf.sub(tf.sub(gy, tf.mean(gy, last, true)), tf.mul(xh, tf.mean(tf.mul(gy, xh), last, true))));
        return [dx, tf.sum(tf.mul(dy, xh), outer), tf.sum(dy, outer)];
      },
    };
  }) as unknown as CustomGradFn);
  return f(x, gain, bias) as T;
}
