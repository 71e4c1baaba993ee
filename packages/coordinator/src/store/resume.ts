// What a coordinator does with its store at start: migrate a pre-store data directory, resume the
// run the store holds (the current model into memory, the strategy state, the privacy ledger,
// which must agree with the ledger rows exactly), re-apply token revocations, or else start from
// the initial weights or checkpoint it was given; and record the start and the config in the
// audit log (tokens in the clear never: only their count).
import { readFile } from 'node:fs/promises';
import { FedtuneError, weightsFromSafetensors, weightsVersion, type CryptoProvider, type Weights } from '@fedtune/shared';
import type { TokenRegistry } from '../auth/token-registry.js';
import type { CoordinatorConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { migrateStateFile } from '../model/migrate-state-file.js';
import type { ModelStore } from '../model/model-store.js';
import type { Strategy } from '../strategy/strategy.js';
import type { RunState, Store } from './store.js';

/** Where a resumed run stands, for the engine. */
export interface Resumed {
  lastRound: number;
  completedRounds: number;
}

export interface ResumeOptions {
  config: CoordinatorConfig;
  db: Store;
  models: ModelStore;
  strategy: Strategy;
  tokens: TokenRegistry;
  crypto: CryptoProvider;
  now: number;
  logger: Logger;
  initialWeights?: Weights;
}

/** The config as the audit log keeps it: clear tokens replaced by their count. */
export function redactedConfig(config: CoordinatorConfig): Record<string, unknown> {
  const { tokens, adminTokens, ...rest } = config;
  return { ...rest, tokens: `${tokens.length} in the clear (not recorded)`, adminTokens: `${adminTokens.length} in the clear (not recorded)` };
}

/**
 * Reads a safetensors checkpoint into weights and the metadata that describes them.
 * @throws FedtuneError FT_ERR_CONFIG naming the file when it is unreadable or not usable weights.
 */
export async function readCheckpoint(path: string): Promise<{ weights: Weights; metadata: Record<string, string> }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new FedtuneError('FT_ERR_CONFIG', `initialCheckpoint: cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return weightsFromSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new FedtuneError('FT_ERR_CONFIG', `initialCheckpoint ${path}: ${(err as Error).message}`);
  }
}

/**
 * Puts the stored run back in memory: the current model, the strategy state, and the privacy
 * ledger checked against its own rows. Used at start, and by a coordinator instance that becomes
 * the leader of a run others led before (cluster/cluster-leader.ts).
 * @throws FedtuneError FT_ERR_STORE when the current model is missing or the ledger rows disagree.
 */
export async function restoreRun(db: Store, models: ModelStore, strategy: Strategy): Promise<RunState | null> {
  const state = await db.runState();
  if (state === null || state.modelVersion === null) return state;
  const weights = await db.model(state.modelVersion);
  if (weights === null) throw new FedtuneError('FT_ERR_STORE', `${db.description}: the current model ${state.modelVersion.slice(0, 12)} is missing`);
  models.put(weights);
  if (state.strategyState !== null) strategy.loadState?.(state.strategyState);
  if (strategy.ledger !== undefined) {
    // The ledger rides in the strategy state and in its own rows, written in the same
    // transactions: any difference means the store was altered or damaged.
    const rows = JSON.stringify(await db.ledger());
    if (JSON.stringify(strategy.ledger()) !== rows) throw new FedtuneError('FT_ERR_STORE', `${db.description}: the privacy ledger rows and the strategy state disagree; refusing to resume`);
  }
  return state;
}

/** @throws FedtuneError FT_ERR_STORE (an inconsistent store), FT_ERR_CONFIG (a bad checkpoint). */
export async function resumeFromStore(o: ResumeOptions): Promise<Resumed> {
  const { config, db, models, strategy, logger, now } = o;
  await db.audit({ at: now, kind: 'start', detail: { store: db.description, pid: process.pid } });
  await db.audit({ at: now, kind: 'config', detail: redactedConfig(config) });
  if (config.dataDir !== undefined) await migrateStateFile(config.dataDir, db, strategy, o.crypto, now, logger);
  for (const hash of await db.revokedTokens()) o.tokens.revoke(hash);
  const state = await restoreRun(db, models, strategy);
  if (state !== null && state.modelVersion !== null) {
    if (config.initialCheckpoint !== undefined || o.initialWeights !== undefined) logger.info('resuming: the initial checkpoint is not used', { round: state.lastRound });
    logger.info('resumed from the store', { round: state.lastRound, completedRounds: state.completedRounds, version: state.modelVersion, store: db.description });
    return { lastRound: state.lastRound, completedRounds: state.completedRounds };
  }
  let initial: { weights: Weights; metadata: Record<string, string> } | null = null;
  if (o.initialWeights !== undefined) initial = { weights: o.initialWeights, metadata: {} };
  else if (config.initialCheckpoint !== undefined) initial = await readCheckpoint(config.initialCheckpoint);
  if (initial !== null) {
    const version = models.put(initial.weights);
    await db.commitRound({
      round: 0,
      summary: null,
      model: { version: weightsVersion(o.crypto, initial.weights), weights: initial.weights },
      strategyState: strategy.saveState?.() ?? null,
      ledger: [],
      participants: [],
      ...(Object.keys(initial.metadata).length === 0 ? {} : { modelInfo: initial.metadata }),
      at: now,
    });
    await db.tagModel(version, 'initial', now);
    logger.info('initial model', { version, source: config.initialCheckpoint ?? 'given weights', elements: initial.weights.data.length });
  }
  return { lastRound: 0, completedRounds: 0 };
}
