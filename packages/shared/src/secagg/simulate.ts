// An in-memory driver of one whole secure-aggregation round (Bonawitz et al. 2017 §4 / Bell et al.
// 2020): the reference for how a transport calls the pure stage functions, and the engine of the
// protocol tests and benchmark. Dropouts are injected per node at a chosen stage.
import type { CryptoProvider } from '../crypto/provider.js';
import type { RandomSource } from '../crypto/random.js';
import { FedtuneError } from '../errors/catalogue.js';
import { clientAdvertiseKeys } from './client-advertise.js';
import { clientConsistency } from './client-consistency.js';
import { clientMaskChunk, clientMaskedInput } from './client-masked-input.js';
import { clientShareKeys } from './client-share.js';
import { type SecAggClientState, createSecAggClient } from './client-state.js';
import { clientUnmask } from './client-unmask.js';
import type { Ed25519KeyPair } from './keys.js';
import type { Neighbourhoods } from './graph.js';
import type { ConsistencyRequest, UnmaskRequest } from './messages.js';
import { serverFinishAdvertise, serverReceiveAdvertise } from './server-advertise.js';
import { serverFinishConsistency, serverReceiveConsistency } from './server-consistency.js';
import { serverFinishMaskedInput, serverReceiveMaskedChunk } from './server-masked-input.js';
import { serverFinishShareKeys, serverReceiveShareKeys } from './server-share.js';
import { createSecAggServer } from './server-state.js';
import { serverFinishUnmask, serverReceiveUnmask, serverUnmaskAll } from './server-unmask.js';

/** Where a simulated node goes silent: it sends nothing from that stage on ('Partial': half its chunks). */
export type DropPoint = 'AdvertiseKeys' | 'ShareKeys' | 'MaskedInput' | 'MaskedInputPartial' | 'ConsistencyCheck' | 'Unmask';

export interface SimulationOptions {
  round: number;
  /** Ring-encoded input of every cohort node, all of one length. */
  inputs: ReadonlyMap<string, Uint32Array>;
  threshold: number;
  /** Harary degree (>= n - 1: all-to-all); or give `graph`. */
  k?: number;
  graph?: Neighbourhoods;
  bits: number;
  chunkElements: number;
  activeMode?: boolean;
  /** Opt-in on both sides: the coordinator's dropout reports are trusted (thresholds t <= k/2 allowed). */
  trustDropoutReports?: boolean;
  identities?: ReadonlyMap<string, Ed25519KeyPair>;
  drops?: ReadonlyMap<string, DropPoint>;
  crypto: CryptoProvider;
  rng: RandomSource;
}

export type SimulationResult =
  | { ok: true; sum: Uint32Array; survivors: readonly string[]; clientMs: number; unmaskMs: number }
  | { ok: false; reason: string; stage: string };

/**
 * Runs one round with every message passing through the stage functions, in protocol order.
 * Client refusals propagate as thrown FedtuneErrors; coordinator aborts come back as `ok: false`.
 * `clientMs` sums the client-side stage functions; `unmaskMs` times mask removal.
 */
export function simulateSecAggRound(o: SimulationOptions): SimulationResult {
  const ids = [...o.inputs.keys()];
  const vectorLength = o.inputs.values().next().value!.length;
  const env = { crypto: o.crypto, rng: o.rng };
  const active = o.activeMode ?? false;
  const identityKeys = o.identities === undefined ? undefined : new Map([...o.identities].map(([id, kp]) => [id, kp.publicKey]));
  const drop = (id: string, at: DropPoint) => o.drops?.get(id) === at;
  let clientMs = 0;
  const timed = <T>(f: () => T): T => {
    const t0 = performance.now();
    const r = f();
    clientMs += performance.now() - t0;
    return r;
  };
  const { state: server, setups } = createSecAggServer({
    round: o.round, cohort: ids, k: o.k, graph: o.graph, threshold: o.threshold, bits: o.bits, vectorLength,
    chunkElements: o.chunkElements, activeMode: active, identityKeys, rng: o.rng, trustDropoutReports: o.trustDropoutReports ?? false,
  });
  const clients = new Map<string, SecAggClientState>();
  for (const id of ids) {
    const c = createSecAggClient({ nodeId: id, identity: o.identities?.get(id), identityKeys, trustDropoutReports: o.trustDropoutReports ?? false });
    if (drop(id, 'AdvertiseKeys')) continue;
    const r = timed(() => clientAdvertiseKeys(c, setups.get(id)!, env));
    clients.set(id, r.state);
    serverReceiveAdvertise(server, id, r.message, env.crypto);
  }
  const adv = serverFinishAdvertise(server).outcome;
  if (!adv.ok) return { ok: false, reason: adv.abort.reason, stage: 'AdvertiseKeys' };
  for (const [id, req] of adv.messages) {
    if (drop(id, 'ShareKeys')) continue;
    const r = timed(() => clientShareKeys(clients.get(id)!, req, env));
    clients.set(id, r.state);
    serverReceiveShareKeys(server, id, r.message);
  }
  const shr = serverFinishShareKeys(server).outcome;
  if (!shr.ok) return { ok: false, reason: shr.abort.reason, stage: 'ShareKeys' };
  for (const [id, req] of shr.messages) {
    if (drop(id, 'MaskedInput')) continue;
    const st = timed(() => clientMaskedInput(clients.get(id)!, req, env).state);
    clients.set(id, st);
    const input = o.inputs.get(id)!;
    const chunks = Math.ceil(vectorLength / o.chunkElements);
    const send = drop(id, 'MaskedInputPartial') ? Math.max(1, chunks >> 1) : chunks;
    for (let c = 0; c < send; c++) {
      const start = c * o.chunkElements;
      const msg = timed(() => clientMaskChunk(st, c, input.subarray(start, Math.min(vectorLength, start + o.chunkElements)), env));
      serverReceiveMaskedChunk(server, id, msg);
    }
  }
  const msk = serverFinishMaskedInput(server).outcome;
  if (!msk.ok) return { ok: false, reason: msk.abort.reason, stage: 'MaskedInput' };
  let unmaskReqs: Map<string, UnmaskRequest>;
  if (active) {
    for (const [id, req] of msk.messages as Map<string, ConsistencyRequest>) {
      if (drop(id, 'ConsistencyCheck')) continue;
      const r = timed(() => clientConsistency(clients.get(id)!, req, env));
      clients.set(id, r.state);
      serverReceiveConsistency(server, id, r.message);
    }
    const con = serverFinishConsistency(server).outcome;
    if (!con.ok) return { ok: false, reason: con.abort.reason, stage: 'ConsistencyCheck' };
    unmaskReqs = con.messages;
  } else {
    unmaskReqs = msk.messages as Map<string, UnmaskRequest>;
  }
  for (const [id, req] of unmaskReqs) {
    if (drop(id, 'Unmask') || drop(id, 'ConsistencyCheck')) continue;
    const r = timed(() => clientUnmask(clients.get(id)!, req, env));
    clients.set(id, r.state);
    serverReceiveUnmask(server, id, r.message, env.crypto);
  }
  const fin = serverFinishUnmask(server, o.crypto).outcome;
  if (!fin.ok) return { ok: false, reason: fin.abort.reason, stage: 'Unmask' };
  const t0 = performance.now();
  const { sum } = serverUnmaskAll(server, fin.plan, o.crypto);
  const unmaskMs = performance.now() - t0;
  if (sum.length !== vectorLength) throw new FedtuneError('FT_ERR_INTERNAL', 'sum length');
  return { ok: true, sum, survivors: fin.plan.survivors, clientMs, unmaskMs };
}
