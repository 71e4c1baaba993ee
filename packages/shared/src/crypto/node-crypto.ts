// CryptoProvider on node:crypto (OpenSSL): SHA-256, HMAC, HKDF (RFC 5869), AES-256-CTR (NIST
// SP 800-38A). The AES-256-CTR keystream runs in the optional native addon when it is built
// (native-keystream.ts): node:crypto's cipher.update allocates and zero-fills its output on every
// call, the addon writes into caller-owned memory. Both give the same bytes (tested).
import * as nodeCrypto from 'node:crypto';
import { type NativeCryptoBinding, nativeCryptoBinding } from './native-keystream.js';
import type { CryptoProvider, KeystreamStream } from './provider.js';

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
/** Bytes per cipher.update in a node:crypto stream: it ran fastest at 32-128 KiB (docs/BENCHMARKS.md). */
const UPDATE_BYTES = 1 << 16;

function zeros(length: number): Uint8Array {
  if (zeroInput.length < length && length <= MAX_SHARED_ZEROS) zeroInput = new Uint8Array(length);
  return length <= zeroInput.length ? zeroInput.subarray(0, length) : new Uint8Array(length);
}

function assertCtrArgs(key: Uint8Array, iv: Uint8Array, blockOffset: number): void {
  assertBytes('key', key);
  assertBytes('iv', iv);
  if (key.length !== 32) throw new RangeError(`AES-256 key must be 32 bytes, got ${key.length}`);
  if (iv.length !== 16) throw new RangeError(`AES-CTR iv must be 16 bytes, got ${iv.length}`);
  if (!Number.isSafeInteger(blockOffset) || blockOffset < 0) throw new RangeError(`blockOffset must be a non-negative safe integer, got ${blockOffset}`);
}

/** The fallback stream: one long-lived node:crypto cipher, its output copied into the caller's memory. */
function cipherStream(key: Uint8Array, counter: Uint8Array): KeystreamStream {
  let cipher: nodeCrypto.Cipher | null = nodeCrypto.createCipheriv('aes-256-ctr', key, counter);
  return {
    fill(out) {
      if (cipher === null) throw new Error('keystream stream is closed');
      assertBytes('out', out);
      for (let off = 0; off < out.byteLength; off += UPDATE_BYTES) {
        const len = Math.min(UPDATE_BYTES, out.byteLength - off);
        out.set(cipher.update(zeros(len)), off);
      }
    },
    close() {
      cipher?.final();
      cipher = null;
    },
  };
}

/** The native stream, closed at most once (the addon throws on a second close). */
function nativeStream(binding: NativeCryptoBinding, key: Uint8Array, counter: Uint8Array): KeystreamStream {
  const s = new binding.CtrStream(key, counter);
  let open = true;
  return {
    fill: (out) => s.fill(out),
    addWords: (target, sign) => s.addWords(target, sign),
    close() {
      if (open) s.close();
      open = false;
    },
  };
}

export interface NodeCryptoOptions {
  /** Use the native keystream when it loads (default true); false keeps to node:crypto alone. */
  native?: boolean;
}

/**
 * A CryptoProvider on node:crypto, with the native AES-256-CTR keystream where it is built and
 * allowed (see nativeCryptoStatus). `nodeCryptoProvider` is the default instance.
 */
export function createNodeCryptoProvider(options: NodeCryptoOptions = {}): CryptoProvider {
  const native = options.native === false ? null : nativeCryptoBinding();
  const stream = (key: Uint8Array, iv: Uint8Array, blockOffset: number): KeystreamStream => {
    assertCtrArgs(key, iv, blockOffset);
    const counter = addToCounter(iv, blockOffset);
    return native === null ? cipherStream(key, counter) : nativeStream(native, key, counter);
  };
  return { ...base, aes256CtrStream: stream, aes256CtrKeystream: native === null ? base.aes256CtrKeystream : nativeKeystream(native) };
}

function nativeKeystream(binding: NativeCryptoBinding): CryptoProvider['aes256CtrKeystream'] {
  return (key, iv, blockOffset, length) => {
    assertCtrArgs(key, iv, blockOffset);
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
    const out = new Uint8Array(length);
    const s = new binding.CtrStream(key, addToCounter(iv, blockOffset));
    try {
      s.fill(out);
    } finally {
      s.close();
    }
    return out;
  };
}

const base: CryptoProvider = {
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
    assertCtrArgs(key, iv, blockOffset);
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
    const cipher = nodeCrypto.createCipheriv('aes-256-ctr', key, addToCounter(iv, blockOffset));
    const out = cipher.update(zeros(length));
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

/** node:crypto, with the native keystream when it loads (nativeCryptoStatus says which). */
export const nodeCryptoProvider: CryptoProvider = createNodeCryptoProvider();
