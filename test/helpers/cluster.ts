// Several coordinator instances on one PostgreSQL schema for end-to-end tests: in this process
// (Coordinator objects) or as real `fedtune-coordinator serve --store postgres://...` processes,
// and nodes whose URL lists are rotated so they spread across the instances. Everything started
// here is torn down after each test, and the schemas are dropped after the file.
import { afterAll, afterEach } from 'vitest';
import { Coordinator, createLogger, type CoordinatorConfigInput } from '@fedtune/coordinator';
import { FederatedClient, type LocalTrainer } from '@fedtune/client';
import { testPostgres, type TestPostgres } from '../../packages/coordinator/test/postgres-test-server.js';
import { runBin, type Running } from './processes.js';

export const CLUSTER_TOKEN = 'cluster-token-0123456789abcdef';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

let server: TestPostgres | { reason: string } | null = null;
afterAll(async () => {
  if (server !== null && 'url' in server) await server.dropSchemas();
});

/** The test PostgreSQL, or why there is none (the caller skips with it). */
export async function clusterDb(): Promise<TestPostgres | { reason: string }> {
  server ??= await testPostgres();
  return server;
}

/** `n` in-process instances on one fresh schema, listening on port 0. */
export async function startInstances(db: TestPostgres, n: number, config: CoordinatorConfigInput): Promise<{ coordinators: Coordinator[]; urls: string[]; schema: string }> {
  const schema = db.freshSchema('cl');
  const coordinators: Coordinator[] = [];
  const urls: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = await Coordinator.create({
      config: { host: '127.0.0.1', port: 0, tokens: [CLUSTER_TOKEN], maxSessionsPerToken: 100_000, ...config, store: { url: db.storeUrl(schema), poolSize: 4, ...config.store } },
      logger: createLogger(process.env.FEDTUNE_TEST_LOG === '1' ? 'debug' : 'silent', `instance-${i}`),
    });
    cleanups.push(() => c.close());
    coordinators.push(c);
    urls.push((await c.listen()).url);
  }
  return { coordinators, urls, schema };
}

/** A node's URL list: every instance, starting at the i-th (so nodes spread evenly). */
export function rotated(urls: readonly string[], i: number): string[] {
  return urls.map((_, j) => urls[(i + j) % urls.length]!);
}

/** Nodes over the instances (node i starts at instance i mod n), started and registered for teardown. */
export async function startNodes(urls: readonly string[], trainers: LocalTrainer[], extra: Partial<ConstructorParameters<typeof FederatedClient>[0]> = {}): Promise<FederatedClient[]> {
  const clients = trainers.map(
    (trainer, i) => new FederatedClient({ url: rotated(urls, i), token: CLUSTER_TOKEN, trainer, nodeName: `n${i}`, reconnect: { initialDelayMs: 50, maxDelayMs: 500 }, requestTimeoutMs: 60_000, ...extra }),
  );
  for (const c of clients) {
    c.on('error', (e) => {
      if (process.env.FEDTUNE_TEST_LOG === '1') process.stderr.write(`client error ${e.code}: ${e.message}\n`);
    });
    cleanups.push(() => c.close());
  }
  await Promise.all(clients.map((c) => c.start()));
  return clients;
}

/** The first match of `re` in a process's output; fails (with its last output) if the process exits first. */
export async function waitLine(p: Running, re: RegExp, stream: 'out' | 'err' = 'out'): Promise<RegExpMatchArray> {
  const exited = p.exited.then((code) => {
    const o = p.output();
    throw new Error(`the process exited (${code}) before ${re}: ${(o.out + o.err).slice(-2000)}`);
  });
  return Promise.race([p.line(re, stream), exited]);
}

/** A `fedtune-coordinator serve` process on the schema, with its JSON logs on stderr. */
export function startServe(storeUrl: string, configPath: string, env: Record<string, string> = {}): Running {
  const p = runBin('fedtune-coordinator', ['serve', '--config', configPath, '--store', storeUrl, '--port', '0'], { FEDTUNE_TOKENS: CLUSTER_TOKEN, ...env });
  cleanups.push(async () => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  });
  return p;
}
