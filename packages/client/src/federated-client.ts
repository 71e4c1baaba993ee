// The edge-node SDK: connects to a coordinator, authenticates, reconnects with backoff (also after
// a coordinator's graceful restart, which socket.io alone would not retry), fetches the global
// model only when its hash changed, trains with a LocalTrainer, and streams back the weight delta
// chunk by chunk, waiting for each acknowledgement (backpressure). `ended` says truthfully how it
// ended: training completed, training ended short, or this node was refused for good.
import { EventEmitter } from 'node:events';
import {
  CHUNK_ELEMENTS,
  FedtuneError,
  LAYOUT_MISMATCH_HINT,
  PROTOCOL_VERSION,
  describeLayoutMismatch,
  chunkCount,
  chunkView,
  DiscreteGaussian,
  Skellam,
  clipL2,
  encodeToRing,
  systemRandom,
  decodeMessage,
  decodeReply,
  encodeMessage,
  firstNonFinite,
  nodeCryptoProvider,
  sameLayout,
  signHello,
  subtract,
  toWireError,
  weightsVersion,
  type ClientToServerEvents,
  type CryptoProvider,
  type DpAttestation,
  type Ed25519KeyPair,
  type RandomSource,
  type SecAggStage,
  type EvaluateInstruction,
  type EventName,
  type FitInstruction,
  type MessageOf,
  type ReplyOf,
  type RoundEnd,
  type TrainingFinished,
  type Weights,
} from '@fedtune/shared';
import { CoordinatorConnection, coordinatorUrls } from './coordinator-connection.js';
import { SecAggParticipant } from './secagg-participant.js';
import type { LocalTrainer } from './training/trainer.js';
import { reportableMetrics } from './training/reportable-metrics.js';
import { dpRoundOf, localSgdRequest, type DpRound } from './training/dp-round.js';
import { isDpSgdCapable } from './training/dp-sgd-capable.js';

/** Where a simulated node can vanish: before training, halfway through its upload, or at a SecAgg stage's request. */
export type DropPoint = 'before-train' | 'mid-upload' | `secagg:${SecAggStage}`;

export interface FaultInjector {
  /** Return true to vanish (drop the connection) at this point of this round. */
  shouldDrop(round: number, point: DropPoint): boolean;
}

export interface FederatedClientOptions {
  /**
   * The coordinator, or several instances of one run (a PostgreSQL store): the node connects to the
   * first and moves to the next when one stops answering. Rotate the list per node to spread them.
   */
  url: string | readonly string[];
  token: string;
  trainer: LocalTrainer;
  nodeName?: string;
  crypto?: CryptoProvider;
  /** Reconnection backoff: exponential from initialDelayMs to maxDelayMs with jitter. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long one connection attempt may take before it counts as failed (default 4 s). */
  connectTimeoutMs?: number;
  /** Per-request timeout for acknowledged messages. */
  requestTimeoutMs?: number;
  /** Simulation only: injected dropouts. */
  faults?: FaultInjector;
  /** For an https/wss coordinator: a CA (PEM) to trust beyond the system's, e.g. a private CA. */
  tls?: { ca?: string };
  /**
   * The node id an enrolled identity is registered under (active-mode SecAgg binds ids to
   * identities): with `identity`, every hello proves it by signing the coordinator's nonce.
   */
  nodeId?: string;
  /** Randomness for ring encoding and SecAgg keys; default the system CSPRNG. */
  random?: RandomSource;
  /** Enrolled Ed25519 identity and the other nodes' enrolled keys (SecAgg active mode). */
  identity?: Ed25519KeyPair;
  identityKeys?: ReadonlyMap<string, Uint8Array>;
  /** What this node's weights are, sent with its initial weights (for exports): format, LoRA rank, base. */
  modelInfo?: Record<string, string>;
  /**
   * SecAgg, opt-in: trust the coordinator to report dropouts truly (honest-but-curious), which
   * lets it use thresholds t <= k/2 (sparse graphs at high dropout). Default false: this node
   * refuses any round whose threshold would let a coordinator that lies about dropouts rebuild
   * both of its secrets.
   */
  secaggTrustCoordinatorDropouts?: boolean;
}

