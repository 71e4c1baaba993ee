// The embedded store (issue 11): what one round's commit costs (summary, model version, ledger
// entry, strategy state and participation in one transaction) for a 40 KB and a 4 MB model, with
// synchronous=full and =normal, plain and encrypted at rest; the sealing throughput alone; how long
// a restart takes to resume; and the file size after many rounds under retention (bounded, where
// the old data directory kept every version).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCryptoProvider as crypto, seededRandom, weightsVersion, type Weights } from '@fedtune/shared';
import { AtRestCipher } from '../src/store/at-rest-seal.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { RoundCommit } from '../src/store/store.js';
import type { BenchFigure, BenchFn } from '../../../scripts/bench-types.js';

const rng = seededRandom(crypto, 'store-bench');

function model(n: number, k: number): { version: string; weights: Weights } {
  const data = new Float32Array(n);
  const bytes = rng.bytes(4 * n);
  for (let i = 0; i < n; i++) data[i] = (bytes[4 * i]! - 128) / 64 + k;
  const weights = { tensors: [{ name: 'w', shape: [n] }], data };
  return { version: weightsVersion(crypto, weights), weights };
}

function commit(round: number, m: { version: string; weights: Weights }): RoundCommit {
  return {
    round,
    summary: {
      round, status: 'completed', abortReason: null, selected: 20, survivors: 18, dropped: 2,
      droppedDetail: [{ node: 'a'.repeat(32), reason: 'deadline', stage: 'collect' }, { node: 'b'.repeat(32), reason: 'disconnected', stage: 'secagg:MaskedInput' }],
      trainLoss: 0.5, fitMetrics: {}, evalLoss: null, evalAccuracy: null, evalMetrics: {}, evalSkipped: null, epsilon: 1, delta: 1e-5,
      uploadBytesPerClient: 1000, durationMs: 100, modelVersion: m.version, secagg: null,
    },
    model: m,
    strategyState: { ledger: { version: 1, entries: [] }, inner: null },
    ledger: [{ round, mode: 'central', clip: 1, event: { kind: 'sampled-discrete-gaussian', samplingRate: 0.1, noiseMultiplier: 1.1 } }],
    participants: Array.from({ length: 20 }, (_, i) => ({ node: i.toString(16).padStart(32, '0'), outcome: 'contributed' as const, stage: null })),
    at: Date.now(),
  };
}

async function commitMs(elements: number, rounds: number, synchronous: 'full' | 'normal', key: Uint8Array | null): Promise<{ perRoundMs: number; resumeMs: number; bytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'fedtune-store-bench-'));
  const path = join(dir, 'fedtune.db');
  try {
    const store = await SqliteStore.open({ path, crypto, retention: { keepLast: 10, keepEvery: 0 }, key, synchronous });
    const models = Array.from({ length: Math.min(rounds, 4) }, (_, k) => model(elements, k));
    const t0 = performance.now();
    for (let r = 1; r <= rounds; r++) {
      // Content addressing would store one blob for a repeated version: make each round's new.
      const m = models[r % models.length]!;
      m.weights.data[0] = r;
      await store.commitRound(commit(r, { version: weightsVersion(crypto, m.weights), weights: m.weights }));
    }
    const perRoundMs = (performance.now() - t0) / rounds;
    await store.close();
    const t1 = performance.now();
    const again = await SqliteStore.open({ path, crypto, retention: { keepLast: 10, keepEvery: 0 }, key, synchronous });
    const state = await again.runState();
    await again.model(state!.modelVersion!);
    await again.ledger();
    const resumeMs = performance.now() - t1;
    await again.close();
    const bytes = (await stat(path)).size + (await stat(`${path}-wal`).catch(() => ({ size: 0 }))).size;
    return { perRoundMs, resumeMs, bytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const bench: BenchFn = async ({ tiny }) => {
  const figures: BenchFigure[] = [];
  const key = new Uint8Array(32).fill(7);
  const sizes = tiny ? [1024] : [10_000, 1_000_000];
  const rounds = tiny ? 3 : 40;
  for (const n of sizes) {
    const kb = (4 * n) / 1024;
    const label = kb >= 1024 ? `${(kb / 1024).toFixed(0)} MB` : `${kb.toFixed(0)} KB`;
    const full = await commitMs(n, rounds, 'full', null);
    const normal = await commitMs(n, rounds, 'normal', null);
    const sealed = await commitMs(n, rounds, 'full', key);
    figures.push(
      { name: `commit one round, ${label} model, synchronous=full`, value: Number(full.perRoundMs.toFixed(2)), unit: 'ms', note: `${rounds} rounds` },
      { name: `commit one round, ${label} model, synchronous=normal`, value: Number(normal.perRoundMs.toFixed(2)), unit: 'ms' },
      { name: `commit one round, ${label} model, full + encrypted at rest`, value: Number(sealed.perRoundMs.toFixed(2)), unit: 'ms' },
      { name: `encrypted / plain commit time, ${label}`, value: Number((sealed.perRoundMs / full.perRoundMs).toFixed(2)), unit: 'ratio' },
      { name: `resume (open, run state, current model, ledger), ${label} model`, value: Number(full.resumeMs.toFixed(1)), unit: 'ms' },
      { name: `store file after ${rounds} rounds, ${label} model, keepLast 10`, value: Number((full.bytes / 2 ** 20).toFixed(2)), unit: 'MiB', note: `${Math.min(rounds, 10)} versions kept` },
    );
  }
  // Sealing alone: XSalsa20-Poly1305 (tweetnacl) over a 64 MB model, in 1 MiB segments.
  const cipher = new AtRestCipher(crypto, key);
  const big = new Uint8Array(tiny ? 1 << 20 : 64 << 20);
  const t0 = performance.now();
  const sealed = cipher.seal(big, 'model:x');
  const sealMs = performance.now() - t0;
  const t1 = performance.now();
  cipher.open(sealed, 'model:x');
  const openMs = performance.now() - t1;
  figures.push(
    { name: `seal ${big.length >> 20} MiB (XSalsa20-Poly1305, tweetnacl)`, value: Number((big.length / 2 ** 20 / (sealMs / 1000)).toFixed(1)), unit: 'MiB/s' },
    { name: `open ${big.length >> 20} MiB`, value: Number((big.length / 2 ** 20 / (openMs / 1000)).toFixed(1)), unit: 'MiB/s' },
  );
  return figures;
};
