// The sampled batch and the sum of clipped microbatch gradients of DP-SGD (Abadi et al. 2016,
// Alg. 1; microbatches as in TF Privacy), by a vectorised dense path or a per-microbatch loop.
//
// Dense path: per-example gradients of a Dense layer are outer products a_i g_i^T (a_i the layer's
// input row, g_i the loss gradient w.r.t. its pre-activation row), so one batched backward pass
// gives every g_i (through zero "probe" tensors added to each pre-activation) and the squared norm
// of a group S's gradient is sum_{i,j in S} (a_i . a_j + 1)(g_i . g_j) (the +1 is the bias), the
// Gram-matrix form of Goodfellow 2015 ("Efficient Per-Example Gradient Computations") used by
// ghost clipping (Li et al. 2022). The clipped sum is then A^T (diag(f) G): nothing of size
// batch x parameters is ever built. Cost: one forward + backward pass plus O(B m (in + out)) per
// layer (B rows, m rows per microbatch; m = 1 uses the row norms only).
import * as tf from '@tensorflow/tfjs';
import type { RandomSource } from '@fedtune/shared';
import type { PerExampleLoss } from './dp-sgd-options.js';

/**
 * Poisson sampling: each of `n` records independently with probability `q`, drawn as geometric
 * gaps between selected records (floor(log U / log(1 - q))), which is the same distribution as n
 * Bernoulli(q) draws but costs O(q n) uniforms. Indices are ascending.
 */
export function poissonSample(n: number, q: number, random: RandomSource): Int32Array {
  if (q >= 1) return Int32Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  if (q <= 0) return new Int32Array(0);
  const logKeep = Math.log1p(-q);
  let i = -1;
  for (;;) {
    // 1 - float() is in (0, 1], so the log is finite and <= 0.
    const gap = Math.floor(Math.log(1 - random.float()) / logKeep);
    i += gap + 1;
    if (i >= n) break;
    out.push(i);
  }
  return Int32Array.from(out);
}

/** Which microbatch each sampled row belongs to. */
export interface MicrobatchPlan {
  /** Slot of each sampled row, in [0, numSlots). */
  readonly slots: Int32Array;
  /** Slots in this step (with m = 1, one per sampled row). */
  readonly numSlots: number;
  /** True when every row is its own slot (per-example clipping). */
  readonly perExample: boolean;
}

/**
 * m = 1: each row is its own microbatch. m > 1: `slotCount` slots, each row placed uniformly at
 * random and independently of every other row, so adding or removing one record changes exactly
 * one slot (a data-dependent partition, e.g. consecutive chunks, would shift the others).
 */
export function planMicrobatches(rows: number, microbatchSize: number, slotCount: number, random: RandomSource): MicrobatchPlan {
  if (microbatchSize === 1) return { slots: Int32Array.from({ length: rows }, (_, i) => i), numSlots: rows, perExample: true };
  const slots = new Int32Array(rows);
  for (let i = 0; i < rows; i++) slots[i] = random.int(slotCount);
  return { slots, numSlots: slotCount, perExample: false };
}

/** The outcome of one engine call; the caller disposes the tensors. */
export interface ClippedSum {
  /** Sum over microbatches of the clipped microbatch gradient, one tensor per trained variable. */
  sums: tf.Tensor[];
  /** Sum of the per-example losses of the batch (before the step), for the train-loss metric. */
  lossSum: tf.Scalar;
}

/** Computes a {@link ClippedSum} for rows x / y grouped by `plan`; the microbatch gradient is that of its mean loss. */
export type ClippedSumEngine = (x: tf.Tensor2D, y: tf.Tensor2D, plan: MicrobatchPlan, clip: number) => ClippedSum;

/** Per-row weight 1 / |slot|, so that a weighted sum of losses is the sum of microbatch means. */
function meanWeights(plan: MicrobatchPlan): Float32Array {
  const counts = new Int32Array(plan.numSlots);
  for (const s of plan.slots) counts[s] = counts[s]! + 1;
  return Float32Array.from(plan.slots, (s) => 1 / counts[s]!);
}

/** min(1, C / norm) elementwise; norm 0 gives 1, NaN stays NaN (caught as a NaN loss). */
function clipFactor(sqNorm: tf.Tensor, clip: number): tf.Tensor {
  return tf.minimum(1, tf.div(clip, tf.sqrt(sqNorm)));
}

/**
 * The loop engine: for each non-empty microbatch, tf.variableGrads of its mean loss through
 * model.apply(x, { training: true }), global L2 norm over all trained variables, scale, accumulate.
 * Works for any model; costs one forward + backward pass per microbatch.
 */
export function loopEngine(model: tf.LayersModel, variables: readonly tf.Variable[], loss: PerExampleLoss): ClippedSumEngine {
  return (x, y, plan, clip) =>
    tf.tidy(() => {
      const members: number[][] = Array.from({ length: plan.numSlots }, () => []);
      plan.slots.forEach((s, row) => members[s]!.push(row));
      let sums: tf.Tensor[] = variables.map((v) => tf.zerosLike(v));
      let lossSum: tf.Tensor = tf.scalar(0);
      for (const rows of members) {
        if (rows.length === 0) continue;
        const next = tf.tidy(() => {
          const idx = tf.tensor1d(rows, 'int32');
          const xs = tf.gather(x, idx);
          const ys = tf.gather(y, idx) as tf.Tensor2D;
          const held: tf.Tensor[] = [];
          const { grads } = tf.variableGrads(() => {
            const per = tf.keep(loss(ys, model.apply(xs, { training: true }) as tf.Tensor));
            held.push(per);
            return tf.mean(per);
          }, variables as tf.Variable[]);
          const gs = variables.map((v) => grads[v.name]!);
          const f = clipFactor(tf.addN(gs.map((g) => tf.sum(tf.square(g)))), clip);
          const out = { sums: sums.map((s, i) => tf.add(s, tf.mul(gs[i]!, f))), lossSum: tf.add(lossSum, tf.sum(held[0]!)) };
          tf.dispose(held);
          return out;
        });
        tf.dispose([...sums, lossSum]);
        ({ sums, lossSum } = next);
      }
      return { sums, lossSum: lossSum as tf.Scalar };
    });
}

