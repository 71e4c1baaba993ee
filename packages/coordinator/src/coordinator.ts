// The coordinator service: an HTTP server (health, metrics, the admin surface) carrying socket.io,
// the model store, the round engine and its strategy, and optional durable state for resuming after
// a restart. Who may connect and how much is bounded here: tokens, node identities, connections.
import { readFile } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { FedtuneError, MAX_FRAME_BYTES, nodeCryptoProvider, seededRandom, systemRandom, type CryptoProvider, type RandomSource, type Weights } from '@fedtune/shared';
import { Server } from 'socket.io';
import { AuthFailures } from './auth/auth-failures.js';
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
import { loadState, saveState } from './model/state-file.js';
import { systemClock, type Clock } from './round/clock.js';
import { RoundEngine, type EngineState } from './round/round-engine.js';
import type { RoundSummary } from './round/round-summary.js';
import { createStrategy } from './strategy/create-strategy.js';
import type { Strategy } from './strategy/strategy.js';
import { SocketServer, type FedtuneServer } from './transport/socket-server.js';
import { UnmaskPool } from './secagg/unmask-pool.js';
import { DpStrategy } from './dp/dp-strategy.js';
import { PrivacyController } from './dp/privacy-controller.js';

/** Wraps the strategy in DP when the config asks for it; the wrapper keeps the privacy ledger. */
function wrapWithDp(inner: Strategy, config: CoordinatorConfig, random: RandomSource): Strategy {
  const dp = config.dp;
  if (dp === undefined || dp.mode === 'off') return inner;
  const sel = config.selection;
  const perRound = sel.kind === 'poisson' ? undefined : Math.ceil(sel.clientsPerRound * (1 + sel.overSelection));
  // The planned rate, to solve z for a target epsilon; each round then records its actual rate.
  const samplingRate = sel.kind === 'poisson' ? sel.sampleRate : Math.min(1, perRound! / Math.max(1, config.population ?? perRound!));
  const controller = new PrivacyController(
    {
      mode: dp.mode,
      clip: dp.clip,
      delta: dp.delta,
      minSurvivors: dp.minSurvivors ?? config.minResults,
      noise: dp.noise,
      ...(dp.noiseMultiplier === undefined ? {} : { noiseMultiplier: dp.noiseMultiplier }),
      ...(dp.targetEpsilon === undefined ? {} : { targetEpsilon: dp.targetEpsilon }),
      ...(dp.budgetEpsilon === undefined ? {} : { budgetEpsilon: dp.budgetEpsilon }),
      ...(dp.localNoiseMultiplier === undefined ? {} : { localNoiseMultiplier: dp.localNoiseMultiplier }),
      ...(dp.localClip === undefined ? {} : { localClip: dp.localClip }),
    },
    { rounds: config.rounds, samplingRate },
  );
  return new DpStrategy(inner, controller, random);
}

/** Rounds kept in memory for the dashboard and /api/status (each summary is itself bounded). */
const HISTORY_ROUNDS = 1000;

export interface CoordinatorOptions {
  config: CoordinatorConfigInput;
  crypto?: CryptoProvider;
  random?: RandomSource;
  clock?: Clock;
  logger?: Logger;
  /** Start from these weights instead of asking a node for initial ones. */
  initialWeights?: Weights;
  /** Replaces the configured strategy (e.g. a wrapped one). */
  strategy?: Strategy;
}

export class Coordinator {
  readonly config: CoordinatorConfig;
  readonly metrics = new Metrics();
  readonly store: ModelStore;
  readonly logger: Logger;
  private readonly http: HttpServer;
  private readonly io: FedtuneServer;
  private readonly sockets: SocketServer;
  private engine: RoundEngine | null = null;
  private resumeRound = 0;
  /** Completed and aborted rounds of this process, for the dashboard (the last HISTORY_ROUNDS). */
  private readonly history: RoundSummary[] = [];
  private readonly crypto: CryptoProvider;
  private readonly random: RandomSource;
  private readonly clock: Clock;
  private readonly strategy: Strategy;
  private readonly unmaskPool: UnmaskPool;
  private readonly scheme: 'http' | 'https';
  private readonly tokens: TokenRegistry;
  private readonly identityKeys: ReadonlyMap<string, Uint8Array> | undefined;

