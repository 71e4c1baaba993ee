// fedtune's wasm kernels (BatchMatMul on XNNPACK or native SGEMM, in-place Slice/SplitV, row-wise
// Sum and GatherV2, aliasing Identity) against float64 references, for every operand layout, batch
// broadcast, slice, reduction axis and index.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { AdamW } from '../lm/adamw.js';
import { tinyGptConfig } from '../lm/config.js';
import { maskedLoss } from '../lm/loss.js';
import { GptModel } from '../lm/model.js';
import { probeNativeBlas, type NativeBlasProbe } from './native-blas.js';
import { probeBackend } from './select.js';
import { installWasmKernels, uninstallWasmKernels, useNativeGemm, wasmMatMulPath } from './wasm-kernels.js';

let native: NativeBlasProbe;
beforeAll(async () => {
  expect((await probeBackend('wasm')).available).toBe(true);
  native = await probeNativeBlas();
});
afterAll(() => useNativeGemm(native.available ? native.blas : null));

interface Case {
  outer: [number[], number[]];
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** Deterministic values in [-1, 1) with a few exact zeros and large magnitudes. */
function values(count: number, salt: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => {
    const h = Math.imul(i + 1, 2654435761) ^ Math.imul(salt + 7, 40503);
    return (i % 17 === 0 ? 0 : ((h >>> 8) / 2 ** 24) * 2 - 1) * (i % 29 === 3 ? 64 : 1);
  });
}

/** Row-major product in float64, and the error bound k * 2^-23 * sum |a||b| per element (gamma_k, Higham 2002, 3.1). */
function reference(c: Case, a: Float32Array, b: Float32Array): { out: Float64Array; bound: Float64Array } {
  const batchA = c.outer[0].reduce((x, y) => x * y, 1);
  const batchB = c.outer[1].reduce((x, y) => x * y, 1);
  const batch = Math.max(batchA, batchB);
  const out = new Float64Array(batch * c.m * c.n);
  const bound = new Float64Array(out.length);
  for (let t = 0; t < batch; t++) {
    const ao = (batchA === 1 ? 0 : t) * c.m * c.k;
    const bo = (batchB === 1 ? 0 : t) * c.k * c.n;
    for (let i = 0; i < c.m; i++) {
      for (let j = 0; j < c.n; j++) {
        let s = 0;
        let abs = 0;
        for (let p = 0; p < c.k; p++) {
          const x = a[ao + (c.transposeA ? p * c.m + i : i * c.k + p)]!;
          const y = b[bo + (c.transposeB ? j * c.k + p : p * c.n + j)]!;
          s += x * y;
          abs += Math.abs(x * y);
        }
        out[t * c.m * c.n + i * c.n + j] = s;
        bound[t * c.m * c.n + i * c.n + j] = (c.k + 2) * 2 ** -23 * abs + 1e-30;
      }
    }
  }
  return { out, bound };
}

function run(c: Case): void {
  const aShape = [...c.outer[0], ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])];
  const bShape = [...c.outer[1], ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])];
  const a = values(aShape.reduce((x, y) => x * y, 1), 1);
  const b = values(bShape.reduce((x, y) => x * y, 1), 2);
  const { out, bound } = reference(c, a, b);
  const got = tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), c.transposeA, c.transposeB));
  const outer = c.outer[0].length >= c.outer[1].length ? c.outer[0].map((d, i) => Math.max(d, c.outer[1][i] ?? 1)) : c.outer[1];
  expect(got.shape).toEqual([...outer, c.m, c.n]);
  const data = got.dataSync();
  got.dispose();
  for (let i = 0; i < out.length; i++) {
    if (!(Math.abs(data[i]! - out[i]!) <= bound[i]!)) expect.fail(`${JSON.stringify(c)}: element ${i} is ${data[i]}, reference ${out[i]} +- ${bound[i]}`);
  }
}

