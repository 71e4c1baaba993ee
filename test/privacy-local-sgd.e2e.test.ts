// Issue 15, item 3: `fedtune-client join` honours local-sgd on real edge nodes (record-level DP-SGD,
// Abadi et al. 2016, for tabular and language models), and the coordinator never reports a run as
// DP when a node did not apply it.
//
// How it failed before: join built plain trainers only, ignored dpLocalNoise / dpLocalClip and
// uploaded unclipped updates in the clear with no epsilon, and the coordinator counted them (and
// reported epsilon null); a node that skipped DP was indistinguishable from one that applied it.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider, sampledGaussianEpsilon, seededRandom } from '@fedtune/shared';
import { LayersModelTrainer, activeBackend, buildMlp, syntheticClassification } from '@fedtune/client';
import { writeCsvShards } from './helpers/csv-data.js';
import { TOKEN, startCoordinator } from './helpers/fleet.js';
import { runBin } from './helpers/processes.js';
import { RawNode } from './helpers/raw-node.js';

const localSgd = { mode: 'local-sgd' as const, clip: 1, noiseMultiplier: 1, delta: 1e-5, localNoiseMultiplier: 1, localClip: 1 };
const base = { minNodes: 2, minResults: 1, selection: { kind: 'uniform' as const, clientsPerRound: 2, overSelection: 0 }, dp: localSgd };

const joinNode = (url: string, data: string, extra: string[] = []) => runBin('fedtune-client', ['join', '--url', url, '--data', data, '--backend', 'cpu', ...extra], { FEDTUNE_TOKEN: TOKEN });

describe('local DP-SGD on real `fedtune-client join` nodes (issue 15, item 3)', () => {
  it('tabular nodes train with DP-SGD at the coordinator\'s z and C; the run reports the epsilon they attest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-localsgd-'));
    // 300 rows over 2 nodes: 150 each, 120 for training after the 20% validation split.
    const files = await writeCsvShards(dir, 2, 300, 'local-sgd');
    const { coordinator, url } = await startCoordinator({ ...base, rounds: 2, trainConfig: { epochs: 1, batchSize: 30 } });
    const nodes = files.map((f) => joinNode(url, f, ['--classes', '10']));
    const summaries = await coordinator.run();
    expect(await Promise.all(nodes.map((n) => n.exited))).toEqual([0, 0]);
    expect(summaries.map((s) => [s.status, s.survivors])).toEqual([['completed', 2], ['completed', 2]]);
    // Each node: q = 30 / 120, round(1 / q) = 4 steps a round at z = 1: its attested epsilon after
    // round r is the sampled Gaussian's at 4r steps (the accountant TF Privacy and dp_accounting agree with).
    for (const [r, s] of summaries.entries()) {
      const expected = sampledGaussianEpsilon({ samplingRate: 30 / 120, noiseMultiplier: 1, steps: 4 * (r + 1), delta: 1e-5 }).epsilon;
      expect(s.epsilon).toBeCloseTo(expected, 9);
    }
    for (const n of nodes) expect(n.output().err).toMatch(/round 2: DP-SGD at noise multiplier 1 and clip 1; this node's epsilon [0-9.]+ at delta 0.00001/);
  });

  it('language-model nodes (gpt-tiny) train with DP-SGD too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-localsgd-lm-'));
    const files = await Promise.all(
      [0, 1].map(async (k) => {
        const f = join(dir, `notes-${k}.txt`);
        await writeFile(f, Array.from({ length: 10 }, (_, i) => `Note ${k}-${i}: the patient rested well and the fever went down.`).join('\n\n'));
        return f;
      }),
    );
    const { coordinator, url } = await startCoordinator({ ...base, rounds: 1, trainConfig: { steps: 2, batchSize: 2 } });
    const nodes = files.map((f) => joinNode(url, f, ['--model', 'gpt-tiny']));
    const [summary] = await coordinator.run();
    expect(await Promise.all(nodes.map((n) => n.exited))).toEqual([0, 0]);
    expect(summary).toMatchObject({ status: 'completed', survivors: 2 });
    expect(summary!.epsilon! > 0 && Number.isFinite(summary!.epsilon!)).toBe(true);
    for (const n of nodes) expect(n.output().err).toMatch(/round 1: DP-SGD at noise multiplier 1 and clip 1; this node's epsilon/);
  });

  it('an update from a node that did not apply DP-SGD is not counted, and the run reports only what was applied', async () => {
    // The adversary here is a node (or an old client) that trains without DP and uploads in the
    // clear, as join did before. Before, its update was averaged in and the round looked private.
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-localsgd-raw-'));
    const [file] = await writeCsvShards(dir, 1, 150, 'local-sgd-raw');
    // The join node's MLP (20 features, hidden 64, 32, 10 classes) as the initial model, so no node is asked for one.
    await activeBackend('cpu');
    const data = syntheticClassification(seededRandom(nodeCryptoProvider, 'init'), { rows: 4 });
    const layout = new LayersModelTrainer({ model: buildMlp({ inputs: 20, hidden: [64, 32], classes: 10, learningRate: 0.1 }), train: data, validation: data });
    const { coordinator, url } = await startCoordinator({ ...base, rounds: 1, trainConfig: { epochs: 1, batchSize: 30 } }, { tensors: [...layout.tensors], data: layout.getWeights() });
    layout.dispose();
    const honest = joinNode(url, file!, ['--classes', '10']);
    const plain = new RawNode(url);
    expect((await plain.hello(TOKEN)).ok).toBe(true);
    const done = coordinator.run();
    const fit = await plain.next('round:fit');
    const manifest = await plain.request('model:manifest', { version: fit.modelVersion! });
    expect(manifest.ok).toBe(true);
    const elements = (manifest as { manifest: { totalElements: number } }).manifest.totalElements;
    const begin = await plain.request('fit:begin', { round: fit.round, numExamples: 120, metrics: { trainLoss: 0.5 } });
    expect(begin).toMatchObject({ ok: false, error: { code: 'FT_ERR_DP_REFUSED' } });
    const chunk = await plain.request('fit:chunk', { round: fit.round, index: 0, totalChunks: 1, data: new Float32Array(Math.min(elements, 16)) });
    expect(chunk.ok).toBe(false);
    const [summary] = await done;
    expect(await honest.exited).toBe(0);
    expect(summary).toMatchObject({ status: 'completed', survivors: 1 });
    expect(summary!.droppedDetail).toEqual([expect.objectContaining({ reason: 'rejected' })]);
    expect(summary!.epsilon).toBeCloseTo(sampledGaussianEpsilon({ samplingRate: 30 / 120, noiseMultiplier: 1, steps: 4, delta: 1e-5 }).epsilon, 9);
  });
});
