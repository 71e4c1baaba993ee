// The coordinator's configuration: one TypeBox schema gives the type, the defaults and the
// validation of a config file, so a bad file fails at start with FT_ERR_CONFIG naming the key;
// a key the schema does not know, at any depth, is refused too (config-keys.ts).
import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FedtuneError, TrainConfig } from '@fedtune/shared';
import { STRATEGY_NAMES } from './strategy/create-strategy.js';
import { unknownKeys } from './config-keys.js';
import { parsePostgresUrl } from './store/postgres-url.js';

const PositiveInt = Type.Integer({ minimum: 1 });
const HexHash = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Millis = Type.Integer({ minimum: 1, maximum: 24 * 3600 * 1000 });

export const CoordinatorConfigSchema = Type.Object({
  host: Type.String({ default: '127.0.0.1' }),
  /** 0 picks a free port. */
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8750 }),
  /** Serve https/wss from these PEM files (certificate chain and private key); absent: plain http. */
  tls: Type.Optional(Type.Object({ certFile: Type.String(), keyFile: Type.String() })),
  /** Enrollment tokens in the clear; hashed with SHA-256 at load and the clear text dropped. Weak ones are refused. */
  tokens: Type.Array(Type.String({ minLength: 16, maxLength: 256 }), { default: [] }),
  /**
   * Enrollment tokens already hashed (hex SHA-256, from `fedtune-coordinator token new`), each
   * a hash or `{ hash, label, maxSessions, revoked }`: a per-node token with its own label can be
   * revoked alone.
   */
  tokenHashes: Type.Array(
    Type.Union([
      HexHash,
      Type.Object(
        {
          hash: HexHash,
          label: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          maxSessions: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
          revoked: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ]),
    { default: [] },
  ),
  /** Live sessions one token may hold at once (a shared token for a fleet needs its size). */
  maxSessionsPerToken: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 64 }),
  /**
   * Admin tokens (clear, or hashed in adminTokenHashes) guard the dashboard, /api/* and, with
   * metricsAuth, /metrics; /healthz stays open. Absent: those pages answer 401 to everyone.
   */
  adminTokens: Type.Array(Type.String({ minLength: 16, maxLength: 256 }), { default: [] }),
  adminTokenHashes: Type.Array(HexHash, { default: [] }),
  metricsAuth: Type.Boolean({ default: false }),
  /** Bounds that keep one hostile node or connection from exhausting the service. */
  limits: Type.Object(
    {
      /** Open TCP connections; beyond it a new one gets 503 and is closed. */
      maxConnections: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
      /** A connection that has not sent a complete request (or upgraded) by then is closed. */
      requestHeadersMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
      /** An upload slot held this long without a chunk is taken back and the node dropped. */
      uploadIdleMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
      /** The most examples one node may claim (weights use at most this). */
      maxExamplesPerNode: Type.Integer({ minimum: 1, maximum: 2 ** 40, default: 1_000_000_000 }),
      /** L2 bound on one plain update when no clip is configured; with a clip, the clip rules. */
      maxUpdateNorm: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      /** First sit-out of a node that let a fit deadline pass; doubles per further miss. */
      penaltyMs: Type.Integer({ minimum: 0, maximum: 24 * 3600_000, default: 60_000 }),
      maxPenaltyMs: Type.Integer({ minimum: 0, maximum: 7 * 24 * 3600_000, default: 3600_000 }),
      /** Malformed, oversized or unauthenticated messages one connection may send before it is cut. */
      maxStrikes: Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 5 }),
      /** Failed authentications from one address within a minute before it is backed off. */
      authFailuresBeforeBackoff: Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 5 }),
    },
    { default: {}, additionalProperties: false },
  ),
  rounds: Type.Integer({ minimum: 1, default: 10 }),
  /** Connected nodes needed before a round starts. */
  minNodes: Type.Integer({ minimum: 1, default: 2 }),
  selection: Type.Union(
    [
      Type.Object({ kind: Type.Literal('uniform'), clientsPerRound: PositiveInt, overSelection: Type.Number({ minimum: 0, maximum: 10, default: 0.2 }) }),
      Type.Object({ kind: Type.Literal('poisson'), sampleRate: Type.Number({ exclusiveMinimum: 0, maximum: 1 }) }),
    ],
    { default: { kind: 'uniform', clientsPerRound: 10, overSelection: 0.2 } },
  ),
  /** Fewest results with which a round aggregates; below it the round aborts. */
  minResults: Type.Integer({ minimum: 1, default: 2 }),
  fitDeadlineMs: Type.Optional(Millis),
  evaluateDeadlineMs: Type.Optional(Millis),
  helloTimeoutMs: Type.Optional(Millis),
  /** Evaluate every N rounds; 0 never. */
  evaluateEvery: Type.Integer({ minimum: 0, default: 1 }),
  /** Nodes asked to evaluate; absent: every available node. */
  evaluateClients: Type.Optional(PositiveInt),
  strategy: Type.Object(
    {
      name: Type.Union(STRATEGY_NAMES.map((n) => Type.Literal(n)), { default: 'fedavg' }),
      serverLearningRate: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      momentum: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1 })),
      beta1: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1 })),
      beta2: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1 })),
      tau: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    },
    { default: { name: 'fedavg' } },
  ),
  weighting: Type.Union([Type.Literal('examples'), Type.Literal('uniform')], { default: 'examples' }),
  /** Sent with every fit and evaluate instruction (epochs, batchSize, learningRate, ...). */
  trainConfig: Type.Intersect([TrainConfig], { default: {} }),
  /**
   * Secure aggregation (SecAgg+): present, every delta is clipped to `l2Clip`, ring-encoded and
   * masked, and the coordinator only ever holds the sum. Updates are then weighted uniformly.
   */
  secagg: Type.Optional(
    Type.Object({
      l2Clip: Type.Number({ exclusiveMinimum: 0, default: 10 }),
      bits: Type.Integer({ minimum: 8, maximum: 32, default: 32 }),
      dropoutRate: Type.Number({ minimum: 0, maximum: 0.99, default: 0.1 }),
      corruptionRate: Type.Number({ minimum: 0, maximum: 0.5, default: 0.05 }),
      stageDeadlineMs: Type.Integer({ minimum: 1, maximum: 24 * 3600 * 1000, default: 120_000 }),
      activeMode: Type.Boolean({ default: false }),
      /**
       * Opt-in, and only without activeMode: trust this coordinator to report dropouts truly
       * (honest-but-curious). The threshold then need only exceed the colluding neighbours, so
       * sparse graphs survive high dropout; but a coordinator that lies (tells half of a node's
       * neighbours it survived and half it dropped) rebuilds that node's input. Nodes must opt in
       * too. Default false: t > k/2, which no such lie can beat.
       */
      trustCoordinatorDropouts: Type.Boolean({ default: false }),
      /** Active mode: enrolled Ed25519 public keys (hex), by node id. */
      identityKeys: Type.Optional(Type.Record(Type.String({ pattern: '^[0-9a-f]{32}$' }), Type.String({ pattern: '^[0-9a-f]{64}$' }))),
    }),
  ),
  /**
   * Differential privacy. `distributed` (needs secagg): nodes add integer noise, `noise`
   * `discrete-gaussian` (default; Kairouz, Liu, Steinke 2021) or `skellam` (Agarwal, Kairouz, Liu
   * 2021), sized so the sum over `minSurvivors` has the target; `central`: the coordinator noises the sum;
   * `local-sgd`: nodes run DP-SGD and account for themselves. Give noiseMultiplier, or
   * targetEpsilon to solve it for the planned rounds.
   */
  dp: Type.Optional(
    Type.Object({
      mode: Type.Union([Type.Literal('distributed'), Type.Literal('central'), Type.Literal('local-sgd'), Type.Literal('off')], { default: 'central' }),
      clip: Type.Number({ exclusiveMinimum: 0, default: 1 }),
      noiseMultiplier: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      targetEpsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      delta: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 1e-5 }),
      budgetEpsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      minSurvivors: Type.Optional(Type.Integer({ minimum: 1 })),
      localNoiseMultiplier: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      localClip: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      noise: Type.Union([Type.Literal('discrete-gaussian'), Type.Literal('skellam')], { default: 'discrete-gaussian' }),
    }),
  ),
  /**
   * Nodes enrolled in the federation (N): the sampling rate is K/N under uniform selection. Under
   * DP it is only a floor: N is never below the enrolled identities or the node ids seen, and the
   * cohort is a Poisson sample at q = K/N, so a wrong N changes utility, never the guarantee.
   */
  population: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Worker threads that remove SecAgg masks; default one per core, 0 for none. */
  unmaskWorkers: Type.Optional(Type.Integer({ minimum: 0, maximum: 256 })),
  /** Updates buffered at once; further uploads wait for a slot (backpressure bounds memory). */
  uploadSlots: Type.Integer({ minimum: 1, maximum: 1024, default: 8 }),
  /**
   * Where the store lives (`<dataDir>/fedtune.db`, SQLite): rounds, model versions, the ledger,
   * strategy state, nodes and the audit log. Absent: an in-memory store (no resume).
   */
  dataDir: Type.Optional(Type.String()),
  /**
   * The durable store (issue 11): embedded SQLite by default, or PostgreSQL (issue 13), which
   * several coordinator instances share (`url`, implying kind `postgres`; see `cluster`).
   */
  store: Type.Object(
    {
      kind: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], { default: 'sqlite' }),
      /** The database file; default `<dataDir>/fedtune.db`. */
      path: Type.Optional(Type.String({ minLength: 1 })),
      /** PostgreSQL: `postgres://user@host:port/database?schema=NAME` (the password better in PGPASSWORD). */
      url: Type.Optional(Type.String({ minLength: 1 })),
      /** PostgreSQL: the schema the run lives in (overrides the URL's; default `fedtune`). */
      schema: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      /** PostgreSQL: connections this instance keeps open (default 8). */
      poolSize: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000 })),
      retention: Type.Object(
        {
          /** Model versions whose weights are kept (the current one always is). */
          keepLast: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10 }),
          /** Also keep, tagged `round-N`, the model of every round that is a multiple of this; 0 never. */
          keepEvery: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
        },
        { default: {}, additionalProperties: false },
      ),
      /** `full`: a committed round survives power loss; `normal`: a crashed process only (faster). */
      synchronous: Type.Union([Type.Literal('full'), Type.Literal('normal')], { default: 'full' }),
      /** Seal model weights, strategy state and the ledger (XSalsa20-Poly1305) with a 32-byte key from an environment variable or a file. */
      encryption: Type.Optional(
        Type.Object(
          {
            keyEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
            keyFile: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        ),
      ),
      /** Node identities remembered (least recently seen forgotten first). */
      maxNodes: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 100_000 }),
      /** Audit-log rows kept (oldest dropped first). */
      auditMaxRows: Type.Integer({ minimum: 1000, maximum: 1_000_000_000, default: 1_000_000 }),
    },
    { default: {}, additionalProperties: false },
  ),
  /**
   * Several instances on one PostgreSQL store (issue 13; tuning only: every instance on a PostgreSQL
   * store takes part). One leader per run (an advisory lock) plans rounds, steps the strategy and
   * keeps the ledger; every instance runs SecAgg over a group of its own nodes of at least
   * `minGroupSize` and writes the group's sum; the leader adds them.
   */
  cluster: Type.Optional(
    Type.Object(
      {
        /** The fewest nodes one group's sum may cover; a smaller group does not run (docs/secagg.md, threat model). */
        minGroupSize: Type.Integer({ minimum: 2, maximum: 1_000_000, default: 10 }),
        /** How often a follower tries to take the leader's lock. */
        leaderRetryMs: Type.Integer({ minimum: 50, maximum: 600_000, default: 1000 }),
        /** How often an instance says it is alive, with its count of ready nodes. */
        heartbeatMs: Type.Integer({ minimum: 50, maximum: 600_000, default: 500 }),
        /** An instance silent this long is taken for dead: the leader stops waiting for its group. */
        instanceTimeoutMs: Type.Integer({ minimum: 200, maximum: 3_600_000, default: 5000 }),
        /** The URL nodes reach this instance at, shown to operators (default: the listening address). */
        advertiseUrl: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
  ),
  /**
   * A safetensors file of float32 tensors to start from, instead of asking a node for its initial
   * weights (the names, shapes and order must be the nodes' federated weights: a file from
   * `fedtune-coordinator export` or `fedtune-client join --save` is). Ignored when resuming.
   */
  initialCheckpoint: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * Seed for what carries no privacy: cohort selection when DP is off, the SecAgg graph's shuffle,
   * the node asked for initial weights. DP noise, DP sampling and secret keys always come from the
   * OS CSPRNG, whatever the seed. Absent: the OS CSPRNG for everything.
   */
  seed: Type.Optional(Type.String()),
  logLevel: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error'), Type.Literal('silent')], {
    default: 'info',
  }),
});

