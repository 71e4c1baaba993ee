// Hiding, binding commitments to each Shamir share a node deals at ShareKeys, so that a share
// revealed at Unmask can be checked by the coordinator: C = SHA-256(label || round || owner ||
// x || kind || nonce || y), with a fresh 32-byte nonce per share (a hash commitment in the random-
// oracle model; the nonce travels to the holder inside the sealed share and is revealed with it).
// A holder that flips one bit of a share it reveals is caught, named and dropped, and the secret is
// rebuilt from the honest shares instead of silently corrupting the sum (the attack in issue 10).
// Also a commitment to the self-mask seed b_u, checked after it is rebuilt.
import { concatBytes, u32be } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { assertBytes, assertId, assertInt } from './assert.js';

const LABEL = new TextEncoder().encode('fedtune-secagg-share-commitment-v1\0');
const SEED_LABEL = new TextEncoder().encode('fedtune-secagg-seed-commitment-v1\0');

export type ShareKind = 'b' | 's';

/** The commitment to one share. @throws TypeError / RangeError for a bad round, id, x, nonce or share. */
export function shareCommitment(crypto: CryptoProvider, round: number, owner: string, x: number, kind: ShareKind, nonce: Uint8Array, y: Uint8Array): Uint8Array {
  assertInt('round', round, 0, 2 ** 32 - 1);
  assertId('owner', owner);
  assertInt('x', x, 1, 65_535);
  assertBytes('nonce', nonce, 32);
  assertBytes('y', y);
  const id = new TextEncoder().encode(owner);
  return crypto.sha256(concatBytes([LABEL, u32be(round), u32be(id.length), id, u32be(x), new TextEncoder().encode(kind), nonce, u32be(y.length), y]));
}

/** The commitment to a node's self-mask seed b_u (32 random bytes: a plain hash hides it). */
export function seedCommitment(crypto: CryptoProvider, round: number, owner: string, seed: Uint8Array): Uint8Array {
  assertInt('round', round, 0, 2 ** 32 - 1);
  assertId('owner', owner);
  assertBytes('seed', seed, 32);
  const id = new TextEncoder().encode(owner);
  return crypto.sha256(concatBytes([SEED_LABEL, u32be(round), u32be(id.length), id, seed]));
}
