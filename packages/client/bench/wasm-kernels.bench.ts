// The single kernels behind the LM speed-up, each on tfjs-backend-wasm's own kernel and on
// fedtune's, in one run: a split of a 3.2M-parameter vector, a bias gradient's sum over rows, an
// embedding gather, tanh against sigmoid (GELU's two forms), AdamW's update as ops and fused, and
// the per-call cost of the native SGEMM against a tfjs kernel dispatch.
import * as tf from '@tensorflow/tfjs';
import type { BenchFigure, BenchFn } from '../../../scripts/bench-types.js';
import { probeNativeBlas } from '../src/backend/native-blas.js';
import { probeBackend } from '../src/backend/select.js';
import { installWasmKernels, uninstallWasmKernels } from '../src/backend/wasm-kernels.js';
import { ADAMW_KERNEL, registerAdamWKernel } from '../src/lm/adamw-kernel.js';
import { AdamW } from '../src/lm/adamw.js';
import { median } from './lm-measure.js';

/** Median ms per call of f over `reps` timed batches of `calls`, after a warm-up. */
function msPerCall(f: () => tf.Tensor | tf.Tensor[] | void, calls: number, reps: number): number {
  const run = () => tf.dispose(f() as tf.Tensor | tf.Tensor[]);
  for (let i = 0; i < 2; i++) run();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) run();
    times.push((performance.now() - t0) / calls);
  }
  return median(times);
}

export const bench: BenchFn = async ({ tiny }) => {
  if (!(await probeBackend('wasm')).available) throw new Error('wasm backend unavailable');
  const reps = tiny ? 1 : 5;
  const calls = tiny ? 2 : 20;
  const params = tiny ? 4096 : 3_241_984;
  const vec = tf.randomNormal([params]);
  const sizes = Array.from({ length: 52 }, (_, i) => (i < 51 ? Math.floor(params / 52) : params - 51 * Math.floor(params / 52)));
  const rows = tf.randomNormal([512, tiny ? 16 : 1024]);
  const table = tf.randomNormal([258, tiny ? 16 : 256]);
  const ids = tf.tensor2d(Int32Array.from({ length: 512 }, (_, i) => (i * 7) % 258), [8, 64], 'int32');
  const act = tf.randomNormal([8, 64, tiny ? 16 : 1024]);
  const cases: [string, () => tf.Tensor | tf.Tensor[]][] = [
    [`split [${params}] into 52 parts (AdamW's update back into its tensors)`, () => tf.split(vec, sizes)],
    [`sum of [${rows.shape.join(', ')}] over rows (a bias gradient)`, () => tf.sum(rows, 0)],
    [`gather of 512 rows of [${table.shape.join(', ')}] (an embedding lookup)`, () => tf.gather(table, ids)],
  ];
  const figures: BenchFigure[] = [];
  for (const [name, f] of cases) {
    uninstallWasmKernels();
    const theirs = msPerCall(f, calls, reps);
    installWasmKernels();
    const ours = msPerCall(f, calls, reps);
    figures.push({ name: `${name}: tfjs-backend-wasm`, value: theirs, unit: 'ms' }, { name: `${name}: fedtune`, value: ours, unit: 'ms' }, { name: `${name}: speed-up`, value: theirs / ours, unit: 'ratio' });
  }
  const tanh = msPerCall(() => tf.tanh(act), calls, reps);
  const sigmoid = msPerCall(() => tf.sigmoid(act), calls, reps);
  figures.push({ name: `tanh of [${act.shape.join(', ')}]`, value: tanh, unit: 'ms' }, { name: `sigmoid of [${act.shape.join(', ')}] (GELU's form here)`, value: sigmoid, unit: 'ms' });

  // AdamW on one flat vector of `params`: the fused kernel, then the tfjs ops.
  const v = tf.variable(vec, true);
  const adamStep = (): number => {
    const opt = new AdamW([v], { learningRate: 1e-3, weightDecay: 0.01 });
    opt.step([vec]);
    const t = msPerCall(() => opt.step([vec]), calls, reps);
    opt.dispose();
    return t;
  };
  const fused = adamStep();
  tf.unregisterKernel(ADAMW_KERNEL, 'wasm');
  const ops = adamStep();
  registerAdamWKernel();
  figures.push({ name: `AdamW step on ${params} parameters: tfjs ops`, value: ops, unit: 'ms' }, { name: `AdamW step on ${params} parameters: fused kernel`, value: fused, unit: 'ms' });
  tf.dispose([v, vec, rows, table, ids, act]);

  // Per-call costs: the native SGEMM through N-API, and any tfjs kernel dispatch.
  const native = await probeNativeBlas();
  if (native.available) {
    const mem = new Float32Array(16);
    const n = tiny ? 1000 : 200_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) native.blas.sgemm(mem.buffer, false, false, 1, 1, 1, 0, 16, 32, 1, 0, 0);
    figures.push({ name: 'native sgemm call, 1x1x1 (N-API overhead)', value: ((performance.now() - t0) * 1000) / n, unit: 'us' });
  }
  const one = tf.tensor2d([[1]]);
  figures.push({ name: 'tf.add of 1x1 tensors on wasm (kernel dispatch)', value: msPerCall(() => tf.add(one, one), tiny ? 10 : 20_000, reps) * 1000, unit: 'us' });
  one.dispose();
  return figures;
};
