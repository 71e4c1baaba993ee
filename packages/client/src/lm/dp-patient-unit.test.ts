// The attack behind issue 12's unit of privacy: a patient whose secret appears in k rows. With the
// record a packed row (the trainer before issue 12), each of the k rows is clipped to C on its own,
// so the patient moves the privatized gradient by up to kC/B and an adversary who sees one step's
// noised gradient tells "with the patient" from "without" almost every time. With the patient as
// the unit (all k rows clipped together), the move is at most C/B and the adversary is held to
// what one Gaussian step at z allows: success Phi(1/(2z)) at best (here 0.691 at z = 1).
//
// Adversary: knows the weights, every other record and the patient's rows (the strongest
// membership adversary of DP's definition), computes both worlds' noiseless gradients, projects
// the observed gradient on their difference and guesses the nearer world. 200 trials (100 per
// world, worlds in a fixed interleaved order, noise from the OS CSPRNG); exact one-sided binomial
// test against the bound p0 = Phi(1/(2z)): on the new trainer the successes must not be
// significantly above p0 (p > 0.001); on the row-level trainer they are (p < 1e-9).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom, systemRandom } from '@fedtune/shared';
import { binomialPmf } from '../../../../test/helpers/binomial.js';
import { tinyGptConfig } from './config.js';
import { DpCausalLmTrainer } from './dp-causal-lm-trainer.js';
import type { TokenBatch } from './loss.js';
import { GptModel } from './model.js';
import { packDocuments } from './text-data.js';
import { ByteTokenizer } from './tokenizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tok = new ByteTokenizer();
const PAD = tok.specialId('<|pad|>');
const CONFIG = tinyGptConfig({ vocabSize: tok.vocabSize, contextLength: 16, nLayer: 1, nHead: 2, nEmbd: 16 });
const K = 8;
const OTHERS = ['alpha beta gamma delta eps', 'one two three four five six', 'red green blue cyan magenta', 'north south east west up', 'monday tuesday wednesday th', 'apple pear plum cherry fig'];
const SECRET = 'Dupont: pancreatic cancer.';

/** One row per text (cut or padded to the context). */
function rows(texts: readonly string[]): TokenBatch {
  const parts = texts.map((t) => packDocuments([tok.encode(t)], CONFIG.contextLength, tok.eosId, PAD));
  return { inputs: Int32Array.from(parts.flatMap((p) => [...p.inputs.subarray(0, CONFIG.contextLength)])), labels: Int32Array.from(parts.flatMap((p) => [...p.labels.subarray(0, CONFIG.contextLength)])), rows: texts.length, seqLen: CONFIG.contextLength };
}

/** P[Bin(n, p) >= k]. */
const upperTail = (n: number, k: number, p: number): number => Array.from({ length: n - k + 1 }, (_, i) => binomialPmf(n, k + i, p)).reduce((a, b) => a + b, 0);

/** Standard normal CDF (Abramowitz-Stegun 26.2.17, |error| < 7.5e-8). */
function phi(x: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(x));
  const d = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  const p = d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return x >= 0 ? 1 - p : p;
}

async function flat(ts: readonly tf.Tensor[]): Promise<Float64Array> {
  const out = Float64Array.from((await Promise.all(ts.map((t) => t.data()))).flatMap((d) => Array.from(d)));
  tf.dispose([...ts]);
  return out;
}

