// The settings of several instances on one PostgreSQL store (config.ts `cluster`), with their
// defaults, whether or not the config has the section: every instance on a PostgreSQL store is a
// member of its run's cluster, a cluster of one included.
import type { CoordinatorConfig } from '../config.js';

export interface ClusterSettings {
  minGroupSize: number;
  leaderRetryMs: number;
  heartbeatMs: number;
  instanceTimeoutMs: number;
  advertiseUrl?: string;
}

export const CLUSTER_DEFAULTS: ClusterSettings = { minGroupSize: 10, leaderRetryMs: 1000, heartbeatMs: 500, instanceTimeoutMs: 5000 };

/** Whether this config runs as a member of several instances (a PostgreSQL store). */
export function isClustered(config: Pick<CoordinatorConfig, 'store'>): boolean {
  return config.store.kind === 'postgres';
}

export function clusterSettings(config: Pick<CoordinatorConfig, 'cluster'>): ClusterSettings {
  return { ...CLUSTER_DEFAULTS, ...(config.cluster ?? {}) };
}
