// Row-wise Sum and GatherV2 for tfjs's wasm backend. tfjs-backend-wasm 4.x sums over leading axes
// by transposing first (2.5 ms for [512, 1024] -> [1024], every bias gradient; 0.5 ms here), and
// gathers element by element with a heap allocation each (2.9 ms for 512 rows of 256, every
// embedding lookup; 0.08 ms here; bench/wasm-kernels.bench.ts). Here a sum over leading axes adds
// whole rows, and a gather on axis 0 copies whole rows.
import * as tf from '@tensorflow/tfjs';
import { isWasmBackend, type KernelArgs, type KernelFn, type WasmBackendInternals } from './wasm-matmul.js';

interface HeapBackend extends WasmBackendInternals {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function heapBackend(b: unknown): b is HeapBackend {
  return isWasmBackend(b) && typeof (b as Partial<HeapBackend>).typedArrayFromHeap === 'function';
}

/** Sum over axes 0..k-1 of a float32 tensor (keepDims either way); anything else goes to tfjs's kernel. */
export function createWasmSum(original: KernelFn): KernelFn {
  return (args: KernelArgs) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    const backend = args.backend;
    if (x.dtype !== 'float32' || x.shape.length < 2 || !heapBackend(backend)) return original(args);
    const axes = tf.util.parseAxisParam(args.attrs!['axis'] as number | number[], x.shape);
    const sorted = [...new Set(axes)].sort((a, b) => a - b);
    const k = sorted.length;
    if (k === 0 || k === x.shape.length || sorted.some((a, i) => a !== i)) return original(args);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
    const inner = tf.util.sizeFromShape(x.shape.slice(k));
    const shape = args.attrs!['keepDims'] === true ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
    if (rows === 0 || inner === 0) return original(args);
    const out = backend.makeOutput(shape, 'float32');
    const src = backend.typedArrayFromHeap(x) as Float32Array;
    const dst = backend.typedArrayFromHeap(out) as Float32Array;
    // Four rows at a time into float64, rounded once: at least as accurate as tfjs's float32
    // reduction, and a quarter of the accumulator traffic.
    const acc = new Float64Array(inner);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const a = r * inner;
      const b = a + inner;
      const c = b + inner;
      const d = c + inner;
      for (let j = 0; j < inner; j++) acc[j]! += src[a + j]! + src[b + j]! + src[c + j]! + src[d + j]!;
    }
    for (; r < rows; r++) {
      const a = r * inner;
      for (let j = 0; j < inner; j++) acc[j]! += src[a + j]!;
    }
    dst.set(acc);
    return out;
  };
}

/** Rows of x by index (axis 0, no batch dims); anything else goes to tfjs's kernel. */
export function createWasmGather(original: KernelFn): KernelFn {
  return (args: KernelArgs) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    const indices = args.inputs['indices'] as tf.TensorInfo;
    const backend = args.backend;
    const axis = tf.util.parseAxisParam(args.attrs!['axis'] as number, x.shape)[0];
    if (axis !== 0 || (args.attrs!['batchDims'] as number) !== 0 || x.dtype === 'string' || indices.dtype !== 'int32' || x.shape.length === 0 || !heapBackend(backend)) return original(args);
    const n = x.shape[0]!;
    const row = tf.util.sizeFromShape(x.shape.slice(1));
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype as 'float32');
    const idx = backend.typedArrayFromHeap(indices) as Int32Array;
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    for (let i = 0; i < idx.length; i++) {
      const r = idx[i]!;
      if (!(r >= 0 && r < n)) {
        backend.disposeData(out.dataId);
        // tfjs's own message for an index out of range.
        throw new Error(`GatherV2: the index value ${r} is not in [0, ${n - 1}]`);
      }
      dst.set(src.subarray(r * row, (r + 1) * row), i * row);
    }
    return out;
  };
}
