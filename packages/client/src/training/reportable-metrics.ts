// Which training metrics a node may send with its update. A metric such as trainLoss is an
// un-noised function of the node's private records, so once a round runs under differential
// privacy it would leak outside the guarantee the accountant reports (McMahan et al. 2018 bound
// only the model update). Under DP the node therefore sends no metric at all: what accounting
// needs (a local DP-SGD node's epsilon) travels in the fit:begin attestation, a fixed field.
import type { TrainConfig } from '@fedtune/shared';

/**
 * The subset of `metrics` that may leave the node for a round configured by `config`: everything
 * without DP; nothing under any DP mode (the update is the only thing the coordinator learns).
 */
export function reportableMetrics(config: TrainConfig, metrics: Readonly<Record<string, number>>): Record<string, number> {
  const mode = config['dpMode'];
  return mode === undefined || mode === 'off' ? { ...metrics } : {};
}
