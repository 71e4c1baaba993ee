// The AES-256-CTR keystream of both node providers (native addon where built, node:crypto alone)
// against NIST SP 800-38A, against each other for any key, counter, offset and read pattern, and
// under hostile arguments. Where the addon is not built its tests say so and skip; the
// node:crypto path is always tested.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeCryptoStatus } from './native-keystream.js';
import { createNodeCryptoProvider, nodeCryptoProvider } from './node-crypto.js';
import type { CryptoProvider } from './provider.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const status = nativeCryptoStatus();
const portable = createNodeCryptoProvider({ native: false });
const native = createNodeCryptoProvider();
const providers: [string, CryptoProvider][] = [
  ['node:crypto', portable],
  ...(status.inUse ? ([['native', native]] as [string, CryptoProvider][]) : []),
];

// NIST SP 800-38A F.5.5 CTR-AES256.Encrypt: the keystream is plaintext XOR ciphertext.
const KEY = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
const IV = hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
const PT = hex('6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710');
const CT = hex('601ec313775789a5b7a7f504bbf3d228 f443e3ca4d62b59aca84e990cacaf5c5 2b0930daa23de94ce87017ba2d84988d dfc9c58db67aada613c2dd08457941a6');
const KEYSTREAM = toHex(PT.map((b, i) => b ^ CT[i]!));

describe(`native keystream status (${status.inUse ? `in use, ${status.openssl}` : status.reason})`, () => {
  it('reports a reason exactly when not in use, and nodeCryptoProvider follows it', () => {
    expect(status.inUse ? status.openssl : status.reason).toMatch(/\S/);
    expect(typeof nodeCryptoProvider.aes256CtrStream).toBe('function');
    expect(nodeCryptoProvider.aes256CtrStream!(KEY, IV, 0).addWords !== undefined).toBe(status.inUse);
    expect(portable.aes256CtrStream!(KEY, IV, 0).addWords).toBeUndefined();
  });
});

for (const [name, crypto] of providers) {
  describe(`AES-256-CTR through ${name} (NIST SP 800-38A F.5.5)`, () => {
    it('one-shot keystream, from block 0 and from block 2', () => {
      expect(toHex(crypto.aes256CtrKeystream(KEY, IV, 0, 64))).toBe(KEYSTREAM);
      expect(toHex(crypto.aes256CtrKeystream(KEY, IV, 2, 32))).toBe(KEYSTREAM.slice(64));
    });
    it('a stream read in uneven pieces continues where it stopped', () => {
      const s = crypto.aes256CtrStream!(KEY, IV, 1);
      const out = new Uint8Array(48);
      for (const [a, b] of [[0, 1], [1, 17], [17, 17], [17, 48]] as const) s.fill(out.subarray(a, b));
      s.close();
      s.close(); // idempotent
      expect(toHex(out)).toBe(KEYSTREAM.slice(32));
      expect(() => s.fill(new Uint8Array(1))).toThrow(/closed/);
      const t = crypto.aes256CtrStream!(KEY, IV, 0);
      for (const bad of ['x', null, [0, 0], new DataView(new ArrayBuffer(4))]) expect(() => t.fill(bad as never)).toThrow(TypeError);
      t.close();
    });
  });
}

describe('the native and node:crypto keystreams are bit-identical', () => {
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
  // Counters near 2^32, 2^64 and 2^128 (all 0xff) test the carry out of OpenSSL's 32-bit fast path.
  const counter = fc.oneof(bytes(16), fc.constant(new Uint8Array(16).fill(0xff)), bytes(12).map((b) => Uint8Array.from([...b, 0xff, 0xff, 0xff, 0xfe])));
  it.skipIf(!status.inUse)('property: streams read in random pieces, and the fused add, equal node:crypto one-shot', () => {
    fc.assert(
      fc.property(bytes(32), counter, fc.integer({ min: 0, max: 2 ** 40 }), fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 5 }), (key, iv, offset, pieces) => {
        const total = pieces.reduce((a, b) => a + b, 0);
        const want = portable.aes256CtrKeystream(key, iv, offset, total + 4 * 1000);
        expect(toHex(native.aes256CtrKeystream(key, iv, offset, total))).toBe(toHex(want.subarray(0, total)));
        const s = native.aes256CtrStream!(key, iv, offset);
        const got = new Uint8Array(total);
        let at = 0;
        for (const p of pieces) s.fill(got.subarray(at, (at += p)));
        expect(toHex(got)).toBe(toHex(want.subarray(0, total)));
        // Then the fused add, continuing the same stream: start from words w, add and subtract.
        const words = new DataView(want.buffer, want.byteOffset + total, 4000);
        const target = Uint32Array.from({ length: 1000 }, (_, i) => (i * 2654435761) >>> 0);
        const expected = target.map((t, i) => (i < 500 ? t + words.getUint32(4 * i, true) : t - words.getUint32(4 * i, true)) >>> 0);
        s.addWords!(target.subarray(0, 500), 1);
        s.addWords!(target.subarray(500), -1);
        s.close();
        expect(Array.from(target)).toEqual(Array.from(expected));
      }),
      { numRuns: 60 },
    );
  });
});

describe('hostile arguments to the keystream', () => {
  for (const [name, crypto] of providers) {
    it(`${name}: bad keys, IVs and offsets are refused before any cipher runs`, () => {
      const open = (key: unknown, iv: unknown, off: unknown) => crypto.aes256CtrStream!(key as Uint8Array, iv as Uint8Array, off as number);
      expect(() => open(new Uint8Array(31), IV, 0)).toThrow(RangeError);
      expect(() => open(KEY, new Uint8Array(15), 0)).toThrow(RangeError);
      expect(() => open(new Uint16Array(32), IV, 0)).toThrow(TypeError);
      expect(() => open('k'.repeat(32), IV, 0)).toThrow(TypeError);
      for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
        expect(() => open(KEY, IV, bad)).toThrow(RangeError);
        expect(() => crypto.aes256CtrKeystream(KEY, IV, 0, bad)).toThrow(RangeError);
      }
    });
  }
  it.skipIf(!status.inUse)('native: the fused add refuses a wrong target or sign and leaves the stream usable', () => {
    const s = native.aes256CtrStream!(KEY, IV, 0);
    for (const bad of [new Int32Array(4), new Uint8Array(16), [1, 2, 3, 4], null]) expect(() => s.addWords!(bad as never, 1)).toThrow(TypeError);
    for (const bad of [0, 2, -2, NaN, '1', 1.5]) expect(() => s.addWords!(new Uint32Array(4), bad as never)).toThrow(RangeError);
    expect(() => s.fill('x' as never)).toThrow(TypeError);
    // Nothing was consumed by the refused calls.
    const out = new Uint8Array(16);
    s.fill(out);
    expect(toHex(out)).toBe(KEYSTREAM.slice(0, 32));
    s.close();
    expect(() => s.addWords!(new Uint32Array(4), 1)).toThrow(/closed/);
  });
});
