// The PostgreSQL store: the Store conformance suite against a real server (skipped with the reason
// when none is reachable), plus what only a shared server shows: instances opening one empty
// schema at once migrate it once, two commits of one round never both land, a newer schema is
// refused, sealed values are unreadable in the tables, and a hostile schema name never reaches SQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { nodeCryptoProvider, weightsVersion } from '@fedtune/shared';
import { describeStoreConformance, summary, type StoreOpenOptions } from '../../test/store-conformance.js';
import { testPostgres, type TestPostgres } from '../../test/postgres-test-server.js';
import { parsePostgresUrl } from './postgres-url.js';
import { PostgresStore } from './postgres-store.js';

const server = await testPostgres();
const db = 'url' in server ? server : null;
if (db === null) console.warn(`PostgreSQL store tests skipped: ${(server as { reason: string }).reason}`);

const open = (pgdb: TestPostgres, schema: string, o: StoreOpenOptions = {}, extra: Partial<Parameters<typeof PostgresStore.open>[0]> = {}) =>
  PostgresStore.open({
    connectionString: pgdb.url,
    schema,
    description: `postgres:test?schema=${schema}`,
    crypto: nodeCryptoProvider,
    retention: o.retention ?? { keepLast: 10, keepEvery: 0 },
    key: o.key ?? null,
    poolSize: 3,
    ...extra,
  });

afterAll(async () => {
  await db?.dropSchemas();
});

