// Secure aggregation as the round's aggregation step: chooses the ring (no overflow for the
// cohort) and the graph (Bell et al. 2020 parameters), runs the SecAgg+ stages, removes the masks
// in parallel and decodes the sum into the mean delta the strategy sees. The strategy never learns
// that its input came through SecAgg: it wraps the strategy, it is not inside it.
import { CHUNK_ELEMENTS, chooseGraphParams, chooseRingParams, decodeFromRing, type CryptoProvider, type GraphParams, type RandomSource, type RingParams } from '@fedtune/shared';
import type { Logger } from '../logger.js';
import type { Clock } from '../round/clock.js';
import type { FitAggregate } from '../strategy/strategy.js';
import { SecAggSession, type SecAggDrop, type SecAggSender } from './secagg-session.js';
import type { UnmaskPool } from './unmask-pool.js';

export interface SecAggConfig {
  /** L2 clip bound C: every delta is clipped to it before encoding (the ring needs a bound). */
  l2Clip: number;
  /** Ring width b <= 32. */
  bits: number;
  /** Assumed dropout rate between key advertisement and unmasking (sizes k and t). */
  dropoutRate: number;
  /** Assumed fraction of nodes colluding with the coordinator. */
  corruptionRate: number;
  stageDeadlineMs: number;
  /** Active mode: enrolled Ed25519 identities sign keys; ConsistencyCheck runs. */
  activeMode: boolean;
  /** Opt-in (never with activeMode): nodes trust this coordinator's dropout reports, so t <= k/2 is allowed. */
  trustCoordinatorDropouts?: boolean;
  /** Enrolled identity public keys by node id (active mode). */
  identityKeys?: ReadonlyMap<string, Uint8Array>;
  /** Never unmask a sum of fewer inputs (distributed DP noise is sized for this many). */
  minSurvivors?: number;
  /** Distributed DP: each node's noise variance per coordinate, in ring units. */
  noiseVariancePerNode?: number;
}

/**
 * The largest L2 norm the decoded sum of `n` honest inputs can have: n clipped vectors (n C), each
 * coordinate's randomized rounding (under 1/scale per node: n sqrt(d) / scale), and the summed noise,
 * whose norm exceeds sigma (sqrt(d) + t) with probability below exp(-t^2 / 2) for Gaussian-tailed
 * noise (Laurent and Massart 2000; discrete Gaussian and Skellam noise are sub-Gaussian with the same
 * variance proxy, Canonne-Kamath-Steinke 2020 and Agarwal-Kairouz-Liu 2021). t = 12: a false alarm
 * once in about e^72 rounds.
 */
export function decodedSumBound(n: number, clip: number, dimension: number, scale: number, noiseVariancePerNode = 0): number {
  const rootD = Math.sqrt(dimension);
  const noiseStd = Math.sqrt(n * noiseVariancePerNode) / scale;
  return n * clip + (n * rootD) / scale + noiseStd * (rootD + 12);
}

/** Whether the round may use a threshold t <= k/2: only when explicitly configured, and never in active mode. */
export function trustsDropoutReports(config: Pick<SecAggConfig, 'activeMode' | 'trustCoordinatorDropouts'>): boolean {
  return config.trustCoordinatorDropouts === true && !config.activeMode;
}

/**
 * The degree k and threshold t the service uses for a cohort of `n` (Bell et al. 2020 bounds):
 * t > k/2 unless dropout reports are trusted.
 * @throws RangeError when no graph meets the bounds (see chooseGraphParams).
 */
export function chooseRoundGraph(config: Pick<SecAggConfig, 'dropoutRate' | 'corruptionRate' | 'activeMode' | 'trustCoordinatorDropouts'>, n: number): GraphParams {
  return chooseGraphParams({ n, dropoutRate: config.dropoutRate, corruptionRate: config.corruptionRate, trustDropoutReports: trustsDropoutReports(config) });
}

/** Ring parameters for a round whose cohort has `selected` nodes; `noiseStd` in ring units. */
export function roundRing(config: SecAggConfig, selected: number, noiseStd = 0): RingParams {
  return chooseRingParams({ maxSummands: Math.max(1, selected), l2Clip: config.l2Clip, bits: config.bits, noiseStd });
}

export type SecureAggregateResult =
  | {
      ok: true;
      /** The noised sum decoded to floats (for DP mechanisms that act on the sum). */
      sum: Float64Array;
      aggregate: FitAggregate;
      survivors: readonly string[];
      drops: SecAggDrop[];
      stageMs: Record<string, number>;
      bytes: Map<string, number>;
      graph: { k: number; t: number; allToAll: boolean };
    }
  | {
      ok: false;
      stage: string;
      reason: string;
      drops: SecAggDrop[];
      stageMs: Record<string, number>;
      graph: { k: number; t: number; allToAll: boolean } | null;
      /** Nodes the abort is attributed to (keys they do not hold, inconsistent shares). */
      blame?: string[];
    };

