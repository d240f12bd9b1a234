/**
 * A sweep: plan every run (parameter sets × seeds), check each against the scenario loader before
 * any run starts, run what the sweep directory has not finished yet on a pool, then (with an
 * out-of-sample range) re-run the best K parameter sets on that range, and write the table and the
 * leaderboard. Rows are ordered by plan (main runs, then out-of-sample runs in rank order), never by
 * completion, so the outputs do not depend on the number of workers or on interruptions.
 *
 * Ranking: rank.ts.
 *
 * This module reads no clock: the caller (the CLI) turns `onRun` into a progress line with an ETA.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { parseScenario } from '../scenario/index.ts';
import { SWEEP_FORMAT, SweepJournal, type SweepIdentity } from './journal.ts';
import type { RunPool } from './pool.ts';
import { taskScenario, type RunRow, type RunTask } from './run-one.ts';
import { RANK_METRICS, rankSets, scoreSets, type SweepSpec } from './rank.ts';
import { writeSweepOutputs } from './output.ts';

export interface SweepResult {
  rows: RunRow[];
  /** Runs found finished in the directory (skipped this time). */
  skipped: number;
  /** Runs that failed (not journaled: a rerun tries them again). */
  failed: number;
  dir: string;
  /** Parameter sets chosen for the out-of-sample runs, best first (indices into `paramSets`). */
  chosen: number[];
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function runKey(phase: string, params: readonly (readonly [string, string])[], seed: number, phaseSet: readonly string[]): string {
  return sha256(JSON.stringify([phase, params, seed, phaseSet])).slice(0, 20);
}

function tasksFor(spec: SweepSpec, setIndices: readonly number[], phase: 'main' | 'oos', phaseSet: string[], reportsDir: string | null): RunTask[] {
  const out: RunTask[] = [];
  for (const i of setIndices) {
    const params = spec.paramSets[i].map(([k, v]) => [k, v] as [string, string]);
    for (const seed of spec.seeds) {
      out.push({ key: runKey(phase, params, seed, phaseSet), phase, params, seed, scenarioText: spec.scenarioText, scenarioFile: spec.scenarioFile, baseSet: spec.baseSet, phaseSet, reportsDir, ...(spec.origins === undefined ? {} : { origins: spec.origins }) });
    }
  }
  return out;
}

/**
 * Checks the sweep before anything runs: every parameter set loads (unknown key, bad value: the
 * loader's error naming the key), the out-of-sample range is a valid `data.range`, the rank metric
 * exists. Throws `ConfigError`/`ScenarioError` (exit 2).
 */
export function checkSweep(spec: SweepSpec): void {
  if (spec.paramSets.length === 0) throw new ConfigError('nothing to sweep: give --grid key=values (or --random N --space file)', { field: '--grid' });
  if (!(spec.rankBy in RANK_METRICS)) throw new ConfigError(`unknown metric "${spec.rankBy}"; one of ${Object.keys(RANK_METRICS).join(', ')}`, { field: '--rank-by' });
  const base = parseScenario(spec.scenarioText, spec.scenarioFile, { set: spec.baseSet });
  if (base.data.source === 'model') throw new ConfigError('model-market scenarios (data.source: model) are not swept yet; sweep a store or synthetic scenario', { field: 'data.source' });
  for (const params of spec.paramSets) taskScenario({ ...spec, params: params.map(([k, v]) => [k, v]), phaseSet: [], seed: spec.seeds[0] });
  if (spec.oos !== null) {
    if (spec.keys.includes('data.range')) throw new ConfigError('data.range is swept, so an out-of-sample range would replace it: sweep other keys with --oos', { field: '--oos' });
    if (!(spec.oos.topK >= 1)) throw new ConfigError(`must be ≥ 1, got ${spec.oos.topK}`, { field: '--top' });
    parseScenario(spec.scenarioText, spec.scenarioFile, { set: [...spec.baseSet, { assignment: `data.range=${spec.oos.range}`, origin: { option: `--oos ${spec.oos.range}` } }] });
  }
}

export function sweepIdentity(spec: SweepSpec): SweepIdentity {
  const plan = tasksFor(spec, spec.paramSets.map((_, i) => i), 'main', [], null).map((t) => [t.params, t.seed]);
  return { format: SWEEP_FORMAT, scenarioFile: spec.scenarioFile, scenarioSha256: sha256(spec.scenarioText), baseSet: spec.baseSet, planSha256: sha256(JSON.stringify(plan)), runs: plan.length };
}

export interface SweepHooks {
  /** After each finished run (also failed ones); `done`/`total` count this phase's runs incl. skipped ones. */
  onRun?: (row: RunRow, done: number, total: number, phase: 'main' | 'oos') => void;
  /** When a phase starts: its run count and the runs the directory already holds (skipped), in plan order. */
  onPhase?: (phase: 'main' | 'oos', total: number, skipped: readonly RunRow[]) => void;
}

async function runPhase(pool: RunPool, journal: SweepJournal, tasks: RunTask[], phase: 'main' | 'oos', hooks: SweepHooks): Promise<{ rows: RunRow[]; skipped: number; failed: number }> {
  const rows = new Map<string, RunRow>();
  let skipped = 0;
  for (const t of tasks) {
    const r = journal.done.get(t.key);
    if (r !== undefined) {
      rows.set(t.key, r);
      skipped++;
    }
  }
  hooks.onPhase?.(phase, tasks.length, [...rows.values()]);
  let done = skipped;
  let failed = 0;
  await Promise.all(
    tasks
      .filter((t) => !rows.has(t.key))
      .map((t) =>
        pool
          .run(t)
          .catch((e: unknown): RunRow => ({ key: t.key, phase: t.phase, params: t.params, seed: t.seed, metrics: null, pnlExact: null, warnings: [], hash: null, dataFingerprint: null, runId: null, error: `[E_STATE] ${e instanceof Error ? e.message : String(e)}` }))
          .then((row) => {
          if (row.error === null) journal.append(row);
          else failed++;
          rows.set(t.key, row);
          hooks.onRun?.(row, ++done, tasks.length, phase);
        }),
      ),
  );
  return { rows: tasks.map((t) => rows.get(t.key)!), skipped, failed };
}

/** Runs the sweep into `dir` (created or resumed) and writes results.parquet and leaderboard.html. */
export async function runSweep(spec: SweepSpec, dir: string, pool: RunPool, hooks: SweepHooks = {}): Promise<SweepResult> {
  checkSweep(spec);
  const journal = SweepJournal.open(dir, sweepIdentity(spec));
  try {
    const reportsDir = spec.reports ? join(dir, 'runs') : null;
    const all = spec.paramSets.map((_, i) => i);
    const main = await runPhase(pool, journal, tasksFor(spec, all, 'main', [], reportsDir), 'main', hooks);
    let rows = main.rows;
    let skipped = main.skipped;
    let failed = main.failed;
    let chosen: number[] = [];
    if (spec.oos !== null) {
      const scores = scoreSets(spec, main.rows);
      chosen = rankSets(spec, scores)
        .filter((i) => scores[i] !== null)
        .slice(0, spec.oos.topK);
      const oos = await runPhase(pool, journal, tasksFor(spec, chosen, 'oos', [`data.range=${spec.oos.range}`], reportsDir), 'oos', hooks);
      rows = [...rows, ...oos.rows];
      skipped += oos.skipped;
      failed += oos.failed;
    }
    writeSweepOutputs(dir, spec, rows, chosen);
    return { rows, skipped, failed, dir, chosen };
  } finally {
    journal.close();
  }
}
