/**
 * A sweep: plan every run (parameter sets × seeds), check each against the scenario loader before
 * any run starts, run what the sweep directory has not finished yet on a pool, then (with an
 * out-of-sample range) re-run the best K parameter sets on that range, and write the table and the
 * leaderboard. Rows are ordered by plan (main runs, then out-of-sample runs in rank order), never by
 * completion, so the outputs do not depend on the number of workers or on interruptions.
 *
 * Ranking: rank.ts.
 *
 * Stopping (`signal`, the CLI's SIGINT / SIGTERM): no new run is dispatched, the pool is closed
 * (the runs in progress are abandoned where they are: a worker thread is terminated, a queued job
 * stays queued), the staging directories of `--reports` runs cut short are removed, and neither
 * results.parquet nor leaderboard.html is written. The journal keeps every run that finished, so
 * the same sweep started again resumes from there. With a pool of this process's threads
 * (`RunPool.inProcess`) a run's report is left staged by its worker and published here in the same
 * synchronous step as its journal line, so a stop never leaves a run directory the journal lacks.
 *
 * This module reads no clock: the caller (the CLI) turns `onRun` into a progress line with an ETA.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { discardStagingLeftIn, publishStagedRun } from '../backtest/index.ts';
import { ConfigError, MakerError } from '../core/errors.ts';
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
  /** Set when `signal` stopped the sweep (then no outputs were written, and `rows` is empty). */
  stopped: SweepStop | null;
}

