// Differential privacy as a strategy wrapper (DP-FedAvg, McMahan et al. 2018; Flower's
// DifferentialPrivacy*Fixed wrappers have the same shape): it asks nodes to clip (and, in
// distributed mode, to add discrete Gaussian noise before masking), adds Gaussian noise to the sum
// itself in central mode, records each round in the privacy ledger, and stops at the budget. The
// inner strategy only ever sees a noised mean.
import { gaussianNoiseOnGrid, type RandomSource, type TrainConfig } from '@fedtune/shared';
import type { EvaluateReport, FitAggregate, RoundContext, RoundRequirements, Strategy } from '../strategy/strategy.js';
import type { DpRoundPlan, PrivacyController } from './privacy-controller.js';

export class DpStrategy implements Strategy {
  readonly name: string;
  private plan: DpRoundPlan | null = null;
  private localEpsilon: number | null = null;

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
    };
  }

  configureFit(round: number, base: TrainConfig): TrainConfig {
    const cfg = this.inner.configureFit(round, base);
    const p = this.plan;
    const s = this.controller.settings;
    if (p === null || p.mode === 'off') return cfg;
    if (p.mode === 'local-sgd') {
      return { ...cfg, dpMode: 'local-sgd', dpLocalNoise: s.localNoiseMultiplier ?? 1, dpLocalClip: s.localClip ?? 1, dpDelta: s.delta };
    }
    return {
      ...cfg,
      dpMode: p.mode,
      dpClip: p.clip,
      ...(p.localVariance === undefined ? {} : { dpLocalVariance: p.localVariance }),
      ...(p.noise === undefined ? {} : { dpNoise: p.noise }),
    };
  }

  aggregateFit(round: number, global: Float32Array, aggregate: FitAggregate): Float32Array {
    const p = this.plan;
    let agg = aggregate;
    if (p?.mode === 'central' && p.centralSigma !== undefined) {
      // Noise on the sum (sensitivity C per node), then the mean: exact discrete Gaussian on a fine
      // grid, so the floating-point attack on naive Gaussian samplers (Mironov 2012) does not apply.
      const sigma = p.centralSigma;
      const noise = gaussianNoiseOnGrid(this.random, sigma, sigma / 1024, aggregate.meanDelta.length);
      const mean = new Float32Array(aggregate.meanDelta.length);
      for (let i = 0; i < mean.length; i++) mean[i] = (aggregate.meanDelta[i]! * aggregate.count + noise[i]!) / aggregate.count;
      agg = { ...aggregate, meanDelta: mean };
    }
    if (p?.mode === 'local-sgd') {
      const eps = aggregate.metricsMax?.epsilon;
      if (eps !== undefined && Number.isFinite(eps)) this.localEpsilon = Math.max(this.localEpsilon ?? 0, eps);
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

  saveState(): unknown {
    return { ledger: this.controller.toJSON(), localEpsilon: this.localEpsilon, inner: this.inner.saveState?.() ?? null };
  }

  loadState(state: unknown): void {
    const s = state as { ledger?: unknown; localEpsilon?: number | null; inner?: unknown };
    if (s.ledger !== undefined) this.controller.restore(s.ledger);
    this.localEpsilon = s.localEpsilon ?? null;
    if (s.inner !== undefined && s.inner !== null) this.inner.loadState?.(s.inner);
  }
}
