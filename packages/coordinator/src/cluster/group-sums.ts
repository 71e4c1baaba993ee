// Group sums of a round of several instances (Bonawitz et al. 2019, §4: each aggregator's SecAgg
// sum goes to the master aggregator, which adds them): an instance's decoded SecAgg sum in ring
// units, stored as little-endian int32 (exact: a decoded b-bit ring value fits), and the leader's
// combination of the groups into the round's aggregate and summary. Every group shares the
// round's ring, so the total is the exact integer sum on one grid, which DP releases from.
import { FedtuneError, type RingParams } from '@fedtune/shared';
import { unfilledByLaterStages, type DroppedNode, type GroupReport, type RoundSummary } from '../round/round-summary.js';
import type { Participation } from '../store/store.js';
import type { FitAggregate } from '../strategy/strategy.js';

/** What an instance reports about its group, beside the sum. */
export interface GroupDetail {
  reason: string | null;
  droppedDetail: DroppedNode[];
  participants: Participation[];
  stageMs: Record<string, number>;
  degree: number | null;
  threshold: number | null;
  uploadBytesPerClient: number | null;
  durationMs: number;
}

export interface GroupResult {
  round: number;
  instance: string;
  /** `ok`: a sum; `skipped`: too few nodes drawn to run; `aborted`: the group ran and failed. */
  status: 'ok' | 'skipped' | 'aborted';
  selected: number;
  survivors: number;
  /** The decoded sum in ring units (integers), for `ok` groups. */
  sum: Int32Array | null;
  detail: GroupDetail;
}

/**
 * The ring-unit sum as int32s.
 * @throws FedtuneError FT_ERR_BOUND for a value that is not an int32 (no decoded ring sum is).
 */
export function unitsToInt32(units: Float64Array): Int32Array {
  const out = new Int32Array(units.length);
  for (let i = 0; i < units.length; i++) {
    const v = units[i]!;
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new FedtuneError('FT_ERR_BOUND', `group sum element ${i} is ${v}, not a 32-bit ring value`);
    out[i] = v;
  }
  return out;
}

/** Little-endian bytes of an int32 sum (what the store keeps). */
export function encodeGroupSum(sum: Int32Array): Uint8Array {
  const out = new Uint8Array(sum.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < sum.length; i++) view.setInt32(i * 4, sum[i]!, true);
  return out;
}

/** @throws FedtuneError FT_ERR_STORE when the bytes are not `dimension` int32s. */
export function decodeGroupSum(bytes: Uint8Array, dimension: number): Int32Array {
  if (bytes.length !== dimension * 4) throw new FedtuneError('FT_ERR_STORE', `a group sum holds ${bytes.length} bytes for ${dimension} elements`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(dimension);
  for (let i = 0; i < dimension; i++) out[i] = view.getInt32(i * 4, true);
  return out;
}

/**
 * The round's aggregate from its groups' sums: the exact integer total (float64 holds it exactly
 * while fewer than 2^21 groups are added) on the grid 1/scale, and the mean over every survivor.
 * @throws FedtuneError FT_ERR_STORE when a group's sum is missing or of another length.
 */
export function combineGroups(groups: readonly GroupResult[], ring: RingParams, dimension: number): FitAggregate {
  const total = new Float64Array(dimension);
  let count = 0;
  for (const g of groups) {
    if (g.sum === null || g.sum.length !== dimension) throw new FedtuneError('FT_ERR_STORE', `group ${g.instance} of round ${g.round} has no sum of ${dimension} elements`);
    for (let i = 0; i < dimension; i++) total[i]! += g.sum[i]!;
    count += g.survivors;
  }
  const meanDelta = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) meanDelta[i] = total[i]! / ring.scale / Math.max(1, count);
  return { meanDelta, count, totalExamples: 0, metrics: {}, grid: { sum: total, granularity: 1 / ring.scale, rounding: 'randomized' } };
}

/** Who took part, once each: a node reported by two groups (a stale session) is counted in the first. */
export function participantsOfGroups(groups: readonly GroupResult[]): Participation[] {
  const seen = new Map<string, Participation>();
  for (const g of groups) for (const p of g.detail.participants) if (!seen.has(p.node)) seen.set(p.node, p);
  return [...seen.values()];
}

/**
 * The round's summary from its groups: counts added, drops listed, stage times the slowest group's
 * (the groups ran in parallel), and one report per group.
 */
export function summariseGroups(round: number, groups: readonly GroupResult[], ring: RingParams, durationMs: number, evalSkipped: string): RoundSummary {
  const ok = groups.filter((g) => g.status === 'ok');
  const ran = groups.filter((g) => g.status !== 'skipped');
  const droppedDetail = ran.flatMap((g) => g.detail.droppedDetail);
  const stageMs: Record<string, number> = {};
  for (const g of ran) for (const [k, v] of Object.entries(g.detail.stageMs)) stageMs[k] = Math.max(stageMs[k] ?? 0, v);
  const survivors = ok.reduce((s, g) => s + g.survivors, 0);
  const bytes = ok.filter((g) => g.detail.uploadBytesPerClient !== null);
  const reports: GroupReport[] = groups.map((g) => ({
    instance: g.instance,
    status: g.status,
    selected: g.selected,
    survivors: g.survivors,
    unmaskMs: g.detail.stageMs.unmaskMasks ?? null,
    durationMs: g.detail.durationMs,
    reason: g.detail.reason,
  }));
  const why = groups.length === 0 ? 'no instance reported a group' : groups.map((g) => `${g.instance.slice(0, 8)}: ${g.detail.reason ?? g.status}`).join('; ');
  return {
    round,
    status: ok.length > 0 ? 'completed' : 'aborted',
    abortReason: ok.length > 0 ? null : `no group produced a sum (${why})`.slice(0, 2048),
    selected: ran.reduce((s, g) => s + g.selected, 0),
    survivors,
    dropped: droppedDetail.length,
    droppedDetail,
    ...unfilledByLaterStages(),
    evalSkipped,
    uploadBytesPerClient: bytes.length === 0 ? null : bytes.reduce((s, g) => s + g.detail.uploadBytesPerClient! * g.survivors, 0) / Math.max(1, bytes.reduce((s, g) => s + g.survivors, 0)),
    durationMs,
    modelVersion: null,
    secagg: ran.length === 0 ? null : { stageMs, degree: Math.max(...ran.map((g) => g.detail.degree ?? 0)) || null, threshold: Math.max(...ran.map((g) => g.detail.threshold ?? 0)) || null, bits: ring.bits, scale: ring.scale },
    groups: reports,
  };
}