/** Where a stopped sweep stopped. */
export interface SweepStop {
  phase: 'main' | 'oos';
  /** Runs of that phase in the journal (finished now or before), and the phase's run count. */
  done: number;
  total: number;
  /** Of `done`, the runs that finished in this call. */
  ranNow: number;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function runKey(phase: string, params: readonly (readonly [string, string])[], seed: number, phaseSet: readonly string[]): string {
  return sha256(JSON.stringify([phase, params, seed, phaseSet])).slice(0, 20);
}

function tasksFor(spec: SweepSpec, setIndices: readonly number[], phase: 'main' | 'oos', phaseSet: string[], reportsDir: string | null, stageReport: boolean): RunTask[] {
  const out: RunTask[] = [];
  for (const i of setIndices) {
    const params = spec.paramSets[i].map(([k, v]) => [k, v] as [string, string]);
    for (const seed of spec.seeds) {
      out.push({ key: runKey(phase, params, seed, phaseSet), phase, params, seed, scenarioText: spec.scenarioText, scenarioFile: spec.scenarioFile, baseSet: spec.baseSet, phaseSet, reportsDir, ...(stageReport && reportsDir !== null ? { stageReport: true } : {}), ...(spec.origins === undefined ? {} : { origins: spec.origins }) });
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
  const plan = tasksFor(spec, spec.paramSets.map((_, i) => i), 'main', [], null, false).map((t) => [t.params, t.seed]);
  return { format: SWEEP_FORMAT, scenarioFile: spec.scenarioFile, scenarioSha256: sha256(spec.scenarioText), baseSet: spec.baseSet, planSha256: sha256(JSON.stringify(plan)), runs: plan.length };
}

export interface SweepHooks {
  /** After each finished run (also failed ones); `done`/`total` count this phase's runs incl. skipped ones. */
  onRun?: (row: RunRow, done: number, total: number, phase: 'main' | 'oos') => void;
  /** When a phase starts: its run count and the runs the directory already holds (skipped), in plan order. */
  onPhase?: (phase: 'main' | 'oos', total: number, skipped: readonly RunRow[]) => void;
}

interface PhaseResult {
  rows: RunRow[];
  skipped: number;
  failed: number;
  /** Set when the phase was stopped before its runs finished (`rows` then holds only finished ones). */
  stopped: SweepStop | null;
}

/**
 * Moves a finished run's staged report directory into place (tasks with `stageReport`). A failure
 * to do so (the disk, the permissions) fails the run: it is not journaled, and a rerun tries it again.
 */
function publishReport(t: RunTask, row: RunRow): RunRow {
  if (row.error !== null || t.stageReport !== true || t.reportsDir === null || row.runId === null) return row;
  try {
    publishStagedRun(join(t.reportsDir, row.runId), row.runId);
    return row;
  } catch (e) {
    if (!(e instanceof MakerError)) throw e;
    return { ...row, metrics: null, pnlExact: null, hash: null, error: `[${e.code}] ${e.describe()}` };
  }
}

async function runPhase(pool: RunPool, journal: SweepJournal, tasks: RunTask[], phase: 'main' | 'oos', hooks: SweepHooks, signal: AbortSignal | undefined): Promise<PhaseResult> {
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
  let ranNow = 0;
  let stopping = signal?.aborted === true;
  const todo = stopping ? [] : tasks.filter((t) => !rows.has(t.key));
  const all = Promise.all(
    todo.map((t) =>
      pool
        .run(t)
        .catch((e: unknown): RunRow => ({ key: t.key, phase: t.phase, params: t.params, seed: t.seed, metrics: null, pnlExact: null, warnings: [], hash: null, dataFingerprint: null, runId: null, error: `[E_STATE] ${e instanceof Error ? e.message : String(e)}` }))
        .then((finished) => {
          // Publishing a staged report directory and journaling the run happen in this one
          // synchronous step: a stop (an event on this thread) comes before both or after both.
          const row = journal.isOpen ? publishReport(t, finished) : finished;
          if (stopping) {
            // A run that finished as the stop came is kept (its report is complete); the ones the
            // closing pool failed are not runs that failed, and are not reported.
            if (row.error === null && journal.isOpen) {
              journal.append(row);
              rows.set(t.key, row);
              ranNow++;
            }
            return;
          }
          if (row.error === null) {
            journal.append(row);
            ranNow++;
          } else failed++;
          rows.set(t.key, row);
          hooks.onRun?.(row, ++done, tasks.length, phase);
        }),
    ),
  );
  if (signal !== undefined && !stopping) {
    let onAbort = (): void => undefined;
    const aborted = new Promise<void>((resolve) => (onAbort = resolve));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([all, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    stopping = signal.aborted && rows.size < tasks.length;
  } else await all;
  if (stopping) {
    // No new run starts; the ones in progress are abandoned where they are.
    await pool.close();
    const kept = tasks.filter((t) => journal.done.has(t.key)).length;
    return { rows: [], skipped, failed: 0, stopped: { phase, done: kept, total: tasks.length, ranNow } };
  }
  return { rows: tasks.map((t) => rows.get(t.key)!), skipped, failed, stopped: null };
}

/**
 * Runs the sweep into `dir` (created or resumed) and writes results.parquet and leaderboard.html.
 * When `signal` aborts before the runs are done it stops instead (see the header): the pool is
 * closed, and the result's `stopped` says where.
 */
export async function runSweep(spec: SweepSpec, dir: string, pool: RunPool, hooks: SweepHooks = {}, signal?: AbortSignal): Promise<SweepResult> {
  checkSweep(spec);
  const journal = SweepJournal.open(dir, sweepIdentity(spec));
  const reportsDir = spec.reports ? join(dir, 'runs') : null;
  try {
    const all = spec.paramSets.map((_, i) => i);
    const main = await runPhase(pool, journal, tasksFor(spec, all, 'main', [], reportsDir, pool.inProcess), 'main', hooks, signal);
    if (main.stopped !== null) return stoppedAt(main.stopped, main.skipped, dir, reportsDir);
    let rows = main.rows;
    let skipped = main.skipped;
    let failed = main.failed;
    let chosen: number[] = [];
    if (spec.oos !== null) {
      const scores = scoreSets(spec, main.rows);
      chosen = rankSets(spec, scores)
        .filter((i) => scores[i] !== null)
        .slice(0, spec.oos.topK);
      const oos = await runPhase(pool, journal, tasksFor(spec, chosen, 'oos', [`data.range=${spec.oos.range}`], reportsDir, pool.inProcess), 'oos', hooks, signal);
      if (oos.stopped !== null) return stoppedAt(oos.stopped, skipped + oos.skipped, dir, reportsDir);
      rows = [...rows, ...oos.rows];
      skipped += oos.skipped;
      failed += oos.failed;
    }
    writeSweepOutputs(dir, spec, rows, chosen);
    return { rows, skipped, failed, dir, chosen, stopped: null };
  } finally {
    journal.close();
  }
}

function stoppedAt(stop: SweepStop, skipped: number, dir: string, reportsDir: string | null): SweepResult {
  // The pool is closed: no thread of this process writes a run directory any more.
  if (reportsDir !== null) discardStagingLeftIn(reportsDir);
  return { rows: [], skipped, failed: 0, dir, chosen: [], stopped: stop };
}
