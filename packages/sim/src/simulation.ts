// The simulation harness: an embedded coordinator on a loopback port and N FederatedClients over
// real sockets in this process, with partitioned data and injected dropouts; the nodes' trainers
// run in worker threads, one per core (trainer-pool.ts), or in this thread. Returns the report
// whose field names DESIGN.md fixes.
import { FedtuneError, ed25519KeyPairFromSeed, forkSeed, nodeCryptoProvider, seededRandom, type TrainConfig } from '@fedtune/shared';
import { Coordinator, PostgresStore, createLogger, parsePostgresUrl, type CoordinatorConfigInput, type LogLevel, type RoundSummary, type StrategyName } from '@fedtune/coordinator';
import { dropoutFaults } from './dropout-faults.js';
import type { PartitionSpec, Workload } from './workload.js';
import { findWorkload } from './workloads.js';
import { defaultTrainerWorkers, TrainerPool } from './trainer-pool.js';
import { FederatedClient, type LocalTrainer } from '@fedtune/client';

export interface SimulationOptions {
  clients: number;
  rounds: number;
  model: string;
  dataset: string;
  partition: PartitionSpec;
  /** Probability that a selected node vanishes during a round. */
  dropout: number;
  seed: string;
  /** Nodes selected per round; default all. */
  clientsPerRound?: number;
  strategy?: StrategyName;
  /** The server optimiser's step size on the mean update (default the strategy's own: 1 for FedAvg). */
  serverLearningRate?: number;
  /**
   * Secure aggregation (SecAgg+); `l2Clip` bounds each delta for the ring encoding.
   * `trustCoordinatorDropouts` opts coordinator and nodes in to the honest-but-curious threshold.
   */
  secagg?: { l2Clip: number; activeMode?: boolean; trustCoordinatorDropouts?: boolean };
  /** Differential privacy; `distributed` needs secagg. Give noiseMultiplier or targetEpsilon. */
  dp?: { mode: 'distributed' | 'central' | 'local-sgd' | 'off'; clip: number; noiseMultiplier?: number; targetEpsilon?: number; delta: number; noise?: 'discrete-gaussian' | 'skellam' };
  /** Poisson selection at this rate instead of a fixed number per round. */
  sampleRate?: number;
  /** Force a training backend (tensorflow, webgpu, wasm, cpu). */
  backend?: string;
  logLevel?: LogLevel;
  /** Called after each round, e.g. for a progress bar. */
  onRound?: (summary: RoundSummary) => void;
  /** Use this workload instead of looking --model/--dataset up (e.g. a configured canary experiment). */
  workload?: Workload;
  /** Called once training ends, before the nodes are torn down: the final global weights and the nodes' trainers (e.g. for a privacy audit). */
  inspect?: (final: { weights: Float32Array; trainers: readonly LocalTrainer[] }) => Promise<void>;
  /**
   * Coordinator instances sharing one run on a PostgreSQL store (issue 13; needs `store` and
   * `secagg`): each runs SecAgg over a group of its own nodes, the leader adds the group sums.
   * Nodes get every instance's URL, rotated, so they spread evenly. Default 1.
   */
  instances?: number;
  /** A PostgreSQL store (postgres://...): without a `schema` parameter, a fresh schema dropped after the run. */
  store?: string;
  /** Several instances: the fewest nodes one group's sum may cover (default: most of an instance's expected share). */
  minGroupSize?: number;
  /**
   * Worker threads that train the nodes (each with its own tfjs engine); 0 trains them in this
   * thread. Default: one per core (defaultTrainerWorkers), or 0 with `workload` or `inspect`, whose
   * trainers must live in this thread.
   */
  workers?: number;
  /** Settings handed to the workload's createNodes (in every trainer thread): see WorkloadOptions.params. */
  workloadParams?: unknown;
  /** Replaces the workload's train config (sent with every fit). */
  trainConfig?: TrainConfig;
  /** Federated evaluation every this many rounds (default 1; 0: never). */
  evaluateEvery?: number;
  /** Called after each completed round with the model it released (a copy), e.g. for an analyst's audit. */
  onRoundModel?: (round: number, weights: Float32Array) => void;
}

