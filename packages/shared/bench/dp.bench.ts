// Noise and accounting costs: exact discrete Gaussian throughput (CKS20 Algorithm 3, fast path and
// bigint-only path) for a d-dimensional noise vector, continuous Gaussian noise, RDP and PLD epsilon.
import { timeMs as time, type BenchFigure, type BenchFn } from '../../../scripts/bench-types.js';
import { nodeCryptoProvider as crypto } from '../src/crypto/node-crypto.js';
import { seededRandom, systemRandom } from '../src/crypto/random.js';
import { addGaussianNoise, DiscreteGaussian, pldEpsilon, sampledGaussianEpsilon } from '../src/dp/index.js';

export const bench: BenchFn = async ({ tiny }) => {
  const d = tiny ? 1000 : 1_000_000;
  const figures: BenchFigure[] = [];
  for (const variance of [1, 1e4, 1e10]) {
    const out = new Float64Array(d);
    const ms = time(() => new DiscreteGaussian(variance).fill(seededRandom(crypto, 'dp-bench'), out));
    figures.push({ name: `discrete Gaussian, sigma^2 = ${variance}, d = ${d}`, value: d / ms / 1000, unit: 'M samples/s', note: 'exact; seeded AES-CTR source' });
  }
  const dExact = tiny ? 200 : 100_000;
  const exactOut = new Float64Array(dExact);
  const msExact = time(() => new DiscreteGaussian(1e4, { exactArithmetic: true }).fill(seededRandom(crypto, 'dp-bench'), exactOut));
  figures.push({ name: `discrete Gaussian, bigint-only path, sigma^2 = 1e4, d = ${dExact}`, value: dExact / msExact / 1000, unit: 'M samples/s', note: 'literal CKS20 arithmetic' });
  const sys = new Float64Array(d);
  const msSys = time(() => new DiscreteGaussian(1e4).fill(systemRandom(crypto), sys));
  figures.push({ name: `discrete Gaussian, system CSPRNG, sigma^2 = 1e4, d = ${d}`, value: d / msSys / 1000, unit: 'M samples/s' });
  const cont = new Float32Array(d);
  const msCont = time(() => addGaussianNoise(seededRandom(crypto, 'dp-bench'), 1, cont));
  figures.push({ name: `continuous Gaussian (polar), d = ${d}`, value: d / msCont / 1000, unit: 'M samples/s' });
  const steps = tiny ? 10 : 1000;
  figures.push({ name: `RDP epsilon, q = 0.01, z = 1, T = ${steps}`, value: time(() => sampledGaussianEpsilon({ samplingRate: 0.01, noiseMultiplier: 1, steps, delta: 1e-6 })), unit: 'ms' });
  figures.push({ name: `PLD epsilon, q = 0.01, z = 1, T = ${steps}`, value: time(() => pldEpsilon({ samplingRate: 0.01, noiseMultiplier: 1, steps, delta: 1e-6 })), unit: 'ms' });
  return figures;
};
