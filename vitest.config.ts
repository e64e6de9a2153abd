import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Suites share one Kafka broker and one redis-server; two cores only.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    // The JSON report is what .ci/run counts passed / failed / skipped from.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
  },
});
