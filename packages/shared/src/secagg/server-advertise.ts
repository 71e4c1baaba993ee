// Coordinator, stage AdvertiseKeys (Bonawitz et al. 2017 §4 round 0): collect public keys, then
// close the stage as U1 and send each node its live neighbours' keys.
import type { CryptoProvider } from '../crypto/provider.js';
import { FedtuneError } from '../errors/catalogue.js';
import { advertiseTranscript, ed25519Verify, x25519Many } from './keys.js';
import { AdvertiseKeysMsg, type NeighbourKeys, type ShareKeysRequest } from './messages.js';
import { type SecAggServerState, type StageOutcome, abortRound, admit, shortOfNeighbours } from './server-state.js';
import { validateMessage } from './validate.js';

// Any fixed scalar: X25519 clamps it to a multiple of 8, so a point of small order (the all-zero key
// among them) maps to zero (RFC 7748 §6.1), which x25519Many refuses.
const PROBE_SCALAR = new Uint8Array(32).fill(0x5a);

/**
 * Records one node's advertised keys.
 * @throws FedtuneError FT_ERR_MALFORMED (schema, a key of small order such as all zeros, or a key
 * another node already advertised: either would make honest neighbours fail later), FT_ERR_STAGE,
 * FT_ERR_STALE_ROUND, FT_ERR_NOT_SELECTED (not in the cohort), FT_ERR_DUPLICATE, FT_ERR_AUTH
 * (active mode: missing or forged signature). A refused message changes nothing.
 */
export function serverReceiveAdvertise(state: SecAggServerState, from: string, message: AdvertiseKeysMsg, crypto: CryptoProvider): { state: SecAggServerState } {
  validateMessage(AdvertiseKeysMsg, message, 'advertise-keys');
  admit(state, 'AdvertiseKeys', from, message.round, state.cohort);
  if (state.keys.has(from)) throw new FedtuneError('FT_ERR_DUPLICATE', `${from} already advertised keys`);
  x25519Many(crypto, PROBE_SCALAR, [message.cPk, message.sPk]);
  const hexes = [Buffer.from(message.cPk).toString('hex'), Buffer.from(message.sPk).toString('hex')];
  if (hexes[0] === hexes[1] || hexes.some((h) => state.advertisedKeys.has(h))) throw new FedtuneError('FT_ERR_MALFORMED', `${from} advertised a key that is already in use`);
  if (state.activeMode) {
    if (message.signature === undefined) throw new FedtuneError('FT_ERR_AUTH', `keys of ${from} are unsigned`);
    const idKey = state.identityKeys!.get(from)!;
    if (!ed25519Verify(idKey, advertiseTranscript(state.round, from, message.cPk, message.sPk), message.signature)) {
      throw new FedtuneError('FT_ERR_AUTH', `signature of ${from} on its keys does not verify`);
    }
  }
  state.keys.set(from, message);
  for (const h of hexes) state.advertisedKeys.add(h);
  return { state };
}

/**
 * Closes AdvertiseKeys (on all replies or at the deadline): U1 = the nodes that advertised.
 * Aborts when some node of U1 has fewer than t neighbours in U1.
 * @throws FedtuneError FT_ERR_STAGE out of order.
 */
export function serverFinishAdvertise(state: SecAggServerState): { state: SecAggServerState; outcome: StageOutcome<ShareKeysRequest> } {
  if (state.stage !== 'AdvertiseKeys') throw new FedtuneError('FT_ERR_STAGE', `expected AdvertiseKeys, got ${state.stage}`);
  const u1 = new Set(state.keys.keys());
  state.u1 = u1;
  if (u1.size < state.threshold + 1) return { state, outcome: abortRound(state, `${u1.size} nodes advertised keys, threshold ${state.threshold}`) };
  const short = shortOfNeighbours(state, u1, u1);
  if (short) return { state, outcome: abortRound(state, `${short.node} has ${short.live} live neighbours after AdvertiseKeys, threshold ${state.threshold}`) };
  const messages = new Map<string, ShareKeysRequest>();
  for (const u of u1) {
    const keys: NeighbourKeys[] = [];
    for (const v of state.graph.get(u)!) {
      const m = state.keys.get(v);
      if (m === undefined) continue;
      const entry: NeighbourKeys = { nodeId: v, cPk: m.cPk, sPk: m.sPk };
      if (m.signature !== undefined) entry.signature = m.signature;
      keys.push(entry);
    }
    messages.set(u, { round: state.round, keys });
  }
  state.stage = 'ShareKeys';
  return { state, outcome: { ok: true, messages } };
}
