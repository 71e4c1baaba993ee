// Shared helpers for the DP tests: seeded sources, a scripted byte source, and a chi-square
// goodness-of-fit check against an exact pmf.
import { nodeCryptoProvider } from '../crypto/node-crypto.js';
import { seededRandom, type RandomSource } from '../crypto/random.js';

/** A reproducible CSPRNG source for tests. */
export function testRandom(seed: string): RandomSource {
  return seededRandom(nodeCryptoProvider, `dp-test/${seed}`);
}

/** A source that returns the given bytes in order (then throws), for exactness tests. */
export function scriptedRandom(bytes: Uint8Array): RandomSource {
  let pos = 0;
  const take = (n: number): Uint8Array => {
    if (pos + n > bytes.length) throw new Error('scripted source exhausted');
    const out = bytes.slice(pos, pos + n);
    pos += n;
    return out;
  };
  return {
    bytes: take,
    uint32: () => new DataView(take(4).buffer).getUint32(0),
    float: () => {
      throw new Error('not scripted');
    },
    int: () => {
      throw new Error('not scripted');
    },
    bigint: () => {
      throw new Error('not scripted');
    },
  };
}

/**
 * Upper critical value of the chi-square distribution with k degrees of freedom at tail
 * probability 1e-4 (Wilson-Hilferty cube approximation; within ~1% for k >= 5). A seeded test
 * that exceeds it is then a real discrepancy, not bad luck.
 */
export function chiSquareCritical1e4(k: number): number {
  const z = 3.719; // standard normal 1 - 1e-4 quantile
  const a = 2 / (9 * k);
  return k * (1 - a + z * Math.sqrt(a)) ** 3;
}

/**
 * Chi-square statistic of integer samples against a pmf on the integers: bins are single values
 * with expected count >= 5, and the two tails are merged into one bin each.
 */
export function chiSquare(samples: ArrayLike<number>, pmf: (x: number) => number, support: number): { stat: number; dof: number } {
  const n = samples.length;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) counts.set(samples[i]!, (counts.get(samples[i]!) ?? 0) + 1);
  let lo = 0;
  while (pmf(lo - 1) * n >= 5 && lo > -support) lo--;
  let hi = 0;
  while (pmf(hi + 1) * n >= 5 && hi < support) hi++;
  let stat = 0;
  let bins = 0;
  let lowE = 0;
  let highE = 0;
  for (let x = -support; x <= support; x++) {
    if (x < lo) lowE += pmf(x);
    else if (x > hi) highE += pmf(x);
  }
  let lowO = 0;
  let highO = 0;
  for (const [x, c] of counts) {
    if (x < lo) lowO += c;
    else if (x > hi) highO += c;
  }
  for (let x = lo; x <= hi; x++) {
    const e = pmf(x) * n;
    const o = counts.get(x) ?? 0;
    stat += ((o - e) * (o - e)) / e;
    bins++;
  }
  for (const [o, p] of [
    [lowO, lowE],
    [highO, highE],
  ] as const) {
    if (p * n > 0) {
      stat += ((o - p * n) * (o - p * n)) / (p * n);
      bins++;
    }
  }
  return { stat, dof: bins - 1 };
}

/** The pmf of the discrete Gaussian N_Z(0, s2), normalised over |x| <= support. */
export function discreteGaussianPmf(s2: number, support: number): (x: number) => number {
  let z = 0;
  for (let x = -support; x <= support; x++) z += Math.exp((-x * x) / (2 * s2));
  return (x) => Math.exp((-x * x) / (2 * s2)) / z;
}

/** The hostile number inputs every public function is tried with. */
export const HOSTILE_NUMBERS: readonly unknown[] = [NaN, Infinity, -Infinity, -1, '1', undefined, null, 2 ** 1000];
