// The installed commands as a user runs them: `fedtune-coordinator serve` on port 0 in one process,
// two `fedtune-client join` processes, real sockets between them; and the command-line conventions
// every command keeps (--version, per-command --help, one-line refusals with exit code 2).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCsvShards } from './helpers/csv-data.js';
import { runBin as run } from './helpers/processes.js';

describe('installed commands', () => {
  it('serve + two join processes train to the end and exit 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-bins-'));
    const files = await writeCsvShards(dir, 2);
    const config = join(dir, 'coordinator.json');
    await writeFile(config, JSON.stringify({ port: 0, rounds: 2, minNodes: 2, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 }, logLevel: 'warn', dataDir: join(dir, 'store') }));
    const token = 'bins-token-0123456789abcdef';
    const coord = run('fedtune-coordinator', ['serve', '--config', config], { FEDTUNE_TOKENS: token });
    const [, url] = await coord.line(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const nodes = files.map((f) => run('fedtune-client', ['join', '--url', url!, '--data', f, '--classes', '10', '--backend', 'cpu'], { FEDTUNE_TOKEN: token }));
    expect(await Promise.all(nodes.map((n) => n.exited))).toEqual([0, 0]);
    expect(await coord.exited).toBe(0);
    expect(coord.output().out).toMatch(/finished: 2 rounds completed/);
    for (const n of nodes) {
      expect(n.output().out).toMatch(/training finished: completed 2 rounds/);
      // No TensorFlow.js banner and no native driver warnings without --verbose.
      expect(n.output().err).not.toMatch(/Hi, looks like you are running TensorFlow\.js|artificially reduced/);
    }
  });

  it('--version, and --help / -h on every command and subcommand with its own text', async () => {
    const cases: [string, string[], RegExp][] = [
      ['fedtune-sim', ['--help'], /^Usage: fedtune-sim <command>/],
      ['fedtune-sim', ['run', '--help'], /^Usage: fedtune-sim run \[options\][\s\S]*--secagg/],
      ['fedtune-sim', ['canary', '-h'], /^Usage: fedtune-sim canary/],
      ['fedtune-coordinator', ['-h'], /^Usage: fedtune-coordinator <command>/],
      ['fedtune-coordinator', ['serve', '--help'], /^Usage: fedtune-coordinator serve[\s\S]*--config FILE/],
      ['fedtune-coordinator', ['privacy', '--help'], /^Usage: fedtune-coordinator privacy/],
      ['fedtune-coordinator', ['hash-token', '-h'], /^Usage: fedtune-coordinator hash-token/],
      ['fedtune-client', ['--help'], /^Usage: fedtune-client <command>/],
      ['fedtune-client', ['join', '--help'], /^Usage: fedtune-client join[\s\S]*--data PATH/],
      ['fedtune-client', ['doctor', '-h'], /^Usage: fedtune-client doctor/],
      ['fedtune-client', ['help', 'join'], /^Usage: fedtune-client join/],
    ];
    for (const [name, args, re] of cases) {
      const p = run(name, args);
      expect(await p.exited, `${name} ${args.join(' ')}`).toBe(0);
      expect(p.output().out, `${name} ${args.join(' ')}`).toMatch(re);
    }
    for (const name of ['fedtune-sim', 'fedtune-coordinator', 'fedtune-client']) {
      const p = run(name, ['--version']);
      expect(await p.exited).toBe(0);
      expect(p.output().out).toMatch(new RegExp(`^${name} \\d+\\.\\d+\\.\\d+\\n$`));
    }
  });

  it('an unknown flag or a bad value exits 2 with one line naming the flag', async () => {
    const cases: [string, string[], RegExp][] = [
      ['fedtune-sim', ['run', '--bogus'], /^fedtune-sim run: unknown flag --bogus \(see fedtune-sim run --help\)\n$/],
      ['fedtune-sim', ['run', '--clients', 'x'], /^fedtune-sim run: --clients must be an integer >= 1, got "x"/],
      ['fedtune-sim', ['run', '--rounds'], /^fedtune-sim run: --rounds needs a value/],
      ['fedtune-coordinator', ['serve', '--port', 'eighty'], /^fedtune-coordinator serve: --port must be an integer/],
      ['fedtune-coordinator', ['serve', '--nope'], /^fedtune-coordinator serve: unknown flag --nope/],
      ['fedtune-coordinator', ['frobnicate'], /^fedtune-coordinator: unknown command "frobnicate"/],
      ['fedtune-client', ['join', '--url', 'http://x', '--token', 't', '--data', 'd', '--backend', 'cuda'], /^fedtune-client join: --backend must be one of/],
      ['fedtune-client', ['doctor', '--jsn'], /^fedtune-client doctor: unknown flag --jsn/],
      ['fedtune-client', ['join', '--url', 'http://a:1,,http://b:1', '--token', 't', '--data', 'd'], /^fedtune-client join: --url: an empty URL in the list/],
      // A mistyped store scheme is refused without echoing the URL (it may hold a password).
      ['fedtune-coordinator', ['serve', '--store', 'postgress://u:pw-s3cret@h/db'], /^fedtune-coordinator serve: --store takes a postgres:\/\/user@host:port\/database URL \(not echoed/],
    ];
    for (const [name, args, re] of cases) {
      const p = run(name, args);
      expect(await p.exited, `${name} ${args.join(' ')}`).toBe(2);
      const { err, out } = p.output();
      expect(err, `${name} ${args.join(' ')}`).toMatch(re);
      expect(err.trimEnd().split('\n'), `${name} ${args.join(' ')}`).toHaveLength(1);
      expect(out).toBe('');
    }
  });

  it('join says within 5 s that no coordinator answers, and keeps retrying with a visible backoff', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-unreachable-'));
    const [data] = await writeCsvShards(dir, 1, 40);
    // A port that accepts TCP connections and never speaks: the worst case for a client.
    const held: Socket[] = [];
    const silent = createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const node = run('fedtune-client', ['join', '--url', `http://127.0.0.1:${port}`, '--token', 'x'.repeat(24), '--data', data!, '--classes', '10', '--backend', 'cpu']);
      // The backend line is printed just before the first connection attempt.
      await node.line(/training backend cpu/, 'err');
      const started = Date.now();
      await node.line(/no coordinator answers at http:\/\/127\.0\.0\.1:\d+ \(.+\); retry 1 in about [\d.]+ s/, 'err');
      expect(Date.now() - started).toBeLessThan(5000);
      await node.line(/retry 2 in about [\d.]+ s/, 'err');
      expect(node.child.exitCode).toBeNull();
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });
});
