// The node:crypto X25519 batch is a fast path only because it gives the same bytes as tweetnacl:
// RFC 7748 vectors, random keys (fast-check), and the same refusal of low-order points.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCryptoProvider } from '../crypto/node-crypto.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { x25519, x25519Many, x25519PublicKey } from './keys.js';

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const portable: CryptoProvider = { ...nodeCryptoProvider, x25519Many: undefined };

describe('x25519Many (node:crypto fast path)', () => {
  it('matches RFC 7748 section 5.2 and 6.1', () => {
    const [k1] = x25519Many(nodeCryptoProvider, hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'), [hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c')]);
    expect(Buffer.from(k1!).toString('hex')).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
    const aSk = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bSk = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const [k2] = x25519Many(nodeCryptoProvider, aSk, [x25519PublicKey(bSk)]);
    expect(Buffer.from(k2!).toString('hex')).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });

  it('property: bit-identical to tweetnacl for random keys, one secret against many', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 6 }), (sk, seeds) => {
        const pks = seeds.map((s) => x25519PublicKey(s));
        const fast = x25519Many(nodeCryptoProvider, sk, pks);
        expect(fast.map((k) => Buffer.from(k).toString('hex'))).toEqual(pks.map((pk) => Buffer.from(x25519(sk, pk)).toString('hex')));
        expect(x25519Many(portable, sk, pks)).toEqual(pks.map((pk) => x25519(sk, pk)));
      }),
      { numRuns: 60 },
    );
  });

  it('property: identical to tweetnacl for arbitrary 32-byte public keys (top bit set, non-canonical)', () => {
    const outcome = (f: () => Uint8Array) => {
      try {
        return Buffer.from(f()).toString('hex');
      } catch (e) {
        return `throws ${(e as Error).message}`;
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (sk, pk) => {
        expect(outcome(() => x25519Many(nodeCryptoProvider, sk, [pk])[0]!)).toBe(outcome(() => x25519(sk, pk)));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a low-order point on both paths, and bad lengths', () => {
    const sk = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    for (const p of [nodeCryptoProvider, portable]) {
      expect(() => x25519Many(p, sk, [new Uint8Array(32)])).toThrow(/low order/);
      expect(() => x25519Many(p, sk, [new Uint8Array(31)])).toThrow(RangeError);
      expect(() => x25519Many(p, new Uint8Array(33), [new Uint8Array(32)])).toThrow(RangeError);
    }
  });
});
