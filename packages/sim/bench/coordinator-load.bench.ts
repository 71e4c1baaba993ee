// The coordinator's own memory under load (issue 10): `serve` in its own process holding many idle
// authenticated connections while rounds run, then a round with many participating nodes. Reports
// MiB per idle connection and per participating node, and the peak for the 1,000-node round.
import { FederatedClient } from '@fedtune/client';
import { PROTOCOL_VERSION, encodeMessage } from '@fedtune/shared';
import { io, type Socket } from 'socket.io-client';
import type { BenchFigure, BenchFn } from '../../../scripts/bench-types.js';
import { startServe } from './coordinator-process.js';
import { TargetTrainer } from './target-trainer.js';

const TOKEN = 'bench-load-token-Zq4x8Lm2Wv9Rt3Yp';

async function idleConnections(url: string, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let start = 0; start < n; start += 200) {
    const batch = Array.from({ length: Math.min(200, n - start) }, () => io(url, { transports: ['websocket'], reconnection: false, forceNew: true }));
    await Promise.all(
      batch.map(
        (s) =>
          new Promise<void>((resolve) =>
            s.once('connect', () => s.timeout(30_000).emit('hello', encodeMessage('hello', { protocolVersion: PROTOCOL_VERSION, token: TOKEN }), () => resolve())),
          ),
      ),
    );
    sockets.push(...batch);
  }
  return sockets;
}

async function peakDuring<T>(rss: () => Promise<number>, work: Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = await rss();
  let done = false;
  const poll = (async () => {
    while (!done) {
      peak = Math.max(peak, await rss());
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const result = await work;
  done = true;
  await poll;
  return { result, peak };
}

export const bench: BenchFn = async ({ tiny }) => {
  const idle = tiny ? 50 : 5000;
  const nodes = tiny ? 8 : 1000;
  const dim = tiny ? 1000 : 25_000;
  const figures: BenchFigure[] = [];
  const serve = await startServe({
    tokens: [TOKEN],
    maxSessionsPerToken: 100_000,
    limits: { maxConnections: 100_000 },
    rounds: 2,
    minNodes: nodes,
    minResults: Math.floor(nodes * 0.9),
    selection: { kind: 'uniform', clientsPerRound: nodes, overSelection: 0 },
    evaluateEvery: 0,
    fitDeadlineMs: 600_000,
  });
  const clients: FederatedClient[] = [];
  let sockets: Socket[] = [];
  try {
    const base = await serve.rssMb();
    sockets = await idleConnections(serve.url, idle);
    await new Promise((r) => setTimeout(r, 500));
    const withIdle = await serve.rssMb();
    figures.push({ name: `coordinator RSS, fresh`, value: Number(base.toFixed(1)), unit: 'MiB' });
    figures.push({ name: `coordinator RSS with ${idle} idle authenticated connections`, value: Number(withIdle.toFixed(1)), unit: 'MiB' });
    figures.push({ name: 'per idle authenticated connection', value: Number((((withIdle - base) * 1024) / idle).toFixed(1)), unit: 'KiB' });
    const target = Float32Array.from({ length: dim }, (_, i) => (i % 13) / 100);
    for (let i = 0; i < nodes; i++) clients.push(new FederatedClient({ url: serve.url, token: TOKEN, trainer: new TargetTrainer(target), reconnect: { initialDelayMs: 100, maxDelayMs: 2000 } }));
    const started = performance.now();
    const finished = Promise.all(clients.map((c) => c.finished));
    await Promise.all(clients.map((c) => c.start()));
    const joined = await serve.rssMb();
    const { peak } = await peakDuring(serve.rssMb, finished);
    const seconds = (performance.now() - started) / 1000;
    figures.push({ name: `coordinator RSS with ${nodes} nodes joined (and the idle connections)`, value: Number(joined.toFixed(1)), unit: 'MiB' });
    figures.push({ name: `coordinator peak RSS over 2 rounds of ${nodes} nodes, ${dim} floats each`, value: Number(peak.toFixed(1)), unit: 'MiB' });
    figures.push({ name: 'per participating node (peak - idle, over nodes)', value: Number((((peak - withIdle) * 1024) / nodes).toFixed(1)), unit: 'KiB' });
    figures.push({ name: `2 rounds of ${nodes} nodes, wall time (nodes in the bench process)`, value: Number(seconds.toFixed(1)), unit: 's' });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    for (const s of sockets) s.disconnect();
    await serve.stop();
  }
  return figures;
};
