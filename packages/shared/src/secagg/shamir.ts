// Shamir t-of-n secret sharing (Shamir 1979, "How to share a secret") of 32-byte secrets over the
// prime field GF(p), p = 65537 = 2^16 + 1 (the Fermat prime F4). A secret is 16 little-endian
// 16-bit words, each a field element (every word is below p), shared with its own random
// polynomial, so t - 1 shares are independent of every word (perfect secrecy per element, hence
// of the secret). x runs over 1..65535, so a node may have thousands of neighbours: the safe
// majority threshold of SecAgg+ (t > k/2) needs more than the 255 shares GF(2^8) allows at large
// cohorts and high dropout. Products stay below 2^33, exact in float64: no bigint anywhere.
import type { RandomSource } from '../crypto/random.js';
import { FedtuneError } from '../errors/catalogue.js';
import { assertBytes, assertInt } from './assert.js';

/** The field's prime. */
export const FIELD_PRIME = 65_537;
/** The most shares one secret can have: x coordinates 1..65535 (16 bits on the wire). */
export const MAX_SHARES = 65_535;
/** Secrets are raw 32-byte strings (X25519 secret keys, mask seeds). */
export const SECRET_BYTES = 32;
/** Field elements per secret: 16-bit words. */
const WORDS = SECRET_BYTES / 2;
/**
 * Bytes of one share's y: the 16 elements' low 16 bits (little-endian), then a 16-bit mask of the
 * elements equal to 65536 (the one field element that needs a 17th bit).
 */
export const SHARE_BYTES = SECRET_BYTES + 2;

/** One share: evaluation point x in 1..65535 and the encoded evaluations. */
export interface Share {
  readonly x: number;
  readonly y: Uint8Array;
}

const P = FIELD_PRIME;

function mul(a: number, b: number): number {
  return (a * b) % P;
}

/** a^(p-2) = a^-1 for a != 0 (Fermat). */
function inv(a: number): number {
  let result = 1;
  let base = a % P;
  let e = P - 2;
  while (e > 0) {
    if (e & 1) result = mul(result, base);
    base = mul(base, base);
    e >>>= 1;
  }
  return result;
}

function encodeShare(values: Uint32Array): Uint8Array {
  const out = new Uint8Array(SHARE_BYTES);
  let top = 0;
  for (let j = 0; j < WORDS; j++) {
    const v = values[j]!;
    out[2 * j] = v & 0xff;
    out[2 * j + 1] = (v >>> 8) & 0xff;
    if (v === 65_536) top |= 1 << j;
  }
  out[SECRET_BYTES] = top & 0xff;
  out[SECRET_BYTES + 1] = top >>> 8;
  return out;
}

/** @throws FedtuneError FT_ERR_MALFORMED for an element flagged 65536 whose low bits are not 0. */
function decodeShare(y: Uint8Array, index: number): Uint32Array {
  const top = y[SECRET_BYTES]! | (y[SECRET_BYTES + 1]! << 8);
  const out = new Uint32Array(WORDS);
  for (let j = 0; j < WORDS; j++) {
    const low = y[2 * j]! | (y[2 * j + 1]! << 8);
    if (top & (1 << j)) {
      if (low !== 0) throw new FedtuneError('FT_ERR_MALFORMED', `shares[${index}] element ${j} is not in GF(${P})`);
      out[j] = 65_536;
    } else out[j] = low;
  }
  return out;
}

/**
 * Splits `secret` into `n` shares with x = 1..n, any `threshold` of which rebuild it. Coefficients
 * are uniform field elements from `rng`, which must be cryptographically strong.
 * @throws TypeError / RangeError for a secret that is not 32 bytes or 1 <= threshold <= n <= 65535 violated.
 */