/** Trials of the distinguishing attack; `patientUnits` chooses the trainer's unit of privacy. */
async function attack(patientUnits: boolean, trials: number): Promise<number> {
  const weights = GptModel.random(CONFIG, seededRandom(nodeCryptoProvider, 'weights'));
  const named = new Map(weights.baseVariables().map((v) => [v.name, v.variable.dataSync() as Float32Array]));
  weights.dispose();
  const without = rows(OTHERS);
  const withPatient = rows([...OTHERS, ...Array<string>(K).fill(SECRET)]);
  // Units: each other record alone; the patient's K rows together (new) or one unit each (old).
  const unitsWith = patientUnits ? [...OTHERS.map((_, i) => [i]), Array.from({ length: K }, (_, j) => OTHERS.length + j)] : undefined;
  const make = (train: TokenBatch, units: number[][] | undefined, z: number) =>
    new DpCausalLmTrainer({ model: GptModel.fromWeights(CONFIG, named), train, validation: train, random: systemRandom(nodeCryptoProvider), backend: 'cpu', l2Clip: 1, noiseMultiplier: z, batchSize: OTHERS.length, delta: 1e-5, ...(units === undefined ? {} : { units }) });
  const worlds = [make(without, undefined, 1), make(withPatient, unitsWith, 1)];
  const clean = [make(without, undefined, 0), make(withPatient, unitsWith, 0)];
  const all = (t: DpCausalLmTrainer) => Int32Array.from(t.units.keys());
  const g0 = await flat(clean[0]!.privatizedGradient(all(clean[0]!)).grads);
  const g1 = await flat(clean[1]!.privatizedGradient(all(clean[1]!)).grads);
  const diff = g1.map((x, i) => x - g0[i]!);
  const norm = Math.hypot(...diff);
  const mid = diff.reduce((s, d, i) => s + (d / norm) * ((g0[i]! + g1[i]!) / 2), 0);
  let wins = 0;
  for (let t = 0; t < trials; t++) {
    const world = t % 2;
    const w = worlds[world]!;
    const { grads, lossSum } = w.privatizedGradient(all(w));
    lossSum.dispose();
    const g = await flat(grads);
    const score = g.reduce((s, x, i) => s + (diff[i]! / norm) * x, 0);
    if ((score > mid ? 1 : 0) === world) wins++;
  }
  for (const x of [...worlds, ...clean]) x.dispose();
  return wins;
}

describe('unit of privacy: a patient whose secret is in k rows (issue 12)', () => {
  const trials = 200;
  const p0 = phi(1 / 2); // z = 1: the best any test can do against one step at sensitivity C.

  it('patient-level clipping holds the adversary to what DP allows', async () => {
    const wins = await attack(true, trials);
    expect(upperTail(trials, wins, p0), `${wins}/${trials} wins against the bound ${p0.toFixed(3)}`).toBeGreaterThan(1e-3);
  });

  it('row-level clipping (the old record) lets it win almost every trial', async () => {
    const wins = await attack(false, trials);
    expect(upperTail(trials, wins, p0), `${wins}/${trials} wins`).toBeLessThan(1e-9);
  });
});

describe('units option', () => {
  it('refuses units that do not partition the rows, naming the problem', () => {
    const train = rows(OTHERS.slice(0, 3));
    const make = (units: unknown, batchSize = 1) => () =>
      new DpCausalLmTrainer({ model: GptModel.random(CONFIG, seededRandom(nodeCryptoProvider, 'u')), train, validation: train, random: systemRandom(nodeCryptoProvider), backend: 'cpu', l2Clip: 1, noiseMultiplier: 1, batchSize, delta: 1e-5, units: units as number[][] });
    expect(make([[0, 1], [1, 2]])).toThrow(/units must not overlap/);
    expect(make([[0, 1]])).toThrow(/row 2 belongs to no unit/);
    expect(make([[0, 1, 2, 3]])).toThrow(/outside \[0, 3\)/);
    expect(make([[0], [], [1, 2]])).toThrow(/units\[1\] must be a non-empty/);
    expect(make([[0, 1.5], [2]])).toThrow(/row 1.5/);
    expect(make('0,1,2')).toThrow(TypeError);
    expect(make([[0, 1], [2]], 3)).toThrow(/batchSize must be <= the 2 training units/);
    const t = make([[2, 0], [1]], 2)();
    expect(t.samplingRate).toBe(1);
    expect(() => t.privatizedGradient(Int32Array.from([5]))).toThrow(/unit 5 outside/);
    t.dispose();
  });
});
