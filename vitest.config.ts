import { defineConfig } from 'vitest/config';

// Unit tests (test/unit) are pure and fast; integration tests (test/integration) run the engine on
// generated tiny models and fixture images; e2e tests (test/e2e) build the site and drive Debian's
// Chromium through playwright-core. The global setup generates the model folders tests need.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
