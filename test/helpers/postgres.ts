import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresAdminUrl, postgresProblem } from './postgres-reachable.ts';

export { postgresAdminUrl };

const ci = process.env.CI === 'true';

const unreachable = await postgresProblem();
/**
 * PostgreSQL tests run when the server answers. Without it they do not run and say so loudly,
 * except under CI=true, where they run anyway and fail on the missing database.
 */
export const runPostgresTests = unreachable === null || ci;
if (unreachable !== null) {
  const line = '!'.repeat(78);
  console.error(
    `\n${line}\n! PostgreSQL not reachable at ${postgresAdminUrl} (${unreachable}):\n` +
      `! PostgreSQL tests ${ci ? 'will FAIL (CI=true)' : 'are NOT RUN'}. Start it, or set LODESTONE_TEST_POSTGRES.\n${line}\n`,
  );
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A new, empty database of its own (dropped by `drop`, with any connection still open to it). */
export async function freshPostgresDatabase(): Promise<TestDatabase> {
  const name = `lodestone_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(postgresAdminUrl, name),
    async drop() {
      const client = new pg.Client({ connectionString: postgresAdminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
