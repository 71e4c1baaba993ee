// The installed commands as a user runs them: `fedtune-coordinator serve` on port 0 in one process,
// two `fedtune-client join` processes, real sockets between them; and every command's --help.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { syntheticClassification, takeRows } from '@fedtune/client';
import { partitionIid } from '@fedtune/sim';

const bin = (name: string) => join(process.cwd(), 'node_modules', '.bin', name);
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function run(name: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(bin(name), args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  const line = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve) => {
      const check = () => {
        const m = out.match(re);
        if (m) resolve(m);
      };
      child.stdout!.on('data', check);
      check();
    });
  return { exited, line, output: () => ({ out, err }) };
}

describe('installed commands', () => {
  it('serve + two join processes train to the end and exit 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-bins-'));
    const r = seededRandom(nodeCryptoProvider, 'bins');
    const data = syntheticClassification(r, { rows: 300 });
    const files = await Promise.all(
      partitionIid(300, 2, r).map(async (rows, i) => {
        const s = takeRows(data, rows);
        const lines = [[...Array(s.numFeatures).keys()].map((j) => `f${j}`).join(',') + ',label'];
        for (let k = 0; k < s.labels.length; k++) lines.push([...s.features.subarray(k * s.numFeatures, (k + 1) * s.numFeatures)].map((x) => x.toFixed(4)).join(',') + `,${s.labels[k]}`);
        const f = join(dir, `node${i}.csv`);
        await writeFile(f, lines.join('\n'));
        return f;
      }),
    );
    const config = join(dir, 'coordinator.json');
    await writeFile(config, JSON.stringify({ port: 0, rounds: 2, minNodes: 2, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 }, logLevel: 'warn' }));
    const token = 'bins-token-0123456789abcdef';
    const coord = run('fedtune-coordinator', ['serve', '--config', config], { FEDTUNE_TOKENS: token });
    const [, url] = await coord.line(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const nodes = files.map((f) => run('fedtune-client', ['join', '--url', url!, '--data', f, '--classes', '10', '--backend', 'cpu'], { FEDTUNE_TOKEN: token }));
    expect(await Promise.all(nodes.map((n) => n.exited))).toEqual([0, 0]);
    expect(await coord.exited).toBe(0);
    expect(coord.output().out).toMatch(/finished: 2 rounds completed/);
    for (const n of nodes) expect(n.output().out).toMatch(/training finished: completed 2 rounds/);
  });

  it('every command answers --help with exit 0 and a usage line', async () => {
    for (const [name, args] of [['fedtune-sim', ['--help']], ['fedtune-coordinator', ['--help']], ['fedtune-client', ['--help']], ['fedtune-coordinator', ['privacy', '--help']]] as const) {
      const p = run(name, [...args]);
      expect(await p.exited, name).toBe(0);
      expect(p.output().out, name).toMatch(/Usage/);
    }
  });
});
