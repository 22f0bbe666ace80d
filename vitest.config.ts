import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Model tests share one wasm backend per worker; two cores, so two forks.
    pool: 'forks',
    maxWorkers: 2,
  },
});
