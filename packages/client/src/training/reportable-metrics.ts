// Which training metrics a node may send with its update. A metric such as trainLoss is an
// un-noised function of the node's private records, so once a round runs under differential
// privacy it would leak outside the guarantee the accountant reports (McMahan et al. 2018 bound
// only the model update). Under DP the node therefore sends only what accounting needs.
import type { TrainConfig } from '@fedtune/shared';

/** Metrics a local DP-SGD node reports for the coordinator's ledger: its own spent epsilon. */
const ACCOUNTING_METRICS = ['epsilon'] as const;

/**
 * The subset of `metrics` that may leave the node for a round configured by `config`:
 * everything without DP; under `local-sgd` only the accounting metrics; under `central` or
 * `distributed` nothing (the update is the only thing the coordinator learns, and its weight is
 * uniform).
 */
export function reportableMetrics(config: TrainConfig, metrics: Readonly<Record<string, number>>): Record<string, number> {
  const mode = config['dpMode'];
  if (mode === undefined || mode === 'off') return { ...metrics };
  if (mode !== 'local-sgd') return {};
  const out: Record<string, number> = {};
  for (const k of ACCOUNTING_METRICS) if (metrics[k] !== undefined) out[k] = metrics[k];
  return out;
}
