// Messages between the instances of one run, through socket.io's PostgreSQL adapter
// (@socket.io/postgres-adapter: LISTEN/NOTIFY on the store's own database, a table for payloads
// over NOTIFY's 8,000 bytes) and io.serverSideEmit. They are only wake-ups: everything they announce
// is in the cluster's tables first, and every instance also reads those on a timer, so a missed
// message costs a moment, never a round. No Redis to run: the store's database carries them.
import { createAdapter } from '@socket.io/postgres-adapter';
import type { Server } from 'socket.io';
import type { Logger } from '../logger.js';
import type { PostgresStore } from '../store/postgres-store.js';

/** What instances tell each other. */
export interface ClusterMessages {
  /** A round plan was written. */
  plan: [round: number];
  /** An instance wrote its group's result. */
  group: [round: number, instance: string];
  /** The leader committed a round. */
  committed: [round: number];
  /** Training ended (the outcome is in the store). */
  finished: [];
  /** A node opened a session on `instance`: a leftover session of that node elsewhere closes. */
  session: [node: string, instance: string];
  /** A token was revoked (already stored): its sessions close on every instance. */
  revoked: [tokenKey: string];
}

type Kind = keyof ClusterMessages;
const PREFIX = 'fedtune:';
const KINDS: readonly Kind[] = ['plan', 'group', 'committed', 'finished', 'session', 'revoked'];

/** Attaches the adapter to `io` and carries the run's messages to every instance, this one included. */
export class ClusterBus {
  private readonly handlers = new Map<Kind, ((...args: never[]) => void)[]>();

  constructor(
    private readonly io: Server,
    store: PostgresStore,
    private readonly logger: Logger,
  ) {
    // One NOTIFY channel per run (schema); the adapter's table lives in the run's schema too.
    io.adapter(createAdapter(store.pool, { channelPrefix: `fedtune_${store.schema}`, tableName: 'socket_io_attachments', errorHandler: (err) => logger.warn('cluster bus', { error: err.message }) }));
    for (const kind of KINDS) {
      io.on(`${PREFIX}${kind}` as never, (...args: unknown[]) => this.dispatch(kind, args));
    }
  }

  on<K extends Kind>(kind: K, handler: (...args: ClusterMessages[K]) => void): void {
    this.handlers.set(kind, [...(this.handlers.get(kind) ?? []), handler as (...args: never[]) => void]);
  }

  /** Tells every instance (serverSideEmit reaches the others; this one is told directly). */
  emit<K extends Kind>(kind: K, ...args: ClusterMessages[K]): void {
    try {
      (this.io.serverSideEmit as (event: string, ...a: unknown[]) => boolean)(`${PREFIX}${kind}`, ...args);
    } catch (err) {
      // The tables hold what the message announces: the others read it on their next timer.
      this.logger.warn('cluster bus: not sent', { kind, error: (err as Error).message });
    }
    this.dispatch(kind, args);
  }

  private dispatch(kind: Kind, args: unknown[]): void {
    for (const h of this.handlers.get(kind) ?? []) {
      try {
        (h as (...a: unknown[]) => void)(...args);
      } catch (err) {
        this.logger.error('cluster bus handler failed', { kind, error: (err as Error).message });
      }
    }
  }
}
