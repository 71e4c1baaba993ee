// A pure, persistable privacy ledger: one entry per accounted event (per round, per mode), the RDP
// composition of all of them (Mironov 2017) and the budget check that stops a round before it
// would exceed (epsilon, delta). Immutable: append returns a new ledger.
import { FedtuneError } from '../../errors/catalogue.js';
import { assertDelta, assertInteger, assertPositive } from '../assert.js';
import { DEFAULT_CONVERSION, rdpToEpsilon, type EpsilonAtOrder, type RdpConversion } from './conversion.js';
import { DEFAULT_RDP_ORDERS, eventRdp, RdpAccountant, type DpEvent } from './rdp-accountant.js';

/** Which noise path produced an entry (DESIGN.md, "Differential privacy"). */
export type DpMode = 'distributed' | 'central' | 'local-sgd';

const MODES: readonly DpMode[] = ['distributed', 'central', 'local-sgd'];

/** One accounted event. */
export interface LedgerEntry {
  /** The round number, an integer >= 0; entries are in non-decreasing round order. */
  readonly round: number;
  readonly mode: DpMode;
  /** The mechanism and its parameters, as the accountant composes them. */
  readonly event: DpEvent;
  /** The L2 clip norm used this round, in model units (informational). */
  readonly clip?: number;
}

/** An (epsilon, delta) budget. */
export interface PrivacyBudget {
  readonly epsilon: number;
  readonly delta: number;
}

/** The JSON form; RDP values are never stored, they are recomputed from the entries on load. */
export interface PrivacyLedgerJson {
  readonly version: 1;
  readonly orders: readonly number[];
  readonly conversion: RdpConversion;
  readonly entries: readonly LedgerEntry[];
}

/** Options of a new ledger. */
export interface PrivacyLedgerOptions {
  readonly orders?: readonly number[];
  readonly conversion?: RdpConversion;
}

function checkEntry(entry: LedgerEntry, orders: readonly number[], lastRound: number): Float64Array {
  if (entry === null || typeof entry !== 'object') throw new TypeError('entry must be an object');
  assertInteger('entry.round', entry.round, 0);
  if (entry.round < lastRound) throw new RangeError(`entry.round must be >= the last round ${lastRound}, got ${entry.round}`);
  if (!MODES.includes(entry.mode)) throw new RangeError(`entry.mode must be one of ${MODES.join(', ')}, got ${String(entry.mode)}`);
  if (entry.clip !== undefined) assertPositive('entry.clip', entry.clip);
  return eventRdp(entry.event, orders);
}

/** The privacy ledger. */
export class PrivacyLedger {
  readonly orders: readonly number[];
  readonly conversion: RdpConversion;
  readonly entries: readonly LedgerEntry[];
  private readonly total: Float64Array;

  /** An empty ledger. @throws TypeError / RangeError for bad orders or conversion. */
  constructor(options: PrivacyLedgerOptions = {}) {
    const acc = new RdpAccountant(options.orders ?? DEFAULT_RDP_ORDERS); // validates the orders
    const conversion = options.conversion ?? DEFAULT_CONVERSION;
    if (conversion !== 'improved' && conversion !== 'classic') throw new RangeError(`conversion must be 'improved' or 'classic', got ${String(conversion)}`);
    this.orders = acc.orders;
    this.conversion = conversion;
    this.entries = Object.freeze([]);
    this.total = new Float64Array(this.orders.length);
  }

  private static derive(base: PrivacyLedger, entries: readonly LedgerEntry[], total: Float64Array): PrivacyLedger {
    const next = Object.create(PrivacyLedger.prototype) as PrivacyLedger;
    Object.assign(next, { orders: base.orders, conversion: base.conversion, entries: Object.freeze(entries), total });
    return next;
  }

  private lastRound(): number {
    return this.entries.length === 0 ? 0 : this.entries[this.entries.length - 1]!.round;
  }

