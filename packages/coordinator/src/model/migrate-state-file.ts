// Moves a data directory written before the store (state.json + model-<version>.f32 per round,
// state-file.ts) into the store on first start: the current model, the round counter and the
// strategy state (the privacy ledger included) become one commit. The two files that made the
// state are kept in <dataDir>/pre-store/; the superseded model files, which nothing referenced,
// are deleted. Safe to interrupt: the commit is atomic and the cleanup runs again next start.
import { mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FedtuneError, weightsVersion, type CryptoProvider } from '@fedtune/shared';
import type { Logger } from '../logger.js';
import type { Strategy } from '../strategy/strategy.js';
import type { Store } from '../store/store.js';
import { loadState } from './state-file.js';

/** The store's meta key marking a finished migration (JSON: dir, round, at). */
export const MIGRATED_META = 'migrated_from';

async function cleanUp(dir: string, version: string, logger: Logger): Promise<{ kept: string[]; deleted: number }> {
  const aside = join(dir, 'pre-store');
  await mkdir(aside, { recursive: true });
  const kept: string[] = [];
  let deleted = 0;
  for (const name of await readdir(dir)) {
    if (name === 'state.json' || name === `model-${version}.f32`) {
      await rename(join(dir, name), join(aside, name));
      kept.push(join(aside, name));
    } else if (/^model-[0-9a-f]{64}\.f32$/.test(name) || /^(state\.json|model-[0-9a-f]{64}\.f32)\.tmp-\d+$/.test(name)) {
      await unlink(join(dir, name));
      deleted++;
    }
  }
  logger.info('old data directory files moved aside', { kept, deletedSupersededModels: deleted });
  return { kept, deleted };
}

/**
 * Imports `dir`'s pre-store state into `store` when it has one, and returns the round it resumes
 * from; null when there was nothing to migrate.
 * @throws FedtuneError FT_ERR_STORE when the store already holds another run, or the old files
 * are inconsistent (a model that does not match its name); FT_ERR_CONFIG when they are unreadable.
 */
export async function migrateStateFile(dir: string, store: Store, strategy: Strategy, crypto: CryptoProvider, now: number, logger: Logger): Promise<{ round: number } | null> {
  const saved = await loadState(dir);
  if (saved === null) return null;
  const marked = await store.getMeta(MIGRATED_META);
  if (marked !== null) {
    // Committed earlier; the cleanup did not finish. Finish it.
    await cleanUp(dir, saved.modelVersion, logger);
    return null;
  }
  if ((await store.runState()) !== null) {
    throw new FedtuneError('FT_ERR_STORE', `${dir} holds both a store and an older state.json from another run: move one of them away`);
  }
  if (weightsVersion(crypto, saved.weights) !== saved.modelVersion) throw new FedtuneError('FT_ERR_STORE', `${dir}/model-${saved.modelVersion.slice(0, 12)}... does not match its name`);
  const strategyState = saved.extra.strategy ?? null;
  if (strategyState !== null) strategy.loadState?.(strategyState);
  await store.setMeta('completed_offset', String(saved.round));
  await store.commitRound({
    round: saved.round,
    summary: null,
    model: { version: saved.modelVersion, weights: saved.weights },
    strategyState,
    ledger: strategy.ledger?.() ?? [],
    participants: [],
    at: now,
  });
  await store.setMeta(MIGRATED_META, JSON.stringify({ dir, round: saved.round, at: now }));
  const { kept, deleted } = await cleanUp(dir, saved.modelVersion, logger);
  await store.audit({ at: now, kind: 'migration', detail: { from: dir, round: saved.round, modelVersion: saved.modelVersion, kept, deletedSupersededModels: deleted } });
  logger.info('migrated the data directory into the store', { round: saved.round, version: saved.modelVersion });
  return { round: saved.round };
}
