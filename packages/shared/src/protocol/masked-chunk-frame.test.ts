// The masked-chunk frame is ordinary msgpack both ways (msgpackr reads ours, we read msgpackr's),
// decodes without a copy when its words are aligned, and under hostile bytes agrees with the
// general decoder or falls back to it: never a different value, never an uncoded error.
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { FedtuneError } from '../errors/catalogue.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { CHUNK_ELEMENTS } from './limits.js';
import { decodeMaskedChunkFrame, encodeMaskedChunkFrame } from './masked-chunk-frame.js';

const msgpackr = new Packr({ useRecords: false, moreTypes: true, mapsAsObjects: true, bundleStrings: false });
const chunk = fc.record({ round: fc.integer({ min: 0, max: 2 ** 31 }), chunkIndex: fc.integer({ min: 0, max: 2 ** 28 }), data: fc.uint32Array({ maxLength: 300 }) });
const plain = (v: { round: number; chunkIndex: number; data: Uint32Array }) => ({ round: v.round, chunkIndex: v.chunkIndex, data: Array.from(v.data) });

describe('masked-chunk frame', () => {
  it('property: msgpackr decodes our frames, we decode msgpackr frames, both equal the message', () => {
    fc.assert(
      fc.property(chunk, (v) => {
        const ours = encodeMaskedChunkFrame(v);
        expect(plain(msgpackr.unpack(ours) as typeof v)).toEqual(plain(v));
        expect(plain(decodeMaskedChunkFrame(ours)!)).toEqual(plain(v));
        expect(plain(decodeMaskedChunkFrame(msgpackr.pack(v))!)).toEqual(plain(v));
        expect(plain(decodeMessage('secagg:masked-input-chunk', encodeMessage('secagg:masked-input-chunk', v)))).toEqual(plain(v));
      }),
      { numRuns: 200 },
    );
  });

  it('words at byte 40: a frame in its own buffer decodes to a view of it; a misaligned one to a copy', () => {
    const data = Uint32Array.from({ length: CHUNK_ELEMENTS }, (_, i) => (i * 2654435761) >>> 0);
    const frame = encodeMessage('secagg:masked-input-chunk', { round: 5, chunkIndex: 1, data });
    expect(frame.byteLength).toBe(40 + 4 * CHUNK_ELEMENTS);
    const aligned = decodeMessage('secagg:masked-input-chunk', frame).data;
    expect(aligned.buffer).toBe(frame.buffer);
    expect(aligned.byteOffset).toBe(40);
    // The same bytes one byte further into a larger buffer, as a Buffer (whose slice is a view).
    const shifted = Buffer.alloc(frame.byteLength + 1).subarray(1);
    shifted.set(frame);
    const copied = decodeMessage('secagg:masked-input-chunk', shifted).data;
    expect(copied.buffer).not.toBe(shifted.buffer);
    expect(copied.length).toBe(CHUNK_ELEMENTS);
    expect(Buffer.from(copied.buffer, copied.byteOffset, copied.byteLength).equals(Buffer.from(data.buffer))).toBe(true);
    // msgpackr's own encoding of the same message (words at byte 34) still decodes, by copy.
    expect(Array.from(decodeMessage('secagg:masked-input-chunk', msgpackr.pack({ round: 5, chunkIndex: 1, data })).data.subarray(0, 4))).toEqual(Array.from(data.subarray(0, 4)));
  });

  it('property, hostile bytes: a mutated or truncated frame decodes as msgpackr reads it, or is refused with a code', () => {
    const base = encodeMaskedChunkFrame({ round: 9, chunkIndex: 2, data: Uint32Array.from([1, 2, 3, 4, 5]) });
    const mutated = fc.oneof(
      fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => Uint8Array.from(base, (x, j) => (j === i ? b : x))),
      fc.nat(base.length - 1).map((n) => base.slice(0, n)),
      fc.uint8Array({ maxLength: 80 }),
      fc.uint8Array({ maxLength: 8 }).map((tail) => Uint8Array.from([...base, ...tail])),
    );
    fc.assert(
      fc.property(mutated, (frame) => {
        const fast = decodeMaskedChunkFrame(frame);
        if (fast !== undefined) {
          let general: unknown;
          try {
            general = msgpackr.unpack(frame);
          } catch {
            general = 'throws';
          }
          expect(plain(fast)).toEqual(plain(general as never));
        }
        try {
          decodeMessage('secagg:masked-input-chunk', frame);
        } catch (err) {
          expect(err).toBeInstanceOf(FedtuneError);
          expect(['FT_ERR_MALFORMED', 'FT_ERR_TOO_LARGE']).toContain((err as FedtuneError).code);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what the schema refuses: an oversized chunk, a round past its bound, another typed array', () => {
    const code = (frame: Uint8Array) => {
      try {
        decodeMessage('secagg:masked-input-chunk', frame);
      } catch (err) {
        return (err as FedtuneError).code;
      }
      return 'accepted';
    };
    expect(code(encodeMaskedChunkFrame({ round: 1, chunkIndex: 0, data: new Uint32Array(CHUNK_ELEMENTS + 1) }))).toBe('FT_ERR_MALFORMED');
    expect(code(encodeMaskedChunkFrame({ round: 1, chunkIndex: 0, data: new Uint32Array(2 * CHUNK_ELEMENTS) }))).toBe('FT_ERR_TOO_LARGE');
    expect(code(encodeMaskedChunkFrame({ round: 2 ** 31 + 1, chunkIndex: 0, data: new Uint32Array(1) }))).toBe('FT_ERR_MALFORMED');
    expect(code(msgpackr.pack({ round: 1, chunkIndex: 0, data: new Int32Array(4) }))).toBe('FT_ERR_MALFORMED');
    for (const bad of [-1, 1.5, 2 ** 32, NaN]) expect(() => encodeMaskedChunkFrame({ round: bad, chunkIndex: 0, data: new Uint32Array(1) })).toThrow(RangeError);
  });
});
