// The run's privacy budget and each round's DP parameters (DP-FedAvg, McMahan et al. 2018):
// solves the noise multiplier for a target epsilon over the planned rounds, sizes the distributed
// noise (discrete Gaussian, Kairouz, Liu, Steinke 2021; or Skellam, Agarwal, Kairouz, Liu 2021) for
// the minimum number of survivors and leaves ring headroom for it, and keeps the ledger that every
// completed round appends to.
import {
  FedtuneError,
  PrivacyLedger,
  RdpAccountant,
  calibrateNoiseMultiplier,
  chooseRingParams,
  distributedLocalVariance,
  ddgSensitivity,
  type DdgParams,
  type DpEvent,
  type LedgerEntry,
  type RingParams,
} from '@fedtune/shared';
import type { RoundContext } from '../strategy/strategy.js';
import { centralGranularity } from './central-grid.js';

export type DpMode = 'distributed' | 'central' | 'local-sgd' | 'off';
/** The integer noise nodes add in distributed mode. */
export type DistributedNoise = 'discrete-gaussian' | 'skellam';

export interface DpSettings {
  mode: DpMode;
  /** L2 clip bound C of each node's delta (central, distributed). */
  clip: number;
  /** z; or give targetEpsilon to solve it over `rounds`. */
  noiseMultiplier?: number;
  targetEpsilon?: number;
  delta: number;
  /** Stop before a round that would exceed this epsilon (default: targetEpsilon, if given). */
  budgetEpsilon?: number;
  /** Distributed: noise is sized so the sum over at least this many survivors has the target. */
  minSurvivors: number;
  /** Distributed: which integer noise the nodes add (default discrete-gaussian). */
  noise?: DistributedNoise;
  /** local-sgd: the DP-SGD parameters sent to nodes, which account for themselves. */
  localNoiseMultiplier?: number;
  localClip?: number;
}


export interface DpRoundPlan {
  mode: DpMode;
  round: number;
  clip: number;
  noiseMultiplier: number;
  samplingRate: number;
  /** Distributed: the ring (with noise headroom), the per-node variance in ring units, and the survivor minimum. */
  ring?: RingParams;
  localVariance?: number;
  noise?: DistributedNoise;
  minSurvivors?: number;
  /** Central, without SecAgg: the grid (model units per integer unit) clear updates are snapped to. */
  granularity?: number;
  /**
   * Central and distributed: the fixed denominator of the released mean, the expected cohort qN
   * (McMahan et al. 2018), never the realised survivor count (which depends on who took part).
   */
  denominator?: number;
  /** What the ledger records once the round completes. */
  event: DpEvent | null;
}

export class PrivacyController {
  private ledger: PrivacyLedger = new PrivacyLedger();
  private z: number | null;

  constructor(
    readonly settings: DpSettings,
    /** Planned rounds and their sampling rate, to solve z for a target epsilon. */
    private readonly planned: { rounds: number; samplingRate: number },
  ) {
    if (settings.mode === 'off' || settings.mode === 'local-sgd') {
      this.z = 0;
    } else if (settings.noiseMultiplier !== undefined) {
      if (!(settings.noiseMultiplier > 0)) throw new FedtuneError('FT_ERR_CONFIG', `dp.noiseMultiplier must be > 0, got ${settings.noiseMultiplier}`);
      this.z = settings.noiseMultiplier;
    } else if (settings.targetEpsilon !== undefined) {
      // Central: solvable now (the grid's discrete Gaussian, accounted at z whatever the grid).
      // Distributed: needs the model's dimension, so at the first round.
      this.z =
        settings.mode === 'central'
          ? calibrateNoiseMultiplier({
              targetEpsilon: settings.targetEpsilon,
              delta: settings.delta,
              epsilonFor: (z) => {
                const acc = new RdpAccountant();
                acc.compose({ ...this.centralEvent(z, planned.samplingRate), count: planned.rounds });
                return acc.epsilon(settings.delta).epsilon;
              },
            })
          : null;
    } else {
      throw new FedtuneError('FT_ERR_CONFIG', 'dp needs noiseMultiplier or targetEpsilon');
    }
  }

  /** The noise multiplier z (solved on first use for a distributed target epsilon). */
  noiseMultiplier(ctx?: RoundContext): number {
    if (this.z !== null) return this.z;
    if (ctx === undefined) throw new FedtuneError('FT_ERR_INTERNAL', 'noise multiplier not solved yet');
    const { targetEpsilon, delta } = this.settings;
    // Distributed integer noise costs slightly more than the Gaussian at the same z.
    this.z = calibrateNoiseMultiplier({
      targetEpsilon: targetEpsilon!,
      delta,
      epsilonFor: (z) => {
        const acc = new RdpAccountant();
        const params = this.distributedParams(z, ctx.dimension, this.ringFor(z, ctx.dimension, ctx.selected, ctx.bits));
        acc.compose({ ...this.distributedEvent(params, this.planned.samplingRate), count: this.planned.rounds });
        return acc.epsilon(delta).epsilon;
      },
    });
    return this.z;
  }

  get budget(): number | undefined {
    return this.settings.budgetEpsilon ?? this.settings.targetEpsilon;
  }

  /** Epsilon spent so far at the configured delta (0 before any round). */
  epsilonSoFar(): number {
    return this.ledger.entries.length === 0 ? 0 : this.ledger.epsilonSoFar(this.settings.delta).epsilon;
  }

