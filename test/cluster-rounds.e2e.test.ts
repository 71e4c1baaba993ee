// Several coordinator instances on one PostgreSQL store (issue 13), in this process: each round is
// the sum of one SecAgg group per instance, added by the leader, and the run ends with the model
// a single coordinator computes from the same deterministic nodes, bit for bit (the grid-step
// trainer keeps every value a short dyadic number, so no sum depends on its order or grouping).
import { describe, expect, it } from 'vitest';
import { RdpAccountant, type LedgerEntry } from '@fedtune/shared';
import { PostgresStore } from '@fedtune/coordinator';
import { GridStepTrainer } from './helpers/grid-step-trainer.js';
import { startClients, startCoordinator } from './helpers/fleet.js';
import { clusterDb, startInstances, startNodes } from './helpers/cluster.js';
import { nodeCryptoProvider } from '@fedtune/shared';

const db = await clusterDb();
if (!('url' in db)) console.warn(`cluster tests skipped: ${db.reason}`);

const NODES = 16;
const DIM = 24;
const targets = Array.from({ length: NODES }, (_, i) => new Float32Array(DIM).map((_, j) => (((i * 7 + j * 3) % 17) - 8) / 16));

describe.runIf('url' in db)('three coordinator instances, one run', () => {
  it('each round adds one SecAgg group per instance; the final model is what one coordinator computes', async () => {
    const pg = db as Exclude<typeof db, { reason: string }>;
    const base = {
      rounds: 3,
      minNodes: NODES,
      selection: { kind: 'uniform' as const, clientsPerRound: NODES, overSelection: 0 },
      minResults: 4,
      evaluateEvery: 0,
      fitDeadlineMs: 30_000,
      secagg: { l2Clip: 10, dropoutRate: 0.1, corruptionRate: 0, stageDeadlineMs: 30_000 },
    };
    const { coordinators, urls, schema } = await startInstances(pg, 3, { ...base, cluster: { minGroupSize: 4, heartbeatMs: 100, leaderRetryMs: 200, instanceTimeoutMs: 2000 } });
    const clients = await startNodes(urls, targets.map((t) => new GridStepTrainer(t)));
    const perInstance = urls.map((u) => clients.filter((c) => c.url === u).length);
    expect(perInstance).toEqual([6, 5, 5]);
    const runs = await Promise.all(coordinators.map((c) => c.run()));
    expect(coordinators.filter((c) => c.leading)).toHaveLength(1);
    for (const c of coordinators) expect(c.outcome).toMatchObject({ status: 'completed', completedRounds: 3 });
    const rounds = runs[0]!;
    expect(rounds.map((r) => [r.round, r.status, r.survivors])).toEqual([
      [1, 'completed', NODES],
      [2, 'completed', NODES],
      [3, 'completed', NODES],
    ]);
    for (const r of rounds) {
      expect(r.groups!.map((g) => [g.status, g.survivors]).sort()).toEqual([['ok', 5], ['ok', 5], ['ok', 6]]);
      expect(r.groups!.every((g) => g.unmaskMs !== null)).toBe(true);
    }
    const final = rounds.at(-1)!.modelVersion;
    for (const c of coordinators) expect(c.store.current?.version).toBe(final);

    // The same nodes and rounds on one coordinator (SQLite in memory): the same model, bit for bit.
    const { coordinator: single, url } = await startCoordinator({ ...base, minResults: NODES });
    await startClients(url, targets.map((t) => new GridStepTrainer(t)));
    const alone = await single.run();
    expect(alone.at(-1)!.modelVersion).toBe(final);

    // Group sums leave the store once their round is committed (they are in the model).
    const store = await PostgresStore.open({ connectionString: pg.url, schema, description: 'check', crypto: nodeCryptoProvider, retention: { keepLast: 10, keepEvery: 0 }, key: null, readonly: true });
    const left = await store.pool.query('SELECT COUNT(*)::int AS n FROM cluster_groups WHERE sum IS NOT NULL');
    expect(left.rows[0].n).toBe(0);
    await store.close();
  });

  it('distributed DP across instances: every group sum alone carries the target noise, one ledger entry per round', async () => {
    const pg = db as Exclude<typeof db, { reason: string }>;
    const { coordinators, urls, schema } = await startInstances(pg, 3, {
      rounds: 2,
      minNodes: NODES,
      selection: { kind: 'uniform', clientsPerRound: NODES, overSelection: 0 },
      minResults: 4,
      population: NODES,
      fitDeadlineMs: 30_000,
      secagg: { l2Clip: 10, dropoutRate: 0.1, corruptionRate: 0, stageDeadlineMs: 30_000 },
      dp: { mode: 'distributed', clip: 1, noiseMultiplier: 1, delta: 1e-5, minSurvivors: 2 },
      cluster: { minGroupSize: 4, heartbeatMs: 100, leaderRetryMs: 200 },
    });
    await startNodes(urls, targets.map((t) => new GridStepTrainer(t)));
    const [rounds] = await Promise.all(coordinators.map((c) => c.run()));
    expect(rounds!.map((r) => r.status)).toEqual(['completed', 'completed']);
    const store = await PostgresStore.open({ connectionString: pg.url, schema, description: 'check', crypto: nodeCryptoProvider, retention: { keepLast: 10, keepEvery: 0 }, key: null, readonly: true });
    const ledger: LedgerEntry[] = await store.ledger();
    await store.close();
    expect(ledger.map((e) => e.round)).toEqual([1, 2]);
    for (const e of ledger) {
      // Noise sized for the minimum group (4 nodes), not the whole cohort: each group sum alone meets it.
      expect(e.event.kind).toBe('distributed-discrete-gaussian');
      expect((e.event as { ddg: { nodes: number } }).ddg.nodes).toBe(4);
      expect(e.event.samplingRate).toBe(1);
    }
    const acc = new RdpAccountant();
    for (const e of ledger) acc.compose(e.event);
    expect(rounds!.at(-1)!.epsilon).toBeCloseTo(acc.epsilon(1e-5).epsilon, 12);
  });
});
