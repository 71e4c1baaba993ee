// Loss-based membership inference (Yeom, Giacomelli, Fredrikson, Jha 2018, "Privacy Risk in
// Machine Learning"): the attacker guesses "member" when a record's loss is below a threshold. Its
// success over all thresholds is summarised by the ROC AUC and the best advantage max(TPR - FPR);
// Yeom et al. bound the advantage of any attacker on an epsilon-DP model by e^epsilon - 1. The AUC's
// uncertainty is a percentile bootstrap interval (Efron, Tibshirani 1993, ch. 13), members and
// non-members resampled separately.
import type { RandomSource } from '@fedtune/shared';
import { maskedLoss, type TokenBatch } from '../lm/loss.js';
import { selectRows } from '../lm/text-data.js';
import type { GptModel } from '../lm/model.js';

export interface MembershipResult {
  /** P(a random member's loss < a random non-member's), ties counted half. 0.5 = no signal. */
  auc: number;
  /** max over thresholds of TPR - FPR. */
  advantage: number;
  members: number;
  nonMembers: number;
}

/**
 * The attack's AUC and best advantage from per-record losses.
 * @throws RangeError when either set is empty or holds a non-finite loss.
 */
export function lossThresholdAttack(memberLosses: readonly number[], nonMemberLosses: readonly number[]): MembershipResult {
  if (memberLosses.length === 0 || nonMemberLosses.length === 0) throw new RangeError('membership inference needs members and non-members');
  for (const [name, xs] of [['member', memberLosses], ['non-member', nonMemberLosses]] as const) {
    const bad = xs.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new RangeError(`${name} loss ${bad} is ${xs[bad]}`);
  }
  const all = [...memberLosses.map((l) => ({ l, m: 1 })), ...nonMemberLosses.map((l) => ({ l, m: 0 }))].sort((a, b) => a.l - b.l);
  const nm = memberLosses.length;
  const nn = nonMemberLosses.length;
  // Mann-Whitney U with average ranks for ties, and a sweep over thresholds for the advantage.
  let rankSum = 0;
  let advantage = 0;
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.l === all[i]!.l) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (all[k]!.m === 1) {
        rankSum += avgRank;
        tp++;
      } else fp++;
    }
    advantage = Math.max(advantage, tp / nm - fp / nn);
    i = j;
  }
  const u = rankSum - (nm * (nm + 1)) / 2;
  return { auc: 1 - u / (nm * nn), advantage, members: nm, nonMembers: nn };
}

/** Mean token loss of each row of a packed batch (padding ignored). */
export function perSequenceLosses(model: GptModel, batch: TokenBatch): number[] {
  const out: number[] = [];
  for (let r = 0; r < batch.rows; r++) {
    const { loss, tokens } = maskedLoss(model, selectRows(batch, [r]));
    out.push(tokens === 0 ? NaN : (loss.dataSync() as Float32Array)[0]!);
    loss.dispose();
  }
  return out.filter((l) => Number.isFinite(l));
}

/**
 * Percentile bootstrap interval of the attack's AUC: `resamples` times, members and non-members
 * each resampled with replacement; the (1 - level)/2 and (1 + level)/2 quantiles.
 * @throws RangeError as lossThresholdAttack, or for resamples < 10 or a level outside (0, 1).
 */
export function bootstrapAucInterval(memberLosses: readonly number[], nonMemberLosses: readonly number[], random: RandomSource, resamples = 1000, level = 0.95): [number, number] {
  if (!Number.isSafeInteger(resamples) || resamples < 10) throw new RangeError(`resamples must be an integer >= 10, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  lossThresholdAttack(memberLosses, nonMemberLosses);
  const draw = (xs: readonly number[]): number[] => Array.from({ length: xs.length }, () => xs[random.int(xs.length)]!);
  const aucs = Array.from({ length: resamples }, () => lossThresholdAttack(draw(memberLosses), draw(nonMemberLosses)).auc).sort((a, b) => a - b);
  const q = (p: number): number => aucs[Math.min(resamples - 1, Math.max(0, Math.floor(p * resamples)))]!;
  return [q((1 - level) / 2), q((1 + level) / 2)];
}
