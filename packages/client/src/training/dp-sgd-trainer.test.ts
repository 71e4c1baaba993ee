import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FedtuneError, nodeCryptoProvider, sampledGaussianEpsilon, seededRandom, type RandomSource, type TrainConfig } from '@fedtune/shared';
import { splitValidation, type LabelledData } from '../data/dataset.js';
import { syntheticClassification } from '../data/synthetic-classification.js';
import { categoricalCrossentropyPerExample, denseEngine, loopEngine, planMicrobatches, poissonSample } from './dp-sgd-gradients.js';
import { DpSgdTrainer, type DpSgdTrainerOptions } from './dp-sgd-trainer.js';
import { buildMlp } from './mlp.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rnd = (s: string): RandomSource => seededRandom(nodeCryptoProvider, s);

function data(rows: number, seed: string, numFeatures = 8, numClasses = 4): { train: LabelledData; validation: LabelledData } {
  return splitValidation(syntheticClassification(rnd(`data/${seed}`), { rows, numFeatures, numClasses }), 0.2);
}

function trainer(over: Partial<DpSgdTrainerOptions> & { hidden?: number[]; rows?: number } = {}): DpSgdTrainer {
  const { hidden = [16], rows = 500, ...rest } = over;
  const d = data(rows, 'base');
  const model = buildMlp({ inputs: d.train.numFeatures, hidden, classes: d.train.numClasses, learningRate: 0.1 }, rnd('init'));
  return new DpSgdTrainer({
    model, ...d, random: rnd('dp'), backend: 'cpu',
    l2Clip: 1, noiseMultiplier: 1, batchSize: 20, learningRate: 0.1, delta: 1e-5,
    ...rest,
  });
}

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const diff = (a: Float32Array, b: Float32Array): Float32Array => a.map((x, i) => x - b[i]!);

describe('Poisson sampling', () => {
  it('includes each record independently at rate q (mean size and per-bucket counts within 5 sigma)', () => {
    const n = 1000, q = 0.05, draws = 2000;
    const r = rnd('poisson');
    const buckets = new Float64Array(10);
    let total = 0;
    for (let t = 0; t < draws; t++) {
      const rows = poissonSample(n, q, r);
      for (let i = 1; i < rows.length; i++) expect(rows[i]!).toBeGreaterThan(rows[i - 1]!);
      total += rows.length;
      for (const i of rows) buckets[Math.floor(i / 100)]! += 1;
    }
    // Sizes are Binomial(n, q): the mean of `draws` of them has sd sqrt(n q (1 - q) / draws).
    expect(Math.abs(total / draws - n * q)).toBeLessThan(5 * Math.sqrt((n * q * (1 - q)) / draws));
    const perBucket = (draws * n * q) / 10;
    for (const b of buckets) expect(Math.abs(b - perBucket)).toBeLessThan(5 * Math.sqrt(perBucket));
    expect(poissonSample(7, 1, r)).toEqual(Int32Array.from([0, 1, 2, 3, 4, 5, 6]));
  });
});

describe('clipped microbatch sums', () => {
  // Float32 against float32 by a different computation order: 1e-4 relative plus 1e-6 absolute.
  const close = (a: Float32Array, b: Float32Array): void => {
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-6 + 1e-4 * Math.abs(b[i]!));
  };
  for (const m of [1, 4]) {
    it(`dense and loop engines agree with clipping active (microbatch ${m})`, async () => {
      const d = data(200, 'eng');
      const model = buildMlp({ inputs: 8, hidden: [16, 8], classes: 4, learningRate: 0.1 }, rnd('init-eng'));
      const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
      const dense = denseEngine(model, vars, categoricalCrossentropyPerExample)!;
      expect(dense).not.toBeNull();
      const loop = loopEngine(model, vars, categoricalCrossentropyPerExample);
      const x = tf.tensor2d(d.train.features.subarray(0, 24 * 8), [24, 8]);
      const y = tf.oneHot(tf.tensor1d(d.train.labels.subarray(0, 24), 'int32'), 4).toFloat() as tf.Tensor2D;
      const plan = planMicrobatches(24, m, 6, rnd('plan'));
      for (const clip of [0.05, 1e6]) {
        const a = dense(x, y, plan, clip);
        const b = loop(x, y, plan, clip);
        for (let i = 0; i < vars.length; i++) close((await a.sums[i]!.data()) as Float32Array, (await b.sums[i]!.data()) as Float32Array);
        expect((await a.lossSum.data())[0]).toBeCloseTo((await b.lossSum.data())[0]!, 4);
        tf.dispose([...a.sums, a.lossSum, ...b.sums, b.lossSum]);
      }
      tf.dispose([x, y]);
      model.dispose();
    });
  }
});