export interface SecureAggregationDeps {
  sender: SecAggSender;
  crypto: CryptoProvider;
  random: RandomSource;
  clock: Clock;
  logger: Logger;
  pool: UnmaskPool;
  /** The engine routes inbound SecAgg messages to the session while it runs. */
  onSession: (session: SecAggSession | null) => void;
}

export async function aggregateSecurely(
  deps: SecureAggregationDeps,
  config: SecAggConfig,
  round: number,
  cohort: readonly string[],
  ring: RingParams,
  vectorLength: number,
  examples: ReadonlyMap<string, number>,
): Promise<SecureAggregateResult> {
  if (cohort.length < 2) return { ok: false, stage: 'AdvertiseKeys', reason: `secure aggregation needs at least 2 nodes, ${cohort.length} finished training`, drops: [], stageMs: {}, graph: null };
  let g;
  try {
    g = chooseRoundGraph(config, cohort.length);
  } catch (err) {
    // A cohort SecAgg cannot protect (e.g. too small for the assumed colluders): abort, never run it weakened.
    return { ok: false, stage: 'AdvertiseKeys', reason: (err as Error).message, drops: [], stageMs: {}, graph: null };
  }
  const graph = { k: g.k, t: g.t, allToAll: g.allToAll };
  const session = new SecAggSession(
    { sender: deps.sender, crypto: deps.crypto, random: deps.random, clock: deps.clock, logger: deps.logger },
    {
      round,
      cohort,
      vectorLength,
      bits: ring.bits,
      k: g.k,
      threshold: g.t,
      activeMode: config.activeMode,
      trustDropoutReports: trustsDropoutReports(config),
      ...(config.identityKeys === undefined ? {} : { identityKeys: config.identityKeys }),
      stageDeadlineMs: config.stageDeadlineMs,
      chunkElements: CHUNK_ELEMENTS,
      minSurvivors: config.minSurvivors ?? 1,
    },
  );
  deps.onSession(session);
  let result;
  try {
    result = await session.run();
  } catch (err) {
    // Nothing in a SecAgg session may take the engine down: the round ends without a sum.
    deps.logger.error('secure aggregation failed', { round, error: String((err as Error)?.stack ?? err) });
    return { ok: false, stage: 'Unmask', reason: `internal error: ${(err as Error)?.message ?? String(err)}`, drops: [], stageMs: {}, graph };
  } finally {
    deps.onSession(null);
  }
  const stageMs: Record<string, number> = { ...result.stageMs };
  if (!result.ok) return { ok: false, stage: result.stage, reason: result.reason, drops: result.drops, stageMs, graph, blame: result.blame };
  const started = deps.clock.now();
  let sum: Float64Array;
  try {
    sum = decodeFromRing(await deps.pool.unmask(result.plan, result.sum), ring);
  } catch (err) {
    deps.logger.error('mask removal failed', { round, error: String((err as Error)?.stack ?? err) });
    return { ok: false, stage: 'Unmask', reason: `mask removal failed: ${(err as Error)?.message ?? String(err)}`, drops: result.drops, stageMs, graph };
  }
  stageMs.unmaskMasks = deps.clock.now() - started;
  const n = result.survivors.length;
  // A node that added values beyond its clip (say 2^30 to every ring element) leaves a sum no honest
  // cohort can produce: refuse it rather than step the model with garbage.
  const bound = decodedSumBound(n, config.l2Clip, sum.length, ring.scale, config.noiseVariancePerNode ?? 0);
  let sq = 0;
  for (let i = 0; i < sum.length; i++) sq += sum[i]! * sum[i]!;
  if (!(Math.sqrt(sq) <= bound)) {
    return {
      ok: false,
      stage: 'Unmask',
      reason: `FT_ERR_BOUND: the decoded sum of ${n} inputs has L2 norm ${Math.sqrt(sq).toPrecision(4)} > ${bound.toPrecision(4)} (clip ${config.l2Clip} each, plus rounding and noise): some node sent out-of-bound values`,
      drops: result.drops,
      stageMs,
      graph,
    };
  }
  const meanDelta = new Float32Array(sum.length);
  // The ring sum in integer units, exactly (the grid DP noise is added on, and released from).
  const units = new Float64Array(sum.length);
  for (let i = 0; i < sum.length; i++) {
    meanDelta[i] = sum[i]! / n;
    units[i] = Math.round(sum[i]! * ring.scale);
  }
  const totalExamples = result.survivors.reduce((s, id) => s + (examples.get(id) ?? 0), 0);
  return {
    ok: true,
    sum,
    aggregate: { meanDelta, count: n, totalExamples, metrics: {}, grid: { sum: units, granularity: 1 / ring.scale, rounding: 'randomized' } },
    survivors: result.survivors,
    drops: result.drops,
    stageMs,
    bytes: result.bytes,
    graph,
  };
}
