// Which connected nodes may be selected: those that said they are ready (a node that never says so,
// such as an idle Sybil socket, is never drawn into a cohort), are not busy with an instruction,
// and are not serving a penalty for a deadline they let pass (doubling with each miss, cleared by a
// completed contribution), so nodes that take a slot and stay silent stop costing rounds.
import type { Clock } from '../round/clock.js';

export interface ReadinessPolicy {
  /** Exclusion after the first missed deadline; doubles per further miss. */
  penaltyMs: number;
  maxPenaltyMs: number;
}

export class Readiness {
  private readonly ready = new Set<string>();
  private readonly penalties = new Map<string, { misses: number; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly policy: ReadinessPolicy,
  ) {}

  markReady(node: string): void {
    this.ready.add(node);
  }

  /** Sent an instruction: not selectable until it says it is ready again. */
  markBusy(node: string): void {
    this.ready.delete(node);
  }

  /** Gone: forget readiness (its penalty stays, keyed by its id, should it resume). */
  remove(node: string): void {
    this.ready.delete(node);
  }

  missedDeadline(node: string): void {
    const misses = (this.penalties.get(node)?.misses ?? 0) + 1;
    const ms = Math.min(this.policy.maxPenaltyMs, this.policy.penaltyMs * 2 ** Math.min(misses - 1, 30));
    this.penalties.delete(node);
    // Bounded: the oldest penalty goes first (churned-away ids would otherwise pile up).
    if (this.penalties.size >= 100_000) this.penalties.delete(this.penalties.keys().next().value!);
    this.penalties.set(node, { misses, until: this.clock.now() + ms });
    this.ready.delete(node);
  }

  /** Its contribution to a round arrived: its instruction is done (ready again) and any penalty lifted. */
  contributed(node: string): void {
    this.penalties.delete(node);
    this.ready.add(node);
  }

  /** Ready, unpenalised nodes among `connected`, in a stable order. */
  eligible(connected: Iterable<string>): string[] {
    const now = this.clock.now();
    const out: string[] = [];
    for (const n of connected) {
      if (!this.ready.has(n)) continue;
      const p = this.penalties.get(n);
      if (p !== undefined && p.until > now) continue;
      out.push(n);
    }
    return out;
  }

  /** When the earliest penalty among ready nodes ends (for re-checking a wait), or null. */
  nextRelease(): number | null {
    let next: number | null = null;
    const now = this.clock.now();
    for (const [n, p] of this.penalties) if (this.ready.has(n) && p.until > now && (next === null || p.until < next)) next = p.until;
    return next;
  }
}
