// Failed authentications per remote address: counted, logged at most once per window per address
// (a flood cannot flood the log), and, after repeated failures, the address is refused for a
// growing while (online guessing of tokens gets slower and slower).
import type { Clock } from '../round/clock.js';

export interface AuthFailurePolicy {
  /** Failures within `windowMs` before the address is backed off. */
  threshold: number;
  windowMs: number;
  /** First back-off; doubles with each further failure, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Most addresses remembered (oldest forgotten first), so the table itself stays bounded. */
  maxAddresses: number;
}

export const DEFAULT_AUTH_FAILURE_POLICY: AuthFailurePolicy = { threshold: 5, windowMs: 60_000, backoffMs: 1_000, maxBackoffMs: 15 * 60_000, maxAddresses: 10_000 };

interface Entry {
  failures: number[];
  blockedUntil: number;
  lastLogged: number;
  suppressed: number;
}

export class AuthFailures {
  private readonly byAddress = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly policy: AuthFailurePolicy = DEFAULT_AUTH_FAILURE_POLICY,
  ) {}

  /** Milliseconds this address must still wait, 0 when it may try. */
  blockedFor(address: string): number {
    const e = this.byAddress.get(address);
    return e === undefined ? 0 : Math.max(0, e.blockedUntil - this.clock.now());
  }

  /**
   * Records one failure. Returns whether to log it now (with the failures suppressed since the
   * last log line) and how long the address is now backed off.
   */
  record(address: string): { log: boolean; suppressed: number; backoffMs: number } {
    const now = this.clock.now();
    let e = this.byAddress.get(address);
    if (e === undefined) {
      if (this.byAddress.size >= this.policy.maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value!);
      e = { failures: [], blockedUntil: 0, lastLogged: -Infinity, suppressed: 0 };
      this.byAddress.set(address, e);
    }
    e.failures = e.failures.filter((t) => now - t < this.policy.windowMs);
    e.failures.push(now);
    const over = e.failures.length - this.policy.threshold;
    let backoffMs = 0;
    if (over >= 0) {
      backoffMs = Math.min(this.policy.maxBackoffMs, this.policy.backoffMs * 2 ** Math.min(over, 30));
      e.blockedUntil = now + backoffMs;
    }
    const log = now - e.lastLogged >= this.policy.windowMs / 6;
    const suppressed = e.suppressed;
    if (log) {
      e.lastLogged = now;
      e.suppressed = 0;
    } else {
      e.suppressed++;
    }
    return { log, suppressed, backoffMs };
  }

  /** A success clears the address's record. */
  clear(address: string): void {
    this.byAddress.delete(address);
  }
}
