// A node's trainer that runs whatever a round asks for: plain training, or, for a `local-sgd`
// round, record-level DP-SGD (Abadi et al. 2016) at the requested noise multiplier and clip, by a
// DP-SGD trainer over the same model, built on first request and rebuilt when the request
// changes. One node-local RDP accountant (Mironov 2017: RDP composes by addition) counts every DP
// step on this node's records across those trainers, so the epsilon the node attests covers all of
// them. This is what `fedtune-client join` runs, for tabular and language models alike.
import { RdpAccountant, type TrainConfig } from '@fedtune/shared';
import type { DpSgdApplied, DpSgdCapable, DpSgdRequest } from './dp-sgd-capable.js';
import type { SampledGaussianEvent } from './dp-sgd-trainer.js';
import type { EvaluateOutcome, FitOutcome, LocalTrainer } from './trainer.js';

/** A DP-SGD trainer over the same model as the plain one, for these parameters. */
export type DpSgdTrainerFactory = (
  parameters: DpSgdRequest & { batchSize: number },
) => Promise<LocalTrainer & DpSgdCapable & { readonly lastFitEvent: SampledGaussianEvent | null }>;

export class DpSgdOnDemand implements LocalTrainer, DpSgdCapable {
  readonly tensors;
  readonly backend: string;
  private dp: { key: string; trainer: Awaited<ReturnType<DpSgdTrainerFactory>> } | null = null;
  /** The trainer whose host copy of the weights is current (the one that trained last). */
  private active: LocalTrainer;
  private readonly accountant = new RdpAccountant();
  /** The last event composed, so a failed request that took no step is not counted twice. */
  private composed: SampledGaussianEvent | null = null;

  /**
   * @param plain the node's ordinary trainer; it owns the model (dispose frees it once).
   * @param factory builds a DP-SGD trainer over the same model (its noise from the OS CSPRNG).
   * @param defaultBatchSize expected records per DP-SGD step when the round's config names none.
   */
  constructor(
    private readonly plain: LocalTrainer,
    private readonly factory: DpSgdTrainerFactory,
    private readonly defaultBatchSize: number,
  ) {
    this.tensors = plain.tensors;
    this.backend = plain.backend;
    this.active = plain;
  }

  getWeights(): Float32Array {
    return this.active.getWeights();
  }

  setWeights(data: Float32Array): void {
    this.plain.setWeights(data);
    this.dp?.trainer.setWeights(data);
    this.active = this.plain;
  }

  fit(config: TrainConfig): Promise<FitOutcome> {
    this.active = this.plain;
    return this.plain.fit(config);
  }

  /**
   * Trains with DP-SGD at the request's (z, C), the expected batch from config.batchSize, and
   * reports the node's epsilon over every DP step so far.
   * @throws FedtuneError FT_ERR_DP_REFUSED or whatever the DP-SGD trainer throws.
   */
  async fitDpSgd(config: TrainConfig, request: DpSgdRequest): Promise<FitOutcome & { applied: DpSgdApplied }> {
    const batchSize = typeof config.batchSize === 'number' && Number.isSafeInteger(config.batchSize) && config.batchSize >= 1 ? config.batchSize : this.defaultBatchSize;
    const key = `${request.noiseMultiplier}/${request.l2Clip}/${batchSize}`;
    if (this.dp?.key !== key) {
      // The model already holds the round's weights (setWeights wrote them through the plain trainer).
      this.dp = { key, trainer: await this.factory({ ...request, batchSize }) };
    }
    const trainer = this.dp.trainer;
    this.active = trainer;
    try {
      const out = await trainer.fitDpSgd(config, request);
      return { ...out, applied: { ...out.applied, epsilon: this.composedEpsilon(trainer, request.delta) } };
    } catch (err) {
      // Steps taken before a failure still spent privacy.
      this.composedEpsilon(trainer, request.delta);
      throw err;
    }
  }

  evaluate(config: TrainConfig): Promise<EvaluateOutcome> {
    return this.plain.evaluate(config);
  }

  dispose(): void {
    // The DP-SGD trainers wrap the same model: disposing the plain trainer frees it once.
    this.plain.dispose();
  }

  private composedEpsilon(trainer: { readonly lastFitEvent: SampledGaussianEvent | null }, delta: number): number {
    const event = trainer.lastFitEvent;
    if (event !== null && event !== this.composed && (event.count ?? 1) > 0) this.accountant.compose(event);
    this.composed = event;
    return this.accountant.epsilon(delta).epsilon;
  }
}
