import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'runtime/**/*.test.ts'],
    // Child processes (the CLI, tsc) and worker threads behave best in forked workers.
    pool: 'forks',
    // The slowest tests spawn tsc over generated/ or several CLI builds.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
