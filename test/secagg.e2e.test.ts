// Secure aggregation end to end over real sockets: a dropout injected at every SecAgg stage, the
// decoded mean equal to the survivors' mean within the ring's quantisation, a below-threshold abort,
// and a node with a forged identity refused in active mode.
import { describe, expect, it } from 'vitest';
import { FedtuneError, ed25519KeyPairFromSeed, nodeCryptoProvider, seededRandom, type Weights } from '@fedtune/shared';
import type { DropPoint } from '@fedtune/client';
import { startClients, startCoordinator } from './helpers/fleet.js';
import { ToyTrainer } from './helpers/toy-trainer.js';

const DIM = 16;
const target = (k: number) => Float32Array.from({ length: DIM }, (_, i) => ((k * 7 + i * 3) % 11) / 10 - 0.5);
const zeros: Weights = { tensors: [{ name: 'w', shape: [DIM] }], data: new Float32Array(DIM) };
const idOf = (i: number) => i.toString(16).padStart(32, '0');
const identity = (i: number) => ed25519KeyPairFromSeed(seededRandom(nodeCryptoProvider, `id-${i}`).bytes(32));

function dropAt(point: DropPoint | undefined) {
  return point === undefined ? undefined : { shouldDrop: (_round: number, p: DropPoint) => p === point };
}