interface DenseStage {
  kernel: tf.Variable;
  bias: tf.Variable | null;
  units: number;
  activation: tf.layers.Layer;
}

/**
 * The dense engine, or null when the model is not a tf.Sequential of Dense layers on flat inputs
 * whose kernels and biases are exactly `variables` (then use {@link loopEngine}).
 * Regularizers and constraints of the layers are ignored, as in the loop engine.
 */
export function denseEngine(model: tf.LayersModel, variables: readonly tf.Variable[], loss: PerExampleLoss): ClippedSumEngine | null {
  if (!(model instanceof tf.Sequential) || model.inputs.length !== 1 || model.inputs[0]!.shape.length !== 2) return null;
  const stages: DenseStage[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer.getClassName() !== 'Dense') return null;
    const cfg = layer.getConfig();
    const weights = layer.weights.map((w) => w.read() as tf.Variable);
    const kernel = weights[0];
    if (kernel === undefined || kernel.shape.length !== 2) return null;
    const bias = cfg.useBias === false ? null : (weights[1] ?? null);
    if (cfg.useBias !== false && bias === null) return null;
    const activation = tf.layers.activation({ activation: (typeof cfg.activation === 'string' ? cfg.activation : 'linear') as 'linear' });
    stages.push({ kernel, bias, units: kernel.shape[1]!, activation });
  }
  const owned = stages.flatMap((s) => (s.bias === null ? [s.kernel] : [s.kernel, s.bias]));
  if (owned.length !== variables.length || !owned.every((v) => variables.includes(v))) return null;
  // Where each trained variable's sum comes from: (stage, kernel or bias).
  const source = variables.map((v) => {
    const stage = stages.findIndex((s) => s.kernel === v || s.bias === v);
    return { stage, isKernel: stages[stage]!.kernel === v };
  });

  return (x, y, plan, clip) => {
    const rows = x.shape[0];
    if (rows === 0) return { sums: variables.map((v) => tf.zerosLike(v)), lossSum: tf.scalar(0) };
    const kept: tf.Tensor[] = []; // kept out of every tidy: disposed in finally
    const inputs: tf.Tensor2D[] = [];
    try {
      return tf.tidy(() => {
        const w = tf.tensor1d(meanWeights(plan));
        const probes = stages.map((s) => tf.zeros([rows, s.units]));
        // The layer inputs a (rows x in) and the per-example losses are kept out of the gradient's tidy.
        const forward = (...ps: tf.Tensor[]): tf.Scalar => {
          let a: tf.Tensor = x;
          stages.forEach((s, l) => {
            if (l > 0) kept.push(tf.keep(a));
            inputs.push(a as tf.Tensor2D);
            let z = tf.add(tf.matMul(a as tf.Tensor2D, s.kernel as tf.Tensor2D), ps[l]!);
            if (s.bias !== null) z = tf.add(z, s.bias);
            a = s.activation.apply(z) as tf.Tensor;
          });
          const per = tf.keep(loss(y, a));
          kept.push(per);
          return tf.sum(tf.mul(per, w));
        };
        const gs = tf.grads(forward)(probes) as tf.Tensor2D[];
        const per = kept[kept.length - 1]!;
        let factor: tf.Tensor; // one clip factor per row, that of its slot
        if (plan.perExample) {
          const sq = tf.addN(
            stages.map((s, l) => {
              const aa = tf.sum(tf.square(inputs[l]!), 1);
              return tf.mul(s.bias === null ? aa : tf.add(aa, 1), tf.sum(tf.square(gs[l]!), 1));
            }),
          );
          factor = clipFactor(sq, clip);
        } else {
          const slots = tf.tensor1d(plan.slots, 'int32');
          const same = tf.cast(tf.equal(tf.expandDims(slots, 1), tf.expandDims(slots, 0)), 'float32');
          const rowSq = tf.addN(
            stages.map((s, l) => {
              const aGram = tf.matMul(inputs[l]!, inputs[l]!, false, true);
              const gGram = tf.matMul(gs[l]!, gs[l]!, false, true);
              return tf.sum(tf.mul(tf.mul(same, s.bias === null ? aGram : tf.add(aGram, 1)), gGram), 1);
            }),
          );
          const slotSq = tf.unsortedSegmentSum(rowSq, slots, plan.numSlots);
          factor = tf.gather(clipFactor(slotSq, clip), slots);
        }
        const scaled = gs.map((g) => tf.mul(g, tf.expandDims(factor, 1)));
        const sums = source.map(({ stage, isKernel }) =>
          isKernel ? tf.matMul(inputs[stage]!, scaled[stage]!, true, false) : tf.sum(scaled[stage]!, 0),
        );
        return { sums, lossSum: tf.sum(per) as tf.Scalar };
      });
    } finally {
      tf.dispose(kept);
    }
  };
}

/** Categorical cross-entropy per example on probabilities (Keras's, clipped at its epsilon). */
export const categoricalCrossentropyPerExample: PerExampleLoss = (yTrue, yPred) =>
  tf.metrics.categoricalCrossentropy(yTrue, yPred) as tf.Tensor1D;
