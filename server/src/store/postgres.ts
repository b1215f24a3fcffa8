import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { GENESIS_HASH, type StreamName } from '@lodestone/shared';
import { migratePostgres, openPostgresPool } from '../db/postgres.ts';
import * as schema from '../db/schema.postgres.ts';
import type { Db, EventRow, Head, Prepared, Savepoint, SearchFilter, Store, Tables } from './store.ts';

/**
 * The advisory lock every write transaction takes first, on every node: writes are serialized
 * as on SQLite, so a change that reads what it depends on inside its transaction can trust it
 * until COMMIT, and a stream's next seq is its head + 1 (the primary key (stream, seq) is the
 * backstop). Each node group-commits the changes of a tick in one transaction, so the lock is
 * taken once per batch, not per change.
 */
export const WRITE_LOCK = 0x10de5702;

/** An event row's API JSON: the stored text, or for rows from before that column, rebuilt. */
const EVENT_JSON = "coalesce(json, json_build_object('stream', stream, 'seq', seq, 'type', type, 'at', at, 'actor', actor::json, 'data', data::json, 'prevHash', prev_hash, 'hash', hash)::text)";
const ROW_COLUMNS = 'stream, seq, type, at, actor_id AS "actorId", actor, data, prev_hash AS "prevHash", hash, json';

type PgDb = NodePgDatabase<typeof schema>;

export interface PgStoreOptions {
  /** Connections in the pool. */
  max?: number;
  /** The node's name in pg_stat_activity. */
  applicationName?: string;
  /** Apply pending migrations on open (under the migration lock). */
  migrate?: boolean;
}

/**
 * The store for several nodes: one PostgreSQL database. Reads go to the pool; a write batch
 * takes one pooled connection for BEGIN … COMMIT under WRITE_LOCK.
 */
