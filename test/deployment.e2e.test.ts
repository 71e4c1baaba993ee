// The README's deployment walk-through, run as written (issue 11, "Done when"): tokens, serve, two
// join processes, a graceful restart they survive, the dashboard from the store, export, and for a
// language model: join --save, export of the adapters, generate over them and over the merged
// model. A last test checks every command line of that README section against its command's help.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '@fedtune/coordinator';
import { gptParameterShapes, initGptWeights, serializeSafetensors, tinyGptConfig } from '@fedtune/client';
import { nodeCryptoProvider, seededRandom, weightsFromSafetensors } from '@fedtune/shared';
import { writeCsvShards } from './helpers/csv-data.js';
import { runBin as run } from './helpers/processes.js';

const parseToken = (out: string) => ({ token: /^token: (\S+)$/m.exec(out)![1]!, hash: /^hash: +([0-9a-f]{64})$/m.exec(out)![1]! });

async function newToken(label: string) {
  const p = run('fedtune-coordinator', ['token', 'new', '--label', label]);
  expect(await p.exited).toBe(0);
  return parseToken(p.output().out);
}

const readWeights = async (path: string) => weightsFromSafetensors(new Uint8Array(await readFile(path)));

/** [start, end) of tensor i in the flat vector. */
function offsetOf(tensors: readonly { shape: readonly number[] }[], i: number): [number, number] {
  const size = (t: { shape: readonly number[] }) => t.shape.reduce((a, b) => a * b, 1);
  const start = tensors.slice(0, i).reduce((n, t) => n + size(t), 0);
  return [start, start + size(tensors[i]!)];
}

