// The coordinator's durable state behind one asynchronous interface (DESIGN.md, "The service"):
// rounds, the privacy ledger, content-addressed model versions with retention, strategy state, the
// node registry, token revocations and an audit log. The embedded SQLite store implements it; a
// PostgreSQL store (several instances) plugs in behind the same promises, and
// test/store-conformance.ts is the suite every implementation must pass.
import type { LedgerEntry, TensorSpec, Weights } from '@fedtune/shared';
import type { RoundSummary } from '../round/round-summary.js';

/** Where the run stands: what a restarted coordinator resumes from. */
export interface RunState {
  /** The last round committed (0: only the initial model so far). */
  lastRound: number;
  /** The current global model, or null before any. */
  modelVersion: string | null;
  /** The strategy's saveState() after lastRound (momentum, moments, the privacy ledger), or null. */
  strategyState: unknown;
  /** Rounds stored with status `completed`. */
  completedRounds: number;
}

/** How one selected node fared in a round. */
export interface Participation {
  node: string;
  /**
   * `contributed`: its update is in the round's aggregate; `round-aborted`: it reported, but the
   * round aborted; otherwise why it left the round.
   */
  outcome: 'contributed' | 'round-aborted' | 'disconnected' | 'deadline' | 'rejected' | 'failed';
  /** The stage it left at (`collect`, `secagg:<Stage>`), null when it contributed. */
  stage: string | null;
}

/** Everything one round changes, committed in one transaction (or not at all). */
export interface RoundCommit {
  /** The round number; 0 for the initial model. */
  round: number;
  /** The round's summary; null for the initial model. */
  summary: RoundSummary | null;
  /** The new global model, null when the round left it unchanged (an aborted round). */
  model: { version: string; weights: Weights } | null;
  /** The strategy's state after the round; undefined leaves the stored state as it was. */
  strategyState?: unknown;
  /** Privacy-ledger entries this round appended (in order). */
  ledger: readonly LedgerEntry[];
  participants: readonly Participation[];
  /** What the model is (format, LoRA rank and targets, the base it adapts), set with the initial model. */
  modelInfo?: Readonly<Record<string, string>>;
  /** Wall-clock time of the commit (ms since the epoch), from the coordinator's clock. */
  at: number;
}

/** A model version as the store lists it. */
export interface ModelInfo {
  version: string;
  /** The round that produced it (0: the initial model). */
  round: number;
  createdAt: number;
  tensors: TensorSpec[];
  elements: number;
  tags: string[];
  /** True once retention dropped its weights (the record stays, so rounds can still name it). */
  pruned: boolean;
}

/** A node the coordinator has given an id. */
export interface NodeRecord {
  id: string;
  /** The hex hash of the token that opened it: only that token may resume it. */
  tokenKey: string;
  /** SHA-256 of the node's resume secret (the secret itself is never stored). */
  resumeHash: Uint8Array;
  name: string | null;
  backend: string | null;
  firstSeen: number;
  lastSeen: number;
  roundsSelected: number;
  roundsContributed: number;
}

export type AuditKind = 'start' | 'stop' | 'config' | 'migration' | 'auth-failure' | 'refusal' | 'drop' | 'revocation' | 'export' | 'tag';

export interface AuditRecord {
  at: number;
  kind: AuditKind;
  node?: string | null;
  address?: string | null;
  /** The FT_ERR_* code, where there is one. */
  code?: string | null;
  /** Small JSON-serialisable details (reasons, rounds, paths); never a secret. */
  detail: Record<string, unknown>;
}

export interface AuditEntry extends Required<AuditRecord> {
  id: number;
}

/** Which model versions keep their weights. */
export interface RetentionPolicy {
  /** The most recent versions kept (the current one always is). */
  keepLast: number;
  /** Also keep (and tag `round-N`) the model of every round N that is a multiple of this; 0 never. */
  keepEvery: number;
}

export interface Store {
  /** For logs: `sqlite:/var/lib/fedtune/fedtune.db`. */
  readonly description: string;
  /** Null on a store that has never committed anything. */
  runState(): Promise<RunState | null>;
  /**
   * Commits a round atomically: summary, model version, ledger entries, strategy state and node
   * participation; then applies retention. @throws FedtuneError FT_ERR_STORE (nothing is kept).
   */
  commitRound(commit: RoundCommit): Promise<void>;
  /** The weights of a version, null when unknown or pruned. @throws FedtuneError FT_ERR_STORE when they do not match their hash. */
  model(version: string): Promise<Weights | null>;
  /** Every version ever committed, oldest first. */
  models(): Promise<ModelInfo[]>;
  /** Names a version so retention keeps it. @throws FedtuneError FT_ERR_UNKNOWN_MODEL when it is unknown or pruned. */
  tagModel(version: string, tag: string, at: number): Promise<void>;
  /** Stored rounds numbered below `before` (all when null), the newest `limit` of them, oldest first. */
  rounds(before: number | null, limit: number): Promise<RoundSummary[]>;
  /** One stored round, or null. */
  round(n: number): Promise<RoundSummary | null>;
  /** Every privacy-ledger entry, in order. */
  ledger(): Promise<LedgerEntry[]>;
  /** Creates or replaces a node's identity (token and resume hash), keeping its counters. */
  putNode(node: Pick<NodeRecord, 'id' | 'tokenKey' | 'resumeHash' | 'name' | 'backend'>, at: number): Promise<void>;
  /** Records that a node was seen now (name and backend as it last said). */
  touchNode(id: string, at: number, name: string | null, backend: string | null): Promise<void>;
  node(id: string): Promise<NodeRecord | null>;
  /** Nodes by first appearance. */
  nodes(offset: number, limit: number): Promise<{ total: number; nodes: NodeRecord[] }>;
  /** Forgets the least recently seen nodes beyond `max`; returns how many. */
  pruneNodes(max: number): Promise<number>;
  revokeToken(tokenKey: string, label: string, at: number): Promise<void>;
  /** Token hashes revoked so far. */
  revokedTokens(): Promise<string[]>;
  audit(record: AuditRecord): Promise<void>;
  /** Audit entries after `afterId`, oldest first, optionally of one kind. */
  auditLog(afterId: number, limit: number, kind?: AuditKind): Promise<AuditEntry[]>;
  /** Small named values (the run's model description, migration marks). */
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}
