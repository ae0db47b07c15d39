import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: the reliability suite. Each case starts `privedge` in a child process on
 * a tiny config, breaks something (a bad file, a signal, a full disk) and asserts the exit code,
 * the first line of the message and the run folder afterwards. Not part of `npm test`.
 */
export default defineConfig({
  test: {
    include: ['faults/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
