// Cohort selection: uniform K without replacement (with over-selection to absorb dropouts), or
// Poisson sampling at rate q, which is what the subsampled-Gaussian privacy accounting assumes
// (Mironov, Talwar, Zhang 2019; Zhu, Wang 2019). Under DP every cohort is a Poisson sample: a
// fixed-size draw from the nodes that happen to be online is not what the ledger charges (two of
// three nodes online were each chosen every round while q = 2/3 was charged).
import type { RandomSource } from '@fedtune/shared';

export type SelectionRule = { kind: 'uniform'; clientsPerRound: number; overSelection: number } | { kind: 'poisson'; sampleRate: number };

export interface Selection {
  /** Nodes sent the fit instruction. */
  selected: string[];
  /** Results to wait for before closing collection early (K; for Poisson, everyone selected). */
  target: number;
}

/** Partial Fisher-Yates: a uniform k-subset in random order. */
export function sampleWithoutReplacement<T>(items: readonly T[], k: number, random: RandomSource): T[] {
  const pool = items.slice();
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + random.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

/**
 * Selects this round's cohort from the available nodes.
 * @throws RangeError for a rule with out-of-range parameters.
 */
export function selectCohort(available: readonly string[], rule: SelectionRule, random: RandomSource): Selection {
  if (rule.kind === 'poisson') {
    if (!(rule.sampleRate > 0 && rule.sampleRate <= 1)) throw new RangeError(`sampleRate must be in (0, 1], got ${rule.sampleRate}`);
    const selected = available.filter(() => random.float() < rule.sampleRate);
    return { selected, target: selected.length };
  }
  if (!Number.isSafeInteger(rule.clientsPerRound) || rule.clientsPerRound < 1) {
    throw new RangeError(`clientsPerRound must be a positive integer, got ${rule.clientsPerRound}`);
  }
  if (!(rule.overSelection >= 0) || !Number.isFinite(rule.overSelection)) {
    throw new RangeError(`overSelection must be >= 0, got ${rule.overSelection}`);
  }
  const target = Math.min(rule.clientsPerRound, available.length);
  const ask = Math.ceil(rule.clientsPerRound * (1 + rule.overSelection));
  return { selected: sampleWithoutReplacement(available, ask, random), target };
}

/**
 * N for a DP round's sampling rate: the largest of the operator's `population`, the enrolled
 * identities and the node ids seen so far, so it can never fall below the nodes that exist. Any N
 * keeps the guarantee under Poisson sampling (each node is in with probability q = K/N whatever N
 * is); a larger N only lowers q. The count itself is treated as public, as W is in McMahan et al. 2018.
 */
export function dpPopulation(configured: number | undefined, enrolled: number | undefined, known: number): number {
  return Math.max(1, configured ?? 0, enrolled ?? 0, known);
}

/**
 * A DP round's cohort: each available node independently with probability q (Poisson), where q is
 * the configured Poisson rate, or min(1, K / population) for a uniform rule (over-selection has no
 * meaning here). `samplingRate` is that q: what the selection realised and the ledger must charge.
 * Draw with the OS CSPRNG.
 * @throws RangeError for a rule with out-of-range parameters or a population below 1.
 */
export function selectUnderDp(available: readonly string[], rule: SelectionRule, population: number, random: RandomSource): Selection & { samplingRate: number } {
  if (!Number.isSafeInteger(population) || population < 1) throw new RangeError(`population must be a positive integer, got ${population}`);
  let q: number;
  if (rule.kind === 'poisson') q = rule.sampleRate;
  else {
    if (!Number.isSafeInteger(rule.clientsPerRound) || rule.clientsPerRound < 1) throw new RangeError(`clientsPerRound must be a positive integer, got ${rule.clientsPerRound}`);
    q = Math.min(1, rule.clientsPerRound / population);
  }
  const { selected, target } = selectCohort(available, { kind: 'poisson', sampleRate: q }, random);
  return { selected, target, samplingRate: q };
}
