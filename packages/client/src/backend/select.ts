// Probes the tfjs backends fedtune can train on and selects the fastest available one, with a
// reason for every one it passes over (DESIGN.md, "Local training").
import * as tf from '@tensorflow/tfjs';
import { FedtuneError } from '@fedtune/shared';
import { BACKEND_ORDER, TFJS_BACKEND, type BackendName } from './names.js';
import { probeNativeBlas } from './native-blas.js';
import { installWasmKernels, useNativeGemm, wasmMatMulPath } from './wasm-kernels.js';
import { describeAdapter, errorText, installDawn } from './webgpu-dawn.js';

export interface BackendProbe {
  name: BackendName;
  available: boolean;
  /** Why it is unavailable, or what it runs on when available. */
  reason: string;
  /** WebGPU on a software rasteriser (lavapipe/llvmpipe, SwiftShader): works, but wasm is faster. */
  software?: boolean;
}

export interface BackendChoice {
  name: BackendName;
  /** What it runs on, e.g. the WebGPU adapter. */
  detail: string;
  /** Every backend considered before (and including) the chosen one. */
  tried: BackendProbe[];
}

export interface SelectOptions {
  /** Force this backend; selection fails if it is unavailable. */
  prefer?: BackendName;
  /** Where the choice is logged; default stderr. */
  log?: (line: string) => void;
}

const OPTIONAL_PACKAGE: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

const cache = new Map<BackendName, Promise<BackendProbe>>();

/**
 * Makes one backend usable (loading its package or driver) and checks it with a small matmul.
 * Leaves tfjs on that backend when it is available. Never throws.
 */
export function probeBackend(name: BackendName): Promise<BackendProbe> {
  let p = cache.get(name);
  if (p === undefined) {
    p = probeUncached(name);
    cache.set(name, p);
  }
  return p.then(async (probe) => {
    if (probe.available && tf.engine().backendName !== TFJS_BACKEND[name]) await activate(name);
    return probe;
  });
}

async function probeUncached(name: BackendName): Promise<BackendProbe> {
  let detail: string;
  try {
    detail = await load(name);
  } catch (err) {
    return { name, available: false, reason: errorText(err) };
  }
  try {
    await activate(name);
    await smokeTest();
    const software = name === 'webgpu' && /llvmpipe|lavapipe|swiftshader|software/i.test(detail);
    return software ? { name, available: true, reason: detail, software } : { name, available: true, reason: detail };
  } catch (err) {
    return { name, available: false, reason: `loaded but failed a smoke test: ${errorText(err)}` };
  }
}

async function load(name: BackendName): Promise<string> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const pkg = OPTIONAL_PACKAGE[name] as string;
      try {
        // A non-literal specifier: the package is optional and absent from the lockfile.
        await import(pkg);
      } catch (err) {
        const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
        throw new Error(
          missing
            ? `${pkg} is not installed (optional: its install downloads libtensorflow${name === 'tensorflow-gpu' ? ' and needs CUDA' : ''})`
            : `${pkg} did not load: ${errorText(err)}`,
        );
      }
      if (tf.findBackendFactory('tensorflow') === null) throw new Error(`${pkg} loaded but registered no tensorflow backend`);
      return name === 'tensorflow-gpu' ? 'libtensorflow with CUDA' : 'libtensorflow on CPU';
    }
    case 'webgpu': {
      const dawn = await installDawn();
      if (!dawn.ok) throw new Error(dawn.reason);
      // The backend registers itself on import only when navigator.gpu exists, so Dawn comes first.
      await import('@tensorflow/tfjs-backend-webgpu');
      if (tf.findBackendFactory('webgpu') === null) throw new Error('tfjs-backend-webgpu did not register (navigator.gpu missing)');
      return `Dawn on ${describeAdapter(dawn.adapter)}`;
    }
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      return `XNNPACK${simd === true ? ' with SIMD' : ''}${threads === true ? ', multithreaded' : ', one thread'}; ${await configureWasmMatMul()}`;
    }
    case 'cpu':
      return 'plain JavaScript';
  }
}