describe('secure aggregation over real sockets', () => {
  const STAGES: DropPoint[] = ['secagg:AdvertiseKeys', 'secagg:ShareKeys', 'secagg:MaskedInput', 'secagg:Unmask'];
  it.each([
    // chooseGraphParams(n, dropout, corruption 0.05): Harary graphs of degree < n - 1. By default
    // t > k/2, so a coordinator that lies about dropouts never rebuilds a node's input.
    { n: 80, dropoutRate: 0.1, trust: false, k: 76, t: 51, dropped: [0, 7, 13, 21, 33, 41, 55, 68] },
    // Opted in on both sides (the coordinator is trusted to report dropouts truly): t <= k/2.
    { n: 40, dropoutRate: 0.1, trust: true, k: 32, t: 17, dropped: [0, 7, 13, 21, 33] },
    // 30% dropout, honest-but-curious: t = 24 <= k/2, the rule that keeps the graph sparse.
    { n: 80, dropoutRate: 0.3, trust: true, k: 66, t: 24, dropped: Array.from({ length: 80 }, (_, i) => i).filter((i) => [1, 4, 7].includes(i % 10)) },
  ])('a sparse SecAgg+ graph ($n nodes, degree $k, t $t, dropout reports trusted: $trust) survives dropouts at every stage', async ({ n, dropoutRate, trust, k, t, dropped }) => {
    const { coordinator, url } = await startCoordinator(
      {
        rounds: 1,
        minNodes: n,
        minResults: Math.floor(n / 2),
        selection: { kind: 'uniform', clientsPerRound: n, overSelection: 0 },
        evaluateEvery: 0,
        secagg: { l2Clip: 100, corruptionRate: 0.05, dropoutRate, trustCoordinatorDropouts: trust },
      },
      zeros,
    );
    const drops = new Map<number, DropPoint>(dropped.map((i, x) => [i, STAGES[x % STAGES.length]!]));
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        startClients(url, [new ToyTrainer({ target: target(i) })], {
          nodeId: idOf(i),
          secaggTrustCoordinatorDropouts: trust,
          random: seededRandom(nodeCryptoProvider, `sparse-${i}`),
          ...(drops.has(i) ? { faults: dropAt(drops.get(i))! } : {}),
        }),
      ),
    );
    const [s] = await coordinator.run();
    expect(s!.status).toBe('completed');
    expect(s!.secagg).toMatchObject({ degree: k, threshold: t });
    expect(s!.droppedDetail.map((d) => d.stage).sort()).toEqual([...drops.values()].sort());
    // Nodes that dropped during Unmask had sent their masked input: it is in the sum.
    const inSum = Array.from({ length: n }, (_, i) => i).filter((i) => !drops.has(i) || drops.get(i) === 'secagg:Unmask');
    expect(s!.survivors).toBe(inSum.length);
    const global = coordinator.store.current!.weights.data;
    for (let j = 0; j < DIM; j++) {
      const mean = inSum.reduce((acc, i) => acc + target(i)[j]!, 0) / inSum.length;
      expect(Math.abs(global[j]! - mean)).toBeLessThan(1 / s!.secagg!.scale + 1e-6);
    }
  });

  it('survives a dropout at every stage (active mode) and decodes the survivors mean', async () => {
    const n = 12;
    const identityKeys = new Map(Array.from({ length: n }, (_, i) => [idOf(i), identity(i).publicKey]));
    const { coordinator, url } = await startCoordinator(
      {
        rounds: 1,
        minNodes: n,
        minResults: 6,
        selection: { kind: 'uniform', clientsPerRound: n, overSelection: 0 },
        evaluateEvery: 0,
        secagg: {
          l2Clip: 100,
          corruptionRate: 0,
          dropoutRate: 0.3,
          activeMode: true,
          identityKeys: Object.fromEntries([...identityKeys].map(([id, pk]) => [id, Buffer.from(pk).toString('hex')])),
        },
      },
      zeros,
    );
    // Node i drops at drops[i]: before keys, after keys, after shares, after its masked input
    // (ConsistencyCheck), during unmask; the rest are honest.
    const drops: (DropPoint | undefined)[] = ['secagg:AdvertiseKeys', 'secagg:ShareKeys', 'secagg:MaskedInput', 'secagg:ConsistencyCheck', 'secagg:Unmask'];
    const clients = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        startClients(url, [new ToyTrainer({ target: target(i) })], {
          nodeId: idOf(i),
          identity: identity(i),
          identityKeys,
          random: seededRandom(nodeCryptoProvider, `node-${i}`),
          ...(drops[i] === undefined ? {} : { faults: dropAt(drops[i])! }),
        }),
      ),
    );
    expect(clients).toHaveLength(n);
    const [s] = await coordinator.run();
    expect(s!.status).toBe('completed');
    expect(s!.droppedDetail.map((d) => d.stage).sort()).toEqual(drops.map((d) => d!).sort());
    // Inputs in the sum: everyone who completed MaskedInput, so the ConsistencyCheck and Unmask
    // droppers count; the first three do not.
    const inSum = Array.from({ length: n }, (_, i) => i).filter((i) => i >= 3);
    expect(s!.survivors).toBe(inSum.length);
    const scale = s!.secagg!.scale;
    const global = coordinator.store.current!.weights.data;
    for (let j = 0; j < DIM; j++) {
      const mean = inSum.reduce((acc, i) => acc + target(i)[j]!, 0) / inSum.length;
      // Randomized rounding moves each input by < 1/scale per coordinate; float32 storage adds ~1e-7.
      expect(Math.abs(global[j]! - mean)).toBeLessThan(1 / scale + 1e-6);
    }
    expect(s!.secagg!.stageMs).toHaveProperty('ConsistencyCheck');
  });

  it('aborts below threshold and keeps the model', async () => {
    const { coordinator, url } = await startCoordinator(
      { rounds: 1, minNodes: 4, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 4, overSelection: 0 }, evaluateEvery: 0, secagg: { l2Clip: 10 } },
      zeros,
    );
    const before = coordinator.store.current!.version;
    await Promise.all([0, 1, 2, 3].map((i) => startClients(url, [new ToyTrainer({ target: target(i) })], i === 0 ? {} : { faults: dropAt('secagg:ShareKeys')! })));
    const [s] = await coordinator.run();
    expect(s!.status).toBe('aborted');
    expect(s!.abortReason).toMatch(/secure aggregation aborted at ShareKeys/);
    expect(coordinator.store.current!.version).toBe(before);
  });

  it('aborts (never weakens) when the cohort is too small for the assumed colluders', async () => {
    const { coordinator, url } = await startCoordinator(
      { rounds: 1, minNodes: 2, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 }, evaluateEvery: 0, secagg: { l2Clip: 10, corruptionRate: 0.05 } },
      zeros,
    );
    await startClients(url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(2) })]);
    const [s] = await coordinator.run();
    expect(s!.status).toBe('aborted');
    expect(s!.abortReason).toMatch(/secure aggregation aborted at AdvertiseKeys: .*colluder/);
  });

  it('refuses a node that claims an enrolled id without its key: at hello, before any key is advertised', async () => {
    const n = 6;
    const identityKeys = new Map(Array.from({ length: n }, (_, i) => [idOf(i), identity(i).publicKey]));
    const { coordinator, url } = await startCoordinator(
      {
        rounds: 1,
        minNodes: n - 1,
        minResults: 3,
        selection: { kind: 'uniform', clientsPerRound: n, overSelection: 0 },
        evaluateEvery: 0,
        secagg: { l2Clip: 100, corruptionRate: 0, activeMode: true, identityKeys: Object.fromEntries([...identityKeys].map(([id, pk]) => [id, Buffer.from(pk).toString('hex')])) },
      },
      zeros,
    );
    // Node 5 claims id 5 but signs the hello challenge with another key: a forger.
    const forged = await startClients(url, [new ToyTrainer({ target: target(5) })], { nodeId: idOf(5), identity: identity(99), identityKeys }).catch((e: FedtuneError) => e);
    expect(forged).toBeInstanceOf(FedtuneError);
    expect((forged as FedtuneError).code).toBe('FT_ERR_AUTH');
    await Promise.all(Array.from({ length: n - 1 }, (_, i) => startClients(url, [new ToyTrainer({ target: target(i) })], { nodeId: idOf(i), identity: identity(i), identityKeys })));
    const [s] = await coordinator.run();
    expect(s!.status).toBe('completed');
    expect(s!.survivors).toBe(5);
    expect(s!.droppedDetail).toEqual([]);
  });
});
