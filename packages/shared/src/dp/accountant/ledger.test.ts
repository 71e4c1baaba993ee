import { describe, expect, it } from 'vitest';
import { FedtuneError } from '../../errors/catalogue.js';
import { PrivacyLedger, type LedgerEntry } from './ledger.js';
import { sampledGaussianEpsilon } from './rdp-accountant.js';

const round = (r: number, mode: LedgerEntry['mode'] = 'central'): LedgerEntry => ({
  round: r,
  mode,
  clip: 0.5,
  event: { kind: 'sampled-gaussian', samplingRate: 0.01, noiseMultiplier: 1 },
});

describe('privacy ledger', () => {
  it('epsilonSoFar equals the accountant over the same rounds', () => {
    let l = new PrivacyLedger();
    for (let r = 0; r < 100; r++) l = l.append(round(r));
    const want = sampledGaussianEpsilon({ samplingRate: 0.01, noiseMultiplier: 1, steps: 100, delta: 1e-6 });
    expect(l.epsilonSoFar(1e-6).epsilon).toBeCloseTo(want.epsilon, 10);
    expect(l.epsilonSoFar(1e-6).order).toBe(want.order);
    expect(new PrivacyLedger().epsilonSoFar(1e-6).epsilon).toBe(0);
  });

  it('is immutable: append returns a new ledger and copies the entry', () => {
    const e = round(0);
    const a = new PrivacyLedger();
    const b = a.append(e);
    (e as { round: number }).round = 99;
    expect(a.entries.length).toBe(0);
    expect(b.entries[0]!.round).toBe(0);
    expect(Object.isFrozen(b.entries)).toBe(true);
  });

  it('wouldExceed / appendWithinBudget refuse the round that crosses the budget', () => {
    const budget = { epsilon: 1.5, delta: 1e-6 };
    let l = new PrivacyLedger();
    let r = 0;
    while (!l.wouldExceed(budget, round(r))) l = l.appendWithinBudget(budget, round(r++));
    expect(l.epsilonSoFar(1e-6).epsilon).toBeLessThanOrEqual(1.5);
    expect(l.epsilonWith(1e-6, round(r)).epsilon).toBeGreaterThan(1.5);
    expect(() => l.appendWithinBudget(budget, round(r))).toThrow(FedtuneError);
    try {
      l.appendWithinBudget(budget, round(r));
    } catch (e) {
      expect((e as FedtuneError).code).toBe('FT_ERR_BUDGET');
    }
    expect(r).toBeGreaterThan(10);
  });

  it('round-trips through JSON (text and object), recomputing the RDP; mixed modes and events', () => {
    let l = new PrivacyLedger({ conversion: 'classic' });
    l = l.append(round(0, 'central'));
    l = l.append({ round: 1, mode: 'local-sgd', event: { kind: 'sampled-gaussian', samplingRate: 0.05, noiseMultiplier: 1.1, count: 20 } });
    l = l.append({ round: 1, mode: 'distributed', event: { kind: 'distributed-discrete-gaussian', samplingRate: 1, ddg: { l2Sensitivity: 100, localVariance: 1000, nodes: 10, dimension: 1000 } } });
    l = l.append({ round: 2, mode: 'distributed', event: { kind: 'distributed-skellam', samplingRate: 0.5, skellam: { l2Sensitivity: 100, localVariance: 1000, nodes: 10, dimension: 1000 } } });
    const text = JSON.stringify(l);
    const back = PrivacyLedger.fromJSON(text);
    expect(back.toJSON()).toEqual(l.toJSON());
    expect(back.epsilonSoFar(1e-5)).toEqual(l.epsilonSoFar(1e-5));
    expect(PrivacyLedger.fromJSON(JSON.parse(text)).conversion).toBe('classic');
  });

  it('rejects hostile inputs and malformed documents', () => {
    const l = new PrivacyLedger().append(round(5));
    expect(() => l.append(round(4))).toThrow(RangeError);
    expect(() => l.append({ ...round(6), round: 6.5 })).toThrow(RangeError);
    expect(() => l.append({ ...round(6), mode: 'psychic' as never })).toThrow(RangeError);
    expect(() => l.append({ ...round(6), clip: -1 })).toThrow(RangeError);
    expect(() => l.append({ ...round(6), event: { kind: 'sampled-gaussian', samplingRate: 2, noiseMultiplier: 1 } })).toThrow(RangeError);
    expect(() => l.append(null as never)).toThrow(TypeError);
    for (const d of [0, 1, NaN]) expect(() => l.epsilonSoFar(d)).toThrow(RangeError);
    expect(() => l.wouldExceed({ epsilon: -1, delta: 1e-5 }, round(6))).toThrow(RangeError);
    expect(() => new PrivacyLedger({ conversion: 'x' as never })).toThrow(RangeError);
    for (const doc of ['{', 'null', '{"version":2,"orders":[2],"conversion":"improved","entries":[]}', '{"version":1,"orders":[2],"conversion":"improved","entries":{}}', '{"version":1,"orders":[0.5],"conversion":"improved","entries":[]}']) {
      expect(() => PrivacyLedger.fromJSON(doc)).toThrow(FedtuneError);
    }
  });
});
