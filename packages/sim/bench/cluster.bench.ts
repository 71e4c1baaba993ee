// Several coordinator instances on one PostgreSQL store (issue 13, item 6; Bonawitz et al. 2019,
// "Towards Federated Learning at Scale", §4): 1, 2 and 3 `fedtune-coordinator serve --store
// postgres://...` processes share a run of SecAgg+ with distributed DP, the nodes (light trainers,
// so the figures are the coordinators', not tfjs's) in this process with rotated URL lists. Per
// configuration: nodes per round, the steady round's time, and each instance's mask-removal time;
// then one round of 2,000 nodes over 3 instances. Needs the PostgreSQL that
// scripts/ci-install-postgres.sh starts (the tiny run says it skipped without one).
import { FederatedClient } from '@fedtune/client';
import { nodeCryptoProvider } from '@fedtune/shared';
import { PostgresStore, type RoundSummary } from '@fedtune/coordinator';
import { testPostgres, type TestPostgres } from '../../coordinator/test/postgres-test-server.js';
import type { BenchFigure, BenchFn } from '../../../scripts/bench-types.js';
import { startServe, type ServeProcess } from './coordinator-process.js';
import { TargetTrainer } from './target-trainer.js';

const TOKEN = 'bench-cluster-token-8Hq2Lx7Vn4Kp';

interface ClusterRun {
  rounds: RoundSummary[];
  wallMs: number;
}

/** One run: `instances` serve processes on a fresh schema, `nodes` nodes, `rounds` rounds. */
async function runCluster(db: TestPostgres, instances: number, nodes: number, rounds: number, dim: number): Promise<ClusterRun> {
  const schema = db.freshSchema('bench');
  const minGroup = Math.max(2, Math.floor((nodes / instances) * 0.8));
  const config = {
    tokens: [TOKEN],
    maxSessionsPerToken: 100_000,
    limits: { maxConnections: 100_000 },
    store: { url: db.storeUrl(schema) },
    rounds,
    minNodes: nodes,
    // Everyone each round (q = K/N = 1), so every configuration sums the same number of nodes.
    selection: { kind: 'uniform', clientsPerRound: nodes, overSelection: 0 },
    population: nodes,
    minResults: minGroup,
    evaluateEvery: 0,
    fitDeadlineMs: 600_000,
    secagg: { l2Clip: 1, dropoutRate: 0.05, corruptionRate: 0.05, stageDeadlineMs: 300_000 },
    // Noise sized for the smallest group: each group sum alone meets the guarantee.
    dp: { mode: 'distributed', clip: 1, noiseMultiplier: 1, delta: 1e-5, minSurvivors: minGroup },
    cluster: { minGroupSize: minGroup, instanceTimeoutMs: 60_000 },
  };
  const serves: ServeProcess[] = [];
  const clients: FederatedClient[] = [];
  try {
    for (let i = 0; i < instances; i++) serves.push(await startServe(config));
    const urls = serves.map((s) => s.url);
    const target = Float32Array.from({ length: dim }, (_, i) => ((i % 11) - 5) / 1000);
    for (let i = 0; i < nodes; i++) {
      clients.push(
        new FederatedClient({
          url: urls.map((_, j) => urls[(i + j) % urls.length]!),
          token: TOKEN,
          trainer: new TargetTrainer(target),
          reconnect: { initialDelayMs: 200, maxDelayMs: 5000 },
          requestTimeoutMs: 600_000,
        }),
      );
    }
    const started = performance.now();
    const finished = Promise.all(clients.map((c) => c.finished));
    await Promise.all(clients.map((c) => c.start()));
    await finished;
    const wallMs = performance.now() - started;
    const store = await PostgresStore.open({ connectionString: db.url, schema, description: 'bench', crypto: nodeCryptoProvider, retention: { keepLast: 10, keepEvery: 0 }, key: null, readonly: true });
    try {
      return { rounds: (await store.rounds(null, 1000)).sort((a, b) => a.round - b.round), wallMs };
    } finally {
      await store.close();
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(serves.map((s) => s.stop()));
  }
}

/** The figures of one run's last round (the steady one: the first also pays connection and JIT warm-up). */
function figuresOf(label: string, run: ClusterRun): BenchFigure[] {
  const last = run.rounds.at(-1);
  if (last === undefined || last.status !== 'completed') throw new Error(`${label}: the last round did not complete (${last?.abortReason ?? 'no round'})`);
  const groups = last.groups ?? [];
  const unmask = groups.map((g) => g.unmaskMs ?? NaN);
  return [
    { name: `${label}: nodes summed in round ${last.round}`, value: last.survivors, unit: 'nodes', note: `${groups.length} groups of ${groups.map((g) => g.survivors).join(', ')}` },
    { name: `${label}: round ${last.round} time (plan to commit)`, value: last.durationMs, unit: 'ms', note: `SecAgg stages ${JSON.stringify(last.secagg?.stageMs ?? {})}` },
    { name: `${label}: mask removal per instance, slowest`, value: Math.max(...unmask), unit: 'ms', note: `each instance: ${unmask.join(', ')} ms (in parallel)` },
    { name: `${label}: node-rounds per minute over the run`, value: Math.round((run.rounds.reduce((s, r) => s + r.survivors, 0) * 60_000) / run.wallMs), unit: 'node-rounds/min', note: `wall ${(run.wallMs / 1000).toFixed(1)} s, connections included` },
  ];
}

export const bench: BenchFn = async ({ tiny }) => {
  const db = await testPostgres();
  if (!('url' in db)) {
    // The smoke run has nothing to measure without a server; a real run must not pass silently.
    if (tiny) return [{ name: 'cluster benchmark skipped: no PostgreSQL', value: 0, unit: 'skipped', note: db.reason }];
    throw new Error(`the cluster benchmark needs PostgreSQL: ${db.reason}`);
  }
  const nodes = tiny ? 12 : 600;
  const dim = tiny ? 256 : 10_000;
  const figures: BenchFigure[] = [];
  try {
    for (const instances of tiny ? [1, 2] : [1, 2, 3]) {
      figures.push(...figuresOf(`${instances} instance${instances > 1 ? 's' : ''}, ${nodes} nodes, m=${dim}`, await runCluster(db, instances, nodes, 2, dim)));
    }
    const many = tiny ? 24 : 2000;
    figures.push(...figuresOf(`3 instances, ${many} nodes, m=${dim}`, await runCluster(db, 3, many, 1, dim)));
  } finally {
    await db.dropSchemas();
  }
  return figures;
};
