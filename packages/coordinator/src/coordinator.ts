// The coordinator service: an HTTP server (health, metrics, the admin surface and dashboard)
// carrying socket.io, the in-memory model cache, the round engine and its strategy, and the
// durable Store every round commits to, so a restarted coordinator resumes where the last commit
// left it. Who may connect and how much is bounded here: tokens, node identities, connections.
import { readFile } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { FedtuneError, MAX_FRAME_BYTES, nodeCryptoProvider, seededRandom, systemRandom, type CryptoProvider, type RandomSource, type Weights } from '@fedtune/shared';
import { Server } from 'socket.io';
import { AuthFailures, DEFAULT_AUTH_FAILURE_POLICY } from './auth/auth-failures.js';
import { NodeRegistry } from './auth/node-registry.js';
import { TokenRegistry } from './auth/token-registry.js';
import { AdminAuth } from './http/admin-auth.js';
import { guardConnections } from './http/connection-guard.js';
import { createRoutes, type CoordinatorView } from './http/routes.js';
import { Readiness } from './transport/readiness.js';
import { DEFAULT_DEADLINES, resolveConfig, type CoordinatorConfig, type CoordinatorConfigInput } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { ModelStore } from './model/model-store.js';
import { systemClock, type Clock } from './round/clock.js';
import { RoundEngine, type EngineState, type TrainingOutcome } from './round/round-engine.js';
import type { RoundSummary } from './round/round-summary.js';
import { createStrategy } from './strategy/create-strategy.js';
import type { Strategy } from './strategy/strategy.js';
import { SocketServer, type FedtuneServer } from './transport/socket-server.js';
import { UnmaskPool } from './secagg/unmask-pool.js';
import { wrapWithDp } from './dp/wrap-with-dp.js';
import { openStore } from './store/open-store.js';
import { resumeFromStore, type Resumed } from './store/resume.js';
import type { AuditRecord, Store } from './store/store.js';
import { PostgresStore } from './store/postgres-store.js';
import { parsePostgresUrl } from './store/postgres-url.js';
import { ClusterBus } from './cluster/cluster-bus.js';
import { EVALUATION_OFF_ACROSS_INSTANCES } from './cluster/cluster-leader.js';
import { ClusterMember } from './cluster/cluster-member.js';
import { clusterSettings, isClustered } from './cluster/cluster-settings.js';
import { ClusterTables } from './cluster/cluster-tables.js';
import { LeaderLease } from './cluster/leader-lease.js';

export interface CoordinatorOptions {
  config: CoordinatorConfigInput;
  crypto?: CryptoProvider;
  random?: RandomSource;
  clock?: Clock;
  logger?: Logger;
  /** Start from these weights instead of asking a node for initial ones (ignored when resuming). */
  initialWeights?: Weights;
  /** Replaces the configured strategy (e.g. a wrapped one). */
  strategy?: Strategy;
  /** Replaces the store the config names (a test's, or another implementation). */
  store?: Store;
}

/** Whether the config runs differential privacy (any mode but off). */
function dpOn(config: CoordinatorConfig): boolean {
  return config.dp !== undefined && config.dp.mode !== 'off';
}

/** Why federated evaluation is off under DP: per-node loss, accuracy and counts are un-noised functions of a node's data. */
export const EVALUATION_OFF_UNDER_DP =
  'federated evaluation is off under differential privacy: per-node loss, accuracy and example counts are un-noised functions of a node\'s data outside the accounted guarantee';

/** How long nodes told of a restart wait before their first reconnection attempt. */
const RESTART_RETRY_MS = 1000;

export class Coordinator {
  readonly config: CoordinatorConfig;
  readonly metrics = new Metrics();
  /** The model versions in memory, served to nodes chunk by chunk. */
  readonly store: ModelStore;
  /** The durable store: rounds, models, ledger, strategy state, nodes, audit log. */
  readonly db: Store;
  readonly logger: Logger;
  private readonly http: HttpServer;
  private readonly io: FedtuneServer;
  private readonly sockets: SocketServer;
  private engine: RoundEngine | null = null;
  private running: Promise<unknown> | null = null;
  private resumed: Resumed = { lastRound: 0, completedRounds: 0 };
  private readonly crypto: CryptoProvider;
  private readonly random: RandomSource;
  /** DP noise and DP sampling: the OS CSPRNG always, whatever `seed` says. */
  private readonly privacyRandom: RandomSource;
  private readonly clock: Clock;
  private readonly strategy: Strategy;
  private readonly unmaskPool: UnmaskPool;
  private readonly scheme: 'http' | 'https';
  private readonly tokens: TokenRegistry;
  private readonly identityKeys: ReadonlyMap<string, Uint8Array> | undefined;
  private closed = false;
  /** Several instances on a PostgreSQL store (issue 13): this instance's part in the run. */
  private readonly cluster: { id: string; store: PostgresStore; bus: ClusterBus; tables: ClusterTables; member: ClusterMember | null; url: string | null } | null;

