// The config is refused at start, with the key named, for anything it does not know (issue 11,
// item 6: `{"round": 3, "stratgy": {...}}` used to run ten rounds of FedAvg).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';

const refused = (input: unknown) => {
  try {
    resolveConfig(input);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
};

describe('coordinator config', () => {
  it('refuses unknown top-level keys with the key and the nearest known one', () => {
    const e = refused({ round: 3, stratgy: { name: 'fedadam' } });
    expect(e.code).toBe('FT_ERR_CONFIG');
    expect(e.message).toContain('/round: unknown key "round" (did you mean "rounds"?)');
    expect(e.message).toContain('and 1 more: /stratgy');
    expect(refused({ stratgy: {} }).message).toContain('/stratgy: unknown key "stratgy" (did you mean "strategy"?)');
    expect(refused({ zzzzzzzz: 1 }).message).toMatch(/\/zzzzzzzz: unknown key "zzzzzzzz"$|\/zzzzzzzz: unknown key "zzzzzzzz" \(/);
    expect(refused({ zzzzzzzz: 1 }).message).not.toContain('did you mean');
  });

  it('refuses unknown nested keys, in unions too (the branch chosen by its kind)', () => {
    expect(refused({ strategy: { name: 'fedadam', serverLearnigRate: 0.1 } }).message).toContain('/strategy/serverLearnigRate: unknown key "serverLearnigRate" (did you mean "serverLearningRate"?)');
    expect(refused({ selection: { kind: 'poisson', sampelRate: 0.1 } }).message).toContain('/selection/sampelRate: unknown key "sampelRate" (did you mean "sampleRate"?)');
    expect(refused({ selection: { kind: 'uniform', clientsPerRound: 3, sampleRate: 0.1 } }).message).toContain('/selection/sampleRate: unknown key');
    expect(refused({ secagg: { l2clip: 3 } }).message).toContain('/secagg/l2clip: unknown key "l2clip" (did you mean "l2Clip"?)');
    expect(refused({ dp: { mode: 'central', noiseMultiplier: 1, budget: 3 } }).message).toContain('/dp/budget: unknown key');
    expect(refused({ limits: { maxConections: 5 } }).message).toContain('/limits/maxConections');
    expect(refused({ store: { retention: { keepLatest: 3 } } }).message).toContain('/store/retention/keepLatest: unknown key "keepLatest" (did you mean "keepLast"?)');
    expect(refused({ tokenHashes: [{ hash: 'a'.repeat(64), lable: 'x' }] }).message).toContain('/tokenHashes/0/lable: unknown key "lable" (did you mean "label"?)');
    expect(refused({ tls: { certFile: 'a', keyFile: 'b', caFile: 'c' } }).message).toContain('/tls/caFile: unknown key');
  });

  it('leaves free-form maps free: trainConfig keys and identity ids are data, not schema', () => {
    const c = resolveConfig({ trainConfig: { epochs: 2, anythingAtAll: 'x' }, secagg: { activeMode: true, identityKeys: { ['0'.repeat(32)]: 'a'.repeat(64) } } });
    expect(c.trainConfig).toEqual({ epochs: 2, anythingAtAll: 'x' });
  });

  it('fills store defaults and checks the at-rest key source', () => {
    const c = resolveConfig({});
    expect(c.store).toEqual({ kind: 'sqlite', retention: { keepLast: 10, keepEvery: 0 }, synchronous: 'full', maxNodes: 100_000, auditMaxRows: 1_000_000 });
    expect(resolveConfig({ store: { encryption: { keyEnv: 'FEDTUNE_STORE_KEY' } } }).store.encryption).toEqual({ keyEnv: 'FEDTUNE_STORE_KEY' });
    expect(refused({ store: { encryption: {} } }).message).toContain('/store/encryption: give exactly one of keyEnv');
    expect(refused({ store: { encryption: { keyEnv: 'A', keyFile: 'b' } } }).message).toContain('exactly one');
    expect(refused({ store: { encryption: { keyEnv: 'not a name' } } }).code).toBe('FT_ERR_CONFIG');
    expect(refused({ store: { retention: { keepLast: 0 } } }).message).toContain('/store/retention/keepLast');
    expect(refused({ store: { kind: 'postgres' } }).code).toBe('FT_ERR_CONFIG');
  });

  it('property: any misspelt top-level key is refused and named', () => {
    const known = new Set(Object.keys(resolveConfig({})).concat(['tls', 'secagg', 'dp', 'population', 'unmaskWorkers', 'dataDir', 'seed', 'fitDeadlineMs', 'evaluateDeadlineMs', 'helloTimeoutMs', 'evaluateClients', 'initialCheckpoint']));
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !known.has(k) && k !== '__proto__'), (key) => {
        const e = refused({ [key]: 1 });
        expect(e.code).toBe('FT_ERR_CONFIG');
        expect(e.message).toContain(`unknown key ${JSON.stringify(key)}`);
      }),
      { numRuns: 200 },
    );
  });

  it('hostile inputs: not an object, arrays, null members', () => {
    for (const bad of [[], 'x', 3, { strategy: [] }, { selection: null }, { store: 'sqlite' }]) expect(refused(bad).code).toBe('FT_ERR_CONFIG');
  });
});
