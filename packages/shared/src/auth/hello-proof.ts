// Proof of an enrolled identity at hello: an Ed25519 signature (RFC 8032) over the coordinator's
// fresh per-connection nonce and the node id, so a captured proof cannot be replayed on another
// connection and one token cannot claim another node's id.
import { FedtuneError } from '../errors/catalogue.js';
import { assertBytes, assertId } from '../secagg/assert.js';
import { ed25519Sign, ed25519Verify } from '../secagg/keys.js';

const LABEL = new TextEncoder().encode('fedtune-hello-v1\0');

/** The signed bytes: label || nonce (32) || node id (UTF-8). @throws TypeError / RangeError for a bad nonce or id. */
export function helloTranscript(nonce: Uint8Array, nodeId: string): Uint8Array {
  assertBytes('nonce', nonce, 32);
  assertId('nodeId', nodeId);
  const id = new TextEncoder().encode(nodeId);
  const out = new Uint8Array(LABEL.length + 32 + id.length);
  out.set(LABEL, 0);
  out.set(nonce, LABEL.length);
  out.set(id, LABEL.length + 32);
  return out;
}

/** Signs the hello transcript with the node's enrolled Ed25519 secret key (64 bytes, tweetnacl form). */
export function signHello(secretKey: Uint8Array, nonce: Uint8Array, nodeId: string): Uint8Array {
  return ed25519Sign(secretKey, helloTranscript(nonce, nodeId));
}

/**
 * Checks a hello's identity proof against the enrolled public key.
 * @throws FedtuneError FT_ERR_AUTH when it does not verify.
 */
export function verifyHello(publicKey: Uint8Array, nonce: Uint8Array, nodeId: string, signature: Uint8Array): void {
  if (!ed25519Verify(publicKey, helloTranscript(nonce, nodeId), signature)) throw new FedtuneError('FT_ERR_AUTH', `identity proof for ${nodeId} does not verify`);
}
