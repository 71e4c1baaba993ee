// Samplers for simulation data (not for privacy noise: DP noise lives in dp/ with exact
// samplers): standard normal (Box-Muller), Gamma (Marsaglia-Tsang 2000), Dirichlet.
import type { RandomSource } from '../crypto/random.js';

/** A standard normal draw (Box-Muller on 53-bit uniforms). */
export function sampleNormal(random: RandomSource): number {
  let u = 0;
  while (u === 0) u = random.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.float());
}

/** Gamma(shape, 1), Marsaglia and Tsang 2000, with the shape < 1 boost u^(1/shape). */
export function sampleGamma(random: RandomSource, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = random.float();
    return sampleGamma(random, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random.float();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (u > 0 && Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Dirichlet(alphas) draw by normalised Gammas. */
export function sampleDirichlet(random: RandomSource, alphas: readonly number[]): number[] {
  const g = alphas.map((a) => sampleGamma(random, a));
  const sum = g.reduce((s, x) => s + x, 0);
  // With tiny alphas every Gamma can underflow to 0; fall back to a random vertex.
  if (sum === 0) {
    const out = alphas.map(() => 0);
    out[random.int(alphas.length)] = 1;
    return out;
  }
  return g.map((x) => x / sum);
}
