// Issue 15, item 4: under every DP mode, nothing un-noised about a node's data leaves it. The test
// is the eavesdropper on one node's socket: it records every frame the node sends during a run
// (socket.io's outgoing hook on the node's own socket), decodes each with the protocol's codec, and
// accepts only fixed protocol fields and the vector the mode allows: a masked one (distributed),
// a DP-SGD one (local-sgd), or, to the trusted coordinator of central mode, the clipped update.
//
// How it failed before: fit:begin carried the node's real example count, and with evaluation on
// (the default) the node answered evaluate:result with its un-noised loss, accuracy and count; the
// coordinator asked every node to evaluate in every mode. Budget: two rounds per mode, three nodes.
import { describe, expect, it } from 'vitest';
import { decodeMessage, nodeCryptoProvider, seededRandom, type EventName, type Weights } from '@fedtune/shared';
import { DpSgdOnDemand, DpSgdTrainer, FederatedClient, LayersModelTrainer, activeBackend, buildMlp, splitValidation, syntheticClassification, type LocalTrainer } from '@fedtune/client';
import type { Socket } from 'socket.io-client';
import { TOKEN, startClients, startCoordinator } from './helpers/fleet.js';
import { ToyTrainer } from './helpers/toy-trainer.js';

type Frame = { event: string; message: Record<string, unknown> };

/** Every frame `client` sends and every round:fit it receives, decoded. */
function eavesdrop(client: FederatedClient): { sent: Frame[]; fits: Record<string, unknown>[] } {
  // The node's socket (one URL: its connection never replaces it).
  const socket = (client as unknown as { conn: { socket: Socket } }).conn.socket;
  const sent: Frame[] = [];
  const fits: Record<string, unknown>[] = [];
  socket.onAnyOutgoing((event: string, frame: unknown) => sent.push({ event, message: decodeMessage(event as EventName, frame) as Record<string, unknown> }));
  socket.onAny((event: string, frame: unknown) => {
    if (event === 'round:fit') fits.push(decodeMessage('round:fit', frame) as Record<string, unknown>);
  });
  return { sent, fits };
}

const keysOf = (m: Record<string, unknown>) => Object.keys(m).sort();

/** A small MLP node that runs DP-SGD when a round asks (what `fedtune-client join` builds). */
async function mlpNode(seed: string): Promise<LocalTrainer> {
  const backend = await activeBackend('cpu');
  const random = seededRandom(nodeCryptoProvider, seed);
  const data = syntheticClassification(random, { rows: 60, numFeatures: 4, numClasses: 3 });
  const { train, validation } = splitValidation(data, 0.2);
  const model = buildMlp({ inputs: 4, hidden: [8], classes: 3, learningRate: 0.1 }, random);
  const plain = new LayersModelTrainer({ model, train, validation, random, backend });
  return new DpSgdOnDemand(plain, async (p) => new DpSgdTrainer({ model, train, validation, random, backend, l2Clip: p.l2Clip, noiseMultiplier: p.noiseMultiplier, delta: p.delta, batchSize: p.batchSize, learningRate: 0.1 }), 8);
}

const modes = [
  { mode: 'central', extra: {}, dp: { mode: 'central', clip: 1, noiseMultiplier: 1, delta: 1e-5 } },
  { mode: 'distributed', extra: { secagg: { l2Clip: 1 } }, dp: { mode: 'distributed', clip: 1, noiseMultiplier: 1, delta: 1e-5, minSurvivors: 2 } },
  { mode: 'local-sgd', extra: {}, dp: { mode: 'local-sgd', clip: 1, noiseMultiplier: 1, delta: 1e-5, localNoiseMultiplier: 1, localClip: 1 } },
] as const;

