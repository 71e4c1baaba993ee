// The small interface through which shared code reaches platform crypto, so a browser build can
// swap node:crypto for WebCrypto. Pure code takes a CryptoProvider instead of importing one.

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