const dim = fc.integer({ min: 1, max: 40 });
const cases: fc.Arbitrary<Case> = fc
  .record({
    batch: fc.oneof(fc.constant<number[]>([]), fc.tuple(fc.integer({ min: 1, max: 5 })), fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))),
    // Which side has the batch: both, only a (b broadcast), only b (a broadcast).
    side: fc.constantFrom('both', 'a', 'b'),
    m: dim,
    k: dim,
    n: dim,
    transposeA: fc.boolean(),
    transposeB: fc.boolean(),
  })
  .map(({ batch, side, ...rest }) => ({ ...rest, outer: [side === 'b' ? batch.map(() => 1) : batch, side === 'a' ? batch.map(() => 1) : batch] as [number[], number[]] }));

describe('wasm BatchMatMul', () => {
  for (const path of ['xnnpack', 'native'] as const) {
    it(`property (${path}): every layout and batch broadcast within the float32 dot-product bound`, (ctx) => {
      if (path === 'native' && !native.available) {
        console.warn(`wasm BatchMatMul: native path skipped: ${native.reason}`);
        ctx.skip();
        return;
      }
      installWasmKernels();
      useNativeGemm(path === 'native' && native.available ? native.blas : null);
      expect(wasmMatMulPath()).toBe(path);
      fc.assert(fc.property(cases, run), { numRuns: 150 });
      // The shapes a GPT's training step uses, including the 4-D attention products.
      for (const c of [
        { outer: [[8, 4], [8, 4]], m: 64, k: 16, n: 64, transposeA: false, transposeB: true },
        { outer: [[8, 4], [8, 4]], m: 64, k: 64, n: 16, transposeA: true, transposeB: false },
        { outer: [[], []], m: 64, k: 512, n: 256, transposeA: true, transposeB: false },
        { outer: [[], []], m: 512, k: 64, n: 258, transposeA: false, transposeB: true },
        { outer: [[8], []], m: 64, k: 64, n: 192, transposeA: false, transposeB: false },
      ] satisfies Case[]) {
        run(c);
      }
    });
  }

  it("a GPT's training step sends no matmul to tfjs's slow loop: on XNNPACK only plain batch-1 products reach tfjs's kernel (its XNNPACK path); on native, none", async () => {
    // A spy in place of tfjs's own kernel, which fedtune's wraps as its fallback.
    uninstallWasmKernels();
    const own = tf.getKernel('BatchMatMul', 'wasm')!;
    const seen: { transposeA: boolean; transposeB: boolean; a: number[]; b: number[] }[] = [];
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({
      ...own,
      kernelFunc: ((args: { inputs: { a: tf.TensorInfo; b: tf.TensorInfo }; attrs: { transposeA: boolean; transposeB: boolean } }) => {
        seen.push({ transposeA: args.attrs.transposeA, transposeB: args.attrs.transposeB, a: [...args.inputs.a.shape], b: [...args.inputs.b.shape] });
        return (own.kernelFunc as unknown as (x: unknown) => tf.TensorInfo)(args);
      }) as unknown as tf.KernelFunc,
    });
    installWasmKernels();
    try {
      const r = seededRandom(nodeCryptoProvider, 'spy');
      const config = tinyGptConfig({ vocabSize: 40, contextLength: 16, nLayer: 2, nHead: 2, nEmbd: 16 });
      const model = GptModel.random(config, r);
      model.addLora({ rank: 2, alpha: 4, dropout: 0, targets: ['attn.c_attn', 'mlp.c_proj'] }, r);
      const inputs = Int32Array.from({ length: 3 * 16 }, () => r.int(40));
      const batch = { inputs, labels: inputs.map((_, i) => inputs[(i + 1) % inputs.length]!), rows: 3, seqLen: 16 };
      const vars = [...model.baseVariables(), ...model.loraVariables()].map((v) => v.variable);
      const opt = new AdamW(vars, { learningRate: 1e-3 });
      const step = () => {
        const { value, grads } = tf.variableGrads(() => maskedLoss(model, batch).loss, vars);
        tf.dispose([value, opt.clipAndStep(vars.map((v) => grads[v.name]!), 1), ...Object.values(grads)]);
      };
      useNativeGemm(null);
      step();
      expect(seen.length).toBeGreaterThan(0);
      const slow = seen.filter((c) => c.transposeA || c.transposeB || c.a.length !== 2 || c.b.length !== 2);
      expect(slow, 'products that would take the scalar loop').toEqual([]);
      if (native.available) {
        seen.length = 0;
        useNativeGemm(native.blas);
        step();
        expect(seen).toEqual([]);
      }
      opt.dispose();
      model.dispose();
    } finally {
      uninstallWasmKernels();
      tf.unregisterKernel('BatchMatMul', 'wasm');
      tf.registerKernel(own);
      installWasmKernels();
    }
  });

  it('leaves errors and odd cases to tfjs: inner mismatch, int32, empty operands', () => {
    installWasmKernels();
    useNativeGemm(null);
    expect(() => tf.matMul(tf.zeros([2, 3]), tf.zeros([4, 2]))).toThrow(/inner shapes \(3\) and \(4\)/);
    expect(() => tf.matMul(tf.zeros([2, 3], 'int32'), tf.zeros([3, 2], 'int32'))).toThrow();
    expect(tf.matMul(tf.zeros([0, 3]), tf.zeros([3, 2])).shape).toEqual([0, 2]);
    expect(() => tf.matMul(tf.zeros([2, 2, 3]), tf.zeros([3, 3, 2]))).toThrow();
  });

  it('the uninstalled (tfjs) path gives the same products', () => {
    uninstallWasmKernels();
    expect(wasmMatMulPath()).toBe('tfjs');
    run({ outer: [[3], [3]], m: 5, k: 7, n: 4, transposeA: true, transposeB: true });
    installWasmKernels();
  });

  it('frees every temporary: no tensor, buffer or XNNPACK operator outlives the op', () => {
    installWasmKernels();
    useNativeGemm(null);
    const a = tf.tensor(values(4 * 6 * 5, 3), [4, 6, 5]);
    const b = tf.tensor(values(4 * 6 * 7, 4), [4, 6, 7]);
    tf.matMul(a, b, true, false).dispose();
    const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
    for (let i = 0; i < 20; i++) tf.matMul(a, b, true, false).dispose();
    expect({ tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() }).toEqual(before);
    tf.dispose([a, b]);
  });
});