describe('the README deployment, as written', () => {
  it('token, serve, join --save, a SIGTERM restart the nodes survive, the dashboard from the store, export', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-deploy-'));
    const [a, b, adminToken] = [await newToken('clinic-a'), await newToken('clinic-b'), await newToken('admin')];
    const config = join(dir, 'coordinator.json');
    await writeFile(
      config,
      JSON.stringify({
        host: '127.0.0.1',
        port: 0,
        tokenHashes: [{ hash: a!.hash, label: 'clinic-a' }, { hash: b!.hash, label: 'clinic-b' }],
        adminTokenHashes: [adminToken!.hash],
        rounds: 4,
        minNodes: 2,
        selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 },
        minResults: 2,
        dataDir: join(dir, 'store'),
        trainConfig: { epochs: 8 },
        logLevel: 'warn',
      }),
    );
    const data = await writeCsvShards(dir, 2);
    let serve = run('fedtune-coordinator', ['serve', '--config', config]);
    const [, url, port] = (await serve.line(/listening on (http:\/\/127\.0\.0\.1:(\d+))/))!;
    const saved = [join(dir, 'a.safetensors'), join(dir, 'b.safetensors')];
    const nodes = [a!, b!].map((t, i) => run('fedtune-client', ['join', '--url', url!, '--data', data[i]!, '--classes', '10', '--save', saved[i]!, '--backend', 'cpu'], { FEDTUNE_TOKEN: t.token }));
    await nodes[0]!.line(/round 1 completed/, 'err');
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(serve.output().out).toMatch(/stopped after round [123] of 4; restart with the same store to resume/);
    for (const n of nodes) await n.line(/coordinator restarting \(.*\); reconnecting in about [\d.]+ s/, 'err');
    expect(nodes.map((n) => n.child.exitCode)).toEqual([null, null]);
    serve = run('fedtune-coordinator', ['serve', '--config', config, '--port', port!]);
    expect(await Promise.all(nodes.map((n) => n.exited))).toEqual([0, 0]);
    expect(await serve.exited).toBe(0);
    expect(serve.output().out).toMatch(/finished: 4 rounds completed; model [0-9a-f]{64}/);
    for (const n of nodes) {
      expect(n.output().out).toMatch(/training finished: completed 4 rounds/);
      expect(n.output().out).toMatch(/saved the final model to /);
    }

    const dash = run('fedtune-coordinator', ['dashboard', '--config', config, '--port', '0']);
    const [, dashUrl] = (await dash.line(/on (http:\/\/127\.0\.0\.1:\d+)\//))!;
    const basic = { headers: { authorization: `Basic ${Buffer.from(`ops:${adminToken!.token}`).toString('base64')}` } };
    expect((await fetch(`${dashUrl}/`)).status).toBe(401);
    const page = await (await fetch(`${dashUrl}/`, basic)).text();
    expect(page).toContain('round</span> 4/4');
    expect(page).toContain('training finished: 4 of 4 rounds completed');
    expect(page).toMatch(/<tr class="offline"><td><code>[0-9a-f]{12}<\/code><\/td><td>/);
    dash.child.kill('SIGTERM');
    expect(await dash.exited).toBe(0);

    const out = join(dir, 'model.safetensors');
    const exported = run('fedtune-coordinator', ['export', '--config', config, '--out', out]);
    expect(await exported.exited).toBe(0);
    const fromStore = await readWeights(out);
    const fromNode = await readWeights(saved[0]!);
    expect(fromStore.weights.data).toEqual(fromNode.weights.data);
    expect(fromStore.metadata).toMatchObject({ format: 'fedtune-model', model: 'mlp', 'fedtune.round': '4', 'fedtune.version': fromNode.metadata['fedtune.version'] });
    expect(await run('fedtune-coordinator', ['export', '--config', config, '--round', '2', '--out', join(dir, 'r2.safetensors')]).exited).toBe(0);
    const missing = run('fedtune-coordinator', ['export', '--config', config, '--round', '99', '--out', join(dir, 'r99.safetensors')]);
    expect(await missing.exited).toBe(1);
    expect(missing.output().err).toMatch(/^fedtune-coordinator export: error FT_ERR_UNKNOWN_MODEL: .*round 99 is not in the store\n$/);
  });

  it('two CSV nodes without --classes, one lacking a class: the one that does not fit is refused with the cause and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-classes-'));
    const token = 'classes-token-0123456789abcdef';
    const config = join(dir, 'c.json');
    await writeFile(config, JSON.stringify({ port: 0, rounds: 3, minNodes: 2, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 }, dataDir: join(dir, 'store'), logLevel: 'warn', fitDeadlineMs: 20_000 }));
    // Node A sees labels 0-2, node B only 0-1: each infers its own number of classes.
    await writeFile(join(dir, 'a.csv'), 'x,label\n' + Array.from({ length: 30 }, (_, i) => `${i / 30},${i % 3}`).join('\n'));
    await writeFile(join(dir, 'b.csv'), 'x,label\n' + Array.from({ length: 30 }, (_, i) => `${i / 30},${i % 2}`).join('\n'));
    const serve = run('fedtune-coordinator', ['serve', '--config', config], { FEDTUNE_TOKENS: token });
    const [, url] = (await serve.line(/listening on (http:\/\/127\.0\.0\.1:\d+)/))!;
    const nodes = ['a', 'b'].map((n) => run('fedtune-client', ['join', '--url', url!, '--data', join(dir, `${n}.csv`), '--backend', 'cpu'], { FEDTUNE_TOKEN: token }));
    // The first node to join may be asked for the initial model; the other is refused at once.
    expect(await Promise.any(nodes.map((n) => n.exited))).toBe(1);
    const refused = nodes.find((n) => n.child.exitCode === 1)!;
    expect(refused.output().err).toMatch(/--classes not given: \d classes/);
    expect(refused.output().err).toMatch(/FT_ERR_SHAPE: .*tensor ".*" is \[\d+(, \d+)*\] in this node but \[\d+(, \d+)*\] in the global model.*give every node the same --classes N/);
    serve.child.kill('SIGTERM');
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });

  it('training that ends short of its rounds: the coordinator and the nodes exit 1 with the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-short-'));
    const token = 'short-token-0123456789abcdef';
    const config = join(dir, 'c.json');
    // A privacy budget that runs out after the first round: training stops early, truthfully.
    await writeFile(config, JSON.stringify({ port: 0, rounds: 5, minNodes: 2, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 }, dataDir: join(dir, 'store'), logLevel: 'warn', dp: { mode: 'central', clip: 1, noiseMultiplier: 0.8, budgetEpsilon: 9 } }));
    const data = await writeCsvShards(dir, 2);
    const serve = run('fedtune-coordinator', ['serve', '--config', config], { FEDTUNE_TOKENS: token });
    const [, url] = (await serve.line(/listening on (http:\/\/127\.0\.0\.1:\d+)/))!;
    const nodes = data.map((f) => run('fedtune-client', ['join', '--url', url!, '--data', f, '--classes', '10', '--backend', 'cpu'], { FEDTUNE_TOKEN: token }));
    expect(await serve.exited).toBe(1);
    expect(serve.output().out).toMatch(/finished: [1-4] of 5 rounds completed \(privacy budget exhausted: round \d would bring epsilon to [\d.]+ > 9/);
    expect(await Promise.all(nodes.map((n) => n.exited))).toEqual([1, 1]);
    for (const n of nodes) expect(n.output().err).toMatch(/training ended before completing: privacy budget exhausted.*[1-4] of 5 rounds completed/);
  });
});