describe.runIf(db !== null)('PostgresStore', () => {
  const pgdb = db!;
  describeStoreConformance('PostgresStore', async () => {
    const schema = pgdb.freshSchema('conf');
    return { open: (o) => open(pgdb, schema, o) };
  });

  let w: { tensors: { name: string; shape: number[] }[]; data: Float32Array };
  let version: string;
  beforeAll(() => {
    w = { tensors: [{ name: 'w', shape: [4096] }], data: new Float32Array(4096).map((_, i) => Math.fround(1.2345 + i * 1e-3)) };
    version = weightsVersion(nodeCryptoProvider, w);
  });

  it('three instances opening one empty schema at once migrate it once and agree on the key', async () => {
    const schema = pgdb.freshSchema('race');
    const key = new Uint8Array(32).fill(5);
    const stores = await Promise.all([0, 1, 2].map(() => open(pgdb, schema, { key })));
    const c = new pg.Client({ connectionString: pgdb.url });
    await c.connect();
    try {
      const versions = (await c.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).rows.map((r) => r.version);
      expect(versions).toEqual([1, 2]);
      expect((await c.query(`SELECT COUNT(*)::int AS n FROM ${schema}.meta WHERE key = 'key_check'`)).rows[0].n).toBe(1);
    } finally {
      await c.end();
    }
    await stores[0]!.commitRound({ round: 1, summary: summary(1, { modelVersion: version }), model: { version, weights: w }, ledger: [], participants: [], at: 1 });
    expect((await stores[2]!.runState())!.modelVersion).toBe(version);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('two instances committing the same round at once: exactly one lands, the other is refused whole', async () => {
    const schema = pgdb.freshSchema('dup');
    const [a, b] = await Promise.all([open(pgdb, schema), open(pgdb, schema)]);
    await a!.commitRound({ round: 1, summary: summary(1, { modelVersion: version }), model: { version, weights: w }, ledger: [], participants: [], at: 1 });
    const other = { tensors: w.tensors, data: w.data.map((x) => x + 1) };
    const otherVersion = weightsVersion(nodeCryptoProvider, other);
    const entry = (round: number) => ({ round, mode: 'distributed' as const, clip: 1, event: { kind: 'sampled-discrete-gaussian' as const, samplingRate: 0.5, noiseMultiplier: 1 } });
    const results = await Promise.allSettled([
      a!.commitRound({ round: 2, summary: summary(2, { modelVersion: version }), model: { version, weights: w }, ledger: [entry(2)], participants: [], at: 2 }),
      b!.commitRound({ round: 2, summary: summary(2, { modelVersion: otherVersion }), model: { version: otherVersion, weights: other }, ledger: [entry(2)], participants: [], at: 2 }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['FT_ERR_STORE']);
    expect(await a!.ledger()).toEqual([entry(2)]);
    const winner = (await a!.runState())!.modelVersion;
    const loser = winner === version ? otherVersion : version;
    if (loser === otherVersion) expect(await a!.model(otherVersion)).toBeNull();
    expect((await a!.rounds(null, 10)).map((s) => s.modelVersion)).toEqual([version, winner]);
    await Promise.all([a!.close(), b!.close()]);
  });

  it('refuses a schema written by a newer coordinator, and a read-only open of nothing', async () => {
    const schema = pgdb.freshSchema('newer');
    await (await open(pgdb, schema)).close();
    const c = new pg.Client({ connectionString: pgdb.url });
    await c.connect();
    await c.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES (99, 'future')`);
    await c.end();
    await expect(open(pgdb, schema)).rejects.toMatchObject({ code: 'FT_ERR_STORE', message: expect.stringMatching(/schema version 99/) });
    await expect(open(pgdb, pgdb.freshSchema('absent'), {}, { readonly: true })).rejects.toMatchObject({ code: 'FT_ERR_STORE', message: expect.stringMatching(/holds no fedtune store/) });
  });

  it('keeps sealed values unreadable in the tables: no weight bytes, no ledger text, no strategy state', async () => {
    for (const key of [null, new Uint8Array(32).fill(1)]) {
      const schema = pgdb.freshSchema('seal');
      const store = await open(pgdb, schema, { key });
      const ledger = [{ round: 1, mode: 'central' as const, clip: 1, event: { kind: 'sampled-discrete-gaussian' as const, samplingRate: 0.123456789, noiseMultiplier: 1.1 } }];
      await store.commitRound({ round: 1, summary: summary(1, { modelVersion: version }), model: { version, weights: w }, strategyState: { secretMoment: 'moment-0123456789' }, ledger, participants: [], at: 1 });
      await store.close();
      const c = new pg.Client({ connectionString: pgdb.url });
      await c.connect();
      const blob = (await c.query(`SELECT blob FROM ${schema}.models`)).rows[0].blob as Buffer;
      const entry = (await c.query(`SELECT entry FROM ${schema}.ledger`)).rows[0].entry as Buffer;
      const state = (await c.query(`SELECT strategy_state FROM ${schema}.run_state`)).rows[0].strategy_state as Buffer;
      await c.end();
      expect(blob.includes(Buffer.from(w.data.buffer).subarray(0, 64))).toBe(key === null);
      expect(entry.includes(Buffer.from('0.123456789'))).toBe(key === null);
      expect(state.includes(Buffer.from('moment-0123456789'))).toBe(key === null);
    }
  });

  it('hostile URLs and schema names are refused before any SQL', () => {
    expect(() => parsePostgresUrl('mysql://u@h/db')).toThrow(/postgres:\/\//);
    expect(() => parsePostgresUrl('postgres://u@h')).toThrow(/name the database/);
    expect(() => parsePostgresUrl('not a url')).toThrow(/not a URL/);
    for (const bad of ['x; DROP TABLE nodes', 'Upper', '1abc', 'a'.repeat(41), '"q"', '']) {
      expect(() => parsePostgresUrl(`postgres://u@h/db?schema=${encodeURIComponent(bad)}`)).toThrow(expect.objectContaining({ code: 'FT_ERR_CONFIG' }));
    }
    const a = parsePostgresUrl('postgresql://user:s3cret@h:5433/db?schema=run_7&sslmode=disable');
    expect(a).toEqual({ connectionString: 'postgresql://user:s3cret@h:5433/db?sslmode=disable', schema: 'run_7', description: 'postgres://user@h:5433/db?sslmode=disable&schema=run_7' });
    expect(parsePostgresUrl('postgres://u@h/db').schema).toBe('fedtune');
  });

  it('an unreachable server is a clear FT_ERR_STORE, not a hang or a crash', async () => {
    await expect(
      PostgresStore.open({ connectionString: 'postgres://nobody:x@127.0.0.1:1/none', schema: 'x', description: 'postgres://127.0.0.1:1/none', crypto: nodeCryptoProvider, retention: { keepLast: 1, keepEvery: 0 }, key: null }),
    ).rejects.toMatchObject({ code: 'FT_ERR_STORE', message: expect.stringMatching(/cannot (use|reach) postgres:\/\/127\.0\.0\.1:1\/none/) });
  });
});
