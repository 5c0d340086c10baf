import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests spawn real processes and servers; forks keep their fds and
    // signals apart from each other.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      // The end-to-end stacks (real Prometheus, Alertmanager, Chromium) wait
      // on alerts with bounds: they run last, one file at a time, on a
      // machine no longer busy with the rest of the suite.
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
