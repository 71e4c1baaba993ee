// The socket.io shell around the engine: every inbound frame is decoded and validated before any
// logic sees it, every failure is answered with a coded error (never a stack), and a socket that
// keeps sending garbage is disconnected. It also decides who a connection is: a token (capped in
// live sessions, revocable), a node id that only its proof resumes, and readiness for selection.
import {
  FedtuneError,
  LAYOUT_MISMATCH_HINT,
  PROTOCOL_VERSION,
  describeLayoutMismatch,
  sameLayout,
  decodeMessage,
  encodeMessage,
  encodeReply,
  peekObject,
  toWireError,
  verifyHello,
  type ClientToServerEvents,
  type Hello,
  type CryptoProvider,
  type EvaluateInstruction,
  type EventName,
  type FitInstruction,
  type MessageOf,
  type ReplyOf,
  type CoordinatorRestarting,
  type RoundEnd,
  type ServerToClientEvents,
  type TensorSpec,
  type TrainingFinished,
  type WireError,
} from '@fedtune/shared';
import type { Server, Socket } from 'socket.io';
import type { AuthFailures } from '../auth/auth-failures.js';
import type { NodeRegistry } from '../auth/node-registry.js';
import type { TokenEntry, TokenRegistry } from '../auth/token-registry.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ModelStore } from '../model/model-store.js';
import type { RoundEngine } from '../round/round-engine.js';
import type { NodeTransport, SecAggServerEvent } from '../round/transport.js';
import type { AuditRecord } from '../store/store.js';
import type { Readiness } from './readiness.js';

export type FedtuneServer = Server<ClientToServerEvents, ServerToClientEvents>;
type FedtuneSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

const STRIKE_CODES = new Set(['FT_ERR_MALFORMED', 'FT_ERR_TOO_LARGE', 'FT_ERR_NOT_AUTHENTICATED']);

interface NodeSession {
  id: string;
  socket: FedtuneSocket;
  token: TokenEntry;
  address: string;
  name: string | undefined;
  backend: string | undefined;
  since: number;
  /** The layout the node said it trains, if it said. */
  layout: readonly TensorSpec[] | undefined;
}

/** A connected node as the admin surface shows it. */
export interface SessionInfo {
  id: string;
  name: string | null;
  backend: string | null;
  token: string;
  address: string;
  since: number;
  ready: boolean;
}

export interface SocketServerDeps {
  tokens: TokenRegistry;
  registry: NodeRegistry;
  readiness: Readiness;
  authFailures: AuthFailures;
  /** Enrolled Ed25519 identities by node id: these ids can only be claimed with a signature. */
  identityKeys?: ReadonlyMap<string, Uint8Array>;
  store: ModelStore;
  crypto: CryptoProvider;
  logger: Logger;
  metrics: Metrics;
  helloTimeoutMs: number;
  /** Protocol violations tolerated from one socket before it is disconnected. */
  maxStrikes: number;
  now: () => number;
  /** Appends to the audit log (fire and forget: a slow store never holds a hello). */
  audit?: (record: Omit<AuditRecord, 'at'>) => void;
  /** Makes a revocation durable (a revoked token stays revoked after a restart). */
  persistRevocation?: (tokenKey: string, label: string) => Promise<void>;
  /** Several instances: a revocation made here, to apply on the others too. */
  onRevoked?: (tokenKey: string) => void;
  /** Several instances: a node opened a session here (a leftover session elsewhere must close). */
  onSessionOpened?: (nodeId: string) => void;
}

type Inbound = Pick<RoundEngine, 'onFitBegin' | 'onFitChunk' | 'onFitFailure' | 'onEvaluateResult' | 'onNodeLost' | 'onSecAggMessage'>;

const SECAGG_INBOUND = ['secagg:advertise-keys', 'secagg:share-keys', 'secagg:masked-input-chunk', 'secagg:consistency', 'secagg:unmask'] as const;

