// Privacy loss distribution (PLD) accountant for the Poisson-subsampled Gaussian: pessimistic
// discretisation of the privacy loss on a grid of width Delta, T-fold composition by FFT
// convolution, and epsilon from the hockey-stick divergence. Koskela, Jälkö, Honkela 2020
// ("Computing Tight Differential Privacy Guarantees Using FFT", AISTATS) and Meiser, Mohammadi 2018
// / Google's dp_accounting pld (Doroshenko et al. 2022, "Connect the Dots") for the pessimistic
// rounding. Add-or-remove adjacency: epsilon is the max over the remove and add directions.
import { assertDelta, assertInteger, assertNonNegative, assertPositive, assertProbability } from '../assert.js';
import { convolve } from './fft.js';
import { erfc, logAdd, logErfc } from './special.js';

/**
 * A discretised PLD: probs[i] is the mass of loss (offset + i) * interval; `infinity` is the mass
 * of loss +Infinity. Each PLD carries its own interval: a wide loss range coarsens the grid.
 */
interface DiscretePld {
  readonly offset: number;
  readonly interval: number;
  readonly probs: Float64Array;
  readonly infinity: number;
}

/** Options of {@link pldEpsilon}. */
export interface PldOptions {
  /**
   * Grid width Delta of the loss (default 1e-4; the bound is pessimistic by at most T * Delta). A
   * step whose loss range would need more than {@link PLD_MAX_GRID_POINTS} points at this width
   * (a tiny noise multiplier) is discretised on a coarser grid instead, still pessimistically.
   */
  readonly interval?: number;
  /** Tail mass moved pessimistically (lower tail up to the first kept point, upper tail to +Infinity) per step (default 1e-15). */
  readonly tailMass?: number;
}

/** The most grid points one step's PLD gets; past it the interval widens (memory and time stay bounded). */
export const PLD_MAX_GRID_POINTS = 1 << 20;

const LOG_HALF = Math.log(0.5);

/** log of the standard normal survival function, finite far into the tail (no underflow). */
function logNormSf(z: number): number {
  return LOG_HALF + logErfc(z / Math.SQRT2);
}
function normCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}
function normSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * log t with t = (e^e - (1 - q)) / q, or null when t <= 0. In log space, so a loss past 709 (where
 * e^e overflows: sigma below ~0.03 at q < 1) keeps its value instead of becoming Infinity.
 */
function logThreshold(q: number, e: number): number | null {
  if (e > 0) return e + Math.log1p(-(1 - q) * Math.exp(-e)) - Math.log(q);
  const v = Math.expm1(e) + q;
  return v > 0 ? Math.log(v) - Math.log(q) : null;
}

/**
 * The hockey-stick divergence delta(eps) = sup_S P(S) - e^eps Q(S) of one step, in closed form.
 * remove: P = (1-q) N(0,s^2) + q N(1,s^2), Q = N(0,s^2); the loss log(P/Q)(x) = log(1 - q + q e^((2x-1)/(2s^2)))
 * is increasing, so the optimal S is {x > x_eps}, x_eps = s^2 log t + 1/2, and
 * delta = q Sf((x-1)/s) - q t Sf(x/s), evaluated as q e^a (1 - e^(b-a)) with a, b the two logs.
 * add: the pair swapped, S = {x < x_(-eps)}.
 */
function hockeyStick(q: number, s: number, direction: 'remove' | 'add', eps: number): number {
  const s2 = s * s;
  if (direction === 'remove') {
    const lt = logThreshold(q, eps);
    if (lt === null) return -Math.expm1(eps); // every x has loss > eps: delta = 1 - e^eps
    const x = s2 * lt + 0.5;
    const a = logNormSf((x - 1) / s);
    const b = lt + logNormSf(x / s);
    return b >= a ? 0 : q * Math.exp(a) * -Math.expm1(b - a);
  }
  const lt = logThreshold(q, -eps);
  if (lt === null) return 0; // the add-direction loss never exceeds -log(1-q)
  const x = s2 * lt + 0.5;
  const d = normCdf(x / s) - Math.exp(eps) * ((1 - q) * normCdf(x / s) + q * normCdf((x - 1) / s));
  return d > 0 ? d : 0;
}

