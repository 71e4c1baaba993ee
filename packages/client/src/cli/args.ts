// Shared command-line helpers: numbers that must parse, and a usage error that exits with code 2.
import { FedtuneError } from '@fedtune/shared';

export class UsageError extends Error {}

export function intFlag(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

export function numberFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return n;
}

/** Prints the error and returns the exit code: 2 for usage and config errors, 1 otherwise. */
export function reportFailure(err: unknown, write: (s: string) => void): number {
  if (err instanceof UsageError) {
    write(`error: ${err.message}\n(see --help)\n`);
    return 2;
  }
  if (err instanceof FedtuneError) {
    write(`error ${err.code}: ${err.message}\n`);
    return err.code === 'FT_ERR_CONFIG' ? 2 : 1;
  }
  if (err instanceof Error && 'code' in err && String((err as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
    write(`error: ${err.message}\n(see --help)\n`);
    return 2;
  }
  write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}
