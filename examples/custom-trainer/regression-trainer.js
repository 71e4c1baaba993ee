// A LocalTrainer around a user's own tf.LayersModel and training loop: whatever the model, fedtune
// needs only the federated weights as one flat Float32Array (in a fixed tensor order), fit and
// evaluate on local data, and dispose.
import * as tf from '@tensorflow/tfjs';

export class RegressionTrainer {
  /** @param {{ model: tf.LayersModel, x: tf.Tensor2D, y: tf.Tensor2D, learningRate?: number }} o */
  constructor({ model, x, y, learningRate = 0.05 }) {
    this.model = model;
    this.x = x;
    this.y = y;
    this.learningRate = learningRate;
    this.backend = tf.getBackend();
    // The federated layout: every trainable weight, by its (stable, named-layer) original name.
    this.tensors = model.trainableWeights.map((w) => ({ name: w.originalName, shape: [...w.shape] }));
  }

  getWeights() {
    const parts = this.model.trainableWeights.map((w) => w.read().dataSync());
    const flat = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      flat.set(p, offset);
      offset += p.length;
    }
    return flat;
  }

  setWeights(data) {
    let offset = 0;
    for (const w of this.model.trainableWeights) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      w.write(tf.tensor(data.subarray(offset, offset + size), w.shape));
      offset += size;
    }
    if (offset !== data.length) throw new RangeError(`expected ${offset} weights, got ${data.length}`);
  }

  /** A custom loop: full-batch Adam on mean squared error, `epochs` steps (the round's config). */
  async fit(config) {
    const epochs = typeof config.epochs === 'number' ? config.epochs : 20;
    const optimizer = tf.train.adam(this.learningRate);
    let loss = 0;
    for (let i = 0; i < epochs; i++) {
      const l = optimizer.minimize(() => tf.losses.meanSquaredError(this.y, this.model.apply(this.x)), true);
      loss = (await l.data())[0];
      l.dispose();
    }
    optimizer.dispose();
    return { numExamples: this.x.shape[0], metrics: { trainLoss: loss } };
  }

  async evaluate() {
    const mse = tf.tidy(() => tf.losses.meanSquaredError(this.y, this.model.apply(this.x)));
    const loss = (await mse.data())[0];
    mse.dispose();
    return { numExamples: this.x.shape[0], loss, metrics: { rmse: Math.sqrt(loss) } };
  }

  dispose() {
    this.x.dispose();
    this.y.dispose();
  }
}
