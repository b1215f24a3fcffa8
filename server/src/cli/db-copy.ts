// One-time move of a Lodestone database from SQLite to PostgreSQL (issue 15):
//   npm run db:copy -- --from file:./data/lodestone.db --to postgres://user@host/lodestone
//   npm run db:copy -- --check postgres://user@host/lodestone    (chains only, e.g. after pg_restore)
// Stop the server first. The source is opened read-only and never changed. The target gets the
// PostgreSQL migrations and must hold no Lodestone row; every table is copied in foreign-key
// order inside ONE transaction, and before it commits the copy is checked: row counts per
// table, every stream's head (seq, hash) against the source, and every hash chain recomputed
// from the PostgreSQL rows. Any mismatch rolls the whole copy back: the target stays empty.
// Exit 0 when copied (or checked) and verified; 1 when refused or a check fails (nothing written); 2 on bad usage.
import Database from 'better-sqlite3';
import { getTableColumns, getTableName, is, sql } from 'drizzle-orm';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type pg from 'pg';
import { GENESIS_HASH, chainInput, type LodestoneEvent } from '@lodestone/shared';
import { databasePath, MIGRATIONS_FOLDER, type DatabaseHandle } from '../db/connection.ts';
import { isPostgresUrl, migratePostgres, openPostgresPool } from '../db/postgres.ts';
import * as pgSchema from '../db/schema.postgres.ts';
import * as sqliteSchema from '../db/schema.ts';
import { EventLog, eventJson, sha256Hex, toEvent } from '../events/event-log.ts';
import { SqliteStore } from '../store/sqlite.ts';

/** Rows per INSERT (the widest table has 22 columns: far below PostgreSQL's 65,535 parameters). */
export const BATCH_ROWS = 500;

/** Tables that exist on PostgreSQL only and hold nothing to copy: the Socket.IO adapter's. */
const POSTGRES_ONLY = new Set(['socket_io_attachments']);

export interface CopyOptions {
  /** `file:PATH` of the SQLite database. */
  from: string;
  /** `postgres://…` of the target database. */
  to: string;
  /** Progress lines; nothing when omitted. */
  log?: (line: string) => void;
  /** Rows per INSERT; BATCH_ROWS when omitted. */
  batchRows?: number;
}

export interface CopyReport {
  ok: boolean;
  /** Why the copy was refused or failed its check; nothing was written to the target then. */
  error?: string;
  /** Rows copied per table, in the order copied. */
  tables: { name: string; rows: number }[];
  rows: number;
  streams: number;
  events: number;
  ms: number;
}

class Refused extends Error {}

type Row = Record<string, unknown>;

interface TablePair {
  name: string;
  source: SQLiteTable;
  target: PgTable;
}

/** The tables of both schemas, matched by SQL name, in foreign-key order (referenced tables first). */
export function tablesInCopyOrder(): TablePair[] {
  const pgTables = new Map<string, PgTable>();
  for (const value of Object.values(pgSchema)) if (is(value, PgTable)) pgTables.set(getTableName(value), value);
  const sqliteTables = new Map<string, SQLiteTable>();
  for (const value of Object.values(sqliteSchema)) if (is(value, SQLiteTable)) sqliteTables.set(getTableName(value), value);

  const pairs = new Map<string, TablePair>();
  for (const [name, target] of pgTables) {
    if (POSTGRES_ONLY.has(name)) continue;
    const source = sqliteTables.get(name);
    if (!source) throw new Error(`schema.postgres.ts has the table ${name}, schema.ts does not`);
    const a = Object.keys(getTableColumns(source)).sort().join(',');
    const b = Object.keys(getTableColumns(target)).sort().join(',');
    if (a !== b) throw new Error(`the table ${name} has different columns in schema.ts (${a}) and schema.postgres.ts (${b})`);
    pairs.set(name, { name, source, target });
  }
  for (const name of sqliteTables.keys()) if (!pairs.has(name)) throw new Error(`schema.ts has the table ${name}, schema.postgres.ts does not`);

  const ordered: TablePair[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`foreign keys form a cycle through ${name}`);
    state.set(name, 'visiting');
    const pair = pairs.get(name);
    if (!pair) throw new Error(`a foreign key names the unknown table ${name}`);
    for (const fk of getTableConfig(pair.target).foreignKeys) {
      const referenced = getTableName(fk.reference().foreignTable);
      if (referenced !== name) visit(referenced);
    }
    state.set(name, 'done');
    ordered.push(pair);
  };
  for (const name of [...pairs.keys()].sort()) visit(name);
  return ordered;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

