import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const POSTGRES_MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '../../../migrations/postgres');

/**
 * The advisory lock every node takes while it migrates (any constant shared by all nodes):
 * nodes started at the same moment apply the migrations one after the other, never together.
 */
export const MIGRATION_LOCK = 0x10de5701;

/** Whether a DATABASE_URL names a PostgreSQL database. */
export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

// int8 (count(*), sums, bigserial) as a JS number, as SQLite gives it: every int8 Lodestone reads
// is a count or id far below 2^53. node-postgres returns it as a string by default.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  /** Connections in the pool. */
  max?: number;
  /** Name the node's connections carry in pg_stat_activity. */
  applicationName?: string;
}

/**
 * A pool of connections to PostgreSQL. An idle connection that the server ends (a restart, a
 * failover, pg_terminate_backend) emits 'error' on the pool; it is logged and replaced, never
 * left to crash the process.
 */
export function openPostgresPool(url: string, options: PostgresOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'lodestone',
    types,
  });
  pool.on('error', (error) => {
    console.error(`PostgreSQL: an idle connection ended (${error.message}); the pool opens a new one when needed.`);
  });
  return pool;
}

/**
 * Applies pending migrations under an advisory lock held on one connection, so that nodes that
 * start together do not race: the first applies them, the others wait and then find nothing to do.
 */
export async function migratePostgres(pool: pg.Pool, migrationsFolder = POSTGRES_MIGRATIONS_FOLDER): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client), { migrationsFolder });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}
