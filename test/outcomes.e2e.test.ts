// Truthful outcomes (issue 11, item 5): a node whose model differs from the federation's is told
// the cause at hello (or when the initial model arrives) and ends with it; training that ends
// short of its configured rounds says so to the coordinator's caller and to every node.
import { describe, expect, it } from 'vitest';
import type { Weights } from '@fedtune/shared';
import type { FitOutcome } from '@fedtune/client';
import { startClients, startCoordinator } from './helpers/fleet.js';
import { ToyTrainer } from './helpers/toy-trainer.js';

const zeros = (n: number): Weights => ({ tensors: [{ name: 'w', shape: [n] }], data: new Float32Array(n) });
const plain = (rounds: number, n: number) => ({ rounds, minNodes: n, minResults: n, selection: { kind: 'uniform' as const, clientsPerRound: n, overSelection: 0 }, evaluateEvery: 0 });

class FailingTrainer extends ToyTrainer {
  override async fit(): Promise<FitOutcome> {
    throw new Error('no GPU memory left');
  }
}

describe('truthful outcomes', () => {
  it('a node with another layout is refused at hello, naming the tensor and the likely cause', async () => {
    const { url } = await startCoordinator(plain(1, 1), zeros(6));
    const err = await startClients(url, [new ToyTrainer({ target: new Float32Array(7) })]).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toMatchObject({ code: 'FT_ERR_SHAPE', message: expect.stringContaining('tensor "w" is [7] in this node but [6] in the global model') });
    expect(err!.message).toContain('--classes');
  });

  it('nodes that joined before the initial model are refused when it arrives with another layout; the node that matches trains', async () => {
    const { coordinator, url } = await startCoordinator({ ...plain(1, 1), minNodes: 2 });
    const [a, b] = await startClients(url, [new ToyTrainer({ target: new Float32Array(6).fill(0.5) }), new ToyTrainer({ target: new Float32Array(4).fill(0.5) })]);
    const ends = Promise.race([a!.ended, b!.ended]);
    const running = coordinator.run();
    const refused = await ends;
    expect(refused).toMatchObject({ ok: false, error: { code: 'FT_ERR_SHAPE' } });
    expect(refused.ok === false && refused.reason).toMatch(/tensor "w" is \[\d\] in this node but \[\d\] in the global model/);
    await coordinator.close();
    await running;
  });

  it('training that ends short of its rounds is incomplete for the coordinator and for every node', async () => {
    const { coordinator, url } = await startCoordinator(plain(2, 2), zeros(3));
    const clients = await startClients(url, [new ToyTrainer({ target: new Float32Array(3) }), new FailingTrainer({ target: new Float32Array(3) })]);
    const summaries = await coordinator.run();
    expect(summaries.map((s) => s.status)).toEqual(['aborted', 'aborted']);
    expect(coordinator.outcome).toMatchObject({ status: 'incomplete', completedRounds: 0, rounds: 2, reason: 'ran 2 rounds; 0 of 2 rounds completed' });
    for (const c of clients) {
      const end = await c.ended;
      expect(end).toMatchObject({ ok: false, finished: { status: 'incomplete', completedRounds: 0, rounds: 2 } });
    }
  });
});