describe('wasm Sum and GatherV2', () => {
  it('property: a sum over any axes (leading ones row by row, others by tfjs) equals the float64 sum', () => {
    installWasmKernels();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 15 }), fc.boolean(), (shape, mask, keepDims) => {
        const axes = shape.map((_, i) => i).filter((i) => (mask >> i) & 1);
        if (axes.length === 0) return;
        const x = values(shape.reduce((p, q) => p * q, 1), mask);
        const got = tf.tidy(() => tf.sum(tf.tensor(x, shape), axes, keepDims));
        expect(got.shape).toEqual(keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i)));
        const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const want = new Float64Array(kept.reduce((p, q) => p * q, 1));
        const abs = new Float64Array(want.length);
        const idx = new Array<number>(shape.length).fill(0);
        for (let o = 0; o < x.length; o++) {
          const t = idx.reduce((acc, v, d) => acc * kept[d]! + (axes.includes(d) ? 0 : v), 0);
          want[t]! += x[o]!;
          abs[t]! += Math.abs(x[o]!);
          for (let d = shape.length - 1; d >= 0 && ++idx[d]! >= shape[d]!; d--) idx[d] = 0;
        }
        const data = got.dataSync();
        got.dispose();
        // n-term float32 sum: |error| <= n * 2^-23 * sum |x| (Higham 2002, 4.2).
        const n = x.length / want.length;
        want.forEach((w, i) => {
          if (!(Math.abs(data[i]! - w) <= (n + 1) * 2 ** -23 * abs[i]! + 1e-30)) expect.fail(`sum over ${axes} of ${shape}: ${data[i]} vs ${w}`);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('property: gathering rows equals indexing, any row shape; an index out of range is refused', () => {
    installWasmKernels();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), (shape, picks) => {
        const x = values(shape.reduce((p, q) => p * q, 1), picks.length);
        const row = shape.slice(1).reduce((p, q) => p * q, 1);
        const idx = picks.map((p) => p % shape[0]!);
        const got = tf.tidy(() => tf.gather(tf.tensor(x, shape), tf.tensor1d(idx, 'int32')));
        expect(got.shape).toEqual([idx.length, ...shape.slice(1)]);
        expect(Array.from(got.dataSync())).toEqual(idx.flatMap((i) => Array.from(x.subarray(i * row, (i + 1) * row))));
        got.dispose();
      }),
      { numRuns: 200 },
    );
    const table = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const buffers = tf.engine().backend.numDataIds();
    for (const bad of [2, -1]) expect(() => tf.gather(table, tf.tensor1d([0, bad], 'int32'))).toThrow(new RegExp(`index value ${bad} is not in \\[0, 1\\]`));
    // The refused gather freed its output; the index tensors above are the only new buffers.
    expect(tf.engine().backend.numDataIds()).toBe(buffers + 2);
    // 2-D indices and a gather along another axis (tfjs's kernel) keep their shapes and values.
    expect(tf.gather(table, tf.tensor2d([1, 0, 1, 1], [2, 2], 'int32')).arraySync()).toEqual([[[3, 4], [1, 2]], [[3, 4], [3, 4]]]);
    expect(tf.gather(table, tf.tensor1d([1], 'int32'), 1).arraySync()).toEqual([[2], [4]]);
  });
});

