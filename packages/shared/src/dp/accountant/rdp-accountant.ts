// The RDP accountant: privacy events, composition over rounds (RDP adds order by order, Mironov
// 2017, "Rényi Differential Privacy", Prop. 1) on a fixed order grid, and conversion to
// (epsilon, delta). The default grid is the one of Google's dp_accounting RdpAccountant.
import { assertDelta, assertInteger, assertNonNegative, assertProbability } from '../assert.js';
import { DEFAULT_CONVERSION, rdpToDelta, rdpToEpsilon, type EpsilonAtOrder, type RdpConversion } from './conversion.js';
import { rdpDistributedDiscreteGaussian, rdpPoissonSubsampled, type DdgParams } from './ddg.js';
import { rdpSampledGaussian } from './rdp-gaussian.js';
import { rdpSkellamOrders, type SkellamParams } from './skellam.js';
import { DEFAULT_RDP_ORDERS } from './orders.js';

export { DEFAULT_RDP_ORDERS };

/** One privacy event of a round, composed `count` times (default 1). */
export type DpEvent =
  | {
      /** Poisson-subsampled Gaussian (q = 1: the plain Gaussian), central or local-sgd mode. */
      readonly kind: 'sampled-gaussian';
      readonly samplingRate: number;
      readonly noiseMultiplier: number;
      readonly count?: number;
    }
  | {
      /**
       * The discrete Gaussian N_Z(0, sigma^2) per coordinate added to an integer vector whose L2
       * sensitivity is Delta (central mode on a grid), nodes Poisson-sampled at samplingRate;
       * noiseMultiplier = sigma / Delta. Unsampled it is (alpha / (2 z^2))-RDP at every order
       * (Canonne, Kamath, Steinke 2020, Thm. 14: (1/2)(Delta/sigma)^2-concentrated DP); sampled, the
       * general Poisson-subsampling bound of Zhu, Wang 2019 (Thm. 5, integer orders).
       */
      readonly kind: 'sampled-discrete-gaussian';
      readonly samplingRate: number;
      readonly noiseMultiplier: number;
      readonly count?: number;
    }
  | {
      /** Distributed discrete Gaussian over SecAgg, nodes Poisson-sampled at samplingRate. */
      readonly kind: 'distributed-discrete-gaussian';
      readonly samplingRate: number;
      readonly ddg: DdgParams;
      readonly count?: number;
    }
  | {
      /** Distributed Skellam over SecAgg (Agarwal, Kairouz, Liu 2021), nodes Poisson-sampled at samplingRate. */
      readonly kind: 'distributed-skellam';
      readonly samplingRate: number;
      readonly skellam: SkellamParams;
      readonly count?: number;
    };

/**
 * The RDP of one event at each order (times its count).
 * @throws TypeError for an unknown event kind; RangeError for invalid parameters.
 */
export function eventRdp(event: DpEvent, orders: readonly number[] = DEFAULT_RDP_ORDERS): Float64Array {
  if (event === null || typeof event !== 'object') throw new TypeError('event must be an object');
  const count = event.count ?? 1;
  assertInteger('count', count, 0);
  const out = new Float64Array(orders.length);
  if (count === 0) return out;
  if (event.kind === 'sampled-gaussian') {
    assertProbability('samplingRate', event.samplingRate);
    assertNonNegative('noiseMultiplier', event.noiseMultiplier);
    for (let k = 0; k < orders.length; k++) {
      const r = rdpSampledGaussian(event.samplingRate, event.noiseMultiplier, orders[k]!);
      out[k] = r === 0 ? 0 : r * count;
    }
  } else if (event.kind === 'sampled-discrete-gaussian') {
    assertProbability('samplingRate', event.samplingRate);
    assertNonNegative('noiseMultiplier', event.noiseMultiplier);
    const z = event.noiseMultiplier;
    const f = (a: number): number => (z === 0 ? Infinity : a / (2 * z * z));
    for (let k = 0; k < orders.length; k++) {
      const r = rdpPoissonSubsampled(event.samplingRate, orders[k]!, f);
      out[k] = r === 0 ? 0 : r * count;
    }
  } else if (event.kind === 'distributed-skellam') {
    // Fractional orders at ceil(alpha) (RDP does not decrease with the order), see skellam.ts.
    out.set(rdpSkellamOrders(event.skellam, orders, { samplingRate: event.samplingRate, count }));
  } else if (event.kind === 'distributed-discrete-gaussian') {
    assertProbability('samplingRate', event.samplingRate);
    const f = (a: number): number => rdpDistributedDiscreteGaussian(event.ddg, a);
    for (let k = 0; k < orders.length; k++) {
      const r = rdpPoissonSubsampled(event.samplingRate, orders[k]!, f);
      out[k] = r === 0 ? 0 : r * count;
    }
  } else {
    throw new TypeError(`unknown event kind ${String((event as { kind?: unknown }).kind)}`);
  }
  return out;
}

