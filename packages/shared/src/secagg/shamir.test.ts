// Shamir t-of-n over GF(65537): a known-answer vector computed independently from the definition,
// every t-subset rebuilds and t-1 do not, more than 255 shares, malformed shares refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seededRandom, type RandomSource } from '../crypto/random.js';
import { FIELD_PRIME, MAX_SHARES, SHARE_BYTES, type Share, shamirCombine, shamirSplit } from './shamir.js';

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [head, ...rest] = items;
  return [...subsets(rest, size - 1).map((s) => [head!, ...s]), ...subsets(rest, size)];
}

const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A RandomSource whose int() hands out the given field elements in order (and nothing else). */
function scripted(values: readonly number[]): RandomSource {
  let i = 0;
  const no = () => {
    throw new Error('not scripted');
  };
  return { int: (n: number) => (n === FIELD_PRIME ? values[i++]! : no()), bytes: no, uint32: no, float: no, bigint: no } as RandomSource;
}

describe('shamir over GF(65537)', () => {
  it('known answer: 3-of-5 shares of 00..1f with scripted coefficients (reference computed in Python from y = w + c1 x + c2 x^2 mod 65537)', () => {
    // The reference, written from Shamir 1979 independently of this code (Python 3):
    //   P = 65537; secret = bytes(range(32)); w = [secret[2j] | secret[2j+1] << 8 for j in 0..15]
    //   c = [(i * 7919 + 12345) % P for i in 0..31]; c[0] = 65536; c[16] = (65536 - w[0] - c[0]) % P
    //   y_j(x) = (w[j] + c[j] x + c[16 + j] x^2) % P, encoded as 16 little-endian 16-bit words and a
    //   16-bit mask of the words equal to 65536. c[0] is p - 1, and c[16] makes y_0(1) = 65536.
    const coeffs = [65536, 20264, 28183, 36102, 44021, 51940, 59859, 2241, 10160, 18079, 25998, 33917, 41836, 49755, 57674, 56, 65281, 15894, 23813, 31732, 39651, 47570, 55489, 63408, 5790, 13709, 21628, 29547, 37466, 45385, 53304, 61223];
    const secret = Uint8Array.from({ length: 32 }, (_, i) => i);
    const shares = shamirSplit(secret, 3, 5, scripted(coeffs));
    expect(shares.map((s) => [s.x, hex(s.y)])).toEqual([
      [1, '0000409020d0ff0fdf4fbf8f9fcf7e0f5e4f3e8f1ecffd0edd4ebd8e9dce7c0e0100'],
      [2, 'fffca9994455df107bcc1688b1434dffe8ba83761e32baed55a9f0648b2027dc0000'],
      [3, 'fef73d1f7294a609db7e10f4446979dead53e2c8163e4bb37f28b49de8121d880000'],
      [4, 'fdf0fd20a98d55fa0067acd3574003adae195a8606f3b15f5dcc0839b4a55f120000'],
      [5, 'fce7e99ee940eae2ea84ea26ebc8eb6aeb0cecaeec50edf2ed94ed36eed8ee7a0000'],
    ]);
    for (const s of subsets(shares, 3)) expect(eq(shamirCombine(s, 3), secret)).toBe(true);
  });

  it('every subset of t shares rebuilds the secret, every t-1 subset does not (n <= 7)', () => {
    const rng = seededRandom(crypto, 'shamir-subsets');
    for (let n = 1; n <= 7; n++) {
      for (let t = 1; t <= n; t++) {
        const secret = rng.bytes(32);
        const shares = shamirSplit(secret, t, n, rng);
        for (const s of subsets(shares, t)) expect(eq(shamirCombine(s, t), secret)).toBe(true);
        if (t > 1) {
          for (const s of subsets(shares, t - 1)) {
            let rebuilt: Uint8Array | null = null;
            try {
              rebuilt = shamirCombine(s, t - 1);
            } catch {
              // t - 1 shares may also interpolate to no 32-byte value at all.
            }
            expect(rebuilt !== null && eq(rebuilt, secret)).toBe(false);
          }
        }
        // More than t consistent shares give the same secret.
        expect(eq(shamirCombine(shares, t), secret)).toBe(true);
      }
    }
  });

  it('more than 255 shares: 501 neighbours at a majority threshold of 251', () => {
    const rng = seededRandom(crypto, 'shamir-large');
    const secret = rng.bytes(32);
    const shares = shamirSplit(secret, 251, 501, rng);
    expect(shares.at(-1)!.x).toBe(501);
    const pick = (start: number) => Array.from({ length: 251 }, (_, i) => shares[(start + 2 * i) % 501]!);
    expect(eq(shamirCombine(pick(0), 251), secret)).toBe(true);
    expect(eq(shamirCombine(pick(17), 251), secret)).toBe(true);
    expect(eq(shamirCombine(pick(17).slice(0, 250), 250), secret)).toBe(false);
  });

  it('property: random t, n, subset order; t - 1 shares rebuild another value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 2, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer(), (secret, n, tRaw, seed) => {
        const t = 1 + (tRaw % n);
        const rng = seededRandom(crypto, seed);
        const shares = shamirSplit(secret, t, n, rng);
        const picked = [...shares].reverse().slice(0, t);
        expect(eq(shamirCombine(picked, t), secret)).toBe(true);
        if (t > 1) {
          let other: Uint8Array | null = null;
          try {
            other = shamirCombine(picked.slice(1), t - 1);
          } catch {
            // no 32-byte value: also not the secret
          }
          expect(other !== null && eq(other, secret)).toBe(false);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses duplicate and invalid x coordinates, wrong lengths, elements outside the field, too few shares', () => {
    const rng = seededRandom(crypto, 'shamir-bad');
    const shares = shamirSplit(rng.bytes(32), 3, 5, rng);
    const y = new Uint8Array(SHARE_BYTES);
    expect(() => shamirCombine([shares[0]!, shares[0]!, shares[1]!], 3)).toThrow(/duplicate/);
    for (const x of [0, MAX_SHARES + 1, 1.5, -3, NaN]) expect(() => shamirCombine([{ x, y }, shares[1]!, shares[2]!], 3)).toThrow(/is not in 1\.\.65535/);
    expect(() => shamirCombine([{ x: 9, y: new Uint8Array(32) }, shares[1]!, shares[2]!], 3)).toThrow(/32 bytes, not 34/);
    // Element 0 flagged as 65536 but with low bits set: not a field element.
    const forged = Uint8Array.from(shares[0]!.y);
    forged[0] = 1;
    forged[32] = 1;
    expect(() => shamirCombine([{ x: shares[0]!.x, y: forged }, shares[1]!, shares[2]!], 3)).toThrow(/not in GF\(65537\)/);
    expect(() => shamirCombine([{ x: 9, y: [1, 2] } as unknown as Share, shares[1]!, shares[2]!], 3)).toThrow(TypeError);
    expect(() => shamirCombine(shares.slice(0, 2), 3)).toThrow(RangeError);
    expect(() => shamirCombine('nope' as unknown as Share[], 3)).toThrow(TypeError);
    expect(() => shamirCombine([null as unknown as Share, shares[1]!, shares[2]!], 3)).toThrow(TypeError);
  });

  it('shares that interpolate to no 32-byte secret are refused, not decoded modulo 2^16', () => {
    // y(x) = 65536 for x = 1, 2: the constant polynomial 65536, whose secret word is not 16 bits.
    const top = new Uint8Array(SHARE_BYTES);
    top[32] = 0xff;
    top[33] = 0xff;
    expect(() => shamirCombine([{ x: 1, y: top }, { x: 2, y: top }], 2)).toThrow(/do not rebuild a 32-byte secret/);
  });

  it('hostile arguments to split', () => {
    const rng = seededRandom(crypto, 'x');
    const s = new Uint8Array(32);
    for (const bad of [NaN, Infinity, 1.5, -1, 2 ** 53, 0, MAX_SHARES + 1]) {
      expect(() => shamirSplit(s, 2, bad, rng)).toThrow(RangeError);
      expect(() => shamirSplit(s, bad, 5, rng)).toThrow(RangeError);
    }
    expect(() => shamirSplit(new Uint8Array(31), 2, 3, rng)).toThrow(RangeError);
    expect(() => shamirSplit(new Uint16Array(32) as unknown as Uint8Array, 2, 3, rng)).toThrow(TypeError);
    expect(() => shamirSplit(s, 4, 3, rng)).toThrow(RangeError);
  });
});
