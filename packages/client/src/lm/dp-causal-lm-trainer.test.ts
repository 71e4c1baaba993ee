import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, sampledGaussianEpsilon, seededRandom, type TrainConfig } from '@fedtune/shared';
import { AdamW } from './adamw.js';
import { tinyGptConfig } from './config.js';
import { DpCausalLmTrainer, createDpCausalLmTrainer, type DpCausalLmTrainerOptions } from './dp-causal-lm-trainer.js';
import { IGNORE_LABEL, maskedLoss, type TokenBatch } from './loss.js';
import { GptModel } from './model.js';
import { packDocuments } from './text-data.js';
import { ByteTokenizer } from './tokenizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rnd = (s: string) => seededRandom(nodeCryptoProvider, s);
const tok = new ByteTokenizer();
const PAD = tok.specialId('<|pad|>');
const CONFIG = tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 16, nLayer: 1, nHead: 2, nEmbd: 16 });
/** Full rows only (no padded tail), so the batch loss is the mean of the row losses. */
const TEXT = 'the quick brown fox jumps over the lazy dog, again and again and again.';
function fullRows(rows: number): TokenBatch {
  const b = packDocuments([tok.encode(TEXT.repeat(4))], CONFIG.contextLength, tok.eosId, PAD);
  const n = rows * CONFIG.contextLength;
  return { inputs: b.inputs.slice(0, n), labels: b.labels.slice(0, n), rows, seqLen: b.seqLen };
}

function options(over: Partial<DpCausalLmTrainerOptions> = {}): DpCausalLmTrainerOptions {
  const train = fullRows(4);
  const model = over.model ?? GptModel.random(CONFIG, rnd('dp-lm'));
  return { train, validation: train, random: rnd('dp-noise'), backend: 'cpu', l2Clip: 1, noiseMultiplier: 1, batchSize: 2, delta: 1e-5, ...over, model };
}

async function flat(ts: readonly tf.Tensor[]): Promise<Float64Array> {
  const parts = await Promise.all(ts.map((t) => t.data()));
  return Float64Array.from(parts.flatMap((p) => Array.from(p)));
}

