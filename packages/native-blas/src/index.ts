// Loads the optional OpenBLAS addon (src/blas.c): batched row-major SGEMM over caller-owned memory
// (BLAS level 3, Dongarra et al. 1990). Never throws on load: a missing build comes back as a reason.
import { createRequire } from 'node:module';

/** The addon's functions. Every one throws TypeError / RangeError with code FT_ERR_SHAPE on bad input. */
export interface NativeBlas {
  /**
   * For i < batch: C_i = op(A_i) op(B_i), row-major float32, op = transpose when asked. Offsets
   * are in bytes into `memory`, strides in elements (0: every product uses the same matrix); the
   * C_i are packed [m, n] matrices from cOffset.
   * @throws TypeError on a wrong argument type; RangeError when a matrix leaves the memory, an
   *   offset is not 4-byte aligned, batches overlap, or C overlaps A or B.
   */
  sgemm(
    memory: ArrayBuffer | Float32Array,
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    aOffset: number,
    bOffset: number,
    cOffset: number,
    batch: number,
    aStride: number,
    bStride: number,
  ): void;
  /** OpenBLAS's thread count, for the whole process. @throws RangeError unless an integer in [1, 1024]. */
  setThreads(threads: number): void;
  threads(): number;
  /** The OpenBLAS build and the CPU kernels it chose, e.g. "OpenBLAS 0.3.21 ... (core SkylakeX)". */
  describe(): string;
}

export type NativeBlasLoad = { ok: true; blas: NativeBlas; path: string } | { ok: false; reason: string };

const ADDON = '../build/Release/fedtune_blas.node';
let cached: NativeBlasLoad | undefined;

/** The addon, or why it is not there (not built at install, no OpenBLAS, another platform). */
export function loadNativeBlas(): NativeBlasLoad {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  try {
    const path = require.resolve(ADDON);
    cached = { ok: true, blas: require(path) as NativeBlas, path };
  } catch (err) {
    const text = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
    const missing = (err as { code?: string }).code === 'MODULE_NOT_FOUND';
    cached = { ok: false, reason: missing ? 'the addon was not built at install (needs OpenBLAS headers and a C compiler; see @fedtune/native-blas)' : `the addon did not load: ${text}` };
  }
  return cached;
}
