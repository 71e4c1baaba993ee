// The socket.io shell around the engine: every inbound frame is decoded and validated before any
// logic sees it, every failure is answered with a coded error (never a stack), and a socket that
// keeps sending garbage is disconnected.
import {
  FedtuneError,
  PROTOCOL_VERSION,
  decodeMessage,
  encodeMessage,
  encodeReply,
  peekObject,
  toWireError,
  type ClientToServerEvents,
  type CryptoProvider,
  type EvaluateInstruction,
  type EventName,
  type FitInstruction,
  type MessageOf,
  type ReplyOf,
  type RoundEnd,
  type ServerToClientEvents,
  type TrainingFinished,
  type WireError,
} from '@fedtune/shared';
import type { Server, Socket } from 'socket.io';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ModelStore } from '../model/model-store.js';
import type { RoundEngine } from '../round/round-engine.js';
import type { NodeTransport, SecAggServerEvent } from '../round/transport.js';

export type FedtuneServer = Server<ClientToServerEvents, ServerToClientEvents>;
type FedtuneSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** Protocol violations tolerated from one socket before it is disconnected. */
const MAX_STRIKES = 5;
const STRIKE_CODES = new Set(['FT_ERR_MALFORMED', 'FT_ERR_TOO_LARGE', 'FT_ERR_NOT_AUTHENTICATED']);

interface NodeSession {
  id: string;
  socket: FedtuneSocket;
  name: string | undefined;
  backend: string | undefined;
}

export interface SocketServerDeps {
  verifier: TokenVerifier;
  store: ModelStore;
  crypto: CryptoProvider;
  logger: Logger;
  metrics: Metrics;
  helloTimeoutMs: number;
}

type Inbound = Pick<RoundEngine, 'onFitBegin' | 'onFitChunk' | 'onFitFailure' | 'onEvaluateResult' | 'onNodeLost' | 'onSecAggMessage'>;

const SECAGG_INBOUND = ['secagg:advertise-keys', 'secagg:share-keys', 'secagg:masked-input-chunk', 'secagg:consistency', 'secagg:unmask'] as const;

export class SocketServer implements NodeTransport {
  private readonly sessions = new Map<string, NodeSession>();
  private waiters: (() => void)[] = [];
  private engine: Inbound | null = null;

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

  // ---- NodeTransport -------------------------------------------------------------------------

  available(): string[] {
    return [...this.sessions.keys()];
  }

