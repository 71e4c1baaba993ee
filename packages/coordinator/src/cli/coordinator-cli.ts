// `fedtune-coordinator`: runs the service, hashes enrollment tokens, and computes privacy budgets.
import { nodeCryptoProvider } from '@fedtune/shared';
import { UsageError, packageVersion, parseFlags, runTool, type ToolSpec, type Write } from '@fedtune/shared/cli';
import { hashToken } from '../auth/token-verifier.js';
import { loadConfigFile, resolveConfig, type CoordinatorConfig } from '../config.js';
import { Coordinator } from '../coordinator.js';
import { PRIVACY_USAGE, runPrivacyCommand } from './privacy-command.js';

const SERVE_HELP = `Usage: fedtune-coordinator serve [--config FILE] [--port P] [--host H]

Runs the coordinator service: socket.io over http(s), /healthz, /metrics, the dashboard at /.

  --config FILE   JSON config (keys in docs/coordinator-config.md); default: every default
  --port P        listen on this port (0: any free port); overrides the config
  --host H        listen on this address; overrides the config
  --verbose       debug logging
  -h, --help      this text

FEDTUNE_TOKENS (comma-separated) adds enrollment tokens from the environment.
`;

const HASH_TOKEN_HELP = `Usage: fedtune-coordinator hash-token TOKEN

Prints the SHA-256 hash of TOKEN to put in the config's "tokenHashes", so the config holds no
clear token.
`;

async function serve(args: string[], out: Write, err: Write): Promise<number> {
  const { values } = parseFlags(args, {
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  });
  let config: CoordinatorConfig = values.config === undefined ? resolveConfig({}) : await loadConfigFile(values.config);
  const envTokens = (process.env.FEDTUNE_TOKENS ?? '').split(',').filter((t) => t.length > 0);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port must be an integer in [0, 65535], got ${JSON.stringify(values.port)}`);
  config = resolveConfig({
    ...config,
    tokens: [...config.tokens, ...envTokens],
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.verbose ? { logLevel: 'debug' } : {}),
  });
  const coordinator = await Coordinator.create({ config });
  const { url } = await coordinator.listen();
  out(`fedtune coordinator listening on ${url} (${config.rounds} rounds, strategy ${config.strategy.name})\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    err('stopping...\n');
    void coordinator.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const summaries = await coordinator.run();
  await coordinator.close();
  out(`finished: ${summaries.filter((s) => s.status === 'completed').length} rounds completed; model ${coordinator.store.current?.version ?? 'none'}\n`);
  return 0;
}

function hashTokenCommand(args: string[], out: Write): number {
  const { positionals } = parseFlags(args, {}, true);
  if (positionals.length !== 1) throw new UsageError('hash-token takes exactly one TOKEN');
  out(Buffer.from(hashToken(nodeCryptoProvider, positionals[0]!)).toString('hex') + '\n');
  return 0;
}

export function coordinatorTool(out: Write, err: Write): ToolSpec {
  return {
    name: 'fedtune-coordinator',
    version: packageVersion(import.meta.url),
    about: 'The fedtune coordinator: runs federated rounds over socket.io, with secure aggregation and a differential-privacy ledger.',
    commands: {
      serve: { summary: 'run the coordinator service', help: SERVE_HELP, run: (rest) => serve(rest, out, err) },
      'hash-token': { summary: 'print the hash of an enrollment token for "tokenHashes"', help: HASH_TOKEN_HELP, run: (rest) => hashTokenCommand(rest, out) },
      privacy: {
        summary: 'the privacy calculator: epsilon for (q, z, T, delta), or z for a target epsilon',
        help: PRIVACY_USAGE,
        run: (rest) => runPrivacyCommand(rest, (l) => out(l.endsWith('\n') ? l : l + '\n'), (l) => err(l.endsWith('\n') ? l : l + '\n')),
      },
    },
  };
}

export async function main(argv: string[], out: Write = (s) => void process.stdout.write(s), err: Write = (s) => void process.stderr.write(s)): Promise<number> {
  return runTool(coordinatorTool(out, err), argv, out, err);
}