  private constructor(options: CoordinatorOptions, config: CoordinatorConfig, tls: { cert: Buffer; key: Buffer } | null, db: Store) {
    this.config = config;
    this.db = db;
    this.crypto = options.crypto ?? nodeCryptoProvider;
    // `seed` reproduces only what carries no privacy (selection when DP is off, the SecAgg graph's
    // shuffle, which node sends the initial model); DP noise and DP sampling never come from it.
    this.random = options.random ?? (config.seed === undefined ? systemRandom(this.crypto) : seededRandom(this.crypto, `coordinator/${config.seed}`));
    this.privacyRandom = systemRandom(this.crypto);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger(config.logLevel, 'coordinator');
    this.strategy = wrapWithDp(options.strategy ?? createStrategy(config.strategy.name, config.strategy), config, this.privacyRandom);
    this.store = new ModelStore(this.crypto);
    this.unmaskPool = new UnmaskPool(config.unmaskWorkers);
    this.tokens = new TokenRegistry(this.crypto, config.tokens, config.tokenHashes, config.maxSessionsPerToken);
    if (this.tokens.size === 0) this.logger.warn('no enrollment tokens configured: every hello will be refused');
    const admin = new AdminAuth(this.crypto, config.adminTokens, config.adminTokenHashes);
    if (!admin.configured) this.logger.info('no admin token configured: the dashboard and /api answer 401 (/healthz and /metrics stay open)');
    this.identityKeys =
      config.secagg?.identityKeys === undefined ? undefined : new Map(Object.entries(config.secagg.identityKeys).map(([id, hex]) => [id, new Uint8Array(Buffer.from(hex, 'hex'))]));
    const routes = createRoutes({ view: this.view(), admin, metrics: this.metrics, metricsAuth: config.metricsAuth });
    this.http = tls === null ? createServer(routes) : createTlsServer(tls, routes);
    this.scheme = tls === null ? 'http' : 'https';
    guardConnections(this.http, config.limits, this.metrics, this.logger);
    this.io = new Server(this.http, { maxHttpBufferSize: MAX_FRAME_BYTES + 4096, serveClient: false, transports: ['websocket'] });
    if (isClustered(config)) {
      if (!(db instanceof PostgresStore)) throw new FedtuneError('FT_ERR_CONFIG', 'several instances need the PostgreSQL store the config names');
      const id = Buffer.from(this.crypto.randomBytes(8)).toString('hex');
      this.cluster = { id, store: db, bus: new ClusterBus(this.io, db, this.logger), tables: new ClusterTables(db), member: null, url: null };
    } else {
      this.cluster = null;
    }
    const bus = this.cluster?.bus;
    this.sockets = new SocketServer(this.io, {
      tokens: this.tokens,
      registry: new NodeRegistry(this.crypto, db, () => this.clock.now(), config.store.maxNodes, (err) => this.logger.error('node registry', { error: err.message })),
      readiness: new Readiness(this.clock, { penaltyMs: config.limits.penaltyMs, maxPenaltyMs: config.limits.maxPenaltyMs }),
      authFailures: new AuthFailures(this.clock, { ...DEFAULT_AUTH_FAILURE_POLICY, threshold: config.limits.authFailuresBeforeBackoff }),
      ...(this.identityKeys === undefined ? {} : { identityKeys: this.identityKeys }),
      store: this.store,
      crypto: this.crypto,
      logger: this.logger,
      metrics: this.metrics,
      helloTimeoutMs: config.helloTimeoutMs ?? DEFAULT_DEADLINES.helloTimeoutMs,
      maxStrikes: config.limits.maxStrikes,
      now: () => this.clock.now(),
      audit: (r) => this.audit(r),
      persistRevocation: (key, label) => db.revokeToken(key, label, this.clock.now()),
      ...(bus === undefined
        ? {}
        : { onRevoked: (key: string) => bus.emit('revoked', key), onSessionOpened: (node: string) => bus.emit('session', node, this.cluster!.id) }),
    });
    if (bus !== undefined) {
      bus.on('revoked', (key) => typeof key === 'string' && this.sockets.revokeLocal(key));
      bus.on('session', (node, instance) => typeof node === 'string' && instance !== this.cluster!.id && this.sockets.dropStaleSession(node));
    }
    this.metrics.engineUp.set(1);
  }

