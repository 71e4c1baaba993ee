// A round of several instances as the leader plans it (Bonawitz et al. 2019, "Towards Federated
// Learning at Scale", §4: a master aggregator hands each aggregator its share of the round): what
// every instance needs to run a group of its own nodes without asking the leader again, stored in
// the plans table so an instance that missed the notification, or a new leader, reads it there.
// Pure: the draws take their randomness as a parameter.
import { FedtuneError, type RandomSource, type RingParams, type TrainConfig } from '@fedtune/shared';
import { sampleWithoutReplacement } from '../round/selection.js';

/** How each instance draws its group from its own ready nodes. */
export type GroupSelection =
  /** Under DP: every ready node independently with probability q (the rate the ledger charges). */
  | { kind: 'poisson'; q: number }
  /** Without DP: about this many nodes per instance (the round's K split by ready nodes), plus over-selection. */
  | { kind: 'quota'; quotas: Record<string, number>; overSelection: number };

export interface RoundPlan {
  round: number;
  /** The leader's epoch that wrote it (a fencing token: a deposed leader's plans are refused). */
  epoch: number;
  /** The model every group trains from. */
  modelVersion: string;
  fitConfig: TrainConfig;
  /** One ring for every group, sized for `maxGroup` summands (and the DP noise), so group sums add exactly. */
  ring: RingParams;
  l2Clip: number;
  /** Fewest masked inputs a group unmasks: the configured minimum group size, never below DP's survivor minimum. */
  minGroup: number;
  /** Most nodes in one group (what the ring holds); a larger draw keeps a uniform subset. */
  maxGroup: number;
  selection: GroupSelection;
  /** The DP wrapper's plan (clip, noise, event), or null without DP. */
  dp: unknown;
  /** Instances alive when it was planned: the leader waits for their groups (or their death). */
  instances: string[];
  /** Leader's clock (ms since the epoch): planned, and past this no group is waited for. */
  plannedAt: number;
  deadlineAt: number;
  /** N, the population the sampling rate is over. */
  population: number;
}

/** A ready count per live instance, as heartbeats report it. */
export interface InstanceLoad {
  id: string;
  ready: number;
}

/**
 * Splits K nodes over instances in proportion to their ready nodes (largest remainder, Hamilton's
 * method): every node ready anywhere has about the same chance K / (all ready) of being selected.
 */
export function splitQuota(k: number, instances: readonly InstanceLoad[]): Record<string, number> {
  const total = instances.reduce((s, i) => s + Math.max(0, i.ready), 0);
  const out: Record<string, number> = {};
  if (total === 0) {
    for (const i of instances) out[i.id] = 0;
    return out;
  }
  const want = Math.min(k, total);
  const shares = instances.map((i) => ({ id: i.id, exact: (want * Math.max(0, i.ready)) / total }));
  let given = 0;
  for (const s of shares) {
    out[s.id] = Math.floor(s.exact);
    given += out[s.id]!;
  }
  const byRemainder = [...shares].sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)) || (a.id < b.id ? -1 : 1));
  for (const s of byRemainder) {
    if (given >= want) break;
    out[s.id]! += 1;
    given++;
  }
  return out;
}

/** An instance's group for a plan: who is asked to train, and how many results close collection early. */
export interface GroupDraw {
  selected: string[];
  target: number;
}

/**
 * This instance's draw from its ready nodes. Poisson at q (use the OS CSPRNG), or its quota with
 * over-selection (the config seed may drive it); then at most `maxGroup`, a uniform subset.
 * @throws FedtuneError FT_ERR_CONFIG for a plan whose selection is malformed.
 */
export function drawGroup(plan: Pick<RoundPlan, 'selection' | 'maxGroup'>, instance: string, available: readonly string[], random: RandomSource): GroupDraw {
  const sel = plan.selection;
  let selected: string[];
  let target: number;
  if (sel.kind === 'poisson') {
    if (!(sel.q > 0 && sel.q <= 1)) throw new FedtuneError('FT_ERR_CONFIG', `plan sampling rate ${sel.q} is not in (0, 1]`);
    selected = available.filter(() => random.float() < sel.q);
    target = selected.length;
  } else {
    const quota = sel.quotas[instance] ?? 0;
    selected = sampleWithoutReplacement(available, Math.ceil(quota * (1 + sel.overSelection)), random);
    target = Math.min(quota, selected.length);
  }
  if (selected.length > plan.maxGroup) {
    // Leaving sampled nodes out only lowers their participation: the charged rate stays an upper bound.
    selected = sampleWithoutReplacement(selected, plan.maxGroup, random);
    target = Math.min(target, plan.maxGroup);
  }
  return { selected, target };
}

/**
 * When the leader stops waiting for groups: collection, then each SecAgg stage (four, five in
 * active mode) at its deadline, and the mask removal, with a margin.
 */
export function roundDeadline(now: number, fitDeadlineMs: number, stageDeadlineMs: number, activeMode: boolean, marginMs = 5000): number {
  return now + fitDeadlineMs + (activeMode ? 5 : 4) * stageDeadlineMs + marginMs;
}

/** A plan read back from the store, checked for the fields every instance relies on. @throws FedtuneError FT_ERR_STORE. */
export function parsePlan(value: unknown): RoundPlan {
  const p = value as Partial<RoundPlan> | null;
  const ok =
    p !== null &&
    typeof p === 'object' &&
    Number.isSafeInteger(p.round) &&
    Number.isSafeInteger(p.epoch) &&
    typeof p.modelVersion === 'string' &&
    typeof p.ring === 'object' &&
    p.ring !== null &&
    Number.isSafeInteger(p.minGroup) &&
    Number.isSafeInteger(p.maxGroup) &&
    (p.maxGroup ?? 0) >= (p.minGroup ?? 1) &&
    Array.isArray(p.instances) &&
    typeof p.selection === 'object' &&
    Number.isFinite(p.deadlineAt);
  if (!ok) throw new FedtuneError('FT_ERR_STORE', `a stored round plan is malformed (round ${String(p?.round)})`);
  return p as RoundPlan;
}
