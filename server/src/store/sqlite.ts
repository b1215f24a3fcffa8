import type Database from 'better-sqlite3';
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { GENESIS_HASH, type StreamName } from '@lodestone/shared';
import { openDatabase, openReader, type DatabaseHandle } from '../db/connection.ts';
import * as schema from '../db/schema.ts';
import type { Db, EventRow, Head, Prepared, Savepoint, SearchFilter, Store } from './store.ts';

/** An event row's API JSON: the stored text, or for rows from before that column, rebuilt. */
const EVENT_JSON = "coalesce(json, json_object('stream', stream, 'seq', seq, 'type', type, 'at', at, 'actor', json(actor), 'data', json(data), 'prevHash', prev_hash, 'hash', hash))";

const ROW_COLUMNS = 'stream, seq, type, at, actor_id AS actorId, actor, data, prev_hash AS prevHash, hash, json';

/**
 * The embedded store: one SQLite file in WAL mode. Writes go through one connection, one
 * IMMEDIATE transaction at a time (the event log group-commits the changes of a tick in it);
 * reads outside a transaction use a second connection, which sees committed data only — never
 * the half of a transaction still open while its change awaits its next query. (An in-memory
 * database has one connection for both.)
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly t = schema;
  readonly db: Db;
  readonly url: string | null;
  /** The connection that writes, for pragmas, backups and the file's name. */
  readonly handle: DatabaseHandle;
  private readonly reader: DatabaseHandle;
  private readonly writer: Db;
  private savepoints = 0;
  private readonly statements;
  private readonly searches = new Map<string, Database.Statement>();

  constructor(handle: DatabaseHandle, reader?: DatabaseHandle) {
    this.handle = handle;
    this.reader = reader ?? handle;
    this.writer = handle.db;
    this.db = this.reader.db;
    this.url = handle.sqlite.memory ? null : `file:${handle.sqlite.name}`;
    const r = this.reader.sqlite;
    const w = handle.sqlite;
    this.statements = {
      head: r.prepare('SELECT head_seq AS seq, head_hash AS hash, head_at AS at FROM streams WHERE name = ?'),
      headInTx: w.prepare('SELECT head_seq AS seq, head_hash AS hash, head_at AS at FROM streams WHERE name = ?'),
      insert: w.prepare(
        'INSERT INTO events (stream, seq, type, at, actor_id, actor, data, prev_hash, hash, json) VALUES (@stream, @seq, @type, @at, @actorId, @actor, @data, @prevHash, @hash, @json)',
      ),
      moveHead: w.prepare(
        'INSERT INTO streams (name, head_seq, head_hash, head_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash, head_at = excluded.head_at',
      ),
      // The hot path of catch-up reads one text column; rows from before that column are rebuilt.
      readJson: r.prepare(`SELECT ${EVENT_JSON} FROM events WHERE stream = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`).pluck(),
      // The same as UTF-8 bytes: a page goes to the socket without decoding and re-encoding it.
      readBytes: r.prepare(`SELECT CAST(${EVENT_JSON} AS BLOB) FROM events WHERE stream = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`).pluck(),
      readBefore: r.prepare(`SELECT ${ROW_COLUMNS} FROM events WHERE stream = ? AND seq < ? ORDER BY seq DESC LIMIT ?`),
      page: r.prepare(`SELECT ${ROW_COLUMNS} FROM events WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?`),
      names: r.prepare('SELECT name FROM streams UNION SELECT DISTINCT stream FROM events ORDER BY 1').pluck(),
    };
  }

  /** Opens (and migrates) the database a `file:` URL names. */
  static open(url: string): SqliteStore {
    const handle = openDatabase(url);
    const path = handle.sqlite.name;
    const reader = handle.sqlite.memory ? undefined : openReader(path);
    return new SqliteStore(handle, reader);
  }

  /** A read-only store on an existing file (another process's reads). */
  static openReadOnly(path: string): SqliteStore {
    const reader = openReader(path);
    return new SqliteStore(reader, reader);
  }

  async writeBatch(run: (db: Db, savepoint: Savepoint) => Promise<void>): Promise<void> {
    const w = this.handle.sqlite;
    if (w.inTransaction) throw new Error('SqliteStore.writeBatch does not nest');
    w.exec('BEGIN IMMEDIATE');
    try {
      await run(this.writer, this.savepoint);
      w.exec('COMMIT');
    } catch (error) {
      if (w.inTransaction) w.exec('ROLLBACK');
      throw error;
    }
  }

  private readonly savepoint: Savepoint = async (part) => {
    const w = this.handle.sqlite;
    const name = `job${++this.savepoints}`;
    w.exec(`SAVEPOINT ${name}`);
    try {
      const result = await part();
      w.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      if (w.inTransaction) {
        w.exec(`ROLLBACK TO ${name}`);
        w.exec(`RELEASE ${name}`);
      }
      throw error;
    }
  };

  prepare<Q extends PromiseLike<unknown[]>>(_name: string, build: (db: Db) => Q): Prepared<Awaited<Q>[number]> {
    type R = Awaited<Q>[number];
    const query = (build(this.db) as unknown as { prepare(): { all(p?: unknown): R[]; get(p?: unknown): R | undefined } }).prepare();
    return {
      all: (params) => Promise.resolve(query.all(params)),
      get: (params) => Promise.resolve(query.get(params)),
    };
  }

  rows<R>(db: Db, query: SQL): Promise<R[]> {
    return Promise.resolve(db.all<R>(query));
  }

  like(column: SQLWrapper, pattern: string): SQL {
    // SQLite's LIKE ignores the case of ASCII letters.
    return sql`${column} LIKE ${pattern} ESCAPE '\\'`;
  }

  sameText(column: SQLWrapper, value: string): SQL {
    return sql`${column} = ${value} COLLATE NOCASE`;
  }

  head(stream: StreamName, db?: Db): Promise<Head> {
    const statement = db === this.writer ? this.statements.headInTx : this.statements.head;
    const row = statement.get(stream) as Head | undefined;
    return Promise.resolve(row ?? { seq: 0, hash: GENESIS_HASH, at: '' });
  }

  insertEvent(_db: Db, row: EventRow): Promise<void> {
    this.statements.insert.run(row);
    this.statements.moveHead.run(row.stream, row.seq, row.hash, row.at);
    return Promise.resolve();
  }

  readJson(stream: StreamName, after: number, limit: number, upTo = Number.MAX_SAFE_INTEGER): Promise<string[]> {
    return Promise.resolve(this.statements.readJson.all(stream, after, upTo, limit) as string[]);
  }

  readBytes(stream: StreamName, after: number, limit: number, upTo = Number.MAX_SAFE_INTEGER): Promise<Buffer[]> {
    return Promise.resolve(this.statements.readBytes.all(stream, after, upTo, limit) as Buffer[]);
  }

  readBefore(stream: StreamName, before: number, limit: number): Promise<EventRow[]> {
    return Promise.resolve(this.statements.readBefore.all(stream, before, limit) as EventRow[]);
  }

  searchBytes(stream: StreamName, filter: SearchFilter): Promise<Buffer[]> {
    const where = ['stream = @stream', 'seq < @before'];
    if (filter.type) where.push('type = @type');
    if (filter.involving) where.push("(actor_id = @involving OR json_extract(data, '$.id') = @involving OR json_extract(data, '$.userId') = @involving)");
    const key = where.join(' AND ');
    let query = this.searches.get(key);
    if (!query) {
      query = this.reader.sqlite.prepare(`SELECT CAST(${EVENT_JSON} AS BLOB) FROM events WHERE ${key} ORDER BY seq DESC LIMIT @limit`).pluck();
      this.searches.set(key, query);
    }
    const params = { stream, before: filter.before ?? Number.MAX_SAFE_INTEGER, limit: filter.limit, ...(filter.type ? { type: filter.type } : {}), ...(filter.involving ? { involving: filter.involving } : {}) };
    return Promise.resolve(query.all(params) as Buffer[]);
  }

  heads(streams: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const name of streams) {
      const row = this.statements.head.get(name) as Head | undefined;
      if (row) found.set(name, row.seq);
    }
    return Promise.resolve(found);
  }

  streamNames(): Promise<string[]> {
    return Promise.resolve(this.statements.names.all() as string[]);
  }

  async *eventRows(stream: string): AsyncIterable<EventRow> {
    let after = 0;
    for (;;) {
      const page = this.statements.page.all(stream, after, 1000) as EventRow[];
      yield* page;
      if (page.length < 1000) return;
      after = page[page.length - 1]?.seq ?? after;
    }
  }

  async snapshot<T>(work: () => Promise<T>): Promise<T> {
    const r = this.reader.sqlite;
    if (r.inTransaction) return work();
    r.exec('BEGIN');
    try {
      return await work();
    } finally {
      if (r.inTransaction) r.exec('COMMIT');
    }
  }

  ping(): Promise<void> {
    this.reader.sqlite.prepare('SELECT 1').get();
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.reader.close();
    this.handle.close();
    return Promise.resolve();
  }
}

/** drizzle over a connection that is not the store's (a CLI's). */
export function drizzleOf(sqlite: Database.Database): Db {
  return drizzle(sqlite, { schema });
}