  waitForNodes(n: number, signal: AbortSignal): Promise<void> {
    if (this.sessions.size >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (signal.aborted) {
          reject(new FedtuneError('FT_ERR_ROUND_ABORTED', 'stopped'));
          return true;
        }
        if (this.sessions.size >= n) {
          resolve();
          return true;
        }
        return false;
      };
      const waiter = () => {
        if (check()) this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      this.waiters.push(waiter);
      signal.addEventListener('abort', waiter, { once: true });
    });
  }

  sendFit(node: string, message: FitInstruction): void {
    this.sessions.get(node)?.socket.emit('round:fit', encodeMessage('round:fit', message));
  }

  sendEvaluate(node: string, message: EvaluateInstruction): void {
    this.sessions.get(node)?.socket.emit('round:evaluate', encodeMessage('round:evaluate', message));
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
    const frame = encodeMessage('training:finished', message);
    for (const s of this.sessions.values()) s.socket.emit('training:finished', frame);
  }

  // ---- connection handling -------------------------------------------------------------------

  private onConnection(socket: FedtuneSocket): void {
    const { logger, helloTimeoutMs, metrics } = this.deps;
    let session: NodeSession | null = null;
    let strikes = 0;
    metrics.inc('fedtune_connections_total');
    const helloTimer = setTimeout(() => {
      if (session === null) this.refuse(socket, new FedtuneError('FT_ERR_NOT_AUTHENTICATED', `no hello within ${helloTimeoutMs} ms`));
    }, helloTimeoutMs);

    const requireSession = (): NodeSession => {
      if (session === null) throw new FedtuneError('FT_ERR_NOT_AUTHENTICATED');
      return session;
    };

    const fail = (event: string, err: unknown): WireError => {
      const wire = toWireError(err);
      metrics.inc('fedtune_rejected_messages_total', { code: wire.code });
      if (wire.code === 'FT_ERR_INTERNAL') logger.error('handler failed', { event, node: session?.id, error: String((err as Error)?.stack ?? err) });
      else logger.debug('message refused', { event, node: session?.id, code: wire.code, message: wire.message });
      if (STRIKE_CODES.has(wire.code) && ++strikes >= MAX_STRIKES) {
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

    onAck('hello', (msg) => {
      if (session !== null) throw new FedtuneError('FT_ERR_DUPLICATE', 'hello already accepted');
      if (!this.deps.verifier.verify(msg.token)) {
        metrics.inc('fedtune_auth_failures_total');
        setImmediate(() => socket.disconnect(true));
        throw new FedtuneError('FT_ERR_AUTH');
      }
      clearTimeout(helloTimer);
      const id = this.claimId(msg.resumeNodeId);
      session = { id, socket, name: msg.nodeName, backend: msg.backend };
      this.sessions.set(id, session);
      logger.info('node joined', { node: id, name: msg.nodeName, backend: msg.backend, nodes: this.sessions.size });
      metrics.set('fedtune_nodes_connected', this.sessions.size);
      for (const w of [...this.waiters]) w();
      return { ok: true as const, protocolVersion: PROTOCOL_VERSION, nodeId: id, modelVersion: this.deps.store.current?.version ?? null };
    }, (frame) => {
      // The version is checked before the schema: a future hello need not match today's schema.
      const peek = peekObject(frame);
      if (peek !== null && typeof peek.protocolVersion === 'number' && peek.protocolVersion !== PROTOCOL_VERSION) {
        setImmediate(() => socket.disconnect(true));
        throw new FedtuneError('FT_ERR_VERSION', `coordinator speaks protocol ${PROTOCOL_VERSION}, node sent ${JSON.stringify(peek.protocolVersion) ?? 'none'}`);
      }
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
      metrics.inc('fedtune_upload_bytes_total', {}, bytes);
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
        if (event === 'secagg:masked-input-chunk') metrics.inc('fedtune_upload_bytes_total', {}, bytes);
        return { ok: true as const };
      });
    }

    socket.on('disconnect', (reason) => {
      clearTimeout(helloTimer);
      if (session === null) return;
      if (this.sessions.get(session.id) === session) {
        this.sessions.delete(session.id);
        metrics.set('fedtune_nodes_connected', this.sessions.size);
        logger.info('node left', { node: session.id, reason, nodes: this.sessions.size });
        this.engine?.onNodeLost(session.id);
      }
    });
  }

  private inbound(): Inbound {
    if (this.engine === null) throw new FedtuneError('FT_ERR_STAGE', 'no training is running');
    return this.engine;
  }

  /** Resumes a node's earlier id (dropping a stale socket that still holds it) or issues a new one. */
  private claimId(resume: string | undefined): string {
    if (resume !== undefined && /^[0-9a-f]{32}$/.test(resume)) {
      const stale = this.sessions.get(resume);
      if (stale !== undefined) {
        this.sessions.delete(resume);
        this.engine?.onNodeLost(resume);
        stale.socket.disconnect(true);
      }
      return resume;
    }
    return Buffer.from(this.deps.crypto.randomBytes(16)).toString('hex');
  }

  private refuse(socket: FedtuneSocket, err: FedtuneError): void {
    socket.emit('fedtune:error', encodeMessage('fedtune:error', err.toWire()));
    socket.disconnect(true);
  }
}

const KNOWN_EVENTS = new Set<string>(['hello', 'model:manifest', 'model:chunk', 'fit:begin', 'fit:chunk', 'fit:failure', 'evaluate:result', ...SECAGG_INBOUND]);
