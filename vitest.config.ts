import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import { i18nPlugin } from './client/vite.config.ts';
import { postgresAdminUrl as postgresUrl, postgresProblem as postgresAnswers } from './test/helpers/postgres-reachable.ts';

/**
 * The server tests run twice: on SQLite (`server`) and on PostgreSQL (`server-pg`, a fresh
 * database per app). Without a PostgreSQL server the second run is left out with a loud message,
 * except under CI=true, where it runs and fails.
 */
const postgresProblem = await postgresAnswers();
const runServerPg = postgresProblem === null || process.env.CI === 'true';
if (!runServerPg) {
  const line = '!'.repeat(78);
  console.error(`\n${line}\n! PostgreSQL not reachable at ${postgresUrl} (${postgresProblem}):\n! the server tests on PostgreSQL (project server-pg) are NOT RUN.\n${line}\n`);
}

/** Server tests about SQLite itself, or about PostgreSQL itself (they run once, in `server`). */
const STORE_SPECIFIC = ['test/server/**/*.sqlite.test.ts', 'test/server/**/*.postgres.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'shared',
          environment: 'node',
          include: ['test/shared/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'server',
          environment: 'node',
          include: ['test/server/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      ...(runServerPg
        ? [
            {
              test: {
                name: 'server-pg',
                environment: 'node',
                include: ['test/server/**/*.test.ts'],
                exclude: STORE_SPECIFIC,
                env: { LODESTONE_TEST_STORE: 'postgres' },
                testTimeout: 30_000,
                hookTimeout: 30_000,
              },
            },
          ]
        : []),
      {
        // The client's messages are compiled as in the build, for vue-i18n's runtime-only build.
        plugins: [vue(), i18nPlugin()],
        test: {
          name: 'client',
          environment: 'happy-dom',
          include: ['test/client/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // Short runs of the reliability scripts (test/reliability/README.md has the long ones).
          name: 'reliability',
          environment: 'node',
          include: ['test/reliability/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
