// The conformance suite every Store implementation runs (the embedded SQLite store today, the
// PostgreSQL store of issue 13 next): atomic round commits, resuming, retention, the ledger, the
// node registry, revocations, the audit log, and encryption at rest refusing a wrong key.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider, weightsVersion, type LedgerEntry, type Weights } from '@fedtune/shared';
import { newRound, summariseCollection, type RetentionPolicy, type RoundCommit, type RoundSummary, type Store } from '@fedtune/coordinator';

export interface StoreOpenOptions {
  key?: Uint8Array | null;
  retention?: RetentionPolicy;
}

/** A fresh, empty location; `open` may be called again on it after `close` (a restart). */
export interface StoreLocation {
  open(options?: StoreOpenOptions): Promise<Store>;
}

const at = 1_700_000_000_000;

function weights(seed: number, n = 6): Weights {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.fround(Math.sin(seed * 7.3 + i) * 3);
  return { tensors: [{ name: 'w', shape: [2, n / 2] }], data };
}

function versioned(w: Weights): { version: string; weights: Weights } {
  return { version: weightsVersion(nodeCryptoProvider, w), weights: w };
}

/** A completed round of two nodes, as the engine summarises one (then `over`). */
export function summary(round: number, over: Partial<RoundSummary> = {}): RoundSummary {
  const state = { ...newRound(round, ['a'.repeat(32), 'b'.repeat(32)], 2, 2), stage: 'aggregate' as const, reported: new Set(['a'.repeat(32), 'b'.repeat(32)]) };
  const s = summariseCollection(state, new Map([['a'.repeat(32), 100 * round]]), 5);
  return { ...s, trainLoss: 1 / round, fitMetrics: { trainLoss: 1 / round }, ...over };
}

function entry(round: number): LedgerEntry {
  return { round, mode: 'central', clip: 1, event: { kind: 'sampled-discrete-gaussian', samplingRate: 0.5, noiseMultiplier: 1.1 } };
}

function roundCommit(round: number, seed = round, over: Partial<RoundCommit> = {}): RoundCommit {
  const model = versioned(weights(seed));
  return {
    round,
    summary: summary(round, { modelVersion: model.version }),
    model,
    strategyState: { step: round, moments: [round, -round] },
    ledger: [entry(round)],
    participants: [
      { node: 'a'.repeat(32), outcome: 'contributed', stage: null },
      { node: 'b'.repeat(32), outcome: 'deadline', stage: 'collect' },
    ],
    at: at + round,
    ...over,
  };
}

const KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(8);

