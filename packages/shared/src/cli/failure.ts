// How the command-line tools report a failure: usage mistakes and bad configuration exit 2, any
// other coded error exits 1, and only one line with the code and message is printed, never a stack.
import { FedtuneError } from '../errors/catalogue.js';

/** A mistake in the command line itself (unknown flag, bad value); the message names the flag. */
export class UsageError extends Error {}

/** Where a command writes its text (stdout or stderr in the real tools, a buffer in tests). */
export type Write = (s: string) => void;

/**
 * Prints the failure as one line, prefixed with the command (`fedtune-sim run`), and returns the
 * exit code: 2 for usage and configuration mistakes, 1 otherwise.
 */
export function reportCliFailure(err: unknown, write: Write, command = 'fedtune'): number {
  if (err instanceof UsageError) {
    write(`${command}: ${err.message} (see ${command} --help)\n`);
    return 2;
  }
  if (err instanceof FedtuneError) {
    write(`${command}: error ${err.code}: ${err.message}\n`);
    return err.code === 'FT_ERR_CONFIG' ? 2 : 1;
  }
  write(`${command}: error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  return 1;
}