describe('the README deployment, language models', () => {
  it('join gpt2-lora --save, export the adapters, generate over them, and over the merged model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-lm-deploy-'));
    const base = join(dir, 'gpt2');
    await (await import('node:fs/promises')).mkdir(base);
    const cfg = tinyGptConfig({ vocabSize: 258, contextLength: 48, nLayer: 1, nHead: 2, nEmbd: 16 });
    await writeFile(join(base, 'config.json'), JSON.stringify({ vocab_size: 258, n_positions: 48, n_layer: 1, n_head: 2, n_embd: 16, layer_norm_epsilon: 1e-5, model_type: 'gpt2' }));
    const w = initGptWeights(cfg, seededRandom(nodeCryptoProvider, 'base'));
    await writeFile(join(base, 'model.safetensors'), serializeSafetensors(gptParameterShapes(cfg).map(([name, shape]) => ({ name, shape, data: w.get(name)! })), { format: 'pt' }));
    const notes = (k: number) => Array.from({ length: 10 }, (_, i) => `The patient ${k}${i} was seen on Monday. Rest and fluids. Dr. Martin will call back.`).join('\n\n');
    const token = 'lm-token-0123456789abcdef';
    const config = join(dir, 'coordinator.json');
    await writeFile(config, JSON.stringify({ port: 0, rounds: 2, minNodes: 2, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 }, dataDir: join(dir, 'store'), logLevel: 'warn', trainConfig: { epochs: 1, batchSize: 4 } }));
    const serve = run('fedtune-coordinator', ['serve', '--config', config], { FEDTUNE_TOKENS: token });
    const [, url] = (await serve.line(/listening on (http:\/\/127\.0\.0\.1:\d+)/))!;
    const joins = await Promise.all(
      [0, 1].map(async (k) => {
        const f = join(dir, `notes-${k}.txt`);
        await writeFile(f, notes(k));
        return run('fedtune-client', ['join', '--url', url!, '--model', 'gpt2-lora', '--base', base, '--data', f, '--save', join(dir, `adapters-${k}.safetensors`), '--backend', 'cpu'], { FEDTUNE_TOKEN: token });
      }),
    );
    expect(await Promise.all(joins.map((j) => j.exited))).toEqual([0, 0]);
    expect(await serve.exited).toBe(0);
    const adapters = join(dir, 'adapters.safetensors');
    expect(await run('fedtune-coordinator', ['export', '--config', config, '--out', adapters]).exited).toBe(0);
    const file = await readWeights(adapters);
    expect(file.metadata).toMatchObject({ format: 'fedtune-lora', rank: '8', alpha: '16', base: 'gpt2', baseSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(file.weights.data).toEqual((await readWeights(join(dir, 'adapters-0.safetensors'))).weights.data);
    const sampled = run('fedtune-client', ['generate', '--base', base, '--adapters', adapters, '--prompt', 'The patient was', '--max-new-tokens', '12', '--temperature', '0.7', '--top-k', '40', '--top-p', '0.9', '--no-repeat-ngram', '3', '--stop', '.', '--seed', '1', '--backend', 'cpu']);
    expect(await sampled.exited).toBe(0);
    expect(sampled.output().out).toMatch(/^The patient was[^.]*\n$/);
    const merged = join(dir, 'gpt2-finetuned');
    expect(await run('fedtune-coordinator', ['export', '--config', config, '--merged', '--base', base, '--out', merged]).exited).toBe(0);
    const greedy = async (args: string[]) => {
      const p = run('fedtune-client', ['generate', ...args, '--prompt', 'The patient was', '--max-new-tokens', '16', '--temperature', '0', '--backend', 'cpu']);
      expect(await p.exited).toBe(0);
      return p.output().out;
    };
    const viaAdapters = await greedy(['--base', base, '--adapters', adapters]);
    expect(await greedy(['--base', merged])).toBe(viaAdapters);
    // Training moved the adapters off their start (B starts at zero), so the merge changed the base.
    expect(file.weights.tensors.some((t, i) => t.name.endsWith('lora_B') && file.weights.data.subarray(...offsetOf(file.weights.tensors, i)).some((v) => v !== 0))).toBe(true);
  });
});

describe('the README deployment section', () => {
  it('every command in it uses flags its command knows, and its config example is a valid config', async () => {
    const readme = await readFile(join(process.cwd(), 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## A real deployment'), readme.indexOf('## An edge node in a few lines'));
    const commands = section.replace(/\\\n\s*/g, ' ').split('\n').map((l) => /npx -y pnpm@10 exec (fedtune-(?:coordinator|client)) (\S+)(.*)$/.exec(l)).filter((m) => m !== null);
    expect(commands.length).toBeGreaterThanOrEqual(12);
    for (const [, tool, sub, rest] of commands) {
      const help = run(tool!, [sub!, '--help']);
      expect(await help.exited, `${tool} ${sub}`).toBe(0);
      for (const flag of rest!.replace(/#.*$/, '').match(/(?<=\s)--[a-z][a-z-]*/g) ?? []) expect(help.output().out, `${tool} ${sub} ${flag}`).toContain(flag);
    }
    const json = /```json\n([\s\S]*?)```/.exec(section)![1]!.replace(/<[^>]+hash>/g, 'ab'.repeat(32));
    expect(resolveConfig(JSON.parse(json))).toMatchObject({ rounds: 20, dataDir: '/var/lib/fedtune' });
    // "Three instances": its keys added to the deployment's, on a PostgreSQL store, make a valid config.
    const cluster = /```json\n([\s\S]*?)```/.exec(section.slice(section.indexOf('## Three instances')))![1]!;
    const store = { url: 'postgres://fedtune@127.0.0.1:5432/fedtune?schema=run1' };
    expect(resolveConfig({ ...JSON.parse(json), ...JSON.parse(cluster), store })).toMatchObject({ store: { kind: 'postgres' }, cluster: { minGroupSize: 20 }, dp: { mode: 'distributed' } });
  });
});
