import { defineConfig } from 'vitest/config';

/** The test files that exercise the autograd and the measurements: what `npm run mutate` runs for each mutant. */
export default defineConfig({
  test: {
    include: ['test/autograd/**/*.test.ts', 'test/strategies/**/*.test.ts', 'test/measure/**/*.test.ts', 'test/models/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
