// Command-line flags: node:util parseArgs with its errors turned into one-line UsageErrors that name
// the flag, and number flags that must parse. A bad flag exits 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './failure.js';

type Options = NonNullable<ParseArgsConfig['options']>;
/** What parseArgs returns for these options (strict, positionals allowed or not). */
export type ParsedFlags<O extends Options, P extends boolean> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: P }>>;

/**
 * Parses `args` strictly against `options`. `--help` and `--version` never reach here (the
 * dispatcher answers them).
 * @throws UsageError naming the flag for an unknown flag, a missing value or a stray positional.
 */
export function parseFlags<O extends Options, P extends boolean = false>(args: readonly string[], options: O, allowPositionals?: P): ParsedFlags<O, P> {
  try {
    return parseArgs({ args: [...args], options, strict: true as const, allowPositionals: (allowPositionals ?? false) as P });
  } catch (err) {
    throw new UsageError(parseErrorLine(err));
  }
}

function parseErrorLine(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${flag ?? message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return flag === undefined ? message : `${flag} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? message}`;
    default:
      return message.split('\n')[0] ?? message;
  }
}

/** An integer flag >= min; `fallback` when absent. @throws UsageError naming the flag. */
export function intFlag(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** A finite number flag in [min, max]; `fallback` when absent. @throws UsageError naming the flag. */
export function numberFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return n;
}

/** One of `choices`; `fallback` when absent. @throws UsageError naming the flag. */
export function choiceFlag<T extends string>(name: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be ${choices.join(' | ')}, got ${JSON.stringify(value)}`);
  return value as T;
}
