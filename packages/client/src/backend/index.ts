// Training backends: probing, selection and the doctor report.
export { BACKEND_ORDER, TFJS_BACKEND, isBackendName, parseBackendName, type BackendName } from './names.js';
export { probeBackend, probeBackends, selectBackend, type BackendChoice, type BackendProbe, type SelectOptions } from './select.js';
export { installDawn, describeAdapter, type DawnResult, type GpuAdapterSummary } from './webgpu-dawn.js';
export { doctorReport, formatDoctor, type DoctorReport } from './doctor.js';
export { quietTfjs } from './quiet.js';
export { installWasmKernels, uninstallWasmKernels, useNativeGemm, wasmMatMulPath, type WasmMatMulPath } from './wasm-kernels.js';
export type { NativeGemm } from './wasm-matmul.js';
export { probeNativeBlas, type NativeBlasModule, type NativeBlasProbe } from './native-blas.js';
