// Picks the tfjs backend for local training. Uses the backend module's selection (tensorflow,
// webgpu, wasm, cpu, fastest available first) and reports the one in use.
import * as tf from '@tensorflow/tfjs';

let chosen: Promise<string> | null = null;

/** Selects (once per process) and returns the active backend's name; `prefer` forces one. */
export function activeBackend(prefer?: string): Promise<string> {
  chosen ??= (async () => {
    const mod = (await import('../backend/index.js').catch(() => null)) as unknown as null | {
      selectBackend?: (o?: { prefer?: string }) => Promise<{ name: string }>;
    };
    if (mod?.selectBackend) return (await mod.selectBackend(prefer === undefined ? {} : { prefer })).name;
    await tf.setBackend(prefer ?? 'cpu');
    await tf.ready();
    return tf.getBackend();
  })();
  return chosen;
}