type EventRow = typeof sqliteSchema.events.$inferSelect;

export interface ChainReport {
  ok: boolean;
  streams: number;
  events: number;
  /** The first event (or head) that does not verify, and why. */
  firstBad?: { stream: string; seq: number; reason: string };
}

/**
 * EventLog.verify's algorithm over the events of a PostgreSQL database: per stream, seqs run
 * 1, 2, 3…, each prevHash is the previous hash, actor_id is the actor's id, the json column is
 * the chained event, the hash recomputes, and the streams row's head is the last event.
 * Reads in pages of `page` rows in (stream, seq) order, never the whole table at once.
 */
export async function verifyPostgresChains(client: pg.ClientBase, page = 2000): Promise<ChainReport> {
  const heads = new Map<string, { seq: number; hash: string }>();
  for (const row of (await client.query<{ name: string; head_seq: number; head_hash: string }>('SELECT name, head_seq, head_hash FROM streams')).rows) {
    heads.set(row.name, { seq: row.head_seq, hash: row.head_hash });
  }
  let count = 0;
  const seen = new Set<string>();
  type Walk = { name: string; expected: number; prevHash: string };
  let current = null as Walk | null;
  // The end of a stream's events: its streams row must name the last one.
  const closeStream = (current: Walk | null): ChainReport['firstBad'] => {
    if (!current) return undefined;
    const head = heads.get(current.name);
    const last = current.expected - 1;
    if (!head) return { stream: current.name, seq: last, reason: 'the stream has events but no row in streams' };
    if (head.seq !== last || head.hash !== current.prevHash) {
      return { stream: current.name, seq: Math.max(head.seq, last), reason: `the streams row says head ${head.seq} ${head.hash}, the events end at ${last} ${current.prevHash}` };
    }
    return undefined;
  };
  const fail = (firstBad: NonNullable<ChainReport['firstBad']>): ChainReport => ({ ok: false, streams: seen.size, events: count, firstBad });

  let after: [string, number] | null = null;
  for (;;) {
    const result: pg.QueryResult<EventRow> = await client.query<EventRow>(
      `SELECT stream, seq, type, at, actor_id AS "actorId", actor, data, prev_hash AS "prevHash", hash, json FROM events
       ${after ? 'WHERE (stream, seq) > ($2, $3)' : ''} ORDER BY stream, seq LIMIT $1`,
      after ? [page, after[0], after[1]] : [page],
    );
    for (const row of result.rows) {
      if (current?.name !== row.stream) {
        const bad = closeStream(current);
        if (bad) return fail(bad);
        current = { name: row.stream, expected: 1, prevHash: GENESIS_HASH };
        seen.add(row.stream);
      }
      count++;
      const bad = (reason: string) => fail({ stream: row.stream, seq: row.seq, reason });
      let event: LodestoneEvent;
      try {
        event = toEvent(row);
      } catch {
        return bad('actor or data is not JSON');
      }
      if (row.seq !== current.expected) return bad(`expected seq ${current.expected}`);
      if (row.prevHash !== current.prevHash) return bad('prevHash is not the previous event’s hash');
      if ((event.actor?.id ?? null) !== row.actorId) return bad('actor_id is not the actor’s id');
      if (row.json !== null && row.json !== eventJson(event, row.data)) return bad('the json column is not the chained event');
      if (sha256Hex(chainInput(event)) !== row.hash) return bad('the hash does not recompute');
      current.prevHash = row.hash;
      current.expected++;
    }
    if (result.rows.length < page) break;
    const last = result.rows[result.rows.length - 1] as EventRow;
    after = [last.stream, last.seq];
  }
  const bad = closeStream(current);
  if (bad) return fail(bad);
  // A streams row without events must say seq 0 at the genesis hash (the server never writes one).
  for (const [name, head] of heads) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (head.seq !== 0 || head.hash !== GENESIS_HASH) return fail({ stream: name, seq: head.seq, reason: 'the streams row names events that do not exist' });
  }
  return { ok: true, streams: seen.size, events: count };
}