export interface FederatedClientEvents {
  connected: [];
  /** A connection attempt failed; the next comes after about `retryInMs` (with jitter). */
  unreachable: [{ attempt: number; retryInMs: number; message: string; url: string }];
  /** The node moved on to the next coordinator URL of its list. */
  failover: [{ from: string; to: string; reason: string }];
  welcome: [{ nodeId: string; modelVersion: string | null }];
  model: [{ version: string; fetched: boolean }];
  fitStart: [{ round: number }];
  /** `dp`: what the node attested it applied, in a DP round. */
  fitDone: [{ round: number; numExamples: number; uploadBytes: number; dp?: DpAttestation }];
  evaluated: [{ round: number; loss: number }];
  roundEnd: [RoundEnd];
  finished: [TrainingFinished];
  /** The coordinator is stopping to restart: this node keeps its state and reconnects. */
  restarting: [{ reason: string; retryInMs: number }];
  /** How this node's participation ended (see `ended`). */
  ended: [ClientEnd];
  dropped: [{ round: number; point: DropPoint }];
  disconnected: [string];
  error: [FedtuneError];
}


/**
 * How a node's part in training ended. `ok` only when the coordinator says every configured round
 * completed; otherwise `reason` says why (rounds aborted, the privacy budget, a refusal of this
 * node that no reconnection can fix: a bad or revoked token, another protocol, another model).
 */
export type ClientEnd = { ok: true; finished: TrainingFinished } | { ok: false; reason: string; finished?: TrainingFinished; error?: FedtuneError };

/** Refusals no reconnection fixes. */
const FATAL_CODES = new Set(['FT_ERR_AUTH', 'FT_ERR_VERSION', 'FT_ERR_SHAPE']);

class InjectedDrop extends Error {}

function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new FedtuneError('FT_ERR_DEADLINE', message)), ms);
    timer.unref();
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

export class FederatedClient extends EventEmitter<FederatedClientEvents> {
  private readonly conn: CoordinatorConnection;
  private readonly crypto: CryptoProvider;
  private nodeId: string | undefined;
  /** Proves this node's id when it reconnects (issued by the coordinator at the first hello). */
  private resumeSecret: string | undefined;
  /** This connection's hello nonce, for an identity proof; replaced on every connection. */
  private challenge: Promise<Uint8Array>;
  private setChallenge!: (nonce: Uint8Array) => void;
  private global: { version: string; weights: Weights } | null = null;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;
  private readonly finishedPromise: Promise<TrainingFinished>;
  private readonly endedPromise: Promise<ClientEnd>;
  private resolveEnded!: (e: ClientEnd) => void;
  private endState: ClientEnd | null = null;
  /** Set by a restart notice: the next server-side disconnect is expected, and retried after this. */
  private restartRetryMs: number | null = null;
  private readonly random: RandomSource;
  private readonly secagg: SecAggParticipant;
  /** Set once a fit ran under DP: from then on this node answers no evaluation request (issue 15, item 4). */
  private dpSeen = false;
  private resolveFinished!: (f: TrainingFinished) => void;