  /** The plan for one round. @throws FedtuneError FT_ERR_CONFIG when distributed noise has no SecAgg. */
  planRound(ctx: RoundContext): DpRoundPlan {
    const s = this.settings;
    const z = this.noiseMultiplier(ctx);
    const base = { mode: s.mode, round: ctx.round, clip: s.clip, noiseMultiplier: z, samplingRate: ctx.samplingRate };
    if (s.mode === 'off' || s.mode === 'local-sgd') return { ...base, event: null };
    // An expected cohort below one node would inflate the mean; dividing by more is still post-processing.
    const denominator = Math.max(1, ctx.samplingRate * ctx.population);
    if (s.mode === 'central') {
      return {
        ...base,
        denominator,
        ...(ctx.secagg ? {} : { granularity: centralGranularity(s.clip, ctx.dimension) }),
        event: this.centralEvent(z, ctx.samplingRate),
      };
    }
    if (!ctx.secagg) throw new FedtuneError('FT_ERR_CONFIG', 'dp mode distributed needs secure aggregation (nobody may see an un-noised value)');
    const ring = this.ringFor(z, ctx.dimension, ctx.selected, ctx.bits);
    const params = this.distributedParams(z, ctx.dimension, ring);
    const event = this.distributedEvent(params, ctx.samplingRate);
    return { ...base, ring, denominator, localVariance: params.localVariance, noise: s.noise ?? 'discrete-gaussian', minSurvivors: s.minSurvivors, event };
  }

  /** Would running this round take the run past its budget? Returns why, or null. */
  refuse(plan: DpRoundPlan): string | null {
    const budget = this.budget;
    if (budget === undefined || plan.event === null) return null;
    const next: LedgerEntry = this.entry(plan);
    if (this.ledger.wouldExceed({ epsilon: budget, delta: this.settings.delta }, next)) {
      const eps = this.ledger.epsilonWith(this.settings.delta, next).epsilon;
      return `privacy budget exhausted: round ${plan.round} would bring epsilon to ${eps.toFixed(4)} > ${budget} at delta ${this.settings.delta}`;
    }
    return null;
  }

  /** Appends a completed round. */
  record(plan: DpRoundPlan): void {
    if (plan.event !== null) this.ledger = this.ledger.append(this.entry(plan));
  }

  /** Every round recorded so far, in order. */
  get entries(): readonly LedgerEntry[] {
    return this.ledger.entries;
  }

  toJSON(): unknown {
    return this.ledger.toJSON();
  }

  restore(saved: unknown): void {
    this.ledger = PrivacyLedger.fromJSON(saved);
  }

  private entry(plan: DpRoundPlan): LedgerEntry {
    return { round: plan.round, mode: plan.mode as 'distributed' | 'central', clip: plan.clip, event: plan.event! };
  }

  /**
   * The ring for distributed noise. Each node contributes at most C*S + 1 per coordinate (value and
   * rounding) plus 12 sigma of noise, with sigma = z (C*S + sqrt(d)) / sqrt(t) growing with the
   * scale S, so the largest S with C*S + 1 + 12 sigma(S) <= clientBound is solved directly, rounded
   * down to a power of two, and validated by chooseRingParams.
   * @throws FedtuneError FT_ERR_CONFIG when the noise alone cannot fit (too many nodes for b bits).
   */
  private ringFor(z: number, dimension: number, selected: number, bits: number): RingParams {
    const n = Math.max(1, selected);
    const { clientBound } = chooseRingParams({ maxSummands: n, l2Clip: this.settings.clip, bits });
    const t = this.settings.minSurvivors;
    const k = (12 * z) / Math.sqrt(t);
    const room = clientBound - 1 - k * Math.sqrt(dimension);
    const maxScale = room / (this.settings.clip * (1 + k));
    if (!(maxScale >= 1)) {
      throw new FedtuneError('FT_ERR_CONFIG', `a ${bits}-bit ring cannot hold ${n} nodes with distributed noise z=${z.toFixed(3)} over ${t} survivors in ${dimension} dimensions`);
    }
    const scale = 2 ** Math.floor(Math.log2(maxScale));
    const { l2 } = ddgSensitivity({ clip: this.settings.clip, granularity: 1 / scale, dimension, beta: 0 });
    return chooseRingParams({ maxSummands: n, l2Clip: this.settings.clip + 1 / scale, bits, scale, noiseStd: Math.sqrt(distributedLocalVariance(z, l2, t)) });
  }

  /**
   * Each node's share of the noise, sized so the sum over minSurvivors has stddev z * Delta_2 in
   * ring units, with the randomized-rounding sensitivities (beta = 0) both mechanisms account with.
   */
  private distributedParams(z: number, dimension: number, ring: RingParams): DdgParams {
    const { l2, l1 } = ddgSensitivity({ clip: this.settings.clip, granularity: 1 / ring.scale, dimension, beta: 0 });
    return { l2Sensitivity: l2, l1Sensitivity: l1, localVariance: distributedLocalVariance(z, l2, this.settings.minSurvivors), nodes: this.settings.minSurvivors, dimension };
  }

  /** Central mode's event: the grid's discrete Gaussian at z = sigma / Delta, nodes Poisson-sampled at q. */
  private centralEvent(z: number, samplingRate: number): DpEvent {
    return { kind: 'sampled-discrete-gaussian', samplingRate, noiseMultiplier: z };
  }

  /** The round's privacy event under the configured mechanism. */
  private distributedEvent(params: DdgParams, samplingRate: number): DpEvent {
    return this.settings.noise === 'skellam'
      ? { kind: 'distributed-skellam', samplingRate, skellam: params }
      : { kind: 'distributed-discrete-gaussian', samplingRate, ddg: params };
  }

}
