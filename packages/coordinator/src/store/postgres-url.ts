// A PostgreSQL store's address: a libpq-style URL (postgres:// or postgresql://, RFC 3986) whose
// `schema` query parameter names the PostgreSQL schema the run lives in (default `fedtune`), so
// several runs can share one database. The password never appears in logs or descriptions.
import { FedtuneError } from '@fedtune/shared';

/** The schema a run lives in when the URL names none. */
export const DEFAULT_SCHEMA = 'fedtune';

/** Lower-case identifiers only: they go into SQL, channel names and lock keys unquoted. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

export interface PostgresAddress {
  /** The URL pg connects with (the `schema` parameter removed). */
  connectionString: string;
  schema: string;
  /** For logs: `postgres://user@host:port/db?schema=s`, without the password. */
  description: string;
}

/** Whether a `--store` value or `store.url` names a PostgreSQL store. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/**
 * Splits a store URL into what pg needs and the schema.
 * @throws FedtuneError FT_ERR_CONFIG for a URL that is not postgres://, or a bad schema name.
 */
export function parsePostgresUrl(value: string, schemaOverride?: string): PostgresAddress {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FedtuneError('FT_ERR_CONFIG', 'store URL: not a URL (expected postgres://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new FedtuneError('FT_ERR_CONFIG', `store URL: the scheme must be postgres:// or postgresql://, got ${url.protocol}//`);
  if (url.pathname.length <= 1) throw new FedtuneError('FT_ERR_CONFIG', 'store URL: name the database (postgres://user@host:port/database)');
  const schema = schemaOverride ?? url.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) throw new FedtuneError('FT_ERR_CONFIG', `store schema ${JSON.stringify(schema.slice(0, 64))}: use lower-case letters, digits and _ (at most 40, not starting with a digit)`);
  url.searchParams.delete('schema');
  const shown = new URL(url.href);
  shown.password = '';
  shown.searchParams.set('schema', schema);
  return { connectionString: url.href, schema, description: shown.href.replace(/^postgresql:/, 'postgres:') };
}
