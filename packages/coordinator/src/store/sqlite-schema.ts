// The embedded store's tables (SQLite 3, WAL journal). One row per round, per model version, per
// ledger entry, per node and per audit event; the run's state is one row that each round's
// transaction rewrites. Version 1; a store written by a newer version is refused, never guessed at.
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS run_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_round INTEGER NOT NULL,
  model_version TEXT,
  strategy_state BLOB,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS rounds (
  round INTEGER PRIMARY KEY,
  status TEXT NOT NULL,
  model_version TEXT,
  epsilon REAL,
  summary TEXT NOT NULL,
  committed_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS models (
  version TEXT PRIMARY KEY,
  round INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  elements INTEGER NOT NULL,
  layout TEXT NOT NULL,
  blob BLOB,
  pruned_at INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS models_by_round ON models (round);
CREATE TABLE IF NOT EXISTS model_tags (
  tag TEXT PRIMARY KEY,
  version TEXT NOT NULL REFERENCES models (version),
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS ledger (
  round INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  entry BLOB NOT NULL,
  PRIMARY KEY (round, seq)
) STRICT;
CREATE TABLE IF NOT EXISTS nodes (
  id TEXT PRIMARY KEY,
  token_key TEXT NOT NULL,
  resume_hash BLOB NOT NULL,
  name TEXT,
  backend TEXT,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  rounds_selected INTEGER NOT NULL DEFAULT 0,
  rounds_contributed INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS nodes_by_last_seen ON nodes (last_seen);
CREATE TABLE IF NOT EXISTS round_nodes (
  round INTEGER NOT NULL,
  node TEXT NOT NULL,
  outcome TEXT NOT NULL,
  stage TEXT,
  PRIMARY KEY (round, node)
) STRICT;
CREATE TABLE IF NOT EXISTS revocations (
  token_key TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  revoked_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  node TEXT,
  address TEXT,
  code TEXT,
  detail TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS audit_by_kind ON audit (kind, id);
`;