  /** Appends to the audit log without holding up the caller; a failure is logged, never thrown. */
  private audit(record: Omit<AuditRecord, 'at'>): void {
    this.db.audit({ ...record, at: this.clock.now() }).catch((err: Error) => this.logger.error('audit log write failed', { kind: record.kind, error: err.message }));
  }

  /** What the HTTP routes may read and do. */
  private view(): CoordinatorView {
    return {
      engineState: () => this.engine?.state ?? 'idle',
      nodeCount: () => this.nodeCount,
      modelVersion: () => this.store.current?.version ?? null,
      config: () => ({ rounds: this.config.rounds, minNodes: this.config.minNodes, strategy: this.strategy.name, secagg: this.config.secagg !== undefined, dp: this.config.dp?.mode ?? 'off' }),
      waiting: () =>
        this.cluster !== null
          ? (this.cluster.member?.waiting ?? null)
          : this.engine?.state === 'waiting-for-nodes'
            ? { needed: this.config.minNodes, available: this.sockets.available().length }
            : null,
      rounds: (before, limit) => this.db.rounds(before, limit),
      sessions: (offset, limit) => this.sockets.listSessions(offset, limit),
      knownNodes: (offset, limit) => this.db.nodes(offset, limit),
      tokens: () => this.tokens.list(),
      revokeToken: (labelOrHash) => this.sockets.revokeToken(labelOrHash),
      models: () => this.db.models(),
      tagModel: async (version, tag) => {
        await this.db.tagModel(version, tag, this.clock.now());
        this.audit({ kind: 'tag', detail: { version, tag } });
      },
      outcome: () => this.outcome,
      audit: (afterId, limit, kind) => this.db.auditLog(afterId, limit, kind),
    };
  }

  /** The engine's state: `failed` means no round can run (and /healthz answers 503). */
  get engineState(): EngineState {
    if (this.cluster?.member != null) return this.cluster.member.state;
    return this.engine?.state ?? 'idle';
  }

  /** How training ended (`stopped` when close() interrupted it); null while it runs or before run(). */
  get outcome(): TrainingOutcome | null {
    if (this.cluster !== null) return this.cluster.member?.outcome ?? null;
    return this.engine?.outcome ?? null;
  }

  /** This instance's id among several on a PostgreSQL store, or null on a single instance. */
  get instanceId(): string | null {
    return this.cluster?.id ?? null;
  }

  /** Whether this instance leads its run of several instances now. */
  get leading(): boolean {
    return this.cluster?.member?.leading ?? false;
  }