/** P(loss <= eps) under the first distribution of the pair, for choosing the grid's lower end. */
function lossCdf(q: number, s: number, direction: 'remove' | 'add', eps: number): number {
  const s2 = s * s;
  if (direction === 'remove') {
    const lt = logThreshold(q, eps);
    if (lt === null) return 0;
    const x = s2 * lt + 0.5;
    return (1 - q) * normCdf(x / s) + q * normCdf((x - 1) / s);
  }
  const lt = logThreshold(q, -eps);
  if (lt === null) return 1;
  return normSf((s2 * lt + 0.5) / s);
}

/** The grid indices [kLo, kHi] outside which at most tailMass lies at each end. */
function gridEnds(q: number, s: number, direction: 'remove' | 'add', interval: number, tailMass: number): [number, number] {
  let kHi = 1;
  while (hockeyStick(q, s, direction, kHi * interval) > tailMass) kHi *= 2;
  let kLo = -1;
  while (lossCdf(q, s, direction, kLo * interval) > tailMass && kLo > -(2 ** 40)) kLo *= 2;
  // Tighten both ends by bisection on the integer grid.
  let a = Math.floor(kHi / 2);
  let b = kHi;
  while (b - a > 1) {
    const m = Math.floor((a + b) / 2);
    if (hockeyStick(q, s, direction, m * interval) > tailMass) a = m;
    else b = m;
  }
  kHi = b;
  a = kLo;
  b = Math.ceil(kLo / 2);
  while (b - a > 1) {
    const m = Math.floor((a + b) / 2);
    if (lossCdf(q, s, direction, m * interval) > tailMass) b = m;
    else a = m;
  }
  return [a, kHi];
}

/**
 * One step's discretised PLD by "connect the dots" (Doroshenko, Ghazi, Kamath, Kumar, Manurangsi
 * 2022): masses on the grid k * interval chosen so the discrete hockey-stick curve interpolates
 * delta(eps) at every grid point, linearly in e^eps in between; delta is convex in e^eps, so the
 * discrete PLD dominates the real one and the composed bound stays an upper bound. The masses are
 * p_i = ((d_(i+1) - d_i) - e^interval (d_i - d_(i-1))) / (e^interval - 1): no e^eps appears, so
 * losses past 709 do not overflow.
 */
function singleStep(q: number, s: number, direction: 'remove' | 'add', requested: number, tailMass: number): DiscretePld {
  let interval = requested;
  let [kLo, kHi] = gridEnds(q, s, direction, interval, tailMass);
  if (kHi - kLo + 1 > PLD_MAX_GRID_POINTS) {
    interval = ((kHi - kLo + 1) * interval) / (PLD_MAX_GRID_POINTS - 2);
    [kLo, kHi] = gridEnds(q, s, direction, interval, tailMass);
  }
  const n = kHi - kLo + 1;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = hockeyStick(q, s, direction, (kLo + i) * interval);
  const em1 = Math.expm1(interval);
  const e = Math.exp(interval);
  const probs = new Float64Array(n);
  let sum = 0;
  for (let i = 1; i < n; i++) {
    // Above the top the curve is flat at the +Infinity mass: the next difference is 0.
    const up = i < n - 1 ? d[i + 1]! - d[i]! : 0;
    const w = (up - e * (d[i]! - d[i - 1]!)) / em1;
    probs[i] = w > 0 ? w : 0;
    sum += probs[i]!;
  }
  const infinity = d[n - 1]!;
  probs[0] = Math.max(0, 1 - infinity - sum);
  return truncate({ offset: kLo, interval, probs, infinity }, tailMass);
}

/** Moves up to tailMass from each end pessimistically: low end onto the first kept point, high end to +Infinity. */
function truncate(p: DiscretePld, tailMass: number): DiscretePld {
  const { probs } = p;
  let lo = 0;
  let acc = 0;
  while (lo < probs.length - 1 && acc + probs[lo]! <= tailMass) acc += probs[lo++]!;
  const lowMoved = acc;
  let hi = probs.length - 1;
  acc = 0;
  while (hi > lo && acc + probs[hi]! <= tailMass) acc += probs[hi--]!;
  const out = probs.slice(lo, hi + 1);
  out[0] = out[0]! + lowMoved;
  return { offset: p.offset + lo, interval: p.interval, probs: out, infinity: p.infinity + acc };
}

