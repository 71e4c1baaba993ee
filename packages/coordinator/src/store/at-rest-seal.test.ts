// Encryption at rest: known answers for the XSalsa20-Poly1305 primitive, then the STREAM
// composition played against: reordered, dropped, truncated, moved and altered segments.
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '@fedtune/shared';
import { AtRestCipher, SEGMENT_BYTES, parseAtRestKey } from './at-rest-seal.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('XSalsa20-Poly1305 (secretbox) known answers', () => {
  // libsodium's crypto_secretbox_easy layout (MAC || ciphertext) with an all-zero key and nonce, as
  // published in the sodium bindings' test suites (sodium_sys secretbox tests: "test"; luasodium
  // test-crypto_secretbox.lua: "yay").
  const zeroKey = new Uint8Array(32);
  const zeroNonce = new Uint8Array(24);
  it('"test" and "yay" under the zero key and nonce', () => {
    expect(hex(nacl.secretbox(new TextEncoder().encode('test'), zeroNonce, zeroKey))).toBe('af99b493f67bfd299fa9207240fba7b3b25bc88b');
    expect(hex(nacl.secretbox(new TextEncoder().encode('yay'), zeroNonce, zeroKey))).toBe('5483f80c8b74f180eaefc3049f3e2c03bf5fc2');
  });
});

describe('AtRestCipher (STREAM over secretbox, per-context keys)', () => {
  const cipher = new AtRestCipher(nodeCryptoProvider, new Uint8Array(32).fill(9));

  it('property: opens what it sealed, for any length (segment boundaries included) and context', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.string({ maxLength: 40 }), (plain, context) => {
        expect(hex(cipher.open(cipher.seal(plain, context), context))).toBe(hex(plain));
      }),
      { numRuns: 100 },
    );
    for (const n of [0, 1, SEGMENT_BYTES - 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 2 * SEGMENT_BYTES, 2 * SEGMENT_BYTES + 5]) {
      const plain = new Uint8Array(n).map((_, i) => i * 31);
      const sealed = cipher.seal(plain, 'model:x');
      expect(sealed.length).toBe(20 + n + 16 * Math.max(1, Math.ceil(n / SEGMENT_BYTES)));
      expect(Buffer.from(cipher.open(sealed, 'model:x')).equals(Buffer.from(plain))).toBe(true);
    }
  });

  it('never seals the same value twice to the same bytes (a fresh nonce prefix each time)', () => {
    const p = new Uint8Array(100);
    expect(hex(cipher.seal(p, 'c'))).not.toBe(hex(cipher.seal(p, 'c')));
  });

  it('refuses a value moved to another context (an older ledger row, another model)', () => {
    const sealed = cipher.seal(new TextEncoder().encode('{"round":3}'), 'ledger:3:0');
    expect(() => cipher.open(sealed, 'ledger:4:0')).toThrow(expect.objectContaining({ code: 'FT_ERR_STORE_KEY' }));
    expect(() => new AtRestCipher(nodeCryptoProvider, new Uint8Array(32).fill(8)).open(sealed, 'ledger:3:0')).toThrow(expect.objectContaining({ code: 'FT_ERR_STORE_KEY' }));
  });

  it('refuses reordered, dropped, truncated or altered segments', () => {
    const plain = new Uint8Array(2 * SEGMENT_BYTES + 10).map((_, i) => i);
    const sealed = cipher.seal(plain, 'm');
    const head = 20;
    const full = SEGMENT_BYTES + 16;
    const seg = (i: number) => sealed.subarray(head + i * full, Math.min(sealed.length, head + (i + 1) * full));
    const join = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));
    const hdr = sealed.subarray(0, head);
    const attacks = {
      swapped: join(hdr, seg(1), seg(0), seg(2)),
      lastDropped: join(hdr, seg(0), seg(1)),
      firstDropped: join(hdr, seg(1), seg(2)),
      truncated: sealed.subarray(0, sealed.length - 3),
      flipped: (() => {
        const c = sealed.slice();
        c[head + 5]! ^= 1;
        return c;
      })(),
      prefixChanged: (() => {
        const c = sealed.slice();
        c[6]! ^= 0x80;
        return c;
      })(),
    };
    for (const [name, bad] of Object.entries(attacks)) expect(() => cipher.open(bad, 'm'), name).toThrow(expect.objectContaining({ code: 'FT_ERR_STORE_KEY' }));
  });

  it('hostile inputs: short, empty, wrong magic, non-bytes; keys of the wrong size', () => {
    for (const bad of [new Uint8Array(0), new Uint8Array(35), new Uint8Array(200), 'FTS1' as unknown as Uint8Array, null as unknown as Uint8Array]) {
      expect(() => cipher.open(bad, 'm')).toThrow(expect.objectContaining({ code: 'FT_ERR_STORE_KEY' }));
    }
    for (const n of [0, 16, 31, 33]) expect(() => new AtRestCipher(nodeCryptoProvider, new Uint8Array(n))).toThrow(RangeError);
  });

  it('reads keys as 64 hex digits or base64(url) of 32 bytes, and names the source of a bad one', () => {
    const k = new Uint8Array(32).map((_, i) => i);
    expect(parseAtRestKey(` ${hex(k)}\n`, 'env')).toEqual(k);
    expect(parseAtRestKey(Buffer.from(k).toString('base64'), 'env')).toEqual(k);
    expect(parseAtRestKey(Buffer.from(k).toString('base64url'), 'env')).toEqual(k);
    for (const bad of ['', 'abc', hex(k).slice(2), hex(k) + '00', 'g'.repeat(64), Buffer.from(new Uint8Array(31)).toString('base64')]) {
      expect(() => parseAtRestKey(bad, 'FEDTUNE_STORE_KEY')).toThrow(expect.objectContaining({ code: 'FT_ERR_CONFIG', message: expect.stringContaining('FEDTUNE_STORE_KEY') }));
    }
  });
});
