// Key agreement, signatures and share encryption for secure aggregation (Bonawitz et al. 2017 §4):
// X25519 (RFC 7748), Ed25519 (RFC 8032) and XSalsa20-Poly1305 secretbox, all from tweetnacl,
// with the box key derived by HKDF-SHA256 (RFC 5869) from the X25519 shared secret.
import nacl from 'tweetnacl';
import type { CryptoProvider } from '../crypto/provider.js';
import type { RandomSource } from '../crypto/random.js';
import { FedtuneError } from '../errors/catalogue.js';
import { assertBytes, assertInt } from './assert.js';
import { SECAGG_LABEL, contextInfo } from './prg.js';

const encoder = new TextEncoder();

/** An X25519 key pair: 32-byte secret scalar and 32-byte public u-coordinate. */
export interface X25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** An Ed25519 key pair as tweetnacl holds it: 32-byte public key, 64-byte secret (seed || public). */
export interface Ed25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** Nonce bytes prepended to every sealed share message. */
export const SEAL_NONCE_BYTES = nacl.secretbox.nonceLength;
/** Authenticator bytes a sealed message adds besides its nonce. */
export const SEAL_OVERHEAD_BYTES = nacl.secretbox.overheadLength;

/** A fresh X25519 key pair from `rng`. @throws whatever `rng` throws. */
export function x25519KeyPair(rng: RandomSource): X25519KeyPair {
  const secretKey = rng.bytes(32);
  return { publicKey: nacl.scalarMult.base(secretKey), secretKey };
}

/** The X25519 public key of a 32-byte secret scalar. @throws TypeError / RangeError for a bad key. */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  assertBytes('secretKey', secretKey, 32);
  return nacl.scalarMult.base(secretKey);
}

/**
 * X25519(secretKey, publicKey) per RFC 7748 §5.
 * @throws TypeError / RangeError for a key that is not 32 bytes; FedtuneError FT_ERR_MALFORMED when
 * the result is all zero (a low-order public key, RFC 7748 §6.1).
 */
export function x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertBytes('secretKey', secretKey, 32);
  assertBytes('publicKey', publicKey, 32);
  const shared = nacl.scalarMult(secretKey, publicKey);
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) throw new FedtuneError('FT_ERR_MALFORMED', 'X25519 public key of low order');
  return shared;
}

/**
 * X25519 of one secret key with many public keys: node:crypto's batch when the provider has one
 * (a test shows the bytes are identical), tweetnacl otherwise.
 * @throws TypeError / RangeError for bad key lengths, FedtuneError FT_ERR_MALFORMED for a low-order point.
 */
export function x25519Many(crypto: CryptoProvider, secretKey: Uint8Array, publicKeys: readonly Uint8Array[]): Uint8Array[] {
  assertBytes('secretKey', secretKey, 32);
  publicKeys.forEach((pk, i) => assertBytes(`publicKeys[${i}]`, pk, 32));
  if (crypto.x25519Many === undefined) return publicKeys.map((pk) => x25519(secretKey, pk));
  return crypto.x25519Many(secretKey, publicKeys).map((shared) => {
    if (shared.every((b) => b === 0)) throw new FedtuneError('FT_ERR_MALFORMED', 'X25519 public key of low order');
    return shared;
  });
}

/** The Ed25519 key pair of a 32-byte seed (RFC 8032 §5.1.5). @throws TypeError / RangeError. */
export function ed25519KeyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  assertBytes('seed', seed, 32);
  return nacl.sign.keyPair.fromSeed(seed);
}

/** A detached Ed25519 signature (64 bytes). @throws TypeError / RangeError for a bad key or message. */
export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  assertBytes('secretKey', secretKey, 64);
  assertBytes('message', message);
  return nacl.sign.detached(message, secretKey);
}

