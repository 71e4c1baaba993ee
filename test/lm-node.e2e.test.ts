// An edge node fine-tuning a language model on its own notes, end to end: two `fedtune-client
// join --model gpt2-lora` nodes share a local GPT-2 checkpoint (written here), redact PII before
// training, and federate only their LoRA adapters through a real coordinator.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gptParameterShapes, initGptWeights, serializeSafetensors, tinyGptConfig } from '@fedtune/client';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { main as clientMain } from '../packages/client/src/cli/client-cli.js';
import { TOKEN, startCoordinator } from './helpers/fleet.js';

async function tinyGpt2Folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fedtune-base-'));
  const config = tinyGptConfig({ vocabSize: 258, contextLength: 48, nLayer: 1, nHead: 2, nEmbd: 16 });
  await writeFile(join(dir, 'config.json'), JSON.stringify({ vocab_size: 258, n_positions: 48, n_layer: 1, n_head: 2, n_embd: 16, layer_norm_epsilon: 1e-5, model_type: 'gpt2' }));
  const weights = initGptWeights(config, seededRandom(nodeCryptoProvider, 'base'));
  await writeFile(join(dir, 'model.safetensors'), serializeSafetensors(gptParameterShapes(config).map(([name, shape]) => ({ name, shape, data: weights.get(name)! })), { format: 'pt' }));
  return dir;
}

const notes = (k: number) =>
  Array.from({ length: 12 }, (_, i) => `Dr. Martin saw patient ${k}${i}, born 1961-0${1 + (i % 9)}-1${i % 9}. Call +33 6 12 34 56 ${10 + i} if fever returns. Rest and fluids.`).join('\n\n');

describe('language-model edge nodes (fedtune-client join --model gpt2-lora)', () => {
  it('redact PII, fine-tune LoRA adapters on a shared base, and federate only the adapters', async () => {
    const base = await tinyGpt2Folder();
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-notes-'));
    const files = await Promise.all([0, 1].map(async (k) => {
      const f = join(dir, `notes-${k}.txt`);
      await writeFile(f, notes(k));
      return f;
    }));
    const { coordinator, url } = await startCoordinator({ rounds: 2, minNodes: 2, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 }, trainConfig: { epochs: 1, batchSize: 4 } });
    const logs = ['', ''];
    const nodes = files.map((f, k) =>
      clientMain(['join', '--url', url, '--token', TOKEN, '--data', f, '--model', 'gpt2-lora', '--base', base, '--backend', 'cpu', '--name', `hospital-${k}`], () => {}, (s) => (logs[k] += s)),
    );
    const summaries = await coordinator.run();
    expect(await Promise.all(nodes)).toEqual([0, 0]);
    for (const log of logs) expect(log).toMatch(/12 documents; redacted \d+ items in 12 of 12 documents \(phone 12, dob 12, name 12\)/);
    expect(summaries.map((s) => s.status)).toEqual(['completed', 'completed']);
    // Only adapters travel: rank 8 on four projections of one 16-wide layer = 2,048 floats, not the ~8K-weight base.
    const adapterFloats = 16 * 8 + 8 * 48 + (16 * 8 + 8 * 16) + (16 * 8 + 8 * 64) + (64 * 8 + 8 * 16);
    expect(coordinator.store.current!.weights.data.length).toBe(adapterFloats);
    expect(summaries[1]!.evalLoss).toBeLessThan(Math.log(258));
  });

  it('refuses gpt2-lora without a base and a model name it does not know', async () => {
    let err = '';
    expect(await clientMain(['join', '--url', 'http://127.0.0.1:1', '--token', TOKEN, '--data', '/dev/null', '--model', 'gpt2-lora', '--backend', 'cpu'], () => {}, (s) => (err += s))).toBe(2);
    expect(err).toMatch(/FT_ERR_CONFIG|documents/);
    expect(await clientMain(['join', '--url', 'http://127.0.0.1:1', '--token', TOKEN, '--data', '/dev/null', '--model', 'bert', '--backend', 'cpu'], () => {}, () => {})).toBe(2);
  });
});
