// Shamir t-of-n secret sharing (Shamir 1979, "How to share a secret") of raw byte strings, bytewise
// over GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2).
import type { RandomSource } from '../crypto/random.js';
import { FedtuneError } from '../errors/catalogue.js';
import { assertBytes, assertInt } from './assert.js';

/** The most shares one secret can have: x coordinates are the non-zero elements of GF(2^8). */
export const MAX_SHARES = 255;
/** Secrets are raw 32-byte strings (X25519 secret keys, mask seeds). */
export const SECRET_BYTES = 32;

/** One share: evaluation point x in 1..255 and the 32 evaluated bytes. */
export interface Share {
  readonly x: number;
  readonly y: Uint8Array;
}

const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
{
  // 3 generates the multiplicative group of GF(2^8) under the AES polynomial.
  let v = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = v;
    LOG[v] = i;
    const twice = (v << 1) ^ (v & 0x80 ? 0x11b : 0);
    v = twice ^ v;
  }
  for (let i = 255; i < 510; i++) EXP[i] = EXP[i - 255]!;
}

function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

function div(a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero in GF(2^8)');
  return a === 0 ? 0 : EXP[LOG[a]! + 255 - LOG[b]!]!;
}

/**
 * Splits `secret` into `n` shares with x = 1..n, any `threshold` of which rebuild it. Coefficients
 * come from `rng`, which must be cryptographically strong.
 * @throws TypeError / RangeError for a secret that is not 32 bytes or 1 <= threshold <= n <= 255 violated.
 */
export function shamirSplit(secret: Uint8Array, threshold: number, n: number, rng: RandomSource): Share[] {
  assertBytes('secret', secret, SECRET_BYTES);
  assertInt('n', n, 1, MAX_SHARES);
  assertInt('threshold', threshold, 1, n);
  const coeffs = rng.bytes((threshold - 1) * SECRET_BYTES);
  const shares: Share[] = [];
  for (let x = 1; x <= n; x++) {
    const y = new Uint8Array(SECRET_BYTES);
    for (let j = 0; j < SECRET_BYTES; j++) {
      // Horner from the top coefficient down to the secret byte.
      let acc = 0;
      for (let d = threshold - 2; d >= 0; d--) acc = mul(acc, x) ^ coeffs[d * SECRET_BYTES + j]!;
      y[j] = mul(acc, x) ^ secret[j]!;
    }
    shares.push({ x, y });
  }
  return shares;
}

/**
 * Rebuilds a secret by Lagrange interpolation at 0 from at least `threshold` shares (all given
 * shares are used; consistent extras do not change the result). Fewer than the real threshold
 * yields an unrelated value, which is why the caller must say how many it needs.
 * @throws TypeError for a malformed share; FedtuneError FT_ERR_MALFORMED for a duplicate or
 * invalid x coordinate or a share of the wrong length; RangeError when fewer than `threshold`.
 */
export function shamirCombine(shares: readonly Share[], threshold: number): Uint8Array {
  if (!Array.isArray(shares)) throw new TypeError('shares must be an array');
  assertInt('threshold', threshold, 1, MAX_SHARES);
  if (shares.length < threshold) throw new RangeError(`need ${threshold} shares, got ${shares.length}`);
  if (shares.length > MAX_SHARES) throw new RangeError(`at most ${MAX_SHARES} shares, got ${shares.length}`);
  const seen = new Set<number>();
  for (const [i, s] of shares.entries()) {
    if (typeof s !== 'object' || s === null) throw new TypeError(`shares[${i}] must be a Share`);
    if (!Number.isInteger(s.x) || s.x < 1 || s.x > MAX_SHARES) throw new FedtuneError('FT_ERR_MALFORMED', `shares[${i}].x = ${String(s.x)} is not in 1..255`);
    if (seen.has(s.x)) throw new FedtuneError('FT_ERR_MALFORMED', `duplicate share x = ${s.x}`);
    seen.add(s.x);
    if (!(s.y instanceof Uint8Array)) throw new TypeError(`shares[${i}].y must be a Uint8Array`);
    if (s.y.length !== SECRET_BYTES) throw new FedtuneError('FT_ERR_MALFORMED', `shares[${i}].y has ${s.y.length} bytes, not ${SECRET_BYTES}`);
  }
  // Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); subtraction is XOR in GF(2^8).
  const out = new Uint8Array(SECRET_BYTES);
  for (let i = 0; i < shares.length; i++) {
    const xi = shares[i]!.x;
    let num = 1;
    let den = 1;
    for (let j = 0; j < shares.length; j++) {
      if (j === i) continue;
      const xj = shares[j]!.x;
      num = mul(num, xj);
      den = mul(den, xj ^ xi);
    }
    const li = div(num, den);
    const yi = shares[i]!.y;
    for (let b = 0; b < SECRET_BYTES; b++) out[b] = out[b]! ^ mul(li, yi[b]!);
  }
  return out;
}
