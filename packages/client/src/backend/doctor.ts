// The environment report behind `fedtune-client doctor`: runtime, every training backend with
// why it is or is not available, the one automatic selection picks, and which kernel runs the
// wasm backend's matmuls (native OpenBLAS or XNNPACK).
import * as tf from '@tensorflow/tfjs';
import { nativeCryptoStatus, type NativeCryptoStatus } from '@fedtune/shared';
import type { BackendName } from './names.js';
import { probeNativeBlas } from './native-blas.js';
import { probeBackends, type BackendProbe } from './select.js';
import { wasmMatMulPath, type WasmMatMulPath } from './wasm-kernels.js';

export interface DoctorReport {
  node: string;
  platform: string;
  tfjs: string;
  backends: BackendProbe[];
  /** What `selectBackend()` with no preference would pick. */
  choice: BackendName;
  /** Whether secure-aggregation masks are expanded by the native AES-256-CTR addon here. */
  maskKeystream: NativeCryptoStatus;
  /** The wasm backend's matmul kernel; `detail` names the native library or why it is not used. */
  wasmMatMul: { path: WasmMatMulPath; detail: string; threads: number | null };
}

/** Probes everything; never throws for a missing backend. */
export async function doctorReport(): Promise<DoctorReport> {
  const { backends, choice } = await probeBackends();
  const native = await probeNativeBlas();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    tfjs: tf.version.tfjs,
    backends,
    choice,
    maskKeystream: nativeCryptoStatus(),
    wasmMatMul: { path: wasmMatMulPath(), detail: native.available ? native.detail : native.reason, threads: native.available ? native.blas.threads() : null },
  };
}

/** The human-readable form: one line per backend, then the choice. */
export function formatDoctor(report: DoctorReport): string {
  const width = Math.max(...report.backends.map((b) => b.name.length));
  const lines = [`fedtune doctor: node ${report.node}, ${report.platform}, tfjs ${report.tfjs}`, 'training backends, in selection order:'];
  for (const b of report.backends) {
    const note = b.software === true ? ' [software adapter: automatic selection prefers wasm]' : '';
    lines.push(`  ${b.available ? 'ok  ' : 'no  '} ${b.name.padEnd(width)}  ${b.reason}${note}`);
  }
  const m = report.wasmMatMul;
  const how = m.path === 'native' ? `native ${m.detail}, ${m.threads} thread${m.threads === 1 ? '' : 's'}` : m.path === 'xnnpack' ? `XNNPACK for every layout (native BLAS: ${m.detail})` : "tfjs-backend-wasm's own kernels";
  lines.push(`wasm matmul: ${how}`);
  lines.push(`would use: ${report.choice}`);
  const k = report.maskKeystream;
  lines.push(`secure-aggregation masks: ${k.inUse ? `native AES-256-CTR (${k.openssl})` : `node:crypto (${k.reason})`}`);
  return lines.join('\n');
}
