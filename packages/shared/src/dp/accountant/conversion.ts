// RDP to (epsilon, delta)-DP conversions: "classic" of Mironov 2017 ("Rényi Differential Privacy",
// Prop. 3): eps = rdp + log(1/delta)/(alpha-1); "improved" of Canonne, Kamath, Steinke 2020
// (arXiv:2004.00010 Prop. 12) and Balle et al. 2020 ("Hypothesis Testing Interpretations and Rényi
// Differential Privacy", AISTATS): eps = rdp + log1p(-1/alpha) - (log delta + log alpha)/(alpha-1).
import { assertDelta, assertNonNegative } from '../assert.js';

/** The named RDP -> (epsilon, delta) conversion. */
export type RdpConversion = 'improved' | 'classic';

/** The default conversion: improved, as Google's dp_accounting and TF Privacy use since 2020. */
export const DEFAULT_CONVERSION: RdpConversion = 'improved';

/** An (epsilon, delta) guarantee and the Rényi order that gave it. */
export interface EpsilonAtOrder {
  readonly epsilon: number;
  /** The optimal order; null when every order gives +Infinity. */
  readonly order: number | null;
}

function checkCurve(orders: readonly number[], rdp: ArrayLike<number>): void {
  if (!Array.isArray(orders) && !(orders instanceof Float64Array)) throw new TypeError('orders must be an array of numbers');
  if (orders.length !== rdp.length) throw new RangeError(`orders and rdp must have the same length, got ${orders.length} and ${rdp.length}`);
  if (orders.length === 0) throw new RangeError('orders must not be empty');
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k]!;
    if (typeof a !== 'number' || Number.isNaN(a) || !(a > 1)) throw new RangeError(`orders[${k}] must be > 1, got ${a}`);
    const r = rdp[k]!;
    if (typeof r !== 'number' || Number.isNaN(r)) throw new RangeError(`rdp[${k}] must be a number, got ${r}`);
  }
}

/** Epsilon at one order; +Infinity where the bound is unusable. */
function epsilonAt(order: number, rdp: number, delta: number, conversion: RdpConversion): number {
  if (rdp === Infinity || order === Infinity) return Infinity;
  if (rdp <= 0) return 0; // no privacy loss at all (a negative value is rounding noise)
  if (conversion === 'classic') return rdp - Math.log(delta) / (order - 1);
  // The KL bound delta <= sqrt(1 - exp(-rdp)) already gives eps = 0 when it holds.
  if (delta * delta + Math.expm1(-rdp) > 0) return 0;
  // The improved bound is numerically unstable as alpha -> 1 and useless there.
  if (order <= 1.01) return Infinity;
  return rdp + Math.log1p(-1 / order) - Math.log(delta * order) / (order - 1);
}

/**
 * The smallest epsilon over the orders such that the RDP curve implies (epsilon, delta)-DP.
 * @throws RangeError if delta is not in (0, 1), the arrays differ in length or are empty, an
 *   order is not > 1, or an rdp value is NaN.
 */
export function rdpToEpsilon(orders: readonly number[], rdp: ArrayLike<number>, delta: number, conversion: RdpConversion = DEFAULT_CONVERSION): EpsilonAtOrder {
  assertDelta('delta', delta);
  if (conversion !== 'improved' && conversion !== 'classic') throw new RangeError(`conversion must be 'improved' or 'classic', got ${String(conversion)}`);
  checkCurve(orders, rdp);
  let best = Infinity;
  let order: number | null = null;
  for (let k = 0; k < orders.length; k++) {
    const e = epsilonAt(orders[k]!, rdp[k]!, delta, conversion);
    if (e < best) {
      best = e;
      order = orders[k]!;
    }
  }
  return { epsilon: Math.max(0, best), order };
}

/**
 * The smallest delta over the orders for a target epsilon (the inverse of the conversion), with
 * its order; delta is capped at 1.
 * @throws RangeError if epsilon is negative or not finite, or as {@link rdpToEpsilon} for the curve.
 */
export function rdpToDelta(orders: readonly number[], rdp: ArrayLike<number>, epsilon: number, conversion: RdpConversion = DEFAULT_CONVERSION): { delta: number; order: number | null } {
  assertNonNegative('epsilon', epsilon);
  checkCurve(orders, rdp);
  let bestLog = Infinity;
  let order: number | null = null;
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k]!;
    const r = rdp[k]!;
    if (r === Infinity || a === Infinity) continue;
    let logDelta: number;
    if (conversion === 'classic') logDelta = (a - 1) * (r - epsilon);
    else {
      logDelta = r <= 0 ? -Infinity : 0.5 * Math.log1p(-Math.exp(-r));
      if (a > 1.01) logDelta = Math.min(logDelta, (a - 1) * (r - epsilon + Math.log1p(-1 / a)) - Math.log(a));
    }
    if (logDelta < bestLog) {
      bestLog = logDelta;
      order = a;
    }
  }
  return { delta: Math.min(1, Math.exp(bestLog)), order };
}
