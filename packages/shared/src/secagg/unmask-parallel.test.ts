// Chunk-parallel mask removal gives the same bytes as the single-threaded unmaskRange.
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seededRandom } from '../crypto/random.js';
import { deriveMaskKey } from './prg.js';
import { type UnmaskPlan, unmaskChunk, unmaskRange } from './unmask.js';
import { unmaskParallel } from './unmask-parallel.js';

describe('unmaskParallel', () => {
  const rng = seededRandom(crypto, 'parallel');
  const m = 10_000;
  const plan: UnmaskPlan = {
    bits: 32, vectorLength: m, chunkElements: 1024, survivors: [],
    terms: Array.from({ length: 5 }, (_, i) => ({ key: deriveMaskKey(crypto, rng.bytes(32), { round: 1, a: `n${i}` }), sign: i % 2 ? 1 : -1 })),
  };
  const input = new Uint32Array(rng.bytes(4 * m).buffer);
  const expected = unmaskRange(crypto, plan, Uint32Array.from(input), 0);

  it('matches unmaskRange and unmaskChunk, on a plain and on a shared buffer', async () => {
    const byChunk = Uint32Array.from(input);
    for (let c = 0; c < Math.ceil(m / 1024); c++) unmaskChunk(crypto, plan, byChunk, c);
    expect(Buffer.from(byChunk.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    const plain = await unmaskParallel(plan, Uint32Array.from(input), 2);
    expect(Buffer.from(plain.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    const shared = new Uint32Array(new SharedArrayBuffer(4 * m));
    shared.set(input);
    await unmaskParallel(plan, shared, 3);
    expect(Buffer.from(new Uint8Array(shared.buffer)).equals(Buffer.from(expected.buffer))).toBe(true);
  });
  it('refuses bad arguments', async () => {
    await expect(unmaskParallel(plan, new Uint32Array(5), 2)).rejects.toThrow(RangeError);
    for (const bad of [NaN, 0, 1.5, -1, 2 ** 53]) await expect(unmaskParallel(plan, new Uint32Array(m), bad)).rejects.toThrow(RangeError);
  });
});
