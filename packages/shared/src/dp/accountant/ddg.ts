// Rényi DP of the distributed discrete Gaussian (DDG): each of n nodes adds N_Z(0, sigma^2) to its
// clipped, scaled, randomly rounded integer vector and only the sum is revealed. Kairouz, Liu,
// Steinke 2021 ("The Distributed Discrete Gaussian Mechanism for Federated Learning with Secure
// Aggregation", ICML, arXiv:2102.06387): sum-of-discrete-Gaussians closeness (Thm. 1, tau),
// conditional randomized rounding norm bound (Thm. 1 / Prop. 22, beta) and the RDP of the
// (multi-dimensional) discrete Gaussian with that tau (Prop. 14, Eq. 17). Poisson subsampling of
// nodes uses the general upper bound of Zhu, Wang 2019 ("Poisson Subsampled Rényi Differential
// Privacy", ICML, Thm. 5) at integer orders.
import { assertFinite, assertInteger, assertPositive, assertProbability } from '../assert.js';
import { logAdd } from './special.js';

/** The mechanism's parameters; sensitivities and variance are in integer (ring) units. */
export interface DdgParams {
  /** Delta_2: L2 sensitivity of one node's rounded integer vector (see {@link ddgSensitivity}). */
  readonly l2Sensitivity: number;
  /** Delta_1: L1 sensitivity of the rounded vector; defaults to Delta_2 * min(sqrt(d), Delta_2). */
  readonly l1Sensitivity?: number;
  /** sigma^2: each node's discrete Gaussian variance, in integer units squared. */
  readonly localVariance: number;
  /** n: the number of noise shares in the revealed sum (use the minimum number of survivors t). */
  readonly nodes: number;
  /** d: the vector's dimension (after any padding). */
  readonly dimension: number;
}

/** Inputs of {@link ddgSensitivity}: the clip and scale in model units. */
export interface DdgRoundingParams {
  /** c: L2 clip norm in model units. */
  readonly clip: number;
  /** gamma: model units per integer unit (values are divided by gamma before rounding). */
  readonly granularity: number;
  /** d: dimension. */
  readonly dimension: number;
  /** beta in [0, 1): conditional randomized rounding retries while the norm exceeds the bound; 0 = no conditioning. */
  readonly beta: number;
}

/**
 * L2 and L1 sensitivity, in integer units, of a clipped vector after scaling by 1/gamma and
 * (conditional) randomized rounding (KLS21 Thm. 1): with x = c / gamma,
 * Delta_2 = min(x + sqrt(d), sqrt(x^2 + d/4 + sqrt(2 log(1/beta)) (x + sqrt(d)/2))) (the second
 * only for beta > 0), and Delta_1 = Delta_2 * min(sqrt(d), Delta_2) (an integer vector has
 * L1 <= L2^2). The rounding must enforce ||rounded||_2 <= Delta_2, retrying otherwise.
 * @throws RangeError for a non-finite or out-of-range argument.
 */
export function ddgSensitivity(params: DdgRoundingParams): { l2: number; l1: number } {
  assertPositive('clip', params.clip);
  assertPositive('granularity', params.granularity);
  assertInteger('dimension', params.dimension, 1);
  assertProbability('beta', params.beta);
  if (params.beta >= 1) throw new RangeError(`beta must be < 1, got ${params.beta}`);
  const x = params.clip / params.granularity;
  const sqrtD = Math.sqrt(params.dimension);
  let l2 = x + sqrtD;
  if (params.beta > 0) {
    const sq = x * x + params.dimension / 4 + Math.sqrt(2 * Math.log(1 / params.beta)) * (x + sqrtD / 2);
    l2 = Math.min(l2, Math.sqrt(sq));
  }
  return { l2, l1: l2 * Math.min(sqrtD, l2) };
}

/**
 * tau = 10 * sum_{k=1}^{n-1} exp(-2 pi^2 sigma^2 k / (k + 1)) (KLS21 Thm. 1): how far the sum of
 * n independent N_Z(0, sigma^2) is from N_Z(0, n sigma^2). 0 for n = 1.
 * @throws RangeError if localVariance is not > 0 or nodes is not an integer >= 1.
 */
export function ddgTau(localVariance: number, nodes: number): number {
  assertPositive('localVariance', localVariance);
  assertInteger('nodes', nodes, 1);
  let tau = 0;
  for (let k = 1; k < nodes; k++) {
    const term = Math.exp((-2 * Math.PI * Math.PI * localVariance * k) / (k + 1));
    tau += term;
    if (term === 0) break; // later terms are smaller still
  }
  return 10 * tau;
}

