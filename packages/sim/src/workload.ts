// A simulation workload: a model paired with a dataset, able to build one trainer per simulated
// node on that node's shard of the data. `fedtune-sim --model M --dataset D` picks one by name.
import type { RandomSource, TrainConfig } from '@fedtune/shared';
import type { LocalTrainer } from '@fedtune/client';

export type PartitionSpec = { kind: 'iid' } | { kind: 'dirichlet'; alpha: number };

export interface WorkloadOptions {
  clients: number;
  partition: PartitionSpec;
  /** Seeded randomness for data generation, partitioning and weight initialisation. */
  random: RandomSource;
  /** Backend to force, or undefined for automatic selection. */
  backend?: string;
  /** Record-level DP-SGD inside each node (the `local-sgd` mode), where the workload supports it. */
  localDp?: { l2Clip: number; noiseMultiplier: number; delta: number };
  /**
   * Build only these nodes' trainers, in this order (a worker thread hosting some of the nodes);
   * each must equal the one a full build gives that node. Default: every node, in order. A
   * workload may ignore it and build every node: the thread then keeps its own and frees the rest.
   */
  nodes?: readonly number[];
}

export interface Workload {
  readonly model: string;
  readonly dataset: string;
  /** Config sent with every fit and evaluate instruction. */
  readonly trainConfig: TrainConfig;
  /** Whether createNodes honours `localDp` (record-level DP-SGD needs a trainer that implements it). */
  readonly supportsLocalDp?: boolean;
  /** Builds one trainer per node, each holding its own shard. */
  createNodes(options: WorkloadOptions): Promise<LocalTrainer[]>;
}