/** Opens the SQLite source read-only, refusing one whose schema is older than this code's. */
function openSource(url: string): DatabaseHandle {
  const path = databasePath(url);
  if (path === ':memory:') throw new Refused('--from names an in-memory database: there is nothing to copy.');
  if (!existsSync(path)) throw new Refused(`--from names ${path}, which does not exist.`);
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  sqlite.pragma('busy_timeout = 5000');
  const close = () => {
    if (sqlite.open) sqlite.close();
  };
  try {
    // As drizzle's migrator decides: a migration is applied when the last one recorded is not older.
    const journal = JSON.parse(readFileSync(resolve(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as { entries: { when: number; tag: string }[] };
    const latest = journal.entries.at(-1);
    const hasTable = sqlite.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").pluck().get() as number;
    const applied = hasTable ? (sqlite.prepare('SELECT max(created_at) FROM __drizzle_migrations').pluck().get() as number | null) : null;
    if (latest && (applied === null || applied < latest.when)) {
      throw new Refused(
        `${path} lacks this version's SQLite migrations (up to ${latest.tag}): start this version of the server on it once ` +
          '(it migrates at start), stop it, and copy again. The copy does not change its source.',
      );
    }
  } catch (error) {
    close();
    throw error;
  }
  return { db: drizzleSqlite(sqlite, { schema: sqliteSchema }), sqlite, created: false, close };
}

/** The `file:` source has every table the copy knows, and no other (apart from SQLite's and drizzle's own). */
function checkSourceTables(source: DatabaseHandle, pairs: TablePair[]): void {
  const names = source.sqlite
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'")
    .pluck()
    .all() as string[];
  const known = new Set(pairs.map((p) => p.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new Refused(`the source has tables this copy does not know: ${unknown.join(', ')}`);
}

/** Any NUL character: SQLite text may hold one, PostgreSQL text cannot. */
function findNul(table: string, row: Row): void {
  for (const [key, value] of Object.entries(row)) {
    if (typeof value === 'string' && value.includes('\u0000')) {
      throw new Refused(`${table}.${key} holds a NUL character (row ${JSON.stringify(row).slice(0, 200)}): PostgreSQL text cannot store it; nothing was copied.`);
    }
  }
}

/** The Lodestone tables of the target that hold a row (when `ifExists`, tables not created yet count as empty). */
async function nonEmptyTables(client: pg.ClientBase, pairs: TablePair[], ifExists: boolean): Promise<string[]> {
  const filled: string[] = [];
  for (const { name } of pairs) {
    if (ifExists) {
      const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [quote(name)]);
      if (exists.rows[0]?.t == null) continue;
    }
    const any = await client.query(`SELECT 1 FROM ${quote(name)} LIMIT 1`);
    if (any.rowCount) filled.push(name);
  }
  return filled;
}

const notEmpty = (tables: string[]) =>
  `the target is not empty (rows in ${tables.join(', ')}): db:copy only fills a new, empty database; nothing was written.`;

/** The core of `npm run db:copy`; also what the tests call. */
export async function copyDatabase(options: CopyOptions): Promise<CopyReport> {
  const log = options.log ?? (() => undefined);
  const batchRows = options.batchRows ?? BATCH_ROWS;
  const started = performance.now();
  const report: CopyReport = { ok: false, tables: [], rows: 0, streams: 0, events: 0, ms: 0 };
  const done = (error?: string): CopyReport => {
    report.ms = Math.round(performance.now() - started);
    if (error === undefined) report.ok = true;
    else report.error = error;
    return report;
  };

  if (!isPostgresUrl(options.to)) return done(`--to must be a postgres:// or postgresql:// URL (got "${options.to}")`);
  let source: DatabaseHandle;
  try {
    source = openSource(options.from);
  } catch (error) {
    return done((error as Error).message);
  }
  let pool: pg.Pool | undefined;
  try {
    const pairs = tablesInCopyOrder();
    checkSourceTables(source, pairs);

    // One read transaction on the source: every table and the check are of one moment.
    source.sqlite.exec('BEGIN');
    const integrity = source.sqlite.pragma('integrity_check', { simple: true }) as string;
    if (integrity !== 'ok') throw new Refused(`the source fails PRAGMA integrity_check (${integrity}); nothing was copied.`);
    // The source's chains must verify before anything is written: a copy never launders a broken record.
    const audit = await new EventLog(new SqliteStore(source, source), () => new Date()).verify();
    if (!audit.ok) {
      throw new Refused(
        `the source's hash chain is broken at ${audit.firstBadEvent?.stream} seq ${audit.firstBadEvent?.seq} ` +
          '(the stored event does not recompute, or its stream head does not match): nothing was copied. Restore the source from a backup that verifies.',
      );
    }
    log(`source ${databasePath(options.from)}: integrity ok, ${audit.events} events in ${audit.streams} streams verify`);
    const sourceCounts = new Map<string, number>();
    for (const { name } of pairs) sourceCounts.set(name, source.sqlite.prepare(`SELECT count(*) FROM ${quote(name)}`).pluck().get() as number);
    const sourceHeads = source.db.select().from(sqliteSchema.streams).all();

    pool = openPostgresPool(options.to, { max: 1, applicationName: 'lodestone-db-copy' });
    const client = await pool.connect();
    try {
      const encoding = (await client.query<{ server_encoding: string }>('SHOW server_encoding')).rows[0]?.server_encoding;
      if (encoding !== 'UTF8') throw new Refused(`the target database's encoding is ${encoding}; Lodestone needs UTF8 (CREATE DATABASE … ENCODING 'UTF8').`);
      // A database that already holds Lodestone rows is refused before it is even migrated.
      const filled = await nonEmptyTables(client, pairs, true);
      if (filled.length > 0) throw new Refused(notEmpty(filled));
      client.release();
      await migratePostgres(pool);
      log('target: PostgreSQL migrations applied');
    } catch (error) {
      client.release();
      throw error;
    }

    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      // Nobody writes the tables while they are checked empty and filled (readers may still read).
      await tx.query(`LOCK TABLE ${pairs.map((p) => quote(p.name)).join(', ')} IN EXCLUSIVE MODE NOWAIT`).catch((error: Error) => {
        throw new Refused(`the target's tables are in use (${error.message}): stop every Lodestone node on it and copy again.`);
      });
      const filled = await nonEmptyTables(tx, pairs, false);
      if (filled.length > 0) throw new Refused(notEmpty(filled));

      const target = drizzlePg(tx);
      for (const pair of pairs) {
        const columns = getTableColumns(pair.source);
        // Keyset pages by rowid: memory stays one page, whatever the size of the table.
        const page = source.db
          .select({ ...columns, __rowid: sql<number>`rowid` })
          .from(pair.source)
          .where(sql`rowid > ${sql.placeholder('after')}`)
          .orderBy(sql`rowid`)
          .limit(batchRows)
          .prepare();
        let after = Number.MIN_SAFE_INTEGER;
        let copied = 0;
        for (;;) {
          const rows = page.all({ after }) as (Row & { __rowid: number })[];
          if (rows.length === 0) break;
          after = rows[rows.length - 1]?.__rowid ?? after;
          const values = rows.map(({ __rowid: _, ...row }) => {
            findNul(pair.name, row);
            return row;
          });
          await (target.insert(pair.target) as unknown as { values(rows: Row[]): Promise<unknown> }).values(values);
          copied += values.length;
          if (rows.length < batchRows) break;
        }
        report.tables.push({ name: pair.name, rows: copied });
        report.rows += copied;
        log(`  ${pair.name}: ${copied} rows`);
      }

      // Identity and serial columns of the copied tables (none today: the only bigserial is the
      // adapter's table, which is not copied) continue after the largest value copied.
      const sequences = await tx.query<{ table_name: string; column_name: string; seq: string }>(
        `SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) AS seq
           FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = ANY($1)
            AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL`,
        [pairs.map((p) => p.name)],
      );
      for (const s of sequences.rows) {
        await tx.query(`SELECT setval($1, coalesce((SELECT max(${quote(s.column_name)}) FROM ${quote(s.table_name)}), 0) + 1, false)`, [s.seq]);
      }

      // The check, inside the transaction: a mismatch rolls everything back.
      for (const { name } of pairs) {
        const n = (await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${quote(name)}`)).rows[0]?.n;
        if (n !== sourceCounts.get(name)) throw new Refused(`after the copy ${name} has ${n} rows on PostgreSQL and ${sourceCounts.get(name)} on SQLite; rolled back, nothing written.`);
      }
      const targetHeads = new Map(
        (await tx.query<{ name: string; head_seq: number; head_hash: string }>('SELECT name, head_seq, head_hash FROM streams')).rows.map((r) => [r.name, r]),
      );
      for (const head of sourceHeads) {
        const other = targetHeads.get(head.name);
        if (!other || other.head_seq !== head.headSeq || other.head_hash !== head.headHash) {
          throw new Refused(
            `the stream ${head.name} ends at seq ${head.headSeq} ${head.headHash} on SQLite but ` +
              `${other ? `seq ${other.head_seq} ${other.head_hash}` : 'is missing'} on PostgreSQL; rolled back, nothing written.`,
          );
        }
      }
      const chains = await verifyPostgresChains(tx);
      if (!chains.ok) {
        throw new Refused(`on PostgreSQL the chain of ${chains.firstBad?.stream} does not verify at seq ${chains.firstBad?.seq} (${chains.firstBad?.reason}); rolled back, nothing written.`);
      }
      if (chains.events !== audit.events || chains.streams !== audit.streams) {
        throw new Refused(`PostgreSQL holds ${chains.events} events in ${chains.streams} streams, SQLite ${audit.events} in ${audit.streams}; rolled back, nothing written.`);
      }
      await tx.query('COMMIT');
      report.streams = chains.streams;
      report.events = chains.events;
    } catch (error) {
      await tx.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      tx.release();
    }
    return done();
  } catch (error) {
    if (error instanceof Refused) return done(error.message);
    return done(`copy failed, nothing written: ${(error as Error).message}`);
  } finally {
    if (source.sqlite.inTransaction) source.sqlite.exec('COMMIT');
    source.close();
    await pool?.end();
  }
}

/**
 * `--check URL`: every hash chain of a PostgreSQL database recomputed (after a pg_restore, say),
 * in one read-only snapshot, so nodes may keep writing while it reads.
 */
export async function checkPostgres(url: string): Promise<ChainReport> {
  const pool = openPostgresPool(url, { max: 1, applicationName: 'lodestone-db-check' });
  try {
    const client = await pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await verifyPostgresChains(client);
      } finally {
        await client.query('ROLLBACK');
      }
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}

type Command = { from: string; to: string } | { check: string };

function parseArgs(argv: string[]): Command | null {
  let from: string | undefined;
  let to: string | undefined;
  let check: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [key, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = inline ?? argv[++i];
    if (key === '--from') from = value;
    else if (key === '--to') to = value;
    else if (key === '--check') check = value;
    else return null;
  }
  if (check && !from && !to) return { check };
  return from && to && !check ? { from, to } : null;
}

/** The URL with its password (if any) replaced by ***, for printing. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (!args) {
    process.stderr.write(
      'usage: npm run db:copy -- --from file:./data/lodestone.db --to postgres://user@host:5432/lodestone   (server stopped)\n' +
        '       npm run db:copy -- --check postgres://user@host:5432/lodestone   (every hash chain recomputed; nodes may run)\n',
    );
    return 2;
  }
  if ('check' in args) {
    if (!isPostgresUrl(args.check)) {
      process.stderr.write(`--check takes a postgres:// URL (got "${args.check}")\n`);
      return 2;
    }
    const started = performance.now();
    try {
      const chains = await checkPostgres(args.check);
      const ms = Math.round(performance.now() - started);
      if (chains.ok) process.stdout.write(`VERIFIED: ${chains.events} events in ${chains.streams} streams of ${redact(args.check)}; ${ms} ms\n`);
      else process.stdout.write(`NOT VERIFIED: the chain of ${chains.firstBad?.stream} breaks at seq ${chains.firstBad?.seq} (${chains.firstBad?.reason})\n`);
      return chains.ok ? 0 : 1;
    } catch (error) {
      process.stderr.write(`check failed: ${(error as Error).message}\n`);
      return 1;
    }
  }
  process.stdout.write(`copying ${args.from} to ${redact(args.to)}\n`);
  const report = await copyDatabase({ ...args, log: (line) => process.stdout.write(`${line}\n`) });
  if (!report.ok) {
    process.stderr.write(`NOT COPIED: ${report.error}\n`);
    return 1;
  }
  process.stdout.write(
    `COPIED: ${report.tables.length} tables, ${report.rows} rows, ${report.events} events in ${report.streams} streams; ` +
      `every stream head matches the source and every chain recomputes on PostgreSQL; ${report.ms} ms\n`,
  );
  return 0;
}

// Run as a command (tsx server/src/cli/db-copy.ts), not when a test imports copyDatabase.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
