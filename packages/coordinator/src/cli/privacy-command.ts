// `fedtune-coordinator privacy`: the (epsilon, delta) of T rounds of the Poisson-subsampled
// Gaussian at rate q and noise multiplier z, or the z that meets a target epsilon. RDP accounting
// follows Mironov, Talwar, Zhang 2019; PLD accounting Koskela et al. 2020 / Doroshenko et al. 2022.
import { UsageError, parseFlags, reportCliFailure } from '@fedtune/shared/cli';
import { calibrateNoiseMultiplier, DEFAULT_CONVERSION, pldEpsilon, sampledGaussianEpsilon, type RdpConversion } from '@fedtune/shared';

export const PRIVACY_USAGE = `Usage: fedtune-coordinator privacy --sample-rate Q --rounds T --delta D (--noise Z | --epsilon E) [options]

Epsilon of T rounds of the Poisson-subsampled Gaussian mechanism (each record in a round with
probability Q, noise stddev Z times the clip norm), or with --epsilon the smallest noise multiplier
that keeps T rounds within (E, D).

  --sample-rate Q        sampling rate in [0, 1] (1: every node every round)
  --noise Z              noise multiplier (stddev / clip), >= 0
  --epsilon E            target epsilon > 0: print the noise multiplier instead
  --rounds T             number of rounds, an integer >= 0
  --delta D              delta in (0, 1)
  --accountant rdp|pld   Rényi DP (default) or privacy loss distribution (tighter, slower)
  --conversion improved|classic
                         RDP to (epsilon, delta) conversion (default improved: Canonne, Kamath,
                         Steinke 2020 Prop. 12; classic: Mironov 2017 Prop. 3); rdp only
  --json                 one JSON object on stdout. An infinite epsilon (no noise, or a bound
                         that never reaches delta) is written "epsilon": "Infinity", a string,
                         with "epsilonFinite": false; a finite one is a number with
                         "epsilonFinite": true (JSON has no Infinity, and null would read as
                         "no value")
  --help                 this text

Exit codes: 0 ok, 1 no noise multiplier reaches the target, 2 bad arguments.`;

/** Epsilon as JSON can carry it: a number, or the string "Infinity" with the flag saying so. */
function jsonEpsilon(epsilon: number): { epsilon: number | 'Infinity'; epsilonFinite: boolean } {
  return Number.isFinite(epsilon) ? { epsilon, epsilonFinite: true } : { epsilon: 'Infinity', epsilonFinite: false };
}

function num(name: string, raw: string | undefined, check: (v: number) => boolean, what: string): number {
  if (raw === undefined) throw new UsageError(`--${name} is required`);
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || !check(v)) throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  return v;
}

/**
 * Runs the command. `argv` is the arguments after the subcommand (a leading "privacy" is skipped).
 * Prints results with `out`, problems with `err`, and returns the exit code (0 ok, 1 target not
 * reachable, 2 bad arguments). Never throws.
 */
export function runPrivacyCommand(argv: string[], out: (line: string) => void, err: (line: string) => void): number {
  const args = argv[0] === 'privacy' ? argv.slice(1) : argv;
  const failed = (e: unknown) => reportCliFailure(e, err, 'fedtune-coordinator privacy');
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseFlags(args, {
      'sample-rate': { type: 'string' },
      noise: { type: 'string' },
      epsilon: { type: 'string' },
      rounds: { type: 'string' },
      delta: { type: 'string' },
      accountant: { type: 'string' },
      conversion: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    }));
  } catch (e) {
    return failed(e);
  }
  if (values.help === true) {
    out(PRIVACY_USAGE);
    return 0;
  }
  try {
    const q = num('sample-rate', values['sample-rate'] as string | undefined, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    const rounds = num('rounds', values.rounds as string | undefined, (v) => Number.isSafeInteger(v) && v >= 0, 'an integer >= 0');
    const delta = num('delta', values.delta as string | undefined, (v) => v > 0 && v < 1, 'a number in (0, 1)');
    const accountant = (values.accountant as string | undefined) ?? 'rdp';
    if (accountant !== 'rdp' && accountant !== 'pld') throw new UsageError(`--accountant must be rdp or pld, got '${accountant}'`);
    const conversionRaw = values.conversion as string | undefined;
    if (conversionRaw !== undefined && conversionRaw !== 'improved' && conversionRaw !== 'classic') {
      throw new UsageError(`--conversion must be improved or classic, got '${conversionRaw}'`);
    }
    if (conversionRaw !== undefined && accountant === 'pld') throw new UsageError('--conversion applies to --accountant rdp only');
    const conversion: RdpConversion = (conversionRaw as RdpConversion | undefined) ?? DEFAULT_CONVERSION;
    const hasNoise = values.noise !== undefined;
    const hasEps = values.epsilon !== undefined;
    if (hasNoise === hasEps) throw new UsageError('give exactly one of --noise and --epsilon');

    const evaluate = (z: number): { epsilon: number; order: number | null } =>
      accountant === 'pld'
        ? { epsilon: pldEpsilon({ samplingRate: q, noiseMultiplier: z, steps: rounds, delta }), order: null }
        : sampledGaussianEpsilon({ samplingRate: q, noiseMultiplier: z, steps: rounds, delta, conversion });
    const common = { sampleRate: q, rounds, delta, accountant, conversion: accountant === 'rdp' ? conversion : null };

    if (hasNoise) {
      const z = num('noise', values.noise as string | undefined, (v) => v >= 0, 'a number >= 0');
      const r = evaluate(z);
      if (values.json === true) out(JSON.stringify({ ...jsonEpsilon(r.epsilon), order: r.order, noise: z, ...common }));
      else {
        const how = accountant === 'rdp' ? `RDP accountant, ${conversion} conversion, optimal order ${r.order ?? 'none'}` : 'PLD accountant';
        out(`epsilon = ${r.epsilon} at delta = ${delta} after ${rounds} rounds (sampling rate ${q}, noise multiplier ${z}; ${how})`);
      }
      return 0;
    }
    const target = num('epsilon', values.epsilon as string | undefined, (v) => v > 0, 'a number > 0');
    if (q === 0 || rounds === 0) throw new UsageError('--epsilon needs --sample-rate > 0 and --rounds >= 1 (otherwise no noise is needed)');
    let z: number;
    try {
      z = calibrateNoiseMultiplier({ targetEpsilon: target, delta, epsilonFor: (v) => evaluate(v).epsilon, tolerance: accountant === 'pld' ? 1e-4 : 1e-9 });
    } catch (e) {
      failed(e);
      return 1;
    }
    const r = evaluate(z);
    if (values.json === true) out(JSON.stringify({ noise: z, ...jsonEpsilon(r.epsilon), targetEpsilon: target, order: r.order, ...common }));
    else out(`noise multiplier = ${z} keeps ${rounds} rounds at sampling rate ${q} within epsilon = ${target} at delta = ${delta} (achieved ${r.epsilon})`);
    return 0;
  } catch (e) {
    return e instanceof UsageError ? failed(e) : failed(new UsageError((e as Error).message));
  }
}
