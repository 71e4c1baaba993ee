// The PostgreSQL store (issue 13): the same Store as the embedded SQLite one, on a server that
// several coordinator instances share. node-postgres (`pg`) with a connection pool; every round's
// records in one transaction (PostgreSQL 15 documentation, ch. 13, read committed, with the run's
// state row locked FOR UPDATE so two commits of one round cannot both land); model weights as
// bytea; schema migrations (postgres-schema.ts) under an advisory lock; optional encryption at rest
// of weights, strategy state and ledger (store-codec.ts). A run lives in one PostgreSQL schema.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { FedtuneError, type CryptoProvider, type LedgerEntry, type TensorSpec, type Weights } from '@fedtune/shared';
import type { RoundSummary } from '../round/round-summary.js';
import type { Failpoint } from './failpoints.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './postgres-schema.js';
import { parsePostgresUrl } from './postgres-url.js';
import { layoutJson, nodeRecordFromRow, storeError, StoreCodec } from './store-codec.js';
import type { AuditEntry, AuditKind, AuditRecord, ModelInfo, NodeRecord, RetentionPolicy, RoundCommit, RunState, Store } from './store.js';

export interface PostgresStoreOptions {
  /** What pg connects with: a postgres:// URL without the schema parameter (postgres-url.ts). */
  connectionString: string;
  /** The PostgreSQL schema the run lives in (a checked lower-case identifier). */
  schema: string;
  /** For logs and errors, without the password. */
  description: string;
  crypto: CryptoProvider;
  retention: RetentionPolicy;
  /** The at-rest key (32 bytes); null: nothing is sealed. */
  key: Uint8Array | null;
  /** Open an existing store for reading (and audit entries) only: no migration. */
  readonly?: boolean;
  /** Connections in the pool (default 8). */
  poolSize?: number;
  auditMaxRows?: number;
  failpoint?: Failpoint;
  /** Errors on idle pooled connections (a restarted server); without a handler they would end the process. */
  onIdleError?: (err: Error) => void;
}

type Row = Record<string, unknown>;
/** A pool or one checked-out connection. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

const num = (v: unknown) => Number(v);

/** A 64-bit advisory-lock key for a name (the first 8 bytes of its SHA-256, signed), as pg passes a bigint. */
export function advisoryKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

export class PostgresStore implements Store {
  readonly description: string;
  readonly codec: StoreCodec;
  private auditInserts = 0;
  private closed = false;

  private constructor(
    /** Shared with the cluster machinery (cluster/), which keeps its tables in the same schema. */
    readonly pool: pg.Pool,
    private readonly o: PostgresStoreOptions,
  ) {
    this.description = o.description;
    this.codec = new StoreCodec(o.crypto, o.key, o.description);
  }

  get schema(): string {
    return this.o.schema;
  }

