// Issue 15, item 7: central DP checks each clear update against the clip instead of trusting the
// node, and divides the noised sum by the fixed expected cohort qN (McMahan, Ramage, Talwar, Zhang
// 2018), never by the realised number of survivors.
import { describe, expect, it } from 'vitest';
import type { Weights } from '@fedtune/shared';
import { FixedStepTrainer } from './helpers/fixed-step-trainer.js';
import { TOKEN, startClients, startCoordinator } from './helpers/fleet.js';
import { RawNode } from './helpers/raw-node.js';

const D = 8;
const zeros = (): Weights => ({ tensors: [{ name: 'w', shape: [D] }], data: new Float32Array(D) });
// Noise small enough that the release shows its arithmetic (sd about 3e-6 of the clip per coordinate).
const dp = { mode: 'central' as const, clip: 1, noiseMultiplier: 1e-5, delta: 1e-5 };

describe('central DP: the clip is checked, the denominator is fixed (issue 15, item 7)', () => {
  it('a node that sends an update 100x over the clip is refused, and the released model does not move', async () => {
    // The attack: a hostile node claims it clipped (it even attests central DP with C = 1) and
    // uploads a delta of norm ~283. Before, the coordinator took it (the clip was asked of nodes,
    // never checked), the released mean moved by ~33 per coordinate, and anyone watching the model
    // learned exactly what that node sent. Now the chunk is refused with FT_ERR_BOUND and the
    // node dropped from the round. One round; the model must stay within 1e-3 of where it was.
    const { coordinator, url } = await startCoordinator(
      { rounds: 1, minNodes: 3, minResults: 1, selection: { kind: 'uniform', clientsPerRound: 3, overSelection: 0 }, evaluateEvery: 0, dp },
      zeros(),
    );
    await startClients(url, [0, 1].map(() => new FixedStepTrainer(D, () => new Float32Array(D))));
    const hostile = new RawNode(url);
    expect((await hostile.hello(TOKEN)).ok).toBe(true);
    const fit = hostile.next('round:fit');
    const done = coordinator.run();
    const { round } = await fit;
    const begin = await hostile.request('fit:begin', { round, numExamples: 0, metrics: {}, dp: { mode: 'central', l2Clip: 1 } });
    expect(begin.ok).toBe(true);
    const chunk = await hostile.request('fit:chunk', { round, index: 0, totalChunks: 1, data: new Float32Array(D).fill(100) });
    expect(chunk).toMatchObject({ ok: false, error: { code: 'FT_ERR_BOUND' } });
    const [summary] = await done;
    expect(summary!.status).toBe('completed');
    expect(summary!.droppedDetail).toEqual([expect.objectContaining({ reason: 'rejected' })]);
    for (const v of coordinator.store.current!.weights.data) expect(Math.abs(v)).toBeLessThan(1e-3);
  });

  it('the released mean divides by qN: when one of four nodes fails, the step is 3/4 of the shared update', async () => {
    // Four nodes take the same step u; in round 2 one fails. q = K/N = 4/4, so the denominator is
    // 4 in both rounds. Before, the mean divided by the survivors (3), so the step stayed u and the
    // release depended on who took part in a way the accountant never charged.
    const u = Float32Array.from({ length: D }, (_, i) => 0.05 + 0.01 * i);
    const nodes = [0, 1, 2, 3].map((k) =>
      new FixedStepTrainer(D, (fit) => {
        if (k === 3 && fit === 2) throw new Error('this node fails in round 2');
        return u;
      }),
    );
    const { coordinator, url } = await startCoordinator(
      { rounds: 2, minNodes: 4, minResults: 1, selection: { kind: 'uniform', clientsPerRound: 4, overSelection: 0 }, evaluateEvery: 0, dp },
      zeros(),
    );
    await startClients(url, nodes);
    const models: Float32Array[] = [];
    const summaries = await coordinator.run(() => models.push(coordinator.store.current!.weights.data.slice()));
    expect(summaries.map((s) => [s.status, s.survivors])).toEqual([['completed', 4], ['completed', 3]]);
    for (let i = 0; i < D; i++) {
      expect(models[0]![i]!).toBeCloseTo(u[i]!, 4);
      expect(models[1]![i]! - models[0]![i]!).toBeCloseTo(0.75 * u[i]!, 4);
    }
  });
});
