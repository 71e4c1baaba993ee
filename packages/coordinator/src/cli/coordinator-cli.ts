// `fedtune-coordinator`: runs the service, exports models, serves a stored run's dashboard, hashes
// enrollment tokens, and computes privacy budgets.
import { nodeCryptoProvider, tokenWeakness } from '@fedtune/shared';
import { UsageError, packageVersion, parseFlags, runTool, type ToolSpec, type Write } from '@fedtune/shared/cli';
import { hashToken } from '../auth/token-registry.js';
import { DASHBOARD_HELP, runDashboardCommand } from './dashboard-command.js';
import { EXPORT_HELP, runExportCommand } from './export-command.js';
import { PRIVACY_USAGE, runPrivacyCommand } from './privacy-command.js';
import { SERVE_HELP, runServeCommand } from './serve-command.js';

const HASH_TOKEN_HELP = `Usage: fedtune-coordinator hash-token TOKEN

Prints the SHA-256 hash of TOKEN to put in the config's "tokenHashes" (or "adminTokenHashes"), so
the config holds no clear token. A token shorter than 16 characters or with less than about 64
bits of entropy is refused: make one with \`fedtune-coordinator token new\`.
`;

const TOKEN_NEW_HELP = `Usage: fedtune-coordinator token new [--label NAME] [--json]

Prints a new random token (256 bits from the OS CSPRNG, base64url) and its SHA-256 hash. Give the
token to one edge node (or an admin); put the hash in the config:
  "tokenHashes": [{ "hash": "<hash>", "label": "<NAME>" }]
A per-node token can be revoked alone: POST /api/tokens/revoke {"token": "<NAME>"}.

  --label NAME   a label to print with it (for the config entry)
  --json         one JSON object: { token, hash, label }
  -h, --help     this text
`;

function hashTokenCommand(args: string[], out: Write): number {
  const { positionals } = parseFlags(args, {}, true);
  if (positionals.length !== 1) throw new UsageError('hash-token takes exactly one TOKEN');
  const weak = tokenWeakness(positionals[0]!);
  if (weak !== null) throw new UsageError(weak);
  out(Buffer.from(hashToken(nodeCryptoProvider, positionals[0]!)).toString('hex') + '\n');
  return 0;
}

function tokenNewCommand(args: string[], out: Write): number {
  const { values, positionals } = parseFlags(args, { label: { type: 'string' }, json: { type: 'boolean', default: false } }, true);
  if (positionals.length !== 1 || positionals[0] !== 'new') throw new UsageError('the token command has one subcommand: token new');
  const token = Buffer.from(nodeCryptoProvider.randomBytes(32)).toString('base64url');
  const hash = Buffer.from(hashToken(nodeCryptoProvider, token)).toString('hex');
  if (values.json) out(JSON.stringify({ token, hash, label: values.label ?? null }) + '\n');
  else out(`token: ${token}\nhash:  ${hash}\nconfig: { "hash": "${hash}"${values.label === undefined ? '' : `, "label": ${JSON.stringify(values.label)}`} }\n`);
  return 0;
}

export function coordinatorTool(out: Write, err: Write): ToolSpec {
  return {
    name: 'fedtune-coordinator',
    version: packageVersion(import.meta.url),
    about: 'The fedtune coordinator: runs federated rounds over socket.io, with secure aggregation and a differential-privacy ledger.',
    commands: {
      serve: { summary: 'run the coordinator service', help: SERVE_HELP, run: (rest) => runServeCommand(rest, out, err) },
      export: { summary: 'write a model version from the store as safetensors (LoRA: adapters, or merged)', help: EXPORT_HELP, run: (rest) => runExportCommand(rest, out) },
      dashboard: { summary: "serve a run's dashboard and /api from its store (after training ended)", help: DASHBOARD_HELP, run: (rest) => runDashboardCommand(rest, out) },
      token: { summary: 'token new: a fresh 256-bit token and its hash for the config', help: TOKEN_NEW_HELP, run: (rest) => tokenNewCommand(rest, out) },
      'hash-token': { summary: 'print the hash of a token you already have, for "tokenHashes"', help: HASH_TOKEN_HELP, run: (rest) => hashTokenCommand(rest, out) },
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
