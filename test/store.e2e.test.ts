// The coordinator on its store, over real sockets (issue 11, items 1, 3 and 6): what a restart
// keeps (node ids, revocations, the ledger exactly, the run), what it refuses (a wrong at-rest
// key), the migration of a pre-store data directory, a round whose commit fails, and the audit log.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Coordinator, SqliteStore, createLogger, saveState, type RoundCommit, type Store } from '@fedtune/coordinator';
import { PrivacyLedger, nodeCryptoProvider, weightsToSafetensors, weightsVersion, type Weights } from '@fedtune/shared';
import { writeFile } from 'node:fs/promises';
import { ADMIN_TOKEN, TOKEN, startClients, startCoordinator } from './helpers/fleet.js';
import { RawNode } from './helpers/raw-node.js';
import { ToyTrainer } from './helpers/toy-trainer.js';

const DIM = 6;
const target = (k: number) => Float32Array.from({ length: DIM }, (_, i) => ((k * 3 + i) % 5) / 8);
const zeros: Weights = { tensors: [{ name: 'w', shape: [DIM] }], data: new Float32Array(DIM) };
const plain = (rounds: number, n: number, extra: object = {}) => ({ rounds, minNodes: n, minResults: n, selection: { kind: 'uniform' as const, clientsPerRound: n, overSelection: 0 }, evaluateEvery: 0, ...extra });
const tmp = (name: string) => mkdtemp(join(tmpdir(), `fedtune-${name}-`));
const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

