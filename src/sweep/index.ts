/**
 * sweep: parameter sweeps over backtests. A sweep is a list of parameter sets (a grid or a seeded
 * random sample of a space; space.ts) × run seeds, each run `backtest()` of the scenario with the
 * set applied as `--set` overrides (run-one.ts), on a pool of worker threads (pool.ts), resumable
 * from its directory's journal (journal.ts), ranked by one metric over seeds (rank.ts), with an
 * optional out-of-sample re-run of the best sets (sweep.ts), and written as results.parquet and
 * leaderboard.html (output.ts). Rows are in plan order: the outputs are the same bytes whatever the
 * number of workers and however often the sweep was interrupted.
 */
export { parseGridOption, expandGrid, checkAxes, parseSpace, loadSpaceFile, sampleSpace, parseSeeds, type Axis, type ParamSet, type SpaceDim } from './space.ts';
export { METRIC_NAMES, runTask, taskScenario, type MetricName, type RunRow, type RunTask } from './run-one.ts';
export { ThreadPool, PiscinaPool, type RunPool } from './pool.ts';
export { SweepJournal, SWEEP_FORMAT, writeFileAtomic, type SweepIdentity } from './journal.ts';
export { RANK_METRICS, better, rankSets, scoreSets, type SweepSpec } from './rank.ts';
export { checkSweep, runSweep, sweepIdentity, type SweepHooks, type SweepResult, type SweepStop } from './sweep.ts';
export { leaderboardHtml, resultsParquet, writeSweepOutputs } from './output.ts';
