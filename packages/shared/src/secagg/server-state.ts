// The coordinator's per-round state for secure aggregation (Bonawitz et al. 2017 §4; Bell et al. 2020
// §3): cohort, graph, the survivor sets U1 ⊇ U2 ⊇ U3 (⊇ U4 in active mode) and the running masked sum.
import type { RandomSource } from '../crypto/random.js';
import { FedtuneError } from '../errors/catalogue.js';
import { CHUNK_ELEMENTS, MAX_MODEL_ELEMENTS } from '../protocol/limits.js';
import { assertBits, assertBytes, assertId, assertInt } from './assert.js';
import { MAX_DEGREE, type Neighbourhoods, assertNeighbourhoods, hararyGraph, minThreshold } from './graph.js';
import { type AdvertiseKeysMsg, MAX_SECAGG_COHORT, type RevealedShare, type SecAggAbort, type SecAggSetup, type ShareKeysMsg } from './messages.js';
import { RingAccumulator } from './ring-accumulator.js';
import { type SecAggStage, type SecAggStageOrDone, assertExpectedStage } from './stages.js';

/**
 * Coordinator state. Unlike the client's, it is updated in place by the server-*.ts functions: it
 * owns the one running Uint32Array sum, so memory stays O(model), not O(clients x model).
 * It holds no node secret until Unmask reconstructs the ones the protocol allows.
 */
export interface SecAggServerState {
  stage: SecAggStageOrDone;
  readonly round: number;
  readonly threshold: number;
  readonly bits: number;
  readonly vectorLength: number;
  readonly chunkElements: number;
  readonly activeMode: boolean;
  readonly cohort: readonly string[];
  readonly graph: Neighbourhoods;
  readonly identityKeys: ReadonlyMap<string, Uint8Array> | undefined;
  /** AdvertiseKeys replies; their senders become U1. */
  readonly keys: Map<string, AdvertiseKeysMsg>;
  u1: ReadonlySet<string> | undefined;
  /** Every public key advertised so far (hex), so no node can reuse another's. */
  readonly advertisedKeys: Set<string>;
  /** ShareKeys replies; their senders become U2. */
  readonly sharesFrom: Map<string, ShareKeysMsg['shares']>;
  /** Per owner: its commitment to its self-mask seed (share-commitment.ts). */
  readonly seedCommitments: Map<string, Uint8Array>;
  u2: ReadonlySet<string> | undefined;
  /** The running masked sum (mod 2^32 until read-out reduces it mod 2^bits), in the accumulator. */
  readonly sum: Uint32Array;
  /** Adds masked chunks into `sum` with WebAssembly SIMD. */
  readonly accumulator: RingAccumulator;
  /** Per node, one flag per chunk received. */
  readonly chunksFrom: Map<string, { flags: Uint8Array; count: number }>;
  u3: ReadonlySet<string> | undefined;
  readonly consistency: Map<string, Uint8Array>;
  /** Nodes asked to unmask: U3, or U4 (the ConsistencyCheck signers) in active mode. */
  responders: ReadonlySet<string> | undefined;
  readonly unmaskFrom: Set<string>;
  /** Revealed shares by owner. */
  readonly revealed: Map<string, RevealedShare[]>;
  /** Per node, the neighbours that could not open its sealed shares (Unmask complaints). */
  readonly complaints: Map<string, Set<string>>;
  /** Nodes an abort is attributed to (bad dealing, keys they do not hold), for the caller to act on. */
  readonly blamed: Set<string>;
  abortReason: string | undefined;
}

/** The result of closing a stage: messages for the next one, or the round's abort. */
export type StageOutcome<M> = { ok: true; messages: Map<string, M> } | { ok: false; abort: SecAggAbort };

export interface SecAggServerOptions {
  round: number;
  /** The selected nodes. */
  cohort: readonly string[];
  /** Harary degree k (even, or >= n - 1 for all-to-all); ignored when `graph` is given. */
  k?: number;
  /** A ready graph (e.g. for tests); otherwise built from `k` with `rng`. */
  graph?: Neighbourhoods;
  /** Shamir threshold t; every node needs minThreshold(deg, trustDropoutReports) <= t <= deg. */
  threshold: number;
  /**
   * Opt-in (never with activeMode): the nodes trust this coordinator to report dropouts truly, so
   * thresholds down to 2 are allowed. Default false: t > k/2.
   */
  trustDropoutReports?: boolean;
  bits: number;
  vectorLength: number;
  chunkElements?: number;
  activeMode: boolean;
  /** Enrolled identity public keys (active mode). */
  identityKeys?: ReadonlyMap<string, Uint8Array>;
  rng: RandomSource;
}

/**
 * Starts a round: builds the graph and the setup message for every cohort node.
 * @throws TypeError / RangeError for bad options (duplicate ids, a threshold outside [minThreshold(deg), deg],
 * a missing identity key in active mode, sizes beyond the wire limits).
 */
