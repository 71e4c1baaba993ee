// @fedtune/shared/cli: what the three commands share: the dispatcher (help, version, exit codes),
// one-line failure reports, flag parsing, and the filter for native libraries' stderr noise.
export * from './dispatch.js';
export * from './failure.js';
export * from './flags.js';
export * from './quiet-native.js';