export interface SimulationRoundReport {
  round: number;
  status: 'completed' | 'aborted';
  selected: number;
  survivors: number;
  dropped: number;
  droppedAt: { stage: string; reason: string }[];
  /** SecAgg rounds: milliseconds per stage, and the graph degree and threshold used. */
  secagg: { stageMs: Record<string, number>; degree: number | null; threshold: number | null } | null;
  trainLoss: number | null;
  evalLoss: number | null;
  evalAccuracy: number | null;
  /** Every evaluation metric the nodes reported (e.g. perplexity for language models), example-weighted. */
  evalMetrics: Record<string, number>;
  epsilon: number | null;
  delta: number | null;
  uploadBytesPerClient: number | null;
  durationMs: number;
  /** Several instances (`store`): each instance's group, its survivors and its mask-removal time. */
  groups?: { instance: string; status: 'ok' | 'skipped' | 'aborted'; selected: number; survivors: number; unmaskMs: number | null; durationMs: number }[];
}

export interface SimulationReport {
  config: Record<string, unknown>;
  rounds: SimulationRoundReport[];
  final: {
    evalAccuracy: number | null;
    evalLoss: number | null;
    firstEvalAccuracy: number | null;
    firstEvalLoss: number | null;
    roundsCompleted: number;
    roundsAborted: number;
    backend: string;
    modelVersion: string | null;
    durationMs: number;
  };
}

/** A fixed node id for simulated node i (active mode binds ids to enrolled identities). */
function nodeIdFor(i: number): string {
  return i.toString(16).padStart(32, '0');
}

