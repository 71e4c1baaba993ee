// AdamW: Adam with decoupled weight decay (Loshchilov and Hutter 2019), plus clipping by global
// gradient norm (Pascanu et al. 2013). tfjs's own Adam folds decay into the gradient instead.
import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled decay, applied as p -= lr * weightDecay * p. */
  weightDecay?: number;
  /** Which variables decay (by index); default: those of rank >= 2 (matrices, not gains/biases). */
  decay?: readonly boolean[];
}

export class AdamW {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly decay: readonly boolean[];
  private t = 0;
  readonly learningRate: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;

  /** @throws RangeError on a non-finite or negative hyper-parameter. */
  constructor(
    private readonly variables: readonly tf.Variable[],
    options: AdamWOptions,
  ) {
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    for (const [k, v] of Object.entries({ learningRate: this.learningRate, epsilon: this.epsilon, weightDecay: this.weightDecay })) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`AdamW.${k} must be a finite non-negative number, got ${v}`);
    }
    for (const [k, v] of Object.entries({ beta1: this.beta1, beta2: this.beta2 })) {
      if (!(v >= 0 && v < 1)) throw new RangeError(`AdamW.${k} must be in [0, 1), got ${v}`);
    }
    this.decay = options.decay ?? variables.map((v) => v.rank >= 2);
    if (this.decay.length !== variables.length) throw new RangeError(`AdamW.decay has ${this.decay.length} entries for ${variables.length} variables`);
    this.m = variables.map((v) => tf.variable(tf.zerosLike(v), false));
    this.v = variables.map((v) => tf.variable(tf.zerosLike(v), false));
  }

  /** One update from gradients in the order of the variables. Does not dispose the gradients. */
  step(grads: readonly tf.Tensor[]): void {
    if (grads.length !== this.variables.length) throw new RangeError(`AdamW.step: ${grads.length} gradients for ${this.variables.length} variables`);
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    tf.tidy(() => {
      this.variables.forEach((p, i) => {
        const g = grads[i]!;
        const m = this.m[i]!;
        const v = this.v[i]!;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon));
        const decayed = this.decay[i] === true && this.weightDecay > 0 ? tf.mul(p, 1 - this.learningRate * this.weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, this.learningRate)));
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

/**
 * Scales gradients so their global L2 norm is at most maxNorm. Returns new tensors and the norm
 * before clipping (a scalar tensor), without a synchronous read.
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: tf.Scalar } {
  if (!(maxNorm > 0)) throw new RangeError(`clipByGlobalNorm: maxNorm must be positive, got ${maxNorm}`);
  return tf.tidy(() => {
    // Pairwise adds, not addN: WebGPU caps storage buffers per shader (8 on lavapipe).
    const norm = tf.sqrt(grads.map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b))) as tf.Scalar;
    const scale = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    return { grads: grads.map((g) => tf.mul(g, scale)), norm };
  });
}
