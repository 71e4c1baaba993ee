// CryptoProvider on node:crypto (OpenSSL): SHA-256, HMAC, HKDF (RFC 5869), AES-256-CTR.
import * as nodeCrypto from 'node:crypto';
import type { CryptoProvider } from './provider.js';

function assertBytes(name: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array, got ${typeof value}`);
}

/** Adds `blocks` to a 128-bit big-endian counter, returning a new IV. */
function addToCounter(iv: Uint8Array, blocks: number): Uint8Array {
  const out = new Uint8Array(iv);
  let carry = blocks;
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const sum = out[i]! + (carry % 256);
    out[i] = sum & 0xff;
    carry = Math.floor(carry / 256) + (sum >> 8);
  }
  return out;
}

// RFC 8410 DER prefix that wraps a raw 32-byte X25519 private key for node:crypto's KeyObject.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** Plaintext for keystream requests: CTR encryption of zeros. Only ever read, so one is shared. */
let zeroInput = new Uint8Array(0);
const MAX_SHARED_ZEROS = 1 << 20;

export const nodeCryptoProvider: CryptoProvider = {
  x25519Many(secretKey, publicKeys) {
    assertBytes('secretKey', secretKey);
    if (secretKey.length !== 32) throw new RangeError(`X25519 secret key must be 32 bytes, got ${secretKey.length}`);
    // Building the private KeyObject is most of the cost of one derivation: build it once.
    const privateKey = nodeCrypto.createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
    return publicKeys.map((pk, i) => {
      assertBytes(`publicKeys[${i}]`, pk);
      if (pk.length !== 32) throw new RangeError(`X25519 public key ${i} must be 32 bytes, got ${pk.length}`);
      try {
        // A JWK import is about 10x cheaper than DER here (10-15 us vs 140 us, docs/BENCHMARKS.md).
        const publicKey = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(pk.buffer, pk.byteOffset, 32).toString('base64url') }, format: 'jwk' });
        return new Uint8Array(nodeCrypto.diffieHellman({ privateKey, publicKey }));
      } catch {
        return new Uint8Array(32); // OpenSSL refuses an all-zero (low-order) result
      }
    });
  },
  sha256(...parts) {
    const h = nodeCrypto.createHash('sha256');
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
  hmacSha256(key, ...parts) {
    assertBytes('key', key);
    const h = nodeCrypto.createHmac('sha256', key);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
  hkdfSha256(ikm, salt, info, length) {
    assertBytes('ikm', ikm);
    assertBytes('salt', salt);
    assertBytes('info', info);
    if (!Number.isSafeInteger(length) || length < 1 || length > 255 * 32) {
      throw new RangeError(`hkdf length must be an integer in [1, 8160], got ${length}`);
    }
    return new Uint8Array(nodeCrypto.hkdfSync('sha256', ikm, salt, info, length));
  },
  aes256CtrKeystream(key, iv, blockOffset, length) {
    assertBytes('key', key);
    assertBytes('iv', iv);
    if (key.length !== 32) throw new RangeError(`AES-256 key must be 32 bytes, got ${key.length}`);
    if (iv.length !== 16) throw new RangeError(`AES-CTR iv must be 16 bytes, got ${iv.length}`);
    if (!Number.isSafeInteger(blockOffset) || blockOffset < 0) {
      throw new RangeError(`blockOffset must be a non-negative safe integer, got ${blockOffset}`);
    }
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
    const cipher = nodeCrypto.createCipheriv('aes-256-ctr', key, addToCounter(iv, blockOffset));
    if (zeroInput.length < length && length <= MAX_SHARED_ZEROS) zeroInput = new Uint8Array(length);
    const out = cipher.update(length <= zeroInput.length ? zeroInput.subarray(0, length) : new Uint8Array(length));
    cipher.final();
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
  randomBytes(length) {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
    return new Uint8Array(nodeCrypto.randomBytes(length));
  },
  timingSafeEqual(a, b) {
    assertBytes('a', a);
    assertBytes('b', b);
    if (a.length !== b.length) return false;
    return nodeCrypto.timingSafeEqual(a, b);
  },
};
