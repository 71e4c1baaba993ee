// The optional native matmul path: @fedtune/native-blas (an N-API addon on OpenBLAS, built from
// source at install) when it is installed and built, else a reason. Like tfjs-node, it is an
// optional package the client never depends on, so an edge node installs it only by choice.
import { errorText } from './webgpu-dawn.js';
import type { NativeGemm } from './wasm-matmul.js';

/** What the addon offers beyond the SGEMM (see @fedtune/native-blas). */
export interface NativeBlasModule extends NativeGemm {
  setThreads(threads: number): void;
  threads(): number;
  describe(): string;
}

export type NativeBlasProbe = { available: true; blas: NativeBlasModule; detail: string } | { available: false; reason: string };

// A non-literal specifier: the package is optional.
const PACKAGE: string = '@fedtune/native-blas';
let pending: Promise<NativeBlasProbe> | undefined;

/** Loads the addon once per thread; never throws. */
export function probeNativeBlas(): Promise<NativeBlasProbe> {
  pending ??= load();
  return pending;
}

async function load(): Promise<NativeBlasProbe> {
  if (process.env['FEDTUNE_NATIVE_BLAS'] === '0') return { available: false, reason: 'switched off by FEDTUNE_NATIVE_BLAS=0' };
  let mod: { loadNativeBlas(): { ok: true; blas: NativeBlasModule } | { ok: false; reason: string } };
  try {
    mod = (await import(PACKAGE)) as typeof mod;
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    return { available: false, reason: missing ? `${PACKAGE} is not installed (optional: an OpenBLAS matmul built at install)` : `${PACKAGE} did not load: ${errorText(err)}` };
  }
  const r = mod.loadNativeBlas();
  if (!r.ok) return { available: false, reason: r.reason };
  // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... (core SkylakeX)" -> "OpenBLAS 0.3.21 (SkylakeX)".
  const text = r.blas.describe();
  const m = /^(OpenBLAS \S+).*\(core (\S+)\)$/.exec(text);
  return { available: true, blas: r.blas, detail: m === null ? text : `${m[1]} (${m[2]})` };
}
