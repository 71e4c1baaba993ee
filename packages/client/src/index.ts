// @fedtune/client: the edge-node SDK and the simulation harness.
export * from './federated-client.js';
export * from './training/trainer.js';
export * from './training/layers-trainer.js';
export * from './training/mlp.js';
export * from './training/tf-backend.js';
export * from './data/dataset.js';
export * from './data/partition.js';
export * from './data/synthetic-classification.js';
export * from './sim/workload.js';
export * from './sim/workloads.js';
export * from './sim/simulation.js';
export * from './sim/dropout-faults.js';
export * from './secagg-participant.js';
export * from './backend/index.js';
export * from './lm/index.js';
export * from './audit/exposure.js';
export * from './audit/membership.js';
