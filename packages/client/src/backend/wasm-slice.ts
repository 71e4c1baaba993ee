// Slice and SplitV for tfjs's wasm backend that read the input in place. tfjs-backend-wasm 4.x
// copies the whole input out of the WebAssembly heap (readSync) before taking each slice, so a
// split into n parts copies the input n times: 192 ms to split 3.2M parameters into 52 tensors,
// against 1.0 ms here (bench/wasm-kernels.bench.ts).
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, KernelFn, WasmBackendInternals } from './wasm-matmul.js';
import { isWasmBackend } from './wasm-matmul.js';

interface HeapBackend extends WasmBackendInternals {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function hasHeapViews(b: unknown): b is HeapBackend {
  return isWasmBackend(b) && typeof (b as Partial<HeapBackend>).typedArrayFromHeap === 'function';
}

/** Copies x[begin : begin + size] into a new output, row by row along the last axis. */
function sliceFromHeap(x: tf.TensorInfo, begin: readonly number[], size: number[], backend: HeapBackend): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype as 'float32');
  // Views after makeOutput: an allocation may have grown (and replaced) the heap.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  if (dst.length === 0) return out;
  if (tf.slice_util.isSliceContinous(x.shape, begin as number[], size)) {
    const start = tf.slice_util.computeFlatOffset(begin as number[], tf.util.computeStrides(x.shape));
    dst.set(src.subarray(start, start + dst.length));
    return out;
  }
  const strides = [...tf.util.computeStrides(x.shape), 1];
  const run = size[rank - 1]!;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let o = 0; o < dst.length; o += run) {
    let start = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) start += (begin[d]! + index[d]!) * strides[d]!;
    dst.set(src.subarray(start, start + run), o);
    // Odometer over every axis but the last.
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

export function createWasmSlice(original: KernelFn): KernelFn {
  return (args: KernelArgs) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    if (x.dtype === 'string' || x.shape.length === 0 || !hasHeapViews(args.backend)) return original(args);
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs!['begin'] as number[], args.attrs!['size'] as number[]);
    return sliceFromHeap(x, begin!, size!, args.backend);
  };
}

export function createWasmSplitV(original: KernelFn): KernelFn {
  return (args: KernelArgs) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    if (x.dtype === 'string' || x.shape.length === 0 || !hasHeapViews(args.backend)) return original(args);
    const axis = tf.util.parseAxisParam(args.attrs!['axis'] as number, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs!['numOrSizeSplits'] as number[] | number, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const part = sliceFromHeap(x, begin, size, args.backend as HeapBackend);
      begin[axis]! += s;
      return part;
    });
  };
}