  constructor(private readonly options: FederatedClientOptions) {
    super();
    this.crypto = options.crypto ?? nodeCryptoProvider;
    this.finishedPromise = new Promise((r) => (this.resolveFinished = r));
    this.endedPromise = new Promise((r) => (this.resolveEnded = r));
    const initialDelayMs = options.reconnect?.initialDelayMs ?? 500;
    const maxDelayMs = options.reconnect?.maxDelayMs ?? 10_000;
    this.random = options.random ?? systemRandom(this.crypto);
    this.conn = new CoordinatorConnection(coordinatorUrls(options.url), {
      initialDelayMs,
      maxDelayMs,
      connectTimeoutMs: options.connectTimeoutMs ?? 4000,
      random: this.random,
      ...(options.tls?.ca === undefined ? {} : { ca: options.tls.ca }),
    });
    this.conn.on('failover', (f) => this.emit('failover', f));
    this.conn.on('unreachable', (u) => this.emit('unreachable', u));
    this.conn.onServer('round:fit', (frame) => this.enqueue('round:fit', frame, (m) => this.fit(m)));
    this.conn.onServer('round:evaluate', (frame) => this.enqueue('round:evaluate', frame, (m) => this.evaluate(m)));
    this.conn.onServer('round:end', (frame) => this.receive('round:end', frame, (m) => this.emit('roundEnd', m)));
    this.conn.onServer('training:finished', (frame) =>
      this.receive('training:finished', frame, (m) => {
        this.emit('finished', m);
        this.resolveFinished(m);
        const ok = m.status === undefined || m.status === 'completed';
        this.end(ok ? { ok, finished: m } : { ok, finished: m, reason: m.reason });
      }),
    );
    this.conn.onServer('coordinator:restarting', (frame) =>
      this.receive('coordinator:restarting', frame, (m) => {
        const maxDelayMs = options.reconnect?.maxDelayMs ?? 10_000;
        this.restartRetryMs = Math.min(m.retryAfterMs, maxDelayMs);
        this.emit('restarting', { reason: m.reason, retryInMs: this.restartRetryMs });
      }),
    );
    this.conn.onServer('fedtune:error', (frame) =>
      this.receive('fedtune:error', frame, (m) => {
        const err = FedtuneError.fromWire(m);
        this.emit('error', err);
        // A refusal sent as a notice (a revoked token, a model the federation does not train) is final.
        if (FATAL_CODES.has(err.code)) this.failFor(err);
      }),
    );
    this.challenge = this.nextChallenge();
    this.conn.onServer('hello:challenge', (frame) => this.receive('hello:challenge', frame, (m) => this.setChallenge(m.nonce)));
    this.conn.on('disconnect', (reason) => {
      this.challenge = this.nextChallenge();
      // Whatever was in flight belonged to that connection's rounds: the coordinator has dropped
      // this node from them. Nothing of it may reach the next session (socket.io would otherwise
      // send buffered frames on reconnection), and the SecAgg secrets of that session go.
      (this.conn.socket as unknown as { sendBuffer: unknown[] }).sendBuffer = [];
      this.secagg.forget();
      this.emit('disconnected', reason);
      // socket.io retries a lost transport by itself, but not a disconnect the server made (a
      // graceful restart closes every connection that way): retry that here, with jitter.
      if (reason === 'io server disconnect' && !this.closed && this.endState === null) {
        const base = this.restartRetryMs ?? initialDelayMs;
        this.restartRetryMs = null;
        this.conn.reconnectAfter(base * (0.5 + this.random.float()));
      }
    });
    this.nodeId = options.nodeId;
    this.secagg = new SecAggParticipant({
      crypto: this.crypto,
      random: this.random,
      ...(options.identity === undefined ? {} : { identity: options.identity }),
      ...(options.identityKeys === undefined ? {} : { identityKeys: options.identityKeys }),
      trustDropoutReports: options.secaggTrustCoordinatorDropouts === true,
      send: async (event, message) => {
        await this.request(event, message as never);
      },
      shouldDrop: (round, stage) => options.faults?.shouldDrop(round, `secagg:${stage}`) === true,
      onDrop: (round, stage) => this.vanish(round, `secagg:${stage}`),
      onError: (err) => this.emit('error', err),
    });
    this.conn.onServer('secagg:setup', (f) => this.receive('secagg:setup', f, (m) => this.secagg.onSetup(m)));
    this.conn.onServer('secagg:share-keys-request', (f) => this.receive('secagg:share-keys-request', f, (m) => this.secagg.onShareKeysRequest(m)));
    this.conn.onServer('secagg:masked-input-request', (f) => this.receive('secagg:masked-input-request', f, (m) => this.secagg.onMaskedInputRequest(m)));
    this.conn.onServer('secagg:consistency-request', (f) => this.receive('secagg:consistency-request', f, (m) => this.secagg.onConsistencyRequest(m)));
    this.conn.onServer('secagg:unmask-request', (f) => this.receive('secagg:unmask-request', f, (m) => this.secagg.onUnmaskRequest(m)));
    this.conn.onServer('secagg:abort', (f) => this.receive('secagg:abort', f, (m) => this.secagg.onAbort(m.round)));
  }

