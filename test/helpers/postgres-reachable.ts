import pg from 'pg';

/** The PostgreSQL server the tests create their databases on (its `test` database is only used to connect). */
export const postgresAdminUrl = process.env.LODESTONE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL does not answer at postgresAdminUrl, or null when it does. */
export async function postgresProblem(): Promise<string | null> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}
