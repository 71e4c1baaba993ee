// The server step of a round (Reddi et al. 2021, Algorithm 2's outer update; FedAvg's mean): the
// strategy turns the round's aggregate into new global weights, and a step that is unusable (a
// non-finite mean or result) is refused with the strategy's state rolled back, so momentum, moments
// and the privacy ledger stay where the store has them. Shared by the single-instance engine and
// the leader of several instances (cluster/cluster-leader.ts).
import { firstNonFinite, type LedgerEntry } from '@fedtune/shared';
import type { FitAggregate, Strategy } from '../strategy/strategy.js';

export type StepOutcome =
  | {
      ok: true;
      next: Float32Array;
      /** Ledger entries the step appended. */
      ledger: LedgerEntry[];
      /** Puts the strategy back as before the step (the round could not be made durable). */
      rollback: () => void;
    }
  | { ok: false; reason: string };

/** Steps `strategy` on `aggregate`; never throws for a non-finite value, which it reports as the reason. */
export function stepStrategy(strategy: Strategy, round: number, global: Float32Array, aggregate: FitAggregate): StepOutcome {
  const badMean = firstNonFinite(aggregate.meanDelta);
  if (badMean >= 0) return { ok: false, reason: `FT_ERR_NON_FINITE: the round's mean update is ${aggregate.meanDelta[badMean]} at element ${badMean}; the model is unchanged` };
  const snapshot = strategy.loadState === undefined ? undefined : strategy.saveState?.();
  const rollback = () => {
    if (snapshot !== undefined) strategy.loadState!(snapshot);
  };
  const ledgerBefore = strategy.ledger?.().length ?? 0;
  const next = strategy.aggregateFit(round, global, aggregate);
  const badWeight = firstNonFinite(next);
  if (badWeight >= 0) {
    rollback();
    return { ok: false, reason: `FT_ERR_NON_FINITE: the ${strategy.name} step gives ${next[badWeight]} at element ${badWeight}; the model is unchanged` };
  }
  return { ok: true, next, ledger: strategy.ledger?.().slice(ledgerBefore) ?? [], rollback };
}