  /** Records how participation ended (the first reason wins). */
  private end(e: ClientEnd): void {
    if (this.endState !== null) return;
    this.endState = e;
    this.emit('ended', e);
    this.resolveEnded(e);
  }

  /** A refusal no reconnection can fix: stop reconnecting and end with it. */
  private failFor(err: FedtuneError): void {
    this.closed = true;
    this.conn.close();
    this.end({ ok: false, reason: `${err.code}: ${err.message}`, error: err });
  }

  private nextChallenge(): Promise<Uint8Array> {
    return new Promise((resolve) => (this.setChallenge = resolve));
  }

  /** The id the coordinator gave this node, once welcomed. */
  get id(): string | undefined {
    return this.nodeId;
  }

  /** Resolves when the coordinator announces the end of training. */
  get finished(): Promise<TrainingFinished> {
    return this.finishedPromise;
  }

  /** Resolves when this node's part ends: training finished (completed or not), or a final refusal. */
  get ended(): Promise<ClientEnd> {
    return this.endedPromise;
  }

  /**
   * Connects and says hello; resolves once welcomed. Reconnections later say hello again.
   * @throws FedtuneError FT_ERR_AUTH or FT_ERR_VERSION (fatal: no reconnection follows).
   */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      let first = true;
      this.conn.on('connect', () => {
        this.emit('connected');
        this.hello().then(
          () => {
            if (first) resolve();
            first = false;
          },
          (err: FedtuneError) => {
            if (FATAL_CODES.has(err.code)) {
              this.failFor(err);
            } else if (err.code === 'FT_ERR_LIMIT') {
              // A session cap or an address back-off: the coordinator hung up; try again later.
              const retryMs = this.options.reconnect?.maxDelayMs ?? 10_000;
              setTimeout(() => {
                if (!this.closed) this.conn.connect();
              }, retryMs).unref();
            }
            this.emit('error', err);
            if (first) reject(err);
            first = false;
          },
        );
      });
      this.conn.connect();
    });
  }

  /** The coordinator URL this node uses now (one of its list). */
  get url(): string {
    return this.conn.url;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.conn.close();
    this.options.trainer.dispose();
    this.end({ ok: false, reason: 'closed by this node before training finished' });
  }

  /**
   * The weights of a model version, from memory when held, else fetched from the coordinator
   * (e.g. the final model, to keep it on the node).
   * @throws FedtuneError FT_ERR_UNKNOWN_MODEL, FT_ERR_SHAPE, FT_ERR_DEADLINE (see the fetch).
   */
  async fetchModel(version: string): Promise<Weights> {
    return this.ensureModel(version);
  }

  // ---- requests -----------------------------------------------------------------------------

  /** Sends an acknowledged message; `onSent` learns the encoded size. @throws FedtuneError from the reply. */
  private async request<E extends EventName & keyof ClientToServerEvents>(
    event: E,
    message: MessageOf<E>,
    onSent?: (bytes: number) => void,
  ): Promise<Exclude<ReplyOf<E>, { ok: false }>> {
    const timeout = this.options.requestTimeoutMs ?? 120_000;
    const socket = this.conn.socket;
    if (!socket.connected) throw new FedtuneError('FT_ERR_DEADLINE', `${event}: not connected to the coordinator`);
    const encoded = encodeMessage(event, message);
    onSent?.(encoded.byteLength);
    const withTimeout = socket.timeout(timeout);
    let frame: unknown;
    try {
      frame = await (withTimeout.emitWithAck as (e: string, f: Uint8Array) => Promise<unknown>).call(withTimeout, event, encoded);
    } catch {
      throw new FedtuneError('FT_ERR_DEADLINE', `no reply to ${event} within ${timeout} ms (or the connection closed)`);
    }
    const reply = decodeReply(event, frame) as ReplyOf<E>;
    if ((reply as { ok: boolean }).ok === false) throw FedtuneError.fromWire((reply as { error: { code: never; message: string } }).error);
    return reply as Exclude<ReplyOf<E>, { ok: false }>;
  }

  private async hello(): Promise<void> {
    const { identity, nodeId: enrolledId } = this.options;
    let proof: { identity: { nodeId: string; signature: Uint8Array } } | { resumeNodeId: string; resumeSecret: string } | object = {};
    if (identity !== undefined && enrolledId !== undefined) {
      const nonce = await withDeadline(this.challenge, this.options.requestTimeoutMs ?? 120_000, 'no hello challenge from the coordinator');
      proof = { identity: { nodeId: enrolledId, signature: signHello(identity.secretKey, nonce, enrolledId) } };
    } else if (this.nodeId !== undefined && this.resumeSecret !== undefined) {
      proof = { resumeNodeId: this.nodeId, resumeSecret: this.resumeSecret };
    }
    const reply = await this.request('hello', {
      protocolVersion: PROTOCOL_VERSION,
      token: this.options.token,
      ...(this.options.nodeName === undefined ? {} : { nodeName: this.options.nodeName }),
      backend: this.options.trainer.backend,
      layout: this.options.trainer.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })),
      ...proof,
    });
    this.nodeId = reply.nodeId;
    this.resumeSecret = reply.resumeSecret;
    this.emit('welcome', { nodeId: reply.nodeId, modelVersion: reply.modelVersion });
    await this.sayReady();
  }

  /** Tells the coordinator this node can take an instruction (after hello, and whenever it goes idle). */
  private async sayReady(): Promise<void> {
    if (!this.conn.connected || this.closed) return;
    try {
      await this.request('ready', {});
    } catch (err) {
      // The connection dropped meanwhile: the next hello says ready again.
      if (this.conn.connected) this.emit('error', err instanceof FedtuneError ? err : new FedtuneError('FT_ERR_INTERNAL', String(err)));
    }
  }

  // ---- inbound instructions -----------------------------------------------------------------

  private receive<E extends EventName>(event: E, frame: unknown, handle: (m: MessageOf<E>) => void): void {
    try {
      handle(decodeMessage(event, frame));
    } catch (err) {
      this.emit('error', err instanceof FedtuneError ? err : new FedtuneError('FT_ERR_INTERNAL', String(err)));
    }
  }

  /** Instructions run one at a time, in arrival order; when the last is done the node is ready again. */
  private enqueue<E extends EventName>(event: E, frame: unknown, run: (m: MessageOf<E>) => Promise<void>): void {
    this.receive(event, frame, (m) => {
      this.queued++;
      this.queue = this.queue
        .then(() => run(m))
        .catch((err: unknown) => {
          if (err instanceof InjectedDrop) return;
          this.emit('error', err instanceof FedtuneError ? err : new FedtuneError('FT_ERR_INTERNAL', String(err)));
        })
        .then(() => {
          if (--this.queued === 0) return this.sayReady();
        });
    });
  }

  /** Fetches a model version chunk by chunk and checks its hash, unless it is already held. */
  private async ensureModel(version: string): Promise<Weights> {
    if (this.global?.version === version) {
      this.emit('model', { version, fetched: false });
      return this.global.weights;
    }
    const { manifest } = await this.request('model:manifest', { version });
    const data = new Float32Array(manifest.totalElements);
    const chunks = chunkCount(manifest.totalElements, manifest.chunkElements);
    for (let index = 0; index < chunks; index++) {
      const reply = await this.request('model:chunk', { version, index });
      const expected = Math.min(manifest.chunkElements, manifest.totalElements - index * manifest.chunkElements);
      if (reply.data.length !== expected) throw new FedtuneError('FT_ERR_SHAPE', `model chunk ${index} has ${reply.data.length} elements, expected ${expected}`);
      data.set(reply.data, index * manifest.chunkElements);
    }
    const weights: Weights = { tensors: manifest.tensors, data };
    if (weightsVersion(this.crypto, weights) !== version) throw new FedtuneError('FT_ERR_MALFORMED', 'model content does not match its version hash');
    if (!sameLayout(weights.tensors, this.options.trainer.tensors)) {
      const err = new FedtuneError('FT_ERR_SHAPE', `${describeLayoutMismatch(this.options.trainer.tensors, weights.tensors)}: ${LAYOUT_MISMATCH_HINT}`);
      // Every later round would fail the same way: say so once, and stop.
      setImmediate(() => this.failFor(err));
      throw err;
    }
    this.global = { version, weights };
    this.emit('model', { version, fetched: true });
    return weights;
  }

  private maybeDrop(round: number, point: DropPoint): void {
    if (this.options.faults?.shouldDrop(round, point) !== true) return;
    this.vanish(round, point);
    throw new InjectedDrop();
  }

  /** Vanishes abruptly, then comes back as a fresh connection (resuming the same node id). */
  private vanish(round: number, point: DropPoint): void {
    this.emit('dropped', { round, point });
    this.secagg.forget();
    this.conn.drop();
    setImmediate(() => {
      if (!this.closed) this.conn.connect();
    });
  }

  private async fit(m: FitInstruction): Promise<void> {
    const { trainer } = this.options;
    this.emit('fitStart', { round: m.round });
    try {
      let vector: Float32Array;
      let numExamples = 0;
      let metrics: Record<string, number> = {};
      // Under DP, the round's requirements are checked before training; a node that cannot meet
      // them refuses the round (FT_ERR_DP_REFUSED) instead of sending an update that is not private.
      const dp = m.task === 'delta' ? dpRoundOf(m.config, m.secagg) : null;
      if (dp !== null) this.dpSeen = true;
      let attestation: DpAttestation | undefined;
      if (m.task === 'init') {
        vector = trainer.getWeights();
      } else {
        const global = await this.ensureModel(m.modelVersion!);
        this.maybeDrop(m.round, 'before-train');
        trainer.setWeights(global.data);
        if (dp?.mode === 'local-sgd') {
          if (!isDpSgdCapable(trainer)) throw new FedtuneError('FT_ERR_DP_REFUSED', 'the round asks for local DP-SGD and this node\'s trainer cannot run it');
          const request = localSgdRequest(m.config);
          const outcome = await trainer.fitDpSgd(m.config, request);
          const { applied } = outcome;
          if (!Number.isFinite(applied.epsilon)) throw new FedtuneError('FT_ERR_DP_REFUSED', 'DP-SGD gave no finite epsilon');
          attestation = { mode: 'local-sgd', l2Clip: applied.l2Clip, noiseMultiplier: applied.noiseMultiplier, epsilon: applied.epsilon, delta: applied.delta };
          numExamples = outcome.numExamples;
        } else {
          const outcome = await trainer.fit(m.config);
          numExamples = outcome.numExamples;
          metrics = outcome.metrics;
        }
        metrics = reportableMetrics(m.config, metrics);
        vector = subtract(trainer.getWeights(), global.data);
      }
      const bad = firstNonFinite(vector);
      if (bad >= 0) throw new FedtuneError('FT_ERR_NON_FINITE', `local update element ${bad} is ${vector[bad]}`);
      // Under DP the example count stays here too: weights are uniform, and the count is private.
      const sentExamples = dp !== null ? 0 : numExamples;
      if (dp?.mode === 'central') {
        // The delta's L2 norm is bounded by C before it leaves the node (the coordinator checks it).
        vector = clipL2(vector, dp.clip).clipped;
        attestation = { mode: 'central', l2Clip: dp.clip };
      }
      if (m.secagg !== undefined) {
        // Clip (the ring needs a bound), encode with unbiased randomized rounding, add this node's
        // share of the distributed noise in ring units (discrete Gaussian, Kairouz, Liu, Steinke
        // 2021, or Skellam, Agarwal, Kairouz, Liu 2021, as the round says), and wait for the SecAgg
        // stages. Per-node metrics stay here: the coordinator learns only the sum.
        const clip = Math.min(m.secagg.l2Clip, dp?.mode === 'central' || dp?.mode === 'distributed' ? dp.clip : Infinity);
        const { clipped } = clipL2(vector, clip);
        let noise: Int32Array | undefined;
        if (dp?.mode === 'distributed') {
          noise = new Int32Array(clipped.length);
          (dp.noise === 'skellam' ? Skellam.fromVariance(dp.localVariance) : new DiscreteGaussian(dp.localVariance)).fill(this.random, noise);
          attestation = { mode: 'distributed', l2Clip: clip, localVariance: dp.localVariance };
        }
        this.secagg.prepare(m.round, encodeToRing(clipped, m.secagg, this.random, noise));
        let bytes = 0;
        await this.request('fit:begin', { round: m.round, numExamples: sentExamples, metrics: {}, ...(attestation === undefined ? {} : { dp: attestation }) }, (n) => (bytes = n));
        this.emit('fitDone', { round: m.round, numExamples, uploadBytes: bytes, ...(attestation === undefined ? {} : { dp: attestation }) });
        return;
      }
      const uploadBytes = await this.upload(m, vector, sentExamples, metrics, attestation);
      this.emit('fitDone', { round: m.round, numExamples, uploadBytes, ...(attestation === undefined ? {} : { dp: attestation }) });
    } catch (err) {
      if (err instanceof InjectedDrop) throw err;
      // Tell the coordinator so it stops waiting; it may already have dropped us.
      if (this.conn.connected && !(err instanceof FedtuneError && (err.code === 'FT_ERR_STALE_ROUND' || err.code === 'FT_ERR_NOT_SELECTED'))) {
        this.conn.socket.emit('fit:failure', encodeMessage('fit:failure', { round: m.round, error: toWireError(err) }));
      }
      throw err;
    }
  }

  private async upload(m: FitInstruction, vector: Float32Array, numExamples: number, metrics: Record<string, number>, attestation?: DpAttestation): Promise<number> {
    await this.request('fit:begin', {
      round: m.round,
      numExamples,
      metrics,
      ...(attestation === undefined ? {} : { dp: attestation }),
      ...(m.task === 'init' ? { tensors: this.options.trainer.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })), ...(this.options.modelInfo === undefined ? {} : { modelInfo: this.options.modelInfo }) } : {}),
    });
    const totalChunks = chunkCount(vector.length, CHUNK_ELEMENTS);
    let bytes = 0;
    for (let index = 0; index < totalChunks; index++) {
      if (index === Math.floor(totalChunks / 2)) this.maybeDrop(m.round, 'mid-upload');
      await this.request('fit:chunk', { round: m.round, index, totalChunks, data: chunkView(vector, index, CHUNK_ELEMENTS) }, (n) => (bytes += n));
    }
    return bytes;
  }

  private async evaluate(m: EvaluateInstruction): Promise<void> {
    // Per-node loss and accuracy are un-noised functions of this node's data: after a DP round,
    // the node keeps them, whatever the coordinator asks (the honest one does not ask).
    if (this.dpSeen) throw new FedtuneError('FT_ERR_DP_REFUSED', `evaluation request for round ${m.round} refused: this run is under differential privacy`);
    const global = await this.ensureModel(m.modelVersion);
    this.options.trainer.setWeights(global.data);
    const outcome = await this.options.trainer.evaluate(m.config);
    await this.request('evaluate:result', { round: m.round, numExamples: outcome.numExamples, loss: outcome.loss, metrics: outcome.metrics });
    this.emit('evaluated', { round: m.round, loss: outcome.loss });
  }
}
