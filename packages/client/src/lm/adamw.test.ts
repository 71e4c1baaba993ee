// AdamW (fused kernel on wasm and cpu, tfjs ops elsewhere) against a float64 reference of
// Loshchilov and Hutter's Algorithm 2, with clipping, decoupled decay on matrices only, and refusals.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { probeBackend } from '../backend/select.js';
import { ADAMW_KERNEL, registerAdamWKernel } from './adamw-kernel.js';
import { AdamW } from './adamw.js';

const SHAPES = [[3, 4], [4], [2, 2, 3]] as const;
const LR = 0.05;
const WD = 0.1;
const MAX_NORM = 1.5;

function vals(n: number, salt: number, scale: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + salt) * scale);
}

/** Three clipped AdamW steps in float64 (beta 0.9 / 0.999, eps 1e-8), decay on rank >= 2 only. */
function reference(): number[][] {
  const p = SHAPES.map((s, k) => vals(s.reduce((a, b) => a * b, 1), k, 1));
  const m = p.map((x) => x.map(() => 0));
  const v = p.map((x) => x.map(() => 0));
  for (let t = 1; t <= 3; t++) {
    const g = p.map((x, k) => x.map((_, i) => Math.cos(i + 3 * k + t) * (t === 2 ? 10 : 0.3)));
    const norm = Math.sqrt(g.flat().reduce((s, x) => s + x * x, 0));
    const scale = Math.min(MAX_NORM / (norm + 1e-6), 1);
    p.forEach((x, k) => {
      x.forEach((_, i) => {
        const gi = g[k]![i]! * scale;
        m[k]![i] = 0.9 * m[k]![i]! + 0.1 * gi;
        v[k]![i] = 0.999 * v[k]![i]! + 0.001 * gi * gi;
        const u = m[k]![i]! / (1 - 0.9 ** t) / (Math.sqrt(v[k]![i]! / (1 - 0.999 ** t)) + 1e-8);
        x[i] = x[i]! * (SHAPES[k]!.length >= 2 ? 1 - LR * WD : 1) - LR * u;
      });
    });
  }
  return p;
}

async function run(): Promise<number[][]> {
  const vars = SHAPES.map((s, k) => tf.variable(tf.tensor(vals(s.reduce((a, b) => a * b, 1), k, 1), [...s])));
  const opt = new AdamW(vars, { learningRate: LR, weightDecay: WD });
  for (let t = 1; t <= 3; t++) {
    const grads = vars.map((x, k) => tf.tensor(Array.from({ length: x.size }, (_, i) => Math.cos(i + 3 * k + t) * (t === 2 ? 10 : 0.3)), x.shape));
    const norm = opt.clipAndStep(grads, MAX_NORM);
    tf.dispose([norm, ...grads]);
  }
  opt.dispose();
  const out = await Promise.all(vars.map(async (x) => Array.from(await x.data())));
  tf.dispose(vars);
  return out;
}

function expectClose(got: number[][], want: number[][]): void {
  // float32 parameters of order 1 after three steps of ~LR: 2e-6 absolute is ~16 ulps.
  got.forEach((x, k) => x.forEach((y, i) => expect(Math.abs(y - want[k]![i]!), `tensor ${k}[${i}]`).toBeLessThan(2e-6)));
}

afterAll(() => registerAdamWKernel());

describe('AdamW', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`fused kernel on ${backend}, and tfjs ops, both match the float64 reference`, async () => {
      expect((await probeBackend(backend)).available).toBe(true);
      expect(tf.getKernel(ADAMW_KERNEL, backend)).toBeDefined();
      const want = reference();
      expectClose(await run(), want);
      // The op path (what webgpu and tfjs-node run), with the kernel taken away.
      tf.unregisterKernel(ADAMW_KERNEL, backend);
      try {
        expectClose(await run(), want);
      } finally {
        registerAdamWKernel();
      }
    });
  }

  it('leaves nothing behind, and refuses bad arguments', async () => {
    await probeBackend('cpu');
    const before = tf.memory().numTensors;
    // A variable shares its initial tensor's buffer; the tensor itself is freed here.
    const vars = [tf.zeros([2, 2]), tf.zeros([3])].map((z) => {
      const v = tf.variable(z);
      z.dispose();
      return v;
    });
    const opt = new AdamW(vars, { learningRate: 0.1 });
    const g = [tf.ones([2, 2]), tf.ones([3])];
    opt.step(g);
    tf.dispose(opt.clipAndStep(g, 1));
    expect(() => opt.step([g[0]!])).toThrow(/1 gradients for 2 variables/);
    expect(() => opt.step([g[1]!, g[0]!])).toThrow(/gradient 0 has 3 values, its variable 4/);
    expect(() => opt.clipAndStep(g, 0)).toThrow(RangeError);
    opt.dispose();
    tf.dispose([...vars, ...g]);
    expect(tf.memory().numTensors).toBe(before);
    for (const bad of [{ learningRate: -1 }, { learningRate: NaN }, { learningRate: 1, beta1: 1 }, { learningRate: 1, beta2: -0.1 }, { learningRate: 1, weightDecay: Infinity }]) {
      expect(() => new AdamW([tf.variable(tf.zeros([1]))], bad)).toThrow(RangeError);
    }
    expect(() => new AdamW([], { learningRate: 1 })).toThrow(RangeError);
    expect(() => new AdamW([tf.variable(tf.zeros([1]))], { learningRate: 1, decay: [true, false] })).toThrow(/2 entries for 1 variables/);
  });
});
