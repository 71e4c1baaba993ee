// Language-model training speed against the machine's: OpenBLAS's SGEMM rate on one and two threads
// (a C program built here), then tokens/s and achieved GFLOP/s of gpt-tiny and of a wider GPT (4
// layers, width 256) on each wasm matmul path: tfjs-backend-wasm's own kernels, fedtune's XNNPACK
// kernels, and native OpenBLAS on one and two threads; a profile of the wider model's step; and
// gpt-tiny's training and generation on every other backend available here. Paths are measured in
// turn, three times over, and each figure is the median. FEDTUNE_BENCH_BASELINE adds another
// checkout's gpt-tiny figure (lm-baseline.ts).
import * as tf from '@tensorflow/tfjs';
import type { BenchFigure, BenchFn } from '../../../scripts/bench-types.js';
import { probeNativeBlas } from '../src/backend/native-blas.js';
import { probeBackend } from '../src/backend/select.js';
import type { BackendName } from '../src/backend/names.js';
import { installWasmKernels, uninstallWasmKernels, useNativeGemm } from '../src/backend/wasm-kernels.js';
import { tinyGptConfig, type GptConfig } from '../src/lm/config.js';
import { trainingFlopsPerToken } from '../src/lm/flops.js';
import { baselineTokensPerSecond } from './lm-baseline.js';
import { generateTokensPerSecond, median, profileStep, trainTokensPerSecond, warmTrainer } from './lm-measure.js';
import { buildSgemmRate, sgemmRate } from './sgemm-rate.js';

interface Path {
  label: string;
  /** Puts the wasm backend on this path; false when it is not available here. */
  select(): boolean;
}

const MODELS: { label: string; config: GptConfig; steps: number }[] = [
  { label: 'gpt-tiny (2 layers, width 64)', config: tinyGptConfig(), steps: 6 },
  { label: 'gpt-wide (4 layers, width 256)', config: tinyGptConfig({ nLayer: 4, nEmbd: 256, nHead: 16 }), steps: 3 },
];

// WebGPU last: tensors cannot migrate off it synchronously.
const OTHER_BACKENDS: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'cpu', 'webgpu'];