  /**
   * Builds a coordinator on the store its config names, resuming the run the store holds (after
   * migrating a pre-store data directory), else starting from `initialWeights` or the config's
   * initialCheckpoint when given.
   * @throws FedtuneError FT_ERR_CONFIG (config, tls files, checkpoint), FT_ERR_STORE, FT_ERR_STORE_KEY.
   */
  static async create(options: CoordinatorOptions): Promise<Coordinator> {
    const config = resolveConfig(options.config);
    let tls: { cert: Buffer; key: Buffer } | null = null;
    if (config.tls !== undefined) {
      try {
        tls = { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) };
      } catch (err) {
        throw new FedtuneError('FT_ERR_CONFIG', `cannot read tls files: ${(err as Error).message}`);
      }
    }
    const crypto = options.crypto ?? nodeCryptoProvider;
    const db = options.store ?? (await openStore(config, crypto));
    let c: Coordinator | undefined;
    try {
      c = new Coordinator(options, config, tls, db);
      c.resumed = await resumeFromStore({
        config,
        db,
        models: c.store,
        strategy: c.strategy,
        tokens: c.tokens,
        crypto,
        now: c.clock.now(),
        logger: c.logger,
        ...(options.initialWeights === undefined ? {} : { initialWeights: options.initialWeights }),
      });
    } catch (err) {
      if (c !== undefined) await c.unmaskPool.close();
      await db.close();
      throw err;
    }
    return c;
  }

  /** Starts listening; resolves with the bound port and the URL nodes connect to. */
  async listen(): Promise<{ port: number; url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.config.port, this.config.host, () => resolve());
    });
    const { port } = this.http.address() as AddressInfo;
    const url = `${this.scheme}://${this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host}:${port}`;
    if (this.cluster !== null) this.cluster.url = clusterSettings(this.config).advertiseUrl ?? url;
    this.logger.info('listening', { url, store: this.db.description, resumedAfterRound: this.resumed.lastRound });
    return { port, url };
  }

  get nodeCount(): number {
    return this.sockets.nodeCount;
  }

  /** Runs the configured rounds (those a restarted run has left); `onRound` sees each summary as it completes. */
  async run(onRound?: (s: RoundSummary) => void): Promise<RoundSummary[]> {
    const c = this.config;
    const engine = new RoundEngine(
      {
        settings: {
          rounds: c.rounds,
          minNodes: c.minNodes,
          minResults: c.minResults,
          selection: c.selection,
          fitDeadlineMs: c.fitDeadlineMs ?? DEFAULT_DEADLINES.fitDeadlineMs,
          evaluateDeadlineMs: c.evaluateDeadlineMs ?? DEFAULT_DEADLINES.evaluateDeadlineMs,
          evaluateEvery: c.evaluateEvery,
          ...(c.evaluateClients === undefined ? {} : { evaluateClients: c.evaluateClients }),
          // DP bounds each node's influence by C: a mean weighted by example counts would not be, and
          // a node's count is private (nodes send 0 under DP).
          weighting: dpOn(c) ? 'uniform' : c.weighting,
          ...(c.population === undefined ? {} : { population: c.population }),
          ...(dpOn(c) ? { dpSampling: true, evaluationOff: EVALUATION_OFF_UNDER_DP } : {}),
          trainConfig: c.trainConfig,
          uploadSlots: c.uploadSlots,
          uploadIdleMs: c.limits.uploadIdleMs,
          maxExamplesPerNode: c.limits.maxExamplesPerNode,
          ...(c.limits.maxUpdateNorm === undefined ? {} : { maxUpdateNorm: c.limits.maxUpdateNorm }),
          ...(c.secagg === undefined ? {} : { secagg: { ...c.secagg, identityKeys: this.identityKeys } }),
        },
        strategy: this.strategy,
        store: this.store,
        transport: this.sockets,
        random: this.random,
        privacyRandom: this.privacyRandom,
        clock: this.clock,
        logger: this.logger,
        crypto: this.crypto,
        unmaskPool: this.unmaskPool,
        commit: (commit) => this.db.commitRound({ ...commit, at: this.clock.now() }),
        ...(this.cluster === null ? {} : { commit: (commit) => this.commitAsLeader(commit) }),
        audit: (e) => this.audit({ kind: 'refusal', node: e.node, code: e.code, detail: { round: e.round, message: e.message.slice(0, 512) } }),
      },
      this.resumed,
    );
    this.engine = engine;
    this.sockets.bind(engine);
    if (dpOn(c) && c.evaluateEvery > 0) this.logger.info('federated evaluation is off', { reason: EVALUATION_OFF_UNDER_DP });
    if (c.secagg?.trustCoordinatorDropouts === true) {
      this.logger.warn('secure aggregation trusts this coordinator to report dropouts truly (secagg.trustCoordinatorDropouts): thresholds t <= k/2 are used, and a coordinator that lied about dropouts could rebuild a node\'s update', {
        distributedDp: c.dp?.mode === 'distributed',
      });
    }
    engine.on('round', (s) => {
      const m = this.metrics;
      m.rounds.inc({ status: s.status });
      m.round.set(s.round);
      m.roundDuration.observe(s.durationMs / 1000);
      if (s.uploadBytesPerClient !== null) m.uploadBytesPerNode.observe(s.uploadBytesPerClient);
      if (s.evalLoss !== null) m.evalLoss.set(s.evalLoss);
      if (s.epsilon !== null) m.epsilon.set(s.epsilon);
      onRound?.(s);
    });
    if (this.cluster !== null) return this.runClustered(engine);
    const running = engine.run();
    this.running = running.catch(() => {});
    try {
      return await running;
    } finally {
      this.metrics.engineUp.set(engine.state === 'failed' ? 0 : 1);
      const outcome = engine.outcome;
      if (outcome !== null) this.audit({ kind: 'stop', detail: { status: outcome.status, reason: outcome.reason, completedRounds: outcome.completedRounds, rounds: outcome.rounds } });
    }
  }

  private leaseEpoch: () => number | null = () => null;

  /** The leader's commit (the initial model from a node): fenced by its epoch. @throws FedtuneError FT_ERR_NOT_LEADER. */
  private async commitAsLeader(commit: Omit<import('./store/store.js').RoundCommit, 'at'>): Promise<void> {
    const epoch = this.leaseEpoch();
    if (epoch === null) throw new FedtuneError('FT_ERR_NOT_LEADER', 'this instance does not lead the run');
    await this.cluster!.tables.commitPlanned(epoch, { ...commit, at: this.clock.now() });
  }

  /** Takes part in a run of several instances until it ends; resolves with the run's stored rounds. */
  private async runClustered(engine: RoundEngine): Promise<RoundSummary[]> {
    const cl = this.cluster!;
    const c = this.config;
    const settings = clusterSettings(c);
    const address = parsePostgresUrl(c.store.url!, c.store.schema);
    const url = cl.url ?? settings.advertiseUrl ?? `${this.scheme}://${c.host}:${c.port}`;
    const lease = new LeaderLease({ connectionString: address.connectionString, schema: address.schema, instance: cl.id, url, retryMs: settings.leaderRetryMs, tables: cl.tables, logger: this.logger });
    this.leaseEpoch = () => lease.epoch;
    const member = new ClusterMember({
      config: c,
      settings,
      instance: { id: cl.id, url },
      store: cl.store,
      tables: cl.tables,
      bus: cl.bus,
      lease,
      engine,
      sockets: this.sockets,
      models: this.store,
      strategy: this.strategy,
      secagg: { ...c.secagg!, identityKeys: this.identityKeys },
      random: this.random,
      privacyRandom: this.privacyRandom,
      clock: this.clock,
      logger: this.logger,
      ...(this.identityKeys === undefined ? {} : { enrolled: this.identityKeys.size }),
      evaluationOff: dpOn(c) ? EVALUATION_OFF_UNDER_DP : EVALUATION_OFF_ACROSS_INSTANCES,
      onRound: (s) => engine.emit('round', s),
    });
    cl.member = member;
    const running = member.run();
    this.running = running.catch(() => {});
    try {
      await running;
    } finally {
      const outcome = member.outcome;
      if (outcome !== null) this.audit({ kind: 'stop', detail: { status: outcome.status, reason: outcome.reason, completedRounds: outcome.completedRounds, rounds: outcome.rounds } });
    }
    return this.db.rounds(null, c.rounds + 1);
  }

  /** Whether the store held a run that had already run all its rounds when this coordinator started. */
  get resumedFinished(): boolean {
    return this.resumed.lastRound >= this.config.rounds;
  }

  /**
   * After a restart that found the run already over, nodes that were mid-run when the previous
   * process died may still be reconnecting: they are told training finished when they join.
   * Resolves once `minNodes` of them were told, or after `ms`.
   */
  async tellLateNodes(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.sockets.toldLateNodes(this.config.minNodes), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  /**
   * Stops training and closes every connection and the store. Nodes are told the coordinator is
   * restarting unless training already ended (they then had training:finished), so they keep
   * their state and rejoin the resumed run.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const outcome = this.outcome;
    const ended = outcome !== null && outcome.status !== 'stopped';
    await this.cluster?.member?.close();
    this.engine?.stop();
    if (!ended) this.sockets.broadcastRestarting({ reason: 'the coordinator is stopping; it resumes from its last committed round when restarted', retryAfterMs: RESTART_RETRY_MS });
    await this.unmaskPool.close();
    // Disconnect each node first: engine.io drains queued packets (training:finished, the restart
    // notice) before it closes a connection, which closing the server outright would cut off.
    const conns = [...this.io.sockets.sockets.values()].map((socket) => socket.conn);
    const drained = Promise.all(conns.map((conn) => new Promise<void>((resolve) => conn.once('close', () => resolve()))));
    // Only this instance's nodes: with several instances, a plain broadcast would reach theirs too.
    this.io.local.disconnectSockets(true);
    const bounded = (p: Promise<unknown>) => Promise.race([p, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await bounded(drained);
    // The round in flight is abandoned, not committed: wait for the engine to let go of the store.
    if (this.running !== null) await bounded(this.running);
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    if (this.http.listening) {
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeAllConnections();
      await closed;
    }
    await this.db.close();
  }
}
