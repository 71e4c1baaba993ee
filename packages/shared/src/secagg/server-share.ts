// Coordinator, stage ShareKeys (Bonawitz et al. 2017 §4 round 1): collect the sealed shares (which
// it cannot read), close the stage as U2 and route each share to its holder.
import { FedtuneError } from '../errors/catalogue.js';
import { type MaskedInputRequest, ShareKeysMsg } from './messages.js';
import { type SecAggServerState, type StageOutcome, abortRound, admit, shortOfNeighbours } from './server-state.js';
import { validateMessage } from './validate.js';

/**
 * Records one node's sealed shares: exactly one for each of its neighbours in U1.
 * @throws FedtuneError FT_ERR_MALFORMED (schema, or the recipients are not exactly its live
 * neighbours), FT_ERR_STAGE, FT_ERR_STALE_ROUND, FT_ERR_NOT_SELECTED (not in U1), FT_ERR_DUPLICATE.
 */
export function serverReceiveShareKeys(state: SecAggServerState, from: string, message: ShareKeysMsg): { state: SecAggServerState } {
  validateMessage(ShareKeysMsg, message, 'share-keys');
  admit(state, 'ShareKeys', from, message.round, state.u1);
  if (state.sharesFrom.has(from)) throw new FedtuneError('FT_ERR_DUPLICATE', `${from} already shared keys`);
  const expected = state.graph.get(from)!.filter((v) => state.u1!.has(v));
  const to = new Set(message.shares.map((s) => s.to));
  if (to.size !== message.shares.length || to.size !== expected.length || expected.some((v) => !to.has(v))) {
    throw new FedtuneError('FT_ERR_MALFORMED', `${from} must send one share to each of its ${expected.length} live neighbours`);
  }
  state.sharesFrom.set(from, message.shares);
  state.seedCommitments.set(from, message.seedCommitment);
  return { state };
}

/**
 * Closes ShareKeys: U2 = the nodes that shared. Aborts when some node of U2 has fewer than t
 * neighbours in U2. Each node of U2 then receives the shares sent to it by its neighbours in U2.
 * @throws FedtuneError FT_ERR_STAGE out of order.
 */
export function serverFinishShareKeys(state: SecAggServerState): { state: SecAggServerState; outcome: StageOutcome<MaskedInputRequest> } {
  if (state.stage !== 'ShareKeys') throw new FedtuneError('FT_ERR_STAGE', `expected ShareKeys, got ${state.stage}`);
  const u2 = new Set(state.sharesFrom.keys());
  state.u2 = u2;
  if (u2.size < state.threshold + 1) return { state, outcome: abortRound(state, `${u2.size} nodes shared keys, threshold ${state.threshold}`) };
  const short = shortOfNeighbours(state, u2, u2);
  if (short) return { state, outcome: abortRound(state, `${short.node} has ${short.live} live neighbours after ShareKeys, threshold ${state.threshold}`) };
  const messages = new Map<string, MaskedInputRequest>();
  for (const v of u2) messages.set(v, { round: state.round, shares: [] });
  for (const [u, shares] of state.sharesFrom) {
    for (const { to, ciphertext } of shares) messages.get(to)?.shares.push({ from: u, ciphertext });
  }
  state.stage = 'MaskedInput';
  return { state, outcome: { ok: true, messages } };
}
