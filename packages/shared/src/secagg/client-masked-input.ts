// Client, stage MaskedInput (Bonawitz et al. 2017 §4 round 2): keep the sealed shares routed to this
// node, derive the self mask and one pairwise mask per neighbour that shared keys, then mask the
// ring-encoded vector chunk by chunk: y = x + PRG(b_u) + sum_v sign(u, v) PRG(s_u,v) mod 2^b.
import { FedtuneError } from '../errors/catalogue.js';
import { assertU32Array } from './assert.js';
import { type PairMask, type SecAggClientState, type SecAggEnv, assertUniqueIds, enterStage } from './client-state.js';
import { x25519Many } from './keys.js';
import { type MaskedInputChunkMsg, MaskedInputRequest } from './messages.js';
import { applyMasks } from './mask-sum.js';
import { deriveMaskKey } from './prg.js';
import { validateMessage } from './validate.js';

/**
 * Takes the sealed shares addressed to this node and derives every mask; the state then accepts
 * {@link clientMaskChunk} calls.
 * @throws FedtuneError FT_ERR_STAGE out of order; FT_ERR_STALE_ROUND; FT_ERR_MALFORMED for a
 * request that fails its schema, repeats a sender or names a node whose keys were not received;
 * FT_ERR_ROUND_ABORTED when fewer than t neighbours shared keys.
 */
export function clientMaskedInput(state: SecAggClientState, request: MaskedInputRequest, env: SecAggEnv): { state: SecAggClientState } {
  validateMessage(MaskedInputRequest, request, 'masked-input request');
  const setup = enterStage(state, 'MaskedInput', request.round);
  const { sKeys, selfSeed, neighbourKeys } = state;
  if (sKeys === undefined || selfSeed === undefined || neighbourKeys === undefined) throw new FedtuneError('FT_ERR_STAGE', 'keys were not shared');
  assertUniqueIds('masked-input request', request.shares.map((s) => s.from));
  const received = new Map<string, Uint8Array>();
  const peerKeys = request.shares.map(({ from, ciphertext }) => {
    const keys = neighbourKeys.get(from);
    if (keys === undefined) throw new FedtuneError('FT_ERR_MALFORMED', `share from ${from}, whose keys were not received`);
    received.set(from, ciphertext);
    return keys.sPk;
  });
  const secrets = x25519Many(env.crypto, sKeys.secretKey, peerKeys);
  const pairMasks: PairMask[] = request.shares.map(({ from }, i) => ({
    peer: from,
    key: deriveMaskKey(env.crypto, secrets[i]!, { round: setup.round, a: state.nodeId, b: from }),
    sign: state.nodeId < from ? 1 : -1,
  }));
  if (received.size < setup.threshold) {
    throw new FedtuneError('FT_ERR_ROUND_ABORTED', `${received.size} neighbours shared keys, threshold ${setup.threshold}`);
  }
  const selfMask = deriveMaskKey(env.crypto, selfSeed, { round: setup.round, a: state.nodeId });
  const next = setup.activeMode ? 'ConsistencyCheck' : 'Unmask';
  return { state: { ...state, stage: next, received, pairMasks, selfMask } };
}

/** How many chunks a vector of the round's length has. @throws FedtuneError FT_ERR_STAGE before setup. */
export function chunkCount(state: SecAggClientState): number {
  if (state.setup === undefined) throw new FedtuneError('FT_ERR_STAGE', 'no setup received');
  return Math.ceil(state.setup.vectorLength / state.setup.chunkElements);
}

/**
 * Masks chunk `chunkIndex` of the ring-encoded vector (elements [i*chunk, (i+1)*chunk)). Pure: the
 * state does not change, so chunks may be produced in any order, e.g. while training streams.
 * @throws FedtuneError FT_ERR_STAGE unless masks are ready and Unmask has not run; TypeError /
 * RangeError for a chunk of the wrong type, length, index or with values >= 2^b.
 */
export function clientMaskChunk(state: SecAggClientState, chunkIndex: number, encoded: Uint32Array, env: SecAggEnv): MaskedInputChunkMsg {
  const { setup, selfMask, pairMasks } = state;
  if (setup === undefined || selfMask === undefined || pairMasks === undefined || (state.stage !== 'ConsistencyCheck' && state.stage !== 'Unmask')) {
    throw new FedtuneError('FT_ERR_STAGE', `cannot mask input in stage ${state.stage}`);
  }
  const chunks = Math.ceil(setup.vectorLength / setup.chunkElements);
  if (!Number.isSafeInteger(chunkIndex) || chunkIndex < 0 || chunkIndex >= chunks) throw new RangeError(`chunkIndex must be in [0, ${chunks}), got ${chunkIndex}`);
  assertU32Array('encoded', encoded);
  const start = chunkIndex * setup.chunkElements;
  const len = Math.min(setup.chunkElements, setup.vectorLength - start);
  if (encoded.length !== len) throw new RangeError(`encoded chunk ${chunkIndex} must have ${len} elements, got ${encoded.length}`);
  const bits = setup.bits;
  if (bits < 32) {
    const limit = 2 ** bits;
    for (let i = 0; i < len; i++) if (encoded[i]! >= limit) throw new RangeError(`encoded[${i}] = ${encoded[i]} is not below 2^${bits}`);
  }
  const out = applyMasks(env.crypto, [{ key: selfMask, sign: 1 }, ...pairMasks], encoded.slice(), start, bits);
  return { round: setup.round, chunkIndex, data: out };
}

/**
 * Masks a whole ring-encoded vector into its chunk messages (convenience over {@link clientMaskChunk}).
 * @throws as {@link clientMaskChunk}, and RangeError for a vector of the wrong length.
 */
export function clientMaskVector(state: SecAggClientState, encoded: Uint32Array, env: SecAggEnv): MaskedInputChunkMsg[] {
  assertU32Array('encoded', encoded);
  const setup = state.setup;
  if (setup === undefined) throw new FedtuneError('FT_ERR_STAGE', 'no setup received');
  if (encoded.length !== setup.vectorLength) throw new RangeError(`encoded must have ${setup.vectorLength} elements, got ${encoded.length}`);
  const out: MaskedInputChunkMsg[] = [];
  for (let c = 0; c * setup.chunkElements < setup.vectorLength; c++) {
    const start = c * setup.chunkElements;
    out.push(clientMaskChunk(state, c, encoded.subarray(start, Math.min(start + setup.chunkElements, setup.vectorLength)), env));
  }
  return out;
}
