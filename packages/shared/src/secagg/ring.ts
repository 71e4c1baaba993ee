// Fixed-point encoding into the ring Z_{2^b} (b <= 32, held in Uint32Array) with unbiased
// stochastic rounding, and the overflow-free parameter choice of Bonawitz et al. 2017 §3 / Bell et
// al. 2020 §5: the sum of n encoded vectors must fit the centred range of the ring.
import type { RandomSource } from '../crypto/random.js';
import { FedtuneError } from '../errors/catalogue.js';
import { assertBits, assertInt, assertNumber, assertU32Array } from './assert.js';
import { addWordsInto, subWordsInto } from './word-ops.js';

/** The agreed ring and scale. Build with {@link chooseRingParams}; all fields are checked there. */
export interface RingParams {
  /** Ring width b: values live in Z_{2^b}. */
  readonly bits: number;
  /** Floats are multiplied by `scale` and rounded to integers. */
  readonly scale: number;
  /** The most vectors that will be summed (cohort size n). */
  readonly maxSummands: number;
  /**
   * The largest |integer| one client may encode per coordinate, noise included:
   * floor((2^(b-1) - 1) / n), so n of them can never leave the centred range.
   */
  readonly clientBound: number;
}

export interface RingParamsOptions {
  /** Cohort size n: the most vectors summed. */
  maxSummands: number;
  /** Per-coordinate bound on |x| (give this or `l2Clip`). */
  maxAbs?: number;
  /** L2 clip bound C; implies |x_i| <= C per coordinate. */
  l2Clip?: number;
  /** Standard deviation of integer noise (ring units) each client adds per coordinate; default 0. */
  noiseStd?: number;
  /** How many standard deviations of noise to reserve; default {@link DEFAULT_TAIL_SIGMAS}. */
  tailSigmas?: number;
  /** Ring width; default 32. */
  bits?: number;
  /** Fixed scale to validate instead of choosing the largest power of two that fits. */
  scale?: number;
}

/** Noise headroom in standard deviations: P(|N(0,1)| > 12) ~ 3.6e-33 per coordinate. */
export const DEFAULT_TAIL_SIGMAS = 12;

/** 2^(b-1) - 1: the largest magnitude the centred lift of Z_{2^b} represents without ambiguity. */
function halfRange(bits: number): number {
  return 2 ** (bits - 1) - 1;
}

/**
 * Chooses (or validates) ring width and scale so that the sum of `maxSummands` encoded vectors,
 * each coordinate at most `maxAbs * scale` plus `tailSigmas * noiseStd`, can never overflow.
 * The chosen scale is the largest power of two that fits (exact in float arithmetic).
 * @throws TypeError / RangeError on a bad option, and RangeError when the ring cannot hold
 * `maxSummands` clients with the given bounds (or the given scale is too large).
 */
