// The built-in trainer for any compiled tf.LayersModel: its trainable weights (or a named subset)
// are the federated tensors; fit and evaluate run model.fit / model.evaluate on local data.
import * as tf from '@tensorflow/tfjs';
import { FedtuneError, nodeCryptoProvider, permutation, systemRandom, splitTensors, tensorSize, type RandomSource, type TensorSpec, type TrainConfig } from '@fedtune/shared';
import type { LabelledData } from '../data/dataset.js';
import type { EvaluateOutcome, FitOutcome, LocalTrainer } from './trainer.js';

export interface LayersTrainerOptions {
  model: tf.LayersModel;
  train: LabelledData;
  validation: LabelledData;
  /** Shuffles each epoch (tfjs's own shuffle is not seedable); default the system CSPRNG. */
  random?: RandomSource;
  /** The backend name for logs; default the one tfjs is on. */
  backend?: string;
  /** Federate only the weights whose names are listed; default all trainable weights. */
  federated?: readonly string[];
}

function num(config: TrainConfig, key: string, fallback: number): number {
  const v = config[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export class LayersModelTrainer implements LocalTrainer {
  readonly tensors: readonly TensorSpec[];
  readonly backend: string;
  private readonly random: RandomSource;
  private readonly variables: tf.LayerVariable[];
  private readonly size: number;
  /**
   * Host copy of the federated weights. GPU backends cannot read synchronously in Node (webgpu's
   * dataSync needs an OffscreenCanvas), so fit refreshes it with async reads and getWeights serves it.
   */
  private host: Float32Array | null = null;

  constructor(private readonly o: LayersTrainerOptions) {
    const all = o.model.trainableWeights;
    // originalName is stable across model instances when layers are named; name is uniquified.
    this.variables = o.federated === undefined ? all : all.filter((v) => o.federated!.includes(v.originalName));
    if (this.variables.length === 0) throw new FedtuneError('FT_ERR_CONFIG', 'no federated weights selected');
    this.tensors = this.variables.map((v) => ({ name: v.originalName, shape: [...v.shape] as number[] }));
    this.size = this.tensors.reduce((s, t) => s + tensorSize(t.shape), 0);
    this.backend = o.backend ?? tf.getBackend();
    this.random = o.random ?? systemRandom(nodeCryptoProvider);
  }

  getWeights(): Float32Array {
    // Before the first fit the weights were written from host memory, so a sync read is safe.
    this.host ??= this.readWeights((v) => v.read().dataSync() as Float32Array);
    return this.host.slice();
  }

  private readWeights(read: (v: tf.LayerVariable) => Float32Array): Float32Array {
    const out = new Float32Array(this.size);
    let offset = 0;
    for (const v of this.variables) {
      const values = read(v);
      out.set(values, offset);
      offset += values.length;
    }
    return out;
  }

  private async refreshHost(): Promise<void> {
    const parts = await Promise.all(this.variables.map((v) => v.read().data() as Promise<Float32Array>));
    let i = 0;
    this.host = this.readWeights(() => parts[i++]!);
  }

  setWeights(data: Float32Array): void {
    if (data.length !== this.size) throw new RangeError(`setWeights: ${data.length} elements, model has ${this.size}`);
    this.host = data.slice();
    const parts = splitTensors({ tensors: this.tensors, data });
    tf.tidy(() => parts.forEach((p, i) => this.variables[i]!.write(tf.tensor(p.values, [...p.spec.shape]))));
  }

  async fit(config: TrainConfig): Promise<FitOutcome> {
    const epochs = Math.max(1, Math.floor(num(config, 'epochs', 1)));
    const batchSize = Math.max(1, Math.floor(num(config, 'batchSize', 32)));
    const { train } = this.o;
    const n = train.labels.length;
    let lastLoss = NaN;
    for (let e = 0; e < epochs; e++) {
      const order = permutation(n, this.random);
      const [xs, ys] = this.tensorsFor(train, order);
      const h = await this.o.model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
      xs.dispose();
      ys.dispose();
      lastLoss = Number(h.history.loss?.[0]);
    }
    if (!Number.isFinite(lastLoss)) throw new FedtuneError('FT_ERR_TRAINING', `training loss is ${lastLoss}`);
    await this.refreshHost();
    return { numExamples: n * epochs, metrics: { trainLoss: lastLoss } };
  }

  async evaluate(config: TrainConfig): Promise<EvaluateOutcome> {
    const { validation } = this.o;
    const [xs, ys] = this.tensorsFor(validation);
    const out = this.o.model.evaluate(xs, ys, { batchSize: Math.max(1, Math.floor(num(config, 'batchSize', 256))) });
    const scalars = Array.isArray(out) ? out : [out];
    const values = await Promise.all(scalars.map(async (s) => (await s.data())[0]!));
    tf.dispose([xs, ys, ...scalars]);
    const names = this.o.model.metricsNames;
    const metrics: Record<string, number> = {};
    names.forEach((name, i) => {
      if (i > 0) metrics[name === 'acc' ? 'accuracy' : name] = values[i]!;
    });
    return { numExamples: validation.labels.length, loss: values[0]!, metrics };
  }

  dispose(): void {
    this.o.model.dispose();
  }

  private tensorsFor(d: LabelledData, order?: readonly number[]): [tf.Tensor2D, tf.Tensor2D] {
    return tf.tidy(() => {
      let x = tf.tensor2d(d.features, [d.labels.length, d.numFeatures]);
      let y = tf.oneHot(tf.tensor1d(d.labels, 'int32'), d.numClasses).toFloat() as tf.Tensor2D;
      if (order !== undefined) {
        const idx = tf.tensor1d(order as number[], 'int32');
        x = tf.gather(x, idx);
        y = tf.gather(y, idx);
      }
      return [x, y];
    });
  }
}
