// What a fit instruction asks of a node under differential privacy (DP-FedAvg, McMahan et al.
// 2018; distributed noise, Kairouz, Liu, Steinke 2021 / Agarwal, Kairouz, Liu 2021; local DP-SGD,
// Abadi et al. 2016), read from the round's config and checked before training, so a node never
// sends an update that is not private when the round says it must be.
import { FedtuneError, type FitInstruction, type TrainConfig } from '@fedtune/shared';
import type { DpSgdRequest } from './dp-sgd-capable.js';

export type DpRound =
  | { readonly mode: 'central'; readonly clip: number }
  | { readonly mode: 'distributed'; readonly clip: number; readonly localVariance: number; readonly noise: 'discrete-gaussian' | 'skellam' }
  | { readonly mode: 'local-sgd' };

function positive(config: TrainConfig, key: string, mode: string): number {
  const v = config[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw new FedtuneError('FT_ERR_DP_REFUSED', `a ${mode} round needs ${key} > 0, got ${String(v)}`);
  return v;
}

/**
 * The round's DP requirements, or null when it runs without DP.
 * @throws FedtuneError FT_ERR_DP_REFUSED for an unknown mode, a distributed round without secure
 * aggregation, or a missing or non-positive clip or noise parameter.
 */
export function dpRoundOf(config: TrainConfig, secagg: FitInstruction['secagg']): DpRound | null {
  const mode = config['dpMode'];
  if (mode === undefined || mode === 'off') return null;
  if (mode === 'central') return { mode, clip: positive(config, 'dpClip', mode) };
  if (mode === 'distributed') {
    if (secagg === undefined) throw new FedtuneError('FT_ERR_DP_REFUSED', 'a distributed-DP round must come through secure aggregation');
    const noise = config['dpNoise'] ?? 'discrete-gaussian';
    if (noise !== 'discrete-gaussian' && noise !== 'skellam') throw new FedtuneError('FT_ERR_DP_REFUSED', `unknown distributed noise ${String(noise)}`);
    return { mode, clip: positive(config, 'dpClip', mode), localVariance: positive(config, 'dpLocalVariance', mode), noise };
  }
  if (mode === 'local-sgd') {
    localSgdRequest(config);
    return { mode };
  }
  throw new FedtuneError('FT_ERR_DP_REFUSED', `unknown DP mode ${JSON.stringify(mode)}`);
}

/** A local-sgd round's DP-SGD parameters. @throws FedtuneError FT_ERR_DP_REFUSED when missing or out of range. */
export function localSgdRequest(config: TrainConfig): DpSgdRequest {
  const delta = positive(config, 'dpDelta', 'local-sgd');
  if (!(delta < 1)) throw new FedtuneError('FT_ERR_DP_REFUSED', `dpDelta must be in (0, 1), got ${delta}`);
  return { noiseMultiplier: positive(config, 'dpLocalNoise', 'local-sgd'), l2Clip: positive(config, 'dpLocalClip', 'local-sgd'), delta };
}
