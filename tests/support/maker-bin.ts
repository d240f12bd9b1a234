// What tests spawn as `maker`: `node <makerBin()> args…`. That is the CLI bundled once per test run
// by tests/support/cli-bundle.ts (the same sources, without tsx's start-up cost per process), or
// bin/maker.js itself when the bundle is off (MAKER_TEST_BUNDLE=0, watch mode) or the test file runs
// outside the configured global setup. `MAKER_BIN_SOURCE` is bin/maker.js, for the tests that run
// the installed entry point itself (at least one per command).
import { join } from 'node:path';
import { inject } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** bin/maker.js: the entry point as installed (TypeScript loaded through tsx). */
export const MAKER_BIN_SOURCE = join(ROOT, 'bin', 'maker.js');

function provided(key: 'makerBundle' | 'crashChildBundle'): string {
  try {
    return inject(key) ?? '';
  } catch {
    return ''; // not under the configured global setup
  }
}

/** The script to run with `node` to get the `maker` CLI in a child process. */
export function makerBin(): string {
  const bundle = provided('makerBundle');
  return bundle !== '' ? bundle : MAKER_BIN_SOURCE;
}

/** Node arguments that run tests/store/crash-child.ts: its per-run bundle, or the source through tsx. */
export function crashChildArgs(): string[] {
  const bundle = provided('crashChildBundle');
  return bundle !== '' ? [bundle] : ['--import', 'tsx', join(ROOT, 'tests', 'store', 'crash-child.ts')];
}