function checkOrders(orders: readonly number[]): void {
  if (!Array.isArray(orders) || orders.length === 0) throw new TypeError('orders must be a non-empty array of numbers');
  for (const a of orders) if (typeof a !== 'number' || Number.isNaN(a) || !(a > 1)) throw new RangeError(`every order must be > 1, got ${a}`);
}

/** Composes events under RDP on a fixed grid of orders. Pure apart from its own running sum. */
export class RdpAccountant {
  readonly orders: readonly number[];
  private readonly total: Float64Array;

  /** @throws TypeError / RangeError if orders is empty or holds an order not > 1. */
  constructor(orders: readonly number[] = DEFAULT_RDP_ORDERS) {
    checkOrders(orders);
    this.orders = Object.freeze([...orders]);
    this.total = new Float64Array(orders.length);
  }

  /** Adds an event's RDP (times its count). @throws as {@link eventRdp}. */
  compose(event: DpEvent): this {
    const r = eventRdp(event, this.orders);
    for (let k = 0; k < r.length; k++) this.total[k] = this.total[k]! + r[k]!;
    return this;
  }

  /** The composed RDP at each order (a copy). */
  rdp(): Float64Array {
    return Float64Array.from(this.total);
  }

  /** The (epsilon, delta) guarantee so far and its optimal order. @throws RangeError if delta is not in (0, 1). */
  epsilon(delta: number, conversion: RdpConversion = DEFAULT_CONVERSION): EpsilonAtOrder {
    return rdpToEpsilon(this.orders, this.total, delta, conversion);
  }

  /** The delta so far at a target epsilon. @throws RangeError if epsilon is negative or not finite. */
  delta(epsilon: number, conversion: RdpConversion = DEFAULT_CONVERSION): { delta: number; order: number | null } {
    return rdpToDelta(this.orders, this.total, epsilon, conversion);
  }
}

/** Inputs of {@link sampledGaussianEpsilon}. */
export interface SampledGaussianQuery {
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  /** Rounds (or steps): a non-negative integer. */
  readonly steps: number;
  readonly delta: number;
  readonly orders?: readonly number[];
  readonly conversion?: RdpConversion;
}

/**
 * Epsilon after `steps` Poisson-subsampled Gaussian rounds, by RDP, with its optimal order.
 * @throws RangeError for q outside [0, 1], z < 0 or not finite, steps not an integer >= 0, delta
 *   outside (0, 1), or bad orders.
 */
export function sampledGaussianEpsilon(query: SampledGaussianQuery): EpsilonAtOrder {
  assertProbability('samplingRate', query.samplingRate);
  assertNonNegative('noiseMultiplier', query.noiseMultiplier);
  assertInteger('steps', query.steps, 0);
  assertDelta('delta', query.delta);
  const acc = new RdpAccountant(query.orders ?? DEFAULT_RDP_ORDERS);
  acc.compose({ kind: 'sampled-gaussian', samplingRate: query.samplingRate, noiseMultiplier: query.noiseMultiplier, count: query.steps });
  return acc.epsilon(query.delta, query.conversion ?? DEFAULT_CONVERSION);
}

