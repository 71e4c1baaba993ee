// The coordination state of several instances on a real PostgreSQL (skipped with the reason when
// none is reachable): one leader at a time, a new one within the retry interval of the old one's
// connection dying, a deposed leader's writes fenced off, group results accepted only while their
// round is open, and no node in two groups of one round.
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { nodeCryptoProvider, weightsVersion } from '@fedtune/shared';
import { testPostgres, type TestPostgres } from '../../test/postgres-test-server.js';
import { testPlan } from '../../test/round-plan-fixture.js';
import { summary } from '../../test/store-conformance.js';
import { createLogger } from '../logger.js';
import { advisoryKey, PostgresStore } from '../store/postgres-store.js';
import { ClusterTables } from './cluster-tables.js';
import { LeaderLease } from './leader-lease.js';
import type { RoundPlan } from './round-plan.js';

const server = await testPostgres();
const db = 'url' in server ? server : null;
if (db === null) console.warn(`cluster table tests skipped: ${(server as { reason: string }).reason}`);
afterAll(async () => db?.dropSchemas());

const logger = createLogger('silent', 'test');
const open = (pgdb: TestPostgres, schema: string) =>
  PostgresStore.open({ connectionString: pgdb.url, schema, description: schema, crypto: nodeCryptoProvider, retention: { keepLast: 5, keepEvery: 0 }, key: null, poolSize: 3 });

const plan = (round: number, epoch: number): RoundPlan => testPlan({ round, epoch, instances: ['a', 'b'], deadlineAt: Date.now() + 60_000 });

function elected(lease: LeaderLease): Promise<number> {
  return new Promise((resolve) => lease.once('elected', resolve));
}

describe.runIf(db !== null)('cluster tables and the leader lease', () => {
  const pgdb = db!;

  it('one leader at a time; when its connection dies another is elected within the retry interval, at the next epoch', async () => {
    const schema = pgdb.freshSchema('lease');
    const store = await open(pgdb, schema);
    const tables = new ClusterTables(store);
    const lease = (instance: string) => new LeaderLease({ connectionString: pgdb.url, schema, instance, url: `http://${instance}`, retryMs: 100, tables, logger });
    const a = lease('a');
    const b = lease('b');
    const aElected = elected(a);
    a.start();
    expect(await aElected).toBe(1);
    b.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(b.epoch).toBeNull();
    expect(await tables.leader()).toMatchObject({ epoch: 1, instance: 'a' });
    // The leader's connection dies (as when its process is killed): PostgreSQL lets go of the lock.
    const bElected = elected(b);
    const aLost = new Promise<string>((resolve) => a.once('lost', resolve));
    const killed = Date.now();
    const c = new pg.Client({ connectionString: pgdb.url });
    await c.connect();
    // Only this run's lock (other tests' instances hold their own on the same server).
    const killedRows = await c.query(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1::bigint",
      [advisoryKey(`fedtune-leader:${schema}`)],
    );
    expect(killedRows.rowCount).toBe(1);
    await c.end();
    expect(await bElected).toBe(2);
    expect(Date.now() - killed).toBeLessThan(2000);
    expect(await aLost).toMatch(/connection/);
    expect(await tables.leader()).toMatchObject({ epoch: 2, instance: 'b' });
    await Promise.all([a.close(), b.close()]);
    await store.close();
  });

  it('a deposed leader cannot plan or commit (fenced by its epoch); a group lands only while its round is open', async () => {
    const schema = pgdb.freshSchema('fence');
    const store = await open(pgdb, schema);
    const tables = new ClusterTables(store);
    const c = new pg.Client({ connectionString: pgdb.url, options: `-c search_path=${schema}` });
    await c.connect();
    expect(await tables.claimEpoch(c, 'old', 'u')).toBe(1);
    await tables.writePlan(plan(1, 1));
    expect(await tables.claimEpoch(c, 'new', 'u')).toBe(2);
    await expect(tables.writePlan(plan(2, 1))).rejects.toMatchObject({ code: 'FT_ERR_NOT_LEADER' });
    const w = { tensors: [{ name: 'w', shape: [2] }], data: new Float32Array([1, 2]) };
    const version = weightsVersion(nodeCryptoProvider, w);
    const detail = { reason: null, droppedDetail: [], participants: [], stageMs: {}, degree: null, threshold: null, uploadBytesPerClient: null, durationMs: 1 };
    expect(await tables.writeGroup({ round: 1, instance: 'a', status: 'ok', selected: 3, survivors: 3, sum: Int32Array.from([5, -7]), detail })).toBe(true);
    expect(await tables.writeGroup({ round: 1, instance: 'a', status: 'ok', selected: 3, survivors: 3, sum: Int32Array.from([9, 9]), detail })).toBe(false);
    const commit = { round: 1, summary: summary(1, { modelVersion: version }), model: { version, weights: w }, ledger: [], participants: [], at: 1 };
    await expect(tables.commitPlanned(1, commit)).rejects.toMatchObject({ code: 'FT_ERR_NOT_LEADER' });
    expect(await store.runState()).toBeNull();
    expect((await tables.groups(1, 2))[0]!.sum).toEqual(Int32Array.from([5, -7]));
    await tables.commitPlanned(2, commit);
    expect((await store.runState())!.lastRound).toBe(1);
    await expect(tables.commitPlanned(2, commit)).rejects.toMatchObject({ code: 'FT_ERR_STORE', message: expect.stringMatching(/already committed/) });
    // Too late: the round closed, so the sum is never stored; and committed sums are dropped.
    expect(await tables.writeGroup({ round: 1, instance: 'b', status: 'ok', selected: 3, survivors: 3, sum: Int32Array.from([1, 1]), detail })).toBe(false);
    expect((await tables.groups(1, 2)).map((g) => [g.instance, g.sum])).toEqual([['a', null]]);
    expect(await tables.openPlan()).toBeNull();
    await c.end();
    await store.close();
  });

  it('no node in two groups of one round: concurrent claims are disjoint, and a later round claims afresh', async () => {
    const schema = pgdb.freshSchema('claims');
    const store = await open(pgdb, schema);
    const tables = new ClusterTables(store);
    const nodes = Array.from({ length: 200 }, (_, i) => `n${i}`);
    const [a, b, c] = await Promise.all([tables.claim(7, 'a', nodes.slice(0, 150)), tables.claim(7, 'b', nodes.slice(50, 200)), tables.claim(7, 'c', nodes)]);
    const all = [...a!, ...b!, ...c!];
    expect(all.length).toBe(200);
    expect(new Set(all).size).toBe(200);
    expect((await tables.claim(8, 'b', nodes.slice(0, 10))).size).toBe(10);
    expect((await tables.claim(8, 'a', [])).size).toBe(0);
    await store.close();
  });
});
