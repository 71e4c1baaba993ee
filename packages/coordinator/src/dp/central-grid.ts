// Central DP released on a grid, so the float model leaks nothing but the noised integer sum
// (Mironov 2012, "On Significance of the Least Significant Bits for Differential Privacy"): each
// clear update is checked against the clip and snapped to the nearest multiple of a power-of-two
// granularity g, the integer sum gets exact discrete Gaussian noise N_Z(0, (z Delta)^2) per
// coordinate (Canonne, Kamath, Steinke 2020, Thm. 14: (1/2)(Delta/sigma)^2-concentrated DP on
// Z^d), and the released mean is a fixed function of that noised integer vector: the fixed
// denominator qN of McMahan, Ramage, Talwar, Zhang 2018 (never the realised count), then float32.
// Snapping costs sensitivity: a node's snapped update has L2 norm at most C/g + sqrt(d)/2 grid
// units (each coordinate moves by at most 1/2), or C/g + sqrt(d) under the nodes' randomized
// rounding into the SecAgg ring (Kairouz, Liu, Steinke 2021, Thm. 1 with beta = 0); the noise is
// scaled to that sensitivity, so the accountant's z is exact.
import { FedtuneError, type Metrics } from '@fedtune/shared';
import type { FitAggregate, GridSum, UpdateAggregator } from '../strategy/strategy.js';

/**
 * g <= C / (2^16 sqrt(d)): snapping moves a coordinate by at most 2^-17 C / sqrt(d) and adds at most
 * 2^-17 of C to the sensitivity, far below any useful noise, while a node's integers stay below
 * 2^17 sqrt(d) (sums of 8,192 nodes of 2^28 coordinates stay below 2^53; the noise variance below
 * the sampler's 2^80 for z up to 2^9).
 */
const GRID_BITS_BELOW_CLIP = 16;
/** A clear update may pass the clip by float32 rounding only (clipL2 keeps it <= C exactly; this is slack). */
const CLIP_TOLERANCE = 1e-6;

/**
 * The grid for the plain central path: the largest power of two g with C / g >= 2^16 sqrt(d), so
 * snapping adds at most 2^-17 of C to the sensitivity and the integer sum stays far below 2^53.
 * @throws RangeError for a clip or dimension that is not finite and positive.
 */
export function centralGranularity(clip: number, dimension: number): number {
  if (!(clip > 0) || !Number.isFinite(clip)) throw new RangeError(`clip must be finite and > 0, got ${clip}`);
  if (!Number.isSafeInteger(dimension) || dimension < 1) throw new RangeError(`dimension must be a positive integer, got ${dimension}`);
  return 2 ** Math.floor(Math.log2(clip / (2 ** GRID_BITS_BELOW_CLIP * Math.sqrt(dimension))));
}

/**
 * L2 sensitivity, in grid units, of one node's update of norm <= C after it reached the grid:
 * C/g + sqrt(d)/2 by nearest rounding, C/g + sqrt(d) by (unconditioned) randomized rounding.
 */
export function gridSensitivity(clip: number, granularity: number, dimension: number, rounding: GridSum['rounding']): number {
  return clip / granularity + Math.sqrt(dimension) * (rounding === 'nearest' ? 0.5 : 1);
}

/**
 * The released mean delta: (sum + noise) * g / denominator per coordinate, rounded once to float32.
 * `noise` holds integers (or is null when the sum already carries the noise, as in distributed DP).
 * @throws RangeError for a non-positive denominator or a noise vector of the wrong length.
 */
export function releaseOnGrid(grid: GridSum, noise: Float64Array | null, denominator: number): Float32Array {
  if (!(denominator > 0) || !Number.isFinite(denominator)) throw new RangeError(`denominator must be finite and > 0, got ${denominator}`);
  if (noise !== null && noise.length !== grid.sum.length) throw new RangeError(`noise has ${noise.length} coordinates, the sum ${grid.sum.length}`);
  const out = new Float32Array(grid.sum.length);
  const unit = grid.granularity / denominator;
  for (let i = 0; i < out.length; i++) out[i] = (grid.sum[i]! + (noise === null ? 0 : noise[i]!)) * unit;
  return out;
}

/**
 * Central DP's aggregator of clear updates: refuses any update whose L2 norm passes the clip
 * (the coordinator checks instead of trusting the node), and sums each snapped to the grid.
 */
export class ClippedGridAggregator implements UpdateAggregator {
  private readonly sum: Float64Array;
  private count = 0;

  /** @throws RangeError for a bad length, clip or granularity. */
  constructor(
    readonly length: number,
    private readonly clip: number,
    private readonly granularity: number,
  ) {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
    if (!(clip > 0) || !Number.isFinite(clip)) throw new RangeError(`clip must be finite and > 0, got ${clip}`);
    if (!(granularity > 0) || !Number.isFinite(granularity)) throw new RangeError(`granularity must be finite and > 0, got ${granularity}`);
    this.sum = new Float64Array(length);
  }

  /**
   * Adds one node's update. Nothing is added when it is refused.
   * @throws FedtuneError FT_ERR_SHAPE for a wrong length, FT_ERR_NON_FINITE for NaN or Infinity,
   * FT_ERR_BOUND when its L2 norm exceeds the clip by more than float32 rounding.
   */
  add(delta: Float32Array, _numExamples: number, _metrics: Metrics): void {
    if (delta.length !== this.length) throw new FedtuneError('FT_ERR_SHAPE', `delta has ${delta.length} elements, model has ${this.length}`);
    let ss = 0;
    for (let i = 0; i < delta.length; i++) {
      const v = delta[i]!;
      if (!Number.isFinite(v)) throw new FedtuneError('FT_ERR_NON_FINITE', `delta[${i}] is ${v}`);
      ss += v * v;
    }
    const norm = Math.sqrt(ss);
    if (!(norm <= this.clip * (1 + CLIP_TOLERANCE))) throw new FedtuneError('FT_ERR_BOUND', `L2 norm ${norm} > clip ${this.clip}`);
    // Within the slack, scale down so the bound the noise is sized for holds exactly (the 2^-50
    // margin absorbs the float64 rounding of the products).
    const scale = norm > this.clip ? (this.clip / norm) * (1 - 2 ** -50) : 1;
    const g = this.granularity;
    for (let i = 0; i < delta.length; i++) this.sum[i] = this.sum[i]! + Math.round((delta[i]! * scale) / g);
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** The grid sum (no mean: the DP wrapper releases it after noise); all zeros when nobody took part. */
  finish(): FitAggregate {
    return { meanDelta: new Float32Array(0), count: this.count, totalExamples: 0, metrics: {}, grid: { sum: this.sum, granularity: this.granularity, rounding: 'nearest' } };
  }
}
