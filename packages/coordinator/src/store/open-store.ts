// Opens the store a config names: the SQLite file in dataDir (or store.path), an in-memory one
// without either, or the PostgreSQL schema store.url names (several instances share it); with its
// at-rest key read from the environment variable or file the config names.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FedtuneError, type CryptoProvider } from '@fedtune/shared';
import type { CoordinatorConfig } from '../config.js';
import { parseAtRestKey } from './at-rest-seal.js';
import { failpointsFrom, type Failpoint } from './failpoints.js';
import { PostgresStore } from './postgres-store.js';
import { parsePostgresUrl } from './postgres-url.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** Read only, beside a running coordinator (the dashboard command). */
  readonly?: boolean;
  /** An existing store, beside its coordinator, for reading and audit entries (export). */
  shared?: boolean;
  env?: NodeJS.ProcessEnv;
  failpoint?: Failpoint;
  /** PostgreSQL: errors of idle pooled connections (logged by the caller). */
  onIdleError?: (err: Error) => void;
}

/** The database file of a config, `:memory:`, or the PostgreSQL store's description (no password). */
export function storePath(config: Pick<CoordinatorConfig, 'dataDir' | 'store'>): string {
  if (config.store.kind === 'postgres' && config.store.url !== undefined) return parsePostgresUrl(config.store.url, config.store.schema).description;
  return config.store.path ?? (config.dataDir === undefined ? ':memory:' : join(config.dataDir, 'fedtune.db'));
}

/**
 * The at-rest key the config names, or null.
 * @throws FedtuneError FT_ERR_CONFIG when the variable is unset or the file unreadable or malformed.
 */
export async function readAtRestKey(config: Pick<CoordinatorConfig, 'store'>, env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array | null> {
  const enc = config.store.encryption;
  if (enc === undefined) return null;
  if (enc.keyEnv !== undefined) {
    const value = env[enc.keyEnv];
    if (value === undefined || value === '') throw new FedtuneError('FT_ERR_CONFIG', `/store/encryption/keyEnv: the environment variable ${enc.keyEnv} is not set`);
    return parseAtRestKey(value, `the environment variable ${enc.keyEnv}`);
  }
  let text: string;
  try {
    text = await readFile(enc.keyFile!, 'utf8');
  } catch (err) {
    throw new FedtuneError('FT_ERR_CONFIG', `/store/encryption/keyFile: cannot read ${enc.keyFile}: ${(err as Error).message}`);
  }
  return parseAtRestKey(text, enc.keyFile!);
}

/**
 * Opens the config's store, creating its folder (or its PostgreSQL schema) when writable.
 * @throws FedtuneError FT_ERR_CONFIG (key, URL), FT_ERR_STORE, FT_ERR_STORE_KEY (see SqliteStore.open, PostgresStore.open).
 */
export async function openStore(config: Pick<CoordinatorConfig, 'dataDir' | 'store'>, crypto: CryptoProvider, o: OpenStoreOptions = {}): Promise<Store> {
  if (config.store.kind === 'postgres') {
    if (config.store.url === undefined) throw new FedtuneError('FT_ERR_CONFIG', '/store/url: a postgres store needs its URL');
    const address = parsePostgresUrl(config.store.url, config.store.schema);
    return PostgresStore.open({
      connectionString: address.connectionString,
      schema: address.schema,
      description: address.description,
      crypto,
      retention: config.store.retention,
      key: await readAtRestKey(config, o.env),
      ...(config.store.poolSize === undefined ? {} : { poolSize: config.store.poolSize }),
      auditMaxRows: config.store.auditMaxRows,
      readonly: o.readonly === true,
      failpoint: o.failpoint ?? failpointsFrom(),
      ...(o.onIdleError === undefined ? {} : { onIdleError: o.onIdleError }),
    });
  }
  const path = storePath(config);
  if (path !== ':memory:' && o.readonly !== true && o.shared !== true) await mkdir(dirname(path), { recursive: true });
  return SqliteStore.open({
    path,
    crypto,
    retention: config.store.retention,
    key: await readAtRestKey(config, o.env),
    synchronous: config.store.synchronous,
    auditMaxRows: config.store.auditMaxRows,
    readonly: o.readonly === true,
    shared: o.shared === true,
    failpoint: o.failpoint ?? failpointsFrom(),
  });
}
