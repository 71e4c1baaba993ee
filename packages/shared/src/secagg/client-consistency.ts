// Client, stage ConsistencyCheck (active mode; Bonawitz et al. 2017 §4 round 3): sign the survivor
// set U3 with the enrolled identity, so every honest node later unmasks against the same set.
import { FedtuneError } from '../errors/catalogue.js';
import { type SecAggClientState, type SecAggEnv, assertUniqueIds, enterStage } from './client-state.js';
import { consistencyTranscript, ed25519Sign } from './keys.js';
import { ConsistencyRequest, type ConsistencyMsg } from './messages.js';
import { validateMessage } from './validate.js';

/**
 * Signs the survivor set.
 * @throws FedtuneError FT_ERR_STAGE out of order (or in passive mode); FT_ERR_STALE_ROUND;
 * FT_ERR_MALFORMED for a request that fails its schema, repeats a node or omits this node;
 * FT_ERR_ROUND_ABORTED for fewer than t survivors.
 */
export function clientConsistency(state: SecAggClientState, request: ConsistencyRequest, _env: SecAggEnv): { state: SecAggClientState; message: ConsistencyMsg } {
  validateMessage(ConsistencyRequest, request, 'consistency request');
  const setup = enterStage(state, 'ConsistencyCheck', request.round);
  if (state.identity === undefined) throw new FedtuneError('FT_ERR_STAGE', 'ConsistencyCheck without an identity');
  assertUniqueIds('survivors', request.survivors);
  if (!request.survivors.includes(state.nodeId)) throw new FedtuneError('FT_ERR_MALFORMED', 'survivor set omits this node');
  if (request.survivors.length < setup.threshold) {
    throw new FedtuneError('FT_ERR_ROUND_ABORTED', `${request.survivors.length} survivors, threshold ${setup.threshold}`);
  }
  const signedSurvivors = [...request.survivors].sort();
  const signature = ed25519Sign(state.identity.secretKey, consistencyTranscript(setup.round, signedSurvivors));
  return { state: { ...state, stage: 'Unmask', signedSurvivors }, message: { round: setup.round, signature } };
}
