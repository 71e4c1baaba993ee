// Group sums: the int32 ring-unit form round-trips exactly and refuses what no decoded ring sum
// is; the leader's total is the exact integer sum whatever the grouping (so three instances give
// the mean one coordinator gives); the summary adds counts and takes the slowest group's stages.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RingParams } from '@fedtune/shared';
import { combineGroups, decodeGroupSum, encodeGroupSum, participantsOfGroups, summariseGroups, unitsToInt32, type GroupResult } from './group-sums.js';

const ring: RingParams = { bits: 32, scale: 2 ** 20, maxSummands: 100, clientBound: 2 ** 24 };
const detail = (over: Partial<GroupResult['detail']> = {}): GroupResult['detail'] => ({ reason: null, droppedDetail: [], participants: [], stageMs: {}, degree: 4, threshold: 3, uploadBytesPerClient: 100, durationMs: 5, ...over });
const group = (instance: string, sum: number[] | null, survivors: number, over: Partial<GroupResult> = {}): GroupResult => ({
  round: 1,
  instance,
  status: sum === null ? 'aborted' : 'ok',
  selected: survivors,
  survivors,
  sum: sum === null ? null : Int32Array.from(sum),
  detail: detail(),
  ...over,
});

describe('group sums', () => {
  it('property: encode then decode gives the same int32s', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 300 }), (xs) => {
        const v = Int32Array.from(xs);
        expect(decodeGroupSum(encodeGroupSum(v), v.length)).toEqual(v);
      }),
    );
  });

  it('hostile values: not integers, past 32 bits, and bytes of the wrong length are refused', () => {
    for (const bad of [0.5, NaN, Infinity, 2 ** 31, -(2 ** 31) - 1]) expect(() => unitsToInt32(Float64Array.from([1, bad]))).toThrow(expect.objectContaining({ code: 'FT_ERR_BOUND' }));
    expect(() => decodeGroupSum(new Uint8Array(7), 2)).toThrow(expect.objectContaining({ code: 'FT_ERR_STORE' }));
    expect(() => decodeGroupSum(new Uint8Array(12), 2)).toThrow(expect.objectContaining({ code: 'FT_ERR_STORE' }));
    expect(() => combineGroups([group('a', [1], 1)], ring, 2)).toThrow(expect.objectContaining({ code: 'FT_ERR_STORE' }));
  });

  it('property: the total is the exact sum of every input whatever the grouping, and the mean is over every survivor', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 5 }), (inputs, parts) => {
        const groups: GroupResult[] = [];
        for (let g = 0; g < parts; g++) {
          const mine = inputs.filter((_, i) => i % parts === g);
          if (mine.length === 0) continue;
          groups.push(group(`i${g}`, [0, 1, 2].map((j) => mine.reduce((s, x) => s + x[j]!, 0)), mine.length));
        }
        const agg = combineGroups(groups, ring, 3);
        const exact = [0, 1, 2].map((j) => inputs.reduce((s, x) => s + x[j]!, 0));
        expect([...agg.grid!.sum]).toEqual(exact);
        expect(agg.count).toBe(inputs.length);
        expect([...agg.meanDelta]).toEqual(exact.map((v) => Math.fround(v / ring.scale / inputs.length)));
        expect(agg.grid!.granularity).toBe(1 / ring.scale);
      }),
    );
  });

  it('the summary: completed with any sum, counts added, the slowest stage, a node counted once', () => {
    const a = group('aaaaaaaa1', [1, 2], 5, { detail: detail({ stageMs: { MaskedInput: 30, unmaskMasks: 4 }, participants: [{ node: 'x', outcome: 'contributed', stage: null }], droppedDetail: [{ node: 'd', reason: 'disconnected', stage: 'secagg:ShareKeys' }] }) });
    const b = group('bbbbbbbb2', [3, 4], 7, { detail: detail({ stageMs: { MaskedInput: 50, unmaskMasks: 2 }, participants: [{ node: 'x', outcome: 'contributed', stage: null }, { node: 'y', outcome: 'contributed', stage: null }] }) });
    const c = group('cccccccc3', null, 0, { status: 'skipped', selected: 0, detail: detail({ reason: '3 nodes drawn < 10' }) });
    const s = summariseGroups(1, [a, b, c], ring, 99, 'off');
    expect(s).toMatchObject({ round: 1, status: 'completed', abortReason: null, selected: 12, survivors: 12, dropped: 1, durationMs: 99, evalSkipped: 'off' });
    expect(s.secagg!.stageMs).toEqual({ MaskedInput: 50, unmaskMasks: 4 });
    expect(s.groups!.map((g) => [g.status, g.unmaskMs])).toEqual([['ok', 4], ['ok', 2], ['skipped', null]]);
    expect(participantsOfGroups([a, b]).map((p) => p.node)).toEqual(['x', 'y']);
    const none = summariseGroups(2, [c], ring, 1, 'off');
    expect(none.status).toBe('aborted');
    expect(none.abortReason).toContain('cccccccc: 3 nodes drawn < 10');
    expect(summariseGroups(3, [], ring, 1, 'off').abortReason).toContain('no instance reported a group');
  });
});