describe('the store across restarts', () => {
  it('a graceful restart: nodes are told, reconnect with backoff, keep their ids and finish the resumed run', async () => {
    const dataDir = await tmp('restart');
    const first = await startCoordinator({ ...plain(3, 2), dataDir }, zeros);
    const port = Number(new URL(first.url).port);
    const clients = await startClients(first.url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(2) })]);
    const ids = clients.map((c) => c.id);
    const told = clients.map((c) => new Promise<{ reason: string }>((r) => c.once('restarting', r)));
    const finishedEarly: unknown[] = [];
    for (const c of clients) c.on('finished', (f) => finishedEarly.push(f));
    const done = await first.coordinator.run((s) => {
      if (s.round === 1) void first.coordinator.close();
    });
    expect(done.map((s) => s.round)).toEqual([1]);
    expect(first.coordinator.outcome).toMatchObject({ status: 'stopped', completedRounds: 1 });
    expect((await Promise.all(told)).map((t) => t.reason)).toEqual([expect.stringContaining('resumes'), expect.stringContaining('resumes')]);
    // "Restarting" is not "finished": nobody was told training ended.
    expect(finishedEarly).toEqual([]);
    const second = await startCoordinator({ ...plain(3, 2), dataDir, port });
    const rest = await second.coordinator.run();
    expect(rest.map((s) => [s.round, s.status])).toEqual([[2, 'completed'], [3, 'completed']]);
    expect(clients.map((c) => c.id)).toEqual(ids);
    for (const c of clients) expect(await c.ended).toMatchObject({ ok: true, finished: { status: 'completed', completedRounds: 3, rounds: 3 } });
    expect((await second.coordinator.db.node(ids[0]!))?.roundsContributed).toBe(3);
  });

  it('attack: a revoked token stays revoked after a restart (it was accepted again before the store)', async () => {
    // Old code: revocations lived in memory; after a restart the revoked token authenticated again.
    // Trials: one hello per restart; the test: exact (refused or not).
    const dataDir = await tmp('revoked');
    const leaked = 'leaked-token-0123456789abcdef';
    const first = await startCoordinator({ ...plain(1, 1), dataDir, tokens: [TOKEN, leaked] }, zeros);
    const before = new RawNode(first.url);
    expect(await before.hello(leaked)).toMatchObject({ ok: true });
    const hash = (await import('node:crypto')).createHash('sha256').update(leaked).digest('hex');
    const revoke = await fetch(`${first.url}/api/tokens/revoke`, { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify({ token: hash }) });
    expect(revoke.status).toBe(200);
    await first.coordinator.close();
    const second = await startCoordinator({ ...plain(1, 1), dataDir, tokens: [TOKEN, leaked] });
    const after = new RawNode(second.url);
    expect(await after.hello(leaked)).toMatchObject({ ok: false, error: { code: 'FT_ERR_AUTH', message: expect.stringContaining('token revoked') } });
    const honest = new RawNode(second.url);
    expect(await honest.hello(TOKEN)).toMatchObject({ ok: true });
    const audit = await second.coordinator.db.auditLog(0, 100);
    expect(audit.filter((e) => e.kind === 'revocation').map((e) => e.detail)).toEqual([{ token: `token-${hash.slice(0, 8)}` }]);
  });

  it('the ledger survives restarts exactly: its epsilon equals a recomputation from the stored rounds', async () => {
    const dataDir = await tmp('ledger');
    const dp = { mode: 'central' as const, clip: 1, noiseMultiplier: 1.3, delta: 1e-5 };
    const epsilons: number[] = [];
    for (const rounds of [2, 3, 5]) {
      const { coordinator, url } = await startCoordinator({ ...plain(rounds, 2), dataDir, dp }, rounds === 2 ? zeros : undefined);
      await startClients(url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(2) })]);
      for (const s of await coordinator.run()) epsilons.push(s.epsilon!);
      const ledger = await coordinator.db.ledger();
      expect(ledger.map((e) => e.round)).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
      const recomputed = ledger.reduce((l, e) => l.append(e), new PrivacyLedger()).epsilonSoFar(1e-5).epsilon;
      const stored = await coordinator.db.rounds(null, 100);
      expect(stored.at(-1)!.epsilon).toBe(recomputed);
      await coordinator.close();
    }
    expect(epsilons).toHaveLength(5);
    for (let i = 1; i < 5; i++) expect(epsilons[i]!).toBeGreaterThan(epsilons[i - 1]!);
  });

  it('encrypted at rest: a restart with the wrong key, or none, is refused at start with a clear error', async () => {
    const dataDir = await tmp('sealed');
    const env = 'FEDTUNE_TEST_STORE_KEY';
    process.env[env] = 'ab'.repeat(32);
    const config = { ...plain(1, 1), dataDir, store: { encryption: { keyEnv: env } } };
    const { coordinator, url } = await startCoordinator(config, zeros);
    await startClients(url, [new ToyTrainer({ target: target(1) })]);
    await coordinator.run();
    await coordinator.close();
    process.env[env] = 'cd'.repeat(32);
    await expect(startCoordinator(config)).rejects.toMatchObject({ code: 'FT_ERR_STORE_KEY', message: expect.stringMatching(/does not open .*fedtune\.db \(wrong key\?\)/) });
    await expect(startCoordinator({ ...config, store: {} })).rejects.toMatchObject({ code: 'FT_ERR_STORE_KEY', message: expect.stringMatching(/is encrypted at rest: give its key/) });
    delete process.env[env];
    await expect(startCoordinator(config)).rejects.toMatchObject({ code: 'FT_ERR_CONFIG', message: expect.stringContaining(`${env} is not set`) });
    process.env[env] = 'ab'.repeat(32);
    const again = await startCoordinator({ ...config, rounds: 2 });
    expect(again.coordinator.store.current!.version).toBe(coordinator.store.current!.version);
    delete process.env[env];
  });

  it('migrates a pre-store data directory on first start: model, round, ledger; old files moved aside', async () => {
    const dataDir = await tmp('migrate');
    // What a coordinator before the store left: 3 rounds of central DP, one file per model version.
    const ledger = [1, 2, 3].reduce(
      (l, round) => l.append({ round, mode: 'central', clip: 1, event: { kind: 'sampled-discrete-gaussian', samplingRate: 1, noiseMultiplier: 1.3 } }),
      new PrivacyLedger(),
    );
    const old = (k: number): Weights => ({ tensors: zeros.tensors, data: target(k) });
    for (const [round, k] of [[1, 7], [2, 8], [3, 9]] as const) {
      const weights = old(k);
      await saveState(dataDir, { round, modelVersion: weightsVersion(nodeCryptoProvider, weights), weights, extra: { strategy: { ledger: ledger.toJSON(), localEpsilon: null, inner: null } } });
    }
    const { coordinator, url } = await startCoordinator({ ...plain(4, 2), dataDir, dp: { mode: 'central', clip: 1, noiseMultiplier: 1.3, delta: 1e-5 } });
    expect(coordinator.store.current!.weights.data).toEqual(old(9).data);
    expect(await coordinator.db.ledger()).toEqual(ledger.entries);
    const files = (await readdir(dataDir)).sort();
    expect(files.filter((f) => f.startsWith('model-') || f === 'state.json')).toEqual([]);
    expect((await readdir(join(dataDir, 'pre-store'))).sort()).toEqual([`model-${weightsVersion(nodeCryptoProvider, old(9))}.f32`, 'state.json'].sort());
    await startClients(url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(2) })]);
    const [round4] = await coordinator.run();
    expect(round4!.round).toBe(4);
    expect(round4!.epsilon).toBe(ledger.append({ round: 4, mode: 'central', clip: 1, event: { kind: 'sampled-discrete-gaussian', samplingRate: 1, noiseMultiplier: 1.3 } }).epsilonSoFar(1e-5).epsilon);
    expect(coordinator.outcome).toMatchObject({ status: 'completed', completedRounds: 4 });
    expect((await coordinator.db.auditLog(0, 100, 'migration'))[0]!.detail).toMatchObject({ round: 3, deletedSupersededModels: 2 });
  });

  it('a round whose commit fails is undone: the model, the strategy and the ledger stay where the store has them', async () => {
    const store = await SqliteStore.open({ path: ':memory:', crypto: nodeCryptoProvider, retention: { keepLast: 5, keepEvery: 0 }, key: null });
    let failRound = 2;
    const flaky: Store = Object.assign(Object.create(store) as Store, {
      commitRound: async (c: RoundCommit) => {
        if (c.round === failRound) {
          failRound = -1;
          throw new Error('disk full');
        }
        return store.commitRound(c);
      },
    });
    const c = await Coordinator.create({
      config: { host: '127.0.0.1', port: 0, tokens: [TOKEN], ...plain(3, 2), dp: { mode: 'central', clip: 1, noiseMultiplier: 2, delta: 1e-5 } },
      initialWeights: zeros,
      store: flaky,
      logger: createLogger('silent', 'test'),
    });
    try {
      const { url } = await c.listen();
      await startClients(url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(2) })]);
      const summaries = await c.run();
      expect(summaries.map((s) => [s.round, s.status])).toEqual([[1, 'completed'], [2, 'aborted'], [3, 'completed']]);
      expect(summaries[1]!.abortReason).toMatch(/disk full/);
      // Two rounds charged, not three: the undone round's release never left the coordinator.
      expect((await store.ledger()).map((e) => e.round)).toEqual([1, 3]);
      const state = await store.runState();
      expect(state!.modelVersion).toBe(c.store.current!.version);
      expect(summaries[2]!.epsilon).toBe((await store.ledger()).reduce((l, e) => l.append(e), new PrivacyLedger()).epsilonSoFar(1e-5).epsilon);
    } finally {
      await c.close();
    }
  });

  it('starts from an initial checkpoint (safetensors) instead of a node, tagged initial', async () => {
    const dir = await tmp('ckpt');
    const path = join(dir, 'init.safetensors');
    const init: Weights = { tensors: [{ name: 'b', shape: [2] }, { name: 'a', shape: [2, 2] }], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
    await writeFile(path, weightsToSafetensors(init, { format: 'fedtune-model' }));
    const { coordinator } = await startCoordinator({ ...plain(1, 1), dataDir: dir, initialCheckpoint: path });
    expect(coordinator.store.current!.weights).toEqual(init);
    expect((await coordinator.db.models())[0]).toMatchObject({ round: 0, tags: ['initial'] });
    await expect(startCoordinator({ ...plain(1, 1), initialCheckpoint: join(dir, 'absent.safetensors') })).rejects.toMatchObject({ code: 'FT_ERR_CONFIG', message: expect.stringContaining('absent.safetensors') });
    await writeFile(join(dir, 'junk.safetensors'), 'not safetensors');
    await expect(startCoordinator({ ...plain(1, 1), initialCheckpoint: join(dir, 'junk.safetensors') })).rejects.toMatchObject({ code: 'FT_ERR_CONFIG' });
  });

  it('keeps an audit log: start, the config without clear tokens, auth failures, refusals and drops with reasons', async () => {
    const { coordinator, url } = await startCoordinator({ ...plain(1, 2), limits: { maxUpdateNorm: 2 } }, zeros);
    const bad = new RawNode(url);
    expect(await bad.hello('wrong-token-0123456789abcdef')).toMatchObject({ ok: false });
    // One node's update is far outside the bound: refused and dropped.
    await startClients(url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: new Float32Array(DIM).fill(100) })]);
    const [s] = await coordinator.run();
    expect(s!.status).toBe('aborted');
    const log = await coordinator.db.auditLog(0, 100);
    const kinds = log.map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['start', 'config', 'auth-failure', 'refusal', 'drop']));
    const config = log.find((e) => e.kind === 'config')!.detail;
    expect(JSON.stringify(config)).not.toContain(TOKEN);
    expect(config.tokens).toBe('1 in the clear (not recorded)');
    expect(log.find((e) => e.kind === 'auth-failure')).toMatchObject({ address: expect.stringContaining('127.0.0.1'), code: 'FT_ERR_AUTH' });
    expect(log.find((e) => e.kind === 'refusal')).toMatchObject({ code: 'FT_ERR_BOUND', detail: { round: 1 } });
    expect(log.find((e) => e.kind === 'drop')).toMatchObject({ detail: { round: 1, reason: 'rejected', stage: 'collect' } });
    // The same log, paged, behind the admin token.
    expect((await fetch(`${url}/api/audit`)).status).toBe(401);
    const page = (await (await fetch(`${url}/api/audit?kind=drop&limit=10`, admin)).json()) as { entries: { kind: string }[]; next: number };
    expect(page.entries.map((e) => e.kind)).toEqual(['drop']);
    expect((await fetch(`${url}/api/audit?kind=secrets`, admin)).status).toBe(400);
  });
});
