// The server-optimiser interface (Flower's shape: configure and aggregate come in pairs). Wrappers
// such as DP add behaviour around an inner strategy instead of being special-cased inside it.
import type { FitBegin, LedgerEntry, Metrics, TrainConfig } from '@fedtune/shared';

/**
 * The survivors' deltas summed exactly on a grid: `sum` holds integers (multiples of
 * `granularity` in model units), so noise added to it on the same grid is exact (Mironov 2012).
 * `rounding` says how each delta reached the grid: to the nearest point (the coordinator's
 * central-DP aggregator) or by unbiased randomized rounding at the node (SecAgg's ring encoding).
 */
export interface GridSum {
  readonly sum: Float64Array;
  readonly granularity: number;
  readonly rounding: 'nearest' | 'randomized';
}

/** What collection hands to a strategy: the (weighted) mean delta of the round's survivors. */
export interface FitAggregate {
  /**
   * Mean of the survivors' deltas, weighted as the collector was configured. Empty when only
   * `grid` is given (central DP: the DP wrapper releases the mean from the noised grid sum).
   */
  meanDelta: Float32Array;
  /** The exact sum on a grid, when the aggregation produced one (SecAgg, central DP). */
  grid?: GridSum;
  /** Survivors whose deltas are in the mean. */
  count: number;
  /** Sum of their example counts. */
  totalExamples: number;
  /** Example-weighted mean of each reported metric. */
  metrics: Metrics;
  /** The largest value of each reported metric (e.g. a node's own epsilon under local DP-SGD). */
  metricsMax?: Metrics;
}

export interface EvaluateReport {
  numExamples: number;
  loss: number;
  metrics: Metrics;
}

export interface EvaluateAggregate {
  count: number;
  totalExamples: number;
  /** Example-weighted mean loss; null when nobody reported. */
  loss: number | null;
  metrics: Metrics;
}

/** What the engine knows of a round before it starts, for wrappers that plan around it. */
export interface RoundContext {
  round: number;
  selected: number;
  /** User-level sampling rate q (Poisson rate, or K over the population). */
  samplingRate: number;
  dimension: number;
  secagg: boolean;
  bits: number;
  /** N: the population the sampling rate was computed over (enrolled or known nodes). */
  population: number;
}

/** Folds in each update of a round as it completes; the engine's default is the plain weighted mean. */
export interface UpdateAggregator {
  /** @throws FedtuneError for an update the aggregator refuses (the node is dropped from the round). */
  add(delta: Float32Array, numExamples: number, metrics: Metrics): void;
  finish(): FitAggregate;
}

/** A wrapper's requirements for the round: a ring with noise headroom, a survivor minimum, or a stop. */
export interface RoundRequirements {
  /** Stop training before this round, with this reason (e.g. the privacy budget). */
  stop?: string;
  /** SecAgg ring to use instead of the default one (e.g. with room for distributed noise). */
  ring?: import('@fedtune/shared').RingParams;
  /** SecAgg must not unmask a sum of fewer inputs than this. */
  minSurvivors?: number;
  /** L2 clip every node applies to its delta before anything leaves it. */
  clip?: number;
  /** Aggregates this round's updates in the clear instead of the engine's weighted mean (central DP). */
  aggregator?: UpdateAggregator;
  /**
   * Fewest results this round aggregates, instead of the configured minimum. Central DP sets 0: a
   * round releases its noised sum whoever took part, since aborting when too few were sampled
   * would itself reveal whether a node was (an output the sampled-Gaussian accounting does not charge).
   */
  minResults?: number;
}

export interface Strategy {
  readonly name: string;
  /** Optional: plan the round before any instruction goes out. */
  prepareRound?(ctx: RoundContext): RoundRequirements;
  /**
   * Optional: refuses a node's fit:begin that does not meet the round's requirements (e.g. a DP
   * round whose attestation is missing or weaker than asked). @throws FedtuneError.
   */
  checkFitBegin?(node: string, message: FitBegin): void;
  /** Optional: privacy spent so far, for reports and metrics. */
  privacySpent?(): { epsilon: number; delta: number } | null;
  /** Optional: the privacy ledger's entries so far (the store keeps them row by row, committed with their round). */
  ledger?(): readonly LedgerEntry[];
  /** Optional: the plan of the round in flight, as JSON (DP: what nodes must attest and what the ledger charges). */
  roundPlan?(): unknown;
  /** Optional: takes over a round planned by another instance (several instances, issue 13), to release it as planned. */
  adoptRoundPlan?(plan: unknown): void;
  /** Optional: records the round in flight in the privacy ledger without a step (its release happened elsewhere). */
  chargeRoundPlan?(): void;
  /** Optional: durable state (momentum, moments, a privacy ledger) kept across restarts. */
  saveState?(): unknown;
  loadState?(state: unknown): void;
  /** Training config for this round's fit instructions. */
  configureFit(round: number, base: TrainConfig): TrainConfig;
  /** New global weights from the current ones and the round's aggregate. Must not mutate `global`. */
  aggregateFit(round: number, global: Float32Array, aggregate: FitAggregate): Float32Array;
  /** Config for this round's evaluate instructions. */
  configureEvaluate(round: number, base: TrainConfig): TrainConfig;
  /** Combines evaluation reports, weighted by example count. */
  aggregateEvaluate(round: number, reports: readonly EvaluateReport[]): EvaluateAggregate;
}

/** Example-weighted means of loss and every metric all reports share. */
export function weightedEvaluate(reports: readonly EvaluateReport[]): EvaluateAggregate {
  const total = reports.reduce((s, r) => s + r.numExamples, 0);
  if (reports.length === 0 || total === 0) return { count: reports.length, totalExamples: total, loss: null, metrics: {} };
  const loss = reports.reduce((s, r) => s + r.numExamples * r.loss, 0) / total;
  return { count: reports.length, totalExamples: total, loss, metrics: weightedMetrics(reports) };
}

/** Example-weighted mean of each metric name present in every item. */
export function weightedMetrics(items: readonly { numExamples: number; metrics: Metrics }[]): Metrics {
  const total = items.reduce((s, r) => s + r.numExamples, 0);
  const first = items[0];
  if (first === undefined || total === 0) return {};
  const out: Metrics = {};
  for (const name of Object.keys(first.metrics)) {
    if (!items.every((r) => Number.isFinite(r.metrics[name]))) continue;
    out[name] = items.reduce((s, r) => s + r.numExamples * r.metrics[name]!, 0) / total;
  }
  return out;
}

/** Packs a float32 vector for a JSON state file (base64 of its little-endian bytes). */
export function packFloats(v: Float32Array | null): string | null {
  return v === null ? null : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

/** The inverse of {@link packFloats}. @throws RangeError on a string that is not whole float32s. */
export function unpackFloats(s: unknown): Float32Array | null {
  if (s === null || s === undefined) return null;
  if (typeof s !== 'string') throw new RangeError('saved strategy state is not a base64 string');
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length % 4 !== 0) throw new RangeError(`saved strategy state has ${bytes.length} bytes, not whole float32s`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}
