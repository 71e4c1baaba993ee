// The small interface through which shared code reaches platform crypto, so a browser build can
// swap node:crypto for WebCrypto. Pure code takes a CryptoProvider instead of importing one.

/**
 * One AES-256-CTR keystream read in order into caller-owned memory (NIST SP 800-38A): each read
 * continues where the last one stopped, so a long expansion allocates nothing per read.
 */
export interface KeystreamStream {
  /** Writes the next `out.byteLength` keystream bytes into `out`. @throws Error once closed. */
  fill(out: Uint8Array): void;
  /**
   * Optional fused path: target[i] = target[i] + sign * (word i of the next 4 * target.length
   * keystream bytes, little-endian) mod 2^32, without the keystream leaving the cache.
   * @throws Error once closed.
   */
  addWords?(target: Uint32Array, sign: 1 | -1): void;
  /** Releases the cipher state (key schedule included). Idempotent. */
  close(): void;
}

export interface CryptoProvider {
  /** SHA-256 (FIPS 180-4) of the concatenated parts. */
  sha256(...parts: Uint8Array[]): Uint8Array;
  /** HMAC-SHA256 (RFC 2104). */
  hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
  /** HKDF-SHA256 (RFC 5869). */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /**
   * AES-256-CTR keystream (NIST SP 800-38A): `length` bytes starting at 16-byte block
   * `blockOffset` of the stream under a 128-bit big-endian counter initialised to `iv`.
   */
  aes256CtrKeystream(key: Uint8Array, iv: Uint8Array, blockOffset: number, length: number): Uint8Array;
  /**
   * Optional: the same keystream from block `blockOffset` on, as a {@link KeystreamStream}; byte j
   * of the stream equals byte j of `aes256CtrKeystream(key, iv, blockOffset, ...)`.
   * @throws TypeError / RangeError for a bad key, IV or offset.
   */
  aes256CtrStream?(key: Uint8Array, iv: Uint8Array, blockOffset: number): KeystreamStream;
  /** Bytes from the platform CSPRNG. */
  randomBytes(length: number): Uint8Array;
  /** Constant-time equality for equal-length inputs; false for different lengths. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
  /**
   * Optional fast path: X25519 (RFC 7748) of one secret key with each public key, bit-identical to
   * the portable implementation; a derivation the platform refuses (a low-order point) yields 32
   * zero bytes, which callers reject exactly as they reject tweetnacl's all-zero output.
   */
  x25519Many?(secretKey: Uint8Array, publicKeys: readonly Uint8Array[]): Uint8Array[];
}
