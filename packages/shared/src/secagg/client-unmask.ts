// Client, stage Unmask (Bonawitz et al. 2017 §4 round 4): for each neighbour that shared keys,
// reveal the share of b_v if v survived or of s_v^SK if v dropped, never both for one node.
import { FedtuneError } from '../errors/catalogue.js';
import { type SecAggClientState, type SecAggEnv, assertUniqueIds, clientAbort, enterStage } from './client-state.js';
import { consistencyTranscript, ed25519Verify, openBox, shareBoxKeys } from './keys.js';
import { type RevealedShare, UnmaskRequest, type UnmaskMsg } from './messages.js';
import { decodeSharePlaintext } from './share-message.js';
import { validateMessage } from './validate.js';

/**
 * Answers the coordinator's unmask request; the returned state holds no secrets.
 * Refuses (FedtuneError FT_ERR_MALFORMED) any request that names a node both survived and
 * dropped, leaves a neighbour that shared keys unclassified, or calls a node dropped that never
 * shared keys with this one; a second request is out of stage. In active mode the survivor set
 * must equal the one this node signed and carry at least t valid neighbour signatures on it.
 * A sealed share that fails to open or names the wrong sender, recipient or round (its sender
 * advertised keys it does not hold, or sealed garbage) is not fatal: the other shares are revealed
 * and the sender is named in `complaints`, so the coordinator can blame it.
 * @throws FedtuneError FT_ERR_STAGE out of order; FT_ERR_STALE_ROUND; FT_ERR_MALFORMED as above;
 * FT_ERR_AUTH for a forged signature; FT_ERR_ROUND_ABORTED for fewer than t survivors or signatures.
 */
export function clientUnmask(state: SecAggClientState, request: UnmaskRequest, env: SecAggEnv): { state: SecAggClientState; message: UnmaskMsg } {
  validateMessage(UnmaskRequest, request, 'unmask request');
  const setup = enterStage(state, 'Unmask', request.round);
  const { cKeys, received, neighbourKeys } = state;
  if (cKeys === undefined || received === undefined || neighbourKeys === undefined) throw new FedtuneError('FT_ERR_STAGE', 'no masked input prepared');
  const survivors = assertUniqueIds('survivors', request.survivors);
  const dropped = assertUniqueIds('dropped', request.dropped);
  for (const d of dropped) {
    if (survivors.has(d)) throw new FedtuneError('FT_ERR_MALFORMED', `unmask request asks for both shares of ${d}`);
    if (!received.has(d)) throw new FedtuneError('FT_ERR_MALFORMED', `${d} is called dropped but shared no keys with this node`);
  }
  for (const v of received.keys()) {
    if (!survivors.has(v) && !dropped.has(v)) throw new FedtuneError('FT_ERR_MALFORMED', `unmask request does not classify ${v}`);
  }
  if (survivors.size < setup.threshold) throw new FedtuneError('FT_ERR_ROUND_ABORTED', `${survivors.size} survivors, threshold ${setup.threshold}`);
  if (setup.activeMode) checkSignatures(state, request, survivors);

  const shares: RevealedShare[] = [];
  const complaints: string[] = [];
  const senders = [...received.keys()];
  const boxKeys = shareBoxKeys(env.crypto, cKeys.secretKey, senders.map((v) => ({ id: v, publicKey: neighbourKeys.get(v)!.cPk })), setup.round, state.nodeId);
  for (const [i, v] of senders.entries()) {
    let plain;
    try {
      plain = decodeSharePlaintext(openBox(boxKeys[i]!, received.get(v)!));
    } catch {
      complaints.push(v);
      continue;
    }
    if (plain.from !== v || plain.to !== state.nodeId || plain.round !== setup.round) {
      complaints.push(v);
      continue;
    }
    shares.push(survivors.has(v) ? { owner: v, kind: 'b', x: plain.x, y: plain.bShare, nonce: plain.bNonce } : { owner: v, kind: 's', x: plain.x, y: plain.sShare, nonce: plain.sNonce });
  }
  return { state: clientAbort(state), message: { round: setup.round, shares, ...(complaints.length > 0 ? { complaints } : {}) } };
}

function checkSignatures(state: SecAggClientState, request: UnmaskRequest, survivors: Set<string>): void {
  const setup = state.setup!;
  const signed = state.signedSurvivors;
  const sorted = [...survivors].sort();
  if (signed === undefined || signed.length !== sorted.length || signed.some((id, i) => id !== sorted[i])) {
    throw new FedtuneError('FT_ERR_MALFORMED', 'survivor set differs from the one this node signed');
  }
  const transcript = consistencyTranscript(setup.round, sorted);
  const signers = new Set<string>();
  for (const { nodeId, signature } of request.signatures ?? []) {
    if (!setup.neighbours.includes(nodeId) || !survivors.has(nodeId) || signers.has(nodeId)) {
      throw new FedtuneError('FT_ERR_MALFORMED', `unexpected consistency signature from ${nodeId}`);
    }
    const idKey = state.identityKeys?.get(nodeId);
    if (idKey === undefined || !ed25519Verify(idKey, transcript, signature)) throw new FedtuneError('FT_ERR_AUTH', `consistency signature of ${nodeId} does not verify`);
    signers.add(nodeId);
  }
  if (signers.size < setup.threshold) throw new FedtuneError('FT_ERR_ROUND_ABORTED', `${signers.size} neighbours signed the survivor set, threshold ${setup.threshold}`);
}
