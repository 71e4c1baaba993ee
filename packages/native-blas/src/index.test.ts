// The OpenBLAS addon: batched row-major SGEMM against a float64 reference for every transpose and
// stride, and hostile arguments refused with coded errors before any memory is touched.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadNativeBlas } from './index.js';

const load = loadNativeBlas();

describe('@fedtune/native-blas', () => {
  it.skipIf(!load.ok)('property: C_i = op(A_i) op(B_i) within k * 2^-23 * sum |a||b|, any transposes, strides and offsets', () => {
    if (!load.ok) return;
    const { blas } = load;
    fc.assert(
      fc.property(
        fc.record({ m: fc.integer({ min: 1, max: 24 }), n: fc.integer({ min: 1, max: 24 }), k: fc.integer({ min: 1, max: 24 }), batch: fc.integer({ min: 1, max: 4 }) }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 5 }),
        ({ m, n, k, batch }, ta, tb, broadcastB, pad) => {
          const as = m * k + pad;
          const bs = broadcastB ? 0 : k * n;
          const aOff = 4 * pad;
          const bOff = aOff + 4 * ((batch - 1) * as + m * k);
          const cOff = bOff + 4 * ((batch - 1) * bs + k * n) + 4 * pad;
          const mem = new Float32Array(cOff / 4 + batch * m * n + pad).map((_, i) => ((Math.imul(i + 3, 2654435761) >>> 9) / 2 ** 23) * 2 - 1);
          const before = mem.slice();
          blas.sgemm(mem, ta, tb, m, n, k, aOff, bOff, cOff, batch, as, bs);
          for (let t = 0; t < batch; t++) {
            for (let i = 0; i < m; i++) {
              for (let j = 0; j < n; j++) {
                let s = 0;
                let abs = 0;
                for (let p = 0; p < k; p++) {
                  const x = before[aOff / 4 + t * as + (ta ? p * m + i : i * k + p)]!;
                  const y = before[bOff / 4 + t * bs + (tb ? j * k + p : p * n + j)]!;
                  s += x * y;
                  abs += Math.abs(x * y);
                }
                const got = mem[cOff / 4 + t * m * n + i * n + j]!;
                if (!(Math.abs(got - s) <= (k + 2) * 2 ** -23 * abs + 1e-30)) expect.fail(`C_${t}[${i},${j}] = ${got}, reference ${s}`);
              }
            }
          }
          // Nothing outside C was written.
          for (let i = 0; i < cOff / 4; i++) if (mem[i] !== before[i]) expect.fail(`wrote outside C at ${i}`);
          for (let i = cOff / 4 + batch * m * n; i < mem.length; i++) if (mem[i] !== before[i]) expect.fail(`wrote past C at ${i}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.skipIf(!load.ok)('works on a WebAssembly memory (the wasm backend heap)', () => {
    if (!load.ok) return;
    // Through globalThis: the ES2022 lib this package compiles with has no WebAssembly types.
    const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
    const memory = new Memory({ initial: 1 });
    const f = new Float32Array(memory.buffer);
    f.set([1, 2, 3, 4], 0);
    f.set([5, 6, 7, 8], 4);
    load.blas.sgemm(memory.buffer, false, false, 2, 2, 2, 0, 16, 32, 1, 0, 0);
    expect(Array.from(f.subarray(8, 12))).toEqual([19, 22, 43, 50]);
  });

  it.skipIf(!load.ok)('refuses hostile arguments with FT_ERR_SHAPE, touching nothing', () => {
    if (!load.ok) return;
    const { blas } = load;
    const mem = new Float32Array(64).fill(7);
    const ok = [mem, false, false, 2, 2, 2, 0, 16, 32, 1, 0, 0] as const;
    const call = (i: number, v: unknown) => () => {
      const args: unknown[] = [...ok];
      args[i] = v;
      (blas.sgemm as (...a: unknown[]) => void)(...args);
    };
    const expectCoded = (f: () => void, type: typeof TypeError | typeof RangeError, message: RegExp) => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(type);
      expect((err as { code?: string }).code).toBe('FT_ERR_SHAPE');
      expect((err as Error).message).toMatch(message);
    };
    for (const bad of [new Int32Array(64), new Float64Array(8), 'x', null, {}]) expectCoded(call(0, bad), TypeError, /memory must be/);
    expectCoded(call(1, 1), TypeError, /transposeA must be a boolean/);
    for (const [i, name] of [
      [3, 'm'],
      [5, 'k'],
      [6, 'aOffset'],
      [9, 'batch'],
      [11, 'bStride'],
    ] as const) {
      for (const v of [-1, 1.5, NaN, Infinity, 2 ** 53 + 2]) expectCoded(call(i, v), RangeError, new RegExp(`${name} must be an integer`));
      expectCoded(call(i, '2'), TypeError, new RegExp(`${name} must be a number`));
    }
    expectCoded(call(6, 2), RangeError, /A offset 2 is not a multiple of 4/);
    expectCoded(call(8, 4 * 62), RangeError, /C needs bytes \[248, 264\) but the memory holds 256/);
    expectCoded(call(3, 2 ** 20), RangeError, /A needs bytes/);
    expectCoded(call(8, 8), RangeError, /C overlaps A or B/);
    expectCoded(() => (blas.sgemm as (...a: unknown[]) => void)(mem, false, false), TypeError, /expected 12 arguments/);
    expectCoded(() => blas.sgemm(mem, false, false, 2, 2, 2, 0, 16, 32, 2, 3, 0), RangeError, /batch stride is shorter/);
    expect(Array.from(mem)).toEqual(new Array(64).fill(7));
    expectCoded(() => blas.setThreads(0), RangeError, /at least 1/);
    expectCoded(() => blas.setThreads(1.5), RangeError, /threads must be an integer/);
  });

  it.skipIf(!load.ok)('says what it linked, and sets its thread count', () => {
    if (!load.ok) return;
    expect(load.blas.describe()).toMatch(/OpenBLAS/);
    const before = load.blas.threads();
    load.blas.setThreads(1);
    expect(load.blas.threads()).toBe(1);
    load.blas.setThreads(before);
  });

  it('explains a missing build instead of throwing', () => {
    if (load.ok) expect(load.path).toMatch(/fedtune_blas\.node$/);
    else expect(load.reason).toMatch(/not built|did not load/);
  });
});
