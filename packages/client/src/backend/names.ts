// The training backends fedtune knows, in the order automatic selection tries them.

/**
 * `tensorflow-gpu` and `tensorflow` are libtensorflow through @tensorflow/tfjs-node-gpu and
 * @tensorflow/tfjs-node (optional installs; tfjs calls both `tensorflow`), `webgpu` is Dawn
 * through the `webgpu` package, `wasm` is XNNPACK in WebAssembly, `cpu` is plain JavaScript.
 */
export const BACKEND_ORDER = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

export type BackendName = (typeof BACKEND_ORDER)[number];

/** The name tfjs registers each backend under. */
export const TFJS_BACKEND: Readonly<Record<BackendName, string>> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  webgpu: 'webgpu',
  wasm: 'wasm',
  cpu: 'cpu',
};

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_ORDER as readonly string[]).includes(value);
}

/**
 * Parses a backend name from a flag or config value.
 * @throws RangeError naming the accepted values when `value` is not one.
 */
export function parseBackendName(value: string): BackendName {
  if (!isBackendName(value)) {
    throw new RangeError(`backend must be one of ${BACKEND_ORDER.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value;
}
