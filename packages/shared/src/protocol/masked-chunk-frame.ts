// The frame of a masked-input chunk (Bonawitz et al. 2017 §4 round 2), the coordinator's busiest
// message, encoded and decoded without msgpackr's copy: the same msgpack map {round, chunkIndex,
// data: ext 0x74 Uint32Array} (the msgpack spec allows any integer and ext width), but written
// with a fixed 40-byte header so the ring words start 4-byte aligned in the frame. A frame that
// arrives at an aligned address (socket.io hands large frames over in their own buffer) then
// decodes to a view of the frame's own bytes, and RingAccumulator.add copies them once, into the
// accumulator's memory. Any other msgpack encoding of the message decodes here too, with a copy.

/** msgpackr's ext 0x74 ("t", typed array) and its type code for Uint32Array. */
const EXT_TYPED_ARRAY = 0x74;
const UINT32_ARRAY = 6;
/** fixmap(3), then fixstr keys, uint32 values and an ext32 header: 40 bytes. */
const HEADER = 1 + 6 + 5 + 11 + 5 + 5 + 6 + 1;
const encoder = new TextEncoder();
const KEYS = ['round', 'chunkIndex', 'data'] as const;
const KEY_BYTES = KEYS.map((k) => encoder.encode(k));

export interface MaskedChunkFields {
  round: number;
  chunkIndex: number;
  data: Uint32Array;
}

/**
 * The frame of an already validated chunk, its words at byte 40.
 * @throws RangeError for a round or index that is not a uint32 (the schema caps both lower).
 */
export function encodeMaskedChunkFrame(value: MaskedChunkFields): Uint8Array {
  const { round, chunkIndex, data } = value;
  for (const [k, v] of [['round', round], ['chunkIndex', chunkIndex]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${k} must be a uint32, got ${v}`);
  }
  const out = new Uint8Array(HEADER + data.byteLength);
  const view = new DataView(out.buffer);
  let p = 0;
  out[p++] = 0x83;
  const key = (i: number) => {
    out[p++] = 0xa0 | KEY_BYTES[i]!.length;
    out.set(KEY_BYTES[i]!, p);
    p += KEY_BYTES[i]!.length;
  };
  key(0);
  out[p++] = 0xce;
  view.setUint32(p, round);
  p += 4;
  key(1);
  out[p++] = 0xce;
  view.setUint32(p, chunkIndex);
  p += 4;
  key(2);
  out[p++] = 0xc9;
  view.setUint32(p, data.byteLength + 1);
  p += 4;
  out[p++] = EXT_TYPED_ARRAY;
  out[p++] = UINT32_ARRAY;
  // Raw element bytes in host order, exactly as msgpackr writes a typed array.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), p);
  return out;
}

/**
 * Reads a masked-chunk frame when it is exactly a msgpack map of round, chunkIndex (unsigned
 * integers) and data (an ext 0x74 Uint32Array), keys in any order; undefined for anything else,
 * which the caller then decodes the general way (and refuses there with its usual error). The
 * data is a view of the frame when its words are 4-byte aligned in memory, else a copy.
 * Never throws.
 */
export function decodeMaskedChunkFrame(frame: Uint8Array): MaskedChunkFields | undefined {
  const f = frame;
  const end = f.length;
  let p = 0;
  const u8 = () => (p < end ? f[p++]! : -1);
  const uint = (bytes: number): number => {
    if (p + bytes > end) return -1;
    let v = 0;
    for (let i = 0; i < bytes; i++) v = v * 256 + f[p++]!;
    return v;
  };
  const head = u8();
  const entries = head >= 0x80 && head <= 0x8f ? head & 0x0f : head === 0xde ? uint(2) : head === 0xdf ? uint(4) : -1;
  if (entries !== 3) return undefined;
  const out: Partial<MaskedChunkFields> = {};
  for (let e = 0; e < 3; e++) {
    const s = u8();
    const keyLength = s >= 0xa0 && s <= 0xbf ? s & 0x1f : s === 0xd9 ? u8() : -1;
    if (keyLength < 0 || p + keyLength > end) return undefined;
    const which = KEY_BYTES.findIndex((k) => k.length === keyLength && k.every((b, i) => f[p + i] === b));
    p += keyLength;
    if (which < 0 || out[KEYS[which]!] !== undefined) return undefined;
    const t = u8();
    if (which < 2) {
      const v = t >= 0 && t <= 0x7f ? t : t === 0xcc ? uint(1) : t === 0xcd ? uint(2) : t === 0xce ? uint(4) : -1;
      if (v < 0) return undefined;
      out[KEYS[which] as 'round' | 'chunkIndex'] = v;
      continue;
    }
    const length = t === 0xc7 ? uint(1) : t === 0xc8 ? uint(2) : t === 0xc9 ? uint(4) : -1;
    if (length < 1 || (length - 1) % 4 !== 0 || u8() !== EXT_TYPED_ARRAY || u8() !== UINT32_ARRAY || p + length - 1 > end) return undefined;
    const bytes = length - 1;
    const at = f.byteOffset + p;
    // (Uint8Array's slice, not Buffer's: a Buffer's slice is a view, not a copy.)
    out.data = at % 4 === 0 ? new Uint32Array(f.buffer, at, bytes / 4) : new Uint32Array(Uint8Array.prototype.slice.call(f, p, p + bytes).buffer);
    p += bytes;
  }
  return p === end ? (out as MaskedChunkFields) : undefined;
}
