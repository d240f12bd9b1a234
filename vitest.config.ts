import { defineConfig } from 'vitest/config';

// Coverage floors from the product overview (lines and branches), enforced by `npm test`:
// signal >= 80 %, strategy >= 85 %, risk >= 90 %, OMS >= 95 %.
const floor = (pct: number) => ({ lines: pct, branches: pct });

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
    // Bundles the CLI once per run for the tests that spawn `maker` (see the file's header).
    globalSetup: ['tests/support/cli-bundle.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: {
        'src/signal/**': floor(80),
        'src/strategy/**': floor(85),
        'src/risk/**': floor(90),
        'src/oms/**': floor(95),
      },
    },
  },
});
