// Whole-round tests of the secure-aggregation protocol in memory (Bonawitz et al. 2017 §4; Bell et
// al. 2020): the unmasked sum must equal the plain ring sum exactly, whatever drops out and when.
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seededRandom } from '../crypto/random.js';
import { type DropPoint, simulateSecAggRound } from './simulate.js';
import { ed25519KeyPairFromSeed } from './keys.js';

function makeInputs(n: number, m: number, bits: number, seed: string): Map<string, Uint32Array> {
  const rng = seededRandom(crypto, seed);
  const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  const out = new Map<string, Uint32Array>();
  for (let i = 0; i < n; i++) {
    const v = new Uint32Array(m);
    for (let j = 0; j < m; j++) v[j] = (rng.uint32() & mask) >>> 0;
    out.set(`node-${String(i).padStart(3, '0')}`, v);
  }
  return out;
}

function plainSum(inputs: Map<string, Uint32Array>, members: readonly string[], bits: number): Uint32Array {
  const m = inputs.values().next().value!.length;
  const s = new Uint32Array(m);
  for (const id of members) {
    const v = inputs.get(id)!;
    for (let j = 0; j < m; j++) s[j] = s[j]! + v[j]!;
  }
  if (bits < 32) for (let j = 0; j < m; j++) s[j] = s[j]! & (2 ** bits - 1);
  return s;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `node-${String(i).padStart(3, '0')}`);

describe('secure aggregation round', () => {
  const cases: Array<{ name: string; n: number; k: number; t: number; bits: number; active?: boolean; trust?: boolean; drops: Array<[number, DropPoint]> }> = [
    { name: 'all-to-all, no dropout', n: 6, k: 5, t: 3, bits: 32, drops: [] },
    { name: 'all-to-all, dropouts at every stage', n: 10, k: 9, t: 5, bits: 32, drops: [[0, 'AdvertiseKeys'], [1, 'ShareKeys'], [2, 'MaskedInput'], [3, 'Unmask']] },
    { name: 'Harary k=6, dropouts at every stage, b=20', n: 16, k: 6, t: 4, bits: 20, drops: [[0, 'AdvertiseKeys'], [5, 'ShareKeys'], [9, 'MaskedInput'], [13, 'Unmask']] },
    { name: 'Harary k=8, three pairwise-mask dropouts', n: 20, k: 8, t: 5, bits: 32, drops: [[2, 'MaskedInput'], [7, 'MaskedInput'], [15, 'MaskedInput'], [4, 'Unmask']] },
    {
      name: 'Harary k=12, t=3 <= k/2 (honest-but-curious threshold, opted in), 30% dropped across stages',
      n: 30,
      k: 12,
      t: 3,
      bits: 32,
      trust: true,
      drops: [[0, 'AdvertiseKeys'], [3, 'ShareKeys'], [6, 'ShareKeys'], [9, 'MaskedInput'], [12, 'MaskedInput'], [15, 'MaskedInput'], [18, 'MaskedInput'], [21, 'Unmask'], [24, 'Unmask']],
    },
    { name: 'active mode, dropouts including ConsistencyCheck', n: 10, k: 9, t: 5, bits: 32, active: true, drops: [[0, 'ShareKeys'], [1, 'MaskedInput'], [2, 'ConsistencyCheck'], [3, 'Unmask']] },
  ];
  for (const c of cases) {
    it(`sum equals the plain ring sum: ${c.name}`, () => {
      const m = 1000;
      const inputs = makeInputs(c.n, m, c.bits, c.name);
      const identities = c.active ? new Map(ids(c.n).map((id) => [id, ed25519KeyPairFromSeed(crypto.sha256(new TextEncoder().encode(id)))])) : undefined;
      const res = simulateSecAggRound({
        round: 7, inputs, threshold: c.t, k: c.k, bits: c.bits, chunkElements: 256, activeMode: c.active, identities, trustDropoutReports: c.trust,
        drops: new Map(c.drops.map(([i, p]) => [ids(c.n)[i]!, p])), crypto, rng: seededRandom(crypto, `rng/${c.name}`),
      });
      expect(res.ok).toBe(true);
      if (!res.ok) return;
      const dropped = new Set(c.drops.filter(([, p]) => p === 'AdvertiseKeys' || p === 'ShareKeys' || p === 'MaskedInput').map(([i]) => ids(c.n)[i]!));
      const expected = ids(c.n).filter((id) => !dropped.has(id));
      expect([...res.survivors]).toEqual(expected);
      // Compare the views: the sum lives in the accumulator's WebAssembly memory beside its scratch space.
      expect(Buffer.from(res.sum.buffer, res.sum.byteOffset, res.sum.byteLength).equals(Buffer.from(plainSum(inputs, expected, c.bits).buffer))).toBe(true);
    });
  }

  it('aborts when too few nodes remain (below threshold)', () => {
    const n = 8;
    const inputs = makeInputs(n, 64, 32, 'abort');
    const drops = new Map<string, DropPoint>([[ids(n)[0]!, 'MaskedInput'], [ids(n)[1]!, 'MaskedInput'], [ids(n)[2]!, 'MaskedInput'], [ids(n)[3]!, 'MaskedInput']]);
    const res = simulateSecAggRound({ round: 1, inputs, threshold: 5, k: 7, bits: 32, chunkElements: 32, drops, crypto, rng: seededRandom(crypto, 'a') });
    expect(res.ok).toBe(false);
  });

  it('aborts when too few survivors answer Unmask', () => {
    const n = 8;
    const inputs = makeInputs(n, 64, 32, 'abort2');
    const drops = new Map<string, DropPoint>(ids(4).map((id) => [id, 'Unmask'] as const));
    const res = simulateSecAggRound({ round: 1, inputs, threshold: 5, k: 7, bits: 32, chunkElements: 32, drops, crypto, rng: seededRandom(crypto, 'b') });
    expect(res.ok).toBe(false);
  });

  it('aborts when a node sends only part of its masked vector', () => {
    const inputs = makeInputs(6, 100, 32, 'partial');
    const res = simulateSecAggRound({ round: 1, inputs, threshold: 3, k: 5, bits: 32, chunkElements: 32, drops: new Map([['node-001', 'MaskedInputPartial']]), crypto, rng: seededRandom(crypto, 'c') });
    expect(res).toMatchObject({ ok: false, stage: 'MaskedInput' });
  });

  it('aborts when a Harary node is left with fewer than t live neighbours', () => {
    const n = 16;
    const inputs = makeInputs(n, 32, 32, 'harary-abort');
    // Every node has k = 4 neighbours, t = 3: dropping 8 of 16 leaves someone short.
    const drops = new Map<string, DropPoint>(ids(8).map((id) => [id, 'ShareKeys'] as const));
    const res = simulateSecAggRound({ round: 1, inputs, threshold: 3, k: 4, bits: 32, chunkElements: 32, drops, crypto, rng: seededRandom(crypto, 'd') });
    expect(res.ok).toBe(false);
  });
});
