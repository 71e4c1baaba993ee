// Fast exact integer draws for the samplers: reads a RandomSource in large chunks so a sampler
// that needs ~10 small uniform draws per value does not pay a call and an allocation for each.
import type { RandomSource } from '../crypto/random.js';

const TWO32 = 4_294_967_296;
const TWO53 = 9_007_199_254_740_992;

/**
 * A buffered reader over a {@link RandomSource}. Every draw is an exact uniform (rejection, no
 * modulo bias). Bytes pulled from the source but not used are discarded, which keeps draws
 * reproducible for a seeded source.
 */
export class RandomReader {
  private buf: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private bits = 0;
  private nbits = 0;

  /**
   * @param source where the bytes come from.
   * @param chunk bytes fetched per refill (a multiple of 4; default 16 KiB).
   * @throws RangeError if chunk is not a positive multiple of 4.
   */
  constructor(
    private readonly source: RandomSource,
    private readonly chunk = 16_384,
  ) {
    if (!Number.isSafeInteger(chunk) || chunk < 4 || chunk % 4 !== 0) throw new RangeError(`chunk must be a positive multiple of 4, got ${chunk}`);
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    if (this.pos >= this.buf.length) {
      this.buf = this.source.bytes(this.chunk);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
      this.pos = 0;
    }
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** One uniform bit. */
  bit(): number {
    if (this.nbits === 0) {
      this.bits = this.uint32();
      this.nbits = 32;
    }
    const b = this.bits & 1;
    this.bits >>>= 1;
    this.nbits--;
    return b;
  }

  /** A uniform integer in [0, 2^53). */
  uint53(): number {
    return (this.uint32() >>> 11) * TWO32 + this.uint32();
  }

  /** A uniform integer in [0, n) for 1 <= n <= 2^53 (caller guarantees the range). */
  int(n: number): number {
    if (n <= TWO32) {
      const limit = TWO32 - (TWO32 % n);
      for (;;) {
        const x = this.uint32();
        if (x < limit) return x % n;
      }
    }
    const limit = TWO53 - (TWO53 % n);
    for (;;) {
      const x = this.uint53();
      if (x < limit) return x % n;
    }
  }
}
