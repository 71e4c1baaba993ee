// The embedded store: SQLite through better-sqlite3 (synchronous, wrapped in promises so the engine
// sees the same Store as a networked database). WAL journal, one transaction per round, content-
// addressed model versions with retention, and optional encryption at rest of the model weights,
// the strategy state and the ledger (at-rest-seal.ts). A store sealed under one key refuses every
// other key at open, with a clear error, before anything is read.
import Database from 'better-sqlite3';
import { FedtuneError, type CryptoProvider, type LedgerEntry, type TensorSpec, type Weights } from '@fedtune/shared';
import type { RoundSummary } from '../round/round-summary.js';
import type { Failpoint } from './failpoints.js';
import { layoutJson, nodeRecordFromRow, storeError, StoreCodec } from './store-codec.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './sqlite-schema.js';
import { lockStore } from './store-lock.js';
import type { AuditEntry, AuditKind, AuditRecord, ModelInfo, NodeRecord, RetentionPolicy, RoundCommit, RunState, Store } from './store.js';

export interface SqliteStoreOptions {
  /** A file path, or `:memory:` for a store that lives as long as the process. */
  path: string;
  crypto: CryptoProvider;
  retention: RetentionPolicy;
  /** The at-rest key (32 bytes); null: nothing is sealed. */
  key: Uint8Array | null;
  /** `full` (default): each round is on disk when its commit returns, power loss included; `normal`: safe against a crashed process, not a lost machine. */
  synchronous?: 'full' | 'normal';
  /** Open for reading only (the dashboard command), beside a running coordinator. */
  readonly?: boolean;
  /**
   * Open an existing store beside its coordinator, without taking the writer's lock: for tools
   * that read and only append to the audit log (export). SQLite serialises their writes.
   */
  shared?: boolean;
  /** Audit rows kept (oldest dropped first). */
  auditMaxRows?: number;
  failpoint?: Failpoint;
}

type Row = Record<string, unknown>;