describe('wasm Slice, SplitV and Identity', () => {
  it('property: slices of any rank equal the reference, contiguous or strided', () => {
    installWasmKernels();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }), fc.integer(), (shape, seed) => {
        const x = values(shape.reduce((p, q) => p * q, 1), seed & 0xffff);
        const begin = shape.map((s, i) => Math.abs(seed >> i) % s);
        const size = shape.map((s, i) => 1 + (Math.abs(seed >> (i + 7)) % (s - begin[i]!)));
        const got = tf.tidy(() => tf.slice(tf.tensor(x, shape), begin, size));
        const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));
        const want: number[] = [];
        const idx = new Array<number>(shape.length).fill(0);
        for (let o = 0; o < size.reduce((p, q) => p * q, 1); o++) {
          want.push(x[idx.reduce((s, v, d) => s + (begin[d]! + v) * strides[d]!, 0)]!);
          for (let d = shape.length - 1; d >= 0 && ++idx[d]! >= size[d]!; d--) idx[d] = 0;
        }
        expect(Array.from(got.dataSync())).toEqual(want);
        got.dispose();
      }),
      { numRuns: 200 },
    );
  });

  it('split along any axis puts the pieces back together (concat)', () => {
    installWasmKernels();
    const x = tf.tensor(values(3 * 4 * 10, 9), [3, 4, 10]);
    for (const axis of [0, 1, 2]) {
      const sizes = axis === 2 ? [1, 6, 3] : axis === 1 ? [2, 2] : [1, 2];
      const parts = tf.split(x, sizes, axis);
      expect(parts.map((p) => p.shape[axis])).toEqual(sizes);
      const back = tf.concat(parts, axis);
      expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
      tf.dispose([...parts, back]);
    }
    x.dispose();
  });

  it('a clone outlives its source, and the shared buffer is freed with the last holder', () => {
    installWasmKernels();
    const buffers = tf.engine().backend.numDataIds();
    const x = tf.tensor([1, 2, 3]);
    const y = tf.clone(x);
    expect(tf.engine().backend.numDataIds()).toBe(buffers + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
  });
});
