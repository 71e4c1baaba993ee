// Rényi DP of the (distributed) Skellam mechanism: each of n nodes adds Skellam noise of variance v
// to its clipped, scaled, randomly rounded integer vector, and the revealed sum carries Skellam noise
// of variance mu = n v exactly (Skellam is closed under sums). RDP bound of Agarwal, Kairouz, Liu 2021
// ("The Skellam Mechanism for Differentially Private Federated Learning", NeurIPS, arXiv:2110.04995,
// Sec. 3: the RDP bound for the multi-dimensional Skellam mechanism, cited as Thm. 3.5, Cor. 3.6 or
// Cor. 4.1 by different implementations; the formula is the one of the authors' reference accounting,
// google-research/federated distributed_dp/accounting_utils.py). Poisson subsampling of nodes by the
// Zhu-Wang 2019 bound in ddg.ts; conversion to (epsilon, delta) by conversion.ts.
import { assertDelta, assertInteger, assertProbability } from '../assert.js';
import { DEFAULT_CONVERSION, rdpToEpsilon, type EpsilonAtOrder, type RdpConversion } from './conversion.js';
import { assertNoiseParams, rdpPoissonSubsampled } from './ddg.js';
import { DEFAULT_RDP_ORDERS } from './orders.js';

/** The mechanism's parameters; sensitivities and variance are in integer (ring) units. */
export interface SkellamParams {
  /** Delta_2: L2 sensitivity of one node's rounded integer vector (ddgSensitivity gives it after rounding). */
  readonly l2Sensitivity: number;
  /** Delta_1: L1 sensitivity of the rounded vector; defaults to Delta_2 * min(sqrt(d), Delta_2). */
  readonly l1Sensitivity?: number;
  /** v: each node's Skellam variance per coordinate, = 2 x the rate of each of its two Poissons. */
  readonly localVariance: number;
  /** n: the number of noise shares in the revealed sum (use the minimum number of survivors). */
  readonly nodes: number;
  /** d: the vector's dimension (after any padding); only used for the default Delta_1. */
  readonly dimension: number;
}

function checkOrder(order: number): void {
  if (typeof order !== 'number') throw new TypeError(`order must be a number, got ${typeof order}`);
  if (Number.isNaN(order) || !(order > 1)) throw new RangeError(`order must be > 1, got ${order}`);
}

/**
 * RDP at `order` of one (unsampled) release of the Skellam sum. With mu = n v the variance of the
 * summed noise (the paper's mu: its Sk_{0,mu} is Poisson(mu/2) - Poisson(mu/2)), for integer
 * alpha > 1 (AKL21):
 *
 *   eps(alpha) = alpha Delta_2^2 / (2 mu) + min( ((2 alpha - 1) Delta_2^2 + 6 Delta_1) / (4 mu^2), 3 Delta_1 / (2 mu) ).
 *
 * The first term is the Gaussian mechanism's RDP at variance mu (= alpha Delta_2^2 / (4 rate) for
 * Skellam(rate) of skellam.ts); the second is of lower order, O(1/mu^2) once mu >> Delta_1. The
 * bound is stated (and used by the reference code) for integer orders; a fractional order is
 * evaluated at ceil(alpha), a valid upper bound since Rényi divergence does not decrease with the
 * order (van Erven, Harremoës 2014, Thm. 3).
 * @throws TypeError for a non-object params or non-number order; RangeError for invalid params or
 *   an order not > 1.
 */
export function rdpSkellam(params: SkellamParams, order: number): number {
  assertNoiseParams(params);
  checkOrder(order);
  if (order === Infinity) return Infinity;
  const a = Math.ceil(order);
  const mu = params.nodes * params.localVariance;
  const l2 = params.l2Sensitivity;
  const l1 = params.l1Sensitivity ?? l2 * Math.min(Math.sqrt(params.dimension), l2);
  const l2sq = l2 * l2;
  return (a * l2sq) / (2 * mu) + Math.min(((2 * a - 1) * l2sq + 6 * l1) / (4 * mu * mu), (3 * l1) / (2 * mu));
}

/** Composition and sampling options of {@link rdpSkellamOrders} and {@link skellamEpsilon}. */
export interface SkellamComposition {
  /** q: each node takes part independently with this probability (default 1: no sampling). */
  readonly samplingRate?: number;
  /** Rounds composed (default 1). */
  readonly count?: number;
}

/**
 * The RDP curve over `orders` of `count` rounds, each a Skellam release over nodes Poisson-sampled
 * at rate q (Zhu, Wang 2019, Thm. 5, at ceil(alpha), never above the unsampled curve).
 * @throws as {@link rdpSkellam}; RangeError if q is not in [0, 1] or count is not an integer >= 0.
 */
export function rdpSkellamOrders(params: SkellamParams, orders: readonly number[] = DEFAULT_RDP_ORDERS, composition: SkellamComposition = {}): Float64Array {
  assertNoiseParams(params);
  if (!Array.isArray(orders) || orders.length === 0) throw new TypeError('orders must be a non-empty array of numbers');
  const q = composition.samplingRate ?? 1;
  const count = composition.count ?? 1;
  assertProbability('samplingRate', q);
  assertInteger('count', count, 0);
  const f = (a: number): number => rdpSkellam(params, a);
  const out = new Float64Array(orders.length);
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k]!;
    checkOrder(a);
    const r = a === Infinity ? Infinity : rdpPoissonSubsampled(q, Math.ceil(a), f);
    out[k] = r === 0 || count === 0 ? 0 : r * count;
  }
  return out;
}

/** Inputs of {@link skellamEpsilon}. */
export interface SkellamEpsilonQuery extends SkellamComposition {
  readonly params: SkellamParams;
  readonly delta: number;
  readonly orders?: readonly number[];
  readonly conversion?: RdpConversion;
}

/**
 * Epsilon at `delta` after `count` Skellam rounds, via RDP over the orders (default: dp_accounting's
 * grid) and the conversion of conversion.ts, with the optimal order.
 * @throws as {@link rdpSkellamOrders}; RangeError if delta is not in (0, 1).
 */
export function skellamEpsilon(query: SkellamEpsilonQuery): EpsilonAtOrder {
  if (query === null || typeof query !== 'object') throw new TypeError('query must be an object');
  assertDelta('delta', query.delta);
  const orders = query.orders ?? DEFAULT_RDP_ORDERS;
  const rdp = rdpSkellamOrders(query.params, orders, query);
  return rdpToEpsilon(orders, rdp, query.delta, query.conversion ?? DEFAULT_CONVERSION);
}