export function createSecAggServer(options: SecAggServerOptions): { state: SecAggServerState; setups: Map<string, SecAggSetup> } {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  assertInt('round', options.round, 0, 2 ** 31);
  if (!Array.isArray(options.cohort)) throw new TypeError('cohort must be an array of node ids');
  if (options.cohort.length < 2 || options.cohort.length > MAX_SECAGG_COHORT) throw new RangeError(`cohort must have 2..${MAX_SECAGG_COHORT} nodes, got ${options.cohort.length}`);
  options.cohort.forEach((id, i) => assertId(`cohort[${i}]`, id));
  assertBits('bits', options.bits);
  assertInt('vectorLength', options.vectorLength, 1, MAX_MODEL_ELEMENTS);
  const chunkElements = options.chunkElements ?? CHUNK_ELEMENTS;
  assertInt('chunkElements', chunkElements, 1, CHUNK_ELEMENTS);
  if (typeof options.activeMode !== 'boolean') throw new TypeError('activeMode must be a boolean');
  const graph = options.graph ?? hararyGraph(options.cohort, options.k ?? options.cohort.length - 1, options.rng);
  assertNeighbourhoods(graph);
  const cohort = [...options.cohort];
  if (graph.size !== cohort.length || cohort.some((id) => !graph.has(id))) throw new RangeError('graph does not cover exactly the cohort');
  assertInt('threshold', options.threshold, 1, MAX_DEGREE);
  if (options.trustDropoutReports !== undefined && typeof options.trustDropoutReports !== 'boolean') throw new TypeError('trustDropoutReports must be a boolean');
  if (options.trustDropoutReports === true && options.activeMode) throw new RangeError('active mode never trusts dropout reports: it exists for a coordinator that may lie');
  const trust = options.trustDropoutReports === true;
  for (const [id, nb] of graph) {
    const least = minThreshold(nb.length, trust);
    if (options.threshold < least || options.threshold > nb.length) {
      throw new RangeError(`threshold ${options.threshold} must be in [${least}, ${nb.length}]${trust ? ' (dropout reports trusted)' : ''}; ${id} has degree ${nb.length}`);
    }
  }
  if (options.activeMode) {
    if (!(options.identityKeys instanceof Map)) throw new TypeError('active mode needs identityKeys');
    for (const id of cohort) assertBytes(`identityKeys[${id}]`, options.identityKeys.get(id), 32);
  }
  const accumulator = new RingAccumulator(options.vectorLength, chunkElements);
  const state: SecAggServerState = {
    stage: 'AdvertiseKeys',
    round: options.round,
    threshold: options.threshold,
    bits: options.bits,
    vectorLength: options.vectorLength,
    chunkElements,
    activeMode: options.activeMode,
    cohort,
    graph,
    identityKeys: options.identityKeys,
    keys: new Map(),
    advertisedKeys: new Set(),
    u1: undefined,
    sharesFrom: new Map(),
    seedCommitments: new Map(),
    u2: undefined,
    accumulator,
    sum: accumulator.sum,
    chunksFrom: new Map(),
    u3: undefined,
    consistency: new Map(),
    responders: undefined,
    unmaskFrom: new Set(),
    revealed: new Map(),
    complaints: new Map(),
    blamed: new Set(),
    abortReason: undefined,
  };
  const setups = new Map<string, SecAggSetup>();
  for (const id of cohort) {
    setups.set(id, {
      round: state.round,
      nodeId: id,
      neighbours: [...graph.get(id)!].sort(),
      threshold: state.threshold,
      bits: state.bits,
      vectorLength: state.vectorLength,
      chunkElements,
      activeMode: state.activeMode,
    });
  }
  return { state, setups };
}

/** Gate for a node's message: stage, round and membership. @throws FedtuneError FT_ERR_STAGE / FT_ERR_STALE_ROUND / FT_ERR_NOT_SELECTED. */
export function admit(state: SecAggServerState, stage: SecAggStage, from: string, round: number, members: ReadonlySet<string> | readonly string[] | undefined): void {
  assertExpectedStage(state.stage, stage);
  if (round !== state.round) throw new FedtuneError('FT_ERR_STALE_ROUND', `round ${round}, expected ${state.round}`);
  const isMember = members === undefined ? false : Array.isArray(members) ? members.includes(from) : (members as ReadonlySet<string>).has(from);
  if (!isMember) throw new FedtuneError('FT_ERR_NOT_SELECTED', `${from} is not expected in ${stage}`);
}

/** Ends the round without a sum. */
export function abortRound(state: SecAggServerState, reason: string): { ok: false; abort: SecAggAbort } {
  state.stage = 'Done';
  state.abortReason = reason;
  return { ok: false, abort: { round: state.round, reason } };
}

/** The first of `nodes` with fewer than t neighbours in `live`, or undefined. */
export function shortOfNeighbours(state: SecAggServerState, nodes: Iterable<string>, live: ReadonlySet<string>): { node: string; live: number } | undefined {
  for (const u of nodes) {
    let c = 0;
    for (const v of state.graph.get(u)!) if (live.has(v)) c++;
    if (c < state.threshold) return { node: u, live: c };
  }
  return undefined;
}