describe('what one node sends under each DP mode (issue 15, item 4)', () => {
  it.each(modes)('$mode: only fixed protocol fields and the vector the mode allows; no evaluation, no count, no metric', async ({ mode, extra, dp }) => {
    const local = mode === 'local-sgd';
    const d = local ? undefined : 64;
    const trainers: LocalTrainer[] = local
      ? await Promise.all([0, 1, 2].map((i) => mlpNode(`messages-${i}`)))
      : [0, 1, 2].map((i) => new ToyTrainer({ target: Float32Array.from({ length: d! }, (_, j) => Math.sin(i + j)), rate: 0.5, numExamples: 40 + i }));
    const initial: Weights = { tensors: [...trainers[0]!.tensors], data: trainers[0]!.getWeights().fill(0) };
    const { coordinator, url } = await startCoordinator(
      // evaluateEvery stays at its default (every round): the coordinator must not ask under DP.
      { rounds: 2, minNodes: 3, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 3, overSelection: 0 }, trainConfig: { epochs: 1, batchSize: 8 }, ...extra, dp },
      initial,
    );
    // The eavesdropped node is hooked before it connects, so its hello is recorded too.
    const target = new FederatedClient({ url, token: TOKEN, trainer: trainers[0]!, nodeName: 'target' });
    target.on('error', () => {});
    const { sent, fits } = eavesdrop(target);
    await target.start();
    await startClients(url, trainers.slice(1));
    const summaries = await coordinator.run();
    await target.close();
    expect(summaries.map((s) => s.status)).toEqual(['completed', 'completed']);
    // The coordinator says why there was no evaluation.
    for (const s of summaries) expect(s.evalSkipped).toMatch(/federated evaluation is off under differential privacy/);

    const allowed = new Set(['hello', 'ready', 'model:manifest', 'model:chunk', 'fit:begin', 'fit:chunk', ...(mode === 'distributed' ? ['secagg:advertise-keys', 'secagg:share-keys', 'secagg:masked-input-chunk', 'secagg:unmask'] : [])]);
    expect(sent.length).toBeGreaterThan(0);
    for (const { event } of sent) expect(allowed.has(event), `${mode}: the node sent ${event}`).toBe(true);
    let clearSquares = 0;
    const masked: number[] = [];
    for (const { event, message } of sent) {
      switch (event) {
        case 'hello':
          // `layout`: the federated tensors' names and shapes (issue 11), the architecture every
          // update's length already shows; never a value.
          for (const k of keysOf(message)) expect(['backend', 'identity', 'layout', 'nodeName', 'protocolVersion', 'resumeNodeId', 'resumeSecret', 'token']).toContain(k);
          for (const t of (message.layout ?? []) as { name: string; shape: number[] }[]) expect(keysOf(t)).toEqual(['name', 'shape']);
          break;
        case 'ready':
          expect(message).toEqual({});
          break;
        case 'model:manifest':
          expect(keysOf(message)).toEqual(['version']);
          break;
        case 'model:chunk':
          expect(keysOf(message)).toEqual(['index', 'version']);
          break;
        case 'fit:begin': {
          const fit = fits.find((f) => f.round === message.round)!;
          const config = fit.config as Record<string, number>;
          expect(keysOf(message)).toEqual(['dp', 'metrics', 'numExamples', 'round']);
          expect(message.numExamples).toBe(0);
          expect(message.metrics).toEqual({});
          const a = message.dp as Record<string, number | string>;
          if (mode === 'central') expect(a).toEqual({ mode, l2Clip: config.dpClip });
          if (mode === 'distributed') expect(a).toEqual({ mode, l2Clip: config.dpClip, localVariance: config.dpLocalVariance });
          if (mode === 'local-sgd') {
            expect(keysOf(a)).toEqual(['delta', 'epsilon', 'l2Clip', 'mode', 'noiseMultiplier']);
            expect(a).toMatchObject({ mode, l2Clip: config.dpLocalClip, noiseMultiplier: config.dpLocalNoise, delta: config.dpDelta });
            expect(Number.isFinite(a.epsilon)).toBe(true);
          }
          break;
        }
        case 'fit:chunk':
          expect(keysOf(message)).toEqual(['data', 'index', 'round', 'totalChunks']);
          for (const v of message.data as Float32Array) clearSquares += v * v;
          break;
        case 'secagg:advertise-keys':
          expect(keysOf(message)).toEqual(['cPk', 'round', 'sPk']);
          break;
        case 'secagg:share-keys':
          // Sealed shares, and hiding hash commitments to them and to the self-mask seed.
          expect(keysOf(message)).toEqual(['round', 'seedCommitment', 'shares']);
          for (const s of message.shares as Record<string, unknown>[]) expect(keysOf(s)).toEqual(['ciphertext', 'commitB', 'commitS', 'to']);
          break;
        case 'secagg:masked-input-chunk':
          expect(keysOf(message)).toEqual(['chunkIndex', 'data', 'round']);
          masked.push(...(message.data as Uint32Array));
          break;
        case 'secagg:unmask':
          expect(keysOf(message).filter((k) => k !== 'complaints')).toEqual(['round', 'shares']);
          for (const s of message.shares as Record<string, unknown>[]) expect(keysOf(s)).toEqual(['kind', 'nonce', 'owner', 'x', 'y']);
          break;
      }
    }
    expect(sent.filter((f) => f.event === 'fit:begin')).toHaveLength(2);
    if (mode === 'central') {
      // To the trusted coordinator: the clipped update, two rounds of it, each of norm <= C.
      expect(Math.sqrt(clearSquares)).toBeLessThanOrEqual(2 * 1 + 1e-6);
    }
    if (mode === 'distributed') {
      // Masked: uniform over Z_2^32 (the clipped update is within 2^-8 of 0 in ring units x scale,
      // and its mean would sit near 0 or 2^32): mean of the words within 5 sd of 2^31.
      expect(sent.some((f) => f.event === 'fit:chunk')).toBe(false);
      expect(masked.length).toBe(2 * d!);
      const mean = masked.reduce((s, v) => s + v / 2 ** 32, 0) / masked.length;
      expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / masked.length));
    }
  });
});
