import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Coverage floors from the product overview (lines and branches), enforced by `npm test`:
// signal >= 80 %, strategy >= 85 %, risk >= 90 %, OMS >= 95 %.
const floor = (pct: number) => ({ lines: pct, branches: pct });

/** MAKER_TEST_WORKERS (a positive integer) or one more than the cores; anything else stops the run naming it. */
function testWorkers(v: string | undefined): number {
  if (v === undefined || v === '') return availableParallelism() + 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`MAKER_TEST_WORKERS=${v} is not a positive integer (the number of test files run at a time)`);
  return n;
}

/** Test files that replace a module with vi.mock, so cannot share a module graph with others. */
const ISOLATED = ['tests/adapter/binance/ws-api-connection.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['tests/setup.ts'],
    // Bundles the CLI once per run for the tests that spawn `maker` (see the file's header).
    globalSetup: ['tests/support/cli-bundle.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One test file per core, plus one. Vitest's default in `vitest run` is cores - 1, i.e. ONE file at
    // a time on CI's 2 cores, while much of the suite waits (on spawned `maker` processes, loopback
    // exchanges, wall-clock fault schedules: tests/live/faults-*.test.ts sleep ~100 s in all) with a
    // core idle. Measured on 2 cores, whole suite, nothing else running (2026-12-04): 2 files at a
    // time 6 min 28 s (70 % of both cores busy), 3 at a time 5 min 23 s, the same CPU time, no
    // failure. MAKER_TEST_WORKERS=N sets it (the `--maxWorkers` flag did not reach the projects below).
    maxWorkers: testWorkers(process.env.MAKER_TEST_WORKERS),
    // vi.stubEnv lasts for its file only (files share a worker's process, below).
    unstubEnvs: true,
    projects: [
      {
        // Files share each worker's module graph (`isolate: false`): every file importing src/, ccxt
        // and the connector afresh cost ~170 s of a ~10 min run on a slow machine; shared, ~25 s.
        // A file that mocks a module (vi.mock) needs a graph of its own: it goes in ISOLATED.
        extends: true,
        test: { name: 'shared', isolate: false, include: ['tests/**/*.test.ts'], exclude: ISOLATED },
      },
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
    ],
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