export class SqliteStore implements Store {
  readonly description: string;
  private readonly codec: StoreCodec;
  private readonly release: () => void;
  private auditInserts = 0;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly o: SqliteStoreOptions,
    release: () => void,
  ) {
    this.description = `sqlite:${o.path}`;
    this.codec = new StoreCodec(o.crypto, o.key, o.path);
    this.release = release;
  }

  /**
   * Opens (creating when absent, unless read-only) the store at `o.path` and checks the key.
   * @throws FedtuneError FT_ERR_STORE (unreadable, newer schema, locked by a running coordinator),
   * FT_ERR_STORE_KEY (encrypted and no key or the wrong one; a key for a store that is not encrypted).
   */
  static async open(o: SqliteStoreOptions): Promise<SqliteStore> {
    const memory = o.path === ':memory:';
    const release = memory || o.readonly === true || o.shared === true ? () => {} : lockStore(o.path);
    let db: Database.Database;
    try {
      db = new Database(o.path, o.readonly === true ? { readonly: true, fileMustExist: true } : o.shared === true ? { fileMustExist: true } : {});
    } catch (err) {
      release();
      throw storeError(`cannot open ${o.path}`, err);
    }
    try {
      if (o.readonly !== true) {
        // auto_vacuum must be set before the first table: pruned model weights then give space back.
        db.pragma('auto_vacuum = INCREMENTAL');
        if (!memory) db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${o.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
        db.exec(SCHEMA_SQL);
      }
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      const store = new SqliteStore(db, o, release);
      store.checkSchemaAndKey();
      return store;
    } catch (err) {
      db.close();
      release();
      throw storeError(`cannot use ${o.path}`, err);
    }
  }

  private metaSync(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined;
    return row === undefined ? null : String(row.value);
  }

  private checkSchemaAndKey(): void {
    const version = this.metaSync('schema_version');
    if (version === null) {
      if (this.o.readonly === true || this.o.shared === true) throw new FedtuneError('FT_ERR_STORE', `${this.o.path} holds no fedtune store`);
      const put = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      this.db.transaction(() => {
        put.run('schema_version', String(SCHEMA_VERSION));
        for (const [key, value] of this.codec.initialMeta()) put.run(key, value);
      })();
      return;
    }
    if (Number(version) > SCHEMA_VERSION) throw new FedtuneError('FT_ERR_STORE', `${this.o.path} has schema version ${version}; this coordinator reads up to ${SCHEMA_VERSION}`);
    this.codec.verify(this.metaSync('encryption'), this.metaSync('key_check'));
  }

  private json(stored: unknown, context: string): unknown {
    return this.codec.openJson(stored as Buffer, context);
  }

  private run<T>(what: string, f: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new FedtuneError('FT_ERR_STORE', `${what}: the store is closed`));
    try {
      return Promise.resolve(f());
    } catch (err) {
      return Promise.reject(storeError(what, err));
    }
  }

  async runState(): Promise<RunState | null> {
    return this.run('read the run state', () => {
      const row = this.db.prepare('SELECT last_round, model_version, strategy_state FROM run_state WHERE id = 1').get() as Row | undefined;
      if (row === undefined) return null;
      const lastRound = Number(row.last_round);
      const completed = this.db.prepare("SELECT COUNT(*) AS n FROM rounds WHERE status = 'completed'").get() as Row;
      // Rounds completed before the store existed (a migrated data directory) have no rows.
      const offset = Number(this.metaSync('completed_offset') ?? 0);
      return {
        lastRound,
        modelVersion: (row.model_version as string | null) ?? null,
        strategyState: row.strategy_state === null ? null : this.json(row.strategy_state, `strategy-state:${lastRound}`),
        completedRounds: Number(completed.n) + offset,
      };
    });
  }

  async commitRound(c: RoundCommit): Promise<void> {
    const fp = this.o.failpoint ?? (() => {});
    return this.run(`commit round ${c.round}`, () => {
      const db = this.db;
      db.transaction(() => {
        const prev = db.prepare('SELECT last_round, model_version, strategy_state FROM run_state WHERE id = 1').get() as Row | undefined;
        if (prev !== undefined && c.round <= Number(prev.last_round) && !(c.round === 0 && c.summary === null && Number(prev.last_round) === 0)) {
          throw new FedtuneError('FT_ERR_STORE', `round ${c.round} is not after the last committed round ${String(prev.last_round)}`);
        }
        if (c.model !== null) {
          const { version, weights } = c.model;
          const existing = db.prepare('SELECT blob IS NULL AS pruned FROM models WHERE version = ?').get(version) as Row | undefined;
          const blob = this.codec.sealModel(version, weights);
          if (existing === undefined) {
            db.prepare('INSERT INTO models (version, round, created_at, elements, layout, blob) VALUES (?, ?, ?, ?, ?, ?)').run(
              version,
              c.round,
              c.at,
              weights.data.length,
              layoutJson(weights),
              blob,
            );
          } else if (Number(existing.pruned) === 1) {
            db.prepare('UPDATE models SET blob = ?, pruned_at = NULL WHERE version = ?').run(blob, version);
          }
          fp('commit:model-written', c.round);
        }
        if (c.modelInfo !== undefined) {
          db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run('model_info', JSON.stringify(c.modelInfo));
        }
        if (c.summary !== null) {
          const s = c.summary;
          db.prepare('INSERT INTO rounds (round, status, model_version, epsilon, summary, committed_at) VALUES (?, ?, ?, ?, ?, ?)').run(c.round, s.status, s.modelVersion, s.epsilon, JSON.stringify(s), c.at);
        }
        const ledger = db.prepare('INSERT INTO ledger (round, seq, entry) VALUES (?, ?, ?)');
        c.ledger.forEach((e, seq) => ledger.run(e.round, seq, this.codec.sealJson(e, `ledger:${e.round}:${seq}`)));
        const part = db.prepare('INSERT INTO round_nodes (round, node, outcome, stage) VALUES (?, ?, ?, ?)');
        const count = db.prepare('UPDATE nodes SET rounds_selected = rounds_selected + 1, rounds_contributed = rounds_contributed + ?, last_seen = MAX(last_seen, ?) WHERE id = ?');
        const drop = db.prepare("INSERT INTO audit (at, kind, node, address, code, detail) VALUES (?, 'drop', ?, NULL, NULL, ?)");
        for (const p of c.participants) {
          part.run(c.round, p.node, p.outcome, p.stage);
          count.run(p.outcome === 'contributed' ? 1 : 0, c.at, p.node);
          if (p.outcome !== 'contributed' && p.outcome !== 'round-aborted') drop.run(c.at, p.node, JSON.stringify({ round: c.round, reason: p.outcome, stage: p.stage }));
        }
        const version = c.model?.version ?? ((prev?.model_version as string | null | undefined) ?? null);
        const strategy = c.strategyState === undefined ? undefined : c.strategyState === null ? null : this.codec.sealJson(c.strategyState, `strategy-state:${c.round}`);
        if (strategy === undefined && prev !== undefined && prev.strategy_state !== null) {
          // Unchanged state is re-sealed under the new round, which binds it to the run's progress.
          const carried = this.json(prev.strategy_state, `strategy-state:${String(prev.last_round)}`);
          db.prepare('UPDATE run_state SET last_round = ?, model_version = ?, strategy_state = ?, updated_at = ? WHERE id = 1').run(c.round, version, this.codec.sealJson(carried, `strategy-state:${c.round}`), c.at);
        } else {
          db.prepare(
            'INSERT INTO run_state (id, last_round, model_version, strategy_state, updated_at) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET last_round = excluded.last_round, model_version = excluded.model_version, strategy_state = excluded.strategy_state, updated_at = excluded.updated_at',
          ).run(c.round, version, strategy ?? null, c.at);
        }
        const every = this.o.retention.keepEvery;
        if (c.model !== null && c.summary !== null && every > 0 && c.round % every === 0) {
          db.prepare('INSERT OR REPLACE INTO model_tags (tag, version, created_at) VALUES (?, ?, ?)').run(`round-${c.round}`, c.model.version, c.at);
        }
        this.prune(version, c.at);
        fp('commit:done', c.round);
      })();
      if (c.model !== null) db.pragma('incremental_vacuum');
    });
  }

  /** Drops the weights of versions that are neither current, tagged, nor among the last keepLast. */
  private prune(current: string | null, at: number): void {
    this.db
      .prepare(
        `UPDATE models SET blob = NULL, pruned_at = @at
         WHERE blob IS NOT NULL AND version IS NOT @current
           AND version NOT IN (SELECT version FROM model_tags)
           AND version NOT IN (SELECT version FROM models ORDER BY round DESC, created_at DESC, rowid DESC LIMIT @keep)`,
      )
      .run({ at, current, keep: Math.max(1, this.o.retention.keepLast) });
  }

  async model(version: string): Promise<Weights | null> {
    return this.run(`read model ${version.slice(0, 12)}`, () => {
      const row = this.db.prepare('SELECT layout, blob FROM models WHERE version = ?').get(version) as Row | undefined;
      if (row === undefined || row.blob === null) return null;
      return this.codec.openModel(version, String(row.layout), row.blob as Buffer);
    });
  }

  async models(): Promise<ModelInfo[]> {
    return this.run('list models', () => {
      const tags = new Map<string, string[]>();
      for (const t of this.db.prepare('SELECT tag, version FROM model_tags ORDER BY tag').all() as Row[]) tags.set(String(t.version), [...(tags.get(String(t.version)) ?? []), String(t.tag)]);
      return (this.db.prepare('SELECT version, round, created_at, elements, layout, blob IS NULL AS pruned FROM models ORDER BY round, created_at, rowid').all() as Row[]).map((r) => ({
        version: String(r.version),
        round: Number(r.round),
        createdAt: Number(r.created_at),
        tensors: JSON.parse(String(r.layout)) as TensorSpec[],
        elements: Number(r.elements),
        tags: tags.get(String(r.version)) ?? [],
        pruned: Number(r.pruned) === 1,
      }));
    });
  }

  async tagModel(version: string, tag: string, at: number): Promise<void> {
    return this.run(`tag ${version.slice(0, 12)}`, () => {
      const row = this.db.prepare('SELECT blob IS NULL AS pruned FROM models WHERE version = ?').get(version) as Row | undefined;
      if (row === undefined || Number(row.pruned) === 1) throw new FedtuneError('FT_ERR_UNKNOWN_MODEL', `${version.slice(0, 12)} is not a stored model version${row === undefined ? '' : ' (retention dropped its weights)'}`);
      this.db.prepare('INSERT OR REPLACE INTO model_tags (tag, version, created_at) VALUES (?, ?, ?)').run(tag, version, at);
    });
  }

  async rounds(before: number | null, limit: number): Promise<RoundSummary[]> {
    return this.run('read rounds', () => {
      const rows = this.db.prepare('SELECT summary FROM rounds WHERE round < ? ORDER BY round DESC LIMIT ?').all(before ?? Number.MAX_SAFE_INTEGER, Math.max(0, limit)) as Row[];
      return rows.reverse().map((r) => JSON.parse(String(r.summary)) as RoundSummary);
    });
  }

  async round(n: number): Promise<RoundSummary | null> {
    return this.run(`read round ${n}`, () => {
      const row = this.db.prepare('SELECT summary FROM rounds WHERE round = ?').get(n) as Row | undefined;
      return row === undefined ? null : (JSON.parse(String(row.summary)) as RoundSummary);
    });
  }

  async ledger(): Promise<LedgerEntry[]> {
    return this.run('read the ledger', () =>
      (this.db.prepare('SELECT round, seq, entry FROM ledger ORDER BY round, seq').all() as Row[]).map((r) => this.json(r.entry, `ledger:${String(r.round)}:${String(r.seq)}`) as LedgerEntry),
    );
  }

  async putNode(n: Pick<NodeRecord, 'id' | 'tokenKey' | 'resumeHash' | 'name' | 'backend'>, at: number): Promise<void> {
    return this.run(`store node ${n.id}`, () => {
      this.db
        .prepare(
          `INSERT INTO nodes (id, token_key, resume_hash, name, backend, first_seen, last_seen) VALUES (@id, @tokenKey, @hash, @name, @backend, @at, @at)
           ON CONFLICT (id) DO UPDATE SET token_key = excluded.token_key, resume_hash = excluded.resume_hash, name = excluded.name, backend = excluded.backend, last_seen = excluded.last_seen`,
        )
        .run({ id: n.id, tokenKey: n.tokenKey, hash: Buffer.from(n.resumeHash), name: n.name, backend: n.backend, at });
    });
  }

  async touchNode(id: string, at: number, name: string | null, backend: string | null): Promise<void> {
    return this.run(`touch node ${id}`, () => {
      this.db.prepare('UPDATE nodes SET last_seen = MAX(last_seen, ?), name = ?, backend = ? WHERE id = ?').run(at, name, backend, id);
    });
  }

  async node(id: string): Promise<NodeRecord | null> {
    return this.run(`read node ${id}`, () => {
      const row = this.db.prepare('SELECT * FROM nodes WHERE id = ?').get(id) as Row | undefined;
      return row === undefined ? null : nodeRecordFromRow(row);
    });
  }

  async nodes(offset: number, limit: number): Promise<{ total: number; nodes: NodeRecord[] }> {
    return this.run('list nodes', () => {
      const total = Number((this.db.prepare('SELECT COUNT(*) AS n FROM nodes').get() as Row).n);
      const rows = this.db.prepare('SELECT * FROM nodes ORDER BY first_seen, id LIMIT ? OFFSET ?').all(Math.max(0, limit), Math.max(0, offset)) as Row[];
      return { total, nodes: rows.map((r) => nodeRecordFromRow(r)) };
    });
  }

  async pruneNodes(max: number): Promise<number> {
    return this.run('prune nodes', () => {
      const total = Number((this.db.prepare('SELECT COUNT(*) AS n FROM nodes').get() as Row).n);
      if (total <= max) return 0;
      return this.db.prepare('DELETE FROM nodes WHERE id IN (SELECT id FROM nodes ORDER BY last_seen, first_seen LIMIT ?)').run(total - max).changes;
    });
  }

  async revokeToken(tokenKey: string, label: string, at: number): Promise<void> {
    return this.run('store a revocation', () => {
      this.db.prepare('INSERT OR IGNORE INTO revocations (token_key, label, revoked_at) VALUES (?, ?, ?)').run(tokenKey, label, at);
    });
  }

  async revokedTokens(): Promise<string[]> {
    return this.run('read revocations', () => (this.db.prepare('SELECT token_key FROM revocations ORDER BY revoked_at').all() as Row[]).map((r) => String(r.token_key)));
  }

  async audit(r: AuditRecord): Promise<void> {
    return this.run('append to the audit log', () => {
      this.db.prepare('INSERT INTO audit (at, kind, node, address, code, detail) VALUES (?, ?, ?, ?, ?, ?)').run(r.at, r.kind, r.node ?? null, r.address ?? null, r.code ?? null, JSON.stringify(r.detail));
      // The log is bounded: every thousand rows, drop what is past the cap.
      if (++this.auditInserts % 1000 === 0) {
        this.db.prepare('DELETE FROM audit WHERE id <= (SELECT MAX(id) FROM audit) - ?').run(this.o.auditMaxRows ?? 1_000_000);
      }
    });
  }

  async auditLog(afterId: number, limit: number, kind?: AuditKind): Promise<AuditEntry[]> {
    return this.run('read the audit log', () => {
      const rows = (
        kind === undefined
          ? this.db.prepare('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit)
          : this.db.prepare('SELECT * FROM audit WHERE id > ? AND kind = ? ORDER BY id LIMIT ?').all(afterId, kind, limit)
      ) as Row[];
      return rows.map((r) => ({
        id: Number(r.id),
        at: Number(r.at),
        kind: String(r.kind) as AuditKind,
        node: (r.node as string | null) ?? null,
        address: (r.address as string | null) ?? null,
        code: (r.code as string | null) ?? null,
        detail: JSON.parse(String(r.detail)) as Record<string, unknown>,
      }));
    });
  }

  async getMeta(key: string): Promise<string | null> {
    return this.run(`read ${key}`, () => this.metaSync(key));
  }

  async setMeta(key: string, value: string): Promise<void> {
    return this.run(`write ${key}`, () => {
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } finally {
      this.release();
    }
  }
}