describe('DpSgdTrainer', () => {
  for (const engine of ['auto', 'loop'] as const) {
    it(`with z = 0 and C huge, microbatch 1 is plain SGD on the sampled batch (engine ${engine})`, async () => {
      const t = trainer({ noiseMultiplier: 0, l2Clip: 1e9, learningRate: 0.5, engine, random: rnd('sgd') });
      expect(t.engine).toBe(engine === 'auto' ? 'dense' : 'loop');
      const before = t.getWeights();
      // A twin of the trainer's source replays its draws: m = 1 and z = 0 draw only the batch.
      const rows = poissonSample(400, 20 / 400, rnd('sgd'));
      expect(rows.length).toBeGreaterThan(0);
      await t.fit({ steps: 1 });
      const after = t.getWeights();
      // Reference: tf's gradient of the mean loss on the same rows, on a fresh copy of the model.
      const d = data(500, 'base');
      const ref = buildMlp({ inputs: 8, hidden: [16], classes: 4, learningRate: 0.1 }, rnd('init'));
      const idx = tf.tensor1d(rows, 'int32');
      const xs = tf.gather(tf.tensor2d(d.train.features, [400, 8]), idx);
      const ys = tf.gather(tf.oneHot(tf.tensor1d(d.train.labels, 'int32'), 4).toFloat(), idx) as tf.Tensor2D;
      const vars = ref.trainableWeights.map((v) => v.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => tf.mean(categoricalCrossentropyPerExample(ys, ref.apply(xs) as tf.Tensor)), vars);
      const g = new Float32Array(before.length);
      let off = 0;
      for (const v of vars) {
        const part = (await grads[v.name]!.data()) as Float32Array;
        g.set(part, off);
        off += part.length;
      }
      // DP-SGD divides the sum by the expected batch size 20: update = lr * |B| / 20 * mean gradient.
      const expected = g.map((x) => -0.5 * (rows.length / 20) * x);
      const got = diff(after, before);
      // float32 gradients by two computation orders, then differences of weights ~0.1-1 in size:
      // 2e-6 absolute (a few ulps of the weights) plus 1e-4 relative.
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - expected[i]!)).toBeLessThanOrEqual(2e-6 + 1e-4 * Math.abs(expected[i]!));
      expect(norm(got)).toBeGreaterThan(1e-3);
      tf.dispose([idx, xs, ys]);
      ref.dispose();
      t.dispose();
    });
  }

  for (const m of [1, 4]) {
    it(`clipping bounds every step: ||dw|| <= lr C (non-empty microbatches) / (batchSize / m), z = 0, lr 1e3 (microbatch ${m})`, async () => {
      const lr = 1000, C = 1e-3;
      const t = trainer({ noiseMultiplier: 0, l2Clip: C, learningRate: lr, microbatchSize: m, random: rnd(`clip${m}`) });
      const twin = rnd(`clip${m}`);
      const slotsPerStep = 20 / m;
      let tight = 0;
      for (let s = 0; s < 6; s++) {
        const before = t.getWeights();
        await t.fit({ steps: 1 });
        const rows = poissonSample(400, 0.05, twin);
        const plan = planMicrobatches(rows.length, m, slotsPerStep, twin);
        const nonEmpty = new Set(plan.slots).size;
        const bound = (lr * C * nonEmpty) / slotsPerStep;
        const step = norm(diff(t.getWeights(), before));
        // 1e-4 relative slack: float32 clipping and float32 weight differences.
        expect(step).toBeLessThanOrEqual(bound * (1 + 1e-4) + 1e-6);
        tight = Math.max(tight, step / bound);
      }
      expect(tight).toBeGreaterThan(0.3); // clipping is what binds: gradients are far above C
      t.dispose();
    });
  }

  for (const m of [1, 4]) {
    it(`adds N(0, (z C / (batchSize / m))^2) per coordinate (chi-square, 5 sigma; microbatch ${m})`, async () => {
      const z = 1.3, C = 0.7, lr = 0.5;
      // A loss with exactly zero gradient: the update is the noise alone.
      const t = trainer({ hidden: [64], noiseMultiplier: z, l2Clip: C, learningRate: lr, microbatchSize: m, loss: (_y, p) => tf.mul(tf.sum(p, 1), 0) as tf.Tensor1D });
      const d = t.getWeights().length;
      const sigma = (lr * z * C) / (20 / m);
      let sumSq = 0, sum = 0, count = 0;
      for (let s = 0; s < 5; s++) {
        t.setWeights(new Float32Array(d));
        await t.fit({ steps: 1 });
        for (const w of t.getWeights()) {
          sumSq += (w / sigma) ** 2;
          sum += w / sigma;
          count++;
        }
      }
      // sum of squares of N(0,1) is chi-square(count): mean count, sd sqrt(2 count).
      expect(Math.abs(sumSq - count)).toBeLessThan(5 * Math.sqrt(2 * count));
      expect(Math.abs(sum)).toBeLessThan(5 * Math.sqrt(count));
      t.dispose();
    });
  }

  it('accounts the sampled Gaussian at q, z (z / 2 with microbatches) and its steps', async () => {
    const t = trainer();
    await t.fit({ steps: 37 });
    const spent = t.privacySpent(1e-6);
    expect(spent).toEqual({ epsilon: sampledGaussianEpsilon({ samplingRate: 0.05, noiseMultiplier: 1, steps: 37, delta: 1e-6 }).epsilon, delta: 1e-6, steps: 37, samplingRate: 0.05, noiseMultiplier: 1 });
    const out = await t.fit({ epochs: 0.5 }); // round(0.5 / 0.05) = 10 steps
    expect(t.steps).toBe(47);
    expect(out.numExamples).toBe(10 * 20);
    expect(t.lastFitEvent).toEqual({ kind: 'sampled-gaussian', samplingRate: 0.05, noiseMultiplier: 1, count: 10 });
    expect(out.metrics.epsilon).toBe(sampledGaussianEpsilon({ samplingRate: 0.05, noiseMultiplier: 1, steps: 47, delta: 1e-5 }).epsilon);
    expect(Number.isFinite(out.metrics.trainLoss)).toBe(true);
    t.dispose();

    const mb = trainer({ microbatchSize: 4, noiseMultiplier: 2, stepsSoFar: 100 });
    await mb.fit({ steps: 3 });
    expect(mb.privacySpent().epsilon).toBe(sampledGaussianEpsilon({ samplingRate: 0.05, noiseMultiplier: 1, steps: 103, delta: 1e-5 }).epsilon);
    mb.dispose();

    const none = trainer({ noiseMultiplier: 0 });
    const o = await none.fit({ steps: 2 });
    expect(o.metrics.epsilon).toBeUndefined();
    expect(none.privacySpent().epsilon).toBe(Infinity);
    none.dispose();
  });

  it('still learns a small MLP with z = 1, C = 1 (validation accuracy well above chance 0.25)', async () => {
    const d = data(3000, 'learn');
    const model = buildMlp({ inputs: 8, hidden: [32], classes: 4, learningRate: 0.1 }, rnd('init-learn'));
    const t = new DpSgdTrainer({ model, ...d, random: rnd('learn'), backend: 'cpu', l2Clip: 1, noiseMultiplier: 1, batchSize: 64, learningRate: 0.5, delta: 1e-5 });
    const before = await t.evaluate({});
    const out = await t.fit({ epochs: 4 });
    const after = await t.evaluate({});
    expect(after.metrics.accuracy).toBeGreaterThan(0.5);
    expect(after.metrics.accuracy).toBeGreaterThan(before.metrics.accuracy! + 0.15);
    expect(out.metrics.epsilon).toBeGreaterThan(0);
    expect(out.metrics.epsilon).toBeLessThan(5);
    t.dispose();
  });

  it('reports a NaN loss as FT_ERR_TRAINING and still counts the steps taken', async () => {
    const t = trainer({ loss: (_y, p) => tf.mul(tf.sum(p, 1), NaN) as tf.Tensor1D });
    await expect(t.fit({ steps: 3 })).rejects.toMatchObject({ code: 'FT_ERR_TRAINING' });
    expect(t.steps).toBe(3);
    expect(t.lastFitEvent?.count).toBe(3);
    t.dispose();
  });

  it('uses the loop engine for a model the dense path does not cover, or a weight subset', () => {
    const d = data(100, 'other');
    const model = tf.sequential({ layers: [tf.layers.dense({ name: 'h', units: 4, inputShape: [8], activation: 'relu' }), tf.layers.dropout({ rate: 0.1 }), tf.layers.dense({ name: 'out', units: 4, activation: 'softmax' })] });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const opts = { ...d, random: rnd('o'), backend: 'cpu', l2Clip: 1, noiseMultiplier: 1, batchSize: 8, learningRate: 0.1, delta: 1e-5 };
    expect(new DpSgdTrainer({ model, ...opts }).engine).toBe('loop');
    const mlp = buildMlp({ inputs: 8, hidden: [4], classes: 4, learningRate: 0.1 }, rnd('i'));
    const sub = new DpSgdTrainer({ model: mlp, ...opts, federated: ['logits/kernel', 'logits/bias'] });
    expect(sub.engine).toBe('loop');
    expect(sub.tensors.map((s) => s.name)).toEqual(['logits/kernel', 'logits/bias']);
    model.dispose();
    mlp.dispose();
  });

  it('rejects hostile options, naming the option', () => {
    const bad: [string, unknown, typeof RangeError | typeof TypeError][] = [];
    for (const v of [NaN, 0, -1, Infinity, -Infinity]) bad.push(['l2Clip', v, RangeError], ['learningRate', v, RangeError]);
    for (const v of [NaN, -1, Infinity, -0.5]) bad.push(['noiseMultiplier', v, RangeError]);
    for (const v of [NaN, 0, -1, Infinity, 1.5, 2 ** 53, 401]) bad.push(['batchSize', v, RangeError]);
    for (const v of [NaN, 0, -1, Infinity, 1.5, 3, 40]) bad.push(['microbatchSize', v, RangeError]);
    for (const v of [NaN, 0, 1, -1e-5, Infinity]) bad.push(['delta', v, RangeError]);
    for (const k of ['l2Clip', 'noiseMultiplier', 'batchSize', 'microbatchSize', 'learningRate', 'delta']) bad.push([k, '1', TypeError], [k, null, TypeError], [k, 1n, TypeError]);
    bad.push(['engine', 'fast', RangeError], ['loss', 'mse', TypeError], ['stepsSoFar', -1, RangeError], ['random', {}, TypeError]);
    for (const [key, value, kind] of bad) {
      const err = (() => {
        try {
          trainer({ [key]: value } as Partial<DpSgdTrainerOptions>);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err, `${key} = ${String(value)}`).toBeInstanceOf(kind);
      expect((err as Error).message).toContain(key);
    }
    expect(() => trainer({ model: {} as tf.LayersModel })).toThrow(TypeError);
    const bn = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [8] }), tf.layers.batchNormalization(), tf.layers.dense({ units: 4, activation: 'softmax' })] });
    bn.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    expect(() => trainer({ model: bn })).toThrow(/model must not contain BatchNormalization/);
    bn.dispose();
    const d = data(50, 'h');
    expect(() => trainer({ train: { ...d.train, labels: d.train.labels.map(() => 9) } })).toThrow(/train.labels\[0\]/);
    expect(() => trainer({ train: { ...d.train, features: new Float32Array(3) } })).toThrow(/train.features/);
  });

  it('rejects a bad epochs or steps in the fit config as FT_ERR_CONFIG', async () => {
    const t = trainer();
    const configs: TrainConfig[] = [{ epochs: NaN }, { epochs: 0 }, { epochs: -1 }, { epochs: Infinity }, { epochs: 'x' }, { steps: 1.5 }, { steps: 0 }, { steps: true }, { epochs: 1e300 }];
    for (const config of configs) {
      const e = await t.fit(config).catch((x: unknown) => x);
      expect(e, JSON.stringify(config)).toBeInstanceOf(FedtuneError);
      expect((e as FedtuneError).code).toBe('FT_ERR_CONFIG');
    }
    expect(t.steps).toBe(0);
    t.dispose();
  });
});
