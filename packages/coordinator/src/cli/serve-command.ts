// `fedtune-coordinator serve`: the service, on the embedded store (./fedtune-data unless the config
// names another). SIGTERM or SIGINT stops it gracefully: nodes are told it is restarting, the round
// in flight is abandoned, and a restart on the same store resumes. Exit status: 0 when every
// configured round completed (or on a requested stop), 1 when training ended short of that.
import { resolve } from 'node:path';
import { FedtuneError } from '@fedtune/shared';
import { UsageError, parseFlags, type Write } from '@fedtune/shared/cli';
import { readConfigJson, resolveConfig, type CoordinatorConfig } from '../config.js';
import { Coordinator } from '../coordinator.js';
import { isPostgresUrl } from '../store/postgres-url.js';

/** How long a coordinator restarted after the end waits to tell nodes still reconnecting. */
const LATE_NODES_MS = 10_000;

/** Where serve keeps its store when the config names none. */
export const DEFAULT_DATA_DIR = 'fedtune-data';

export const SERVE_HELP = `Usage: fedtune-coordinator serve [--config FILE] [--port P] [--host H] [--data-dir DIR | --store URL] [--keep-serving]

Runs the coordinator service: socket.io over http(s), /healthz, /metrics, the dashboard at /.
Rounds, models, the privacy ledger and the node registry are kept in an SQLite store, so a
restarted coordinator resumes from its last completed round; or in PostgreSQL (--store), which
several serve processes share: one leads the run, each runs secure aggregation over a group of
its own nodes, and when the leader dies another takes over (docs/coordinator-config.md).

  --config FILE   JSON config (keys in docs/coordinator-config.md); default: every default
  --port P        listen on this port (0: any free port); overrides the config
  --host H        listen on this address; overrides the config
  --data-dir DIR  where the SQLite store lives (default: the config's dataDir, else ./${DEFAULT_DATA_DIR})
  --store URL     a PostgreSQL store instead: postgres://user@host:port/database?schema=NAME
                  (the password from PGPASSWORD or ~/.pgpass rather than the URL); overrides the config
  --keep-serving  when training ends, keep serving the dashboard and /api until stopped
  --verbose       debug logging
  -h, --help      this text

FEDTUNE_TOKENS (comma-separated) adds enrollment tokens from the environment.
SIGTERM or SIGINT stops gracefully: nodes are told the coordinator is restarting and reconnect
when it comes back on the same store. Exit status: 0 when every configured round completed (or
after such a stop), 1 when training ended short of it (the message says why), 2 for a bad
command line or config.
`;

export async function runServeCommand(args: string[], out: Write, err: Write): Promise<number> {
  const { values } = parseFlags(args, {
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    store: { type: 'string' },
    'keep-serving': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  });
  const file: Record<string, unknown> = values.config === undefined ? {} : await readConfigJson(values.config);
  const envTokens = (process.env.FEDTUNE_TOKENS ?? '').split(',').filter((t) => t.length > 0);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port must be an integer in [0, 65535], got ${JSON.stringify(values.port)}`);
  if (values['data-dir'] === '') throw new UsageError('--data-dir must not be empty');
  if (values.store !== undefined && !isPostgresUrl(values.store)) throw new UsageError('--store takes a postgres://user@host:port/database URL (not echoed: it may hold a password)');
  if (values.store !== undefined && values['data-dir'] !== undefined) throw new UsageError('give --data-dir (SQLite) or --store (PostgreSQL), not both');
  if (file.tokens !== undefined && !Array.isArray(file.tokens)) throw new FedtuneError('FT_ERR_CONFIG', '/tokens: must be an array of tokens');
  const fileStore = (file.store ?? {}) as Record<string, unknown>;
  const postgres = values.store !== undefined || fileStore.kind === 'postgres' || fileStore.url !== undefined;
  const config: CoordinatorConfig = resolveConfig({
    ...file,
    tokens: [...((file.tokens as string[] | undefined) ?? []), ...envTokens],
    ...(values.store === undefined ? {} : { store: { ...fileStore, kind: 'postgres', url: values.store } }),
    ...(postgres ? {} : { dataDir: resolve(values['data-dir'] ?? (file.dataDir as string | undefined) ?? DEFAULT_DATA_DIR) }),
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.verbose ? { logLevel: 'debug' } : {}),
  });
  const coordinator = await Coordinator.create({ config });
  let stopping = false;
  let release: () => void = () => {};
  const stopped = new Promise<void>((r) => (release = r));
  const stop = () => {
    if (stopping) return;
    stopping = true;
    err('stopping: nodes are told the coordinator is restarting...\n');
    release();
    void coordinator.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const { url } = await coordinator.listen();
    out(`fedtune coordinator listening on ${url} (${config.rounds} rounds, strategy ${config.strategy.name}, store ${coordinator.db.description})\n`);
    await coordinator.run();
    if (coordinator.resumedFinished && !stopping) {
      out(`the run in the store had already finished: telling nodes that reconnect (for up to ${LATE_NODES_MS / 1000} s)\n`);
      await Promise.race([coordinator.tellLateNodes(LATE_NODES_MS), stopped]);
    }
    const o = coordinator.outcome;
    const model = o?.modelVersion ?? 'none';
    if (o === null || o.status === 'stopped') {
      out(`${o?.reason ?? 'stopped before training started'}; restart with the same store to resume; model ${model}\n`);
      return 0;
    }
    if (o.status === 'completed') out(`finished: ${o.completedRounds} rounds completed; model ${model}\n`);
    else out(`finished: ${o.completedRounds} of ${o.rounds} rounds completed (${o.reason}); model ${model}\n`);
    if (values['keep-serving'] && !stopping) {
      out(`still serving the dashboard at ${url}/ until stopped (SIGINT or SIGTERM)\n`);
      await stopped;
    }
    return o.status === 'completed' ? 0 : 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await coordinator.close();
  }
}
