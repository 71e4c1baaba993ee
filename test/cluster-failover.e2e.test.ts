// Failover of several coordinator instances (issue 13, item 5), in the style of NVFlare's
// high-availability tests: three real `fedtune-coordinator serve --store postgres://...` processes
// share one run; a few hundred nodes in this process hold URL lists (rotated, so they spread);
// SecAgg with distributed DP. Trigger, action, exact validator:
// - the leader, inside its commit of round 2 (after every group sum was written), is killed -9 by a
//   failpoint: another instance takes over, commits round 2 once from the stored plan and sums, and
//   the run completes; the ledger holds exactly one entry per completed round, each equal to what a
//   single coordinator charges for that round (PrivacyController on the round's own context), and
//   the run's epsilon is the RDP accountant's composition of those entries;
// - a follower, while its group of round 2 collects, is killed -9 from outside: its nodes move to
//   the other instances, round 2 completes without its group, and rounds 3-4 count them.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RdpAccountant, nodeCryptoProvider, type LedgerEntry } from '@fedtune/shared';
import { PostgresStore, PrivacyController, parsePlan, type RoundSummary } from '@fedtune/coordinator';
import type { FederatedClient } from '@fedtune/client';
import { FixedStepTrainer } from './helpers/fixed-step-trainer.js';
import { clusterDb, startNodes, startServe, waitLine } from './helpers/cluster.js';
import type { Running } from './helpers/processes.js';

const db = await clusterDb();
if (!('url' in db)) console.warn(`cluster failover tests skipped: ${db.reason}`);

const NODES = 240;
const DIM = 32;
const ROUNDS = 4;
const DP = { mode: 'distributed' as const, clip: 1, noiseMultiplier: 1, delta: 1e-5 };
const MIN_GROUP = 20;

async function configFile(): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'fedtune-cluster-')), 'coordinator.json');
  await writeFile(
    path,
    JSON.stringify({
      host: '127.0.0.1',
      rounds: ROUNDS,
      minNodes: Math.floor(NODES * 0.9),
      // Everyone each round (q = K/N = 1): every node's reconnection shows in the next round.
      selection: { kind: 'uniform', clientsPerRound: NODES, overSelection: 0 },
      population: NODES,
      minResults: MIN_GROUP,
      maxSessionsPerToken: 10_000,
      fitDeadlineMs: 60_000,
      evaluateEvery: 0,
      unmaskWorkers: 1,
      secagg: { l2Clip: 1, dropoutRate: 0.1, corruptionRate: 0.05, stageDeadlineMs: 30_000 },
      dp: DP,
      cluster: { minGroupSize: MIN_GROUP, heartbeatMs: 250, leaderRetryMs: 500, instanceTimeoutMs: 3000 },
      logLevel: 'info',
    }),
  );
  return path;
}

const trainers = () => Array.from({ length: NODES }, (_, i) => new FixedStepTrainer(DIM, (fit) => new Float32Array(DIM).map((_, j) => Math.sin(i + j + fit) * 0.01)));

async function listening(p: Running): Promise<string> {
  return (await waitLine(p, /listening on (http:\/\/\S+)/))[1]!;
}

interface RunRecord {
  rounds: RoundSummary[];
  ledger: LedgerEntry[];
  plans: ReturnType<typeof parsePlan>[];
  participants: Map<number, Map<string, string>>;
  known: Set<string>;
}

async function record(pgUrl: string, schema: string): Promise<RunRecord> {
  const store = await PostgresStore.open({ connectionString: pgUrl, schema, description: 'check', crypto: nodeCryptoProvider, retention: { keepLast: 10, keepEvery: 0 }, key: null, readonly: true });
  try {
    const rounds = await store.rounds(null, 100);
    const ledger = await store.ledger();
    const plans = ((await store.pool.query('SELECT plan FROM cluster_plans ORDER BY round')).rows as { plan: unknown }[]).map((r) => parsePlan(r.plan));
    const participants = new Map<number, Map<string, string>>();
    for (const r of (await store.pool.query('SELECT round, node, outcome FROM round_nodes')).rows as { round: string; node: string; outcome: string }[]) {
      const m = participants.get(Number(r.round)) ?? new Map<string, string>();
      m.set(r.node, r.outcome);
      participants.set(Number(r.round), m);
    }
    const known = new Set((await store.models()).map((m) => m.version));
    return { rounds, ledger, plans, participants, known };
  } finally {
    await store.close();
  }
}

