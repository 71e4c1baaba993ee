// Training and generation throughput of the gpt-tiny model on every backend available here, with
// peak memory and each backend's ratio to the fastest.
import * as tf from '@tensorflow/tfjs';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import type { BenchFigure, BenchFn } from '../../../scripts/bench-types.js';
import { probeBackend } from '../src/backend/select.js';
import type { BackendName } from '../src/backend/names.js';
import { createCausalLmTrainer } from '../src/lm/causal-lm-trainer.js';
import { tinyGptConfig } from '../src/lm/config.js';
import { generate } from '../src/lm/generate.js';
import { GptModel } from '../src/lm/model.js';

// WebGPU last: tensors cannot migrate off it synchronously.
const CANDIDATES: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'cpu', 'wasm', 'webgpu'];

interface Run {
  label: string;
  trainTps: number;
  genTps: number;
  peakRssMb: number;
  peakTfMb: number;
}

async function measure(name: BackendName, label: string, tiny: boolean): Promise<Run> {
  const r = seededRandom(nodeCryptoProvider, 'lm-bench');
  const config = tinyGptConfig();
  const seqLen = config.contextLength;
  const batchSize = 8;
  const steps = tiny ? 1 : 6;
  const rows = batchSize * (steps + 1);
  const inputs = Int32Array.from({ length: rows * seqLen }, () => r.int(256));
  const data = { inputs, labels: inputs.map((_, i) => inputs[(i + 1) % inputs.length] as number), rows, seqLen };
  const trainer = await createCausalLmTrainer({ model: GptModel.random(config, r), train: data, validation: data, random: r, backend: name });
  let peakRss = process.memoryUsage().rss;
  let peakTf = tf.memory().numBytes;
  const sample = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    peakTf = Math.max(peakTf, tf.memory().numBytes);
  };
  await trainer.fit({ batchSize, maxSteps: 1 }); // warm-up: shader compilation, wasm init
  sample();
  const t0 = performance.now();
  await trainer.fit({ batchSize, maxSteps: steps });
  const trainMs = performance.now() - t0;
  sample();
  const newTokens = tiny ? 4 : 48;
  await generate(trainer.model, [1, 2, 3, 4], { maxNewTokens: 2, greedy: true });
  const t1 = performance.now();
  const out = await generate(trainer.model, [1, 2, 3, 4], { maxNewTokens: newTokens, greedy: true });
  const genMs = performance.now() - t1;
  sample();
  trainer.dispose();
  return { label, trainTps: (steps * batchSize * seqLen) / (trainMs / 1000), genTps: out.tokens.length / (genMs / 1000), peakRssMb: peakRss / 2 ** 20, peakTfMb: peakTf / 2 ** 20 };
}

export const bench: BenchFn = async ({ tiny }) => {
  const runs: Run[] = [];
  for (const name of CANDIDATES) {
    const probe = await probeBackend(name);
    if (!probe.available) continue;
    const label = name === 'webgpu' && /llvmpipe|lavapipe/i.test(probe.reason) ? 'webgpu-lavapipe' : name;
    runs.push(await measure(name, label, tiny));
  }
  await probeBackend('cpu');
  const bestTrain = Math.max(...runs.map((r) => r.trainTps));
  const bestGen = Math.max(...runs.map((r) => r.genTps));
  const figures: BenchFigure[] = [];
  const model = 'gpt-tiny (2 layers, 64 wide, ctx 64, batch 8)';
  for (const r of runs) {
    figures.push(
      { name: `lm train ${r.label}`, value: r.trainTps, unit: 'tokens/s', note: `${model}, AdamW + clipping` },
      { name: `lm train ${r.label} vs best`, value: r.trainTps / bestTrain, unit: 'ratio' },
      { name: `lm generate ${r.label}`, value: r.genTps, unit: 'tokens/s', note: 'greedy, KV cache, batch 1' },
      { name: `lm generate ${r.label} vs best`, value: r.genTps / bestGen, unit: 'ratio' },
      { name: `lm peak rss after ${r.label}`, value: r.peakRssMb, unit: 'MiB', note: 'process, cumulative over backends run so far' },
      { name: `lm peak tf memory ${r.label}`, value: r.peakTfMb, unit: 'MiB', note: 'tf.memory().numBytes' },
    );
  }
  return figures;
};
