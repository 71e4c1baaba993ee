// Share commitments (share-commitment.ts): binding to every field (a property test over random
// inputs and single-field changes), deterministic, and hostile arguments refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seedCommitment, shareCommitment } from './share-commitment.js';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('share commitments', () => {
  it('change when any one field changes, and only then (property, 200 cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 255 }), bytes32, bytes32, fc.integer({ min: 0, max: 255 }), (round, x, nonce, y, bit) => {
        const base = hex(shareCommitment(crypto, round, 'owner', x, 'b', nonce, y));
        expect(hex(shareCommitment(crypto, round, 'owner', x, 'b', nonce, y))).toBe(base);
        const flipped = y.slice();
        flipped[bit % 32]! ^= 1 << (bit % 8);
        const variants = [
          shareCommitment(crypto, (round + 1) % 2 ** 32, 'owner', x, 'b', nonce, y),
          shareCommitment(crypto, round, 'owner2', x, 'b', nonce, y),
          shareCommitment(crypto, round, 'owner', x === 255 ? 1 : x + 1, 'b', nonce, y),
          shareCommitment(crypto, round, 'owner', x, 's', nonce, y),
          shareCommitment(crypto, round, 'owner', x, 'b', nonce.map((b) => b ^ 0x80), y),
          shareCommitment(crypto, round, 'owner', x, 'b', nonce, flipped),
        ];
        for (const v of variants) expect(hex(v)).not.toBe(base);
      }),
      { numRuns: 200 },
    );
  });

  it('the seed commitment binds round, owner and seed', () => {
    const seed = new Uint8Array(32).fill(7);
    const c = hex(seedCommitment(crypto, 3, 'u', seed));
    expect(hex(seedCommitment(crypto, 4, 'u', seed))).not.toBe(c);
    expect(hex(seedCommitment(crypto, 3, 'v', seed))).not.toBe(c);
    expect(hex(seedCommitment(crypto, 3, 'u', seed.map((b, i) => (i === 31 ? b ^ 1 : b))))).not.toBe(c);
  });

  it('refuses hostile arguments', () => {
    const n = new Uint8Array(32);
    for (const round of [-1, 1.5, NaN, Infinity, 2 ** 32]) expect(() => shareCommitment(crypto, round, 'o', 1, 'b', n, n)).toThrow(RangeError);
    for (const x of [0, -1, 1.5, NaN, 70_000]) expect(() => shareCommitment(crypto, 1, 'o', x, 'b', n, n)).toThrow(RangeError);
    expect(() => shareCommitment(crypto, 1, 'o', 1, 'b', new Uint8Array(31), n)).toThrow(RangeError);
    expect(() => shareCommitment(crypto, 1, '', 1, 'b', n, n)).toThrow();
    expect(() => shareCommitment(crypto, 1, 'o', 1, 'b', n, [1, 2] as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => seedCommitment(crypto, 1, 'o', new Uint8Array(33))).toThrow(RangeError);
  });
});
