// `fedtune-sim run --instances 3 --store postgres://...` end to end (issue 13's done-when, small):
// three coordinator instances on one PostgreSQL schema, real tfjs MLP nodes spread over them by
// their rotated URL lists, SecAgg in groups with distributed DP; the scratch schema is dropped
// after the run and the report never carries the store's password.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../packages/sim/src/cli/sim-cli.js';
import type { SimulationReport } from '@fedtune/sim';
import { clusterDb } from './helpers/cluster.js';

const db = await clusterDb();
if (!('url' in db)) console.warn(`fedtune-sim --instances tests skipped: ${db.reason}`);

describe('fedtune-sim run --instances', () => {
  it.runIf('url' in db)('three instances, 60 MLP nodes, SecAgg groups with distributed DP: every round adds one group per instance', async () => {
    const pgdb = db as Exclude<typeof db, { reason: string }>;
    const url = pgdb.url;
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-sim-cluster-'));
    const report = join(dir, 'r.json');
    let stdout = '';
    let stderr = '';
    const code = await main(
      ['run', '--instances', '3', '--store', url, '--clients', '60', '--rounds', '2', '--secagg', '--dp', 'distributed', '--noise', '1', '--backend', 'cpu', '--workers', '0', '--seed', '5', '--report', report, '--quiet'],
      (s) => (stdout += s),
      (s) => (stderr += s),
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/2 rounds completed/);
    const r = JSON.parse(await readFile(report, 'utf8')) as SimulationReport;
    expect(r.config).toMatchObject({ instances: 3 });
    const password = new URL(url).password;
    if (password !== '') expect(JSON.stringify(r)).not.toContain(password);
    expect(r.rounds.map((x) => [x.status, x.survivors])).toEqual([
      ['completed', 60],
      ['completed', 60],
    ]);
    for (const round of r.rounds) {
      // 60 nodes rotated over 3 instances: 20 each, every group summed on its own instance.
      expect(round.groups!.map((g) => [g.status, g.survivors])).toEqual([
        ['ok', 20],
        ['ok', 20],
        ['ok', 20],
      ]);
      expect(new Set(round.groups!.map((g) => g.instance)).size).toBe(3);
      expect(round.groups!.every((g) => g.unmaskMs !== null && g.unmaskMs >= 0)).toBe(true);
    }
    // One charge per round (not one per group): epsilon grows, as on one instance.
    expect(r.rounds[0]!.epsilon!).toBeGreaterThan(0);
    expect(r.rounds[1]!.epsilon!).toBeGreaterThan(r.rounds[0]!.epsilon!);
    expect(r.final.roundsCompleted).toBe(2);
    // The run's scratch schema (named in the report) is gone.
    const schema = new URL(r.config.store as string).searchParams.get('schema')!;
    expect(schema).toMatch(/^sim_/);
    expect(await pgdb.schemasLike(schema)).toEqual([]);
  }, 240_000);

  it('refuses --instances without a store, a store without SecAgg, central DP on a store, and a non-PostgreSQL store', async () => {
    const cases: [string[], RegExp][] = [
      [['--instances', '3'], /needs --store postgres/],
      [['--store', 'postgres://u@127.0.0.1:1/db'], /add --secagg/],
      [['--store', 'postgres://u@127.0.0.1:1/db', '--secagg', '--dp', 'central', '--noise', '1'], /not available with a PostgreSQL store/],
      [['--store', 'sqlite:///tmp/x.db', '--secagg'], /takes a postgres:\/\//],
      // A mistyped scheme: refused without echoing the URL's password.
      [['--store', 'postgress://u:s3cret-pw@127.0.0.1/db', '--secagg'], /^(?![\s\S]*s3cret-pw)[\s\S]*takes a postgres:\/\//],
      [['--instances', '0', '--store', 'postgres://u@127.0.0.1:1/db', '--secagg'], /--instances/],
    ];
    for (const [flags, re] of cases) {
      let stderr = '';
      const code = await main(['run', '--clients', '4', '--rounds', '1', ...flags], () => {}, (s) => (stderr += s));
      expect(code, flags.join(' ')).toBe(2);
      expect(stderr).toMatch(re);
    }
    let help = '';
    await main(['run', '--help'], (s) => (help += s), () => {});
    for (const flag of ['--instances N', '--store URL', '--min-group-size M']) expect(help).toContain(flag);
  });
});
