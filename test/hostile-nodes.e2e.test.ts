// The coordinator under hostile nodes and connections, over real sockets (issue 10, items 1-4 and
// 6-9). Each test plays one attack the outside review ran against `fedtune-coordinator serve`, which
// on the old code won (named in each test), and checks that honest nodes' rounds still complete.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Coordinator, createLogger, type Strategy } from '@fedtune/coordinator';
import { CHUNK_ELEMENTS, FedtuneError, type Weights } from '@fedtune/shared';
import { ADMIN_TOKEN, TOKEN, startClients, startCoordinator } from './helpers/fleet.js';
import { RawNode } from './helpers/raw-node.js';
import { ToyTrainer } from './helpers/toy-trainer.js';

const DIM = 8;
const target = (k: number) => Float32Array.from({ length: DIM }, (_, i) => ((k * 5 + i) % 7) / 10);
const zeros: Weights = { tensors: [{ name: 'w', shape: [DIM] }], data: new Float32Array(DIM) };
const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
const plain = (rounds: number, n: number, extra: object = {}) => ({ rounds, minNodes: n, minResults: n, selection: { kind: 'uniform' as const, clientsPerRound: n, overSelection: 0 }, evaluateEvery: 0, ...extra });

describe('identity: a node id is taken over only with its proof', () => {
  it('hello{resumeNodeId: victim} from another connection is refused; the victim keeps training', async () => {
    // Old code: any valid token took over the id, and the victim exited 13 and never came back.
    const { coordinator, url } = await startCoordinator(plain(2, 2), zeros);
    const [victim, other] = await startClients(url, [new ToyTrainer({ target: target(1) }), new ToyTrainer({ target: target(2) })]);
    const thief = new RawNode(url);
    await thief.connected();
    const stolen = await thief.request('hello', { protocolVersion: 1, token: TOKEN, resumeNodeId: victim!.id! });
    expect(stolen).toMatchObject({ ok: false, error: { code: 'FT_ERR_AUTH' } });
    const guesser = new RawNode(url);
    await guesser.connected();
    expect(await guesser.request('hello', { protocolVersion: 1, token: TOKEN, resumeNodeId: victim!.id!, resumeSecret: 'f'.repeat(64) })).toMatchObject({ ok: false, error: { code: 'FT_ERR_AUTH' } });
    const summaries = await coordinator.run();
    expect(summaries.map((s) => s.status)).toEqual(['completed', 'completed']);
    expect(summaries[1]!.survivors).toBe(2);
    expect(victim!.id).not.toBeUndefined();
    expect(other!.id).not.toBe(victim!.id);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/fedtune_auth_failures_total 2/);
  });

  it('node ids do not leak to the unauthenticated: /, /api/status and /api/nodes need the admin token', async () => {
    // Old code: /api/status listed droppedDetail[].node for anyone.
    const { url } = await startCoordinator(plain(1, 1));
    for (const path of ['/', '/api/status', '/api/nodes', '/api/tokens']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/Basic/);
      expect((await fetch(`${url}${path}`, admin)).status, path).toBe(200);
    }
    const basic = { headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` } };
    expect((await fetch(`${url}/api/status`, basic)).status).toBe(200);
    expect((await fetch(`${url}/api/status`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
  });

  it('a token opens at most maxSessionsPerToken live sessions, and a revoked token loses its sessions', async () => {
    // Old code: 500 sockets from one token; no way to revoke a node's token.
    const perNode = 'node-7-token-Zq4x8Lm2Wv9Rt3Yp';
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(perNode).digest('hex');
    const { url } = await startCoordinator({ ...plain(1, 1), maxSessionsPerToken: 3, tokenHashes: [{ hash, label: 'node-7', maxSessions: 1 }] });
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await new RawNode(url).hello(TOKEN));
    expect(replies.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(replies[3]).toMatchObject({ ok: false, error: { code: 'FT_ERR_LIMIT' } });
    const seven = new RawNode(url);
    expect(await seven.hello(perNode)).toMatchObject({ ok: true });
    expect(await new RawNode(url).hello(perNode)).toMatchObject({ ok: false, error: { code: 'FT_ERR_LIMIT' } });
    const gone = seven.disconnected();
    const revoke = await fetch(`${url}/api/tokens/revoke`, { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify({ token: 'node-7' }) });
    expect(await revoke.json()).toEqual({ revoked: 'node-7', sessionsClosed: 1 });
    await gone;
    expect(seven.notices.map((n) => n.message)).toContain('enrollment token refused: token revoked');
    expect(await new RawNode(url).hello(perNode)).toMatchObject({ ok: false, error: { code: 'FT_ERR_AUTH' } });
  });
});

describe('Sybils and slots', () => {
  it('200 idle authenticated sockets are never selected or asked to evaluate: honest rounds complete', async () => {
    // Old code: cohorts were drawn from idle sockets, so every round aborted at the fit deadline,
    // and evaluation asked every connected node and stalled.
    const { coordinator, url } = await startCoordinator({ ...plain(2, 3), evaluateEvery: 1, fitDeadlineMs: 600_000, evaluateDeadlineMs: 600_000 }, zeros);
    const idle = Array.from({ length: 200 }, () => new RawNode(url));
    await Promise.all(idle.map((n) => n.hello(TOKEN, undefined, false)));
    await startClients(url, [0, 1, 2].map((k) => new ToyTrainer({ target: target(k) })));
    const summaries = await coordinator.run();
    expect(summaries.map((s) => [s.status, s.survivors, s.dropped])).toEqual([
      ['completed', 3, 0],
      ['completed', 3, 0],
    ]);
    expect(summaries[1]!.evalLoss).not.toBeNull();
  });

  it('sockets that take upload slots and never send a chunk lose them and are dropped', async () => {
    // Old code: eight such sockets held all eight slots and the round aborted with 0 results.
    const { coordinator, url } = await startCoordinator({ ...plain(1, 5), minResults: 3, uploadSlots: 2, fitDeadlineMs: 600_000, limits: { uploadIdleMs: 300 } }, zeros);
    const hogs = [new RawNode(url), new RawNode(url)];
    for (const h of hogs) {
      const fit = h.next('round:fit');
      await h.hello(TOKEN);
      void fit.then((f) => h.request('fit:begin', { round: f.round, numExamples: 1, metrics: {} }));
    }
    await startClients(url, [0, 1, 2].map((k) => new ToyTrainer({ target: target(k) })));
    const [s] = await coordinator.run();
    expect(s!.status).toBe('completed');
    expect(s!.survivors).toBe(3);
    expect(s!.droppedDetail.filter((d) => d.reason === 'deadline')).toHaveLength(2);
  });
});

describe('bounded inputs', () => {
  it('refuses a 900,000-character metric key and a 65th metric; memory and status stay bounded', async () => {
    // Old code accepted the key (TypeBox ignores key limits on a Record); 340 rounds of them took
    // RSS from 123 to 457 MB and one GET /api/status died with "Invalid string length".
    const { url } = await startCoordinator(plain(1, 1));
    const n = new RawNode(url);
    await n.hello(TOKEN);
    const { encode } = await import('msgpackr');
    const raw = await n.requestRaw('fit:begin', encode({ round: 1, numExamples: 1, metrics: { ['k'.repeat(900_000)]: 1 } }));
    expect(raw).toMatchObject({ ok: false, error: { code: 'FT_ERR_MALFORMED' } });
    // The refusal quotes at most a bounded piece of the hostile key.
    expect((raw as { error: { message: string } }).error.message.length).toBeLessThan(1024);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, i]));
    expect(await n.requestRaw('fit:begin', encode({ round: 1, numExamples: 1, metrics: many }))).toMatchObject({ ok: false, error: { code: 'FT_ERR_MALFORMED' } });
    expect(await n.requestRaw('fit:begin', encode({ round: 1, numExamples: 1, metrics: { 'bad key': 1 } }))).toMatchObject({ ok: false, error: { code: 'FT_ERR_MALFORMED' } });
    const status = (await (await fetch(`${url}/api/status?limit=100000`, admin)).json()) as { rounds: unknown[]; next: number | null };
    expect(status.next).toBeNull();
  });

  it('finite deltas of 3.4e38 claiming 2^40 examples are refused; the round completes with the honest mean and the engine lives on', async () => {
    // Old code: round 1 saved a poisoned model; round 2 died with "non-finite weights" and the
    // process stayed up with /healthz answering 200: a zombie.
    const { coordinator, url } = await startCoordinator({ ...plain(2, 4), minResults: 2, limits: { maxExamplesPerNode: 1_000_000, maxUpdateNorm: 1000 } }, zeros);
    // Each attacker tries in every round, saying ready again after each refusal.
    const attack = async (numExamples: number) => {
      const node = new RawNode(url);
      let fits = node.next('round:fit');
      await node.hello(TOKEN);
      const codes: string[] = [];
      for (let round = 1; round <= 2; round++) {
        const fit = await fits;
        fits = node.next('round:fit');
        const begin = await node.request('fit:begin', { round: fit.round, numExamples, metrics: {} });
        if (!begin.ok) codes.push(begin.error.code);
        else {
          const chunk = await node.request('fit:chunk', { round: fit.round, index: 0, totalChunks: 1, data: new Float32Array(DIM).fill(3.4e38) });
          codes.push(chunk.ok ? 'accepted' : chunk.error.code);
        }
        await node.request('ready', {});
      }
      return codes.join(',');
    };
    const outcomes = Promise.all([attack(2 ** 40), attack(10)]);
    await startClients(url, [0, 1].map((k) => new ToyTrainer({ target: target(k) })));
    const summaries = await coordinator.run();
    expect(await outcomes).toEqual(['FT_ERR_BOUND,FT_ERR_BOUND', 'FT_ERR_BOUND,FT_ERR_BOUND']);
    expect(summaries.map((s) => s.status)).toEqual(['completed', 'completed']);
    const global = coordinator.store.current!.weights.data;
    for (let i = 0; i < DIM; i++) expect(global[i]).toBeCloseTo((target(0)[i]! + target(1)[i]!) / 2, 5);
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ ok: true, state: 'finished' });
  });

  it('a strategy step that goes non-finite aborts the round and keeps the model; an engine that keeps failing says so at /healthz (503)', async () => {
    let calls = 0;
    const flaky: Strategy = {
      name: 'flaky',
      configureFit: (_r, base) => base,
      configureEvaluate: (_r, base) => base,
      aggregateEvaluate: () => ({ count: 0, totalExamples: 0, loss: null, metrics: {} }),
      aggregateFit: (_r, global, agg) => (++calls === 1 ? global.map(() => Infinity) : global.map((w, i) => w + agg.meanDelta[i]!)),
    };
    const a = await Coordinator.create({ config: { host: '127.0.0.1', port: 0, tokens: [TOKEN], ...plain(2, 1) }, initialWeights: zeros, strategy: flaky, logger: createLogger('silent', 'test') });
    try {
      const { url } = await a.listen();
      await startClients(url, [new ToyTrainer({ target: target(3) })]);
      const summaries = await a.run();
      expect(summaries[0]).toMatchObject({ status: 'aborted', abortReason: expect.stringMatching(/FT_ERR_NON_FINITE: the flaky step gives Infinity/) });
      expect(summaries[1]!.status).toBe('completed');
    } finally {
      await a.close();
    }
    const broken: Strategy = { ...flaky, name: 'broken', aggregateFit: () => {
      throw new Error('boom');
    } };
    const b = await Coordinator.create({ config: { host: '127.0.0.1', port: 0, tokens: [TOKEN], ...plain(10, 1) }, initialWeights: zeros, strategy: broken, logger: createLogger('silent', 'test') });
    try {
      const { url } = await b.listen();
      const [client] = await startClients(url, [new ToyTrainer({ target: target(3) })]);
      const summaries = await b.run();
      expect(summaries.map((s) => s.status)).toEqual(['aborted', 'aborted']);
      expect((await client!.finished).reason).toMatch(/engine failed: 3 rounds in a row ended in internal errors \(last: boom\)/);
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ ok: false, state: 'failed' });
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/fedtune_engine_up 0/);
    } finally {
      await b.close();
    }
  });
});

describe('transport', () => {
  const rawGet = (port: number, line: string) =>
    new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write(`${line}\r\nHost: x\r\nConnection: close\r\n\r\n`));
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('close', () => resolve(text));
    });

  it('closes connections that never send a request, caps open connections with a 503, and answers unknown paths 404', async () => {
    // Old code: silent TCP connections stayed open forever, and GET /socket.io.x was never answered.
    const { coordinator, url } = await startCoordinator({ ...plain(1, 1), limits: { requestHeadersMs: 300, maxConnections: 4 } });
    const port = Number(new URL(url).port);
    const silent: Socket[] = [];
    const closed = Array.from({ length: 3 }, () => {
      const s = connect(port, '127.0.0.1');
      silent.push(s);
      return new Promise<void>((r) => s.on('close', () => r()));
    });
    await Promise.all(silent.map((s) => new Promise((r) => s.once('connect', r))));
    // Three silent ones are open; a fourth and fifth: the fifth passes the cap of 4.
    const fourth = connect(port, '127.0.0.1');
    const refusal = await rawGet(port, 'GET /healthz HTTP/1.1');
    expect(refusal).toMatch(/^HTTP\/1\.1 503 Service Unavailable[\s\S]*FT_ERR_LIMIT: too many connections/);
    fourth.destroy();
    await Promise.all(closed); // the header deadline closed the silent ones
    expect(await rawGet(port, 'GET /socket.io.x HTTP/1.1')).toMatch(/^HTTP\/1\.1 404/);
    expect(await rawGet(port, 'GET /nope HTTP/1.1')).toMatch(/^HTTP\/1\.1 404/);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/fedtune_http_connections_refused_total\{reason="cap"\} 1/);
    void coordinator;
  });
});

describe('auth hygiene and metrics', () => {
  it('refuses weak tokens in the config, and backs off an address after repeated failures', async () => {
    await expect(Coordinator.create({ config: { port: 0, tokens: ['aaaaaaaaaaaaaaaaaaaaaaaa'] }, logger: createLogger('silent', 't') })).rejects.toMatchObject({ code: 'FT_ERR_CONFIG' });
    await expect(Coordinator.create({ config: { port: 0, tokens: [TOKEN], adminTokens: ['abababababababababab'] }, logger: createLogger('silent', 't') })).rejects.toMatchObject({ code: 'FT_ERR_CONFIG' });
    const lines: string[] = [];
    const c = await Coordinator.create({ config: { host: '127.0.0.1', port: 0, tokens: [TOKEN], ...plain(1, 1) }, logger: createLogger('warn', 'test', (l) => lines.push(l)) });
    try {
      const { url } = await c.listen();
      for (let i = 0; i < 5; i++) expect(await new RawNode(url).hello('wrong-token-000000000000')).toMatchObject({ ok: false, error: { code: 'FT_ERR_AUTH' } });
      // The address is backed off now: even the right token waits.
      const late = new RawNode(url);
      const notice = new Promise((r) => late.socket.once('disconnect', r));
      await notice;
      expect(late.notices[0]).toMatchObject({ code: 'FT_ERR_LIMIT' });
      const failures = lines.map((l) => JSON.parse(l) as { msg: string; address?: string }).filter((l) => l.msg === 'authentication failed');
      expect(failures.length).toBeGreaterThanOrEqual(1);
      expect(failures.length).toBeLessThan(5); // rate-limited
      expect(failures[0]!.address).toMatch(/127\.0\.0\.1/);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/fedtune_auth_failures_total 5/);
      expect(metrics).toMatch(/fedtune_refusals_total\{code="FT_ERR_LIMIT"\} 1/);
    } finally {
      await c.close();
    }
  });

  it('serves Prometheus text with HELP lines, histograms and the process metrics; /metrics can be guarded', async () => {
    const { coordinator, url } = await startCoordinator({ ...plain(1, 1), metricsAuth: true }, zeros);
    await startClients(url, [new ToyTrainer({ target: target(1) })]);
    await coordinator.run();
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const text = await (await fetch(`${url}/metrics`, admin)).text();
    expect(text).toMatch(/# HELP fedtune_rounds_total /);
    expect(text).toMatch(/fedtune_round_duration_seconds_bucket\{le="\+Inf"\} 1/);
    expect(text).toMatch(/process_cpu_user_seconds_total/);
    expect(text).toMatch(/nodejs_heap_size_used_bytes/);
    coordinator.metrics.evalLoss.set(Infinity);
    expect(await (await fetch(`${url}/metrics`, admin)).text()).toMatch(/^fedtune_eval_loss \+Inf$/m);
  });
});

void CHUNK_ELEMENTS;
