// The fault harness (in the manner of NVFlare's high-availability tests): a real
// `fedtune-coordinator serve` process, three in-process nodes with deterministic trainers, a
// trigger (a node sees round N start, a SecAgg stage request, the end of training, or a failpoint
// inside the store's transaction), an action (SIGKILL or SIGTERM of the coordinator), a restart on
// the same store and port, and what the store holds at the end, for an exact validator.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519KeyPairFromSeed, nodeCryptoProvider, seededRandom, type LedgerEntry, type SecAggStage } from '@fedtune/shared';
import { FederatedClient, type ClientEnd } from '@fedtune/client';
import { SqliteStore, type RoundSummary } from '@fedtune/coordinator';
import { GridStepTrainer } from './grid-step-trainer.js';
import { runBin, type Running } from './processes.js';

export const FAULT_TOKEN = 'fault-token-0123456789abcdef';
export const NODES = 4;
export const ROUNDS = 4;

export type Trigger =
  | { kind: 'round-start'; round: number }
  | { kind: 'secagg'; round: number; stage: SecAggStage }
  | { kind: 'failpoint'; name: string; round: number }
  | { kind: 'finished' };

export interface Scenario {
  secagg: boolean;
  dp: boolean;
}

export interface Fault {
  trigger: Trigger;
  signal: 'SIGKILL' | 'SIGTERM';
}

export interface Outcome {
  model: Float32Array;
  modelVersion: string;
  rounds: RoundSummary[];
  ledger: LedgerEntry[];
  /** How many coordinator processes it took. */
  starts: number;
  /** What the nodes saw end: one per node. */
  ends: ClientEnd[];
  /** Every model version a round names, and whether the store has its record. */
  referenced: { version: string; known: boolean }[];
}

const target = (k: number) => Float32Array.from({ length: 8 }, (_, i) => (((k * 5 + i * 3) % 17) - 8) / 16);
const nodeId = (i: number) => i.toString(16).padStart(32, '0');

function config(dir: string, s: Scenario, identities: Map<string, Uint8Array>): object {
  return {
    host: '127.0.0.1',
    port: 0,
    rounds: ROUNDS,
    minNodes: NODES,
    minResults: NODES,
    selection: { kind: 'uniform', clientsPerRound: NODES, overSelection: 0 },
    evaluateEvery: 0,
    seed: 'faults',
    dataDir: join(dir, 'store'),
    logLevel: 'warn',
    unmaskWorkers: 0,
    fitDeadlineMs: 30_000,
    ...(s.secagg ? { secagg: { activeMode: true, stageDeadlineMs: 30_000, identityKeys: Object.fromEntries([...identities].map(([id, pk]) => [id, Buffer.from(pk).toString('hex')])) } } : {}),
    ...(s.dp ? { dp: { mode: 'central', clip: 1, noiseMultiplier: 1.2, delta: 1e-5 } } : {}),
  };
}

/** Runs the scenario to its end, with the fault (when given) injected once; returns what the store holds. */
export async function runWithFault(s: Scenario, fault: Fault | null): Promise<Outcome> {
  const dir = await mkdtemp(join(tmpdir(), 'fedtune-fault-'));
  const keys = new Map(Array.from({ length: NODES }, (_, i) => [nodeId(i), ed25519KeyPairFromSeed(seededRandom(nodeCryptoProvider, `identity-${i}`).bytes(32))]));
  const publicKeys = new Map([...keys].map(([id, kp]) => [id, kp.publicKey]));
  const path = join(dir, 'coordinator.json');
  await writeFile(path, JSON.stringify(config(dir, s, publicKeys)));
  const env = { FEDTUNE_TOKENS: FAULT_TOKEN, ...(fault?.trigger.kind === 'failpoint' ? { FEDTUNE_FAILPOINTS: `${fault.trigger.name}@${fault.trigger.round}=${fault.signal}` } : {}) };
  let proc: Running = runBin('fedtune-coordinator', ['serve', '--config', path], env);
  let starts = 1;
  const [, url, port] = (await proc.line(/listening on (http:\/\/127\.0\.0\.1:(\d+))/))!;
  let fired = false;
  const fire = (t: Trigger['kind'], round: number, stage?: string) => {
    const f = fault?.trigger;
    if (fired || f === undefined || f.kind !== t) return;
    if ((f.kind === 'round-start' || f.kind === 'secagg') && f.round !== round) return;
    if (f.kind === 'secagg' && f.stage !== stage) return;
    fired = true;
    proc.child.kill(fault!.signal);
  };
  const clients = Array.from({ length: NODES }, (_, i) => {
    const c = new FederatedClient({
      url: url!,
      token: FAULT_TOKEN,
      trainer: new GridStepTrainer(target(i)),
      nodeName: `n${i}`,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      requestTimeoutMs: 10_000,
      ...(s.secagg ? { nodeId: nodeId(i), identity: keys.get(nodeId(i))!, identityKeys: publicKeys } : {}),
      // Node 0 is the observer: it sees each round start and each SecAgg stage request.
      ...(i === 0 ? { faults: { shouldDrop: (round: number, point: string) => (point.startsWith('secagg:') && fire('secagg', round, point.slice(7)), false) } } : {}),
    });
    // Any node may be the one asked for the initial model (round 0); node 0 observes the others.
    c.on('fitStart', ({ round }) => (i === 0 || round === 0) && fire('round-start', round));
    c.on('finished', () => fire('finished', 0));
    c.on('error', () => {});
    return c;
  });
  try {
    await Promise.all(clients.map((c) => c.start()));
    const ended = Promise.all(clients.map((c) => c.ended));
    const first = await proc.exited;
    const struck = fault !== null && (fault.trigger.kind === 'failpoint' ? proc.output().err.includes('"msg":"failpoint"') : fired);
    if (fault !== null && !struck) throw new Error(`the fault never struck; the coordinator exited ${first}: ${proc.output().out}${proc.output().err}`);
    if (struck) {
      // Restart on the same store and port, as an operator (or systemd) would.
      proc = runBin('fedtune-coordinator', ['serve', '--config', path, '--port', port!], { FEDTUNE_TOKENS: FAULT_TOKEN });
      starts++;
      const code = await proc.exited;
      if (code !== 0) throw new Error(`the restarted coordinator exited ${code}: ${proc.output().out}${proc.output().err}`);
    } else if (first !== 0) {
      throw new Error(`the coordinator exited ${first}: ${proc.output().out}${proc.output().err}`);
    }
    const ends = await ended;
    const store = await SqliteStore.open({ path: join(dir, 'store', 'fedtune.db'), crypto: nodeCryptoProvider, retention: { keepLast: 10, keepEvery: 0 }, key: null, readonly: true });
    try {
      const state = (await store.runState())!;
      const known = new Set((await store.models()).map((m) => m.version));
      const rounds = await store.rounds(null, 1000);
      return {
        model: (await store.model(state.modelVersion!))!.data,
        modelVersion: state.modelVersion!,
        rounds,
        ledger: await store.ledger(),
        starts,
        ends,
        referenced: rounds.map((r) => ({ version: r.modelVersion!, known: known.has(r.modelVersion!) })),
      };
    } finally {
      await store.close();
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}
