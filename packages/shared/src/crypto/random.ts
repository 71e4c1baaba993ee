// Random sources passed into pure code. Both are cryptographically strong: the system source reads
// the platform CSPRNG; the seeded source is an AES-256-CTR keystream (NIST SP 800-38A) keyed by
// SHA-256 of the seed, so simulations and tests are reproducible without a weak generator.
import type { CryptoProvider } from './provider.js';

export interface RandomSource {
  /** `length` uniformly random bytes. */
  bytes(length: number): Uint8Array;
  /** A uniform 32-bit unsigned integer. */
  uint32(): number;
  /** A uniform double in [0, 1) with 53 random bits. */
  float(): number;
  /** A uniform integer in [0, n), n a positive safe integer; rejection sampling, no modulo bias. */
  int(n: number): number;
  /** A uniform bigint in [0, n), by rejection over ceil(log2 n) bits. */
  bigint(n: bigint): bigint;
}

const BUFFER_BYTES = 64 * 1024;

class BufferedRandom implements RandomSource {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;

  constructor(private readonly refill: () => Uint8Array) {}

  bytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
    const out = new Uint8Array(length);
    let written = 0;
    while (written < length) {
      if (this.pos >= this.buf.length) {
        this.buf = this.refill();
        this.pos = 0;
      }
      const take = Math.min(length - written, this.buf.length - this.pos);
      out.set(this.buf.subarray(this.pos, this.pos + take), written);
      this.pos += take;
      written += take;
    }
    return out;
  }

  uint32(): number {
    const b = this.bytes(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  float(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67_108_864 + lo) / 9_007_199_254_740_992;
  }

  int(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`n must be a positive safe integer, got ${n}`);
    if (n <= 2 ** 32) {
      const limit = Math.floor(2 ** 32 / n) * n;
      for (;;) {
        const x = this.uint32();
        if (x < limit) return x % n;
      }
    }
    return Number(this.bigint(BigInt(n)));
  }

  bigint(n: bigint): bigint {
    if (typeof n !== 'bigint' || n < 1n) throw new RangeError(`n must be a positive bigint, got ${String(n)}`);
    const bits = (n - 1n).toString(2).length;
    const byteLen = Math.ceil(bits / 8);
    const excess = BigInt(byteLen * 8 - bits);
    for (;;) {
      let x = 0n;
      for (const b of this.bytes(byteLen)) x = (x << 8n) | BigInt(b);
      x >>= excess;
      if (x < n) return x;
    }
  }
}

/** A source on the platform CSPRNG. */
export function systemRandom(crypto: CryptoProvider): RandomSource {
  return new BufferedRandom(() => crypto.randomBytes(BUFFER_BYTES));
}

/** A reproducible, cryptographically strong source: AES-256-CTR under SHA-256(domain || seed). */
export function seededRandom(crypto: CryptoProvider, seed: string | number | Uint8Array): RandomSource {
  const seedBytes = typeof seed === 'string' || typeof seed === 'number' ? new TextEncoder().encode(String(seed)) : seed;
  const key = crypto.sha256(new TextEncoder().encode('fedtune/seeded-random/v1'), seedBytes);
  const iv = new Uint8Array(16);
  let block = 0;
  return new BufferedRandom(() => {
    const out = crypto.aes256CtrKeystream(key, iv, block, BUFFER_BYTES);
    block += BUFFER_BYTES / 16;
    return out;
  });
}

/** Derives an independent child source, e.g. one per simulated node, from a parent seed and a label. */
export function forkSeed(seed: string | number, label: string): string {
  return `${seed}/${label}`;
}