export function shamirSplit(secret: Uint8Array, threshold: number, n: number, rng: RandomSource): Share[] {
  assertBytes('secret', secret, SECRET_BYTES);
  assertInt('n', n, 1, MAX_SHARES);
  assertInt('threshold', threshold, 1, n);
  // coeffs[d * WORDS + j]: the degree-(d + 1) coefficient of word j's polynomial.
  const coeffs = new Uint32Array((threshold - 1) * WORDS);
  for (let i = 0; i < coeffs.length; i++) coeffs[i] = rng.int(P);
  const words = new Uint32Array(WORDS);
  for (let j = 0; j < WORDS; j++) words[j] = secret[2 * j]! | (secret[2 * j + 1]! << 8);
  const shares: Share[] = [];
  const y = new Uint32Array(WORDS);
  for (let x = 1; x <= n; x++) {
    for (let j = 0; j < WORDS; j++) {
      // Horner from the top coefficient down to the secret word; acc * x + c < 2^33 stays exact.
      let acc = 0;
      for (let d = threshold - 2; d >= 0; d--) acc = (acc * x + coeffs[d * WORDS + j]!) % P;
      y[j] = (acc * x + words[j]!) % P;
    }
    shares.push({ x, y: encodeShare(y) });
  }
  return shares;
}

/**
 * Rebuilds a secret by Lagrange interpolation at 0 from the first `threshold` of the given shares
 * (all are validated). Fewer than the real threshold yields an unrelated value, which is why the
 * caller must say how many it needs.
 * @throws TypeError for a malformed share; FedtuneError FT_ERR_MALFORMED for a duplicate or
 * invalid x coordinate, a share of the wrong length or outside the field, or shares that
 * interpolate to a value no 32-byte secret has; RangeError when fewer than `threshold`.
 */
export function shamirCombine(shares: readonly Share[], threshold: number): Uint8Array {
  if (!Array.isArray(shares)) throw new TypeError('shares must be an array');
  assertInt('threshold', threshold, 1, MAX_SHARES);
  if (shares.length < threshold) throw new RangeError(`need ${threshold} shares, got ${shares.length}`);
  if (shares.length > MAX_SHARES) throw new RangeError(`at most ${MAX_SHARES} shares, got ${shares.length}`);
  const seen = new Set<number>();
  for (const [i, s] of shares.entries()) {
    if (typeof s !== 'object' || s === null) throw new TypeError(`shares[${i}] must be a Share`);
    if (!Number.isInteger(s.x) || s.x < 1 || s.x > MAX_SHARES) throw new FedtuneError('FT_ERR_MALFORMED', `shares[${i}].x = ${String(s.x)} is not in 1..${MAX_SHARES}`);
    if (seen.has(s.x)) throw new FedtuneError('FT_ERR_MALFORMED', `duplicate share x = ${s.x}`);
    seen.add(s.x);
    if (!(s.y instanceof Uint8Array)) throw new TypeError(`shares[${i}].y must be a Uint8Array`);
    if (s.y.length !== SHARE_BYTES) throw new FedtuneError('FT_ERR_MALFORMED', `shares[${i}].y has ${s.y.length} bytes, not ${SHARE_BYTES}`);
  }
  const used = shares.slice(0, threshold);
  const ys = used.map((s, i) => decodeShare(s.y, i));
  // Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i). One inversion for all t
  // denominators (Montgomery's batch trick): prefix products, invert the last, walk back.
  const t = used.length;
  const xs = used.map((s) => s.x);
  let numerator = 1;
  for (const x of xs) numerator = mul(numerator, x);
  const den = new Float64Array(t);
  for (let i = 0; i < t; i++) {
    let d = xs[i]!;
    for (let j = 0; j < t; j++) if (j !== i) d = mul(d, (xs[j]! - xs[i]! + P) % P);
    den[i] = d; // x_i * prod_{j != i} (x_j - x_i): then l_i = numerator / den_i
  }
  const prefix = new Float64Array(t + 1);
  prefix[0] = 1;
  for (let i = 0; i < t; i++) prefix[i + 1] = mul(prefix[i]!, den[i]!);
  let running = inv(prefix[t]!);
  const lambda = new Float64Array(t);
  for (let i = t - 1; i >= 0; i--) {
    lambda[i] = mul(numerator, mul(running, prefix[i]!));
    running = mul(running, den[i]!);
  }
  const out = new Uint8Array(SECRET_BYTES);
  for (let j = 0; j < WORDS; j++) {
    let v = 0;
    for (let i = 0; i < t; i++) v = (v + mul(lambda[i]!, ys[i]![j]!)) % P;
    if (v > 0xffff) throw new FedtuneError('FT_ERR_MALFORMED', 'shares do not rebuild a 32-byte secret');
    out[2 * j] = v & 0xff;
    out[2 * j + 1] = v >>> 8;
  }
  return out;
}
