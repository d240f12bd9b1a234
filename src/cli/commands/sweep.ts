/**
 * `maker sweep --scenario <file> (--grid key=values ... | --random N --space <file> [--seed S])
 *   [--seeds N|a,b] [--set key=value ...] [--workers N] [--out DIR] [--rank-by METRIC]
 *   [--oos RANGE [--top K]] [--reports] [--json] [--quiet]
 *   [--queue redis://host:port[/db] [--attempts N] [--backoff MS] [--keep-days D]]`
 *
 * Runs the scenario once per parameter set and seed on a pool of worker threads (piscina; src/sweep) and
 * writes the sweep directory: sweep.json (its identity), runs.jsonl (the journal of finished runs),
 * results.parquet and leaderboard.html (and runs/<run-id>/ with --reports). Every parameter set is
 * checked with the scenario loader before any run starts (an unknown key or a bad value is exit 2
 * naming the key). Rerunning the same command skips the runs the journal holds; a directory of a
 * different sweep is refused. The default directory is reports/sweeps/<scenario>-<12 hex of the
 * sweep's identity>, so a changed grid goes to a new directory by itself.
 *
 * With --queue the runs go to a BullMQ queue on that Redis instead of local threads (src/sweep-queue):
 * `maker worker --queue …` processes, on any machine that sees the store at a shared path, run them;
 * this command waits, gathers their rows into the same sweep directory (same bytes as the local
 * backend) and resumes the same way.
 *
 * Progress (runs done/total, ETA, best so far) goes to stderr; stdout gets the leaderboard's top
 * rows, or with --json one JSON line per run (parameters, seed, headline metrics, hash).
 * SIGINT / SIGTERM (src/cli/interrupt.ts): no new run starts, the worker threads are terminated
 * (the runs they had are abandoned; with --queue the jobs stay queued and a rerun collects them),
 * staging directories of cut-short --reports runs are removed, the lock is released, and one line
 * says how many runs are done and kept in runs.jsonl (results.parquet and leaderboard.html are not
 * written: the same command resumes). A second signal exits at once.
 *
 * Exit status: 0 done, 1 some runs failed (listed; a rerun retries them), 2 bad option, scenario
 * key or sweep directory (also: locked by another sweep), or the queue's Redis unreachable or lost,
 * 70 internal error, 130 / 143 stopped by SIGINT / SIGTERM.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { parseScenario, type OverrideOrigin } from '../../scenario/index.ts';
import { assertOutputDir } from '../output-check.ts';
import { METRIC_NAMES, RANK_METRICS, PiscinaPool, better, expandGrid, loadSpaceFile, parseGridOption, parseSeeds, rankSets, runSweep, sampleSpace, scoreSets, sweepIdentity, checkSweep, type MetricName, type RunRow, type SweepSpec } from '../../sweep/index.ts';
import { DEFAULT_LIMITS, QueuePool, parseRedisUrl } from '../../sweep-queue/index.ts';
import { parseSeedOption } from '../options.ts';
import { Interrupts, interruptedError } from '../interrupt.ts';
import { collect } from '../specs.ts';
import { setExitStatus } from './backtest.ts';

interface SweepCliOptions {
  scenario: string;
  grid: string[];
  random?: string;
  space?: string;
  seed?: string;
  seeds?: string;
  set: string[];
  workers?: string;
  out?: string;
  rankBy: string;
  oos?: string;
  top: string;
  reports: boolean;
  json: boolean;
  quiet: boolean;
  queue?: string;
  attempts: string;
  backoff: string;
  keepDays: string;
}

function positiveInt(text: string, option: string, max = 1_000_000): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new ConfigError(`must be an integer from 1 to ${max}, got "${text}"`, { field: option });
  return n;
}

/** The sweep the options describe (read and checked; nothing runs). */
export function sweepSpecFromOptions(opts: SweepCliOptions): SweepSpec {
  let scenarioText: string;
  try {
    scenarioText = readFileSync(opts.scenario, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read scenario file: ${(e as Error).message}`, { file: opts.scenario });
  }
  const base = parseScenario(scenarioText, opts.scenario, { set: opts.set });
  if (!(opts.rankBy in RANK_METRICS)) throw new ConfigError(`unknown metric "${opts.rankBy}"; one of ${Object.keys(RANK_METRICS).join(', ')}`, { field: '--rank-by' });
  let paramSets;
  let keys: string[];
  let description: string;
  const origins: Record<string, OverrideOrigin> = {};
  if (opts.random !== undefined) {
    if (opts.grid.length > 0) throw new ConfigError('use either --grid or --random with --space, not both', { field: '--random' });
    if (opts.space === undefined) throw new ConfigError('--random needs --space <file> (keys → [values] or {min, max, log?, integer?})', { field: '--space' });
    const n = positiveInt(opts.random, '--random', 100_000);
    const seed = parseSeedOption(opts.seed, '--seed') ?? 0;
    const dims = loadSpaceFile(opts.space);
    paramSets = sampleSpace(dims, n, seed);
    keys = dims.map((d) => d.key);
    for (const d of dims) origins[d.key] = { file: opts.space, line: d.line };
    description = `random search: ${n} samples of ${opts.space} (sampler seed ${seed})`;
  } else {
    if (opts.space !== undefined || opts.seed !== undefined) throw new ConfigError('--space and --seed go with --random N', { field: opts.space !== undefined ? '--space' : '--seed' });
    if (opts.grid.length === 0) throw new ConfigError('nothing to sweep: give --grid key=values (a,b,c or lo..hi:step), or --random N --space file', { field: '--grid' });
    const axes = opts.grid.map(parseGridOption);
    paramSets = expandGrid(axes);
    keys = axes.map((a) => a.key);
    axes.forEach((a, i) => (origins[a.key] = { option: `--grid ${opts.grid[i]}` }));
    description = `grid: ${axes.map((a) => `${a.key}=${a.values.join(',')}`).join(' × ')}`;
  }
  const spec: SweepSpec = {
    scenarioFile: opts.scenario,
    scenarioText,
    baseSet: opts.set,
    paramSets,
    keys,
    seeds: parseSeeds(opts.seeds, base.seed),
    rankBy: opts.rankBy as MetricName,
    oos: opts.oos === undefined ? null : { range: opts.oos, topK: positiveInt(opts.top, '--top', 10_000) },
    reports: opts.reports,
    description,
    origins,
  };
  checkSweep(spec);
  return spec;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.ceil(s - m * 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : String(Number(v.toPrecision(6)));
}

function paramsText(p: readonly (readonly [string, string])[]): string {
  return p.map(([k, v]) => `${k}=${v}`).join(' ');
}

function jsonLine(r: RunRow, skipped: boolean): string {
  return `${JSON.stringify({ phase: r.phase, params: Object.fromEntries(r.params), seed: r.seed, metrics: r.metrics, pnlExact: r.pnlExact, warnings: r.warnings, hash: r.hash, runId: r.runId, error: r.error, ...(skipped ? { skipped: true } : {}) })}\n`;
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .summary('run a scenario over a grid or a random sample of parameters, on all cores, resumably')
    .description(
      'Runs the scenario once per parameter set and seed, each run a full backtest in a worker thread, and writes ' +
        'the sweep directory: results.parquet (one row per run: parameters, seed, metrics, data-quality warnings, ' +
        'determinism hash), leaderboard.html (sortable tables, metric-vs-parameter charts, a heat map for two keys) ' +
        'and the journal of finished runs (runs.jsonl). Parameters are scenario keys, the same key paths as --set ' +
        '(docs/SCENARIO.md); every set is checked before any run starts.\n\n' +
        'Grid values: a,b,c or lo..hi:step (inclusive). Space file (--random): YAML, key: [values] or key: {min, max, log?, integer?}.\n' +
        'Seeds: --seeds N runs the scenario seed and the N-1 after it (or --seeds 1,5,9) to show the spread of each result.\n\n' +
        'Resume: rerunning the same command skips the runs already in the directory; a directory of a different sweep ' +
        '(scenario text, --set list, parameters or seeds changed) is refused (exit 2). Without --out the directory is ' +
        'reports/sweeps/<scenario>-<hash of the sweep>, so a changed sweep gets a new one. An --out that is not a directory ' +
        'or cannot be written is refused before any worker starts (exit 2, naming the cause).\n\n' +
        'Distributed: --queue redis://host:port[/db] enqueues every run as a BullMQ job (id: a hash of the resolved scenario, ' +
        'seed and data fingerprint, so enqueueing again never runs a run twice) and waits for `maker worker --queue` processes ' +
        'to run them, with the same progress, resume and outputs as the local pool. Workers read the store from a shared path ' +
        '(the scenario\'s data.store, or their --store-root); so does this command, for the data fingerprint. A run still ' +
        'failing after --attempts tries is a failed row (exit 1; a rerun retries it).\n\n' +
        'Out of sample: --oos <range> ranks the sets on the scenario\'s range, re-runs the best --top K on <range> and shows both.\n\n' +
        'Ctrl-C (SIGINT) or SIGTERM: no new run starts and the runs in progress are abandoned (worker threads terminated; ' +
        'with --queue the jobs stay queued and a rerun collects them); no partial run directory and no lock is left, and one line ' +
        'names the directory and how many runs are done and kept in its runs.jsonl. results.parquet and leaderboard.html are not ' +
        'written: rerun the same command to resume. A second signal exits at once.\n\n' +
        'Exit status: 0 done, 1 some runs failed (a rerun retries them), 2 bad option, key or directory (or in use by another sweep), ' +
        'or the queue\'s Redis unreachable or lost (a rerun resumes), 70 internal error, 130 / 143 stopped by SIGINT / SIGTERM.',
    )
    .requiredOption('-s, --scenario <file>', 'scenario YAML file')
    .option('--grid <key=values>', 'a swept key: a,b,c or lo..hi:step, e.g. strategy.halfSpreadTicks=2..10:2 (repeatable; the product is run)', collect, [])
    .option('--random <n>', 'seeded random search: n parameter sets drawn from --space')
    .option('--space <file>', 'the random search space (YAML: key: [values] or {min, max, log?, integer?})')
    .option('--seed <n>', 'seed of the random search sampler (default 0)')
    .option('--seeds <n|list>', 'run seeds: N (the scenario seed and the N-1 after it) or a list 1,2,3 (default: the scenario seed)')
    .option('--set <key=value>', 'override a scenario key in every run (repeatable)', collect, [])
    .option('-w, --workers <n>', 'worker threads (default: the number of cores, at most the number of runs)')
    .option('-o, --out <dir>', 'the sweep directory (default reports/sweeps/<scenario>-<hash of the sweep>)')
    .option('--rank-by <metric>', `metric the sets are ranked by (mean over seeds): ${Object.keys(RANK_METRICS).join(', ')}`, 'pnl')
    .option('--oos <range>', 'out-of-sample time range (data.range syntax): re-run the best --top sets on it')
    .option('--top <k>', 'how many sets --oos re-runs', '3')
    .option('--reports', 'also write each run\'s report directory under <out>/runs/', false)
    .option('--json', 'one JSON line per run on stdout (parameters, seed, metrics, hash)', false)
    .option('-q, --quiet', 'no progress output', false)
    .option('--queue <url>', 'run on a BullMQ queue at redis://[user:password@]host:port[/db] (rediss:// for TLS) instead of local threads; start `maker worker --queue <url>` to process it')
    .option('--attempts <n>', 'with --queue: tries per run before it counts as failed', '3')
    .option('--backoff <ms>', 'with --queue: delay before the first retry, doubled each time', '2000')
    .option('--keep-days <d>', 'with --queue: days finished jobs (and their results) stay in Redis, so re-enqueueing reuses them', '7')
    .addHelpText(
      'after',
      '\nMetrics in the table: ' + METRIC_NAMES.join(', ') + '.\n' +
        '\nExamples:\n  maker sweep -s scenarios/quickstart.yaml --grid strategy.halfSpreadTicks=2..10:2 --grid strategy.skewTicksPerLot=0,0.25 --seeds 3 --workers 2\n' +
        '  maker sweep -s scenarios/quickstart.yaml --random 50 --space space.yaml --seed 7 --out reports/sweeps/qs-random\n' +
        '  maker sweep -s scenarios/quickstart.yaml --grid strategy.halfSpreadTicks=1..8 --queue redis://127.0.0.1:6379/0   # then, on each machine: maker worker --queue redis://<host>:6379/0\n' +
        '  maker sweep -s s.yaml --grid strategy.halfSpreadTicks=2..10:2 --set data.range=2024-08-08T00:00Z..2024-08-08T12:00Z --oos 2024-08-08T12:00Z..2024-08-09T00:00Z --top 3',
    )
    .action(async (opts: SweepCliOptions, cmd: Command) => {
      const spec = sweepSpecFromOptions(opts);
      const runs = spec.paramSets.length * spec.seeds.length;
      const target = opts.queue === undefined ? null : parseRedisUrl(opts.queue, '--queue');
      if (target !== null && opts.workers !== undefined) throw new ConfigError('--workers sizes the local pool; with --queue the runs go to `maker worker --queue …` processes (their --concurrency)', { field: '--workers' });
      if (target === null) for (const [o, v, d] of [['--attempts', opts.attempts, '3'], ['--backoff', opts.backoff, '2000'], ['--keep-days', opts.keepDays, '7']] as const) if (v !== d) throw new ConfigError('goes with --queue', { field: o });
      const attempts = positiveInt(opts.attempts, '--attempts', 100);
      const backoffMs = positiveInt(opts.backoff, '--backoff', 3_600_000);
      const keepDays = positiveInt(opts.keepDays, '--keep-days', 3650);
      const workers = opts.workers === undefined ? Math.max(1, Math.min(availableParallelism(), runs)) : positiveInt(opts.workers, '--workers', 256);
      const id = sweepIdentity(spec);
      const name = (parseScenario(spec.scenarioText, spec.scenarioFile, { set: spec.baseSet }).name || 'scenario').replace(/[^A-Za-z0-9._-]+/g, '-');
      const named = opts.out ?? join('reports', 'sweeps', `${name}-${createHash('sha256').update(JSON.stringify(id)).digest('hex').slice(0, 12)}`);
      // Queue workers write --reports under the directory: give them the absolute path (it must be on the shared path).
      const dir = target === null ? named : resolve(named);
      // Before the pool starts: a bad location fails now, naming --out (under /proc, mkdir -p spun for ever).
      assertOutputDir(dir, '--out');
      const quiet = opts.quiet;
      const where = target === null ? `${workers} worker${workers === 1 ? '' : 's'}` : `the queue ${target.display}`;
      const tty = process.stderr.isTTY === true;
      let best: RunRow | null = null;
      let phaseStart = Date.now();
      let phaseSkipped = 0;
      let lastDraw = 0;
      const line = (text: string, force: boolean): void => {
        if (quiet) return;
        const now = Date.now();
        if (!force && now - lastDraw < (tty ? 100 : 2000)) return;
        lastDraw = now;
        process.stderr.write(tty ? `\r\x1b[2K${text}${force ? '\n' : ''}` : `${text}\n`);
      };
      // SIGINT / SIGTERM: runSweep stops dispatching, closes the pool and releases the lock; the
      // default action killed the process with its threads mid-write (`.<run>.partial-<pid>` under
      // runs/ left behind) and no line.
      const journalFile = join(dir, 'runs.jsonl');
      const stop = new AbortController();
      const interrupts = new Interrupts('maker sweep', {
        onFirst: () => stop.abort(),
        secondNote: `the finished runs are kept in ${journalFile}; a staging directory under ${join(dir, 'runs')} may be left, and the next sweep takes over the lock (its process is gone)`,
      });
      let pool: PiscinaPool | QueuePool;
      try {
        pool = target === null ? await PiscinaPool.open(workers) : await QueuePool.open(target, { limits: DEFAULT_LIMITS, attempts, backoffMs, keepFinishedS: keepDays * 86_400 });
      } catch (e) {
        interrupts.close();
        throw e;
      }
      let lastRunMs = Date.now();
      // Queue: when nothing finishes for a while, say what the queue holds (no worker running is the usual reason).
      const idle =
        pool instanceof QueuePool && !quiet
          ? setInterval(() => {
              if (Date.now() - lastRunMs < 15_000) return;
              pool.status().then(
                (st) => line(`sweep: waiting on ${where}: ${st.waiting} queued, ${st.active} running, ${st.delayed} waiting to retry; ${st.workers} worker(s) connected${st.workers === 0 ? ' (start: maker worker --queue <url>)' : ''}`, true),
                () => undefined,
              );
            }, 15_000)
          : null;
      idle?.unref();
      let result;
      try {
        result = await runSweep(spec, dir, pool, {
          onPhase: (phase, total, skipped) => {
            phaseStart = Date.now();
            phaseSkipped = skipped.length;
            // Runs the journal already holds are listed too (marked skipped), so stdout covers the whole sweep.
            if (opts.json) for (const r of skipped) process.stdout.write(jsonLine(r, true));
            for (const r of skipped) if (phase === 'main' && better(spec.rankBy, r.metrics?.[spec.rankBy], best?.metrics?.[spec.rankBy])) best = r;
            line(`sweep ${phase}: ${total} runs on ${where}${skipped.length > 0 ? `, ${skipped.length} already done in ${dir} (skipped)` : ''}`, true);
          },
          onRun: (row, done, total, phase) => {
            lastRunMs = Date.now();
            if (opts.json) process.stdout.write(jsonLine(row, false));
            if (row.error !== null) {
              if (!quiet) process.stderr.write(`${tty ? '\r\x1b[2K' : ''}maker: run failed: ${paramsText(row.params)} seed ${row.seed}: ${row.error}\n`);
            } else if (phase === 'main' && better(spec.rankBy, row.metrics?.[spec.rankBy], best?.metrics?.[spec.rankBy])) best = row;
            const ran = done - phaseSkipped;
            const elapsed = (Date.now() - phaseStart) / 1000;
            const eta = ran > 0 ? (elapsed / ran) * (total - done) : Infinity;
            const b = best === null ? '' : ` | best ${spec.rankBy} ${fmt(best.metrics?.[spec.rankBy])} (${paramsText(best.params)} seed ${best.seed})`;
            line(`sweep ${phase}: ${done}/${total} runs, ETA ${duration(eta)}${b}`, done === total);
          },
        }, stop.signal);
      } finally {
        if (idle !== null) clearInterval(idle);
        try {
          await pool.close();
        } finally {
          interrupts.close();
        }
      }
      if (result.stopped !== null) {
        const st = result.stopped;
        if (tty && !quiet) process.stderr.write('\r\x1b[2K');
        const queued = pool instanceof QueuePool ? `; the runs enqueued stay on the queue ${pool.target.display}, and a rerun collects them` : '';
        throw interruptedError(
          interrupts.received ?? 'SIGINT',
          `during the ${st.phase === 'main' ? '' : 'out-of-sample '}runs of the sweep in ${dir}: ${st.done} of ${st.total} are done (${st.ranNow} in this session) and kept in ${journalFile}; ` +
            `results.parquet and leaderboard.html were not written${queued}; rerun the same command to resume`,
        );
      }
      if (interrupts.received !== undefined) process.stderr.write(`maker sweep: ${interrupts.received} came as the last runs finished: the sweep was completed first\n`);
      if (pool instanceof QueuePool && pool.fatal !== null) throw pool.fatal;
      if (!opts.json) {
        const main = result.rows.filter((r) => r.phase === 'main');
        const scores = scoreSets(spec, main);
        const order = rankSets(spec, scores).slice(0, 10);
        const lines = [`top ${order.length} of ${spec.paramSets.length} parameter sets by mean ${spec.rankBy} over ${spec.seeds.length} seed(s):`];
        order.forEach((i, k) => lines.push(`  ${String(k + 1).padStart(2)}. ${fmt(scores[i]).padStart(12)}  ${paramsText(spec.paramSets[i])}`));
        if (spec.oos !== null) {
          const oosScores = scoreSets(spec, result.rows.filter((r) => r.phase === 'oos'));
          lines.push(`out of sample (${spec.oos.range}), mean ${spec.rankBy}:`);
          result.chosen.forEach((i, k) => lines.push(`  ${String(k + 1).padStart(2)}. in ${fmt(scores[i]).padStart(12)}  out ${fmt(oosScores[i]).padStart(12)}  ${paramsText(spec.paramSets[i])}`));
        }
        const reused = pool instanceof QueuePool && pool.reused > 0 ? `, ${pool.reused} already finished in the queue` : '';
        lines.push(`runs: ${result.rows.length} (${result.skipped} skipped as already done${reused}, ${result.failed} failed)`);
        lines.push(`output: ${join(dir, 'results.parquet')}, ${join(dir, 'leaderboard.html')}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (result.failed > 0) {
        if (!quiet) process.stderr.write(`maker: ${result.failed} run(s) failed (see above); rerun the same command to retry them\n`);
        setExitStatus(cmd, 1);
      }
    });
}
