// How the command-line tools report a failure: usage mistakes and bad configuration exit 2, any
// other coded error exits 1, and only the code and message are printed, never a stack.
import { FedtuneError } from '../errors/catalogue.js';

/** A mistake in the command line itself (unknown flag, bad value). */
export class UsageError extends Error {}

/** Prints the failure with `write` and returns the exit code. */
export function reportCliFailure(err: unknown, write: (s: string) => void): number {
  if (err instanceof UsageError || (err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'))) {
    write(`error: ${err.message}\n(see --help)\n`);
    return 2;
  }
  if (err instanceof FedtuneError) {
    write(`error ${err.code}: ${err.message}\n`);
    return err.code === 'FT_ERR_CONFIG' ? 2 : 1;
  }
  write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}
