// The shape every fedtune command shares: `tool <command> [flags]`. `--version`, `--help` and `-h`
// at the top; `tool <command> --help` (or `-h`, or `tool help <command>`) prints that command's own
// text; no command prints the overview and exits 2; an unknown command or flag exits 2 with one
// line; any failure is reported by reportCliFailure, never as a stack trace.
import { readFileSync } from 'node:fs';
import { UsageError, reportCliFailure, type Write } from './failure.js';

export type { Write } from './failure.js';

export interface CommandSpec {
  /** One line for the overview. */
  summary: string;
  /** The command's whole help text, starting with its usage line. */
  help: string;
  /** Runs on the arguments after the command's name and returns the exit code. */
  run: (args: string[]) => Promise<number> | number;
}

export interface ToolSpec {
  name: string;
  version: string;
  /** A paragraph under the usage line of the overview. */
  about: string;
  commands: Readonly<Record<string, CommandSpec>>;
}

/** The overview: usage, what the tool does, and one line per command. */
export function toolHelp(tool: ToolSpec): string {
  const names = Object.keys(tool.commands);
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${tool.commands[n]!.summary}`);
  return (
    `Usage: ${tool.name} <command> [options]\n\n${tool.about.trim()}\n\nCommands:\n${lines.join('\n')}\n\n` +
    `Run \`${tool.name} <command> --help\` for a command's options; \`${tool.name} --version\` prints the version.\n`
  );
}

/** True when `args` ask for help before any `--` terminator. */
function asksHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** Runs the command `argv[0]` names. Never throws: a failure becomes its exit code. */
export async function runTool(tool: ToolSpec, argv: readonly string[], out: Write, err: Write): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    err(toolHelp(tool));
    return 2;
  }
  if (command === '--help' || command === '-h') {
    out(toolHelp(tool));
    return 0;
  }
  if (command === '--version' || command === '-V') {
    out(`${tool.name} ${tool.version}\n`);
    return 0;
  }
  if (command === 'help') {
    const topic = rest[0];
    if (topic !== undefined && Object.hasOwn(tool.commands, topic)) out(ensureNewline(tool.commands[topic]!.help));
    else out(toolHelp(tool));
    return 0;
  }
  if (!Object.hasOwn(tool.commands, command)) {
    return reportCliFailure(new UsageError(`unknown command ${JSON.stringify(command)}`), err, tool.name);
  }
  const spec = tool.commands[command]!;
  if (asksHelp(rest)) {
    out(ensureNewline(spec.help));
    return 0;
  }
  try {
    return await spec.run(rest);
  } catch (e) {
    return reportCliFailure(e, err, `${tool.name} ${command}`);
  }
}

function ensureNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}

/**
 * The `version` of the package.json two folders above `moduleUrl` (a CLI module sits at
 * src/cli/x.ts or dist/cli/x.js, so both find their package's manifest).
 */
export function packageVersion(moduleUrl: string): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', moduleUrl), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
