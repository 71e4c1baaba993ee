// The PostgreSQL store's tables, as numbered migrations applied in order, each in its own
// transaction under a transaction-level advisory lock, so instances that start together on an
// empty schema do not race (PostgreSQL 15 documentation, §9.27.10 "Advisory Lock Functions").
// Version 1 holds what the SQLite store holds (sqlite-schema.ts), in PostgreSQL types; version 2
// the coordination state of several instances (cluster/), and the socket.io adapter's table for
// payloads over NOTIFY's 8,000-byte limit. A schema written by a newer version is refused.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'store',
    sql: `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE run_state (
  id SMALLINT PRIMARY KEY CHECK (id = 1),
  last_round BIGINT NOT NULL,
  model_version TEXT,
  strategy_state BYTEA,
  updated_at BIGINT NOT NULL
);
CREATE TABLE rounds (
  round BIGINT PRIMARY KEY,
  status TEXT NOT NULL,
  model_version TEXT,
  epsilon DOUBLE PRECISION,
  summary JSONB NOT NULL,
  committed_at BIGINT NOT NULL
);
CREATE TABLE models (
  version TEXT PRIMARY KEY,
  seq BIGSERIAL NOT NULL,
  round BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  elements BIGINT NOT NULL,
  layout TEXT NOT NULL,
  blob BYTEA,
  pruned_at BIGINT
);
CREATE INDEX models_by_round ON models (round, created_at, seq);
CREATE TABLE model_tags (
  tag TEXT PRIMARY KEY,
  version TEXT NOT NULL REFERENCES models (version),
  created_at BIGINT NOT NULL
);
CREATE TABLE ledger (
  round BIGINT NOT NULL,
  seq INTEGER NOT NULL,
  entry BYTEA NOT NULL,
  PRIMARY KEY (round, seq)
);
CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  token_key TEXT NOT NULL,
  resume_hash BYTEA NOT NULL,
  name TEXT,
  backend TEXT,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  rounds_selected BIGINT NOT NULL DEFAULT 0,
  rounds_contributed BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX nodes_by_last_seen ON nodes (last_seen);
CREATE INDEX nodes_by_first_seen ON nodes (first_seen, id);
CREATE TABLE round_nodes (
  round BIGINT NOT NULL,
  node TEXT NOT NULL,
  outcome TEXT NOT NULL,
  stage TEXT,
  PRIMARY KEY (round, node)
);
CREATE TABLE revocations (
  token_key TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  revoked_at BIGINT NOT NULL
);
CREATE TABLE audit (
  id BIGSERIAL PRIMARY KEY,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  node TEXT,
  address TEXT,
  code TEXT,
  detail JSONB NOT NULL
);
CREATE INDEX audit_by_kind ON audit (kind, id);
`,
  },
  {
    version: 2,
    name: 'cluster',
    sql: `
CREATE TABLE cluster_leader (
  id SMALLINT PRIMARY KEY CHECK (id = 1),
  epoch BIGINT NOT NULL,
  instance TEXT,
  url TEXT,
  since TIMESTAMPTZ
);
INSERT INTO cluster_leader (id, epoch) VALUES (1, 0);
CREATE TABLE cluster_instances (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  ready INTEGER NOT NULL DEFAULT 0,
  connected INTEGER NOT NULL DEFAULT 0,
  stopped BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE cluster_plans (
  round BIGINT PRIMARY KEY,
  epoch BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'committed')),
  plan JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  deadline_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE cluster_groups (
  round BIGINT NOT NULL REFERENCES cluster_plans (round),
  instance TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'skipped', 'aborted')),
  selected INTEGER NOT NULL,
  survivors INTEGER NOT NULL,
  sum BYTEA,
  detail JSONB NOT NULL,
  written_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (round, instance)
);
CREATE TABLE cluster_claims (
  round BIGINT NOT NULL,
  node TEXT NOT NULL,
  instance TEXT NOT NULL,
  PRIMARY KEY (round, node)
);
CREATE TABLE socket_io_attachments (
  id BIGSERIAL UNIQUE,
  created_at TIMESTAMPTZ DEFAULT now(),
  payload BYTEA
);
`,
  },
];

/** The newest schema version this code writes. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.at(-1)!.version;
