// The `mlp` model: a small fully connected classifier with named layers (stable weight names
// across instances, which the federated layout relies on), weights drawn from a seeded source.
import * as tf from '@tensorflow/tfjs';
import { nodeCryptoProvider, sampleNormal, systemRandom, type RandomSource } from '@fedtune/shared';

export interface MlpSpec {
  inputs: number;
  hidden: readonly number[];
  classes: number;
  learningRate: number;
}

/**
 * Builds and compiles the MLP, initialised with Glorot-uniform weights drawn from `random`
 * (default: the system CSPRNG; pass a seeded source for reproducible runs).
 */
export function buildMlp(spec: MlpSpec, random: RandomSource = systemRandom(nodeCryptoProvider)): tf.LayersModel {
  const model = tf.sequential();
  spec.hidden.forEach((units, i) => {
    model.add(tf.layers.dense({ name: `hidden${i}`, units, activation: 'relu', ...(i === 0 ? { inputShape: [spec.inputs] } : {}) }));
  });
  model.add(tf.layers.dense({ name: 'logits', units: spec.classes, activation: 'softmax', ...(spec.hidden.length === 0 ? { inputShape: [spec.inputs] } : {}) }));
  model.compile({ optimizer: tf.train.sgd(spec.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  // tfjs initialisers draw from their own unseeded generator; replace them for reproducibility.
  tf.tidy(() => {
    for (const v of model.trainableWeights) {
      const shape = v.shape as number[];
      const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
      if (shape.length === 2) {
        const limit = Math.sqrt(6 / (shape[0]! + shape[1]!));
        for (let i = 0; i < values.length; i++) values[i] = (2 * random.float() - 1) * limit;
      } else {
        for (let i = 0; i < values.length; i++) values[i] = 0.01 * sampleNormal(random);
      }
      v.write(tf.tensor(values, shape));
    }
  });
  return model;
}
