// Exact Poisson and Skellam noise throughput (staircase rejection with certified double brackets and
// a bigint fallback, see src/dp/poisson.ts) for a d-dimensional vector, next to the exact discrete
// Gaussian of the same variance, and the bigint-only path; Skellam RDP epsilon cost.
import { timeMs as time, type BenchFigure, type BenchFn } from '../../../scripts/bench-types.js';
import { nodeCryptoProvider as crypto } from '../src/crypto/node-crypto.js';
import { seededRandom } from '../src/crypto/random.js';
import { DiscreteGaussian, Poisson, Skellam, skellamEpsilon, distributedLocalVariance } from '../src/dp/index.js';

export const bench: BenchFn = async ({ tiny }) => {
  const d = tiny ? 1000 : 1_000_000;
  const figures: BenchFigure[] = [];
  for (const lambda of [1e4, 1e6, 1e8, 1e12]) {
    const out = new Float64Array(d);
    const ms = time(() => new Poisson(lambda).fill(seededRandom(crypto, 'poisson-bench'), out));
    figures.push({ name: `Poisson, lambda = ${lambda}, d = ${d}`, value: d / ms / 1000, unit: 'M samples/s', note: 'exact; seeded AES-CTR source' });
  }
  for (const mu of [1e4, 1e8]) {
    const out = new Float64Array(d);
    const ms = time(() => new Skellam(mu).fill(seededRandom(crypto, 'skellam-bench'), out));
    figures.push({ name: `Skellam, mu = ${mu} (variance ${2 * mu}), d = ${d}`, value: d / ms / 1000, unit: 'M samples/s', note: 'two exact Poisson draws' });
    const msDg = time(() => new DiscreteGaussian(2 * mu).fill(seededRandom(crypto, 'skellam-bench'), out));
    figures.push({ name: `discrete Gaussian, sigma^2 = ${2 * mu}, d = ${d}`, value: d / msDg / 1000, unit: 'M samples/s', note: 'same variance, for comparison' });
  }
  const dExact = tiny ? 200 : 20_000;
  const exactOut = new Float64Array(dExact);
  const msExact = time(() => new Poisson(1e4, { exactArithmetic: true }).fill(seededRandom(crypto, 'poisson-bench'), exactOut));
  figures.push({ name: `Poisson, bigint-only path, lambda = 1e4, d = ${dExact}`, value: dExact / msExact / 1000, unit: 'M samples/s', note: 'every acceptance as an exact fraction' });
  const steps = tiny ? 10 : 1000;
  const params = { l2Sensitivity: 2000, localVariance: distributedLocalVariance(1, 2000, 100), nodes: 100, dimension: 1_000_000 };
  figures.push({ name: `Skellam RDP epsilon, q = 0.01, z = 1, T = ${steps}`, value: time(() => skellamEpsilon({ params, delta: 1e-6, samplingRate: 0.01, count: steps })), unit: 'ms' });
  return figures;
};
