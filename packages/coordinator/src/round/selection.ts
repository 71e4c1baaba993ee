// Cohort selection: uniform K without replacement (with over-selection to absorb dropouts), or
// Poisson sampling at rate q, which is what the subsampled-Gaussian privacy accounting assumes.
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