export function chooseRingParams(options: RingParamsOptions): RingParams {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${String(options)}`);
  const bits = options.bits ?? 32;
  assertBits('bits', bits);
  assertInt('maxSummands', options.maxSummands, 1, 2 ** 31);
  const n = options.maxSummands;
  let maxAbs: number;
  if (options.maxAbs !== undefined) {
    assertNumber('maxAbs', options.maxAbs, Number.MIN_VALUE, 2 ** 31);
    maxAbs = options.maxAbs;
  } else if (options.l2Clip !== undefined) {
    assertNumber('l2Clip', options.l2Clip, Number.MIN_VALUE, 2 ** 31);
    maxAbs = options.l2Clip;
  } else {
    throw new TypeError('options must give maxAbs or l2Clip');
  }
  const noiseStd = options.noiseStd ?? 0;
  assertNumber('noiseStd', noiseStd, 0, 2 ** 31);
  const tail = options.tailSigmas ?? DEFAULT_TAIL_SIGMAS;
  assertNumber('tailSigmas', tail, 0, 1000);

  const clientBound = Math.floor(halfRange(bits) / n);
  const noiseRoom = Math.ceil(tail * noiseStd);
  const valueRoom = clientBound - noiseRoom;
  if (valueRoom < 1) {
    throw new RangeError(
      `ring Z_2^${bits} cannot hold ${n} clients: per-client room ${clientBound} leaves ${valueRoom} after ${tail} sigma of noise std ${noiseStd}`,
    );
  }
  let scale: number;
  if (options.scale !== undefined) {
    assertNumber('scale', options.scale, Number.MIN_VALUE, 2 ** 52);
    scale = options.scale;
    if (Math.ceil(maxAbs * scale) > valueRoom) {
      throw new RangeError(
        `scale ${scale} too large: ${n} clients of |x| <= ${maxAbs} need ${Math.ceil(maxAbs * scale)} per client, ring Z_2^${bits} leaves ${valueRoom}`,
      );
    }
  } else {
    scale = 2 ** Math.floor(Math.log2(valueRoom / maxAbs));
    // log2 can round up at an exact boundary; step down until it fits.
    while (Math.ceil(maxAbs * scale) > valueRoom) scale /= 2;
    if (!(scale > 0)) throw new RangeError(`no positive scale fits ${n} clients of |x| <= ${maxAbs} in Z_2^${bits}`);
  }
  return Object.freeze({ bits, scale, maxSummands: n, clientBound });
}

function assertParams(params: unknown): asserts params is RingParams {
  if (typeof params !== 'object' || params === null) throw new TypeError(`params must be RingParams, got ${String(params)}`);
  const p = params as RingParams;
  assertBits('params.bits', p.bits);
  assertNumber('params.scale', p.scale, Number.MIN_VALUE, 2 ** 52);
  assertInt('params.clientBound', p.clientBound, 0, 2 ** 31);
  assertInt('params.maxSummands', p.maxSummands, 1, 2 ** 31);
  if (p.clientBound * p.maxSummands > halfRange(p.bits)) throw new RangeError(`params.clientBound ${p.clientBound} x ${p.maxSummands} overflows Z_2^${p.bits}`);
}

/** The bit mask 2^b - 1 as an unsigned 32-bit number. */
export function ringMask(bits: number): number {
  assertBits('bits', bits);
  return bits === 32 ? 0xffffffff : 2 ** bits - 1;
}

/**
 * Encodes floats into Z_{2^b}: round(x * scale) with unbiased stochastic rounding (up with
 * probability equal to the fractional part, resolved to 2^-32), plus optional integer noise.
 * @throws TypeError for a wrong array type; FedtuneError FT_ERR_NON_FINITE for NaN/Infinity;
 * FedtuneError FT_ERR_OVERFLOW when a coordinate exceeds `params.clientBound` (never wraps).
 */
export function encodeToRing(values: Float32Array | Float64Array, params: RingParams, rng: RandomSource, noise?: Int32Array): Uint32Array {
  if (!(values instanceof Float32Array || values instanceof Float64Array)) {
    throw new TypeError(`values must be a Float32Array or Float64Array, got ${values === null ? 'null' : typeof values === 'object' ? (values as object).constructor.name : typeof values}`);
  }
  assertParams(params);
  if (noise !== undefined) {
    if (!(noise instanceof Int32Array)) throw new TypeError('noise must be an Int32Array');
    if (noise.length !== values.length) throw new RangeError(`noise has ${noise.length} elements, values ${values.length}`);
  }
  const n = values.length;
  const out = new Uint32Array(n);
  const coins = new Uint32Array(rng.bytes(4 * n).buffer, 0, n);
  const { scale, clientBound, bits } = params;
  const mask = bits === 32 ? -1 : 2 ** bits - 1;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) throw new FedtuneError('FT_ERR_NON_FINITE', `coordinate ${i} is ${x}`);
    const y = x * scale;
    const f = Math.floor(y);
    let v = f + (coins[i]! < (y - f) * 4294967296 ? 1 : 0);
    if (noise !== undefined) v += noise[i]!;
    if (v > clientBound || v < -clientBound) {
      throw new FedtuneError('FT_ERR_OVERFLOW', `coordinate ${i} encodes to ${v}, beyond the per-client bound ${clientBound}`);
    }
    out[i] = v & mask;
  }
  return out;
}

/**
 * Decodes a ring sum: the centred lift of each coordinate into [-2^(b-1), 2^(b-1)) divided by scale.
 * @throws TypeError / RangeError for a wrong array or params.
 */
export function decodeFromRing(sum: Uint32Array, params: RingParams): Float64Array {
  assertU32Array('sum', sum);
  assertParams(params);
  const modulus = 2 ** params.bits;
  const half = 2 ** (params.bits - 1);
  const mask = ringMask(params.bits);
  const out = new Float64Array(sum.length);
  for (let i = 0; i < sum.length; i++) {
    const v = params.bits === 32 ? sum[i]! : sum[i]! & mask;
    out[i] = (v >= half ? v - modulus : v) / params.scale;
  }
  return out;
}

function checkPair(acc: unknown, x: unknown, offset: number, bits: number): asserts acc is Uint32Array {
  assertU32Array('acc', acc);
  assertU32Array('x', x);
  assertBits('bits', bits);
  assertInt('offset', offset, 0, acc.length);
  if (offset + (x as Uint32Array).length > acc.length) throw new RangeError(`x (${(x as Uint32Array).length}) at offset ${offset} overruns acc (${acc.length})`);
}

/**
 * acc[offset + i] = acc[offset + i] + x[i] mod 2^b, in place.
 * @throws TypeError / RangeError for wrong arrays, bits or an overrun.
 */
export function ringAddInto(acc: Uint32Array, x: Uint32Array, bits: number, offset = 0): Uint32Array {
  checkPair(acc, x, offset, bits);
  addWordsInto(acc, offset, x, bits);
  return acc;
}

/**
 * acc[offset + i] = acc[offset + i] - x[i] mod 2^b, in place.
 * @throws TypeError / RangeError for wrong arrays, bits or an overrun.
 */
export function ringSubInto(acc: Uint32Array, x: Uint32Array, bits: number, offset = 0): Uint32Array {
  checkPair(acc, x, offset, bits);
  subWordsInto(acc, offset, x, bits);
  return acc;
}
