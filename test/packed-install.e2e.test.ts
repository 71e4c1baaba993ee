// The SDK installs on its own: the shared, client and coordinator packages are packed as they would
// be published (`pnpm pack`: workspace:* becomes a version), installed with npm into fresh folders
// outside the workspace, and a plain JavaScript edge node (no TypeScript, no tsx) completes two
// rounds against a coordinator started from the packed @fedtune/coordinator. The edge node's
// dependency tree holds neither the coordinator nor the socket.io server.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { writeCsvShards } from './helpers/csv-data.js';
import { runProcess } from './helpers/processes.js';

const exec = promisify(execFile);
const root = process.cwd();
const work = await mkdtemp(join(tmpdir(), 'fedtune-packed-'));
afterAll(() => rm(work, { recursive: true, force: true }));

/** pnpm as the test was started with (`pnpm test`), else through npx. */
function pnpm(args: string[], cwd: string) {
  const viaPnpm = process.env.npm_execpath?.includes('pnpm') === true;
  return viaPnpm ? exec(process.execPath, [process.env.npm_execpath!, ...args], { cwd }) : exec('npx', ['-y', 'pnpm@10', ...args], { cwd });
}

async function pack(pkg: string, into: string): Promise<string> {
  await pnpm(['pack', '--pack-destination', into], join(root, 'packages', pkg));
  const file = (await readdir(into)).find((f) => f.startsWith(`fedtune-${pkg}-`) && f.endsWith('.tgz'));
  if (file === undefined) throw new Error(`pnpm pack left no tarball for ${pkg}`);
  return join(into, file);
}

/**
 * A fresh npm project depending on the given tarballs; @fedtune/shared pinned to its tarball
 * everywhere. `scripts`: let install scripts run (the coordinator's store, better-sqlite3, builds
 * its native addon; offline, from source with node-gyp).
 */
async function install(dir: string, tarballs: Record<string, string>, scripts = false): Promise<void> {
  await mkdir(dir, { recursive: true });
  const dependencies = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fedtune-packed-test', private: true, type: 'module', dependencies, overrides: { '@fedtune/shared': '$@fedtune/shared' } }, null, 2));
  // --omit=optional: the edge node here trains on wasm/cpu, so the GPU packages (webgpu: ~130 MB) stay out.
  await exec('npm', ['install', '--omit=optional', ...(scripts ? [] : ['--ignore-scripts']), '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, maxBuffer: 64 * 2 ** 20 });
}

/** Every package name in an npm tree (`npm ls --all --json`). */
function names(tree: { dependencies?: Record<string, unknown> }, into = new Set<string>()): Set<string> {
  for (const [name, sub] of Object.entries(tree.dependencies ?? {})) {
    into.add(name);
    names(sub as { dependencies?: Record<string, unknown> }, into);
  }
  return into;
}

describe('packed install', () => {
  it('a plain JavaScript edge node from the packed client completes two rounds against the packed coordinator', async () => {
    const tarballs = join(work, 'tarballs');
    await mkdir(tarballs);
    const shared = await pack('shared', tarballs);
    const client = await pack('client', tarballs);
    const coordinator = await pack('coordinator', tarballs);
    const edge = join(work, 'edge');
    const server = join(work, 'server');
    await Promise.all([
      install(edge, { '@fedtune/client': client, '@fedtune/shared': shared }),
      install(server, { '@fedtune/coordinator': coordinator, '@fedtune/shared': shared }, true),
    ]);

    const edgeTree = names(JSON.parse((await exec('npm', ['ls', '--all', '--json'], { cwd: edge, maxBuffer: 64 * 2 ** 20 })).stdout) as { dependencies?: Record<string, unknown> });
    expect(edgeTree.has('@fedtune/client')).toBe(true);
    expect(edgeTree.has('socket.io-client')).toBe(true);
    for (const absent of ['@fedtune/coordinator', 'socket.io', '@fedtune/sim', 'tsx', 'typescript']) expect(edgeTree.has(absent), absent).toBe(false);

    // The installed bin runs with plain node, tsx nowhere in the tree.
    const version = await exec(process.execPath, [join(edge, 'node_modules', '@fedtune', 'client', 'bin', 'fedtune-client.mjs'), '--version']);
    expect(version.stdout).toMatch(/^fedtune-client \d+\.\d+\.\d+/);

    const token = 'packed-token-0123456789abcdef';
    await writeFile(join(server, 'coordinator.json'), JSON.stringify({ port: 0, rounds: 2, minNodes: 1, minResults: 1, selection: { kind: 'uniform', clientsPerRound: 1, overSelection: 0 }, logLevel: 'warn', dataDir: join(server, 'store') }));
    const coord = runProcess(process.execPath, [join(server, 'node_modules', '.bin', 'fedtune-coordinator'), 'serve', '--config', 'coordinator.json'], { cwd: server, env: { FEDTUNE_TOKENS: token } });
    const [, url] = await coord.line(/listening on (http:\/\/127\.0\.0\.1:\d+)/);

    const [data] = await writeCsvShards(edge, 1, 120, 'packed');
    await writeFile(
      join(edge, 'node.mjs'),
      `import { FederatedClient, LayersModelTrainer, activeBackend, buildMlp, loadTabular, splitValidation } from '@fedtune/client';
await activeBackend('cpu');
const data = await loadTabular(process.argv[2], 'label', 10);
const { train, validation } = splitValidation(data, 0.2);
const model = buildMlp({ inputs: data.numFeatures, hidden: [16], classes: 10, learningRate: 0.1 });
const client = new FederatedClient({ url: process.env.FEDTUNE_URL, token: process.env.FEDTUNE_TOKEN, trainer: new LayersModelTrainer({ model, train, validation }) });
client.on('fitDone', ({ round }) => console.log('trained round', round));
await client.start();
console.log('finished:', (await client.finished).reason);
await client.close();
`,
    );
    const node = runProcess(process.execPath, ['node.mjs', data!], { cwd: edge, env: { FEDTUNE_URL: url!, FEDTUNE_TOKEN: token } });
    expect(await node.exited).toBe(0);
    expect(node.output().out).toMatch(/trained round 1\ntrained round 2\nfinished: completed 2 rounds/);
    expect(await coord.exited).toBe(0);
    expect(coord.output().out).toMatch(/finished: 2 rounds completed/);
  }, 600_000);
});
