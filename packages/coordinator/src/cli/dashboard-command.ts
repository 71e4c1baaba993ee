// `fedtune-coordinator dashboard`: the dashboard and /api of a run, served from its store, after
// training ended (or beside a running coordinator, read only). Behind the config's admin token.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { nodeCryptoProvider } from '@fedtune/shared';
import { UsageError, parseFlags, type Write } from '@fedtune/shared/cli';
import { loadConfigFile, resolveConfig, type CoordinatorConfig } from '../config.js';
import { AdminAuth } from '../http/admin-auth.js';
import { createRoutes } from '../http/routes.js';
import { storedRunView } from '../http/stored-run-view.js';
import { openStore, storePath } from '../store/open-store.js';
import { DEFAULT_DATA_DIR } from './serve-command.js';

export const DASHBOARD_HELP = `Usage: fedtune-coordinator dashboard [--config FILE] [--data-dir DIR] [--port P] [--host H]

Serves the dashboard and /api of a run from its store (read only), after training ended or while
it runs elsewhere, until stopped (SIGINT or SIGTERM). Log in with an admin token from the
config (adminTokens / adminTokenHashes), as user anything and the token as password, or send
Authorization: Bearer TOKEN.

  --config FILE   the coordinator's config (admin tokens, dataDir, store, at-rest key)
  --data-dir DIR  the store's folder (default: the config's dataDir, else ./${DEFAULT_DATA_DIR})
  --port P        listen on this port (default: the config's; 0: any free port)
  --host H        listen on this address (default: the config's)
  -h, --help      this text
`;

export async function runDashboardCommand(args: string[], out: Write): Promise<number> {
  const { values } = parseFlags(args, { config: { type: 'string' }, 'data-dir': { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } });
  const loaded: CoordinatorConfig = values.config === undefined ? resolveConfig({}) : await loadConfigFile(values.config);
  const port = values.port === undefined ? loaded.port : Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port must be an integer in [0, 65535], got ${JSON.stringify(values.port)}`);
  const config = resolveConfig({ ...loaded, dataDir: resolve(values['data-dir'] ?? loaded.dataDir ?? DEFAULT_DATA_DIR), port, ...(values.host === undefined ? {} : { host: values.host }) });
  if (storePath(config) === ':memory:') throw new UsageError('the config keeps its store in memory: there is no run to show');
  const db = await openStore(config, nodeCryptoProvider, { readonly: true });
  const admin = new AdminAuth(nodeCryptoProvider, config.adminTokens, config.adminTokenHashes);
  if (!admin.configured) out('note: no admin token in the config: every page will answer 401\n');
  const server = createServer(createRoutes({ view: await storedRunView(db, config), admin, metrics: null, metricsAuth: true }));
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(config.port, config.host, ok);
    });
    const { port: bound } = server.address() as AddressInfo;
    out(`fedtune dashboard of ${db.description} on http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${bound}/ (until stopped)\n`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await db.close();
  }
  return 0;
}