describe('DpCausalLmTrainer', () => {
  it('with z = 0 and a huge C, one step is an AdamW step on the mean of the row gradients', async () => {
    // q = 1 (batchSize = rows) samples every row, so the reference needs no shared sampler.
    const train = fullRows(3);
    const trainer = await createDpCausalLmTrainer(options({ train, validation: train, batchSize: 3, noiseMultiplier: 0, l2Clip: 1e9 }));
    const w0 = trainer.getWeights();
    await trainer.fit({ steps: 1, learningRate: 1e-2, weightDecay: 0.01 });
    const dp = trainer.getWeights();

    const ref = GptModel.random(CONFIG, rnd('dp-lm'));
    const vars = ref.baseVariables().map((v) => v.variable);
    const { value, grads } = tf.variableGrads(() => maskedLoss(ref, train).loss, vars);
    const opt = new AdamW(vars, { learningRate: 1e-2, weightDecay: 0.01 });
    opt.step(vars.map((v) => grads[v.name]!));
    const want = await flat(vars);
    let maxDiff = 0;
    let moved = 0;
    for (let i = 0; i < want.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(dp[i]! - want[i]!));
      moved = Math.max(moved, Math.abs(dp[i]! - w0[i]!));
    }
    // Float32 sums in a different order; Adam's first step is lr * g / (|g| + 1e-8), so only
    // coordinates with |g| near 1e-8 could differ by more than rounding. 1e-4 is 1% of lr.
    expect(maxDiff).toBeLessThan(1e-4);
    expect(moved).toBeGreaterThan(5e-3);
    opt.dispose();
    tf.dispose([value, ...Object.values(grads)]);
    ref.dispose();
    trainer.dispose();
  });

  it('with z = 0 and a huge C, the privatized gradient is the sum of row gradients over q n (SGD)', async () => {
    const train = fullRows(4);
    const trainer = await createDpCausalLmTrainer(options({ train, validation: train, batchSize: 2, noiseMultiplier: 0, l2Clip: 1e9, optimizer: 'sgd' }));
    const rows = Int32Array.from([0, 2, 3]);
    const g = trainer.privatizedGradient(rows);
    const got = await flat(g.grads);
    const vars = trainer.model.baseVariables().map((v) => v.variable);
    // Reference: the batch mean loss of three full rows, times 3 rows, over q n = 2.
    const { grads } = tf.variableGrads(() => maskedLoss(trainer.model, { ...train, inputs: pick(train.inputs, rows), labels: pick(train.labels, rows), rows: 3 }).loss, vars);
    const want = (await flat(vars.map((v) => grads[v.name]!))).map((x) => (x * 3) / 2);
    let err = 0;
    let scale = 0;
    for (let i = 0; i < want.length; i++) {
      err = Math.max(err, Math.abs(got[i]! - want[i]!));
      scale = Math.max(scale, Math.abs(want[i]!));
    }
    // float32 against float32 in another summation order: relative 1e-4 of the largest entry.
    expect(err).toBeLessThan(1e-4 * scale);
    expect((await g.lossSum.data())[0]).toBeGreaterThan(0);
    tf.dispose([...g.grads, g.lossSum, ...Object.values(grads)]);
    trainer.dispose();
  });

  it('bounds each row: with z = 0 and a huge SGD step, the update has norm <= lr |B| C / (q n)', async () => {
    const C = 1e-3;
    const lr = 1e3;
    // One row, q = 1: the update is exactly lr * C (its gradient norm is far above C).
    const one = fullRows(1);
    const t1 = await createDpCausalLmTrainer(options({ train: one, validation: one, batchSize: 1, noiseMultiplier: 0, l2Clip: C, optimizer: 'sgd' }));
    const a = t1.getWeights();
    await t1.fit({ steps: 1, learningRate: lr, weightDecay: 0 });
    const norm1 = l2(a, t1.getWeights());
    // Float32 weights of size ~0.02-1 moved by ~1: relative 1e-3 absorbs the rounding of the difference.
    expect(Math.abs(norm1 - lr * C) / (lr * C)).toBeLessThan(1e-3);
    t1.dispose();
    // Four rows, q = 1/2: whatever Poisson draws, |B| <= 4, so the norm is <= lr * 4 C / 2.
    const t4 = await createDpCausalLmTrainer(options({ batchSize: 2, noiseMultiplier: 0, l2Clip: C, optimizer: 'sgd' }));
    for (let s = 0; s < 3; s++) {
      const before = t4.getWeights();
      await t4.fit({ steps: 1, learningRate: lr, weightDecay: 0 });
      expect(l2(before, t4.getWeights())).toBeLessThanOrEqual(((lr * 4 * C) / 2) * (1 + 1e-3));
    }
    t4.dispose();
  });

  it('adds N(0, (zC / qn)^2) per coordinate: chi-square on a zero-loss setup', async () => {
    // Every label masked: the loss and its gradient are 0, so the privatized gradient is pure noise.
    const train = fullRows(4);
    const masked = { ...train, labels: new Int32Array(train.labels.length).fill(IGNORE_LABEL) };
    const z = 1.5;
    const C = 2;
    const trainer = await createDpCausalLmTrainer(options({ train: masked, validation: masked, batchSize: 2, noiseMultiplier: z, l2Clip: C, random: rnd('chi') }));
    const g = trainer.privatizedGradient(Int32Array.from([0, 1, 3]));
    const x = await flat(g.grads);
    const sigma = (z * C) / 2;
    const d = x.length;
    let sum = 0;
    let chi = 0;
    for (const v of x) {
      sum += v;
      chi += (v / sigma) ** 2;
    }
    // chi ~ chi-square(d): mean d, sd sqrt(2d); the mean ~ N(0, sigma^2 / d). 5 sigma each.
    expect(Math.abs(chi - d)).toBeLessThan(5 * Math.sqrt(2 * d));
    expect(Math.abs(sum / d)).toBeLessThan((5 * sigma) / Math.sqrt(d));
    tf.dispose([...g.grads, g.lossSum]);
    trainer.dispose();
  });

  it('accounts each step as a sampled Gaussian at (q, z) and reports epsilon and trainLoss', async () => {
    const trainer = await createDpCausalLmTrainer(options({ batchSize: 1, noiseMultiplier: 1.1, delta: 1e-5 }));
    const fit = await trainer.fit({ epochs: 1, learningRate: 1e-3 });
    expect(fit.metrics['steps']).toBe(4); // round(1 / q), q = 1/4
    const again = await trainer.fit({ steps: 3, learningRate: 1e-3 });
    const want = sampledGaussianEpsilon({ samplingRate: 0.25, noiseMultiplier: 1.1, steps: 7, delta: 1e-5 }).epsilon;
    expect(trainer.steps).toBe(7);
    expect(trainer.privacySpent().epsilon).toBe(want);
    expect(again.metrics['epsilon']).toBe(want);
    expect(Number.isFinite(again.metrics['epsilon'])).toBe(true);
    expect(trainer.lastFitEvent).toEqual({ kind: 'sampled-gaussian', samplingRate: 0.25, noiseMultiplier: 1.1, count: 3 });
    expect(trainer.privacySpent(1e-3).epsilon).toBeLessThan(want);
    // trainLoss is there whenever a row was sampled; over 7 steps at q = 1/4 it is near certain.
    expect(fit.metrics['trainLoss'] ?? again.metrics['trainLoss']).toBeGreaterThan(0);
    trainer.dispose();
    // z = 0: no finite epsilon is reported.
    const open = await createDpCausalLmTrainer(options({ noiseMultiplier: 0 }));
    const r = await open.fit({ steps: 1 });
    expect(r.metrics['epsilon']).toBeUndefined();
    expect(open.privacySpent().epsilon).toBe(Infinity);
    open.dispose();
  });

  it('refuses hostile options, naming them', () => {
    const cases: [Partial<DpCausalLmTrainerOptions>, RegExp][] = [];
    for (const v of [NaN, 0, -1, Infinity]) cases.push([{ l2Clip: v }, /l2Clip/]);
    for (const v of [NaN, -1, Infinity]) cases.push([{ noiseMultiplier: v }, /noiseMultiplier/]);
    for (const v of [NaN, 0, -1, Infinity, 1.5, 5]) cases.push([{ batchSize: v }, /batchSize/]);
    for (const v of [NaN, 0, -1, 1, Infinity]) cases.push([{ delta: v }, /delta/]);
    cases.push([{ stepsSoFar: -1 }, /stepsSoFar/], [{ optimizer: 'adam' as 'sgd' }, /optimizer/], [{ l2Clip: '1' as unknown as number }, /l2Clip/]);
    const model = GptModel.random(CONFIG, rnd('hostile'));
    for (const [over, msg] of cases) expect(() => new DpCausalLmTrainer(options({ model, ...over })), JSON.stringify(over)).toThrow(msg);
    model.dispose();
  });

  it('refuses bad fit configs', async () => {
    const trainer = await createDpCausalLmTrainer(options());
    const configs: TrainConfig[] = [{ steps: 0 }, { steps: 1.5 }, { epochs: NaN }, { epochs: -1 }, { epochs: Infinity }, { learningRate: -1 }, { learningRate: NaN }];
    for (const c of configs) {
      await expect(trainer.fit(c), JSON.stringify(c)).rejects.toThrow(/steps|epochs|learningRate/);
    }
    expect(trainer.steps).toBe(0);
    trainer.dispose();
  });
});

function pick(a: Int32Array, rows: Int32Array): Int32Array {
  const L = CONFIG.contextLength;
  const out = new Int32Array(rows.length * L);
  rows.forEach((r, i) => out.set(a.subarray(r * L, (r + 1) * L), i * L));
  return out;
}

function l2(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}
