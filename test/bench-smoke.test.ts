// Every benchmark runs once on a tiny input, so a broken benchmark fails CI instead of rotting.
import { describe, expect, it } from 'vitest';
import { findBenches } from '../scripts/bench.js';
import type { BenchFn } from '../scripts/bench-types.js';

const benches = await findBenches(process.cwd());

describe('benchmarks (tiny smoke runs)', () => {
  it('finds the benchmark files', () => {
    expect(benches.map((b) => b.name)).toContain('sim/sim');
  });
  for (const b of benches) {
    it(`${b.name} runs and returns finite figures`, async () => {
      const { bench } = (await import(b.path)) as { bench: BenchFn };
      const figures = await bench({ tiny: true });
      expect(figures.length).toBeGreaterThan(0);
      for (const f of figures) expect(Number.isFinite(f.value), `${f.name} = ${f.value}`).toBe(true);
    }, 300_000);
  }
});
