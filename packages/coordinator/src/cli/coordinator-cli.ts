// `fedtune-coordinator`: runs the service, hashes enrollment tokens, and computes privacy budgets.
import { parseArgs } from 'node:util';
import { nodeCryptoProvider } from '@fedtune/shared';
import { runSubcommand, type Write } from '@fedtune/shared/cli';
import { hashToken } from '../auth/token-verifier.js';
import { loadConfigFile, resolveConfig, type CoordinatorConfig } from '../config.js';
import { Coordinator } from '../coordinator.js';

const HELP = `Usage: fedtune-coordinator <command> [options]

Commands:
  serve [--config FILE] [--port P] [--host H]
        Runs the coordinator service: socket.io on http(s), /healthz and /metrics.
        FILE is JSON (see docs/coordinator-config.md); FEDTUNE_TOKENS (comma-separated)
        adds enrollment tokens from the environment.
  hash-token TOKEN
        Prints the SHA-256 hash to put in "tokenHashes", so the config holds no clear token.
  privacy --sample-rate q --noise z --rounds T --delta d [--json] ...
        The privacy calculator (see \`fedtune-coordinator privacy --help\`).

Options:
  --help    this text
`;


async function serve(args: string[], out: Write, err: Write): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    out(HELP);
    return 0;
  }
  let config: CoordinatorConfig = values.config === undefined ? resolveConfig({}) : await loadConfigFile(values.config);
  const envTokens = (process.env.FEDTUNE_TOKENS ?? '').split(',').filter((t) => t.length > 0);
  config = resolveConfig({
    ...config,
    tokens: [...config.tokens, ...envTokens],
    ...(values.port === undefined ? {} : { port: Number(values.port) }),
    ...(values.host === undefined ? {} : { host: values.host }),
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

export async function main(argv: string[], out: Write = (s) => void process.stdout.write(s), err: Write = (s) => void process.stderr.write(s)): Promise<number> {
  return runSubcommand(argv, HELP, {
    serve: (rest) => serve(rest, out, err),
    'hash-token': (rest) => {
      const token = rest[0];
      if (token === undefined || token === '--help') {
        out('Usage: fedtune-coordinator hash-token TOKEN\n');
        return token === undefined ? 2 : 0;
      }
      out(Buffer.from(hashToken(nodeCryptoProvider, token)).toString('hex') + '\n');
      return 0;
    },
    privacy: async (rest) => {
      const { runPrivacyCommand } = await import('./privacy-command.js');
      return runPrivacyCommand(rest, (l) => out(l.endsWith('\n') ? l : l + '\n'), (l) => err(l.endsWith('\n') ? l : l + '\n'));
    },
  }, out, err);
}