function compose(a: DiscretePld, b: DiscretePld, tailMass: number): DiscretePld {
  return truncate(
    { offset: a.offset + b.offset, interval: a.interval, probs: convolve(a.probs, b.probs), infinity: 1 - (1 - a.infinity) * (1 - b.infinity) },
    tailMass,
  );
}

function selfCompose(p: DiscretePld, times: number, tailMass: number): DiscretePld {
  let result: DiscretePld | null = null;
  let base = p;
  let t = times;
  for (;;) {
    if (t & 1) result = result === null ? base : compose(result, base, tailMass);
    t = Math.floor(t / 2);
    if (t === 0) break;
    base = compose(base, base, tailMass);
  }
  return result!;
}

/**
 * The smallest epsilon with hockey-stick divergence delta(eps) = infinity + sum_l p_l (1 - e^(eps - l))_+ <= delta.
 * Scans buckets from the top; on [l_(k-1), l_k) the divergence is S1 - e^eps S2 in closed form,
 * with S2 = sum p_l e^(-l) kept as its logarithm (losses run past 709 for tiny noise).
 */
function epsilonOf(p: DiscretePld, delta: number): number {
  if (p.infinity > delta) return Infinity;
  let s1 = p.infinity;
  let logS2 = -Infinity;
  const top = p.probs.length - 1;
  const lossAt = (i: number): number => (p.offset + i) * p.interval;
  for (let i = top; i >= 0; i--) {
    const pi = p.probs[i]!;
    s1 += pi;
    if (pi > 0) logS2 = logAdd(logS2, Math.log(pi) - lossAt(i));
    // On [lossAt(i-1), lossAt(i)) only buckets >= i count: delta(eps) = s1 - e^eps s2, decreasing.
    const lower = i > 0 ? lossAt(i - 1) : -Infinity;
    const atLower = i > 0 ? s1 - Math.exp(lower + logS2) : s1;
    if (atLower > delta) {
      const eps = Math.log(s1 - delta) - logS2;
      return Math.max(0, Math.min(lossAt(i), Math.max(lower, eps)));
    }
  }
  return 0;
}

/** Inputs of {@link pldEpsilon}. */
export interface PldQuery extends PldOptions {
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly steps: number;
  readonly delta: number;
}

/**
 * Epsilon of `steps` Poisson-subsampled Gaussian rounds by the PLD accountant: a pessimistic
 * (never below the true value, up to the tail and FFT-rounding terms of ~1e-12 in delta) and
 * usually tighter bound than RDP. Cost grows with steps * range / interval; 1e4 steps at q = 0.01
 * take a few seconds.
 * @throws RangeError for q outside [0, 1], z not finite and > 0, steps not an integer >= 0,
 *   delta outside (0, 1), or interval / tailMass not > 0.
 */
export function pldEpsilon(query: PldQuery): number {
  assertProbability('samplingRate', query.samplingRate);
  assertNonNegative('noiseMultiplier', query.noiseMultiplier);
  assertInteger('steps', query.steps, 0);
  assertDelta('delta', query.delta);
  const interval = query.interval ?? 1e-4;
  const tailMass = query.tailMass ?? 1e-15;
  assertPositive('interval', interval);
  assertPositive('tailMass', tailMass);
  if (query.samplingRate === 0 || query.steps === 0) return 0;
  if (query.noiseMultiplier === 0) return Infinity;
  let worst = 0;
  const directions = query.samplingRate === 1 ? (['remove'] as const) : (['remove', 'add'] as const);
  for (const direction of directions) {
    const one = singleStep(query.samplingRate, query.noiseMultiplier, direction, interval, tailMass);
    worst = Math.max(worst, epsilonOf(selfCompose(one, query.steps, tailMass), query.delta));
  }
  return worst;
}
