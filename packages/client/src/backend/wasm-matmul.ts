// BatchMatMul for tfjs's wasm backend on a fast kernel for every operand layout: XNNPACK's
// fully-connected kernel (Dukhan et al., XNNPACK), or a native SGEMM (OpenBLAS through
// @fedtune/native-blas) when one is installed. tfjs-backend-wasm 4.x takes XNNPACK only for an
// untransposed A x B with a batch of 1 and runs everything else (each gradient of a dense layer,
// every attention product) in a scalar loop at 1.7-2.7 GFLOP/s (issue 16). Here a transposed
// operand is transposed explicitly (a copy costs O(size), the product O(size x inner)), a
// right-hand matrix shared by the batch folds into one tall product, and a batched product runs as
// one XNNPACK call per batch on views into the operands, with no copies. The native SGEMM takes
// every layout as is.
import * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's BackendWasm this kernel uses (stable across 4.x). */
export interface WasmBackendInternals {
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
    HEAPU8: Uint8Array;
  };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  incRef(dataId: object): void;
  disposeData(dataId: object): boolean;
}

/**
 * A batched row-major SGEMM over a memory: the contract of @fedtune/native-blas's `sgemm` (see its
 * documentation), restated here because the client never depends on that optional package.
 */
export interface NativeGemm {
  sgemm(...args: [memory: ArrayBuffer, transposeA: boolean, transposeB: boolean, m: number, n: number, k: number, aOffset: number, bOffset: number, cOffset: number, batch: number, aStride: number, bStride: number]): void;
}

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
export type KernelFn = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];
type XnnMatMul = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, transposeA: boolean, transposeB: boolean, outId: number) => void;

export function isWasmBackend(b: unknown): b is WasmBackendInternals {
  const x = b as Partial<WasmBackendInternals> | null;
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof x.wasm?.cwrap === 'function' &&
    typeof x.wasm.tfjs?.registerTensor === 'function' &&
    typeof x.wasm.tfjs.disposeData === 'function' &&
    x.wasm.HEAPU8 instanceof Uint8Array &&
    typeof x.dataIdNextNumber === 'number' &&
    typeof x.makeOutput === 'function' &&
    typeof x.incRef === 'function'
  );
}

