// Differential privacy as a strategy wrapper (DP-FedAvg, McMahan et al. 2018; Flower's
// DifferentialPrivacy*Fixed wrappers have the same shape): it asks nodes to clip (and, in
// distributed mode, to add integer noise before masking; in local-sgd mode, to run DP-SGD), counts
// only updates whose node attests it applied what the round required, checks and snaps clear
// updates in central mode and adds exact discrete Gaussian noise on that grid (central-grid.ts),
// divides by the fixed expected cohort, records each round in the privacy ledger, and stops at the
// budget. The inner strategy only ever sees a noised mean.
import { FedtuneError, discreteGaussianVector, type FitBegin, type LedgerEntry, type RandomSource, type TrainConfig } from '@fedtune/shared';
import type { EvaluateReport, FitAggregate, RoundContext, RoundRequirements, Strategy } from '../strategy/strategy.js';
import { ClippedGridAggregator, gridSensitivity, releaseOnGrid } from './central-grid.js';
import type { DpRoundPlan, PrivacyController } from './privacy-controller.js';

/** Relative slack when comparing an attested float to the round's parameter (it was echoed back). */
const ECHO_SLACK = 1e-12;

/**
 * Checks a node's attestation against a round's plan: central and distributed, a clip no larger
 * than C (and in distributed mode a noise variance no smaller than planned); local-sgd, a noise
 * multiplier no smaller than `localNoise` and a finite epsilon, which it returns (null otherwise).
 * @throws FedtuneError FT_ERR_DP_REFUSED naming what is missing or too weak.
 */
export function checkDpAttestation(p: DpRoundPlan, message: FitBegin, localNoise: number): number | null {
  const refused = (why: string) => new FedtuneError('FT_ERR_DP_REFUSED', `round ${p.round} runs ${p.mode} DP: ${why}`);
  const a = message.dp;
  if (a === undefined) throw refused('the update carries no attestation');
  if (a.mode !== p.mode) throw refused(`the node attests ${a.mode}`);
  if (p.mode === 'local-sgd') {
    if (a.noiseMultiplier === undefined || a.noiseMultiplier < localNoise * (1 - ECHO_SLACK)) throw refused(`noise multiplier ${a.noiseMultiplier ?? 'missing'} < ${localNoise}`);
    if (a.epsilon === undefined || !Number.isFinite(a.epsilon)) throw refused('no finite epsilon attested');
    return a.epsilon;
  }
  if (a.l2Clip > p.clip * (1 + ECHO_SLACK)) throw refused(`clip ${a.l2Clip} > ${p.clip}`);
  if (p.mode === 'distributed' && (a.localVariance === undefined || a.localVariance < p.localVariance! * (1 - ECHO_SLACK))) {
    throw refused(`noise variance ${a.localVariance ?? 'missing'} < ${p.localVariance}`);
  }
  return null;
}

export class DpStrategy implements Strategy {
  readonly name: string;
  private plan: DpRoundPlan | null = null;
  private localEpsilon: number | null = null;

  /** `random` draws the noise: it must be the OS CSPRNG, never a seeded source (issue 15). */
  constructor(
    private readonly inner: Strategy,
    private readonly controller: PrivacyController,
    private readonly random: RandomSource,
  ) {
    this.name = `dp-${controller.settings.mode}(${inner.name})`;
  }

  prepareRound(ctx: RoundContext): RoundRequirements {
    const inner = this.inner.prepareRound?.(ctx) ?? {};
    const plan = this.controller.planRound(ctx);
    const stop = this.controller.refuse(plan);
    if (stop !== null) return { stop };
    this.plan = plan;
    return {
      ...inner,
      ...(plan.mode === 'central' || plan.mode === 'distributed' ? { clip: plan.clip } : {}),
      ...(plan.ring === undefined ? {} : { ring: plan.ring }),
      ...(plan.minSurvivors === undefined ? {} : { minSurvivors: plan.minSurvivors }),
      // Central DP releases every round, even one nobody took part in (see RoundRequirements.minResults).
      ...(plan.granularity === undefined ? {} : { aggregator: new ClippedGridAggregator(ctx.dimension, plan.clip, plan.granularity), minResults: 0 }),
    };
  }