export function describeStoreConformance(name: string, fresh: () => Promise<StoreLocation>): void {
  describe(`${name}: Store conformance`, () => {
    it('starts empty, then resumes exactly what each round committed', async () => {
      const loc = await fresh();
      let store = await loc.open();
      expect(await store.runState()).toBeNull();
      expect(await store.rounds(null, 10)).toEqual([]);
      expect(await store.ledger()).toEqual([]);
      const init = versioned(weights(0));
      await store.commitRound({ round: 0, summary: null, model: init, strategyState: null, ledger: [], participants: [], at });
      expect(await store.runState()).toEqual({ lastRound: 0, modelVersion: init.version, strategyState: null, completedRounds: 0 });
      const commits = [1, 2, 3].map((r) => roundCommit(r));
      for (const c of commits) await store.commitRound(c);
      await store.close();
      store = await loc.open();
      const state = await store.runState();
      expect(state).toEqual({ lastRound: 3, modelVersion: commits[2]!.model!.version, strategyState: { step: 3, moments: [3, -3] }, completedRounds: 3 });
      const back = await store.model(state!.modelVersion!);
      expect(Buffer.from(back!.data.buffer).equals(Buffer.from(commits[2]!.model!.weights.data.buffer))).toBe(true);
      expect(back!.tensors).toEqual([{ name: 'w', shape: [2, 3] }]);
      expect((await store.rounds(null, 10)).map((s) => s.round)).toEqual([1, 2, 3]);
      expect(await store.round(2)).toEqual(commits[1]!.summary);
      expect(await store.round(9)).toBeNull();
      expect(await store.ledger()).toEqual([entry(1), entry(2), entry(3)]);
      await store.close();
    });

    it('commits a round whole or not at all: a repeated or out-of-order round leaves nothing behind', async () => {
      const store = await (await fresh()).open();
      await store.commitRound(roundCommit(1));
      await store.commitRound(roundCommit(2));
      const stray = roundCommit(2, 99);
      await expect(store.commitRound(stray)).rejects.toMatchObject({ code: 'FT_ERR_STORE' });
      await expect(store.commitRound(roundCommit(1, 98))).rejects.toMatchObject({ code: 'FT_ERR_STORE' });
      expect(await store.model(stray.model!.version)).toBeNull();
      expect((await store.models()).map((m) => m.version)).not.toContain(stray.model!.version);
      expect(await store.ledger()).toEqual([entry(1), entry(2)]);
      expect((await store.runState())!.strategyState).toEqual({ step: 2, moments: [2, -2] });
      await store.close();
    });

    it('an aborted round keeps the model and the strategy state, and still counts as run', async () => {
      const store = await (await fresh()).open();
      const first = roundCommit(1);
      await store.commitRound(first);
      await store.commitRound({ round: 2, summary: summary(2, { status: 'aborted', abortReason: 'too few', survivors: 0, modelVersion: first.model!.version }), model: null, ledger: [], participants: [], at });
      expect(await store.runState()).toEqual({ lastRound: 2, modelVersion: first.model!.version, strategyState: first.strategyState, completedRounds: 1 });
      await store.close();
    });

    it('keeps the last N versions, tagged ones and every keepEvery-th; the rest keep their record, not their weights', async () => {
      const store = await (await fresh()).open({ retention: { keepLast: 2, keepEvery: 3 } });
      const commits = [1, 2, 3, 4, 5, 6, 7].map((r) => roundCommit(r));
      await store.commitRound(commits[0]!);
      await store.tagModel(commits[0]!.model!.version, 'baseline', at);
      for (const c of commits.slice(1)) await store.commitRound(c);
      const listed = await store.models();
      expect(listed.map((m) => m.round)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const kept = listed.filter((m) => !m.pruned).map((m) => m.round);
      expect(kept).toEqual([1, 3, 6, 7]);
      expect(listed.find((m) => m.round === 1)!.tags).toEqual(['baseline']);
      expect(listed.find((m) => m.round === 6)!.tags).toEqual(['round-6']);
      expect(await store.model(commits[1]!.model!.version)).toBeNull();
      expect(await store.model(commits[2]!.model!.version)).not.toBeNull();
      await expect(store.tagModel(commits[1]!.model!.version, 'late', at)).rejects.toMatchObject({ code: 'FT_ERR_UNKNOWN_MODEL' });
      await expect(store.tagModel('f'.repeat(64), 'none', at)).rejects.toMatchObject({ code: 'FT_ERR_UNKNOWN_MODEL' });
      // Every round still names a version the store has a record of.
      const known = new Set(listed.map((m) => m.version));
      for (const r of await store.rounds(null, 100)) expect(known.has(r.modelVersion!)).toBe(true);
      await store.close();
    });

    it('keeps node identities, their participation, and revocations across a restart', async () => {
      const loc = await fresh();
      let store = await loc.open();
      const hash = new Uint8Array(32).fill(3);
      await store.putNode({ id: 'a'.repeat(32), tokenKey: 'c'.repeat(64), resumeHash: hash, name: 'clinic-a', backend: 'cpu' }, at);
      await store.putNode({ id: 'b'.repeat(32), tokenKey: 'c'.repeat(64), resumeHash: hash, name: null, backend: null }, at + 1);
      await store.commitRound(roundCommit(1));
      await store.commitRound(roundCommit(2));
      await store.touchNode('a'.repeat(32), at + 50, 'clinic-a2', 'wasm');
      await store.revokeToken('d'.repeat(64), 'lost-laptop', at);
      await store.close();
      store = await loc.open();
      const a = await store.node('a'.repeat(32));
      expect(a).toMatchObject({ tokenKey: 'c'.repeat(64), name: 'clinic-a2', backend: 'wasm', firstSeen: at, lastSeen: at + 50, roundsSelected: 2, roundsContributed: 2 });
      expect(Buffer.from(a!.resumeHash).equals(Buffer.from(hash))).toBe(true);
      expect(await store.node('b'.repeat(32))).toMatchObject({ roundsSelected: 2, roundsContributed: 0 });
      expect(await store.node('e'.repeat(32))).toBeNull();
      const page = await store.nodes(1, 10);
      expect(page.total).toBe(2);
      expect(page.nodes.map((n) => n.id)).toEqual(['b'.repeat(32)]);
      expect(await store.revokedTokens()).toEqual(['d'.repeat(64)]);
      expect(await store.pruneNodes(1)).toBe(1);
      expect((await store.nodes(0, 10)).nodes.map((n) => n.id)).toEqual(['a'.repeat(32)]);
      await store.close();
    });

    it('appends to the audit log, drops with their reasons included, and reads it by kind', async () => {
      const store = await (await fresh()).open();
      await store.audit({ at, kind: 'config', detail: { rounds: 3 } });
      await store.audit({ at: at + 1, kind: 'auth-failure', address: '10.0.0.9', code: 'FT_ERR_AUTH', detail: { reason: 'bad token' } });
      await store.commitRound(roundCommit(1));
      const all = await store.auditLog(0, 100);
      expect(all.map((e) => e.kind)).toEqual(['config', 'auth-failure', 'drop']);
      expect(all[2]).toMatchObject({ node: 'b'.repeat(32), detail: { round: 1, reason: 'deadline', stage: 'collect' } });
      const failures = await store.auditLog(0, 100, 'auth-failure');
      expect(failures).toEqual([{ id: all[1]!.id, at: at + 1, kind: 'auth-failure', node: null, address: '10.0.0.9', code: 'FT_ERR_AUTH', detail: { reason: 'bad token' } }]);
      expect(await store.auditLog(all[2]!.id, 100)).toEqual([]);
      await store.setMeta('model', '{"format":"x"}');
      expect(await store.getMeta('model')).toBe('{"format":"x"}');
      expect(await store.getMeta('absent')).toBeNull();
      await store.close();
    });

    it('encrypted at rest: opens with its key, refuses a wrong key, a missing key and a key for a plain store', async () => {
      const loc = await fresh();
      let store = await loc.open({ key: KEY });
      const c = roundCommit(1);
      await store.commitRound(c);
      await store.close();
      await expect(loc.open({ key: OTHER_KEY })).rejects.toMatchObject({ code: 'FT_ERR_STORE_KEY', message: expect.stringMatching(/does not open .*wrong key/) });
      await expect(loc.open()).rejects.toMatchObject({ code: 'FT_ERR_STORE_KEY', message: expect.stringMatching(/is encrypted at rest: give its key/) });
      store = await loc.open({ key: KEY });
      expect(await store.ledger()).toEqual([entry(1)]);
      expect((await store.model(c.model!.version))!.data).toEqual(c.model!.weights.data);
      expect((await store.runState())!.strategyState).toEqual(c.strategyState);
      await store.close();
      const plain = await fresh();
      await (await plain.open()).close();
      await expect(plain.open({ key: KEY })).rejects.toMatchObject({ code: 'FT_ERR_STORE_KEY', message: expect.stringMatching(/not encrypted at rest/) });
    });

    it('property: any sequence of completed and aborted rounds resumes with the same ledger, last round and model', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.record({ aborted: fc.boolean(), ledgerEntries: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 8 }), async (plan) => {
          const loc = await fresh();
          let store = await loc.open({ retention: { keepLast: 1, keepEvery: 0 } });
          const appended: LedgerEntry[] = [];
          let current: string | null = null;
          for (const [i, p] of plan.entries()) {
            const round = i + 1;
            const ledger = Array.from({ length: p.aborted ? 0 : p.ledgerEntries }, () => entry(round));
            appended.push(...ledger);
            const c: RoundCommit = p.aborted
              ? { round, summary: summary(round, { status: 'aborted' as const, modelVersion: current }), model: null, ledger, participants: [], at }
              : roundCommit(round, round, { ledger });
            if (!p.aborted) current = c.model!.version;
            await store.commitRound(c);
          }
          await store.close();
          store = await loc.open({ retention: { keepLast: 1, keepEvery: 0 } });
          const state = await store.runState();
          expect(state!.lastRound).toBe(plan.length);
          expect(state!.modelVersion).toBe(current);
          expect(state!.completedRounds).toBe(plan.filter((p) => !p.aborted).length);
          expect(await store.ledger()).toEqual(appended);
          if (current !== null) expect(await store.model(current)).not.toBeNull();
          expect((await store.models()).filter((m) => !m.pruned).length).toBeLessThanOrEqual(1);
          await store.close();
        }),
        { numRuns: 15 },
      );
    });

    it('hostile reads: unknown versions and rounds, negative and huge pages are answered, never thrown', async () => {
      const store = await (await fresh()).open();
      await store.commitRound(roundCommit(1));
      expect(await store.model('')).toBeNull();
      expect(await store.model("' OR 1=1 --")).toBeNull();
      expect(await store.round(-1)).toBeNull();
      expect(await store.round(2 ** 53)).toBeNull();
      expect(await store.rounds(null, 0)).toEqual([]);
      expect(await store.rounds(-5, 10)).toEqual([]);
      expect((await store.rounds(null, 1e9)).length).toBe(1);
      expect((await store.nodes(-3, -1)).nodes).toEqual([]);
      expect(await store.auditLog(-1, 0)).toEqual([]);
      await store.close();
      await expect(store.runState()).rejects.toMatchObject({ code: 'FT_ERR_STORE' });
    });
  });
}
