// Shamir t-of-n over GF(2^8): every t-subset rebuilds, t-1 do not, malformed shares are refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seededRandom } from '../crypto/random.js';
import { type Share, shamirCombine, shamirSplit } from './shamir.js';

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [head, ...rest] = items;
  return [...subsets(rest, size - 1).map((s) => [head!, ...s]), ...subsets(rest, size)];
}

const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('shamir', () => {
  it('every subset of t shares rebuilds the secret, every t-1 subset does not (n <= 7)', () => {
    const rng = seededRandom(crypto, 'shamir-subsets');
    for (let n = 1; n <= 7; n++) {
      for (let t = 1; t <= n; t++) {
        const secret = rng.bytes(32);
        const shares = shamirSplit(secret, t, n, rng);
        for (const s of subsets(shares, t)) expect(eq(shamirCombine(s, t), secret)).toBe(true);
        if (t > 1) for (const s of subsets(shares, t - 1)) expect(eq(shamirCombine(s, t - 1), secret)).toBe(false);
        // More than t consistent shares give the same secret.
        expect(eq(shamirCombine(shares, t), secret)).toBe(true);
      }
    }
  });

  it('property: random t, n, subset order', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer(), (secret, n, tRaw, seed) => {
        const t = 1 + (tRaw % n);
        const rng = seededRandom(crypto, seed);
        const shares = shamirSplit(secret, t, n, rng);
        const picked = [...shares].sort(() => 0).reverse().slice(0, t);
        expect(eq(shamirCombine(picked, t), secret)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses duplicate and invalid x coordinates, wrong lengths, too few shares', () => {
    const rng = seededRandom(crypto, 'shamir-bad');
    const shares = shamirSplit(rng.bytes(32), 3, 5, rng);
    expect(() => shamirCombine([shares[0]!, shares[0]!, shares[1]!], 3)).toThrow(/duplicate/);
    expect(() => shamirCombine([{ x: 0, y: new Uint8Array(32) }, shares[1]!, shares[2]!], 3)).toThrow(/not in 1..255/);
    expect(() => shamirCombine([{ x: 256, y: new Uint8Array(32) }, shares[1]!, shares[2]!], 3)).toThrow(/not in 1..255/);
    expect(() => shamirCombine([{ x: 1.5, y: new Uint8Array(32) }, shares[1]!, shares[2]!], 3)).toThrow(/not in 1..255/);
    expect(() => shamirCombine([{ x: 9, y: new Uint8Array(31) }, shares[1]!, shares[2]!], 3)).toThrow(/31 bytes/);
    expect(() => shamirCombine([{ x: 9, y: [1, 2] } as unknown as Share, shares[1]!, shares[2]!], 3)).toThrow(TypeError);
    expect(() => shamirCombine(shares.slice(0, 2), 3)).toThrow(RangeError);
    expect(() => shamirCombine('nope' as unknown as Share[], 3)).toThrow(TypeError);
  });

  it('hostile arguments to split', () => {
    const rng = seededRandom(crypto, 'x');
    const s = new Uint8Array(32);
    for (const bad of [NaN, Infinity, 1.5, -1, 2 ** 53, 0, 256]) {
      expect(() => shamirSplit(s, 2, bad, rng)).toThrow(RangeError);
      expect(() => shamirSplit(s, bad, 5, rng)).toThrow(RangeError);
    }
    expect(() => shamirSplit(new Uint8Array(31), 2, 3, rng)).toThrow(RangeError);
    expect(() => shamirSplit(new Uint16Array(32) as unknown as Uint8Array, 2, 3, rng)).toThrow(TypeError);
    expect(() => shamirSplit(s, 4, 3, rng)).toThrow(RangeError);
  });
});