export class SocketServer implements NodeTransport {
  private readonly sessions = new Map<string, NodeSession>();
  private readonly perToken = new Map<string, number>();
  private waiters: (() => void)[] = [];
  private engine: Inbound | null = null;
  /** Set once training ended: a node that joins later is told at once. */
  private finished: TrainingFinished | null = null;
  /** Nodes told of the end on joining late, and who waits for how many of them. */
  private toldLate = 0;
  private lateWaiters: { n: number; resolve: () => void }[] = [];

  constructor(
    io: FedtuneServer,
    private readonly deps: SocketServerDeps,
  ) {
    io.on('connection', (socket) => this.onConnection(socket));
  }

  /** Routes inbound round messages to this engine. */
  bind(engine: Inbound): void {
    this.engine = engine;
  }

  get nodeCount(): number {
    return this.sessions.size;
  }

  /** Connected nodes for the admin surface, at most `limit` from `offset` in join order. */
  listSessions(offset = 0, limit = 100): { total: number; nodes: SessionInfo[] } {
    const ready = new Set(this.available());
    const nodes = [...this.sessions.values()].slice(offset, offset + limit).map((s) => ({
      id: s.id,
      name: s.name ?? null,
      backend: s.backend ?? null,
      token: s.token.label,
      address: s.address,
      since: s.since,
      ready: ready.has(s.id),
    }));
    return { total: this.sessions.size, nodes };
  }

  /**
   * Revokes a token (durably, when the store takes it) and disconnects its live sessions. Returns
   * how many it closed, or null for no such token.
   */
  async revokeToken(labelOrHash: string): Promise<number | null> {
    const entry = this.deps.tokens.revoke(labelOrHash);
    if (entry === null) return null;
    await this.deps.persistRevocation?.(entry.key, entry.label);
    this.deps.audit?.({ kind: 'revocation', detail: { token: entry.label } });
    this.deps.onRevoked?.(entry.key);
    const closed = this.closeSessionsOf(entry);
    this.deps.logger.warn('token revoked', { token: entry.label, closed });
    return closed;
  }

  /** A revocation another instance made (and stored): applied here, and this instance's sessions of it closed. */
  revokeLocal(tokenKey: string): number {
    const entry = this.deps.tokens.revoke(tokenKey);
    return entry === null ? 0 : this.closeSessionsOf(entry);
  }

  private closeSessionsOf(entry: TokenEntry): number {
    let closed = 0;
    for (const s of [...this.sessions.values()]) {
      if (s.token !== entry) continue;
      this.refuse(s.socket, new FedtuneError('FT_ERR_AUTH', 'token revoked'));
      closed++;
    }
    return closed;
  }

  /** The node now has its session on another instance: one here is a leftover, and closes. */
  dropStaleSession(nodeId: string): void {
    const s = this.sessions.get(nodeId);
    if (s === undefined) return;
    this.dropSession(s, 'the node connected to another instance');
    s.socket.disconnect(true);
  }

  // ---- NodeTransport -------------------------------------------------------------------------

  /** Nodes that may be selected now: connected, ready, not busy, not penalised. */
  available(): string[] {
    return this.deps.readiness.eligible(this.sessions.keys());
  }

