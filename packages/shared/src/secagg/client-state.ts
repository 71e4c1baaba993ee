// The client's per-round state for secure aggregation (Bonawitz et al. 2017 §4; Bell et al. 2020
// neighbourhoods): created once per round, advanced by one client-<stage>.ts function per stage.
import type { CryptoProvider } from '../crypto/provider.js';
import type { RandomSource } from '../crypto/random.js';
import { FedtuneError } from '../errors/catalogue.js';
import { assertBytes, assertId } from './assert.js';
import type { Ed25519KeyPair, X25519KeyPair } from './keys.js';
import type { NeighbourKeys, SecAggSetup } from './messages.js';
import type { MaskKey } from './prg.js';
import { assertExpectedStage, type SecAggStage, type SecAggStageOrDone } from './stages.js';

/** Platform crypto and randomness handed to every stage function. */
export interface SecAggEnv {
  readonly crypto: CryptoProvider;
  readonly rng: RandomSource;
}

/** One pairwise mask the client adds (+1) or subtracts (-1). */
export interface PairMask {
  readonly peer: string;
  readonly key: MaskKey;
  readonly sign: 1 | -1;
}

/** Immutable client state; every stage function returns a new one. Holds secrets: never log or send it. */
export interface SecAggClientState {
  /** The stage whose request this client accepts next. */
  readonly stage: SecAggStageOrDone;
  readonly nodeId: string;
  /** Enrolled Ed25519 identity; present means the client insists on active mode. */
  readonly identity: Ed25519KeyPair | undefined;
  /** Enrolled identity public keys of other nodes (active mode). */
  readonly identityKeys: ReadonlyMap<string, Uint8Array> | undefined;
  /** Opt-in: this node trusts the coordinator's dropout reports and accepts thresholds t <= k/2. */
  readonly trustDropoutReports: boolean;
  readonly setup: SecAggSetup | undefined;
  /** c_u: X25519 pair for share encryption. */
  readonly cKeys: X25519KeyPair | undefined;
  /** s_u: X25519 pair for pairwise masks. */
  readonly sKeys: X25519KeyPair | undefined;
  /** Neighbours' advertised keys, as received in ShareKeys. */
  readonly neighbourKeys: ReadonlyMap<string, NeighbourKeys> | undefined;
  /** b_u: the self-mask seed. */
  readonly selfSeed: Uint8Array | undefined;
  /** Sealed shares received from neighbours that shared keys (U2 restricted to neighbours). */
  readonly received: ReadonlyMap<string, Uint8Array> | undefined;
  readonly selfMask: MaskKey | undefined;
  readonly pairMasks: readonly PairMask[] | undefined;
  /** The survivor set signed in ConsistencyCheck (active mode). */
  readonly signedSurvivors: readonly string[] | undefined;
}

export interface SecAggClientOptions {
  nodeId: string;
  /** Enrolled Ed25519 key pair; required for active mode (and then passive setups are refused). */
  identity?: Ed25519KeyPair;
  /** Enrolled identity public keys by node id, from enrollment, not from the coordinator. */
  identityKeys?: ReadonlyMap<string, Uint8Array>;
  /**
   * Opt-in: trust the coordinator to report dropouts truly (honest-but-curious), accepting
   * thresholds down to 2. Default false: refuse t <= k/2, so a coordinator that tells some
   * neighbours "survived" and others "dropped" cannot collect both of this node's secrets.
   */
  trustDropoutReports?: boolean;
}

/**
 * A fresh client state expecting AdvertiseKeys.
 * @throws TypeError / RangeError for a bad id, identity or identity key.
 */
export function createSecAggClient(options: SecAggClientOptions): SecAggClientState {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  assertId('nodeId', options.nodeId);
  if (options.identity !== undefined) {
    assertBytes('identity.publicKey', options.identity.publicKey, 32);
    assertBytes('identity.secretKey', options.identity.secretKey, 64);
    if (!(options.identityKeys instanceof Map)) throw new TypeError('identityKeys must be a Map when identity is given');
  }
  if (options.identityKeys !== undefined) {
    if (!(options.identityKeys instanceof Map)) throw new TypeError('identityKeys must be a Map');
    for (const [id, pk] of options.identityKeys) {
      assertId('identityKeys id', id);
      assertBytes(`identityKeys[${id}]`, pk, 32);
    }
  }
  if (options.trustDropoutReports !== undefined && typeof options.trustDropoutReports !== 'boolean') throw new TypeError('trustDropoutReports must be a boolean');
  return {
    stage: 'AdvertiseKeys',
    nodeId: options.nodeId,
    identity: options.identity,
    identityKeys: options.identityKeys,
    trustDropoutReports: options.trustDropoutReports === true,
    setup: undefined,
    cKeys: undefined,
    sKeys: undefined,
    neighbourKeys: undefined,
    selfSeed: undefined,
    received: undefined,
    selfMask: undefined,
    pairMasks: undefined,
    signedSurvivors: undefined,
  };
}

/** Drops every secret: what a client keeps after an abort or after Unmask. */
export function clientAbort(state: SecAggClientState): SecAggClientState {
  return { ...createSecAggClient({ nodeId: state.nodeId }), identity: state.identity, identityKeys: state.identityKeys, trustDropoutReports: state.trustDropoutReports, stage: 'Done' };
}

/** Stage and round gate shared by the client stage functions. @throws FedtuneError FT_ERR_STAGE / FT_ERR_STALE_ROUND. */
export function enterStage(state: SecAggClientState, stage: SecAggStage, round: number): SecAggSetup {
  assertExpectedStage(state.stage, stage);
  const setup = state.setup;
  if (setup === undefined) throw new FedtuneError('FT_ERR_STAGE', 'no setup received');
  if (round !== setup.round) throw new FedtuneError('FT_ERR_STALE_ROUND', `round ${round}, expected ${setup.round}`);
  return setup;
}

/** Checks a list of ids is duplicate-free. @throws FedtuneError FT_ERR_MALFORMED. */
export function assertUniqueIds(what: string, ids: readonly string[]): Set<string> {
  const set = new Set(ids);
  if (set.size !== ids.length) throw new FedtuneError('FT_ERR_MALFORMED', `${what} repeats a node id`);
  return set;
}
