// The addon's own surface (src/aes-ctr.c) under hostile calls: wrong types and sizes, a foreign
// `this`, use after close, shared memory. Known answers and bit-identity with node:crypto are in
// packages/shared/src/crypto/node-crypto.test.ts. Skips, saying why, where the addon is not built.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type Binding = typeof import('../index.cjs');
let binding: Binding | null = null;
let why = '';
try {
  binding = createRequire(import.meta.url)('../index.cjs') as Binding;
} catch (err) {
  why = (err as Error).message.split('\n')[0]!;
}

const KEY = new Uint8Array(32).fill(7);
const COUNTER = new Uint8Array(16);

describe.skipIf(binding === null)(`CtrStream${binding === null ? ` (not built: ${why})` : ''}`, () => {
  const { CtrStream, openssl } = binding!;

  it('names its OpenSSL', () => {
    expect(openssl).toMatch(/^OpenSSL \d/);
  });

  it('refuses bad constructor arguments and a call without new', () => {
    expect(() => new CtrStream(new Uint8Array(31), COUNTER)).toThrow(RangeError);
    expect(() => new CtrStream(new Uint8Array(33), COUNTER)).toThrow(RangeError);
    expect(() => new CtrStream(KEY, new Uint8Array(17))).toThrow(RangeError);
    expect(() => new CtrStream(new Int8Array(32) as never, COUNTER)).toThrow(TypeError);
    expect(() => new CtrStream(Array.from(KEY) as never, COUNTER)).toThrow(TypeError);
    expect(() => new (CtrStream as unknown as new (k: unknown) => unknown)(KEY)).toThrow(TypeError);
    expect(() => (CtrStream as unknown as (k: Uint8Array, c: Uint8Array) => unknown)(KEY, COUNTER)).toThrow(TypeError);
  });

  it('refuses a foreign this, and use after close', () => {
    const s = new CtrStream(KEY, COUNTER);
    for (const self of [{}, Object.create(CtrStream.prototype as object), null, 1]) {
      expect(() => CtrStream.prototype.fill.call(self, new Uint8Array(4))).toThrow(TypeError);
      expect(() => CtrStream.prototype.addWords.call(self, new Uint32Array(4), 1)).toThrow(TypeError);
    }
    s.close();
    expect(() => s.fill(new Uint8Array(4))).toThrow(/closed/);
    expect(() => s.close()).toThrow(/closed/);
  });

  it('writes any typed array byte-for-byte, empty ones included, and into shared memory', () => {
    const a = new CtrStream(KEY, COUNTER);
    const b = new CtrStream(KEY, COUNTER);
    const bytes = new Uint8Array(4096 + 40);
    a.fill(bytes);
    const f64 = new Float64Array(new SharedArrayBuffer(4096 + 40), 0, (4096 + 40) / 8);
    b.fill(new Uint8Array(0));
    b.fill(f64);
    expect(Buffer.from(f64.buffer).equals(Buffer.from(bytes))).toBe(true);
    const shared = new Uint32Array(new SharedArrayBuffer(64));
    a.addWords(shared, 1);
    expect(shared.some((w) => w !== 0)).toBe(true);
    a.close();
    b.close();
  });
});
