// The vitest configuration Stryker runs against each mutant (`npm run mutate`): only the test
// folders of the selected module groups, no coverage.
import { defineConfig } from 'vitest/config';
// @ts-expect-error: a plain ES module shared with stryker.config.mjs (no type declarations)
import { GROUPS, selectedGroups } from './scripts/mutate-groups.mjs';

const groups: string[] = selectedGroups(process.env.MAKER_MUTATE_GROUPS);
// MAKER_MUTATE_TESTS: a comma list of test files (or globs) run instead of the groups' folders, for
// a restricted run (e.g. live-orders against its unit files only: docs/mutation/live-orders-equivalents.md).
const onlyTests = (process.env.MAKER_MUTATE_TESTS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');

export default defineConfig({
  test: {
    include: onlyTests.length > 0 ? onlyTests : groups.flatMap((g) => (GROUPS as Record<string, { tests: string[] }>)[g].tests),
    setupFiles: ['tests/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
