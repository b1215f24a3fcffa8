import { isPostgresUrl } from '../db/postgres.ts';
import { databasePath } from '../db/connection.ts';
import { PgStore } from './postgres.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './store.ts';

export interface OpenOptions {
  /** Another process's reads only (the PDF renderer): no migration, one connection. */
  readOnly?: boolean;
  /** The node's name in pg_stat_activity. */
  applicationName?: string;
}

/** The store a DATABASE_URL names: `postgres://…` PostgreSQL, `file:…` SQLite (migrated unless read-only). */
export async function openStore(url: string, options: OpenOptions = {}): Promise<Store> {
  if (isPostgresUrl(url)) {
    return options.readOnly
      ? PgStore.open(url, { max: 1, migrate: false, applicationName: options.applicationName ?? 'lodestone-reader' })
      : PgStore.open(url, { applicationName: options.applicationName });
  }
  return options.readOnly ? SqliteStore.openReadOnly(databasePath(url)) : SqliteStore.open(url);
}
