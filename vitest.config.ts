import { defineConfig } from 'vitest/config';

const ci = process.env['CI'] === 'true';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'experiments/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // In CI a JSON report lets .ci/run print the plain "N passed, N failed" line.
    reporters: ci ? ['default', 'json'] : ['default'],
    ...(ci ? { outputFile: { json: '.ci/vitest-report.json' } } : {}),
  },
});