/** The ledger a single coordinator keeps for these rounds: one entry per completed round, planned on that round's context. */
function validateLedger(run: RunRecord): void {
  const completed = run.rounds.filter((r) => r.status === 'completed').map((r) => r.round);
  expect(run.ledger.map((e) => e.round), 'one ledger entry per completed round, none twice').toEqual(completed);
  const single = new PrivacyController({ ...DP, minSurvivors: MIN_GROUP }, { rounds: ROUNDS, samplingRate: 1 });
  const acc = new RdpAccountant();
  for (const e of run.ledger) {
    const plan = run.plans.find((p) => p.round === e.round)!;
    const expected = single.planRound({ round: e.round, selected: plan.ring.maxSummands, samplingRate: 1, dimension: DIM, secagg: true, bits: 32, population: NODES });
    expect(e).toEqual({ round: e.round, mode: 'distributed', clip: DP.clip, event: expected.event });
    acc.compose(expected.event!);
  }
  expect(run.rounds.at(-1)!.epsilon).toBeCloseTo(acc.epsilon(DP.delta).epsilon, 12);
  for (const r of run.rounds) expect(run.known.has(r.modelVersion!), `round ${r.round}'s model is stored`).toBe(true);
}

describe.runIf('url' in db)('three serve processes on PostgreSQL: failover', () => {
  const pg = db as Exclude<typeof db, { reason: string }>;

  it('kill -9 of the leader inside its round-2 commit: another instance commits round 2 once, the run completes, the ledger is a single coordinator\'s', async () => {
    const schema = pg.freshSchema('fo_leader');
    const config = await configFile();
    // The first instance leads (it starts alone) and dies at the failpoint; the others never arm it.
    const first = startServe(pg.storeUrl(schema), config, { FEDTUNE_FAILPOINTS: 'commit:done@2=SIGKILL' });
    await waitLine(first, /"msg":"leader elected"/, 'err');
    const others = [startServe(pg.storeUrl(schema), config), startServe(pg.storeUrl(schema), config)];
    const urls = [await listening(first), ...(await Promise.all(others.map(listening)))];
    const clients = await startNodes(urls, trainers());
    expect(await first.exited).toBe(137);
    const takeover = await Promise.race(others.map((p) => p.line(/"msg":"leader elected".*"epoch":2/, 'err').then(() => p)));
    const codes = await Promise.all(others.map((p) => p.exited));
    expect(codes).toEqual([0, 0]);
    expect(takeover.output().out).toMatch(/finished: 4 rounds completed/);
    const run = await record(pg.url, schema);
    expect(run.rounds.map((r) => [r.round, r.status])).toEqual([1, 2, 3, 4].map((r) => [r, 'completed']));
    // Round 2 holds the dead leader's group too: its sum was written before it died.
    expect(run.rounds[1]!.groups!.filter((g) => g.status === 'ok')).toHaveLength(3);
    expect(run.rounds[1]!.survivors).toBeGreaterThanOrEqual(NODES * 0.9);
    // Rounds 3 and 4 ran on the two instances left (round 3 may start before the dead one's nodes
    // are back: the new leader plans at once), and by round 4 its nodes took part from them.
    for (const r of run.rounds.slice(2)) expect(r.groups!.filter((g) => g.status === 'ok')).toHaveLength(2);
    expect(run.rounds[3]!.survivors).toBeGreaterThanOrEqual(NODES * 0.9);
    validateLedger(run);
    const ends = await Promise.all(clients.map((c) => c.ended));
    expect(ends.filter((e) => e.ok).length).toBeGreaterThanOrEqual(NODES * 0.95);
  }, 240_000);

  it('kill -9 of a follower while its group collects: its nodes move to the other instances and the next rounds count them', async () => {
    const schema = pg.freshSchema('fo_follower');
    const config = await configFile();
    const first = startServe(pg.storeUrl(schema), config);
    await waitLine(first, /"msg":"leader elected"/, 'err');
    const follower = startServe(pg.storeUrl(schema), config);
    const third = startServe(pg.storeUrl(schema), config);
    const urls = await Promise.all([first, follower, third].map(listening));
    const clients = await startNodes(urls, trainers());
    await waitLine(follower, /"msg":"group collecting","round":2/, 'err');
    const moved: FederatedClient[] = clients.filter((c) => c.url === urls[1]);
    const movedIds = moved.map((c) => c.id!);
    expect(moved.length).toBe(NODES / 3);
    follower.child.kill('SIGKILL');
    expect(await follower.exited).toBe(137);
    expect(await Promise.all([first.exited, third.exited])).toEqual([0, 0]);
    const run = await record(pg.url, schema);
    expect(run.rounds.map((r) => [r.round, r.status])).toEqual([1, 2, 3, 4].map((r) => [r, 'completed']));
    // Round 2: the killed instance's group never reported; the others' sums made the round.
    expect(run.rounds[1]!.groups!.map((g) => g.status)).toEqual(['ok', 'ok']);
    // Round 3 counts most of the killed instance's nodes from the other instances; one still
    // reconnecting when the leader planned round 3 (the machine may be loaded) is in round 4.
    const contributed = (round: number, id: string) => run.participants.get(round)?.get(id) === 'contributed';
    expect(movedIds.filter((id) => contributed(3, id)).length).toBeGreaterThanOrEqual(moved.length * 0.5);
    expect(movedIds.filter((id) => contributed(3, id) || contributed(4, id)).length).toBeGreaterThanOrEqual(moved.length * 0.95);
    for (const c of moved) expect([urls[0], urls[2]]).toContain(c.url);
    validateLedger(run);
  }, 240_000);
});
