// The two stores' table definitions are written twice (drizzle has no dialect-neutral table), so
// this test holds them together: the same tables, columns, nullability, keys, indexes and
// foreign keys, so that one SQL statement with plain names means the same on both.
import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../../server/src/db/schema.postgres.ts';
import * as sqliteSchema from '../../server/src/db/schema.ts';

/** Tables of one dialect only: the Socket.IO adapter's, which exists only where there are several nodes. */
const POSTGRES_ONLY = new Set(['socket_io_attachments']);

interface Shape {
  columns: { name: string; notNull: boolean; hasDefault: boolean; primary: boolean }[];
  primaryKeys: string[][];
  indexes: { name: string; columns: string[]; unique: boolean }[];
  foreignKeys: { columns: string[]; table: string; foreignColumns: string[]; onDelete: string }[];
}

type AnyConfig = ReturnType<typeof pgConfig> | ReturnType<typeof sqliteConfig>;

function shape(config: AnyConfig): Shape {
  return {
    columns: config.columns.map((c) => ({ name: c.name, notNull: c.notNull, hasDefault: c.hasDefault, primary: c.primary })),
    primaryKeys: config.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    indexes: config.indexes
      .map((i) => ({
        name: i.config.name ?? '',
        columns: i.config.columns.map((c) => ('name' in c ? String(c.name) : '?')),
        unique: i.config.unique ?? false,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        return {
          columns: ref.columns.map((c) => c.name),
          table: (ref.foreignTable as unknown as Record<symbol, string>)[Symbol.for('drizzle:Name')] ?? '',
          foreignColumns: ref.foreignColumns.map((c) => c.name),
          onDelete: fk.onDelete ?? 'no action',
        };
      })
      .sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
  };
}

function tables<T>(schema: Record<string, unknown>, kind: abstract new (...args: never[]) => T): Map<string, T> {
  const found = new Map<string, T>();
  for (const value of Object.values(schema)) if (value instanceof kind) found.set((value as unknown as Record<symbol, string>)[Symbol.for('drizzle:Name')] ?? '', value);
  return found;
}

const sqliteTables = tables(sqliteSchema, SQLiteTable);
const pgTables = tables(pgSchema, PgTable);

describe('the PostgreSQL and SQLite schemas', () => {
  it('have the same tables', () => {
    const pgNames = [...pgTables.keys()].filter((name) => !POSTGRES_ONLY.has(name)).sort();
    expect(pgNames).toEqual([...sqliteTables.keys()].sort());
    expect(pgNames.length).toBeGreaterThan(5);
  });

  for (const [name, table] of sqliteTables) {
    it(`define ${name} alike: columns, nullability, keys, indexes, foreign keys`, () => {
      const other = pgTables.get(name);
      if (!other) throw new Error(`${name} is missing from schema.postgres.ts`);
      expect(shape(pgConfig(other))).toEqual(shape(sqliteConfig(table)));
    });
  }
});