/** Validates the parameters of a distributed integer-noise mechanism (DDG or Skellam). @throws TypeError / RangeError. */
export function assertNoiseParams(p: DdgParams): void {
  if (p === null || typeof p !== 'object') throw new TypeError('params must be an object');
  assertPositive('l2Sensitivity', p.l2Sensitivity);
  if (p.l1Sensitivity !== undefined) assertPositive('l1Sensitivity', p.l1Sensitivity);
  assertPositive('localVariance', p.localVariance);
  assertInteger('nodes', p.nodes, 1);
  assertInteger('dimension', p.dimension, 1);
}

/**
 * RDP at `order` of one (unsampled) release of the DDG sum (KLS21 Prop. 14 with tau of Thm. 1):
 * with s2 = Delta_2 / sqrt(n sigma^2), s1 = Delta_1 / sqrt(n sigma^2),
 * eps(alpha) = min(alpha s2^2/2 + tau d, alpha/2 (s2^2 + 2 s1 tau + tau^2 d), alpha/2 (s2 + tau sqrt(d))^2).
 * @throws RangeError for invalid params or an order not > 1.
 */
export function rdpDistributedDiscreteGaussian(params: DdgParams, order: number): number {
  assertNoiseParams(params);
  if (typeof order !== 'number' || Number.isNaN(order) || !(order > 1)) throw new RangeError(`order must be > 1, got ${order}`);
  if (order === Infinity) return Infinity;
  const d = params.dimension;
  const std = Math.sqrt(params.nodes * params.localVariance);
  const l1 = params.l1Sensitivity ?? params.l2Sensitivity * Math.min(Math.sqrt(d), params.l2Sensitivity);
  const s2 = params.l2Sensitivity / std;
  const s1 = l1 / std;
  const tau = ddgTau(params.localVariance, params.nodes);
  return Math.min((order * s2 * s2) / 2 + tau * d, (order / 2) * (s2 * s2 + 2 * s1 * tau + tau * tau * d), (order / 2) * (s2 + Math.sqrt(d) * tau) ** 2);
}

/**
 * The Zhu-Wang 2019 (Thm. 5) upper bound on the RDP at integer `order` >= 2 of a mechanism with
 * RDP curve `rdp` run on a Poisson sample with rate q, never above rdp(order) itself. A
 * fractional order gives +Infinity (the bound is only for integers; such orders are skipped).
 * @throws RangeError if q is not in [0, 1] or order is not > 1.
 */
export function rdpPoissonSubsampled(samplingRate: number, order: number, rdp: (alpha: number) => number): number {
  assertProbability('samplingRate', samplingRate);
  assertFinite('order', order);
  if (!(order > 1)) throw new RangeError(`order must be > 1, got ${order}`);
  if (samplingRate === 0) return 0;
  if (samplingRate === 1) return rdp(order);
  if (!Number.isInteger(order)) return Infinity;
  const q = samplingRate;
  const a = order;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  // (1-q)^(a-1) (a q - q + 1) + C(a,2) q^2 (1-q)^(a-2) e^eps(2) + 3 sum_{l>=3} C(a,l) (1-q)^(a-l) q^l e^((l-1) eps(l))
  let logSum = (a - 1) * log1mQ + Math.log(a * q - q + 1);
  let logBinom = Math.log((a * (a - 1)) / 2);
  logSum = logAdd(logSum, logBinom + 2 * logQ + (a - 2) * log1mQ + rdp(2));
  for (let l = 3; l <= a; l++) {
    logBinom += Math.log((a - l + 1) / l);
    logSum = logAdd(logSum, Math.log(3) + logBinom + (a - l) * log1mQ + l * logQ + (l - 1) * rdp(l));
  }
  return Math.min(logSum / (a - 1), rdp(a));
}

/**
 * Each node's share of distributed noise (integer units), for either mechanism: the variance so
 * that the sum over at least `nodes` survivors has stddev noiseMultiplier * Delta_2:
 * sigma^2 = (z Delta_2)^2 / n. More survivors only add noise. A node samples the discrete
 * Gaussian of this variance (account with {@link rdpDistributedDiscreteGaussian}, which adds the
 * tau and L1 terms) or Skellam.fromVariance of it (account with rdpSkellam); either epsilon is
 * slightly above the continuous Gaussian's at z.
 * @throws RangeError for a non-finite or non-positive argument, or nodes not an integer >= 1.
 */
export function distributedLocalVariance(noiseMultiplier: number, l2Sensitivity: number, nodes: number): number {
  assertPositive('noiseMultiplier', noiseMultiplier);
  assertPositive('l2Sensitivity', l2Sensitivity);
  assertInteger('nodes', nodes, 1);
  return (noiseMultiplier * l2Sensitivity) ** 2 / nodes;
}
