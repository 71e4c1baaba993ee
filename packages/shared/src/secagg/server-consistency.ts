// Coordinator, stage ConsistencyCheck (active mode; Bonawitz et al. 2017 §4 round 3): collect each
// survivor's signature on U3, close the stage as U4 and forward neighbours' signatures.
import { FedtuneError } from '../errors/catalogue.js';
import { consistencyTranscript, ed25519Verify } from './keys.js';
import { ConsistencyMsg, type UnmaskRequest } from './messages.js';
import { checkRecoverable, unmaskRequests } from './server-masked-input.js';
import { type SecAggServerState, type StageOutcome, abortRound, admit } from './server-state.js';
import { validateMessage } from './validate.js';

/**
 * Records one survivor's signature on the survivor set.
 * @throws FedtuneError FT_ERR_MALFORMED (schema), FT_ERR_STAGE, FT_ERR_STALE_ROUND,
 * FT_ERR_NOT_SELECTED (not in U3), FT_ERR_DUPLICATE, FT_ERR_AUTH (signature does not verify).
 */
export function serverReceiveConsistency(state: SecAggServerState, from: string, message: ConsistencyMsg): { state: SecAggServerState } {
  validateMessage(ConsistencyMsg, message, 'consistency');
  admit(state, 'ConsistencyCheck', from, message.round, state.u3);
  if (state.consistency.has(from)) throw new FedtuneError('FT_ERR_DUPLICATE', `${from} already signed`);
  const transcript = consistencyTranscript(state.round, [...state.u3!].sort());
  if (!ed25519Verify(state.identityKeys!.get(from)!, transcript, message.signature)) {
    throw new FedtuneError('FT_ERR_AUTH', `consistency signature of ${from} does not verify`);
  }
  state.consistency.set(from, message.signature);
  return { state };
}

/**
 * Closes ConsistencyCheck: U4 = the signers. Aborts unless every node whose masks are in the sum
 * keeps t neighbours in U4 (each of which then also sees t neighbour signatures).
 * @throws FedtuneError FT_ERR_STAGE out of order.
 */
export function serverFinishConsistency(state: SecAggServerState): { state: SecAggServerState; outcome: StageOutcome<UnmaskRequest> } {
  if (state.stage !== 'ConsistencyCheck') throw new FedtuneError('FT_ERR_STAGE', `expected ConsistencyCheck, got ${state.stage}`);
  const u4 = new Set(state.consistency.keys());
  const check = checkRecoverable(state, u4);
  if (check !== undefined) return { state, outcome: abortRound(state, check) };
  state.responders = u4;
  state.stage = 'Unmask';
  return { state, outcome: { ok: true, messages: unmaskRequests(state, u4, [...state.u3!].sort(), state.consistency) } };
}
