// End to end: a real coordinator on port 0 and real clients over socket.io. Convergence, dropouts,
// stragglers, bad tokens, hostile updates and restarts, each awaited through round events.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHUNK_ELEMENTS, PROTOCOL_VERSION, chunkCount, encodeMessage, type Weights } from '@fedtune/shared';
import { ADMIN_TOKEN, TOKEN, startClients, startCoordinator } from './helpers/fleet.js';
import { RawNode } from './helpers/raw-node.js';
import { ToyTrainer } from './helpers/toy-trainer.js';

const DIM = 8;
const target = (k: number) => Float32Array.from({ length: DIM }, (_, i) => k + i / 10);
const zeros = (n = DIM): Weights => ({ tensors: [{ name: 'w', shape: [n] }], data: new Float32Array(n) });

describe('federated rounds over real sockets', () => {
  it('five clients converge to the example-weighted mean of their targets (FedAvg)', async () => {
    const { coordinator, url } = await startCoordinator({ rounds: 3, minNodes: 5, minResults: 5, selection: { kind: 'uniform', clientsPerRound: 5, overSelection: 0 } });
    const trainers = [0, 1, 2, 3, 4].map((k) => new ToyTrainer({ target: target(k), numExamples: k + 1 }));
    await startClients(url, trainers);
    const summaries = await coordinator.run();
    expect(summaries.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    // rate 1: every local model lands on its target, so the new global is sum n_k t_k / sum n_k.
    const total = 1 + 2 + 3 + 4 + 5;
    const expected = target(0).map((_, i) => [0, 1, 2, 3, 4].reduce((s, k) => s + (k + 1) * target(k)[i]!, 0) / total);
    const global = coordinator.store.current!.weights.data;
    for (let i = 0; i < DIM; i++) expect(global[i]).toBeCloseTo(expected[i]!, 5); // float32 sums of 5 terms
    expect(summaries[2]!.survivors).toBe(5);
    expect(summaries[2]!.uploadBytesPerClient).toBeGreaterThan(DIM * 4);
    expect(summaries[2]!.evalLoss).not.toBeNull();
    // The service's pages reflect the run (behind the admin token).
    const auth = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
    const page = await (await fetch(`${url}/`, auth)).text();
    expect(page).toContain('round</span> 3/3');
    const status = (await (await fetch(`${url}/api/status`, auth)).json()) as { nodes: number; rounds: unknown[] };
    expect(status.rounds).toHaveLength(3);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/fedtune_rounds_total\{status="completed"\} 3/);
  });

  it('ships the initial model from a node, then fetches weights only when stale', async () => {
    const { coordinator, url } = await startCoordinator({ rounds: 2, minNodes: 2, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 }, evaluateEvery: 0 });
    const clients = await startClients(url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(2) })]);
    const fetched: boolean[] = [];
    clients[0]!.on('model', (m) => fetched.push(m.fetched));
    await coordinator.run();
    // Round 1 and 2 each need the new model once; with evaluation off there is no second use.
    expect(fetched).toEqual([true, true]);
  });

  it('a client that vanishes mid-upload does not stall the round', async () => {
    const { coordinator, url } = await startCoordinator({ rounds: 1, minNodes: 4, minResults: 3, selection: { kind: 'uniform', clientsPerRound: 4, overSelection: 0 }, evaluateEvery: 0 }, zeros());
    const trainers = [0, 1, 2, 3].map((k) => new ToyTrainer({ target: target(k) }));
    const clients = await startClients(url, trainers.slice(0, 3));
    const [dropper] = await startClients(url, [trainers[3]!], { faults: { shouldDrop: (_r, point) => point === 'mid-upload' } });
    const dropped = new Promise((r) => dropper!.once('dropped', r));
    const [summary] = await coordinator.run();
    await dropped;
    expect(summary!.status).toBe('completed');
    expect(summary!.survivors).toBe(3);
    expect(summary!.droppedDetail).toEqual([expect.objectContaining({ reason: 'disconnected', stage: 'collect' })]);
    expect(clients.length).toBe(3);
  });

  it('a straggler past the deadline is dropped, never waited on forever', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const { coordinator, url } = await startCoordinator(
      { rounds: 1, minNodes: 3, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 3, overSelection: 0 }, evaluateEvery: 0, fitDeadlineMs: 2000 },
      zeros(),
    );
    await startClients(url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(2) }), new ToyTrainer({ target: target(3), beforeReturn: () => held })]);
    const [summary] = await coordinator.run();
    release();
    expect(summary!.status).toBe('completed');
    expect(summary!.survivors).toBe(2);
    expect(summary!.droppedDetail).toEqual([expect.objectContaining({ reason: 'deadline' })]);
  });

  it('over-selection closes the round at K results and aborts below minResults', async () => {
    const { coordinator, url } = await startCoordinator({ rounds: 1, minNodes: 4, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 1 }, evaluateEvery: 0 }, zeros());
    await startClients(url, [1, 2, 3, 4].map((k) => new ToyTrainer({ target: target(k) })));
    const [summary] = await coordinator.run();
    expect(summary!.selected).toBe(4);
    expect(summary!.survivors).toBe(2);

    const second = await startCoordinator({ rounds: 1, minNodes: 2, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 }, evaluateEvery: 0, fitDeadlineMs: 2000 }, zeros());
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await startClients(second.url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(2), beforeReturn: () => held })]);
    const before = second.coordinator.store.current!.version;
    const [aborted] = await second.coordinator.run();
    release();
    expect(aborted!.status).toBe('aborted');
    expect(aborted!.abortReason).toMatch(/minimum 2/);
    expect(second.coordinator.store.current!.version).toBe(before);
  });

  it('refuses a bad token and a wrong protocol version with coded errors', async () => {
    const { url } = await startCoordinator({ rounds: 1 });
    const bad = new RawNode(url);
    const reply = await bad.hello('not-the-token-at-all');
    expect(reply).toMatchObject({ ok: false, error: { code: 'FT_ERR_AUTH' } });
    await bad.disconnected();

    const old = new RawNode(url);
    const v = await old.hello(TOKEN, PROTOCOL_VERSION + 1);
    expect(v).toMatchObject({ ok: false, error: { code: 'FT_ERR_VERSION' } });
    expect((v as { error: { message: string } }).error.message).toContain(`speaks protocol ${PROTOCOL_VERSION}`);

    const client = startClients(url, [new ToyTrainer({ target: target(0) })], { token: 'wrong-token-0123456789' });
    await expect(client).rejects.toMatchObject({ code: 'FT_ERR_AUTH' });
  });

  it('rejects malformed, oversized and unauthenticated frames without a stack, and survives', async () => {
    const { coordinator, url } = await startCoordinator({ rounds: 1, minNodes: 1, minResults: 1, selection: { kind: 'uniform', clientsPerRound: 1, overSelection: 0 } });
    const n = new RawNode(url);
    await n.connected();
    const early = await n.request('model:manifest', { version: '0'.repeat(64) });
    expect(early).toMatchObject({ ok: false, error: { code: 'FT_ERR_NOT_AUTHENTICATED' } });
    expect(await n.requestRaw('hello', 'not binary')).toMatchObject({ ok: false, error: { code: 'FT_ERR_MALFORMED' } });
    expect(await n.requestRaw('hello', new Uint8Array([0xc1, 0xff, 0x00]))).toMatchObject({ ok: false, error: { code: 'FT_ERR_MALFORMED' } });
    const wrongShape = encodeMessage('fedtune:error', { code: 'FT_ERR_AUTH', message: 'x' });
    const r = await n.requestRaw('hello', wrongShape);
    expect(r).toMatchObject({ ok: false, error: { code: 'FT_ERR_MALFORMED' } });
    expect(JSON.stringify(r)).not.toMatch(/at .*\.ts/);
    // Oversized: socket.io's own cap closes the connection before we decode anything.
    const big = new RawNode(url);
    await big.connected();
    big.socket.emit('hello', new Uint8Array(8 * 1024 * 1024));
    await big.disconnected();
    // The coordinator still serves honest nodes.
    await startClients(url, [new ToyTrainer({ target: target(3) })]);
    const [s] = await coordinator.run();
    expect(s!.status).toBe('completed');
  });

  it('rejects NaN, Infinity and wrong shapes; the round completes without them', async () => {
    const { coordinator, url } = await startCoordinator({ rounds: 1, minNodes: 5, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 5, overSelection: 0 }, evaluateEvery: 0 }, zeros());
    const honest = [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(3) })];
    await startClients(url, honest);
    // A patched client that uploads NaN (the SDK itself refuses to send non-finite values).
    const nanNode = new RawNode(url);
    const infNode = new RawNode(url);
    const shapeNode = new RawNode(url);
    const replies: unknown[] = [];
    const hostile = [nanNode, infNode, shapeNode].map(async (node, i) => {
      const nextFit = node.next('round:fit'); // listen first: the instruction may beat the hello ack
      await node.hello(TOKEN);
      const fit = await nextFit;
      expect(await node.request('fit:begin', { round: fit.round, numExamples: 10, metrics: {} })).toEqual({ ok: true });
      const data = new Float32Array(i === 2 ? DIM + 1 : DIM).fill(0.5);
      if (i === 0) data[3] = NaN;
      if (i === 1) data[5] = -Infinity;
      replies.push(await node.request('fit:chunk', { round: fit.round, index: 0, totalChunks: 1, data }));
    });
    const [summary] = await coordinator.run();
    await Promise.all(hostile);
    expect(replies).toEqual(
      expect.arrayContaining([
        { ok: false, error: expect.objectContaining({ code: 'FT_ERR_NON_FINITE' }) },
        { ok: false, error: expect.objectContaining({ code: 'FT_ERR_NON_FINITE' }) },
        { ok: false, error: expect.objectContaining({ code: 'FT_ERR_SHAPE' }) },
      ]),
    );
    expect(summary!.status).toBe('completed');
    expect(summary!.survivors).toBe(2);
    expect(summary!.droppedDetail.filter((d) => d.reason === 'rejected')).toHaveLength(3);
    const global = coordinator.store.current!.weights.data;
    for (let i = 0; i < DIM; i++) expect(global[i]).toBeCloseTo((target(1)[i]! + target(3)[i]!) / 2, 5);
  });

  it('a restarted coordinator resumes from its last completed round and model', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fedtune-state-'));
    const config = { rounds: 2, minNodes: 2, minResults: 2, selection: { kind: 'uniform' as const, clientsPerRound: 2, overSelection: 0 }, evaluateEvery: 0, dataDir };
    const first = await startCoordinator(config);
    await startClients(first.url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(2) })]);
    const done = await first.coordinator.run();
    const version = first.coordinator.store.current!.version;
    expect(done).toHaveLength(2);
    await first.coordinator.close();

    const second = await startCoordinator({ ...config, rounds: 3 });
    expect(second.coordinator.store.current!.version).toBe(version);
    await startClients(second.url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(2) })]);
    const resumed = await second.coordinator.run();
    expect(resumed.map((s) => s.round)).toEqual([3]);
  });

  it('moves a model larger than 64 MB in chunks, under the frame cap', async () => {
    const n = 17 * 1024 * 1024; // 68 MiB of float32
    const { coordinator, url } = await startCoordinator({ rounds: 1, minNodes: 1, minResults: 1, selection: { kind: 'uniform', clientsPerRound: 1, overSelection: 0 }, evaluateEvery: 0 }, zeros(n));
    const t = new Float32Array(n).fill(0.25);
    await startClients(url, [new ToyTrainer({ target: t })]);
    const [s] = await coordinator.run();
    expect(s!.status).toBe('completed');
    expect(coordinator.store.current!.weights.data[n - 1]).toBe(0.25);
    expect(s!.uploadBytesPerClient).toBeGreaterThan(n * 4);
    expect(s!.uploadBytesPerClient).toBeLessThan(n * 4 * 1.01 + chunkCount(n, CHUNK_ELEMENTS) * 64);
  });
});