  configureFit(round: number, base: TrainConfig): TrainConfig {
    const cfg = this.inner.configureFit(round, base);
    const p = this.plan;
    const s = this.controller.settings;
    if (p === null || p.mode === 'off') return cfg;
    if (p.mode === 'local-sgd') {
      return { ...cfg, dpMode: 'local-sgd', dpLocalNoise: this.localNoise(), dpLocalClip: s.localClip ?? 1, dpDelta: s.delta };
    }
    return {
      ...cfg,
      dpMode: p.mode,
      dpClip: p.clip,
      ...(p.localVariance === undefined ? {} : { dpLocalVariance: p.localVariance }),
      ...(p.noise === undefined ? {} : { dpNoise: p.noise }),
    };
  }

  /**
   * Counts a node's update only if it attests the round's mode at parameters at least as private
   * as asked (see checkDpAttestation); a local-sgd node's epsilon is what the run's epsilon reports.
   * @throws FedtuneError FT_ERR_DP_REFUSED naming what is missing or too weak.
   */
  checkFitBegin(node: string, message: FitBegin): void {
    this.inner.checkFitBegin?.(node, message);
    const p = this.plan;
    if (p === null || p.mode === 'off') return;
    const epsilon = checkDpAttestation(p, message, this.localNoise());
    if (epsilon !== null) this.localEpsilon = Math.max(this.localEpsilon ?? 0, epsilon);
  }

  /** The plan of the round in flight (what the instances of a cluster check attestations against), or null. */
  roundPlan(): DpRoundPlan | null {
    return this.plan;
  }

  /**
   * Takes over a round another instance planned (a new leader finishing its predecessor's round):
   * the stored plan is released and charged exactly as planned, never re-planned.
   */
  adoptRoundPlan(plan: unknown): void {
    const p = plan as DpRoundPlan | null;
    if (p !== null && (typeof p !== 'object' || p.mode !== this.controller.settings.mode || !Number.isSafeInteger(p.round))) {
      throw new FedtuneError('FT_ERR_STORE', `the stored round plan is not a ${this.controller.settings.mode} DP plan`);
    }
    this.plan = p;
  }

  /**
   * Charges the round in flight without stepping (several instances: group sums were written, so
   * the round released them, but the server step was unusable).
   */
  chargeRoundPlan(): void {
    if (this.plan !== null) this.controller.record(this.plan);
    this.plan = null;
  }

  aggregateFit(round: number, global: Float32Array, aggregate: FitAggregate): Float32Array {
    const p = this.plan;
    let agg = aggregate;
    if (p !== null && (p.mode === 'central' || p.mode === 'distributed')) {
      const grid = aggregate.grid;
      if (grid === undefined) throw new FedtuneError('FT_ERR_INTERNAL', `${p.mode} DP needs the exact grid sum of the round`);
      let noise: Float64Array | null = null;
      if (p.mode === 'central') {
        // Noise scaled to the snapped updates' sensitivity, so z is exactly what the ledger records.
        const sensitivity = gridSensitivity(p.clip, grid.granularity, grid.sum.length, grid.rounding);
        noise = discreteGaussianVector(this.random, (p.noiseMultiplier * sensitivity) ** 2, grid.sum.length);
      }
      agg = { meanDelta: releaseOnGrid(grid, noise, p.denominator!), count: aggregate.count, totalExamples: 0, metrics: {} };
    }
    if (p !== null) this.controller.record(p);
    this.plan = null;
    return this.inner.aggregateFit(round, global, agg);
  }

  configureEvaluate(round: number, base: TrainConfig): TrainConfig {
    return this.inner.configureEvaluate(round, base);
  }

  aggregateEvaluate(round: number, reports: readonly EvaluateReport[]) {
    return this.inner.aggregateEvaluate(round, reports);
  }

  privacySpent(): { epsilon: number; delta: number } | null {
    const s = this.controller.settings;
    if (s.mode === 'off') return null;
    if (s.mode === 'local-sgd') return this.localEpsilon === null ? null : { epsilon: this.localEpsilon, delta: s.delta };
    return { epsilon: this.controller.epsilonSoFar(), delta: s.delta };
  }

  ledger(): readonly LedgerEntry[] {
    return this.controller.entries;
  }

  saveState(): unknown {
    return { ledger: this.controller.toJSON(), localEpsilon: this.localEpsilon, inner: this.inner.saveState?.() ?? null };
  }

  loadState(state: unknown): void {
    const s = state as { ledger?: unknown; localEpsilon?: number | null; inner?: unknown };
    if (s.ledger !== undefined) this.controller.restore(s.ledger);
    this.localEpsilon = s.localEpsilon ?? null;
    if (s.inner !== undefined && s.inner !== null) this.inner.loadState?.(s.inner);
  }

  private localNoise(): number {
    return this.controller.settings.localNoiseMultiplier ?? 1;
  }
}
