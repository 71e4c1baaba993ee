import { describe, expect, it } from 'vitest';
import { runPrivacyCommand } from './privacy-command.js';

function run(args: string): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runPrivacyCommand(args.split(' ').filter((a) => a !== ''), (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

describe('fedtune-coordinator privacy', () => {
  it('q 0.01, z 1.0, 1000 rounds, delta 1e-6 --json prints the reference epsilon and order', () => {
    // Reference: dp_accounting's RdpAccountant algorithm with its DEFAULT_RDP_ORDERS and its (improved)
    // conversion, cross-checked by mpmath quadrature of A_8: eps = 2.4366938030221332 at order 8.
    // TF Privacy's get_privacy_spent and compute_dp_sgd_privacy use the same improved conversion since 2020.
    const r = run('--sample-rate 0.01 --noise 1.0 --rounds 1000 --delta 1e-6 --json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out[0]!) as Record<string, unknown>;
    expect(Math.abs((j.epsilon as number) - 2.4366938030221332) / 2.4366938030221332).toBeLessThan(1e-9);
    expect(j).toMatchObject({ order: 8, noise: 1, sampleRate: 0.01, rounds: 1000, delta: 1e-6, accountant: 'rdp', conversion: 'improved' });
  });

  it('--conversion classic reproduces the pre-2020 (Mironov 2017) number', () => {
    const j = JSON.parse(run('privacy --sample-rate 0.01 --noise 1.0 --rounds 1000 --delta 1e-6 --conversion classic --json').out[0]!) as { epsilon: number; order: number };
    expect(Math.abs(j.epsilon - 2.866762877254329) / 2.866762877254329).toBeLessThan(1e-6);
    expect(j.order).toBeCloseTo(8.1, 12);
  });

  it('--epsilon inverts: the printed multiplier meets the target and round-trips', () => {
    const inv = run('--sample-rate 0.01 --epsilon 2.4366938030221332 --rounds 1000 --delta 1e-6 --json');
    expect(inv.code).toBe(0);
    const j = JSON.parse(inv.out[0]!) as { noise: number; epsilon: number; order: number };
    expect(Math.abs(j.noise - 1)).toBeLessThan(1e-8);
    expect(j.epsilon).toBeLessThanOrEqual(2.4366938030221332);
    const fwd = JSON.parse(run(`--sample-rate 0.01 --noise ${j.noise} --rounds 1000 --delta 1e-6 --json`).out[0]!) as { epsilon: number };
    expect(fwd.epsilon).toBeLessThanOrEqual(2.4366938030221332);
    const text = run('--sample-rate 0.02 --epsilon 3 --rounds 500 --delta 1e-5');
    expect(text.out[0]).toMatch(/^noise multiplier = [0-9.]+ keeps 500 rounds/);
  });

  it('--accountant pld prints a tighter epsilon with order null', () => {
    const j = JSON.parse(run('--sample-rate 0.01 --noise 1.0 --rounds 300 --delta 1e-6 --accountant pld --json').out[0]!) as { epsilon: number; order: null };
    const rdp = JSON.parse(run('--sample-rate 0.01 --noise 1.0 --rounds 300 --delta 1e-6 --json').out[0]!) as { epsilon: number };
    expect(j.order).toBeNull();
    expect(j.epsilon).toBeLessThan(rdp.epsilon);
  });

  it('an infinite epsilon under --json is a value a script can read, not null (issue 15, item 8)', () => {
    // Before: JSON.stringify(Infinity) printed "epsilon": null with exit 0, which reads as "no value".
    for (const args of ['--sample-rate 0.5 --noise 0 --rounds 3 --delta 1e-5 --json', '--sample-rate 0.5 --noise 0 --rounds 3 --delta 1e-5 --accountant pld --json']) {
      const r = run(args);
      expect(r.code).toBe(0);
      expect(r.out[0]).toMatch(/"epsilon":"Infinity","epsilonFinite":false/);
      expect(JSON.parse(r.out[0]!)).toMatchObject({ epsilon: 'Infinity', epsilonFinite: false });
    }
    const finite = JSON.parse(run('--sample-rate 0.5 --noise 0.02 --rounds 1 --delta 1e-5 --accountant pld --json').out[0]!) as { epsilon: number; epsilonFinite: boolean };
    expect(finite.epsilonFinite).toBe(true);
    expect(finite.epsilon).toBeGreaterThan(1453.7);
    expect(finite.epsilon).toBeLessThan(1453.73);
    expect(run('--sample-rate 0.5 --noise 0 --rounds 3 --delta 1e-5').out[0]).toMatch(/^epsilon = Infinity at delta/);
  });

  it('plain text output and --help', () => {
    expect(run('--sample-rate 0.01 --noise 1 --rounds 10 --delta 1e-5').out[0]).toMatch(/^epsilon = [0-9.]+ at delta = 0.00001 after 10 rounds/);
    const h = run('--help');
    expect(h.code).toBe(0);
    expect(h.out[0]).toMatch(/^Usage: fedtune-coordinator privacy/);
  });

  it('bad flags exit 2 with a clear message', () => {
    const cases: [string, RegExp][] = [
      ['--sample-rate 1.5 --noise 1 --rounds 10 --delta 1e-5', /--sample-rate must be a number in \[0, 1\], got '1.5'/],
      ['--sample-rate x --noise 1 --rounds 10 --delta 1e-5', /--sample-rate/],
      ['--sample-rate 0.1 --noise=-1 --rounds 10 --delta 1e-5', /--noise must be a number >= 0/],
      ['--sample-rate 0.1 --noise -1 --rounds 10 --delta 1e-5', /--noise/],
      ['--sample-rate 0.1 --noise NaN --rounds 10 --delta 1e-5', /--noise/],
      ['--sample-rate 0.1 --noise 1 --rounds 1.5 --delta 1e-5', /--rounds must be an integer/],
      ['--sample-rate 0.1 --noise 1 --rounds 10 --delta 1', /--delta must be a number in \(0, 1\)/],
      ['--sample-rate 0.1 --noise 1 --rounds 10 --delta Infinity', /--delta/],
      ['--sample-rate 0.1 --noise 1 --rounds 10', /--delta is required/],
      ['--sample-rate 0.1 --rounds 10 --delta 1e-5', /exactly one of --noise and --epsilon/],
      ['--sample-rate 0.1 --noise 1 --epsilon 1 --rounds 10 --delta 1e-5', /exactly one/],
      ['--sample-rate 0.1 --noise 1 --rounds 10 --delta 1e-5 --accountant moments', /--accountant must be rdp or pld/],
      ['--sample-rate 0.1 --noise 1 --rounds 10 --delta 1e-5 --conversion tight', /--conversion must be improved or classic/],
      ['--sample-rate 0.1 --noise 1 --rounds 10 --delta 1e-5 --accountant pld --conversion classic', /--conversion applies to --accountant rdp only/],
      ['--sample-rate 0.1 --epsilon 0 --rounds 10 --delta 1e-5', /--epsilon must be a number > 0/],
      ['--sample-rate 0 --epsilon 1 --rounds 10 --delta 1e-5', /--sample-rate > 0/],
      ['--sample-rate 0.1 --noise 1 --rounds 10 --delta 1e-5 --frobnicate', /unknown flag --frobnicate/],
      ['--sample-rate 0.1 --noise 1 --rounds 10 --delta 1e-5 extra', /unexpected argument extra/],
    ];
    for (const [args, msg] of cases) {
      const r = run(args);
      expect(r.code, args).toBe(2);
      expect(r.err.join('\n'), args).toMatch(msg);
      expect(r.out).toEqual([]);
    }
  });
});
