// Migrations on PostgreSQL: applied under an advisory lock, so nodes starting together do not
// race, and what they create has the same tables and columns as the SQLite migrations.
import type Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../server/src/db/connection.ts';
import { migratePostgres, openPostgresPool, POSTGRES_MIGRATIONS_FOLDER } from '../../server/src/db/postgres.ts';
import { freshPostgresDatabase, runPostgresTests, type TestDatabase } from '../helpers/postgres.ts';

const POSTGRES_ONLY = new Set(['socket_io_attachments']);

describe.runIf(runPostgresTests)('PostgreSQL migrations', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('run once when three nodes start at the same moment, and again find nothing to do', async () => {
    const pools = [1, 2, 3].map((n) => openPostgresPool(database.url, { max: 2, applicationName: `node-${n}` }));
    try {
      const [first, second] = pools as [pg.Pool, pg.Pool, pg.Pool];
      await Promise.all(pools.map((pool) => migratePostgres(pool)));
      const journal = JSON.parse(readFileSync(`${POSTGRES_MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
      const applied = await first.query<{ n: number }>('SELECT count(*) AS n FROM drizzle.__drizzle_migrations');
      // count(*) is int8: it comes back as a number, as on SQLite.
      expect(applied.rows[0]?.n).toBe(journal.entries.length);
      await migratePostgres(second);
      const again = await first.query<{ n: number }>('SELECT count(*) AS n FROM drizzle.__drizzle_migrations');
      expect(again.rows[0]?.n).toBe(journal.entries.length);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  // Order may differ (SQLite appends a column added later at the end); statements name columns.
  it('create the same tables and columns (name, nullability) as the SQLite migrations', async () => {
    const pool = openPostgresPool(database.url, { max: 1 });
    let sqlite: DatabaseHandle | undefined;
    try {
      await migratePostgres(pool);
      const pgColumns = await pool.query<{ table_name: string; column_name: string; is_nullable: string }>(
        "SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
      );
      const onPostgres = new Map<string, string[]>();
      for (const row of pgColumns.rows) {
        if (POSTGRES_ONLY.has(row.table_name)) continue;
        const list = onPostgres.get(row.table_name) ?? [];
        list.push(`${row.column_name}${row.is_nullable === 'NO' ? ' not null' : ''}`);
        onPostgres.set(row.table_name, list);
      }

      sqlite = openDatabase('file::memory:');
      const raw: Database.Database = sqlite.sqlite;
      const names = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%' ORDER BY name")
        .all() as { name: string }[];
      const onSqlite = new Map<string, string[]>();
      for (const { name } of names) {
        const columns = raw.prepare(`PRAGMA table_info(${name})`).all() as { name: string; notnull: number; pk: number }[];
        // SQLite lets a single-column text primary key hold NULL unless it says NOT NULL; PostgreSQL never does.
        onSqlite.set(name, columns.map((c) => `${c.name}${c.notnull === 1 || c.pk > 0 ? ' not null' : ''}`));
      }
      expect([...onPostgres.keys()].sort()).toEqual([...onSqlite.keys()].sort());
      for (const [table, columns] of onSqlite) expect(onPostgres.get(table)?.sort(), table).toEqual(columns.sort());
    } finally {
      sqlite?.close();
      await pool.end();
    }
  });
});