/** Runs a whole simulation. @throws FedtuneError FT_ERR_CONFIG on bad options. */
export async function runSimulation(o: SimulationOptions): Promise<SimulationReport> {
  if (!Number.isSafeInteger(o.clients) || o.clients < 1) throw new FedtuneError('FT_ERR_CONFIG', `--clients must be a positive integer, got ${o.clients}`);
  if (!Number.isSafeInteger(o.rounds) || o.rounds < 1) throw new FedtuneError('FT_ERR_CONFIG', `--rounds must be a positive integer, got ${o.rounds}`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new FedtuneError('FT_ERR_CONFIG', `--dropout must be in [0, 1), got ${o.dropout}`);
  const instances = o.instances ?? 1;
  if (!Number.isSafeInteger(instances) || instances < 1 || instances > 64) throw new FedtuneError('FT_ERR_CONFIG', `--instances must be an integer in [1, 64], got ${o.instances}`);
  if (instances > 1 && o.store === undefined) throw new FedtuneError('FT_ERR_CONFIG', '--instances above 1 needs --store postgres://... (the instances share their run there)');
  if (o.store !== undefined && o.secagg === undefined) throw new FedtuneError('FT_ERR_CONFIG', '--store runs the nodes in SecAgg groups: add --secagg');
  const started = Date.now();
  const crypto = nodeCryptoProvider;
  const workload = o.workload ?? findWorkload(o.model, o.dataset);
  if (o.dp?.mode === 'local-sgd' && workload.supportsLocalDp !== true) {
    throw new FedtuneError('FT_ERR_CONFIG', `--dp local-sgd is not available for --model ${o.model}: its trainer has no DP-SGD (use --model mlp, or --dp central/distributed)`);
  }
  const workers = trainerWorkers(o);
  const localDp = o.dp?.mode === 'local-sgd' ? { l2Clip: o.dp.clip, noiseMultiplier: o.dp.noiseMultiplier ?? 1, delta: o.dp.delta } : undefined;
  const pool = workers > 0 ? new TrainerPool(workers) : undefined;
  let trainers: LocalTrainer[];
  try {
    trainers =
      pool !== undefined
        ? await pool.createNodes({
            model: o.model,
            dataset: o.dataset,
            clients: o.clients,
            partition: o.partition,
            seed: o.seed,
            ...(o.backend === undefined ? {} : { backend: o.backend }),
            ...(localDp === undefined ? {} : { localDp }),
            ...(o.workloadParams === undefined ? {} : { params: o.workloadParams }),
          })
        : await workload.createNodes({
            clients: o.clients,
            partition: o.partition,
            random: seededRandom(crypto, forkSeed(o.seed, 'data')),
            ...(o.backend === undefined ? {} : { backend: o.backend }),
            ...(localDp === undefined ? {} : { localDp }),
            ...(o.workloadParams === undefined ? {} : { params: o.workloadParams }),
          });
  } catch (err) {
    await pool?.close();
    throw err;
  }
  const backend = trainers[0]?.backend ?? 'unknown';
  const token = Buffer.from(crypto.randomBytes(24)).toString('hex');
  // Active-mode SecAgg: every node gets an enrolled Ed25519 identity and a fixed node id.
  const identities = o.secagg?.activeMode
    ? new Map(trainers.map((_, i) => [nodeIdFor(i), ed25519KeyPairFromSeed(seededRandom(crypto, forkSeed(o.seed, `identity-${i}`)).bytes(32))]))
    : undefined;
  const identityKeys = identities === undefined ? undefined : new Map([...identities].map(([id, kp]) => [id, kp.publicKey]));
  const perRound = o.clientsPerRound ?? o.clients;
  const expected = o.sampleRate === undefined ? perRound : Math.max(1, Math.round(o.sampleRate * o.clients));
  const groupFloor = Math.max(2, Math.floor((expected / instances) * (1 - o.dropout) * 0.8));
  const config: CoordinatorConfigInput = {
    host: '127.0.0.1',
    port: 0,
    tokens: [token],
    // One shared enrollment token for the whole simulated fleet.
    maxSessionsPerToken: o.clients,
    rounds: o.rounds,
    // Dropped nodes reconnect at once; rounds start when most of the fleet is back.
    minNodes: Math.max(1, Math.ceil(o.clients * 0.5)),
    selection: o.sampleRate === undefined ? { kind: 'uniform', clientsPerRound: perRound, overSelection: 0 } : { kind: 'poisson', sampleRate: o.sampleRate },
    minResults: Math.max(1, Math.floor(expected * 0.25)),
    population: o.clients,
    ...(o.dp === undefined || o.dp.mode === 'off'
      ? {}
      : {
          dp: {
            mode: o.dp.mode,
            clip: o.dp.clip,
            delta: o.dp.delta,
            ...(o.dp.noiseMultiplier === undefined ? {} : { noiseMultiplier: o.dp.noiseMultiplier }),
            ...(o.dp.targetEpsilon === undefined ? {} : { targetEpsilon: o.dp.targetEpsilon }),
            ...(o.dp.noise === undefined ? {} : { noise: o.dp.noise }),
            ...(o.dp.mode === 'local-sgd' ? { localNoiseMultiplier: o.dp.noiseMultiplier ?? 1, localClip: o.dp.clip } : {}),
            // Distributed noise is sized for this many survivors: most of the expected cohort (of
            // one group, with several instances: each group sum alone must carry the target noise).
            minSurvivors: groupFloor,
          },
        }),
    evaluateEvery: o.evaluateEvery ?? 1,
    strategy: { name: o.strategy ?? 'fedavg', ...(o.serverLearningRate === undefined ? {} : { serverLearningRate: o.serverLearningRate }) },
    trainConfig: o.trainConfig ?? workload.trainConfig,
    seed: forkSeed(o.seed, 'coordinator'),
    fitDeadlineMs: 10 * 60_000,
    ...(o.secagg === undefined
      ? {}
      : {
          secagg: {
            l2Clip: o.secagg.l2Clip,
            // Size the graph for the dropout the simulation injects, with a margin.
            dropoutRate: Math.min(0.9, Math.max(0.05, o.dropout * 1.5)),
            activeMode: o.secagg.activeMode ?? false,
            trustCoordinatorDropouts: o.secagg.trustCoordinatorDropouts ?? false,
            ...(identities === undefined ? {} : { identityKeys: Object.fromEntries([...identities].map(([id, kp]) => [id, Buffer.from(kp.publicKey).toString('hex')])) }),
          },
        }),
    logLevel: o.logLevel ?? 'warn',
    // In-process instances live and die together, and thousands of simulated nodes share their
    // event loop: a late heartbeat must not count as a dead instance here.
    ...(o.store === undefined ? {} : { cluster: { minGroupSize: o.minGroupSize ?? groupFloor, instanceTimeoutMs: 600_000 } }),
  };
  const schema = o.store === undefined ? null : storeSchema(o.store);
  const coordinators: Coordinator[] = [];
  const closeAll = async () => {
    for (const c of coordinators) await c.close();
    if (schema?.fresh === true) await schema.drop();
  };
  try {
    for (let i = 0; i < instances; i++) {
      const instanceConfig = schema === null ? config : { ...config, store: { url: schema.url } };
      coordinators.push(await Coordinator.create({ config: instanceConfig, logger: createLogger(o.logLevel ?? 'warn', instances > 1 ? `coordinator-${i}` : 'coordinator') }));
    }
  } catch (err) {
    await closeAll().catch(() => {});
    await pool?.close();
    throw err;
  }
  const logger = createLogger(o.logLevel ?? 'warn', 'sim');
  const clients: FederatedClient[] = [];
  try {
    const urls: string[] = [];
    for (const c of coordinators) urls.push((await c.listen()).url);
    for (const [i, trainer] of trainers.entries()) {
      // No `random`: the client's ring rounding, DP noise and SecAgg keys come from the OS CSPRNG.
      const client = new FederatedClient({
        // Every instance, starting at the i-th: nodes spread evenly and move on when one stops answering.
        url: urls.map((_, j) => urls[(i + j) % urls.length]!),
        token,
        trainer,
        nodeName: `sim-${i}`,
        reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
        faults: dropoutFaults(o.dropout, seededRandom(crypto, forkSeed(o.seed, `faults-${i}`)), o.secagg !== undefined),
        secaggTrustCoordinatorDropouts: o.secagg?.trustCoordinatorDropouts ?? false,
        ...(identities === undefined ? {} : { nodeId: nodeIdFor(i), identity: identities.get(nodeIdFor(i))!, identityKeys: identityKeys! }),
      });
      // Failures reach the report through the round summary; the detail goes to the log.
      client.on('error', (e) => logger.warn('simulated node error', { node: `sim-${i}`, code: e.code, error: e.message }));
      clients.push(client);
    }
    await Promise.all(clients.map((c) => c.start()));
    const runs = await Promise.all(
      coordinators.map((c, i) =>
        c.run(
          i === 0
            ? (s) => {
                const model = c.store.current;
                if (o.onRoundModel !== undefined && s.status === 'completed' && model !== null) o.onRoundModel(s.round, model.weights.data.slice());
                o.onRound?.(s);
              }
            : undefined,
        ),
      ),
    );
    const summaries = runs[0]!;
    // Let every node hear training:finished (a node mid-reconnect may miss it: bounded wait).
    await Promise.race([Promise.all(clients.map((c) => c.finished)), new Promise((r) => setTimeout(r, 5000).unref())]);
    const final = coordinators[0]!.store.current;
    if (o.inspect !== undefined && final !== null) await o.inspect({ weights: final.weights.data, trainers });
    return buildReport({ ...o, ...(schema === null ? {} : { store: schema.url }) }, summaries, backend, final?.version ?? null, Date.now() - started);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await closeAll();
    await pool?.close();
  }
}

/** The store URL a PostgreSQL run uses: the given one when it names a schema, else a fresh schema (dropped after the run). */
function storeSchema(url: string): { url: string; fresh: boolean; drop: () => Promise<void> } {
  parsePostgresUrl(url);
  if (new URL(url).searchParams.has('schema')) return { url, fresh: false, drop: async () => {} };
  const withSchema = new URL(url);
  withSchema.searchParams.set('schema', `sim_${Date.now().toString(36)}_${Buffer.from(nodeCryptoProvider.randomBytes(4)).toString('hex')}`);
  return { url: withSchema.href, fresh: true, drop: () => PostgresStore.dropSchema(withSchema.href) };
}

/** Trainer threads for this run. @throws FedtuneError FT_ERR_CONFIG for a bad count, or threads asked of a run whose trainers must stay here. */
function trainerWorkers(o: SimulationOptions): number {
  const local = o.workload !== undefined || o.inspect !== undefined;
  if (o.workers === undefined) return local ? 0 : defaultTrainerWorkers(o.clients);
  if (!Number.isSafeInteger(o.workers) || o.workers < 0) throw new FedtuneError('FT_ERR_CONFIG', `--workers must be an integer >= 0, got ${o.workers}`);
  if (o.workers > 0 && local) throw new FedtuneError('FT_ERR_CONFIG', 'worker threads need a workload named by --model/--dataset and no inspect hook: this run trains in its own thread (workers 0)');
  return Math.min(o.workers, o.clients);
}

function buildReport(o: SimulationOptions, summaries: RoundSummary[], backend: string, modelVersion: string | null, durationMs: number): SimulationReport {
  const rounds = summaries.map((s) => ({
    round: s.round,
    status: s.status,
    selected: s.selected,
    survivors: s.survivors,
    dropped: s.dropped,
    droppedAt: s.droppedDetail.map((d) => ({ stage: d.stage, reason: d.reason })),
    secagg: s.secagg === null ? null : { stageMs: s.secagg.stageMs, degree: s.secagg.degree, threshold: s.secagg.threshold },
    trainLoss: s.trainLoss,
    evalLoss: s.evalLoss,
    evalAccuracy: s.evalAccuracy,
    evalMetrics: s.evalMetrics,
    epsilon: s.epsilon,
    delta: s.delta,
    uploadBytesPerClient: s.uploadBytesPerClient,
    durationMs: s.durationMs,
    ...(s.groups === undefined ? {} : { groups: s.groups.map((g) => ({ instance: g.instance, status: g.status, selected: g.selected, survivors: g.survivors, unmaskMs: g.unmaskMs, durationMs: g.durationMs })) }),
  }));
  const evaluated = rounds.filter((r) => r.evalAccuracy !== null);
  const last = evaluated.at(-1);
  const { onRound: _onRound, inspect: _inspect, workload: _workload, onRoundModel: _onRoundModel, ...config } = o;
  return {
    // The store's URL without its password.
    config: { ...config, partition: o.partition.kind === 'iid' ? 'iid' : `dirichlet:${o.partition.alpha}`, ...(o.store === undefined ? {} : { store: parsePostgresUrl(o.store).description }) },
    rounds,
    final: {
      evalAccuracy: last?.evalAccuracy ?? null,
      evalLoss: last?.evalLoss ?? null,
      firstEvalAccuracy: evaluated[0]?.evalAccuracy ?? null,
      firstEvalLoss: rounds.find((r) => r.evalLoss !== null)?.evalLoss ?? null,
      roundsCompleted: rounds.filter((r) => r.status === 'completed').length,
      roundsAborted: rounds.filter((r) => r.status === 'aborted').length,
      backend,
      modelVersion,
      durationMs,
    },
  };
}