export const bench: BenchFn = async ({ tiny }) => {
  const figures: BenchFigure[] = [];
  const reps = tiny ? 1 : 3;

  // The machine: OpenBLAS SGEMM on square matrices, one and two threads.
  const sgemm: Record<number, number> = {};
  const probe = await buildSgemmRate();
  if (probe.ok) {
    const n = tiny ? 128 : 1024;
    for (const threads of [1, 2]) {
      sgemm[threads] = await sgemmRate(probe.exe, n, threads, reps);
      figures.push({ name: `OpenBLAS sgemm ${n}x${n}, ${threads} thread${threads > 1 ? 's' : ''}`, value: sgemm[threads]!, unit: 'GFLOP/s', note: 'C program, median of runs >= 0.3 s' });
    }
  } else {
    console.warn(`lm bench: no OpenBLAS sgemm rate: ${probe.reason}`);
  }

  // Training on each wasm matmul path.
  if (!(await probeBackend('wasm')).available) throw new Error('lm bench: the wasm backend is unavailable');
  const native = await probeNativeBlas();
  const paths: Path[] = [
    { label: "tfjs-backend-wasm's kernels", select: () => (uninstallWasmKernels(), true) },
    { label: 'XNNPACK (fedtune kernels)', select: () => (installWasmKernels(), useNativeGemm(null), true) },
    ...[1, 2].map((threads) => ({
      label: `native OpenBLAS, ${threads} thread${threads > 1 ? 's' : ''}`,
      select: () => {
        if (!native.available) return false;
        installWasmKernels();
        useNativeGemm(native.blas);
        native.blas.setThreads(threads);
        return true;
      },
    })),
  ];
  if (!native.available) console.warn(`lm bench: native path skipped: ${native.reason}`);
  const models = tiny ? MODELS.slice(0, 1) : MODELS;
  const runs = new Map<string, number[]>();
  for (let rep = 0; rep < reps; rep++) {
    for (const m of models) {
      for (const p of paths) {
        if (tiny && p.label.startsWith('tfjs')) continue;
        if (!p.select()) continue;
        const steps = tiny ? 1 : m.steps;
        const trainer = await warmTrainer(m.config, steps, 'wasm');
        const key = `${m.label}|${p.label}`;
        runs.set(key, [...(runs.get(key) ?? []), await trainTokensPerSecond(trainer, steps)]);
        trainer.dispose();
      }
    }
  }
  for (const m of models) {
    const flops = trainingFlopsPerToken(m.config);
    for (const p of paths) {
      const r = runs.get(`${m.label}|${p.label}`);
      if (r === undefined) continue;
      const tps = median(r);
      const gflops = (tps * flops) / 1e9;
      figures.push({ name: `${m.label} train, wasm, matmul on ${p.label}`, value: tps, unit: 'tokens/s', note: `batch 8 x 64 tokens, AdamW + clipping; runs ${r.map((x) => x.toFixed(0)).join(', ')}` });
      figures.push({ name: `${m.label} train, wasm, matmul on ${p.label}: achieved`, value: gflops, unit: 'GFLOP/s', note: `${(flops / 1e6).toFixed(3)} MFLOP per token` });
      if (sgemm[2] !== undefined) figures.push({ name: `${m.label} train, wasm, matmul on ${p.label}: of OpenBLAS sgemm on 2 threads`, value: gflops / sgemm[2], unit: 'ratio' });
    }
    const base = runs.get(`${m.label}|${paths[0]!.label}`);
    for (const p of paths.slice(1)) {
      const r = runs.get(`${m.label}|${p.label}`);
      if (base !== undefined && r !== undefined) figures.push({ name: `${m.label} train: ${p.label} / tfjs-backend-wasm's kernels`, value: median(r) / median(base), unit: 'ratio' });
    }
  }

  // What bounds the wider model on the default path (native when built, else XNNPACK).
  if (!tiny) {
    if (!paths[2]!.select()) paths[1]!.select();
    const m = MODELS[1]!;
    const trainer = await warmTrainer(m.config, 2, 'wasm');
    const prof = await profileStep(trainer);
    trainer.dispose();
    const outside = Math.max(0, prof.profiledMs - prof.matmulMs - prof.otherKernelMs);
    figures.push({ name: `${m.label} step, default path: wall`, value: prof.stepMs, unit: 'ms', note: `${prof.kernels} kernel calls; ${prof.profiledMs.toFixed(0)} ms profiled` });
    figures.push({ name: `${m.label} step: matmul kernels`, value: prof.matmulMs / prof.profiledMs, unit: 'share', note: `of the profiled step; ${prof.matmulMs.toFixed(0)} ms` });
    figures.push({ name: `${m.label} step: other kernels (elementwise, reductions, softmax, copies, AdamW)`, value: prof.otherKernelMs / prof.profiledMs, unit: 'share', note: `${prof.otherKernelMs.toFixed(0)} ms` });
    figures.push({ name: `${m.label} step: outside kernels (tfjs engine, tape, JavaScript)`, value: outside / prof.profiledMs, unit: 'share', note: `${outside.toFixed(0)} ms` });
  }

  const baseline = process.env['FEDTUNE_BENCH_BASELINE'];
  if (baseline !== undefined && baseline !== '' && !tiny) {
    const r = await baselineTokensPerSecond(baseline, MODELS[0]!.steps, reps);
    figures.push({ name: `gpt-tiny (2 layers, width 64) train, wasm, baseline checkout ${baseline}`, value: median(r), unit: 'tokens/s', note: `runs ${r.map((x) => x.toFixed(0)).join(', ')}` });
    for (const p of paths.slice(1)) {
      const mine = runs.get(`${MODELS[0]!.label}|${p.label}`);
      if (mine !== undefined) figures.push({ name: `gpt-tiny train: ${p.label} / baseline checkout`, value: median(mine) / median(r), unit: 'ratio' });
    }
  }

  // The default wasm path, restored, then gpt-tiny on every other backend.
  installWasmKernels();
  if (native.available) {
    useNativeGemm(native.blas);
    native.blas.setThreads(1);
  }
  figures.push(...(await otherBackends(tiny)));
  await probeBackend('cpu');
  return figures;
};

async function otherBackends(tiny: boolean): Promise<BenchFigure[]> {
  const out: BenchFigure[] = [];
  const config = MODELS[0]!.config;
  const steps = tiny ? 1 : MODELS[0]!.steps;
  for (const name of ['wasm' as BackendName, ...OTHER_BACKENDS]) {
    const probe = await probeBackend(name);
    if (!probe.available) continue;
    const label = name === 'webgpu' && probe.software === true ? 'webgpu-lavapipe' : name;
    const trainer = await warmTrainer(config, steps, name);
    const train = await trainTokensPerSecond(trainer, steps);
    // Weights, the optimizer's moments and one step's tensors are freed by now: what stays.
    const mem = tf.memory().numBytes / 2 ** 20;
    const gen = await generateTokensPerSecond(trainer, tiny ? 4 : 48);
    trainer.dispose();
    out.push(
      { name: `gpt-tiny train on ${label}`, value: train, unit: 'tokens/s', note: name === 'wasm' ? 'default matmul path' : 'one run' },
      { name: `gpt-tiny generate on ${label}`, value: gen, unit: 'tokens/s', note: 'greedy, KV cache, batch 1' },
      { name: `tf memory held by the trainer on ${label}`, value: mem, unit: 'MiB', note: 'weights, between fits' },
    );
  }
  return out;
}
