// The environment report behind `fedtune-client doctor`: runtime, every training backend with
// why it is or is not available, and the one automatic selection picks.
import * as tf from '@tensorflow/tfjs';
import { nativeCryptoStatus, type NativeCryptoStatus } from '@fedtune/shared';
import type { BackendName } from './names.js';
import { probeBackends, type BackendProbe } from './select.js';

export interface DoctorReport {
  node: string;
  platform: string;
  tfjs: string;
  backends: BackendProbe[];
  /** What `selectBackend()` with no preference would pick. */
  choice: BackendName;
  /** Whether secure-aggregation masks are expanded by the native AES-256-CTR addon here. */
  maskKeystream: NativeCryptoStatus;
}

/** Probes everything; never throws for a missing backend. */
export async function doctorReport(): Promise<DoctorReport> {
  const { backends, choice } = await probeBackends();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    tfjs: tf.version.tfjs,
    backends,
    choice,
    maskKeystream: nativeCryptoStatus(),
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
  lines.push(`would use: ${report.choice}`);
  const k = report.maskKeystream;
  lines.push(`secure-aggregation masks: ${k.inUse ? `native AES-256-CTR (${k.openssl})` : `node:crypto (${k.reason})`}`);
  return lines.join('\n');
}
