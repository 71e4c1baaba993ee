// Client, stage AdvertiseKeys (Bonawitz et al. 2017 §4 round 0): check the round setup, make the
// two X25519 key pairs, and sign them with the enrolled Ed25519 identity in active mode.
import { FedtuneError } from '../errors/catalogue.js';
import { type SecAggClientState, type SecAggEnv, assertUniqueIds } from './client-state.js';
import { minThreshold } from './graph.js';
import { advertiseTranscript, ed25519Sign, x25519KeyPair } from './keys.js';
import { type AdvertiseKeysMsg, SecAggSetup } from './messages.js';
import { assertExpectedStage } from './stages.js';
import { validateMessage } from './validate.js';

/**
 * Accepts the coordinator's setup and answers with this node's public keys.
 * The client refuses a threshold below {@link minThreshold} (t <= k/2, where a coordinator that
 * lies about dropouts could collect both shares of this node from two halves of its neighbours,
 * unless the node opted in to trusting dropout reports, and then a single share) or above k, and,
 * when it holds an identity, a passive setup. The rule is the node's own, never the setup's.
 * @throws FedtuneError FT_ERR_STAGE out of order; FT_ERR_MALFORMED for a setup that fails its
 * schema, names another node, or has unsorted/duplicate neighbours; FT_ERR_CONFIG for a weak
 * threshold or a mode the client will not run.
 */
export function clientAdvertiseKeys(
  state: SecAggClientState,
  setup: SecAggSetup,
  env: SecAggEnv,
): { state: SecAggClientState; message: AdvertiseKeysMsg } {
  assertExpectedStage(state.stage, 'AdvertiseKeys');
  validateMessage(SecAggSetup, setup, 'setup');
  if (setup.nodeId !== state.nodeId) throw new FedtuneError('FT_ERR_MALFORMED', `setup is for ${setup.nodeId}, not ${state.nodeId}`);
  const nb = setup.neighbours;
  assertUniqueIds('setup.neighbours', nb);
  if (nb.includes(state.nodeId)) throw new FedtuneError('FT_ERR_MALFORMED', 'setup lists the node as its own neighbour');
  for (let i = 1; i < nb.length; i++) if (!(nb[i - 1]! < nb[i]!)) throw new FedtuneError('FT_ERR_MALFORMED', 'setup.neighbours must be sorted');
  const k = nb.length;
  const trust = state.trustDropoutReports && !setup.activeMode;
  const least = minThreshold(k, trust);
  if (setup.threshold < least || setup.threshold > k) {
    throw new FedtuneError('FT_ERR_CONFIG', `threshold ${setup.threshold} must be in [${least}, ${k}] for k = ${k} neighbours${trust ? ' (dropout reports trusted)' : ' (t > k/2: this node does not trust the coordinator\'s dropout reports)'}`);
  }
  if (state.identity !== undefined && !setup.activeMode) throw new FedtuneError('FT_ERR_CONFIG', 'this node runs secure aggregation in active mode only');
  if (setup.activeMode && state.identity === undefined) throw new FedtuneError('FT_ERR_CONFIG', 'active mode needs an enrolled identity');
  const cKeys = x25519KeyPair(env.rng);
  const sKeys = x25519KeyPair(env.rng);
  const message: AdvertiseKeysMsg = { round: setup.round, cPk: cKeys.publicKey, sPk: sKeys.publicKey };
  if (setup.activeMode && state.identity !== undefined) {
    message.signature = ed25519Sign(state.identity.secretKey, advertiseTranscript(setup.round, state.nodeId, cKeys.publicKey, sKeys.publicKey));
  }
  return { state: { ...state, stage: 'ShareKeys', setup: { ...setup, neighbours: [...nb] }, cKeys, sKeys }, message };
}
