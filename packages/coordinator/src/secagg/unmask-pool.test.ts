// Parallel mask removal gives the same bytes as single-threaded unmaskRange, in worker threads
// that stay up across rounds.
import { afterAll, describe, expect, it } from 'vitest';
import { deriveMaskKey, nodeCryptoProvider as crypto, seededRandom, unmaskRange, type UnmaskPlan } from '@fedtune/shared';
import { UnmaskPool } from './unmask-pool.js';

const pool = new UnmaskPool(2);
afterAll(() => pool.close());

describe('UnmaskPool', () => {
  const rng = seededRandom(crypto, 'pool');
  const m = 10_000;
  const plan: UnmaskPlan = {
    bits: 32,
    vectorLength: m,
    chunkElements: 1024,
    survivors: [],
    terms: Array.from({ length: 5 }, (_, i) => ({ key: deriveMaskKey(crypto, rng.bytes(32), { round: 1, a: `n${i}` }), sign: i % 2 ? (1 as const) : (-1 as const) })),
  };
  const input = new Uint32Array(rng.bytes(4 * m).buffer);
  const expected = unmaskRange(crypto, plan, Uint32Array.from(input), 0);

  it('matches unmaskRange byte for byte, twice on the same workers', async () => {
    for (let run = 0; run < 2; run++) {
      const out = await pool.unmask(plan, Uint32Array.from(input));
      expect(Buffer.from(out.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    }
  });

  it('works inline with no workers, and for a narrow b', async () => {
    const inline = await new UnmaskPool(0).unmask(plan, Uint32Array.from(input));
    expect(Buffer.from(inline.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    const p20 = { ...plan, bits: 20 };
    const x = Uint32Array.from(input, (v) => v & 0xfffff);
    expect(Array.from(await pool.unmask(p20, Uint32Array.from(x)))).toEqual(Array.from(unmaskRange(crypto, p20, Uint32Array.from(x), 0)));
  });
});