/**
 * Verifies a detached Ed25519 signature; false for any forgery or wrong-length signature.
 * @throws TypeError when an argument is not a Uint8Array; RangeError for a public key that is not 32 bytes.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  assertBytes('publicKey', publicKey, 32);
  assertBytes('message', message);
  assertBytes('signature', signature);
  if (signature.length !== 64) return false;
  return nacl.sign.detached.verify(message, signature, publicKey);
}

/**
 * The secretbox key two nodes use for share messages in `round`: HKDF-SHA256 of their X25519
 * shared secret, bound to the round and both (ordered) ids.
 * @throws as {@link x25519}, and TypeError / RangeError for a bad round or id.
 */
export function shareBoxKey(crypto: CryptoProvider, mySecret: Uint8Array, theirPublic: Uint8Array, round: number, me: string, them: string): Uint8Array {
  return shareBoxKeys(crypto, mySecret, [{ id: them, publicKey: theirPublic }], round, me)[0]!;
}

/**
 * {@link shareBoxKey} for many peers at once: one X25519 batch ({@link x25519Many}) for all of them.
 * @throws as {@link shareBoxKey}.
 */
export function shareBoxKeys(crypto: CryptoProvider, mySecret: Uint8Array, peers: readonly { id: string; publicKey: Uint8Array }[], round: number, me: string): Uint8Array[] {
  const infos = peers.map((p) => contextInfo('share-box', round, [me, p.id]));
  const shared = x25519Many(crypto, mySecret, peers.map((p) => p.publicKey));
  return shared.map((secret, i) => crypto.hkdfSha256(secret, encoder.encode(SECAGG_LABEL), infos[i]!, 32));
}

/**
 * Seals `plaintext` under a 32-byte key with XSalsa20-Poly1305: nonce (24 random bytes) || box.
 * @throws TypeError / RangeError for a bad key or plaintext.
 */
export function sealBox(key: Uint8Array, plaintext: Uint8Array, rng: RandomSource): Uint8Array {
  assertBytes('key', key, 32);
  assertBytes('plaintext', plaintext);
  const nonce = rng.bytes(SEAL_NONCE_BYTES);
  const box = nacl.secretbox(plaintext, nonce, key);
  const out = new Uint8Array(nonce.length + box.length);
  out.set(nonce, 0);
  out.set(box, nonce.length);
  return out;
}

/**
 * Opens a message from {@link sealBox}.
 * @throws TypeError / RangeError for a bad key; FedtuneError FT_ERR_MALFORMED when the message is
 * too short or fails authentication.
 */
export function openBox(key: Uint8Array, sealed: Uint8Array): Uint8Array {
  assertBytes('key', key, 32);
  assertBytes('sealed', sealed);
  if (sealed.length < SEAL_NONCE_BYTES + SEAL_OVERHEAD_BYTES) throw new FedtuneError('FT_ERR_MALFORMED', 'sealed share message too short');
  const opened = nacl.secretbox.open(sealed.subarray(SEAL_NONCE_BYTES), sealed.subarray(0, SEAL_NONCE_BYTES), key);
  if (opened === null) throw new FedtuneError('FT_ERR_MALFORMED', 'sealed share message failed authentication');
  return opened;
}

/**
 * The bytes a node signs when it advertises its keys in active mode: label, round, its id and both
 * public keys, so a signature cannot be replayed in another round or for another node.
 * @throws TypeError / RangeError for a bad round, id or key.
 */
export function advertiseTranscript(round: number, nodeId: string, cPk: Uint8Array, sPk: Uint8Array): Uint8Array {
  assertInt('round', round, 0, 2 ** 32 - 1);
  assertBytes('cPk', cPk, 32);
  assertBytes('sPk', sPk, 32);
  const head = contextInfo('advertise', round, [nodeId]);
  const out = new Uint8Array(head.length + 64);
  out.set(head, 0);
  out.set(cPk, head.length);
  out.set(sPk, head.length + 32);
  return out;
}

/**
 * The bytes each survivor signs in the ConsistencyCheck round: label, round and the sorted
 * survivor ids (Bonawitz et al. 2017 §4, round 3).
 * @throws TypeError / RangeError for a bad round or id.
 */
export function consistencyTranscript(round: number, survivors: readonly string[]): Uint8Array {
  return contextInfo('consistency', round, survivors);
}
