import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { advance, closeCollection, collectionDone, newRound, onDropped, onReported, pending } from './round-state.js';
import { sampleWithoutReplacement, selectCohort } from './selection.js';
import { UpdateAssembler } from './update-assembler.js';

const collecting = (nodes: string[], target = nodes.length, min = 1) => advance(newRound(1, nodes, target, min), 'collect');

describe('round state machine', () => {
  it('closes early when the target is met and drops the rest as surplus', () => {
    let s = collecting(['a', 'b', 'c'], 2);
    s = onReported(s, 'a');
    expect(collectionDone(s)).toBe(false);
    s = onReported(s, 'b');
    expect(collectionDone(s)).toBe(true);
    s = closeCollection(s, false);
    expect(s.stage).toBe('aggregate');
    expect(s.dropped.get('c')).toEqual({ reason: 'surplus', stage: 'collect' });
  });

  it('drops stragglers at the deadline and aborts below the minimum', () => {
    let s = collecting(['a', 'b', 'c'], 3, 2);
    s = onReported(s, 'a');
    s = closeCollection(s, true);
    expect(s.stage).toBe('aborted');
    expect(s.abortReason).toBe('1 results < minimum 2');
    expect([...s.dropped.values()].map((d) => d.reason)).toEqual(['deadline', 'deadline']);
  });

  it('ignores reports from nodes not selected, already out, or outside collect', () => {
    let s = collecting(['a', 'b']);
    s = onDropped(s, 'a', 'disconnected');
    expect(onReported(s, 'a')).toBe(s);
    expect(onReported(s, 'zz')).toBe(s);
    expect(onReported(advance(s, 'aggregate'), 'b').reported.size).toBe(0);
    expect(pending(s)).toEqual(['b']);
  });

  it('property: every selected node ends reported xor dropped after close', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(7), fc.boolean())), fc.boolean(), (events, atDeadline) => {
        const nodes = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'];
        let s = collecting(nodes, 8, 1);
        for (const [i, ok] of events) s = ok ? onReported(s, nodes[i]!) : onDropped(s, nodes[i]!, 'failed');
        s = closeCollection(s, atDeadline);
        for (const n of nodes) expect(s.reported.has(n) !== s.dropped.has(n)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('cohort selection', () => {
  const random = () => seededRandom(nodeCryptoProvider, 'sel');
  it('uniform K with over-selection asks ceil(K(1+o)) distinct nodes', () => {
    const nodes = Array.from({ length: 20 }, (_, i) => `n${i}`);
    const s = selectCohort(nodes, { kind: 'uniform', clientsPerRound: 5, overSelection: 0.3 }, random());
    expect(s.selected).toHaveLength(7);
    expect(new Set(s.selected).size).toBe(7);
    expect(s.target).toBe(5);
  });

  it('Poisson sampling selects each node with probability q', () => {
    const nodes = Array.from({ length: 4000 }, (_, i) => `n${i}`);
    const s = selectCohort(nodes, { kind: 'poisson', sampleRate: 0.25 }, random());
    // Binomial(4000, 0.25): mean 1000, sd ~27.4; 5 sd bounds.
    expect(Math.abs(s.selected.length - 1000)).toBeLessThan(137);
  });

  it('sampling without replacement is uniform (chi-square over first picks)', () => {
    const r = random();
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 5000; i++) counts[Number(sampleWithoutReplacement(['0', '1', '2', '3', '4'], 2, r)[0])]++;
    const chi2 = counts.reduce((s, c) => s + (c - 1000) ** 2 / 1000, 0);
    expect(chi2).toBeLessThan(18.47); // chi-square, 4 dof, p = 0.001
  });

  it('rejects bad rules', () => {
    expect(() => selectCohort(['a'], { kind: 'poisson', sampleRate: 0 }, random())).toThrow(RangeError);
    expect(() => selectCohort(['a'], { kind: 'uniform', clientsPerRound: 1.5, overSelection: 0 }, random())).toThrow(RangeError);
    expect(() => selectCohort(['a'], { kind: 'uniform', clientsPerRound: 1, overSelection: NaN }, random())).toThrow(RangeError);
  });
});

describe('update assembly', () => {
  const code = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      return (e as { code: string }).code;
    }
    return 'none';
  };
  it('takes chunks in order with the lengths the layout implies', () => {
    const a = new UpdateAssembler(5, 2);
    a.add(0, 3, Float32Array.from([1, 2]), 10);
    expect(code(() => a.add(2, 3, Float32Array.from([5]), 10))).toBe('FT_ERR_STAGE');
    expect(code(() => a.add(1, 3, Float32Array.from([3]), 10))).toBe('FT_ERR_SHAPE');
    expect(code(() => a.add(1, 4, Float32Array.from([3, 4]), 10))).toBe('FT_ERR_SHAPE');
    expect(code(() => a.result())).toBe('FT_ERR_SHAPE');
    a.add(1, 3, Float32Array.from([3, 4]), 10);
    expect(code(() => a.add(2, 3, Float32Array.from([NaN]), 10))).toBe('FT_ERR_NON_FINITE');
    a.add(2, 3, Float32Array.from([5]), 10);
    expect(Array.from(a.result())).toEqual([1, 2, 3, 4, 5]);
    expect(a.bytesReceived).toBe(30);
  });
});
