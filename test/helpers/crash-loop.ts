// Crash safety under repeated kill -9 (issue 11, item 2): a real `fedtune-coordinator serve` with
// central DP runs N rounds for in-process nodes and is killed with SIGKILL at random moments
// (seeded), restarted on its store each time, until it finishes. After every kill the store is
// opened as the next process would see it and checked: the run never goes back, the ledger holds
// exactly one entry per completed round and its epsilon equals a recomputation from those entries
// (and the last round's reported epsilon), every model version a round names is known to the
// store, and every version retention keeps loads and matches its hash.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivacyLedger, nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { FederatedClient } from '@fedtune/client';
import { SqliteStore } from '@fedtune/coordinator';
import { GridStepTrainer } from './grid-step-trainer.js';
import { runBin } from './processes.js';

export interface CrashLoopOptions {
  rounds: number;
  /** Kill delays are drawn uniformly from this range (ms after the process says it listens). */
  killAfterMs: [number, number];
  seed: string;
  /** Called after each check, for logs. */
  onCheck?: (c: CrashCheck) => void;
}

export interface CrashCheck {
  kill: number;
  lastRound: number;
  completed: number;
  epsilon: number | null;
}

const TOKEN = 'crash-token-0123456789abcdef';
const DELTA = 1e-5;

/** @throws Error describing the first property a check found broken. */
async function check(path: string, previous: number, kill: number): Promise<CrashCheck> {
  const store = await SqliteStore.open({ path, crypto: nodeCryptoProvider, retention: { keepLast: 5, keepEvery: 0 }, key: null, readonly: true });
  try {
    const state = await store.runState();
    if (state === null) return { kill, lastRound: 0, completed: 0, epsilon: null };
    if (state.lastRound < previous) throw new Error(`kill ${kill}: the run went back from round ${previous} to ${state.lastRound}`);
    const rounds = await store.rounds(null, 1_000_000);
    const completed = rounds.filter((r) => r.status === 'completed');
    const ledger = await store.ledger();
    const want = completed.map((r) => r.round).join(',');
    if (ledger.map((e) => e.round).join(',') !== want) throw new Error(`kill ${kill}: ledger rounds ${ledger.map((e) => e.round).join(',')} != completed rounds ${want}`);
    const epsilon = ledger.length === 0 ? null : ledger.reduce((l, e) => l.append(e), new PrivacyLedger()).epsilonSoFar(DELTA).epsilon;
    const last = completed.at(-1);
    if (last !== undefined && last.epsilon !== epsilon) throw new Error(`kill ${kill}: round ${last.round} reports epsilon ${last.epsilon}, the ledger recomputes ${epsilon}`);
    const models = await store.models();
    const known = new Set(models.map((m) => m.version));
    for (const r of rounds) if (r.modelVersion !== null && !known.has(r.modelVersion)) throw new Error(`kill ${kill}: round ${r.round} names model ${r.modelVersion} the store does not know`);
    for (const m of models.filter((x) => !x.pruned)) if ((await store.model(m.version)) === null) throw new Error(`kill ${kill}: model ${m.version} is kept but does not load`);
    if (state.modelVersion === null || (await store.model(state.modelVersion)) === null) throw new Error(`kill ${kill}: the current model does not load`);
    const strategyLedger = (state.strategyState as { ledger?: { entries?: unknown[] } } | null)?.ledger?.entries ?? [];
    if (JSON.stringify(strategyLedger) !== JSON.stringify(ledger)) throw new Error(`kill ${kill}: the strategy state's ledger differs from the ledger rows`);
    return { kill, lastRound: state.lastRound, completed: completed.length, epsilon };
  } finally {
    await store.close();
  }
}

/** Runs the loop to the end; returns every check and how many kills it took. */
export async function crashLoop(o: CrashLoopOptions): Promise<{ checks: CrashCheck[]; kills: number; final: CrashCheck }> {
  const dir = await mkdtemp(join(tmpdir(), 'fedtune-crash-'));
  const config = join(dir, 'coordinator.json');
  await writeFile(
    config,
    JSON.stringify({
      host: '127.0.0.1',
      port: 0,
      rounds: o.rounds,
      minNodes: 2,
      minResults: 2,
      selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 },
      evaluateEvery: 0,
      dataDir: join(dir, 'store'),
      store: { retention: { keepLast: 5, keepEvery: 50 } },
      dp: { mode: 'central', clip: 1, noiseMultiplier: 5, delta: DELTA },
      logLevel: 'error',
      fitDeadlineMs: 30_000,
    }),
  );
  const path = join(dir, 'store', 'fedtune.db');
  const random = seededRandom(nodeCryptoProvider, o.seed);
  const checks: CrashCheck[] = [];
  let port = '0';
  let clients: FederatedClient[] = [];
  let previous = 0;
  let kills = 0;
  // Under load a restart can be killed before its nodes are back and a round commits; the window
  // then widens (doubling, up to 64x) until one commits, and narrows again after, so the kills stay
  // at seeded random moments but the run always moves forward.
  let stretch = 1;
  try {
    for (;;) {
      const proc = runBin('fedtune-coordinator', ['serve', '--config', config, '--port', port], { FEDTUNE_TOKENS: TOKEN });
      const listening = await Promise.race([proc.line(/listening on (http:\/\/127\.0\.0\.1:(\d+))/), proc.exited.then(() => null)]);
      if (listening === null) throw new Error(`the coordinator exited before listening: ${proc.output().err}`);
      if (clients.length === 0) {
        port = listening[2]!;
        clients = [0, 1].map((i) => new FederatedClient({ url: listening[1]!, token: TOKEN, trainer: new GridStepTrainer(Float32Array.from({ length: 16 }, (_, j) => ((i * 7 + j) % 9) / 8 - 0.5)), reconnect: { initialDelayMs: 10, maxDelayMs: 100 }, requestTimeoutMs: 10_000 }));
        for (const c of clients) c.on('error', () => {});
        await Promise.all(clients.map((c) => c.start()));
      }
      const [lo, hi] = o.killAfterMs;
      const delay = (lo + random.float() * (hi - lo)) * stretch;
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), delay);
      const code = await proc.exited;
      clearTimeout(timer);
      if (code === 0) break;
      if (code !== 137) throw new Error(`the coordinator exited ${code}: ${proc.output().out}${proc.output().err}`);
      kills++;
      const c = await check(path, previous, kills);
      stretch = c.lastRound === previous ? Math.min(64, stretch * 2) : Math.max(1, stretch / 2);
      previous = c.lastRound;
      checks.push(c);
      o.onCheck?.(c);
    }
    const final = await check(path, previous, kills);
    if (final.lastRound !== o.rounds || final.completed !== o.rounds) throw new Error(`finished at round ${final.lastRound} with ${final.completed} completed of ${o.rounds}`);
    return { checks, kills, final };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}