export type CoordinatorConfig = Static<typeof CoordinatorConfigSchema>;
/** What callers may pass: any key may be left out, and nested sections take their defaults too. */
export type CoordinatorConfigInput = Partial<Omit<CoordinatorConfig, 'secagg' | 'dp' | 'limits' | 'store' | 'cluster'>> & {
  secagg?: Partial<NonNullable<CoordinatorConfig['secagg']>>;
  cluster?: Partial<NonNullable<CoordinatorConfig['cluster']>>;
  dp?: Partial<NonNullable<CoordinatorConfig['dp']>>;
  limits?: Partial<CoordinatorConfig['limits']>;
  store?: Partial<Omit<CoordinatorConfig['store'], 'retention'>> & { retention?: Partial<CoordinatorConfig['store']['retention']> };
};

export const DEFAULT_DEADLINES = { fitDeadlineMs: 10 * 60_000, evaluateDeadlineMs: 5 * 60_000, helloTimeoutMs: 10_000 } as const;

/**
 * Fills defaults and validates.
 * @throws FedtuneError FT_ERR_CONFIG naming the first bad key.
 */
export function resolveConfig(input: unknown): CoordinatorConfig {
  const unknown = unknownKeys(CoordinatorConfigSchema, input ?? {});
  if (unknown.length > 0) {
    const u = unknown[0]!;
    if (u.notAnObject === true) throw new FedtuneError('FT_ERR_CONFIG', `${u.path}: must be an object, not an array`);
    const more = unknown.length > 1 ? ` (and ${unknown.length - 1} more: ${unknown.slice(1, 4).map((k) => k.path).join(', ')})` : '';
    throw new FedtuneError('FT_ERR_CONFIG', `${u.path}: unknown key ${JSON.stringify(u.key)}${u.suggestion === null ? '' : ` (did you mean ${JSON.stringify(u.suggestion)}?)`}${more}`);
  }
  const withDefaults = Value.Default(CoordinatorConfigSchema, structuredClone(input ?? {}));
  if (!Value.Check(CoordinatorConfigSchema, withDefaults)) {
    const first = Value.Errors(CoordinatorConfigSchema, withDefaults).First();
    throw new FedtuneError('FT_ERR_CONFIG', `${first?.path || '/'}: ${first?.message ?? 'invalid'}`);
  }
  const cfg = withDefaults;
  if (cfg.selection.kind === 'uniform' && cfg.minResults > cfg.selection.clientsPerRound) {
    throw new FedtuneError('FT_ERR_CONFIG', `minResults ${cfg.minResults} > clientsPerRound ${cfg.selection.clientsPerRound}`);
  }
  if (cfg.dp?.mode === 'distributed' && cfg.secagg === undefined) throw new FedtuneError('FT_ERR_CONFIG', 'dp.mode distributed needs secagg: nobody may see an un-noised update');
  if (cfg.secagg?.activeMode === true && cfg.secagg.trustCoordinatorDropouts) {
    throw new FedtuneError('FT_ERR_CONFIG', 'secagg.trustCoordinatorDropouts contradicts secagg.activeMode, which exists for a coordinator that may lie');
  }
  if (cfg.dp !== undefined && cfg.dp.mode !== 'off' && cfg.dp.mode !== 'local-sgd' && cfg.dp.noiseMultiplier === undefined && cfg.dp.targetEpsilon === undefined) {
    throw new FedtuneError('FT_ERR_CONFIG', 'dp needs noiseMultiplier or targetEpsilon');
  }
  const store = (input as { store?: { kind?: unknown } } | null)?.store;
  if (cfg.store.url !== undefined && store?.kind === undefined) cfg.store.kind = 'postgres';
  if (cfg.store.kind === 'postgres') {
    if (cfg.store.url === undefined) throw new FedtuneError('FT_ERR_CONFIG', '/store/url: a postgres store needs its URL (postgres://user@host:port/database)');
    if (cfg.store.path !== undefined) throw new FedtuneError('FT_ERR_CONFIG', '/store/path: a file path belongs to the sqlite store, not to postgres');
    parsePostgresUrl(cfg.store.url, cfg.store.schema);
    // The leader would add group sums it could read, and the instances hold plain updates.
    if (cfg.secagg === undefined) throw new FedtuneError('FT_ERR_CONFIG', 'a postgres store runs every instance\'s nodes in SecAgg groups: configure secagg (docs/coordinator-config.md, "Several instances")');
    if (cfg.dp !== undefined && (cfg.dp.mode === 'central' || cfg.dp.mode === 'local-sgd')) {
      throw new FedtuneError('FT_ERR_CONFIG', `dp.mode ${cfg.dp.mode} is not available with several instances (a postgres store): the leader would see un-noised group sums; use distributed`);
    }
  } else {
    for (const key of ['url', 'schema', 'poolSize'] as const) if (cfg.store[key] !== undefined) throw new FedtuneError('FT_ERR_CONFIG', `/store/${key}: belongs to the postgres store (store.kind postgres)`);
    if (cfg.cluster !== undefined) throw new FedtuneError('FT_ERR_CONFIG', '/cluster: several instances need a postgres store (store.url)');
  }
  const enc = cfg.store.encryption;
  if (enc !== undefined && (enc.keyEnv === undefined) === (enc.keyFile === undefined)) {
    throw new FedtuneError('FT_ERR_CONFIG', '/store/encryption: give exactly one of keyEnv (an environment variable) or keyFile');
  }
  return cfg;
}

/** A config file's JSON, not yet validated (a command line may still override keys). @throws FedtuneError FT_ERR_CONFIG. */
export async function readConfigJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new FedtuneError('FT_ERR_CONFIG', `cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new FedtuneError('FT_ERR_CONFIG', `${path} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new FedtuneError('FT_ERR_CONFIG', `${path}: the config must be a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Reads a JSON config file. @throws FedtuneError FT_ERR_CONFIG. */
export async function loadConfigFile(path: string): Promise<CoordinatorConfig> {
  return resolveConfig(await readConfigJson(path));
}
