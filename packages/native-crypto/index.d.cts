// Types of the addon in src/aes-ctr.c: AES-256-CTR keystream (NIST SP 800-38A) into caller-owned memory.

/** Any typed array (not a DataView): the addon writes its bytes. */
export type TypedArray = Uint8Array | Uint8ClampedArray | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** One AES-256-CTR keystream that advances as it is read. */
export declare class CtrStream {
  /**
   * @param key 32-byte AES-256 key. @param counterBlock the 16-byte initial counter block (a
   * 128-bit big-endian counter).
   * @throws TypeError / RangeError for a key or counter block of the wrong type or length.
   */
  constructor(key: Uint8Array, counterBlock: Uint8Array);
  /** Writes the next `out.byteLength` keystream bytes into `out`. @throws TypeError for anything but a typed array, Error once closed. */
  fill(out: TypedArray): void;
  /**
   * target[i] = target[i] + sign * (word i of the next 4 * target.length keystream bytes, little-endian), mod 2^32.
   * @throws TypeError for a target that is not a Uint32Array, RangeError for a sign other than 1 or -1, Error once closed.
   */
  addWords(target: Uint32Array, sign: 1 | -1): void;
  /** Frees the cipher context (and its key schedule) now; later calls throw. */
  close(): void;
}

/** The version string of the OpenSSL the addon runs on (Node's own). */
export declare const openssl: string;
