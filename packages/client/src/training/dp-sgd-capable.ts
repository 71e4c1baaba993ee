// What a trainer offers to run a `local-sgd` round: record-level DP-SGD (Abadi et al. 2016) at the
// noise multiplier and clip the coordinator asks for, and a report of what it applied, which the
// node attests in fit:begin so the coordinator counts only updates that were made privately.
import { FedtuneError, type TrainConfig } from '@fedtune/shared';
import type { FitOutcome, LocalTrainer } from './trainer.js';

/** The DP-SGD parameters a local-sgd round asks for. */
export interface DpSgdRequest {
  /** z: the noise multiplier each step must be accounted at, at least. */
  readonly noiseMultiplier: number;
  /** C: the per-record (or per-microbatch) L2 clip. */
  readonly l2Clip: number;
  /** The delta at which to report epsilon. */
  readonly delta: number;
}

/** What a DP-SGD fit applied: the node's attestation. */
export interface DpSgdApplied {
  /** The noise multiplier the steps are accounted at (z, or z / 2 with microbatches). */
  readonly noiseMultiplier: number;
  readonly l2Clip: number;
  /** Record-level epsilon of every step so far on this node's data, at `delta`. */
  readonly epsilon: number;
  readonly delta: number;
}

export interface DpSgdCapable {
  /**
   * Trains from the current weights with DP-SGD at least as private as `request`.
   * @throws FedtuneError FT_ERR_DP_REFUSED when it cannot (e.g. its noise is fixed below the request).
   */
  fitDpSgd(config: TrainConfig, request: DpSgdRequest): Promise<FitOutcome & { applied: DpSgdApplied }>;
}

/** Whether `trainer` can run a local-sgd round. */
export function isDpSgdCapable(trainer: LocalTrainer): trainer is LocalTrainer & DpSgdCapable {
  return typeof (trainer as Partial<DpSgdCapable>).fitDpSgd === 'function';
}

/**
 * For a trainer built with fixed DP-SGD parameters: refuses a request for more noise than it adds.
 * @throws FedtuneError FT_ERR_DP_REFUSED.
 */
export function assertMeetsRequest(request: DpSgdRequest, accountedNoiseMultiplier: number): void {
  if (!(accountedNoiseMultiplier >= request.noiseMultiplier)) {
    throw new FedtuneError('FT_ERR_DP_REFUSED', `the round asks for DP-SGD at noise multiplier ${request.noiseMultiplier}; this trainer's steps are accounted at ${accountedNoiseMultiplier}`);
  }
}
