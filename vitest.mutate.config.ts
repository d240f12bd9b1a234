// The vitest configuration Stryker runs against each mutant (`npm run mutate`): only the test
// folders of the selected module groups, no coverage.
import { defineConfig } from 'vitest/config';
// @ts-expect-error: a plain ES module shared with stryker.config.mjs (no type declarations)
import { GROUPS, selectedGroups } from './scripts/mutate-groups.mjs';

const groups: string[] = selectedGroups(process.env.MAKER_MUTATE_GROUPS);

export default defineConfig({
  test: {
    include: groups.flatMap((g) => (GROUPS as Record<string, { tests: string[] }>)[g].tests),
    setupFiles: ['tests/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
