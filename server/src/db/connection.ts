import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from './schema.ts';

export type Db = BetterSQLite3Database<typeof schema>;

export interface DatabaseHandle {
  /** drizzle over the connection; what feature services and the event log use. */
  db: Db;
  /** The raw better-sqlite3 connection, for pragmas, transactions and backups. */
  sqlite: Database.Database;
  /** True when the schema was created by this open: the database is new. */
  created: boolean;
  close(): void;
}

export const MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '../../../migrations/sqlite');

/** Turns `file:PATH` or `file::memory:` into what better-sqlite3 opens. */
export function databasePath(url: string): string {
  if (!url.startsWith('file:')) throw new Error(`DATABASE_URL must start with "file:" (got "${url}")`);
  const path = url.slice('file:'.length);
  if (path === '' ) throw new Error('DATABASE_URL names no file');
  return path === ':memory:' ? ':memory:' : resolve(path);
}

/** The page cache of the server's connection, in KiB. */
const PAGE_CACHE_KIB = 64 * 1024;

/**
 * Opens the SQLite database with the durability Lodestone promises (WAL, synchronous=FULL,
 * foreign keys, a busy timeout) and applies pending migrations.
 */
export function openDatabase(url: string): DatabaseHandle {
  const path = databasePath(url);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  // better-sqlite3 opens WAL connections at NORMAL; an acknowledged change must survive power loss.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Up to 64 MiB of pages kept in memory (SQLite's default is 2 MiB): catch-up re-reads the
  // recent events of a stream, and a cache miss is a read() of each 4 KiB page. It only grows
  // as pages are read, to at most the size of the database.
  sqlite.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  const hadSchema =
    sqlite.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'users'").get() as { n: number };
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return {
    db,
    sqlite,
    created: hadSchema.n === 0,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}

/**
 * A second connection to an existing database for reading only (a worker thread's): no
 * migration, and SQLite refuses any write on it. In WAL mode its reads never wait for writers.
 */
export function openReader(path: string): DatabaseHandle {
  const sqlite = new Database(path, { fileMustExist: true });
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('query_only = ON');
  const db = drizzle(sqlite, { schema });
  return {
    db,
    sqlite,
    created: false,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}
