import { describe, expect, it } from 'vitest';
import { FedtuneError } from '@fedtune/shared';
import { runDoctorCommand } from '../cli/doctor-command.js';
import { BACKEND_ORDER, parseBackendName } from './names.js';
import { selectBackend } from './select.js';

describe('fedtune-client doctor', () => {
  it('--json names every backend, why, and the choice', async () => {
    const lines: string[] = [];
    expect(await runDoctorCommand(['--json'], (s) => lines.push(s))).toBe(0);
    const report = JSON.parse(lines.join('\n')) as { backends: { name: string; available: boolean; reason: string }[]; choice: string; node: string };
    expect(report.backends.map((b) => b.name)).toEqual([...BACKEND_ORDER]);
    for (const b of report.backends) expect(b.reason.length).toBeGreaterThan(0);
    expect(report.backends.find((b) => b.name === 'cpu')!.available).toBe(true);
    // The choice is the first available backend in order.
    expect(report.choice).toBe(report.backends.find((b) => b.available && (b as { software?: boolean }).software !== true)!.name);
    // Which kernel runs the wasm backend's matmuls, and why.
    const m = (report as unknown as { wasmMatMul: { path: string; detail: string; threads: number | null } }).wasmMatMul;
    expect(['native', 'xnnpack']).toContain(m.path);
    expect(m.detail.length).toBeGreaterThan(0);
    if (m.path === 'native') expect(m.threads).toBeGreaterThanOrEqual(1);
    // tfjs-node cannot be installed here; its absence is a reason, not a crash.
    const tfNode = report.backends.find((b) => b.name === 'tensorflow')!;
    if (!tfNode.available) expect(tfNode.reason).toMatch(/tfjs-node/);
  });

  it('says whether the native mask keystream is in use, and why not', async () => {
    const json: string[] = [];
    await runDoctorCommand(['--json'], (s) => json.push(s));
    const { maskKeystream } = JSON.parse(json.join('\n')) as { maskKeystream: { inUse: boolean; openssl?: string; reason?: string } };
    expect(maskKeystream.inUse ? maskKeystream.openssl : maskKeystream.reason).toMatch(/\S/);
    const text: string[] = [];
    await runDoctorCommand([], (s) => text.push(s));
    expect(text.join('\n')).toMatch(maskKeystream.inUse ? /secure-aggregation masks: native AES-256-CTR \(OpenSSL/ : /secure-aggregation masks: node:crypto \(/);
  });

  it('the text form says which matmul path the wasm backend runs', async () => {
    const lines: string[] = [];
    expect(await runDoctorCommand([], (s) => lines.push(s))).toBe(0);
    expect(lines.join('\n')).toMatch(/wasm matmul: (native OpenBLAS \S+ \(\S+\), \d+ threads?|XNNPACK for every layout \(native BLAS: .+\))/);
  });

  it('refuses unknown flags naming them', async () => {
    await expect(runDoctorCommand(['--nope'], () => {})).rejects.toThrow(/unknown flag --nope/);
  });
});

describe('selectBackend', () => {
  it('forces a backend by name and logs the choice', async () => {
    const log: string[] = [];
    const choice = await selectBackend({ prefer: 'cpu', log: (l) => log.push(l) });
    expect(choice.name).toBe('cpu');
    expect(log[0]).toMatch(/training backend cpu/);
  });

  it('fails cleanly when a forced backend is unavailable', async () => {
    const probe = await selectBackend({ prefer: 'tensorflow-gpu', log: () => {} }).catch((e: unknown) => e);
    if (probe instanceof Error) {
      expect(probe).toBeInstanceOf(FedtuneError);
      expect((probe as FedtuneError).code).toBe('FT_ERR_CONFIG');
      expect(probe.message).toMatch(/tfjs-node-gpu/);
    }
  });

  it('parses names and rejects others', () => {
    expect(parseBackendName('wasm')).toBe('wasm');
    expect(() => parseBackendName('webgl')).toThrow(RangeError);
  });
});
