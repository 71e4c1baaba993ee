// Model weights as one flat float32 vector plus a tensor layout: chunking, aggregation and
// masking all work on the flat vector; the layout maps it back to named tensors.
import type { CryptoProvider } from '../crypto/provider.js';
import { FedtuneError } from '../errors/catalogue.js';
import { MAX_MODEL_ELEMENTS, MAX_RANK, MAX_TENSORS } from '../protocol/limits.js';

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface Weights {
  readonly tensors: readonly TensorSpec[];
  readonly data: Float32Array;
}

export function tensorSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Checks a layout from an untrusted source and returns its element count.
 * @throws FedtuneError FT_ERR_SHAPE on duplicate names, bad dimensions or an oversized model.
 */
export function layoutSize(tensors: readonly TensorSpec[]): number {
  if (tensors.length > MAX_TENSORS) throw new FedtuneError('FT_ERR_SHAPE', `${tensors.length} tensors > ${MAX_TENSORS}`);
  const names = new Set<string>();
  let total = 0;
  for (const t of tensors) {
    if (names.has(t.name)) throw new FedtuneError('FT_ERR_SHAPE', `duplicate tensor name ${JSON.stringify(t.name)}`);
    names.add(t.name);
    if (t.shape.length > MAX_RANK) throw new FedtuneError('FT_ERR_SHAPE', `tensor ${t.name} has rank ${t.shape.length}`);
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw new FedtuneError('FT_ERR_SHAPE', `tensor ${t.name} has dimension ${d}`);
    }
    total += tensorSize(t.shape);
    if (total > MAX_MODEL_ELEMENTS) throw new FedtuneError('FT_ERR_SHAPE', `model exceeds ${MAX_MODEL_ELEMENTS} elements`);
  }
  return total;
}

/** True when both layouts name the same tensors with the same shapes, in order. */
export function sameLayout(a: readonly TensorSpec[], b: readonly TensorSpec[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((t, i) => {
    const u = b[i]!;
    return t.name === u.name && t.shape.length === u.shape.length && t.shape.every((d, j) => d === u.shape[j]);
  });
}

/** Index of the first NaN or infinite element, or -1. */
export function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) return i;
  }
  return -1;
}

/** @throws FedtuneError FT_ERR_NON_FINITE naming the first bad element. */
export function assertFinite(data: Float32Array, what: string): void {
  const i = firstNonFinite(data);
  if (i >= 0) throw new FedtuneError('FT_ERR_NON_FINITE', `${what}[${i}] = ${data[i]}`);
}

/** The model version: hex SHA-256 over the layout and the little-endian float32 bytes. */
export function weightsVersion(crypto: CryptoProvider, w: Weights): string {
  const layout = new TextEncoder().encode(JSON.stringify(w.tensors.map((t) => [t.name, t.shape])));
  const bytes = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
  return Buffer.from(crypto.sha256(layout, new Uint8Array([0]), bytes)).toString('hex');
}

export function chunkCount(totalElements: number, chunkElements: number): number {
  return Math.max(1, Math.ceil(totalElements / chunkElements));
}

/** A view (no copy) of chunk `index`. */
export function chunkView<T extends Float32Array | Uint32Array>(data: T, index: number, chunkElements: number): T {
  const start = index * chunkElements;
  return data.subarray(start, Math.min(data.length, start + chunkElements)) as T;
}

/** Splits a flat vector into named tensors (views, no copy). */
export function splitTensors(w: Weights): { spec: TensorSpec; values: Float32Array }[] {
  let offset = 0;
  return w.tensors.map((spec) => {
    const n = tensorSize(spec.shape);
    const values = w.data.subarray(offset, offset + n);
    offset += n;
    return { spec, values };
  });
}
