import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import { i18nPlugin } from './client/vite.config.ts';

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