  /**
   * Connects, applies pending migrations (unless read-only) and checks the key.
   * @throws FedtuneError FT_ERR_STORE (unreachable, newer schema, no store to read),
   * FT_ERR_STORE_KEY (encrypted and no key or the wrong one; a key for a store that is not encrypted).
   */
  static async open(o: PostgresStoreOptions): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: o.connectionString,
      max: o.poolSize ?? 8,
      // Every connection works in the run's schema; the schema name is a checked identifier.
      options: `-c search_path=${o.schema}`,
      application_name: 'fedtune-coordinator',
      connectionTimeoutMillis: 15_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    pool.on('error', (err) => o.onIdleError?.(err));
    const store = new PostgresStore(pool, o);
    try {
      await store.prepare();
      return store;
    } catch (err) {
      await pool.end().catch(() => {});
      throw storeError(`cannot use ${o.description}`, err);
    }
  }

  /**
   * Deletes a run: the schema `storeUrl` names, every table in it (a simulation's scratch run;
   * never a production one by accident: the caller names the schema).
   * @throws FedtuneError FT_ERR_CONFIG for a bad URL or schema name, FT_ERR_STORE when the server refuses.
   */
  static async dropSchema(storeUrl: string): Promise<void> {
    const { connectionString, schema } = parsePostgresUrl(storeUrl);
    const c = new pg.Client({ connectionString, connectionTimeoutMillis: 15_000 });
    try {
      await c.connect();
      // parsePostgresUrl admits only plain lower-case identifiers, so the name goes in unquoted.
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } catch (err) {
      throw storeError(`drop schema ${schema}`, err);
    } finally {
      await c.end().catch(() => {});
    }
  }

  private async prepare(): Promise<void> {
    const { schema } = this.o;
    if (this.o.readonly === true) {
      const found = await this.pool.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, 'schema_migrations']);
      if (found.rowCount === 0) throw new FedtuneError('FT_ERR_STORE', `${this.description} holds no fedtune store`);
      await this.checkVersion(this.pool);
    } else {
      await this.transaction('migrate', async (q) => {
        // One migrator at a time per schema: instances starting together wait for each other here.
        await q.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryKey(`fedtune-migrate:${schema}`)]);
        await q.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await q.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
        const current = await this.checkVersion(q);
        for (const m of POSTGRES_MIGRATIONS) {
          if (m.version <= current) continue;
          await q.query(m.sql);
          await q.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        }
        for (const [key, value] of this.codec.initialMeta()) await q.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
      });
    }
    this.codec.verify(await this.metaOf(this.pool, 'encryption'), await this.metaOf(this.pool, 'key_check'));
  }

  /** The applied schema version. @throws FedtuneError FT_ERR_STORE when a newer coordinator wrote it. */
  private async checkVersion(q: Queryable): Promise<number> {
    const row = (await q.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0] as Row;
    const version = num(row.v);
    if (version > POSTGRES_SCHEMA_VERSION) throw new FedtuneError('FT_ERR_STORE', `${this.description} has schema version ${version}; this coordinator reads up to ${POSTGRES_SCHEMA_VERSION}`);
    return version;
  }

  private async metaOf(q: Queryable, key: string): Promise<string | null> {
    const r = await q.query('SELECT value FROM meta WHERE key = $1', [key]);
    return r.rowCount === 0 ? null : String((r.rows[0] as Row).value);
  }

  private async run<T>(what: string, f: () => Promise<T>): Promise<T> {
    if (this.closed) throw new FedtuneError('FT_ERR_STORE', `${what}: the store is closed`);
    try {
      return await f();
    } catch (err) {
      throw storeError(what, err);
    }
  }

  /**
   * Runs `f` in one transaction on one connection: committed when it resolves, rolled back when it
   * throws (and a connection that failed mid-transaction is discarded, not reused).
   * @throws FedtuneError FT_ERR_STORE naming `what`, or what `f` threw.
   */
  async transaction<T>(what: string, f: (q: Queryable) => Promise<T>): Promise<T> {
    if (this.closed) throw new FedtuneError('FT_ERR_STORE', `${what}: the store is closed`);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storeError(`${what}: cannot reach ${this.description}`, err);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await f(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr as Error;
      }
      throw storeError(what, err);
    } finally {
      client.release(broken);
    }
  }

  async runState(): Promise<RunState | null> {
    return this.run('read the run state', async () => {
      const r = await this.pool.query("SELECT last_round, model_version, strategy_state, (SELECT COUNT(*) FROM rounds WHERE status = 'completed') AS completed FROM run_state WHERE id = 1");
      if (r.rowCount === 0) return null;
      const row = r.rows[0] as Row;
      const lastRound = num(row.last_round);
      return {
        lastRound,
        modelVersion: (row.model_version as string | null) ?? null,
        strategyState: row.strategy_state === null ? null : this.codec.openJson(row.strategy_state as Buffer, `strategy-state:${lastRound}`),
        completedRounds: num(row.completed) + num((await this.metaOf(this.pool, 'completed_offset')) ?? 0),
      };
    });
  }

  async commitRound(c: RoundCommit): Promise<void> {
    await this.transaction(`commit round ${c.round}`, (q) => this.commitIn(q, c));
  }

  /**
   * A round's commit, inside a transaction the caller opened on `q` (the cluster's leader adds its
   * own checks and writes to the same transaction). See Store.commitRound.
   * @throws FedtuneError FT_ERR_STORE for a round that is not after the last committed one.
   */
  async commitIn(q: Queryable, c: RoundCommit): Promise<void> {
    const fp = this.o.failpoint ?? (() => {});
    const prevRows = (await q.query('SELECT last_round, model_version, strategy_state FROM run_state WHERE id = 1 FOR UPDATE')).rows as Row[];
    const prev = prevRows[0];
    if (prev !== undefined && c.round <= num(prev.last_round) && !(c.round === 0 && c.summary === null && num(prev.last_round) === 0)) {
      throw new FedtuneError('FT_ERR_STORE', `round ${c.round} is not after the last committed round ${String(prev.last_round)}`);
    }
    if (c.model !== null) {
      const { version, weights } = c.model;
      const blob = Buffer.from(this.codec.sealModel(version, weights));
      await q.query(
        `INSERT INTO models (version, round, created_at, elements, layout, blob) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (version) DO UPDATE SET blob = excluded.blob, pruned_at = NULL WHERE models.blob IS NULL`,
        [version, c.round, c.at, weights.data.length, layoutJson(weights), blob],
      );
      fp('commit:model-written', c.round);
    }
    if (c.modelInfo !== undefined) {
      await q.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', ['model_info', JSON.stringify(c.modelInfo)]);
    }
    if (c.summary !== null) {
      const s = c.summary;
      await q.query('INSERT INTO rounds (round, status, model_version, epsilon, summary, committed_at) VALUES ($1, $2, $3, $4, $5, $6)', [c.round, s.status, s.modelVersion, s.epsilon, JSON.stringify(s), c.at]);
    }
    for (const [seq, e] of c.ledger.entries()) await q.query('INSERT INTO ledger (round, seq, entry) VALUES ($1, $2, $3)', [e.round, seq, this.codec.sealJson(e, `ledger:${e.round}:${seq}`)]);
    if (c.participants.length > 0) {
      // One statement per table, whatever the cohort (thousands of nodes in a round across instances).
      const nodes = c.participants.map((p) => p.node);
      await q.query('INSERT INTO round_nodes (round, node, outcome, stage) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])', [c.round, nodes, c.participants.map((p) => p.outcome), c.participants.map((p) => p.stage)]);
      await q.query(
        `UPDATE nodes n SET rounds_selected = n.rounds_selected + 1, rounds_contributed = n.rounds_contributed + p.c, last_seen = GREATEST(n.last_seen, $1)
         FROM unnest($2::text[], $3::int[]) AS p(id, c) WHERE n.id = p.id`,
        [c.at, nodes, c.participants.map((p) => (p.outcome === 'contributed' ? 1 : 0))],
      );
      const drops = c.participants.filter((p) => p.outcome !== 'contributed' && p.outcome !== 'round-aborted');
      if (drops.length > 0) {
        await q.query("INSERT INTO audit (at, kind, node, address, code, detail) SELECT $1, 'drop', d.node, NULL, NULL, d.detail::jsonb FROM unnest($2::text[], $3::text[]) AS d(node, detail)", [
          c.at,
          drops.map((p) => p.node),
          drops.map((p) => JSON.stringify({ round: c.round, reason: p.outcome, stage: p.stage })),
        ]);
      }
    }
    const version = c.model?.version ?? ((prev?.model_version as string | null | undefined) ?? null);
    let strategy: Buffer | null;
    if (c.strategyState === undefined) {
      // Unchanged state is re-sealed under the new round, which binds it to the run's progress.
      strategy = prev === undefined || prev.strategy_state === null ? null : this.codec.sealJson(this.codec.openJson(prev.strategy_state as Buffer, `strategy-state:${String(prev.last_round)}`), `strategy-state:${c.round}`);
    } else {
      strategy = c.strategyState === null ? null : this.codec.sealJson(c.strategyState, `strategy-state:${c.round}`);
    }
    await q.query(
      `INSERT INTO run_state (id, last_round, model_version, strategy_state, updated_at) VALUES (1, $1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET last_round = excluded.last_round, model_version = excluded.model_version, strategy_state = excluded.strategy_state, updated_at = excluded.updated_at`,
      [c.round, version, strategy, c.at],
    );
    const every = this.o.retention.keepEvery;
    if (c.model !== null && c.summary !== null && every > 0 && c.round % every === 0) {
      await q.query('INSERT INTO model_tags (tag, version, created_at) VALUES ($1, $2, $3) ON CONFLICT (tag) DO UPDATE SET version = excluded.version, created_at = excluded.created_at', [`round-${c.round}`, c.model.version, c.at]);
    }
    // Retention: drop the weights of versions neither current, tagged, nor among the last keepLast.
    await q.query(
      `UPDATE models SET blob = NULL, pruned_at = $1
       WHERE blob IS NOT NULL AND version IS DISTINCT FROM $2
         AND version NOT IN (SELECT version FROM model_tags)
         AND version NOT IN (SELECT version FROM models ORDER BY round DESC, created_at DESC, seq DESC LIMIT $3)`,
      [c.at, version, Math.max(1, this.o.retention.keepLast)],
    );
    fp('commit:done', c.round);
  }

  async model(version: string): Promise<Weights | null> {
    return this.run(`read model ${version.slice(0, 12)}`, async () => {
      const r = await this.pool.query('SELECT layout, blob FROM models WHERE version = $1', [version]);
      const row = r.rows[0] as Row | undefined;
      if (row === undefined || row.blob === null) return null;
      return this.codec.openModel(version, String(row.layout), row.blob as Buffer);
    });
  }

  async models(): Promise<ModelInfo[]> {
    return this.run('list models', async () => {
      const tags = new Map<string, string[]>();
      for (const t of (await this.pool.query('SELECT tag, version FROM model_tags ORDER BY tag')).rows as Row[]) tags.set(String(t.version), [...(tags.get(String(t.version)) ?? []), String(t.tag)]);
      const rows = (await this.pool.query('SELECT version, round, created_at, elements, layout, blob IS NULL AS pruned FROM models ORDER BY round, created_at, seq')).rows as Row[];
      return rows.map((r) => ({
        version: String(r.version),
        round: num(r.round),
        createdAt: num(r.created_at),
        tensors: JSON.parse(String(r.layout)) as TensorSpec[],
        elements: num(r.elements),
        tags: tags.get(String(r.version)) ?? [],
        pruned: r.pruned === true,
      }));
    });
  }

  async tagModel(version: string, tag: string, at: number): Promise<void> {
    return this.run(`tag ${version.slice(0, 12)}`, async () => {
      const row = (await this.pool.query('SELECT blob IS NULL AS pruned FROM models WHERE version = $1', [version])).rows[0] as Row | undefined;
      if (row === undefined || row.pruned === true) throw new FedtuneError('FT_ERR_UNKNOWN_MODEL', `${version.slice(0, 12)} is not a stored model version${row === undefined ? '' : ' (retention dropped its weights)'}`);
      await this.pool.query('INSERT INTO model_tags (tag, version, created_at) VALUES ($1, $2, $3) ON CONFLICT (tag) DO UPDATE SET version = excluded.version, created_at = excluded.created_at', [tag, version, at]);
    });
  }

  async rounds(before: number | null, limit: number): Promise<RoundSummary[]> {
    return this.run('read rounds', async () => {
      const rows = (await this.pool.query('SELECT summary FROM rounds WHERE round < $1 ORDER BY round DESC LIMIT $2', [before ?? Number.MAX_SAFE_INTEGER, Math.max(0, limit)])).rows as Row[];
      return rows.reverse().map((r) => r.summary as RoundSummary);
    });
  }

  async round(n: number): Promise<RoundSummary | null> {
    return this.run(`read round ${n}`, async () => {
      if (!Number.isSafeInteger(n)) return null;
      const row = (await this.pool.query('SELECT summary FROM rounds WHERE round = $1', [n])).rows[0] as Row | undefined;
      return row === undefined ? null : (row.summary as RoundSummary);
    });
  }

  async ledger(): Promise<LedgerEntry[]> {
    return this.run('read the ledger', async () =>
      ((await this.pool.query('SELECT round, seq, entry FROM ledger ORDER BY round, seq')).rows as Row[]).map((r) => this.codec.openJson(r.entry as Buffer, `ledger:${String(r.round)}:${String(r.seq)}`) as LedgerEntry),
    );
  }

  async putNode(n: Pick<NodeRecord, 'id' | 'tokenKey' | 'resumeHash' | 'name' | 'backend'>, at: number): Promise<void> {
    return this.run(`store node ${n.id}`, async () => {
      await this.pool.query(
        `INSERT INTO nodes (id, token_key, resume_hash, name, backend, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (id) DO UPDATE SET token_key = excluded.token_key, resume_hash = excluded.resume_hash, name = excluded.name, backend = excluded.backend, last_seen = excluded.last_seen`,
        [n.id, n.tokenKey, Buffer.from(n.resumeHash), n.name, n.backend, at],
      );
    });
  }

  async touchNode(id: string, at: number, name: string | null, backend: string | null): Promise<void> {
    return this.run(`touch node ${id}`, async () => {
      await this.pool.query('UPDATE nodes SET last_seen = GREATEST(last_seen, $1), name = $2, backend = $3 WHERE id = $4', [at, name, backend, id]);
    });
  }

  async node(id: string): Promise<NodeRecord | null> {
    return this.run(`read node ${id}`, async () => {
      const row = (await this.pool.query('SELECT * FROM nodes WHERE id = $1', [id])).rows[0] as Row | undefined;
      return row === undefined ? null : nodeRecordFromRow(row);
    });
  }

  async nodes(offset: number, limit: number): Promise<{ total: number; nodes: NodeRecord[] }> {
    return this.run('list nodes', async () => {
      const total = num(((await this.pool.query('SELECT COUNT(*) AS n FROM nodes')).rows[0] as Row).n);
      const rows = (await this.pool.query('SELECT * FROM nodes ORDER BY first_seen, id LIMIT $1 OFFSET $2', [Math.max(0, limit), Math.max(0, offset)])).rows as Row[];
      return { total, nodes: rows.map((r) => nodeRecordFromRow(r)) };
    });
  }

  async pruneNodes(max: number): Promise<number> {
    return this.run('prune nodes', async () => {
      const total = num(((await this.pool.query('SELECT COUNT(*) AS n FROM nodes')).rows[0] as Row).n);
      if (total <= max) return 0;
      return (await this.pool.query('DELETE FROM nodes WHERE id IN (SELECT id FROM nodes ORDER BY last_seen, first_seen LIMIT $1)', [total - max])).rowCount ?? 0;
    });
  }

  async revokeToken(tokenKey: string, label: string, at: number): Promise<void> {
    return this.run('store a revocation', async () => {
      await this.pool.query('INSERT INTO revocations (token_key, label, revoked_at) VALUES ($1, $2, $3) ON CONFLICT (token_key) DO NOTHING', [tokenKey, label, at]);
    });
  }

  async revokedTokens(): Promise<string[]> {
    return this.run('read revocations', async () => ((await this.pool.query('SELECT token_key FROM revocations ORDER BY revoked_at, token_key')).rows as Row[]).map((r) => String(r.token_key)));
  }

  async audit(r: AuditRecord): Promise<void> {
    return this.run('append to the audit log', async () => {
      await this.pool.query('INSERT INTO audit (at, kind, node, address, code, detail) VALUES ($1, $2, $3, $4, $5, $6)', [r.at, r.kind, r.node ?? null, r.address ?? null, r.code ?? null, JSON.stringify(r.detail)]);
      // The log is bounded: every thousand rows (of this instance), drop what is past the cap.
      if (++this.auditInserts % 1000 === 0) await this.pool.query('DELETE FROM audit WHERE id <= (SELECT MAX(id) FROM audit) - $1', [this.o.auditMaxRows ?? 1_000_000]);
    });
  }

  async auditLog(afterId: number, limit: number, kind?: AuditKind): Promise<AuditEntry[]> {
    return this.run('read the audit log', async () => {
      const params = [afterId, Math.max(0, limit)];
      const rows = (
        kind === undefined
          ? await this.pool.query('SELECT * FROM audit WHERE id > $1 ORDER BY id LIMIT $2', params)
          : await this.pool.query('SELECT * FROM audit WHERE id > $1 AND kind = $3 ORDER BY id LIMIT $2', [...params, kind])
      ).rows as Row[];
      return rows.map((r) => ({
        id: num(r.id),
        at: num(r.at),
        kind: String(r.kind) as AuditKind,
        node: (r.node as string | null) ?? null,
        address: (r.address as string | null) ?? null,
        code: (r.code as string | null) ?? null,
        detail: r.detail as Record<string, unknown>,
      }));
    });
  }

  async getMeta(key: string): Promise<string | null> {
    return this.run(`read ${key}`, () => this.metaOf(this.pool, key));
  }

  async setMeta(key: string, value: string): Promise<void> {
    return this.run(`write ${key}`, async () => {
      await this.pool.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
