// Client, stage ShareKeys (Bonawitz et al. 2017 §4 round 1): verify neighbours' keys, pick the
// self-mask seed b_u, Shamir-share b_u and s_u^SK among the neighbours, seal one message each.
import { FedtuneError } from '../errors/catalogue.js';
import { type SecAggClientState, type SecAggEnv, assertUniqueIds, enterStage } from './client-state.js';
import { advertiseTranscript, ed25519Verify, sealBox, shareBoxKeys } from './keys.js';
import { type NeighbourKeys, type ShareKeysMsg, ShareKeysRequest } from './messages.js';
import { shamirSplit } from './shamir.js';
import { seedCommitment, shareCommitment } from './share-commitment.js';
import { encodeSharePlaintext } from './share-message.js';
import { validateMessage } from './validate.js';

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * Answers the neighbours' public keys with sealed shares. A share's x coordinate is 1 + the
 * holder's index in this node's sorted neighbour list.
 * @throws FedtuneError FT_ERR_STAGE out of order; FT_ERR_STALE_ROUND for another round;
 * FT_ERR_MALFORMED for a key list that fails its schema, repeats a node or key, or names a
 * non-neighbour; FT_ERR_AUTH (active mode) for a node without an enrolled identity or with a
 * missing or forged signature; FT_ERR_ROUND_ABORTED when fewer than t neighbours remain.
 */
export function clientShareKeys(
  state: SecAggClientState,
  request: ShareKeysRequest,
  env: SecAggEnv,
): { state: SecAggClientState; message: ShareKeysMsg } {
  validateMessage(ShareKeysRequest, request, 'share-keys request');
  const setup = enterStage(state, 'ShareKeys', request.round);
  const { cKeys, sKeys } = state;
  if (cKeys === undefined || sKeys === undefined) throw new FedtuneError('FT_ERR_STAGE', 'keys were not advertised');
  assertUniqueIds('share-keys request', request.keys.map((k) => k.nodeId));
  const seenKeys = new Set([hex(cKeys.publicKey), hex(sKeys.publicKey)]);
  const neighbourKeys = new Map<string, NeighbourKeys>();
  for (const entry of request.keys) {
    if (!setup.neighbours.includes(entry.nodeId)) throw new FedtuneError('FT_ERR_MALFORMED', `${entry.nodeId} is not a neighbour`);
    for (const pk of [entry.cPk, entry.sPk]) {
      const h = hex(pk);
      if (seenKeys.has(h)) throw new FedtuneError('FT_ERR_MALFORMED', `public key of ${entry.nodeId} repeats another key`);
      seenKeys.add(h);
    }
    if (setup.activeMode) {
      const idKey = state.identityKeys?.get(entry.nodeId);
      if (idKey === undefined) throw new FedtuneError('FT_ERR_AUTH', `${entry.nodeId} has no enrolled identity`);
      if (entry.signature === undefined) throw new FedtuneError('FT_ERR_AUTH', `keys of ${entry.nodeId} are unsigned`);
      if (!ed25519Verify(idKey, advertiseTranscript(setup.round, entry.nodeId, entry.cPk, entry.sPk), entry.signature)) {
        throw new FedtuneError('FT_ERR_AUTH', `signature of ${entry.nodeId} on its keys does not verify`);
      }
    }
    neighbourKeys.set(entry.nodeId, entry);
  }
  if (neighbourKeys.size < setup.threshold) {
    throw new FedtuneError('FT_ERR_ROUND_ABORTED', `${neighbourKeys.size} neighbours advertised keys, threshold ${setup.threshold}`);
  }
  const selfSeed = env.rng.bytes(32);
  const k = setup.neighbours.length;
  const bShares = shamirSplit(selfSeed, setup.threshold, k, env.rng);
  const sShares = shamirSplit(sKeys.secretKey, setup.threshold, k, env.rng);
  const peers = setup.neighbours.flatMap((v, i) => {
    const keys = neighbourKeys.get(v);
    return keys === undefined ? [] : [{ id: v, publicKey: keys.cPk, x: i + 1 }];
  });
  const boxKeys = shareBoxKeys(env.crypto, cKeys.secretKey, peers, setup.round, state.nodeId);
  const shares: ShareKeysMsg['shares'] = peers.map(({ id: v, x }, i) => {
    const bShare = bShares[x - 1]!.y;
    const sShare = sShares[x - 1]!.y;
    const bNonce = env.rng.bytes(32);
    const sNonce = env.rng.bytes(32);
    const plaintext = encodeSharePlaintext({ from: state.nodeId, to: v, round: setup.round, x, bShare, sShare, bNonce, sNonce });
    return {
      to: v,
      ciphertext: sealBox(boxKeys[i]!, plaintext, env.rng),
      commitB: shareCommitment(env.crypto, setup.round, state.nodeId, x, 'b', bNonce, bShare),
      commitS: shareCommitment(env.crypto, setup.round, state.nodeId, x, 's', sNonce, sShare),
    };
  });
  const message = { round: setup.round, shares, seedCommitment: seedCommitment(env.crypto, setup.round, state.nodeId, selfSeed) };
  return { state: { ...state, stage: 'MaskedInput', neighbourKeys, selfSeed }, message };
}
