import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs backends are process-global: one test file per worker process, files in parallel on 2 cores.
    pool: 'forks',
    setupFiles: ['tests/unit/setup.ts'],
  },
});
