// StrykerJS configuration for `npm run mutate` (scripts/mutate.ts sets MAKER_MUTATE_GROUPS and
// MAKER_SHARED_DIR, then runs Stryker with this file). Not part of `npm test`: a full run takes
// about 40 minutes on 2 cores. See README "Testing" and docs/decisions/0009-mutation-testing.md.
import { GROUPS, selectedGroups } from './scripts/mutate-groups.mjs';

const groups = selectedGroups(process.env.MAKER_MUTATE_GROUPS);

export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.MAKER_MUTATE_CONCURRENCY ?? 2),
  mutate: [...groups.flatMap((g) => GROUPS[g].mutate), '!src/**/index.ts'],
  ignorePatterns: ['reports', 'bench', 'data', 'scenarios', '.bench-cache', '.stryker-tmp', 'node_modules'],
  reporters: ['json', 'html', 'clear-text', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  // MAKER_MUTATE_TIMEOUT_MS: a longer deadline when the machine is busy (a spurious timeout counts as killed).
  timeoutMS: Number(process.env.MAKER_MUTATE_TIMEOUT_MS ?? 10_000),
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
