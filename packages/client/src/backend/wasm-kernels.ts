// fedtune's kernels for tfjs's wasm backend, registered over tfjs-backend-wasm's own: BatchMatMul on
// XNNPACK (or a native SGEMM) for every operand layout (wasm-matmul.ts); Slice and SplitV that read
// their input in place (wasm-slice.ts); Sum over leading axes and GatherV2 of rows a row at a time
// (wasm-rows.ts); and an Identity that shares its input's buffer, as the cpu backend's does,
// instead of copying it: tfjs's engine runs Identity on every tensor a gradient saves (about 200
// copies per step of a small GPT).
import * as tf from '@tensorflow/tfjs';
import { createWasmBatchMatMul, isWasmBackend, type KernelArgs, type KernelFn, type NativeGemm } from './wasm-matmul.js';
import { createWasmGather, createWasmSum } from './wasm-rows.js';
import { createWasmSlice, createWasmSplitV } from './wasm-slice.js';

/** Which kernel runs matmuls on the wasm backend. */
export type WasmMatMulPath = 'tfjs' | 'xnnpack' | 'native';

const OVERRIDDEN = ['BatchMatMul', 'Identity', 'Slice', 'SplitV', 'Sum', 'GatherV2'] as const;

let originals: Map<string, tf.KernelConfig> | undefined;
let native: NativeGemm | null = null;

function identityAlias(original: KernelFn): KernelFn {
  return (args: KernelArgs) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    if (x.dtype === 'string' || !isWasmBackend(args.backend)) return original(args);
    // Tensors are immutable (a Variable's assign swaps its buffer), so sharing is safe; the
    // reference count frees the buffer with its last holder, as for the backend's own Reshape.
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * Registers fedtune's wasm kernels over tfjs-backend-wasm's (import that package first).
 * Idempotent. Returns false, changing nothing, when the wasm kernels are not registered.
 */
export function installWasmKernels(): boolean {
  if (originals !== undefined) return true;
  const found = new Map<string, tf.KernelConfig>();
  for (const name of [...OVERRIDDEN, 'Transpose']) {
    const k = tf.getKernel(name, 'wasm');
    if (k === undefined) return false;
    found.set(name, k);
  }
  originals = found;
  const fn = (name: string) => found.get(name)!.kernelFunc as unknown as KernelFn;
  const replacements: Record<(typeof OVERRIDDEN)[number], KernelFn> = {
    BatchMatMul: createWasmBatchMatMul(fn('BatchMatMul'), fn('Transpose'), () => native),
    Identity: identityAlias(fn('Identity')),
    Slice: createWasmSlice(fn('Slice')),
    SplitV: createWasmSplitV(fn('SplitV')),
    Sum: createWasmSum(fn('Sum')),
    GatherV2: createWasmGather(fn('GatherV2')),
  };
  for (const name of OVERRIDDEN) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...found.get(name)!, kernelFunc: replacements[name] as unknown as tf.KernelFunc });
  }
  return true;
}

/** Puts tfjs-backend-wasm's own kernels back (for measuring against them). */
export function uninstallWasmKernels(): void {
  if (originals === undefined) return;
  for (const name of OVERRIDDEN) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(originals.get(name)!);
  }
  originals = undefined;
}

/** Sends matmuls to `gemm` (a native SGEMM), or back to XNNPACK with null. */
export function useNativeGemm(gemm: NativeGemm | null): void {
  native = gemm;
}

/** The kernel that runs matmuls on the wasm backend now. */
export function wasmMatMulPath(): WasmMatMulPath {
  if (originals === undefined) return 'tfjs';
  return native === null ? 'xnnpack' : 'native';
}
