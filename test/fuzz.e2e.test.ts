// Fuzzing a live coordinator (issue 10): FEDTUNE_FUZZ_MESSAGES (default 100,000) random and mutated
// frames of every client-to-server event, from many sockets, while three honest nodes train. Passes
// when nothing crashes or rejects unhandled, every request got a coded reply or was cut off with its
// connection, memory stays bounded, and the model is exactly the honest nodes' mean.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fuzzCoordinator } from '@fedtune/sim';
import type { Weights } from '@fedtune/shared';
import { startClients, startCoordinator } from './helpers/fleet.js';
import { ToyTrainer } from './helpers/toy-trainer.js';

const DIM = 8;
const target = (k: number) => Float32Array.from({ length: DIM }, (_, i) => ((k * 3 + i) % 5) / 10);
const zeros: Weights = { tensors: [{ name: 'w', shape: [DIM] }], data: new Float32Array(DIM) };
const MESSAGES = Number(process.env.FEDTUNE_FUZZ_MESSAGES ?? 100_000);
// The attacker holds its own enrollment token, capped at as many live sessions as it uses.
const FUZZ_TOKEN = 'fuzzer-token-Qm3Zt7Lx9Kp2Wv5R';
const SOCKETS = 12;

describe('protocol fuzzing', () => {
  it(`${MESSAGES} hostile frames of every event type: no crash, coded refusals, bounded memory, the exact honest model`, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const heapBefore = process.memoryUsage().heapUsed;
    const { coordinator, url } = await startCoordinator(
      {
        rounds: 1_000_000,
        minNodes: 3,
        minResults: 3,
        // Over-selection asks every ready node; a round closes once the three honest results are in.
        selection: { kind: 'uniform', clientsPerRound: 3, overSelection: 10 },
        tokenHashes: [{ hash: createHash('sha256').update(FUZZ_TOKEN).digest('hex'), label: 'fuzzer', maxSessions: SOCKETS }],
        evaluateEvery: 0,
        fitDeadlineMs: 3_000,
        // Every frame is processed: no socket is cut for garbage or backed off for bad hellos.
        limits: { authFailuresBeforeBackoff: 1_000_000_000, maxStrikes: 1_000_000_000, maxUpdateNorm: 10, uploadIdleMs: 2_000 },
      },
      zeros,
    );
    try {
      let completedRounds = 0;
      let onCompleted: () => void = () => {};
      const run = coordinator.run((s) => {
        if (s.status !== 'completed') return;
        completedRounds++;
        onCompleted();
      });
      const trainers = [0, 1, 2].map((k) => new ToyTrainer({ target: target(k), numExamples: 10 }));
      await startClients(url, trainers);
      const report = await fuzzCoordinator({ url, token: FUZZ_TOKEN, messages: MESSAGES, sockets: SOCKETS, window: 8, seed: 7 });
      // Training goes on after the storm: one more completed round, then stop.
      const roundsDuringFuzz = completedRounds;
      await new Promise<void>((resolve) => (onCompleted = resolve));
      await coordinator.close();
      const summaries = await run;
      if (process.env.FEDTUNE_TEST_LOG === '1') process.stderr.write(`${JSON.stringify(report)}\n`);
      expect(report.sent).toBe(MESSAGES);
      // Every request came back coded, or its connection was cut for repeated garbage.
      for (const key of Object.keys(report.replies)) expect(key).toMatch(/^(ok|FT_ERR_[A-Z_]+|no-reply)$/);
      expect(report.replies['bad-reply']).toBeUndefined();
      expect(report.replies.FT_ERR_INTERNAL).toBeUndefined();
      expect(report.replies.FT_ERR_MALFORMED).toBeGreaterThan(1000);
      // Honest training went on: rounds completed with the three honest nodes, and the model is
      // exactly their mean (a fuzz socket that got selected made its round abort, never count).
      const completed = summaries.filter((s) => s.status === 'completed');
      expect(completed.length).toBeGreaterThan(0);
      for (const s of completed) expect(s.survivors).toBe(3);
      const global = coordinator.store.current!.weights.data;
      for (let i = 0; i < DIM; i++) expect(global[i]).toBeCloseTo((target(0)[i]! + target(1)[i]! + target(2)[i]!) / 3, 6);
      expect(roundsDuringFuzz).toBeGreaterThan(1);
      expect(coordinator.engineState).toBe('stopped');
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(300 * 2 ** 20);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }, 600_000);
});
