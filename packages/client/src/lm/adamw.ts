// AdamW: Adam with decoupled weight decay (Loshchilov and Hutter 2019), plus clipping by global
// gradient norm (Pascanu et al. 2013). tfjs's own Adam folds decay into the gradient instead.
// The moments live in one flat vector and every update runs on all parameters at once: one fused
// kernel on wasm and cpu (adamw-kernel.ts), about 15 tfjs ops elsewhere; either way not 15 kernels
// per tensor (a small GPT has 28 tensors, and each kernel call costs more than a small tensor's
// arithmetic).
import * as tf from '@tensorflow/tfjs';
import { fusedAdamWAvailable, fusedAdamWStep, registerAdamWKernel } from './adamw-kernel.js';

registerAdamWKernel();

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
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  /** Per parameter: 1 - lr * weightDecay where it decays, 1 elsewhere; null when nothing decays. */
  private readonly decayFactor: tf.Tensor1D | null;
  private readonly sizes: number[];
  private t = 0;
  readonly learningRate: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;

  /** @throws RangeError on a non-finite or negative hyper-parameter, or a decay list of the wrong length. */
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
    if (variables.length === 0) throw new RangeError('AdamW needs at least one variable');
    const decay = options.decay ?? variables.map((v) => v.rank >= 2);
    if (decay.length !== variables.length) throw new RangeError(`AdamW.decay has ${decay.length} entries for ${variables.length} variables`);
    this.sizes = variables.map((v) => v.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.m = zeroVariable(total);
    this.v = zeroVariable(total);
    if (this.weightDecay > 0 && decay.some((d) => d)) {
      // The factor a float32 multiply by the scalar 1 - lr * wd would use; exactly 1 elsewhere.
      const factor = new Float32Array(total).fill(1);
      const f = Math.fround(1 - this.learningRate * this.weightDecay);
      let offset = 0;
      variables.forEach((v, i) => {
        if (decay[i] === true) factor.fill(f, offset, offset + v.size);
        offset += v.size;
      });
      this.decayFactor = tf.tensor1d(factor);
    } else {
      this.decayFactor = null;
    }
  }

  /** One update from gradients in the order of the variables. Does not dispose the gradients. */
  step(grads: readonly tf.Tensor[]): void {
    this.checkGrads(grads);
    tf.tidy(() => this.stepFlat(flatten(grads)));
  }

  /**
   * Clips the gradients to global L2 norm maxNorm (as clipByGlobalNorm), then steps. Returns the
   * norm before clipping (a scalar the caller disposes), without a synchronous read.
   * @throws RangeError when maxNorm is not positive or the gradients do not match the variables.
   */
  clipAndStep(grads: readonly tf.Tensor[], maxNorm: number): tf.Scalar {
    if (!(maxNorm > 0)) throw new RangeError(`AdamW.clipAndStep: maxNorm must be positive, got ${maxNorm}`);
    this.checkGrads(grads);
    return tf.tidy(() => {
      const g = flatten(grads);
      const norm = tf.sqrt(tf.sum(tf.square(g))) as tf.Scalar;
      this.stepFlat(tf.mul(g, clipScale(norm, maxNorm)));
      return norm;
    });
  }

  private checkGrads(grads: readonly tf.Tensor[]): void {
    if (grads.length !== this.variables.length) throw new RangeError(`AdamW.step: ${grads.length} gradients for ${this.variables.length} variables`);
    grads.forEach((g, i) => {
      if (g.size !== this.sizes[i]) throw new RangeError(`AdamW.step: gradient ${i} has ${g.size} values, its variable ${this.sizes[i]}`);
    });
  }

  /** Call inside tf.tidy. */
  private stepFlat(g: tf.Tensor1D): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    const p = flatten(this.variables);
    let nextP: tf.Tensor1D;
    if (fusedAdamWAvailable()) {
      const [np, nm, nv] = fusedAdamWStep(p, g, this.m as tf.Tensor1D, this.v as tf.Tensor1D, this.decayFactor, { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, c1, c2 });
      this.m.assign(nm);
      this.v.assign(nv);
      nextP = np;
    } else {
      this.m.assign(tf.add(tf.mul(this.m, this.beta1), tf.mul(g, 1 - this.beta1)));
      this.v.assign(tf.add(tf.mul(this.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
      const update = tf.div(tf.div(this.m, c1), tf.add(tf.sqrt(tf.div(this.v, c2)), this.epsilon));
      const decayed = this.decayFactor === null ? p : tf.mul(p, this.decayFactor);
      nextP = tf.sub(decayed, tf.mul(update, this.learningRate));
    }
    const next = tf.split(nextP, this.sizes);
    this.variables.forEach((v, i) => v.assign(next[i]!.reshape(v.shape)));
  }

  dispose(): void {
    tf.dispose([this.m, this.v, ...(this.decayFactor === null ? [] : [this.decayFactor])]);
  }
}

/** A variable takes a reference to its initial tensor's buffer; the tensor itself must still go. */
function zeroVariable(size: number): tf.Variable {
  const zeros = tf.zeros([size]);
  const v = tf.variable(zeros, false);
  zeros.dispose();
  return v;
}

function flatten(ts: readonly tf.Tensor[]): tf.Tensor1D {
  return (ts.length === 1 ? ts[0]!.reshape([-1]) : tf.concat(ts.map((t) => t.reshape([-1])))) as tf.Tensor1D;
}

/** min(1, maxNorm / (norm + 1e-6)). */
function clipScale(norm: tf.Scalar, maxNorm: number): tf.Scalar {
  return tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
}

/**
 * Scales gradients so their global L2 norm is at most maxNorm. Returns new tensors and the norm
 * before clipping (a scalar tensor), without a synchronous read.
 * @throws RangeError when maxNorm is not positive.
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: tf.Scalar } {
  if (!(maxNorm > 0)) throw new RangeError(`clipByGlobalNorm: maxNorm must be positive, got ${maxNorm}`);
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(flatten(grads)))) as tf.Scalar;
    const scale = clipScale(norm, maxNorm);
    return { grads: grads.map((g) => tf.mul(g, scale)), norm };
  });
}