  private constructor(options: CoordinatorOptions, config: CoordinatorConfig, tls: { cert: Buffer; key: Buffer } | null) {
    this.config = config;
    this.crypto = options.crypto ?? nodeCryptoProvider;
    this.random = options.random ?? (config.seed === undefined ? systemRandom(this.crypto) : seededRandom(this.crypto, `coordinator/${config.seed}`));
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger(config.logLevel, 'coordinator');
    this.strategy = wrapWithDp(options.strategy ?? createStrategy(config.strategy.name, config.strategy), config, this.random);
    this.store = new ModelStore(this.crypto);
    this.unmaskPool = new UnmaskPool(config.unmaskWorkers);
    if (options.initialWeights !== undefined) this.store.put(options.initialWeights);
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
    this.sockets = new SocketServer(this.io, {
      tokens: this.tokens,
      registry: new NodeRegistry(this.crypto),
      readiness: new Readiness(this.clock, { penaltyMs: config.limits.penaltyMs, maxPenaltyMs: config.limits.maxPenaltyMs }),
      authFailures: new AuthFailures(this.clock),
      ...(this.identityKeys === undefined ? {} : { identityKeys: this.identityKeys }),
      store: this.store,
      crypto: this.crypto,
      logger: this.logger,
      metrics: this.metrics,
      helloTimeoutMs: config.helloTimeoutMs ?? DEFAULT_DEADLINES.helloTimeoutMs,
      now: () => this.clock.now(),
    });
    this.metrics.engineUp.set(1);
  }

  /** What the HTTP routes may read and do. */
  private view(): CoordinatorView {
    return {
      engineState: () => this.engine?.state ?? 'idle',
      nodeCount: () => this.nodeCount,
      modelVersion: () => this.store.current?.version ?? null,
      config: () => ({ rounds: this.config.rounds, strategy: this.strategy.name, secagg: this.config.secagg !== undefined, dp: this.config.dp?.mode ?? 'off' }),
      history: () => this.history,
      sessions: (offset, limit) => this.sockets.listSessions(offset, limit),
      tokens: () => this.tokens.list(),
      revokeToken: (labelOrHash) => this.sockets.revokeToken(labelOrHash),
    };
  }

  /** The engine's state: `failed` means no round can run (and /healthz answers 503). */
  get engineState(): EngineState {
    return this.engine?.state ?? 'idle';
  }

  /**
   * Builds a coordinator, resuming from `config.dataDir` when it holds saved state.
   * @throws FedtuneError FT_ERR_CONFIG on an invalid config or unreadable state.
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
    const c = new Coordinator(options, config, tls);
    if (config.dataDir !== undefined) {
      const saved = await loadState(config.dataDir);
      if (saved !== null) {
        c.store.put(saved.weights);
        c.resumeRound = saved.round;
        if (saved.extra.strategy !== undefined && saved.extra.strategy !== null) c.strategy.loadState?.(saved.extra.strategy);
        c.logger.info('resumed from saved state', { round: saved.round, version: saved.modelVersion });
      }
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
    this.logger.info('listening', { url });
    return { port, url };
  }

  get nodeCount(): number {
    return this.sockets.nodeCount;
  }

  /** Runs the configured rounds; `onRound` sees each summary as it completes. */
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
          // DP bounds each node's influence by C: a mean weighted by example counts would not be.
          weighting: c.dp !== undefined && c.dp.mode !== 'off' && c.dp.mode !== 'local-sgd' ? 'uniform' : c.weighting,
          ...(c.population === undefined ? {} : { population: c.population }),
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
        clock: this.clock,
        logger: this.logger,
        crypto: this.crypto,
        unmaskPool: this.unmaskPool,
        onModel: async (round, version, weights) => {
          if (c.dataDir !== undefined) await saveState(c.dataDir, { round, modelVersion: version, weights, extra: { strategy: this.strategy.saveState?.() ?? null } });
        },
      },
      this.resumeRound,
    );
    this.engine = engine;
    this.sockets.bind(engine);
    engine.on('round', (s) => {
      this.history.push(s);
      if (this.history.length > HISTORY_ROUNDS) this.history.shift();
      const m = this.metrics;
      m.rounds.inc({ status: s.status });
      m.round.set(s.round);
      m.roundDuration.observe(s.durationMs / 1000);
      if (s.uploadBytesPerClient !== null) m.uploadBytesPerNode.observe(s.uploadBytesPerClient);
      if (s.evalLoss !== null) m.evalLoss.set(s.evalLoss);
      if (s.epsilon !== null) m.epsilon.set(s.epsilon);
      onRound?.(s);
    });
    try {
      return await engine.run();
    } finally {
      this.metrics.engineUp.set(engine.state === 'failed' ? 0 : 1);
    }
  }

  /** Stops training and closes every connection. */
  async close(): Promise<void> {
    this.engine?.stop();
    await this.unmaskPool.close();
    // Disconnect each node first: engine.io drains queued packets (training:finished) before it
    // closes a connection, which closing the server outright would cut off. Bounded wait.
    const conns = [...this.io.sockets.sockets.values()].map((socket) => socket.conn);
    const drained = Promise.all(conns.map((conn) => new Promise<void>((resolve) => conn.once('close', () => resolve()))));
    this.io.disconnectSockets(true);
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    if (this.http.listening) {
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeAllConnections();
      await closed;
    }
  }
}
