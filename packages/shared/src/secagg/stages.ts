// The ordered stages of one secure-aggregation round (Bonawitz et al. 2017 §4, Fig. 4: rounds 0-4)
// and the single transition rule both client and coordinator follow.
import { FedtuneError } from '../errors/catalogue.js';

/** Every stage, in protocol order. ConsistencyCheck runs in active mode only. */
export const SECAGG_STAGES = ['AdvertiseKeys', 'ShareKeys', 'MaskedInput', 'ConsistencyCheck', 'Unmask'] as const;
export type SecAggStage = (typeof SECAGG_STAGES)[number];
/** A finished (unmasked or aborted) round expects nothing more. */
export type SecAggStageOrDone = SecAggStage | 'Done';

/** @returns whether `value` names a stage. */
export function isSecAggStage(value: unknown): value is SecAggStage {
  return typeof value === 'string' && (SECAGG_STAGES as readonly string[]).includes(value);
}

/**
 * The stage after `current`: the next in {@link SECAGG_STAGES}, skipping ConsistencyCheck unless
 * `activeMode`; 'Done' after Unmask.
 * @throws TypeError for an unknown stage; FedtuneError FT_ERR_STAGE for ConsistencyCheck outside active mode.
 */
export function nextStage(current: SecAggStage, activeMode: boolean): SecAggStageOrDone {
  if (!isSecAggStage(current)) throw new TypeError(`current must be a SecAgg stage, got ${String(current)}`);
  if (current === 'ConsistencyCheck' && !activeMode) throw new FedtuneError('FT_ERR_STAGE', 'ConsistencyCheck runs only in active mode');
  const i = SECAGG_STAGES.indexOf(current);
  const next = SECAGG_STAGES[i + 1];
  if (next === undefined) return 'Done';
  if (next === 'ConsistencyCheck' && !activeMode) return 'Unmask';
  return next;
}

/**
 * Refuses a message for any stage but the expected one.
 * @throws FedtuneError FT_ERR_STAGE naming both stages.
 */
export function assertExpectedStage(expected: SecAggStageOrDone, received: string): void {
  if (received !== expected) throw new FedtuneError('FT_ERR_STAGE', `expected ${expected}, got ${received}`);
}
