import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Node's compile cache for every Node process the tests start (vitest's workers, the clipscope CLI,
// astro build and dev): the suite starts a few hundred processes that load the same modules, and
// with the cache each spends about 40 % less CPU starting up. Kept in test/.work/ (not in git);
// Node checks each entry against its source and ignores a stale or damaged one.
process.env.NODE_COMPILE_CACHE ??= fileURLToPath(new URL('test/.work/node-compile-cache/', import.meta.url));

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