/**
 * fedtune's wasm kernels (every matmul layout on XNNPACK), and the native OpenBLAS matmul over them
 * when @fedtune/native-blas is built. Returns the matmul path, for the probe's reason.
 */
async function configureWasmMatMul(): Promise<string> {
  if (!installWasmKernels()) return 'matmul: tfjs-backend-wasm\'s own kernels (fedtune\'s could not be registered)';
  const native = await probeNativeBlas();
  useNativeGemm(native.available ? native.blas : null);
  // One OpenBLAS thread unless OPENBLAS_NUM_THREADS says otherwise: a second one bought nothing
  // for GPTs up to width 256 here, and its spin-waiting starves the process's other threads
  // (BENCHMARKS.md, issue 16). Parallelism comes from trainer threads, one per core.
  if (native.available && process.env['OPENBLAS_NUM_THREADS'] === undefined) native.blas.setThreads(1);
  return wasmMatMulPath() === 'native' && native.available ? `matmul: native ${native.detail}` : `matmul: XNNPACK for every layout (native BLAS: ${native.available ? 'off' : native.reason})`;
}

async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(TFJS_BACKEND[name]);
  if (!ok) throw new Error(`tf.setBackend('${TFJS_BACKEND[name]}') refused`);
  await tf.ready();
}

async function smokeTest(): Promise<void> {
  const y = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([0, 1, 1, 0], [2, 2])));
  const got = Array.from(await y.data());
  y.dispose();
  if (got.join() !== '2,1,4,3') throw new Error(`a 2x2 matmul gave ${got.join(',')}`);
}

/**
 * Probes every backend in selection order (for `fedtune-client doctor`) and names the one
 * automatic selection would pick (never a software WebGPU adapter). Leaves tfjs on that backend.
 */
export async function probeBackends(): Promise<{ backends: BackendProbe[]; choice: BackendName }> {
  const backends: BackendProbe[] = [];
  for (const name of BACKEND_ORDER) backends.push(await probeBackend(name));
  const choice = backends.find((b) => b.available && b.software !== true)?.name ?? 'cpu';
  await probeBackend(choice);
  return { backends, choice };
}

/**
 * Selects and activates a backend: `prefer` if given, else the first available in
 * BACKEND_ORDER. Logs one line with the choice and what was passed over.
 * @throws FedtuneError FT_ERR_CONFIG when the preferred backend is unavailable.
 */
export async function selectBackend(options: SelectOptions = {}): Promise<BackendChoice> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const order: readonly BackendName[] = options.prefer !== undefined ? [options.prefer] : BACKEND_ORDER;
  const tried: BackendProbe[] = [];
  for (const name of order) {
    const probe = await probeBackend(name);
    tried.push(probe);
    // Measured on lavapipe (bench/lm.bench.ts): wasm trains ~2.5x faster, so automatic selection
    // passes over a software adapter; `prefer: 'webgpu'` still forces it.
    if (probe.available && probe.software === true && options.prefer === undefined) {
      tried[tried.length - 1] = { ...probe, available: false, reason: `software adapter, slower than wasm (${probe.reason}); force it with backend webgpu` };
      continue;
    }
    if (probe.available) {
      const skipped = tried.filter((t) => !t.available).map((t) => `${t.name}: ${t.reason}`);
      log(`fedtune: training backend ${name} (${probe.reason})${skipped.length > 0 ? `; skipped ${skipped.join('; ')}` : ''}`);
      return { name, detail: probe.reason, tried };
    }
  }
  const last = tried[tried.length - 1];
  throw new FedtuneError('FT_ERR_CONFIG', `backend ${options.prefer ?? 'cpu'} unavailable: ${last?.reason ?? 'not probed'}`);
}
