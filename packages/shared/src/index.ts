// @fedtune/shared: the error catalogue, the wire protocol and the pure math and crypto both sides
// agree on. Command-line plumbing is the separate entry point `@fedtune/shared/cli`.
export * from './errors/catalogue.js';
export * from './protocol/limits.js';
export * from './protocol/version.js';
export * from './protocol/messages.js';
export * from './protocol/events.js';
export * from './protocol/codec.js';
export * from './protocol/typed-arrays.js';
export * from './auth/hello-proof.js';
export * from './auth/token-strength.js';
export * from './crypto/provider.js';
export * from './crypto/node-crypto.js';
export { nativeCryptoStatus, type NativeCryptoStatus } from './crypto/native-keystream.js';
export * from './crypto/random.js';
export * from './model/weights.js';
export * from './model/layout-diff.js';
export * from './model/safetensors.js';
export * from './model/safetensors-weights.js';
export * from './math/vector.js';
export * from './math/distributions.js';
export * from './math/permutation.js';
export * from './secagg/index.js';
// secagg/ has its own chunkCount(state); the package-level name is the layout helper.
export { chunkCount } from './model/weights.js';
export * from './dp/index.js';