function shapeBytes(shape: readonly number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

interface Product {
  /** Broadcast batch dimensions of the output. */
  outer: number[];
  a: tf.TensorInfo;
  b: tf.TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
}

/**
 * A BatchMatMul kernel function. `original` is tfjs's own (kept for the cases it already runs
 * fast and for the ones this one does not take: other dtypes, empty operands, broadcasts other
 * than against a batch of 1); `transpose` is the backend's Transpose; `native()` the SGEMM to use
 * now, or null for XNNPACK.
 */
export function createWasmBatchMatMul(original: KernelFn, transpose: KernelFn, native: () => NativeGemm | null): KernelFn {
  let xnn: XnnMatMul | undefined;
  let xnnOwner: unknown;

  const swapLastTwo = (t: tf.TensorInfo, backend: unknown): tf.TensorInfo => {
    const r = t.shape.length;
    const perm = Array.from({ length: r }, (_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
    return transpose({ inputs: { x: t }, backend, attrs: { perm } }) as tf.TensorInfo;
  };

  const outShape = (p: Product): number[] => [...p.outer, p.m, p.n];

  const viaNative = (gemm: NativeGemm, p: Product, backend: WasmBackendInternals): tf.TensorInfo => {
    const out = backend.makeOutput(outShape(p), 'float32');
    // After makeOutput: an allocation may have grown (and replaced) the heap.
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    const ao = backend.dataIdMap.get(p.a.dataId)!.memoryOffset;
    const bo = backend.dataIdMap.get(p.b.dataId)!.memoryOffset;
    const co = backend.dataIdMap.get(out.dataId)!.memoryOffset;
    if (p.batchB === 1 && !p.transposeA) gemm.sgemm(heap, false, p.transposeB, p.batchA * p.m, p.n, p.k, ao, bo, co, 1, 0, 0);
    else gemm.sgemm(heap, p.transposeA, p.transposeB, p.m, p.n, p.k, ao, bo, co, Math.max(p.batchA, p.batchB), p.batchA === 1 ? 0 : p.m * p.k, p.batchB === 1 ? 0 : p.k * p.n);
    return out;
  };

  const viaXnnpack = (p: Product, backend: WasmBackendInternals): tf.TensorInfo => {
    if (xnn === undefined || xnnOwner !== backend) {
      xnn = backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']) as unknown as XnnMatMul;
      xnnOwner = backend;
    }
    const { m, n, k, batchA, batchB } = p;
    const temps: tf.TensorInfo[] = [];
    const views: number[] = [];
    try {
      const a = p.transposeA ? swapLastTwo(p.a, backend) : p.a;
      if (p.transposeA) temps.push(a);
      const b = p.transposeB ? swapLastTwo(p.b, backend) : p.b;
      if (p.transposeB) temps.push(b);
      const out = backend.makeOutput(outShape(p), 'float32');
      const ia = backend.dataIdMap.get(a.dataId)!;
      const ib = backend.dataIdMap.get(b.dataId)!;
      const io = backend.dataIdMap.get(out.dataId)!;
      if (batchB === 1) {
        // One shared right-hand matrix: the whole batch is one [batch*m, k] x [k, n] product.
        xnn(ia.id, shapeBytes([1, batchA * m, k]), 3, ib.id, shapeBytes([1, k, n]), 3, false, false, io.id);
        return out;
      }
      const view = (offset: number, size: number): number => {
        const id = backend.dataIdNextNumber++;
        backend.wasm.tfjs.registerTensor(id, size, offset);
        views.push(id);
        return id;
      };
      // XNNPACK packs the right-hand side per call: O(k n), against O(m k n) for the product.
      const as = shapeBytes([1, m, k]);
      const bs = shapeBytes([1, k, n]);
      for (let i = 0; i < batchB; i++) {
        const aId = batchA === 1 ? ia.id : view(ia.memoryOffset + 4 * i * m * k, m * k);
        xnn(aId, as, 3, view(ib.memoryOffset + 4 * i * k * n, k * n), bs, 3, false, false, view(io.memoryOffset + 4 * i * m * n, m * n));
      }
      return out;
    } finally {
      // Disposing a view in the C++ registry also frees XNNPACK's packed copy of it; the memory
      // itself belongs to the operands.
      for (const id of views) backend.wasm.tfjs.disposeData(id);
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };

  return (args: KernelArgs): tf.TensorInfo => {
    const { backend } = args;
    const a = args.inputs['a'] as tf.TensorInfo;
    const b = args.inputs['b'] as tf.TensorInfo;
    const transposeA = args.attrs?.['transposeA'] === true;
    const transposeB = args.attrs?.['transposeB'] === true;
    const ra = a.shape.length;
    const rb = b.shape.length;
    let outer: number[];
    try {
      outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    } catch {
      return original(args) as tf.TensorInfo;
    }
    const p: Product = {
      outer,
      a,
      b,
      transposeA,
      transposeB,
      batchA: product(a.shape.slice(0, -2)),
      batchB: product(b.shape.slice(0, -2)),
      m: transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!,
      k: transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!,
      n: transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!,
    };
    const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
    // One batch broadcast against the other's, or equal batches: the cases a stride describes.
    const broadcastable = (p.batchA === p.batchB || p.batchA === 1 || p.batchB === 1) && product(outer) === Math.max(p.batchA, p.batchB);
    const usual = ra >= 2 && rb >= 2 && a.dtype === 'float32' && b.dtype === 'float32' && p.m > 0 && p.k > 0 && p.n > 0 && p.k === kb && broadcastable;
    const gemm = native();
    if (!usual || !isWasmBackend(backend)) return original(args) as tf.TensorInfo;
    if (gemm !== null) return viaNative(gemm, p, backend);
    if (!transposeA && !transposeB && p.batchA === 1 && p.batchB === 1) return original(args) as tf.TensorInfo;
    return viaXnnpack(p, backend);
  };
}
