// Parallel mask removal gives the same bytes as single-threaded unmaskRange however the work is
// cut (by ranges, by masks, both) and whichever threads claim it, in shared memory or copied;
// small work stays on the calling thread; a worker dying mid-job fails the unmask cleanly.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FedtuneError, RingAccumulator, deriveMaskKey, nodeCryptoProvider as crypto, seededRandom, unmaskRange, type UnmaskPlan } from '@fedtune/shared';
import { MIN_PARALLEL_WORDS, UnmaskPool } from './unmask-pool.js';
import { packTerms, runUnmaskBatch, splitUnmask } from './unmask-worker-job.js';

const rng = seededRandom(crypto, 'pool');
const pool = new UnmaskPool(2, { minParallelWords: 0 });
afterAll(() => pool.close());

function plan(m: number, t: number, bits = 32): UnmaskPlan {
  const terms = Array.from({ length: t }, (_, i) => ({ key: deriveMaskKey(crypto, rng.bytes(32), { round: 1, a: `n${i}` }), sign: i % 3 ? (1 as const) : (-1 as const) }));
  return { bits, vectorLength: m, chunkElements: 1024, survivors: [], terms };
}
const input = (m: number, bits = 32) => Uint32Array.from(new Uint32Array(rng.bytes(4 * m).buffer), (v) => (bits === 32 ? v : v & (2 ** bits - 1)));
const same = (a: Uint32Array, b: Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('UnmaskPool', () => {
  it('matches unmaskRange byte for byte when split by ranges, by masks and both, twice on the same workers', async () => {
    // 100,000 words: two ranges; 20,000: too short for two ranges, split by masks; 4 threads on 40,000: 2 x 2.
    for (const [m, t, bits] of [[100_000, 5, 32], [20_000, 7, 32], [20_003, 7, 20], [3, 4, 32]] as const) {
      const p = plan(m, t, bits);
      const x = input(m, bits);
      const expected = unmaskRange(crypto, p, x.slice(), 0);
      for (let run = 0; run < 2; run++) expect(same(await pool.unmask(p, x.slice()), expected), `m=${m} t=${t} bits=${bits}`).toBe(true);
      // The coordinator's sum lives in the accumulator's shared memory: the workers write into it in place.
      const acc = new RingAccumulator(m + 5, 16);
      expect(acc.sum.buffer).toBeInstanceOf(SharedArrayBuffer);
      const view = acc.sum.subarray(5);
      view.set(x);
      expect(same(await pool.unmask(p, view), expected)).toBe(true);
    }
    const four = new UnmaskPool(4, { minParallelWords: 0 });
    try {
      const p = plan(40_000, 6);
      const x = input(40_000);
      expect(same(await four.unmask(p, x.slice()), unmaskRange(crypto, p, x.slice(), 0))).toBe(true);
      expect(four.running).toBe(4);
    } finally {
      await four.close();
    }
  });

  it('removes small work on the calling thread without starting workers, and works with no workers at all', async () => {
    const small = new UnmaskPool(2);
    const p = plan(1000, 3);
    const x = input(1000);
    expect(3 * 1000).toBeLessThan(MIN_PARALLEL_WORDS);
    const expected = unmaskRange(crypto, p, x.slice(), 0);
    expect(same(await small.unmask(p, x.slice()), expected)).toBe(true);
    expect(small.running).toBe(0);
    const p0 = plan(50_000, 3);
    const x0 = input(50_000);
    expect(same(await new UnmaskPool(0, { minParallelWords: 0 }).unmask(p0, x0.slice()), unmaskRange(crypto, p0, x0.slice(), 0))).toBe(true);
  });

  it('refuses a bad plan or sum before touching the sum', async () => {
    const p = plan(40_000, 3);
    const x = input(40_000);
    const before = x.slice();
    await expect(pool.unmask(p, new Uint32Array(39_999))).rejects.toThrow(RangeError);
    await expect(pool.unmask({ ...p, bits: 33 }, x)).rejects.toThrow(RangeError);
    await expect(pool.unmask({ ...p, terms: [...p.terms, { key: { key: new Uint8Array(31), iv: new Uint8Array(16) }, sign: 1 }] }, x)).rejects.toThrow(TypeError);
    await expect(pool.unmask({ ...p, terms: [...p.terms, { key: p.terms[0]!.key, sign: 0 as never }] }, x)).rejects.toThrow(TypeError);
    await expect(pool.unmask(null as never, x)).rejects.toThrow(TypeError);
    expect(same(x, before)).toBe(true);
  });

  it('a worker that dies mid-job fails the unmask with FT_ERR_INTERNAL; the next unmask starts fresh workers', async () => {
    // The calling thread stays out, so the workers hold every cell when they are terminated.
    const workersOnly = new UnmaskPool(2, { minParallelWords: 0, useCallingThread: false });
    try {
      const p = plan(1 << 20, 40);
      const x = input(1 << 20);
      const outcome = workersOnly.unmask(p, x.slice()).catch((e: unknown) => e);
      await workersOnly.close();
      const err = await outcome;
      expect(err).toBeInstanceOf(FedtuneError);
      expect((err as FedtuneError).code).toBe('FT_ERR_INTERNAL');
      const q = plan(50_000, 3);
      const y = input(50_000);
      expect(same(await workersOnly.unmask(q, y.slice()), unmaskRange(crypto, q, y.slice(), 0))).toBe(true);
      expect(workersOnly.running).toBe(2);
    } finally {
      await workersOnly.close();
    }
  });

  it('cells are claimed once each, whichever thread gets there: a second thread finding none leaves the sum right', () => {
    const p = plan(40_000, 6);
    const x = input(40_000);
    const expected = unmaskRange(crypto, p, x.slice(), 0);
    const sum = new Uint32Array(new SharedArrayBuffer(4 * 40_000));
    sum.set(x);
    const { keys, signs } = packTerms(p.terms);
    const cells = splitUnmask(40_000, 6, 2, 1 << 14);
    const batch = {
      id: 1,
      cells: cells.map((c) => ({ buffer: sum.buffer as SharedArrayBuffer, offset: c.from, length: c.to - c.from, start: c.from, termFrom: c.termFrom, termTo: c.termTo })),
      keys,
      signs,
      counters: new Int32Array(new SharedArrayBuffer(8)),
    };
    expect(cells.every((c) => !c.partial)).toBe(true);
    expect(runUnmaskBatch(crypto, batch)).toBe(cells.length);
    expect(runUnmaskBatch(crypto, batch)).toBe(0);
    expect(Array.from(batch.counters)).toEqual([cells.length + 2, cells.length]);
    expect(same(sum, expected)).toBe(true);
  });
});

describe('splitUnmask', () => {
  it('property: the cells cover every (element, mask) pair exactly once, use at most the threads, in-place first', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 2000 }), (m, t, threads, minRange) => {
        const cells = splitUnmask(m, t, threads, minRange);
        expect(cells.length).toBeLessThanOrEqual(threads);
        const cover = new Uint8Array(m * t);
        for (const c of cells) {
          expect(c.to - c.from).toBeGreaterThan(0);
          for (let i = c.from; i < c.to; i++) for (let j = c.termFrom; j < c.termTo; j++) cover[i * t + j]!++;
          // The in-place cell of a range holds its first mask group.
          expect(c.partial).toBe(c.termFrom !== 0);
        }
        expect(cover.every((v) => v === 1)).toBe(true);
        // Both cores busy whenever there is something to split.
        if (threads === 2 && t >= 2 && m >= 1) expect(cells.length).toBe(2);
      }),
      { numRuns: 200 },
    );
  });

  it('prefers ranges when the vector is long enough and splits masks otherwise', () => {
    expect(splitUnmask(1 << 20, 100, 2, 1 << 14).map((c) => [c.from, c.to, c.termFrom, c.termTo])).toEqual([[0, 1 << 19, 0, 100], [1 << 19, 1 << 20, 0, 100]]);
    expect(splitUnmask(20_000, 100, 2, 1 << 14).map((c) => [c.from, c.to, c.termFrom, c.termTo, c.partial])).toEqual([[0, 20_000, 0, 50, false], [0, 20_000, 50, 100, true]]);
    for (const bad of [-1, 1.5, NaN]) expect(() => splitUnmask(bad, 1, 2, 1)).toThrow(RangeError);
    expect(() => splitUnmask(10, 1, 0, 1)).toThrow(RangeError);
  });
});
