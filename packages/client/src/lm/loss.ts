// Masked next-token cross-entropy for causal language models: labels of -1 (padding, prompt
// tokens) carry no loss.
import * as tf from '@tensorflow/tfjs';
import { oneHotFloat, type GptModel } from './model.js';

/** Label value that carries no loss. */
export const IGNORE_LABEL = -1;

export interface TokenBatch {
  /** Token ids, row-major [rows, seqLen]. */
  inputs: Int32Array;
  /** Next-token labels, same shape; IGNORE_LABEL where no loss is taken. */
  labels: Int32Array;
  rows: number;
  seqLen: number;
}

/**
 * The mean loss over unmasked positions (a scalar tensor) and their count. Picks each target's
 * log-probability with a one-hot product rather than a gather: the gather's gradient needs
 * UnsortedSegmentSum, which wasm lacks and cpu runs in time quadratic in the segments.
 */
export function maskedLoss(model: GptModel, batch: TokenBatch, dropoutSeed?: number): { loss: tf.Scalar; tokens: number } {
  const { rows, seqLen } = batch;
  const vocab = model.config.vocabSize;
  const n = rows * seqLen;
  const target = new Int32Array(n);
  const weight = new Float32Array(n);
  let tokens = 0;
  for (let i = 0; i < n; i++) {
    const label = batch.labels[i] as number;
    if (label === IGNORE_LABEL) continue;
    if (!Number.isInteger(label) || label < 0 || label >= vocab) throw new RangeError(`maskedLoss: label ${label} at ${i} outside [0, ${vocab})`);
    target[i] = label;
    weight[i] = 1;
    tokens++;
  }
  const loss = tf.tidy(() => {
    const ids = tf.tensor2d(batch.inputs, [rows, seqLen], 'int32');
    const options = dropoutSeed === undefined ? {} : { dropoutSeed };
    const logits = model.forward(ids, options).logits.reshape([n, vocab]);
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), oneHotFloat(tf.tensor1d(target, 'int32'), vocab)), 1);
    return tf.div(tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(weight)))), Math.max(tokens, 1)) as tf.Scalar;
  });
  return { loss, tokens };
}
