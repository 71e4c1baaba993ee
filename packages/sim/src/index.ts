// @fedtune/sim: the simulation harness (an embedded coordinator and a fleet of simulated nodes over
// real sockets), partitioners, workloads, fault injection and the canary experiment.
export * from './simulation.js';
export * from './workload.js';
export * from './workloads.js';
export * from './partition.js';
export * from './dropout-faults.js';
export * from './mlp-workload.js';
export { createGptTinyWorkload, gptTinyWorkload, type GptTinyOptions, type GptTinyWorkload, type PlantedCanary } from './lm/gpt-tiny-workload.js';
export { CANARY_DIGITS, CANARY_PREFIX, CONDITIONS, canaryText, generateNotes, makeCanary, type Canary, type Note } from './lm/synthetic-notes.js';
export * from './canary-experiment.js';
export * from './fuzz/protocol-fuzzer.js';
export { EVENT_ARBITRARIES, fuzzFrame, type FuzzFrame } from './fuzz/message-arbitraries.js';
