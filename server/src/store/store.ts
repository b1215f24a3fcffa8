import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { SQL, SQLWrapper } from 'drizzle-orm';
import type { EventType, StreamName } from '@lodestone/shared';
import type * as schema from '../db/schema.ts';

/**
 * The tables, by the names of schema.ts. Their TypeScript types are those of the SQLite tables;
 * the PostgreSQL store hands out the tables of schema.postgres.ts under the same names, with the
 * same columns (test/server/schema-parity.postgres.test.ts), so one query builder serves both.
 */
export type Tables = typeof schema;

/**
 * A drizzle handle to query with. Feature code only builds queries and awaits them (`await
 * db.select()…`, `await db.insert()….returning()`), which both dialects do alike; the SQLite-only
 * synchronous `.get()`, `.all()`, `.run()` are not used outside the SQLite store.
 */
export type Db = BetterSQLite3Database<typeof schema>;

/** The last seq, hash and time of a stream (`at` is '' before its first event). */
export interface Head {
  seq: number;
  hash: string;
  at: string;
}

/** An event row as stored. */
export interface EventRow {
  stream: string;
  seq: number;
  type: string;
  at: string;
  actorId: string | null;
  actor: string | null;
  data: string;
  prevHash: string;
  hash: string;
  json: string | null;
}

/** A query prepared once (per connection) and run many times with named parameters. */
export interface Prepared<R> {
  all(params?: Record<string, unknown>): Promise<R[]>;
  get(params?: Record<string, unknown>): Promise<R | undefined>;
}

export interface SearchFilter {
  type?: EventType;
  involving?: string;
  before?: number;
  limit: number;
}

/** Runs one part of a write transaction that may fail alone (a SAVEPOINT): its writes roll back, the rest stays. */
export type Savepoint = <T>(part: () => Promise<T>) => Promise<T>;

/**
 * What differs by dialect, in one place: connections, the write transaction, the statements of
 * the event log, and the few SQL functions that are spelled differently. Every business rule is
 * written once above it.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Reads outside a write transaction: they see committed data only. */
  readonly db: Db;
  readonly t: Tables;
  /** What another process (the PDF renderer's) opens to read the same database; null for an in-memory one. */
  readonly url: string | null;
  /**
   * One write transaction around `run`, serialized with every other write transaction (on
   * PostgreSQL, those of every node too): a change reads what it depends on inside it and can
   * trust it until COMMIT. Resolves after COMMIT; rejects (and nothing is kept) when it fails.
   */
  writeBatch(run: (db: Db, savepoint: Savepoint) => Promise<void>): Promise<void>;
  /** A read prepared once; `name` is unique per statement (PostgreSQL names its prepared statements). */
  prepare<Q extends PromiseLike<unknown[]>>(name: string, build: (db: Db) => Q): Prepared<Awaited<Q>[number]>;
  /** Rows of a raw SQL query (plain column names, the same on both dialects). */
  rows<R>(db: Db, query: SQL): Promise<R[]>;
  /** Case-insensitive LIKE with `\` as the escape character. */
  like(column: SQLWrapper, pattern: string): SQL;
  /** Equality of ASCII text regardless of case (usernames). */
  sameText(column: SQLWrapper, value: string): SQL;

  /** The head of a stream, read with `db` (a transaction's, to append; or the store's). */
  head(stream: StreamName, db?: Db): Promise<Head>;
  /** Inside a write transaction: stores an event and moves its stream's head. */
  insertEvent(db: Db, row: EventRow): Promise<void>;
  /** Events' API JSON of a stream with after < seq ≤ upTo, ascending, at most `limit`. */
  readJson(stream: StreamName, after: number, limit: number, upTo?: number): Promise<string[]>;
  /** The same as UTF-8 bytes, one Buffer each. */
  readBytes(stream: StreamName, after: number, limit: number, upTo?: number): Promise<Buffer[]>;
  /** Rows with seq < before, descending, at most `limit`. */
  readBefore(stream: StreamName, before: number, limit: number): Promise<EventRow[]>;
  /** Events' JSON bytes, newest first, of one type and/or involving one user (actor, data.id, data.userId). */
  searchBytes(stream: StreamName, filter: SearchFilter): Promise<Buffer[]>;
  /** The heads of the named streams that have events. */
  heads(streams: readonly string[]): Promise<Map<string, number>>;
  /** Every stream name (with a head or with events), in order. */
  streamNames(): Promise<string[]>;
  /** A stream's rows in seq order, a page at a time. */
  eventRows(stream: string): AsyncIterable<EventRow>;

  /** Runs `work` with every read of `db` in one consistent snapshot (a read-only process's). */
  snapshot<T>(work: () => Promise<T>): Promise<T>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
