import { configDefaults, defineConfig } from 'vitest/config';

const ci = process.env['CI'] === 'true';

/*
 * Two test tiers, chosen by file name, so a new test file lands in a tier by default:
 *
 * - `unit` (`npm run test:unit`, the inner loop, under a minute on 2 cores): every `*.test.ts`
 *   that is not `*.slow.test.ts`. Exact ring identities, single protocols and layers, config,
 *   datasets, metrics, CSV/report pieces, orchestration on synthetic rows.
 * - `slow`: `*.slow.test.ts`, for a test that trains a model, runs an experiment or the command
 *   line end to end, or runs a whole model under 2PC or HE. Name a new test file so when it does
 *   any of these (or split the file: the fast part stays `*.test.ts`).
 *
 * `npm test` (the README's test command; CI runs it) runs both. Time limits are at least 3x a
 * test's duration on an idle 2-core machine, so no verdict depends on the machine's load.
 *
 * The unit tier runs its files without isolation (each worker imports TF.js, zod and the rest
 * once instead of once per file: 86 s -> about 35 s on 2 idle cores), except the files below,
 * which replace or re-import modules (`vi.mock`, `vi.resetModules`) and so need a fresh module graph (project `unit-mocks`).
 * A unit test that mocks a module must be listed here; one that changes process-wide state
 * (environment variables, the TF.js backend, registered kernels) must put it back.
 */
const sources = ['src/**/', 'experiments/**/', 'scripts/**/'];
const slow = sources.map((s) => `${s}*.slow.test.ts`);
const mocking = ['src/runner/run-state.test.ts', 'src/mpc-sim/ring/native-kernel.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    // In CI a JSON report lets .ci/run print the plain "N passed, N failed" line.
    reporters: ci ? ['default', 'json'] : ['default'],
    ...(ci ? { outputFile: { json: '.ci/vitest-report.json' } } : {}),
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: sources.map((s) => `${s}*.test.ts`), exclude: [...configDefaults.exclude, ...slow, ...mocking], isolate: false, testTimeout: 60_000, hookTimeout: 60_000 },
      },
      { extends: true, test: { name: 'unit-mocks', include: mocking, testTimeout: 60_000, hookTimeout: 60_000 } },
      { extends: true, test: { name: 'slow', include: slow, testTimeout: 600_000, hookTimeout: 600_000 } },
    ],
  },
});
