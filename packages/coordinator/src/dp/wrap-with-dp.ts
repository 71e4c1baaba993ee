// Builds the configured strategy's DP wrapper (dp-strategy.ts) with its privacy controller, from the
// coordinator config: the planned sampling rate solves z for a target epsilon (McMahan et al. 2018).
import type { RandomSource } from '@fedtune/shared';
import type { CoordinatorConfig } from '../config.js';
import type { Strategy } from '../strategy/strategy.js';
import { clusterSettings, isClustered } from '../cluster/cluster-settings.js';
import { DpStrategy } from './dp-strategy.js';
import { PrivacyController } from './privacy-controller.js';

/** Wraps the strategy in DP when the config asks for it; the wrapper keeps the privacy ledger. `random` draws the noise (the OS CSPRNG). */
export function wrapWithDp(inner: Strategy, config: CoordinatorConfig, random: RandomSource): Strategy {
  const dp = config.dp;
  if (dp === undefined || dp.mode === 'off') return inner;
  const sel = config.selection;
  // The planned rate, to solve z for a target epsilon: the q selectUnderDp will use (K/N; without a
  // configured N, 1, the most a round can cost). Each round then records the rate it realised,
  // and the budget (targetEpsilon by default) refuses a round that would pass it.
  const samplingRate = sel.kind === 'poisson' ? sel.sampleRate : Math.min(1, sel.clientsPerRound / Math.max(1, config.population ?? sel.clientsPerRound));
  const controller = new PrivacyController(
    {
      mode: dp.mode,
      clip: dp.clip,
      delta: dp.delta,
      // Several instances: every group unmasks at least minGroupSize inputs, so each node's share of
      // the noise can be sized for that many (each group sum alone then has the target noise).
      minSurvivors: Math.max(dp.minSurvivors ?? config.minResults, isClustered(config) ? clusterSettings(config).minGroupSize : 0),
      noise: dp.noise,
      ...(dp.noiseMultiplier === undefined ? {} : { noiseMultiplier: dp.noiseMultiplier }),
      ...(dp.targetEpsilon === undefined ? {} : { targetEpsilon: dp.targetEpsilon }),
      ...(dp.budgetEpsilon === undefined ? {} : { budgetEpsilon: dp.budgetEpsilon }),
      ...(dp.localNoiseMultiplier === undefined ? {} : { localNoiseMultiplier: dp.localNoiseMultiplier }),
      ...(dp.localClip === undefined ? {} : { localClip: dp.localClip }),
    },
    { rounds: config.rounds, samplingRate },
  );
  return new DpStrategy(inner, controller, random);
}