  waitForNodes(n: number, signal: AbortSignal): Promise<void> {
    if (this.available().length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const check = () => {
        if (signal.aborted) {
          reject(new FedtuneError('FT_ERR_ROUND_ABORTED', 'stopped'));
          return true;
        }
        if (this.available().length >= n) {
          resolve();
          return true;
        }
        // A penalised node becomes eligible with time alone: look again then.
        const release = this.deps.readiness.nextRelease();
        clearTimeout(timer);
        if (release !== null) timer = setTimeout(waiter, Math.max(1, release - this.deps.now())).unref();
        return false;
      };
      const waiter = () => {
        if (check()) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
        }
      };
      this.waiters.push(waiter);
      signal.addEventListener('abort', waiter, { once: true });
      check();
    });
  }

  sendFit(node: string, message: FitInstruction): void {
    this.deps.readiness.markBusy(node);
    this.sessions.get(node)?.socket.emit('round:fit', encodeMessage('round:fit', message));
  }

  sendEvaluate(node: string, message: EvaluateInstruction): void {
    this.deps.readiness.markBusy(node);
    this.sessions.get(node)?.socket.emit('round:evaluate', encodeMessage('round:evaluate', message));
  }

  missedDeadline(node: string): void {
    this.deps.readiness.missedDeadline(node);
  }

  contributed(node: string): void {
    this.deps.readiness.contributed(node);
  }

  sendSecAgg(node: string, event: SecAggServerEvent, message: unknown): void {
    const socket = this.sessions.get(node)?.socket;
    if (socket === undefined) return;
    (socket.emit as (e: string, f: Uint8Array) => void).call(socket, event, encodeMessage(event, message as never));
  }

  broadcastRoundEnd(message: RoundEnd): void {
    const frame = encodeMessage('round:end', message);
    for (const s of this.sessions.values()) s.socket.emit('round:end', frame);
  }

  broadcastFinished(message: TrainingFinished): void {
    this.finished = message;
    const frame = encodeMessage('training:finished', message);
    for (const s of this.sessions.values()) s.socket.emit('training:finished', frame);
  }

  /** Resolves once `n` nodes that joined after the end have been told of it. */
  toldLateNodes(n: number): Promise<void> {
    if (this.toldLate >= n) return Promise.resolve();
    return new Promise((resolve) => this.lateWaiters.push({ n, resolve }));
  }

  /** Tells every node the coordinator is stopping to restart: they keep their state and come back. */
  broadcastRestarting(message: CoordinatorRestarting): void {
    const frame = encodeMessage('coordinator:restarting', message);
    for (const s of this.sessions.values()) s.socket.emit('coordinator:restarting', frame);
  }

  /**
   * The federation's model is now `tensors` (the initial model arrived): nodes that said they
   * train another layout are refused with the cause, instead of failing every round.
   */
  refuseOtherLayouts(tensors: readonly TensorSpec[]): void {
    for (const s of [...this.sessions.values()]) {
      if (s.layout === undefined || sameLayout(s.layout, tensors)) continue;
      const why = describeLayoutMismatch(s.layout, tensors);
      this.deps.logger.warn('node refused: its model differs from the federation\'s', { node: s.id, name: s.name, why });
      this.deps.audit?.({ kind: 'refusal', node: s.id, code: 'FT_ERR_SHAPE', detail: { why } });
      this.refuse(s.socket, new FedtuneError('FT_ERR_SHAPE', `${why}: ${LAYOUT_MISMATCH_HINT}`));
    }
  }

  // ---- connection handling -------------------------------------------------------------------

  private onConnection(socket: FedtuneSocket): void {
    const { logger, helloTimeoutMs, metrics, crypto } = this.deps;
    let session: NodeSession | null = null;
    let strikes = 0;
    const address = socket.handshake.address;
    metrics.connections.inc();
    const blocked = this.deps.authFailures.blockedFor(address);
    if (blocked > 0) {
      metrics.refusals.inc({ code: 'FT_ERR_LIMIT' });
      this.refuse(socket, new FedtuneError('FT_ERR_LIMIT', `too many failed authentications from this address; retry in ${Math.ceil(blocked / 1000)} s`));
      return;
    }
    // The nonce an enrolled identity signs at hello: fresh per connection, so a proof cannot be replayed.
    const nonce = crypto.randomBytes(32);
    socket.emit('hello:challenge', encodeMessage('hello:challenge', { nonce }));
    const helloTimer = setTimeout(() => {
      if (session === null) this.refuse(socket, new FedtuneError('FT_ERR_NOT_AUTHENTICATED', `no hello within ${helloTimeoutMs} ms`));
    }, helloTimeoutMs);

    const requireSession = (): NodeSession => {
      if (session === null) throw new FedtuneError('FT_ERR_NOT_AUTHENTICATED');
      return session;
    };

    const fail = (event: string, err: unknown): WireError => {
      const wire = toWireError(err);
      metrics.refusals.inc({ code: wire.code });
      if (wire.code === 'FT_ERR_INTERNAL') logger.error('handler failed', { event, node: session?.id, error: String((err as Error)?.stack ?? err) });
      else logger.debug('message refused', { event, node: session?.id, code: wire.code, message: wire.message });
      if (STRIKE_CODES.has(wire.code) && ++strikes >= this.deps.maxStrikes) {
        logger.warn('disconnecting a socket that keeps sending invalid messages', { node: session?.id, strikes });
        socket.disconnect(true);
      }
      return wire;
    };

    // Acknowledged events: decode -> handle -> ack with the reply or a coded error.
    const onAck = <E extends EventName & keyof ClientToServerEvents>(
      event: E,
      handle: (msg: MessageOf<E>, bytes: number) => Promise<ReplyOf<E>> | ReplyOf<E>,
      beforeDecode?: (frame: unknown) => void,
    ) => {
      (socket as unknown as { on(e: string, l: (frame: unknown, ack: unknown) => void): void }).on(event, (frame, ack) => {
        void (async () => {
          let reply: ReplyOf<E>;
          try {
            beforeDecode?.(frame);
            const msg = decodeMessage(event, frame);
            reply = await handle(msg, (frame as Uint8Array).byteLength);
          } catch (err) {
            reply = { ok: false, error: fail(event, err) } as ReplyOf<E>;
          }
          if (typeof ack === 'function') (ack as (f: Uint8Array) => void)(encodeReply(event, reply));
        })();
      });
    };
    // Fire-and-forget events: a refusal goes back as a fedtune:error notice.
    const onPlain = <E extends EventName & keyof ClientToServerEvents>(event: E, handle: (msg: MessageOf<E>) => void) => {
      (socket as unknown as { on(e: string, l: (frame: unknown) => void): void }).on(event, (frame) => {
        try {
          handle(decodeMessage(event, frame));
        } catch (err) {
          socket.emit('fedtune:error', encodeMessage('fedtune:error', fail(event, err)));
        }
      });
    };

    socket.onAny((event: string) => {
      if (!KNOWN_EVENTS.has(event)) socket.emit('fedtune:error', encodeMessage('fedtune:error', fail(event, new FedtuneError('FT_ERR_MALFORMED', `unknown event ${JSON.stringify(event.slice(0, 64))}`))));
    });

    onAck('hello', async (msg) => {
      if (session !== null) throw new FedtuneError('FT_ERR_DUPLICATE', 'hello already accepted');
      let claimed: { id: string; secret: string; token: TokenEntry };
      try {
        claimed = await this.authenticate(msg, nonce);
        if (!socket.connected) throw new FedtuneError('FT_ERR_NOT_AUTHENTICATED', 'the connection closed during hello');
        if (session !== null) throw new FedtuneError('FT_ERR_DUPLICATE', 'hello already accepted');
        this.checkSessionCap(claimed);
      } catch (err) {
        if (err instanceof FedtuneError && err.code === 'FT_ERR_AUTH') this.authFailed(address, err.message);
        if (err instanceof FedtuneError && err.code === 'FT_ERR_SHAPE') this.deps.audit?.({ kind: 'refusal', address, code: err.code, detail: { why: err.message, name: msg.nodeName ?? null } });
        setImmediate(() => socket.disconnect(true));
        throw err;
      }
      clearTimeout(helloTimer);
      this.deps.authFailures.clear(address);
      const stale = this.sessions.get(claimed.id);
      if (stale !== undefined) {
        // The same node, proved, on a new connection: the old one is a leftover.
        this.dropSession(stale, 'replaced by a new connection of the same node');
        stale.socket.disconnect(true);
      }
      session = { id: claimed.id, socket, token: claimed.token, address, name: msg.nodeName, backend: msg.backend, since: this.deps.now(), layout: msg.layout };
      const finished = this.finished;
      if (finished !== null) {
        setImmediate(() => {
          socket.emit('training:finished', encodeMessage('training:finished', finished));
          this.toldLate++;
          for (const w of this.lateWaiters.filter((x) => this.toldLate >= x.n)) w.resolve();
          this.lateWaiters = this.lateWaiters.filter((x) => this.toldLate < x.n);
        });
      }
      this.sessions.set(claimed.id, session);
      this.deps.onSessionOpened?.(claimed.id);
      this.perToken.set(claimed.token.key, (this.perToken.get(claimed.token.key) ?? 0) + 1);
      logger.info('node joined', { node: claimed.id, name: msg.nodeName, backend: msg.backend, token: claimed.token.label, nodes: this.sessions.size });
      metrics.nodesConnected.set(this.sessions.size);
      return { ok: true as const, protocolVersion: PROTOCOL_VERSION, nodeId: claimed.id, modelVersion: this.deps.store.current?.version ?? null, resumeSecret: claimed.secret };
    }, (frame) => {
      // The version is checked before the schema: a future hello need not match today's schema.
      const peek = peekObject(frame);
      if (peek !== null && typeof peek.protocolVersion === 'number' && peek.protocolVersion !== PROTOCOL_VERSION) {
        setImmediate(() => socket.disconnect(true));
        throw new FedtuneError('FT_ERR_VERSION', `coordinator speaks protocol ${PROTOCOL_VERSION}, node sent ${JSON.stringify(peek.protocolVersion) ?? 'none'}`);
      }
    });
    onAck('ready', () => {
      const s = requireSession();
      this.deps.readiness.markReady(s.id);
      for (const w of [...this.waiters]) w();
      return { ok: true as const };
    });
    onAck('model:manifest', (msg) => {
      requireSession();
      return { ok: true as const, manifest: this.deps.store.manifest(msg.version) };
    });
    onAck('model:chunk', (msg) => {
      requireSession();
      return { ok: true as const, version: msg.version, index: msg.index, data: this.deps.store.chunk(msg.version, msg.index) };
    });
    onAck('fit:begin', async (msg, bytes) => {
      await this.inbound().onFitBegin(requireSession().id, msg, bytes);
      return { ok: true as const };
    });
    onAck('fit:chunk', (msg, bytes) => {
      this.inbound().onFitChunk(requireSession().id, msg, bytes);
      metrics.uploadBytes.inc(bytes);
      return { ok: true as const };
    });
    onPlain('fit:failure', (msg) => this.inbound().onFitFailure(requireSession().id, msg));
    onAck('evaluate:result', (msg) => {
      this.inbound().onEvaluateResult(requireSession().id, msg);
      return { ok: true as const };
    });

    for (const event of SECAGG_INBOUND) {
      onAck(event, (msg, bytes) => {
        this.inbound().onSecAggMessage(requireSession().id, event, msg, bytes);
        if (event === 'secagg:masked-input-chunk') metrics.uploadBytes.inc(bytes);
        return { ok: true as const };
      });
    }

    socket.on('disconnect', (reason) => {
      clearTimeout(helloTimer);
      if (session !== null) this.dropSession(session, reason);
    });
  }

  /** Forgets a session once (its socket may already be closing); the engine loses the node. */
  private dropSession(session: NodeSession, reason: string): void {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    const left = (this.perToken.get(session.token.key) ?? 1) - 1;
    if (left > 0) this.perToken.set(session.token.key, left);
    else this.perToken.delete(session.token.key);
    this.deps.readiness.remove(session.id);
    this.deps.metrics.nodesConnected.set(this.sessions.size);
    this.deps.logger.info('node left', { node: session.id, reason, nodes: this.sessions.size });
    this.engine?.onNodeLost(session.id);
  }

  /**
   * Who this hello is: a valid, unrevoked token under its session cap, and a node id that is new,
   * resumed with its secret, or an enrolled identity proved by a signature over this connection's nonce.
   * @throws FedtuneError FT_ERR_AUTH (bad token, revoked, bad proof), FT_ERR_LIMIT (session cap).
   */
  private async authenticate(msg: Hello, nonce: Uint8Array): Promise<{ id: string; secret: string; token: TokenEntry }> {
    const { tokens, registry, identityKeys, store } = this.deps;
    const token = tokens.verify(msg.token);
    if (token === null) throw new FedtuneError('FT_ERR_AUTH');
    if (token.revoked) throw new FedtuneError('FT_ERR_AUTH', 'token revoked');
    // A node that trains another model is told why now, before it gets an id or a round.
    const global = store.current;
    if (msg.layout !== undefined && global !== null && !sameLayout(msg.layout, global.weights.tensors)) {
      throw new FedtuneError('FT_ERR_SHAPE', `${describeLayoutMismatch(msg.layout, global.weights.tensors)}: ${LAYOUT_MISMATCH_HINT}`);
    }
    const info = { name: msg.nodeName ?? null, backend: msg.backend ?? null };
    let claimed: { id: string; secret: string };
    if (msg.identity !== undefined) {
      const key = identityKeys?.get(msg.identity.nodeId);
      if (key === undefined) throw new FedtuneError('FT_ERR_AUTH', `${msg.identity.nodeId} is not an enrolled identity`);
      verifyHello(key, nonce, msg.identity.nodeId, msg.identity.signature);
      claimed = await registry.bindProved(msg.identity.nodeId, token.key, info);
    } else if (msg.resumeNodeId !== undefined && identityKeys?.has(msg.resumeNodeId) === true) {
      throw new FedtuneError('FT_ERR_AUTH', `${msg.resumeNodeId} is an enrolled identity: prove it with a signature`);
    } else if (msg.resumeNodeId !== undefined && (await registry.has(msg.resumeNodeId))) {
      claimed = await registry.resume(msg.resumeNodeId, msg.resumeSecret, token.key, info);
    } else {
      // Unknown id (e.g. forgotten since): a new one. Never the id asked for: ids are not chosen.
      claimed = await registry.register(token.key, info);
    }
    return { ...claimed, token };
  }

  /** @throws FedtuneError FT_ERR_LIMIT when the token already holds its cap of live sessions. */
  private checkSessionCap(claimed: { id: string; token: TokenEntry }): void {
    const { token } = claimed;
    // The session this replaces (same node) does not count against the cap.
    const replacing = this.sessions.get(claimed.id)?.token === token ? 1 : 0;
    if ((this.perToken.get(token.key) ?? 0) - replacing >= token.maxSessions) {
      throw new FedtuneError('FT_ERR_LIMIT', `token ${token.label} already has ${token.maxSessions} live sessions`);
    }
  }

  private authFailed(address: string, reason: string): void {
    const { metrics, logger } = this.deps;
    metrics.authFailures.inc();
    const r = this.deps.authFailures.record(address);
    if (r.log) {
      const detail = { reason, ...(r.suppressed > 0 ? { moreSinceLastLine: r.suppressed } : {}), ...(r.backoffMs > 0 ? { backoffMs: r.backoffMs } : {}) };
      logger.warn('authentication failed', { address, ...detail });
      // Throttled like the log line: a flood of bad tokens cannot flood the store.
      this.deps.audit?.({ kind: 'auth-failure', address, code: 'FT_ERR_AUTH', detail });
    }
  }

  private inbound(): Inbound {
    if (this.engine === null) throw new FedtuneError('FT_ERR_STAGE', 'no training is running');
    return this.engine;
  }

  private refuse(socket: FedtuneSocket, err: FedtuneError): void {
    socket.emit('fedtune:error', encodeMessage('fedtune:error', err.toWire()));
    socket.disconnect(true);
  }
}

const KNOWN_EVENTS = new Set<string>(['hello', 'ready', 'model:manifest', 'model:chunk', 'fit:begin', 'fit:chunk', 'fit:failure', 'evaluate:result', ...SECAGG_INBOUND]);
