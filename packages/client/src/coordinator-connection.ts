// The node's connection to its coordinator: one socket.io client socket (websocket only) to one of
// a list of coordinator URLs. With several URLs (instances of one run sharing a PostgreSQL store,
// issue 13), a coordinator that stops answering (a refused connection, a timeout, or a graceful
// stop of that instance) is left for the next URL in the list, round robin, with exponential
// backoff and jitter once every URL has failed in a row; with one URL, socket.io's own
// reconnection retries it, as before. Handlers registered once follow the node to every socket.
import { EventEmitter } from 'node:events';
import { FedtuneError, type ClientToServerEvents, type RandomSource, type ServerToClientEvents } from '@fedtune/shared';
import { io, type Socket } from 'socket.io-client';

export type FedtuneClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ConnectionOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  connectTimeoutMs: number;
  ca?: string;
  random: RandomSource;
}

export interface ConnectionEvents {
  connect: [];
  disconnect: [string];
  /** A connection attempt failed; the next comes after about `retryInMs`. */
  unreachable: [{ attempt: number; retryInMs: number; message: string; url: string }];
  /** The node moved on to another coordinator of its list. */
  failover: [{ from: string; to: string; reason: string }];
}

/** The cause under socket.io's generic "websocket error" (e.g. "connect ECONNREFUSED 10.0.0.5:8750"). */
export function connectErrorText(e: Error): string {
  const description = (e as { description?: { message?: unknown; error?: { message?: unknown } } }).description;
  const inner = description?.error?.message ?? description?.message;
  return typeof inner === 'string' && inner !== '' ? inner : e.message;
}

/**
 * The URLs a node was given.
 * @throws FedtuneError FT_ERR_CONFIG for an empty list or a URL that is not http(s) or ws(s).
 */
export function coordinatorUrls(url: string | readonly string[]): string[] {
  const urls = typeof url === 'string' ? [url] : [...url];
  if (urls.length === 0) throw new FedtuneError('FT_ERR_CONFIG', 'url: give at least one coordinator URL');
  for (const u of urls) {
    if (typeof u !== 'string' || !/^(https?|wss?):\/\/[^\s]+$/i.test(u)) throw new FedtuneError('FT_ERR_CONFIG', `url: ${JSON.stringify(String(u).slice(0, 80))} is not an http(s) or ws(s) URL`);
  }
  return urls;
}

export class CoordinatorConnection extends EventEmitter<ConnectionEvents> {
  private socketNow: FedtuneClientSocket;
  private index = 0;
  private readonly handlers: [string, (...args: unknown[]) => void][] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  /** Failed attempts since the last connection (all URLs), for the backoff and the events. */
  private failures = 0;

  constructor(
    private readonly urls: readonly string[],
    private readonly o: ConnectionOptions,
  ) {
    super();
    this.socketNow = this.open(urls[0]!);
  }

  /** The socket in use now (replaced on failover). */
  get socket(): FedtuneClientSocket {
    return this.socketNow;
  }

  /** The coordinator URL in use now. */
  get url(): string {
    return this.urls[this.index]!;
  }

  get connected(): boolean {
    return this.socketNow.connected;
  }

  /** Handles a server event on this socket and on every socket after a failover. */
  onServer(event: keyof ServerToClientEvents, handler: (frame: unknown) => void): void {
    this.handlers.push([event, handler as (...args: unknown[]) => void]);
    (this.socketNow as unknown as { on(e: string, h: (...a: unknown[]) => void): void }).on(event, handler as (...args: unknown[]) => void);
  }

  private open(url: string): FedtuneClientSocket {
    const { initialDelayMs, maxDelayMs } = this.o;
    const socket: FedtuneClientSocket = io(url, {
      autoConnect: false,
      transports: ['websocket'],
      // With several URLs a failed attempt moves on to the next one instead of retrying this one.
      reconnection: this.urls.length === 1,
      reconnectionDelay: initialDelayMs,
      reconnectionDelayMax: maxDelayMs,
      randomizationFactor: 0.5,
      timeout: this.o.connectTimeoutMs,
      forceNew: true,
      ...(this.o.ca === undefined ? {} : { ca: this.o.ca }),
    });
    for (const [event, handler] of this.handlers) (socket as unknown as { on(e: string, h: (...a: unknown[]) => void): void }).on(event, handler);
    socket.on('connect', () => {
      this.failures = 0;
      this.emit('connect');
    });
    socket.on('disconnect', (reason) => {
      this.emit('disconnect', reason);
      // A lost transport: socket.io retries one URL by itself; with several, try the next.
      if (this.urls.length > 1 && reason !== 'io server disconnect' && reason !== 'io client disconnect') this.moveOn(`connection lost (${reason})`, this.delay());
    });
    socket.on('connect_error', (e) => {
      this.failures++;
      const retryInMs = this.urls.length > 1 ? this.delay() : Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(30, this.failures - 1));
      this.emit('unreachable', { attempt: this.failures, retryInMs, message: connectErrorText(e), url });
      if (this.urls.length > 1) this.moveOn(`unreachable: ${connectErrorText(e)}`, retryInMs);
    });
    return socket;
  }

  /**
   * The wait before the next attempt: none while untried URLs remain in this turn of the list,
   * then socket.io's backoff (initial * 2^turn, capped) with +/- 50% jitter.
   */
  private delay(): number {
    const turn = Math.floor(this.failures / this.urls.length);
    if (this.failures % this.urls.length !== 0 || turn === 0) return 0;
    const base = Math.min(this.o.maxDelayMs, this.o.initialDelayMs * 2 ** Math.min(30, turn - 1));
    return base * (0.5 + this.o.random.float());
  }

  /** Leaves this URL for the next one and connects there after `delayMs`. */
  private moveOn(reason: string, delayMs: number): void {
    if (this.closed) return;
    const from = this.url;
    const old = this.socketNow;
    old.removeAllListeners();
    old.io.reconnection(false);
    old.disconnect();
    this.index = (this.index + 1) % this.urls.length;
    this.socketNow = this.open(this.url);
    this.emit('failover', { from, to: this.url, reason });
    this.connectAfter(delayMs);
  }

  /** Connects now (the first time, or after an injected drop). */
  connect(): void {
    if (!this.closed && !this.socketNow.connected) this.socketNow.connect();
  }

  /**
   * Connects again after `delayMs`, as after a coordinator's graceful stop (which socket.io does not
   * retry by itself): with several URLs, to the next one, since that instance may not come back.
   */
  reconnectAfter(delayMs: number): void {
    if (this.urls.length > 1) this.moveOn('the coordinator closed the connection', delayMs);
    else this.connectAfter(delayMs);
  }

  private connectAfter(delayMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delayMs);
  }

  /** Drops the connection for now (an injected fault); `connect` brings it back to the same URL. */
  drop(): void {
    this.socketNow.disconnect();
  }

  /** Stops for good: no reconnection, to any URL. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.socketNow.io.reconnection(false);
    this.socketNow.disconnect();
  }
}
