// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header of {name: {dtype, shape, data_offsets}} plus optional __metadata__, then raw
// little-endian data. The reader treats the bytes as hostile. Pure (bytes in, bytes out): the
// coordinator exports and reads initial checkpoints with it, the client loads GPT-2 and adapters.
import { FedtuneError } from '../errors/catalogue.js';

const DTYPE_BYTES = { BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, I64: 8, U64: 8, F64: 8 } as const;
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

/** Headers above this are refused before parsing (the reference implementation uses 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;
const MAX_RANK = 16;

export interface SafeTensor {
  /** The dtype in the file; `data` is always converted to float32. */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

function bad(detail: string): FedtuneError {
  return new FedtuneError('FT_ERR_MALFORMED', `safetensors: ${detail}`);
}

/**
 * Parses a safetensors buffer. Float dtypes (F32, F16, BF16, F64) and integer dtypes convert to
 * float32; `only` skips converting tensors it rejects (they are still validated).
 * @throws FedtuneError FT_ERR_MALFORMED on a bad header, dtype, shape or offsets, overlapping or
 * uncovered data, or a truncated file.
 */
export function parseSafetensors(bytes: Uint8Array, only?: (name: string) => boolean): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('parseSafetensors: bytes must be a Uint8Array');
  if (bytes.length < 8) throw bad(`file of ${bytes.length} bytes has no header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) throw bad(`header length ${headerLen} exceeds ${MAX_HEADER_BYTES}`);
  if (headerLen + 8n > BigInt(bytes.length)) throw bad(`header length ${headerLen} runs past the end of a ${bytes.length}-byte file`);
  const n = Number(headerLen);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
    if (!text.startsWith('{')) throw new Error('does not start with {');
    header = JSON.parse(text);
  } catch (err) {
    throw bad(`header is not a JSON object (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push({ name, ...checkEntry(name, raw, dataLen) });
  }
  // The data must be covered exactly once: sort by offset and walk.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin !== cursor) throw bad(e.begin < cursor ? `tensor ${JSON.stringify(e.name)} overlaps another` : `bytes ${cursor}..${e.begin} belong to no tensor`);
    cursor = e.end;
  }
  if (cursor !== dataLen) throw bad(`data holds ${dataLen} bytes but tensors cover ${cursor}`);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    if (only !== undefined && !only(e.name)) continue;
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: toFloat32(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype) });
  }
  return { tensors, metadata };
}

function checkEntry(name: string, raw: unknown, dataLen: number): { dtype: SafetensorsDtype; shape: number[]; begin: number; end: number } {
  const where = `tensor ${JSON.stringify(name.slice(0, 200))}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`${where} is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) throw bad(`${where} has unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || shape.length > MAX_RANK) throw bad(`${where} shape is not an array of at most ${MAX_RANK} dimensions`);
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) throw bad(`${where} has dimension ${JSON.stringify(d)}`);
    count *= d as number;
    if (!Number.isSafeInteger(count)) throw bad(`${where} has too many elements`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) throw bad(`${where} data_offsets is not [begin, end]`);
  const [begin, end] = offsets as unknown[];
  if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || (begin as number) < 0 || (end as number) < (begin as number) || (end as number) > dataLen) {
    throw bad(`${where} data_offsets [${String(begin)}, ${String(end)}] outside the ${dataLen}-byte data`);
  }
  const size = DTYPE_BYTES[dtype as SafetensorsDtype];
  if ((end as number) - (begin as number) !== count * size) throw bad(`${where} spans ${(end as number) - (begin as number)} bytes, shape needs ${count * size}`);
  return { dtype: dtype as SafetensorsDtype, shape: shape as number[], begin: begin as number, end: end as number };
}

function toFloat32(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const size = DTYPE_BYTES[dtype];
  const n = raw.length / size;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
      return out;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = v.getFloat64(8 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(v.getUint16(2 * i, true));
      return out;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = v.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'BOOL':
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = v.getUint8(i);
      return out;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = v.getInt8(i);
      return out;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = v.getInt16(2 * i, true);
      return out;
    case 'U16':
      for (let i = 0; i < n; i++) out[i] = v.getUint16(2 * i, true);
      return out;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = v.getInt32(4 * i, true);
      return out;
    case 'U32':
      for (let i = 0; i < n; i++) out[i] = v.getUint32(4 * i, true);
      return out;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(v.getBigInt64(8 * i, true));
      return out;
    case 'U64':
      for (let i = 0; i < n; i++) out[i] = Number(v.getBigUint64(8 * i, true));
      return out;
    case 'F8_E4M3':
    case 'F8_E5M2':
      throw bad(`dtype ${dtype} is not supported for loading`);
  }
}

/** IEEE 754 binary16 bits to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Serialises float32 tensors (in the given order) with optional string metadata; the header is
 * space-padded to 8 bytes so the data is aligned.
 * @throws RangeError on a duplicate name or a shape that does not match the data.
 */
export function serializeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  // No prototype: a tensor named "__proto__" is a key like any other, not a prototype to set.
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (metadata !== undefined) header['__metadata__'] = { ...metadata };
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name)) throw new RangeError(`serializeSafetensors: duplicate or reserved name ${JSON.stringify(t.name)}`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new RangeError(`serializeSafetensors: ${t.name} has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, pos += 4) view.setFloat32(pos, t.data[i] as number, true);
  }
  return out;
}
