// TypeBox kinds for binary payloads: one schema gives the static type (Float32Array, Uint32Array)
// and a bounded runtime check, so an oversized vector is refused at decode time.
import { Kind, Type, TypeRegistry, type TUnsafe } from '@sinclair/typebox';

interface TypedArrayOptions {
  maxElements: number;
}

type TypedArrayCtor = Float32ArrayConstructor | Uint32ArrayConstructor | Uint8ArrayConstructor;

function registerKind(kind: string, ctor: TypedArrayCtor): void {
  if (TypeRegistry.Has(kind)) return;
  TypeRegistry.Set<TypedArrayOptions>(kind, (schema, value) => value instanceof ctor && value.length <= schema.maxElements);
}

registerKind('FtFloat32Array', Float32Array);
registerKind('FtUint32Array', Uint32Array);
registerKind('FtBytes', Uint8Array);

/** A Float32Array of at most `maxElements` elements. */
export function Float32ArrayT(maxElements: number): TUnsafe<Float32Array> {
  return Type.Unsafe<Float32Array>({ [Kind]: 'FtFloat32Array', maxElements });
}

/** A Uint32Array of at most `maxElements` elements (ring elements in Z_{2^b}, b <= 32). */
export function Uint32ArrayT(maxElements: number): TUnsafe<Uint32Array> {
  return Type.Unsafe<Uint32Array>({ [Kind]: 'FtUint32Array', maxElements });
}

/** Raw bytes (keys, ciphertexts, signatures) of at most `maxBytes`. */
export function BytesT(maxBytes: number): TUnsafe<Uint8Array> {
  return Type.Unsafe<Uint8Array>({ [Kind]: 'FtBytes', maxElements: maxBytes });
}

if (!TypeRegistry.Has('FtExactBytes')) {
  TypeRegistry.Set<{ bytes: number }>('FtExactBytes', (schema, value) => value instanceof Uint8Array && value.length === schema.bytes);
}

/** A Uint8Array of exactly `bytes` bytes (keys, signatures, nonces: one valid length each). */
export function ExactBytesT(bytes: number): TUnsafe<Uint8Array> {
  return Type.Unsafe<Uint8Array>({ [Kind]: 'FtExactBytes', bytes });
}
