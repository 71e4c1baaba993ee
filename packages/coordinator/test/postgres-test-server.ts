// The PostgreSQL server tests run against: FEDTUNE_TEST_POSTGRES_URL, or the URL that
// scripts/ci-install-postgres.sh wrote (FEDTUNE_TEST_POSTGRES_URL_FILE, default
// /tmp/fedtune-test-postgres.url). Each test works in a fresh schema it drops afterwards, so
// tests share one database without seeing each other. Without a reachable server, `reason` says
// why and the tests skip (as the webgpu and Chromium tests do).
import { readFileSync } from 'node:fs';
import pg from 'pg';

export interface TestPostgres {
  /** The server's URL (no schema parameter). */
  url: string;
  /** A new, empty schema name; dropped with `dropSchemas`. */
  freshSchema(prefix?: string): string;
  /** `url` with `?schema=`, what `--store` takes. */
  storeUrl(schema: string): string;
  dropSchemas(): Promise<void>;
  /** The schemas on the server whose names start with `prefix` (e.g. a simulation's scratch ones). */
  schemasLike(prefix: string): Promise<string[]>;
}

function configuredUrl(): string | null {
  const env = process.env.FEDTUNE_TEST_POSTGRES_URL;
  if (env !== undefined && env !== '') return env;
  try {
    const text = readFileSync(process.env.FEDTUNE_TEST_POSTGRES_URL_FILE ?? '/tmp/fedtune-test-postgres.url', 'utf8').trim();
    return text === '' ? null : text;
  } catch {
    return null;
  }
}

/** The test server, or why there is none (then tests skip with that reason). */
export async function testPostgres(): Promise<TestPostgres | { reason: string }> {
  const url = configuredUrl();
  if (url === null) return { reason: 'no PostgreSQL configured: run scripts/ci-install-postgres.sh as root, or set FEDTUNE_TEST_POSTGRES_URL' };
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    await probe.query('SELECT 1');
  } catch (err) {
    return { reason: `PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} is not reachable (${(err as Error).message}): run scripts/ci-install-postgres.sh as root` };
  } finally {
    await probe.end().catch(() => {});
  }
  const made: string[] = [];
  return {
    url,
    freshSchema(prefix = 't') {
      const name = `${prefix}_${process.pid.toString(36)}_${Math.random().toString(36).slice(2, 10)}`;
      made.push(name);
      return name;
    },
    storeUrl(schema) {
      const u = new URL(url);
      u.searchParams.set('schema', schema);
      return u.href;
    },
    async schemasLike(prefix) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const r = await c.query<{ name: string }>('SELECT schema_name AS name FROM information_schema.schemata WHERE starts_with(schema_name, $1)', [prefix]);
        return r.rows.map((x) => x.name);
      } finally {
        await c.end();
      }
    },
    async dropSchemas() {
      if (made.length === 0) return;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        for (const s of made.splice(0)) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
