// The shape every fedtune command shares: `tool <command> [args]`, help on --help / -h / help
// (exit 0) or on no command at all (exit 2), an unknown command refused as a usage error, and any
// failure reported by reportCliFailure, never as a stack trace.
import { UsageError, reportCliFailure } from './failure.js';

/** Where a command writes its text (stdout or stderr in the real tools, a buffer in tests). */
export type Write = (s: string) => void;

/** One subcommand: runs on the arguments after its name and returns the exit code. */
export type Subcommand = (args: string[]) => Promise<number> | number;

/** Runs the subcommand `argv[0]` names. Never throws: a failure becomes its exit code. */
export async function runSubcommand(argv: readonly string[], help: string, commands: Readonly<Record<string, Subcommand>>, out: Write, err: Write): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      out(help);
      return command === undefined ? 2 : 0;
    }
    if (!Object.hasOwn(commands, command)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    return await commands[command]!(rest);
  } catch (e) {
    return reportCliFailure(e, err);
  }
}
