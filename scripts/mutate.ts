/**
 * `npm run mutate [-- --only oms,risk] [--concurrency N]`: mutation testing of the core modules
 * with StrykerJS (stryker.config.mjs), then a per-group score table and a check for Stryker's
 * known false survivors.
 *
 * The pitfall (../shared/design/mutation-report-2026-12-02.md): with vitest 4, Stryker 9 counts a
 * test file that fails to LOAD under a mutant as passing, so the mutant "survives". This script
 * counts the tests of the selected groups first (a plain vitest run, which must pass), then flags
 * every survivor that ran fewer tests than it should have (all of them for a static mutant, every
 * covering test otherwise) and exits 1 if there is one: re-check those with plain vitest.
 *
 * Not part of `npm test` (a full run takes about 40 minutes on 2 cores). The HTML report is
 * reports/mutation/mutation.html.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
// @ts-expect-error: a plain ES module shared with stryker.config.mjs (no type declarations)
import { GROUPS, selectedGroups } from './mutate-groups.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const groupTable = GROUPS as Record<string, { mutate: string[]; tests: string[]; goal: number }>;

interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  static?: boolean;
  coveredBy?: string[];
  testsCompleted?: number;
  location: { start: { line: number; column: number } };
}

function main(): number {
  const program = new Command()
    .name('npm run mutate --')
    .description('Mutation testing of the core modules with StrykerJS; prints a score per module group.')
    .option('--only <groups>', `comma list of groups (${Object.keys(groupTable).join(', ')})`, '')
    .option('--concurrency <n>', 'Stryker test runner processes', '2')
    .parse();
  const opts = program.opts<{ only: string; concurrency: string }>();
  let groups: string[];
  try {
    groups = selectedGroups(opts.only);
  } catch (e) {
    process.stderr.write(`mutate: ${(e as Error).message}\n`);
    return 2;
  }
  if (!/^[1-9]\d*$/.test(opts.concurrency)) {
    process.stderr.write(`mutate: --concurrency must be a positive integer, got ${opts.concurrency}\n`);
    return 2;
  }
  const shared = process.env.MAKER_SHARED_DIR ?? resolve(ROOT, '..', 'shared');
  const env = { ...process.env, CI: 'true', MAKER_MUTATE_GROUPS: groups.join(','), MAKER_SHARED_DIR: shared, MAKER_MUTATE_CONCURRENCY: opts.concurrency };
  if (!existsSync(shared)) process.stderr.write(`mutate: ${shared} is absent: the real-data tests will be skipped and their mutants may survive\n`);

  // 1. The baseline: the selected tests pass, and how many there are.
  const tmp = mkdtempSync(join(tmpdir(), 'maker-mutate-'));
  const out = join(tmp, 'vitest.json');
  process.stderr.write(`mutate: baseline run of the tests of ${groups.join(', ')}\n`);
  const base = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.mutate.config.ts', '--reporter=json', `--outputFile=${out}`], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (base.status !== 0 || !existsSync(out)) {
    process.stderr.write('mutate: the baseline test run failed; fix the tests first\n');
    rmSync(tmp, { recursive: true, force: true });
    return 1;
  }
  const baseline = JSON.parse(readFileSync(out, 'utf8')) as { numTotalTests: number; numPassedTests: number; numPendingTests: number };
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`mutate: ${baseline.numPassedTests} tests pass (${baseline.numPendingTests} skipped)\n`);

  // 2. Stryker.
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], { cwd: ROOT, env, stdio: 'inherit' });
  if (run.status !== 0) {
    process.stderr.write(`mutate: stryker exited with ${run.status}\n`);
    return 1;
  }

  // 3. Scores per group, and the false-survivor check.
  const report = JSON.parse(readFileSync(join(ROOT, 'reports/mutation/mutation.json'), 'utf8')) as { files: Record<string, { mutants: Mutant[] }> };
  const suspicious: string[] = [];
  const rows: string[] = [];
  for (const g of groups) {
    const prefixes = groupTable[g].mutate.map((m) => m.replace(/\*\*\/\*\.ts$/, ''));
    let killed = 0;
    let survived = 0;
    let noCoverage = 0;
    for (const [file, f] of Object.entries(report.files)) {
      if (!prefixes.some((p) => file === p || file.startsWith(p))) continue;
      for (const m of f.mutants) {
        if (m.status === 'Killed' || m.status === 'Timeout') killed++;
        else if (m.status === 'Survived') {
          survived++;
          const expected = m.static === true ? baseline.numPassedTests : (m.coveredBy?.length ?? 0);
          if ((m.testsCompleted ?? 0) < expected) suspicious.push(`${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} → ${JSON.stringify(m.replacement ?? '')}: ran ${m.testsCompleted ?? 0} of ${expected} tests`);
        } else if (m.status === 'NoCoverage') noCoverage++;
      }
    }
    const total = killed + survived + noCoverage;
    const score = total === 0 ? NaN : (100 * killed) / total;
    const goal = groupTable[g].goal;
    rows.push(`| ${g} | ${total} | ${killed} | ${survived} | ${noCoverage} | ${score.toFixed(1)} % | ${goal} % (excl. equivalent mutants) |`);
  }
  process.stdout.write(['', '| group | mutants | killed | survived | no coverage | raw score | goal |', '|---|---:|---:|---:|---:|---:|---|', ...rows, ''].join('\n') + '\n');
  process.stdout.write('Raw scores count equivalent mutants as survivors; the goals exclude them (classify the survivors in the HTML report).\n');
  if (suspicious.length > 0) {
    process.stderr.write(`mutate: ${suspicious.length} survivors ran fewer tests than they should have (a test file failed to load under the mutant?); re-check them with plain vitest:\n  ${suspicious.join('\n  ')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
