// Installs WebGPU into Node through Dawn (the `webgpu` package) so tfjs-backend-webgpu can run:
// on Vulkan, Metal or D3D12, or on a software Vulkan driver such as Mesa's lavapipe.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export type DawnResult = { ok: true; adapter: GpuAdapterSummary } | { ok: false; reason: string };

let pending: Promise<DawnResult> | undefined;

/** One line for logs, e.g. "mesa software (llvmpipe ...)". */
export function describeAdapter(a: GpuAdapterSummary): string {
  const main = [a.vendor, a.architecture].filter((s) => s !== '').join(' ') || 'unknown adapter';
  const extra = a.description !== '' ? a.description : a.device;
  return extra !== '' ? `${main} (${extra})` : main;
}

/**
 * Loads Dawn, installs its globals and `navigator.gpu`, and asks for an adapter. Runs once per
 * process; later calls return the first answer. Never throws: a missing package, a missing
 * Vulkan driver or a refused adapter come back as `{ ok: false, reason }`.
 */
export function installDawn(): Promise<DawnResult> {
  pending ??= load();
  return pending;
}

async function load(): Promise<DawnResult> {
  // Dawn's Vulkan loader wants a writable runtime dir; containers and CI often have none.
  if (process.env['XDG_RUNTIME_DIR'] === undefined || process.env['XDG_RUNTIME_DIR'] === '') {
    process.env['XDG_RUNTIME_DIR'] = mkdtempSync(join(tmpdir(), 'fedtune-xdg-'));
  }
  let mod: { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (err) {
    return { ok: false, reason: `the webgpu package (Dawn) did not load: ${errorText(err)}` };
  }
  let gpu: { requestAdapter(o?: unknown): Promise<unknown> };
  try {
    gpu = mod.create([]) as typeof gpu;
    for (const [k, v] of Object.entries(mod.globals)) {
      if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
    }
    const g = globalThis as { navigator?: object };
    if (g.navigator === undefined) {
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    } else if (!('gpu' in g.navigator)) {
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    }
  } catch (err) {
    return { ok: false, reason: `Dawn could not start: ${errorText(err)}` };
  }
  try {
    const adapter = (await withTimeout(gpu.requestAdapter(), 20_000)) as { info?: Record<string, unknown> } | null;
    if (adapter === null || adapter === undefined) {
      return {
        ok: false,
        reason: 'no WebGPU adapter: no Vulkan/Metal/D3D12 driver found (on Debian run scripts/ci-install-vulkan.sh for Mesa lavapipe >= 25)',
      };
    }
    const info = adapter.info ?? {};
    const field = (k: string): string => (typeof info[k] === 'string' ? (info[k] as string) : '');
    return {
      ok: true,
      adapter: { vendor: field('vendor'), architecture: field('architecture'), device: field('device'), description: field('description') },
    };
  } catch (err) {
    return { ok: false, reason: `requesting a WebGPU adapter failed: ${errorText(err)}` };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** The first line of an error's message, for a reason shown to people. */
export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}