  private sumWith(entries: readonly LedgerEntry[]): Float64Array {
    const total = Float64Array.from(this.total);
    let last = this.lastRound();
    for (const e of entries) {
      const r = checkEntry(e, this.orders, last);
      last = e.round;
      for (let k = 0; k < r.length; k++) total[k] = total[k]! + r[k]!;
    }
    return total;
  }

  /**
   * A new ledger with `entry` appended (a deep copy of it).
   * @throws TypeError / RangeError for an invalid entry or a round before the last one.
   */
  append(entry: LedgerEntry): PrivacyLedger {
    const copy = JSON.parse(JSON.stringify(entry)) as LedgerEntry;
    return PrivacyLedger.derive(this, [...this.entries, copy], this.sumWith([copy]));
  }

  /** The guarantee of everything recorded so far. @throws RangeError if delta is not in (0, 1). */
  epsilonSoFar(delta: number): EpsilonAtOrder {
    assertDelta('delta', delta);
    return rdpToEpsilon(this.orders, this.total, delta, this.conversion);
  }

  /** The guarantee if `next` were recorded too (nothing is recorded). */
  epsilonWith(delta: number, next: LedgerEntry | readonly LedgerEntry[]): EpsilonAtOrder {
    assertDelta('delta', delta);
    const list = Array.isArray(next) ? (next as readonly LedgerEntry[]) : [next as LedgerEntry];
    return rdpToEpsilon(this.orders, this.sumWith(list), delta, this.conversion);
  }

  /**
   * True when recording `next` would take epsilon at budget.delta above budget.epsilon: the
   * coordinator must then not run the round.
   * @throws RangeError for an invalid budget or entry.
   */
  wouldExceed(budget: PrivacyBudget, next: LedgerEntry | readonly LedgerEntry[]): boolean {
    if (budget === null || typeof budget !== 'object') throw new TypeError('budget must be an object');
    assertPositive('budget.epsilon', budget.epsilon);
    return this.epsilonWith(budget.delta, next).epsilon > budget.epsilon;
  }

  /**
   * {@link append}, refusing an entry that would exceed the budget.
   * @throws FedtuneError FT_ERR_BUDGET if it would; TypeError / RangeError for invalid input.
   */
  appendWithinBudget(budget: PrivacyBudget, entry: LedgerEntry): PrivacyLedger {
    if (this.wouldExceed(budget, entry)) {
      throw new FedtuneError('FT_ERR_BUDGET', `round ${entry.round} would exceed epsilon ${budget.epsilon} at delta ${budget.delta}`);
    }
    return this.append(entry);
  }

  /** The JSON form (entries only; the RDP is recomputed on load). */
  toJSON(): PrivacyLedgerJson {
    return { version: 1, orders: [...this.orders], conversion: this.conversion, entries: JSON.parse(JSON.stringify(this.entries)) as LedgerEntry[] };
  }

  /**
   * Rebuilds a ledger from {@link toJSON}'s output (or its JSON text), re-validating every entry.
   * @throws FedtuneError FT_ERR_CONFIG for a malformed document.
   */
  static fromJSON(json: unknown): PrivacyLedger {
    try {
      const doc = (typeof json === 'string' ? JSON.parse(json) : json) as PrivacyLedgerJson;
      if (doc === null || typeof doc !== 'object') throw new TypeError('ledger must be an object');
      if (doc.version !== 1) throw new RangeError(`unsupported ledger version ${String(doc.version)}`);
      if (!Array.isArray(doc.entries)) throw new TypeError('ledger.entries must be an array');
      let ledger = new PrivacyLedger({ orders: doc.orders, conversion: doc.conversion });
      for (const e of doc.entries) ledger = ledger.append(e);
      return ledger;
    } catch (err) {
      throw new FedtuneError('FT_ERR_CONFIG', `privacy ledger: ${(err as Error).message}`, { cause: err });
    }
  }
}
