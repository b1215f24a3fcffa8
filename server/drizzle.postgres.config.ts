import { defineConfig } from 'drizzle-kit';

// The PostgreSQL store's tables (server/src/db/schema.postgres.ts): the same tables and column
// names as the SQLite schema (test/server/schema-parity.postgres.test.ts compares them).
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/src/db/schema.postgres.ts',
  out: './migrations/postgres',
});
