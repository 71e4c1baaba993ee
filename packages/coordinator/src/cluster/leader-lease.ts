// One leader per run: a session-level PostgreSQL advisory lock (pg_try_advisory_lock, PostgreSQL 15
// documentation §9.27.10) held on a connection of its own. PostgreSQL releases it when that
// connection ends, a killed process included, and followers try again every `retryMs`, so a new
// leader is elected within about retryMs of the old one's death. Each election takes the next
// epoch, the fencing token every leader write is checked against (cluster-tables.ts). TCP
// keepalives, set on both ends, bound how long a vanished host keeps the lock (about 8 s).
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { advisoryKey } from '../store/postgres-store.js';
import type { ClusterTables } from './cluster-tables.js';

export interface LeaderLeaseOptions {
  connectionString: string;
  schema: string;
  instance: string;
  url: string;
  retryMs: number;
  tables: ClusterTables;
  logger: Logger;
}

export interface LeaderLeaseEvents {
  /** This instance leads, at this epoch. */
  elected: [number];
  /** It no longer does (its lock connection failed); it will try again. */
  lost: [string];
}

export class LeaderLease extends EventEmitter<LeaderLeaseEvents> {
  private client: pg.Client | null = null;
  private held: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly key: string;

  constructor(private readonly o: LeaderLeaseOptions) {
    super();
    this.key = advisoryKey(`fedtune-leader:${o.schema}`);
  }

  /** The epoch this instance leads at, or null while it follows. */
  get epoch(): number | null {
    return this.held;
  }

  start(): void {
    void this.tick();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (this.closed) return;
    try {
      const c = this.client ?? (await this.connect());
      if (this.held === null) {
        const got = (await c.query('SELECT pg_try_advisory_lock($1::bigint) AS got', [this.key])).rows[0] as { got: boolean };
        if (got.got && !this.closed) {
          this.held = await this.o.tables.claimEpoch(c, this.o.instance, this.o.url);
          this.o.logger.info('leader elected', { instance: this.o.instance, epoch: this.held });
          this.emit('elected', this.held);
        }
      } else {
        // The lock lives as long as this connection: make sure it still answers.
        await c.query('SELECT 1');
      }
    } catch (err) {
      this.drop(`the leader lock's connection failed: ${(err as Error).message}`);
    }
    if (!this.closed) this.timer = setTimeout(() => void this.tick(), this.o.retryMs);
  }

  private async connect(): Promise<pg.Client> {
    const c = new pg.Client({
      connectionString: this.o.connectionString,
      keepAlive: true,
      keepAliveInitialDelayMillis: 2000,
      connectionTimeoutMillis: 5000,
      application_name: 'fedtune-leader-lock',
      options: `-c search_path=${this.o.schema}`,
    });
    c.on('error', (err) => this.drop(`the leader lock's connection failed: ${err.message}`));
    c.on('end', () => this.drop('the leader lock\'s connection closed'));
    await c.connect();
    // The server notices a vanished client host within about idle + interval * count seconds.
    await c.query('SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3');
    this.client = c;
    return c;
  }

  private drop(reason: string): void {
    const c = this.client;
    this.client = null;
    if (c !== null) {
      c.removeAllListeners('end');
      c.end().catch(() => {});
    }
    if (this.held !== null) {
      this.held = null;
      this.o.logger.warn('leadership lost', { instance: this.o.instance, reason });
      this.emit('lost', reason);
    }
  }

  /** Lets go of the lock (another instance takes over within its retry interval) and the connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    if (c === null) return;
    c.removeAllListeners('end');
    c.on('error', () => {});
    try {
      if (this.held !== null) await c.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]);
    } catch {
      // Ending the connection releases it as well.
    }
    this.held = null;
    await c.end().catch(() => {});
  }
}
