// npm run db:copy: the one-time move of a SQLite database to PostgreSQL (issue 15). The source
// is the demo scenario written through the real app on a SQLite file; the target is a new
// PostgreSQL database per test.
//
// A tampered source is refused BEFORE anything is written: the source's chains are verified
// first (a copy must never turn a broken record into one that looks freshly made), so the
// target is not even migrated. The checks after the copy (counts, heads, chains recomputed on
// PostgreSQL) run inside the copy's transaction and roll it back on a mismatch; the last test
// shows that check catches an event changed on the PostgreSQL side.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPostgres, copyDatabase, tablesInCopyOrder, verifyPostgresChains } from '../../server/src/cli/db-copy.ts';
import { users as pgUsers } from '../../server/src/db/schema.postgres.ts';
import { buildTestApp } from '../helpers/app.ts';
import { freshPostgresDatabase, runPostgresTests, type TestDatabase } from '../helpers/postgres.ts';

describe.runIf(runPostgresTests)('db:copy from SQLite to PostgreSQL', () => {
  let dir: string;
  let sourcePath: string;
  const databases: TestDatabase[] = [];
  const fresh = async () => {
    const database = await freshPostgresDatabase();
    databases.push(database);
    return database;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lodestone-db-copy-'));
    const t = await buildTestApp({ demo: true });
    await t.app.close();
    // A closed database file of its own (buildTestApp's folder goes with its close()).
    sourcePath = join(dir, 'lodestone.db');
    copyFileSync(t.dbPath, sourcePath);
    await t.close();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(databases.map((d) => d.drop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
  const sqliteCounts = (path: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return Object.fromEntries(tablesInCopyOrder().map(({ name }) => [name, db.prepare(`SELECT count(*) FROM "${name}"`).pluck().get() as number]));
    } finally {
      db.close();
    }
  };
  const postgresCounts = async (client: pg.Client) => {
    const counts: Record<string, number> = {};
    for (const { name } of tablesInCopyOrder()) counts[name] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}"`)).rows[0]?.n);
    return counts;
  };
  const connect = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return client;
  };

  it('copies every row of every table exactly, stream heads equal, chains recompute on PostgreSQL', async () => {
    const target = await fresh();
    const lines: string[] = [];
    // 7 rows per INSERT: every table of more than a page is copied in several batches.
    const report = await copyDatabase({ from: `file:${sourcePath}`, to: target.url, log: (line) => lines.push(line), batchRows: 7 });
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(report.events).toBeGreaterThan(50);
    expect(report.streams).toBeGreaterThan(2);
    expect(report.tables.map((t) => t.name)).toEqual(tablesInCopyOrder().map((t) => t.name));
    expect(lines).toContain(`  events: ${report.events} rows`);

    const source = new Database(sourcePath, { readonly: true });
    const client = await connect(target.url);
    try {
      const counts = sqliteCounts(sourcePath);
      expect(await postgresCounts(client)).toEqual(counts);
      expect(report.rows).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
      expect(counts.users).toBeGreaterThan(5);
      expect(counts.alerts).toBeGreaterThan(5);

      // Every row, every column, as each schema reads it (booleans as booleans on both sides,
      // text byte for byte): the whole content is equal.
      const fromSqlite = drizzleSqlite(source);
      const fromPostgres = drizzlePg(client);
      for (const { name, source: sqliteTable, target: pgTable } of tablesInCopyOrder()) {
        const key = (row: object) => JSON.stringify(row);
        const a = fromSqlite.select().from(sqliteTable).all().map(key).sort();
        const b = (await fromPostgres.select().from(pgTable)).map(key).sort();
        expect(b, name).toEqual(a);
      }
      const users = await fromPostgres.select({ disabled: pgUsers.disabled, mustChangePassword: pgUsers.mustChangePassword }).from(pgUsers);
      expect(users.every((u) => typeof u.disabled === 'boolean' && typeof u.mustChangePassword === 'boolean')).toBe(true);

      const heads = source.prepare('SELECT name, head_seq, head_hash FROM streams ORDER BY name').all();
      const pgHeads = (await client.query('SELECT name, head_seq, head_hash FROM streams ORDER BY name COLLATE "C"')).rows;
      expect(pgHeads).toEqual(heads);
      const chains = await verifyPostgresChains(client, 7); // small pages: the paging itself is exercised
      expect(chains).toEqual({ ok: true, streams: report.streams, events: report.events });
      expect(await checkPostgres(target.url)).toEqual(chains);
    } finally {
      source.close();
      await client.end();
    }
  });

  it('leaves the source file as it was', async () => {
    const before = sha256File(sourcePath);
    expect((await copyDatabase({ from: `file:${sourcePath}`, to: (await fresh()).url })).ok).toBe(true);
    expect(sha256File(sourcePath)).toBe(before);
  });

  it('refuses a source whose schema is older than this version, asking to start the server on it once', async () => {
    const old = join(dir, 'old.db');
    copyFileSync(sourcePath, old);
    const db = new Database(old);
    db.prepare('DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)').run();
    db.close();
    const report = await copyDatabase({ from: `file:${old}`, to: (await fresh()).url });
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/lacks this version's SQLite migrations \(up to \w+\): start this version of the server on it once/);
  });

  it('refuses a target that already holds rows, and writes nothing to it', async () => {
    const target = await fresh();
    expect((await copyDatabase({ from: `file:${sourcePath}`, to: target.url })).ok).toBe(true);
    const client = await connect(target.url);
    try {
      const before = await postgresCounts(client);
      const again = await copyDatabase({ from: `file:${sourcePath}`, to: target.url });
      expect(again.ok).toBe(false);
      expect(again.error).toMatch(/target is not empty \(rows in users, /);
      expect(await postgresCounts(client)).toEqual(before);
    } finally {
      await client.end();
    }
  });

  it('refuses a source whose event was changed, naming it, before writing anything to the target', async () => {
    const tampered = join(dir, 'tampered.db');
    copyFileSync(sourcePath, tampered);
    const db = new Database(tampered);
    const victim = db.prepare("SELECT stream, seq, data FROM events WHERE data LIKE '%\"title\"%' ORDER BY stream, seq LIMIT 1").get() as { stream: string; seq: number; data: string };
    expect(victim).toBeDefined();
    // Only `data` is changed (not json): the stored hash no longer recomputes.
    db.prepare('UPDATE events SET data = ? WHERE stream = ? AND seq = ?').run(victim.data.replace('"title":"', '"title":"Edited: '), victim.stream, victim.seq);
    db.close();

    const target = await fresh();
    const report = await copyDatabase({ from: `file:${tampered}`, to: target.url });
    expect(report.ok).toBe(false);
    expect(report.error).toContain(`chain is broken at ${victim.stream} seq ${victim.seq}`);
    const client = await connect(target.url);
    try {
      const tables = await client.query<{ n: string }>("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'");
      expect(Number(tables.rows[0]?.n)).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('the PostgreSQL-side check names an event that does not recompute there', async () => {
    const target = await fresh();
    expect((await copyDatabase({ from: `file:${sourcePath}`, to: target.url })).ok).toBe(true);
    const client = await connect(target.url);
    try {
      const victim = (await client.query<{ stream: string; seq: number }>('SELECT stream, seq FROM events ORDER BY stream COLLATE "C", seq OFFSET 3 LIMIT 1')).rows[0];
      if (!victim) throw new Error('the copy holds no events');
      await client.query(`UPDATE events SET at = '2000-01-01T00:00:00.000Z', json = NULL WHERE stream = $1 AND seq = $2`, [victim.stream, victim.seq]);
      const chains = await verifyPostgresChains(client);
      expect(await checkPostgres(target.url)).toEqual(chains);
      expect(chains.ok).toBe(false);
      expect(chains.firstBad).toMatchObject({ stream: victim.stream, seq: victim.seq, reason: 'the hash does not recompute' });
    } finally {
      await client.end();
    }
  });

  it('refuses a source that is not a file: URL or a target that is not postgres://', async () => {
    expect((await copyDatabase({ from: `file:${join(dir, 'missing.db')}`, to: 'postgres://postgres@127.0.0.1/none' })).error).toMatch(/does not exist/);
    expect((await copyDatabase({ from: `file:${sourcePath}`, to: `file:${sourcePath}` })).error).toMatch(/--to must be a postgres/);
  });
});