export class PgStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly t = schema as unknown as Tables;
  readonly db: Db;
  private savepoints = 0;

  private constructor(
    readonly pool: pg.Pool,
    readonly url: string,
    private readonly single: boolean,
  ) {
    this.db = drizzle(pool, { schema }) as unknown as Db;
  }

  static async open(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
    const pool = openPostgresPool(url, { max: options.max, applicationName: options.applicationName });
    try {
      if (options.migrate !== false) await migratePostgres(pool);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return new PgStore(pool, url, options.max === 1);
  }

  async writeBatch(run: (db: Db, savepoint: Savepoint) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      // One round trip: BEGIN and the lock as one simple query.
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
      try {
        const db = drizzle(client, { schema }) as unknown as Db;
        await run(db, (part) => this.savepoint(client, part));
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      }
    } catch (error) {
      broken ??= isConnectionError(error) ? (error as Error) : undefined;
      throw error;
    } finally {
      // A connection that failed is not given to the next transaction.
      client.release(broken);
    }
  }

  private async savepoint<T>(client: pg.PoolClient, part: () => Promise<T>): Promise<T> {
    const name = `job${++this.savepoints}`;
    await client.query(`SAVEPOINT ${name}`);
    try {
      const result = await part();
      await client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await client.query(`RELEASE SAVEPOINT ${name}`);
      throw error;
    }
  }

  prepare<Q extends PromiseLike<unknown[]>>(name: string, build: (db: Db) => Q): Prepared<Awaited<Q>[number]> {
    type R = Awaited<Q>[number];
    const query = (build(this.db) as unknown as { prepare(name: string): { execute(p?: unknown): Promise<R[]> } }).prepare(name);
    return {
      all: (params) => query.execute(params),
      get: async (params) => (await query.execute(params))[0],
    };
  }

  async rows<R>(db: Db, query: SQL): Promise<R[]> {
    const result = await (db as unknown as PgDb).execute(query);
    return result.rows as R[];
  }

  like(column: SQLWrapper, pattern: string): SQL {
    return sql`${column} ILIKE ${pattern} ESCAPE '\\'`;
  }

  sameText(column: SQLWrapper, value: string): SQL {
    return sql`lower(${column}) = lower(${value})`;
  }

  async head(stream: StreamName, db?: Db): Promise<Head> {
    const rows = await this.rows<Head>(db ?? this.db, sql`SELECT head_seq AS seq, head_hash AS hash, head_at AS at FROM streams WHERE name = ${stream}`);
    return rows[0] ?? { seq: 0, hash: GENESIS_HASH, at: '' };
  }

  async insertEvent(db: Db, row: EventRow): Promise<void> {
    await this.rows(
      db,
      sql`WITH inserted AS (INSERT INTO events (stream, seq, type, at, actor_id, actor, data, prev_hash, hash, json) VALUES (${row.stream}, ${row.seq}, ${row.type}, ${row.at}, ${row.actorId}, ${row.actor}, ${row.data}, ${row.prevHash}, ${row.hash}, ${row.json}) RETURNING stream)
        INSERT INTO streams (name, head_seq, head_hash, head_at) VALUES (${row.stream}, ${row.seq}, ${row.hash}, ${row.at})
        ON CONFLICT (name) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash, head_at = excluded.head_at`,
    );
  }

  async readJson(stream: StreamName, after: number, limit: number, upTo = INT4_MAX): Promise<string[]> {
    const result = await this.pool.query<{ json: string }>({
      name: 'events-read-json',
      text: `SELECT ${EVENT_JSON} AS json FROM events WHERE stream = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`,
      values: [stream, int4(after), int4(upTo), limit],
    });
    return result.rows.map((row) => row.json);
  }

  async readBytes(stream: StreamName, after: number, limit: number, upTo = INT4_MAX): Promise<Buffer[]> {
    const result = await this.pool.query<{ json: Buffer }>({
      name: 'events-read-bytes',
      text: `SELECT convert_to(${EVENT_JSON}, 'UTF8') AS json FROM events WHERE stream = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`,
      values: [stream, int4(after), int4(upTo), limit],
    });
    return result.rows.map((row) => row.json);
  }

  async readBefore(stream: StreamName, before: number, limit: number): Promise<EventRow[]> {
    const result = await this.pool.query<EventRow>({
      name: 'events-read-before',
      text: `SELECT ${ROW_COLUMNS} FROM events WHERE stream = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
      values: [stream, int4(before), limit],
    });
    return result.rows;
  }

  async searchBytes(stream: StreamName, filter: SearchFilter): Promise<Buffer[]> {
    const values: unknown[] = [stream, int4(filter.before ?? INT4_MAX)];
    const where = ['stream = $1', 'seq < $2'];
    if (filter.type) {
      values.push(filter.type);
      where.push(`type = $${values.length}`);
    }
    if (filter.involving) {
      values.push(filter.involving);
      const n = values.length;
      where.push(`(actor_id = $${n} OR data::jsonb ->> 'id' = $${n} OR data::jsonb ->> 'userId' = $${n})`);
    }
    values.push(filter.limit);
    const result = await this.pool.query<{ json: Buffer }>(
      `SELECT convert_to(${EVENT_JSON}, 'UTF8') AS json FROM events WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${values.length}`,
      values,
    );
    return result.rows.map((row) => row.json);
  }

  async heads(streams: readonly string[]): Promise<Map<string, number>> {
    if (streams.length === 0) return new Map();
    const result = await this.pool.query<{ name: string; seq: number }>({
      name: 'streams-heads',
      text: 'SELECT name, head_seq AS seq FROM streams WHERE name = ANY($1)',
      values: [streams],
    });
    return new Map(result.rows.map((row) => [row.name, row.seq]));
  }

  async streamNames(): Promise<string[]> {
    const result = await this.pool.query<{ name: string }>('SELECT name FROM streams UNION SELECT DISTINCT stream FROM events ORDER BY 1');
    return result.rows.map((row) => row.name);
  }

  async *eventRows(stream: string): AsyncIterable<EventRow> {
    let after = 0;
    for (;;) {
      const result = await this.pool.query<EventRow>(`SELECT ${ROW_COLUMNS} FROM events WHERE stream = $1 AND seq > $2 ORDER BY seq LIMIT 1000`, [stream, after]);
      yield* result.rows;
      if (result.rows.length < 1000) return;
      after = result.rows[result.rows.length - 1]?.seq ?? after;
    }
  }

  async snapshot<T>(work: () => Promise<T>): Promise<T> {
    // With one connection in the pool every read goes through it: one transaction holds them all.
    if (!this.single) return work();
    await this.pool.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      return await work();
    } finally {
      await this.pool.query('COMMIT').catch(() => undefined);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const INT4_MAX = 2_147_483_647;

/** A seq bound as the int4 column compares it (a client may ask for any number; seqs never get that far). */
function int4(value: number): number {
  return Math.max(-INT4_MAX, Math.min(value, INT4_MAX));
}

/** An error of the connection itself (not of a statement): the connection is not reused. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === undefined || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}
