// @fedtune/client: the edge-node SDK: connection and lifecycle, trainers and backends, language
// models, data loading and redaction, node-side privacy audits. It never imports the coordinator.
export * from './federated-client.js';
export * from './training/trainer.js';
export * from './training/layers-trainer.js';
export * from './training/mlp.js';
export * from './training/tf-backend.js';
export { DpSgdTrainer, type DpSgdOptions, type DpSgdTrainerOptions, type PerExampleLoss, type PrivacySpent, type SampledGaussianEvent } from './training/dp-sgd-trainer.js';
export { categoricalCrossentropyPerExample } from './training/dp-sgd-gradients.js';
export { createLmNode, NODE_LORA, type LmNode, type LmNodeModel, type LmNodeOptions } from './training/lm-node.js';
export { reportableMetrics } from './training/reportable-metrics.js';
export { isDpSgdCapable, type DpSgdApplied, type DpSgdCapable, type DpSgdRequest } from './training/dp-sgd-capable.js';
export { DpSgdOnDemand, type DpSgdTrainerFactory } from './training/dp-sgd-on-demand.js';
export { dpRoundOf, localSgdRequest, type DpRound } from './training/dp-round.js';
export * from './data/dataset.js';
export * from './data/synthetic-classification.js';
export * from './data/load-tabular.js';
export * from './data/redact.js';
export * from './secagg-participant.js';
export * from './backend/index.js';
export * from './lm/index.js';
export * from './audit/exposure.js';
export * from './audit/membership.js';
