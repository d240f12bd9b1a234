/**
 * `maker backtest --scenario <file> [--seed N] [--set key=value ...] [--out DIR] [--json] [--strict]`
 *
 * Runs a scenario through the backtest engine and writes the run directory `<DIR>/<run-id>/`
 * (`DIR` is `--out`, `reports` by default): summary.json, report.html, fills/orders/timeseries
 * Parquet (and events.log when `report.eventLog` is on), atomically: a failed run leaves no
 * directory that looks complete, and no staging residue.
 *
 * Output safety: `--out` is the parent of run directories, never a directory that is replaced; it is
 * created if missing, and what else it holds is never touched. An existing `<DIR>/<run-id>/` is
 * replaced only when it is empty or an earlier copy of the same run (only files a run writes, and a
 * summary.json of that run id); anything else there is refused (E_IO, exit 2) and kept. Before the
 * run starts, `--out` is checked: a directory, or creatable, and writable (a probe file is created
 * and removed), so that a read-only or mistyped location fails at once, naming the path and cause.
 *
 * The run id is deterministic: `<scenario name>-s<seed>-<12 hex of sha256(resolved scenario, data
 * fingerprint)>`. Progress goes to stderr (a bar on a terminal, plain lines otherwise); the summary
 * table to stdout, or with `--json` the summary as one JSON object on one line (`outDir`: the run
 * directory). Data-quality warnings (coverage under 99 %, the trader's book out of sync over 1 % of
 * the run, a strategy that never quoted: docs/METRICS.md) go to stderr after the run; `--strict`
 * makes them exit status 1, once the report is written.
 *
 * SIGINT / SIGTERM stop the run between batches of events: no run directory and no staging
 * directory is left, and the exit status is 130 / 143 (src/cli/interrupt.ts).
 *
 * Exit status: 0 done, 1 data-quality warnings with --strict, 2 bad scenario or option / missing or
 * corrupt data / unusable output location, 70 internal error, 130 / 143 stopped by SIGINT / SIGTERM.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { formatUs } from '../../core/clock.ts';
import { backtest, resolvedScenario, runIdFor, type BacktestOutcome, type DataQualityWarning, canonicalJson, configRows, fmtDuration, fmtPct, formatRejects, runModelScenario, summaryJson, writeModelRunOutputs, writeRunOutputs, type ModelOutcome } from '../../backtest/index.ts';
import { loadScenarioFile, type Scenario } from '../../scenario/index.ts';
import { parseSeedOption } from '../options.ts';
import { Interrupts } from '../interrupt.ts';
import { assertOutputDir } from '../output-check.ts';
import { Progress } from '../progress.ts';
import { collect } from '../specs.ts';

interface BacktestCliOptions {
  scenario: string;
  seed?: string;
  set: string[];
  out?: string;
  json: boolean;
  quiet: boolean;
  strict: boolean;
  batchRows?: string;
}

// The run id and the resolved scenario live in backtest/ (sweeps name their runs the same way).
export { resolvedScenario, runIdFor };

/** Where run directories go when `--out` is not given. */
export const DEFAULT_REPORTS_DIR = 'reports';

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .summary('run a scenario through the simulated exchange and write a report')
    .description(
      'Replays the scenario\'s market data (store or synthetic) through the trading core and the simulated ' +
        'exchange, deterministically, and writes the run directory <out>/<run-id>/ (summary.json, report.html, ' +
        'Parquet tables; <out> is reports/ unless --out says otherwise). Scenario keys: docs/SCENARIO.md.\n\n' +
        'Output: --out is the parent directory of runs (created if missing); nothing already in it is deleted or ' +
        'changed. An existing <out>/<run-id>/ is replaced only when it is empty or an earlier copy of the same run ' +
        '(only files a run writes and a summary.json of that run id); otherwise the run is refused (exit 2) and ' +
        'that directory kept. --out is checked for writability before the run starts.\n\n' +
        'Data-quality warnings (coverage under 99 %, the book out of sync over 1 % of the run, no quote at all) ' +
        'go to stderr; --strict turns them into exit status 1 after the report is written.\n\n' +
        'SIGINT (Ctrl-C) or SIGTERM stops the run within a batch of events; nothing is written (no run directory, no staging directory).\n\n' +
        'Exit status: 0 done, 1 data-quality warnings with --strict, 2 bad scenario or option, missing/corrupt data or unusable output location, 70 internal error, ' +
        '130 / 143 stopped by SIGINT / SIGTERM.',
    )
    .requiredOption('-s, --scenario <file>', 'scenario YAML file')
    .option('--seed <n>', 'override the scenario seed (a non-negative integer)')
    .option('--set <key=value>', 'override a scenario key, e.g. strategy.halfSpreadTicks=3 (repeatable)', collect, [])
    .option('-o, --out <dir>', 'parent directory of the run directory <dir>/<run-id>/ (default reports); never emptied')
    .option('--json', 'print the summary as one JSON object on stdout', false)
    .option('-q, --quiet', 'no progress output', false)
    .option('--strict', 'exit 1 when the run raised data-quality warnings (after writing the report)', false)
    .option('--batch-rows <n>', 'rows per store batch (does not change results)')
    .addHelpText('after', '\nModel markets (data.source: model, docs/MODEL_MARKETS.md): the strategy runs in the papers\' model world ' +
      '(data.model: paths, s0, horizonS, dtS, sigma, aPerS, k, q0, tickSize, fillAfterMove) instead of the simulated exchange; the summary carries ' +
      'model: {paths, profit, finalInventory, fills, meanSpread} (mean, std, stdErr) and the run directory holds summary.json and paths.csv.\n' +
      '\nExamples:\n  maker backtest --scenario scenarios/quickstart.yaml\n  maker backtest -s scenarios/quickstart.yaml --seed 7 --set strategy.halfSpreadTicks=5 --json\n  maker backtest -s scenarios/quickstart.yaml --out runs    # writes runs/<run-id>/\n  maker backtest -s scenarios/model-as2008.yaml --set strategy.gamma=0.01 --json')
    .action(async (opts: BacktestCliOptions, cmd: Command) => {
      const scenario = loadScenarioFile(opts.scenario, { set: opts.set, seed: parseSeedOption(opts.seed, '--seed') });
      const batchRows = opts.batchRows === undefined ? undefined : Number(opts.batchRows);
      if (batchRows !== undefined && (!Number.isSafeInteger(batchRows) || batchRows <= 0)) throw new ConfigError(`--batch-rows must be a positive integer, got "${opts.batchRows}"`, { field: '--batch-rows' });
      const outRoot = opts.out ?? DEFAULT_REPORTS_DIR;
      assertOutputDir(outRoot, '--out'); // before the run: a bad location fails now, not after it
      if (scenario.data.source === 'model') {
        // The papers' model world: no event engine, no exchange; summary.json and paths.csv only.
        const outcome = runModelScenario(scenario, (fp) => runIdFor(scenario, fp), resolvedScenario(scenario));
        const dir = join(outRoot, outcome.runId);
        writeModelRunOutputs(dir, outcome.runId, { 'summary.json': summaryJson(outcome.summary), 'paths.csv': outcome.pathsCsv });
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...outcome.summary, outDir: dir })}\n`);
        else process.stdout.write(formatModelSummary(outcome, scenario, dir));
        return;
      }
      const progress = new Progress({ label: 'backtest', unit: 'events', quiet: opts.quiet || opts.json });
      const eventLog: string[] = [];
      let outcome: BacktestOutcome;
      // SIGINT / SIGTERM stop the run between batches (exit 130 / 143, nothing written); the
      // default action would kill it anywhere, the run directory's staging directory included.
      const interrupts = new Interrupts('maker backtest');
      const NOTHING = `before the run was complete; no run directory was written under ${outRoot}`;
      let dir: string;
      let summary: ReturnType<typeof writeRunOutputs>;
      try {
        try {
          outcome = await backtest(scenario, (fp) => runIdFor(scenario, fp), {
            batchRows,
            eventLogSink: scenario.report.eventLog ? (chunk) => eventLog.push(chunk) : undefined,
            onProgress: (done, expected) => progress.update(done, Math.max(expected, done), done),
            checkpoint: () => interrupts.checkpoint(NOTHING),
          });
        } finally {
          progress.done();
        }
        await interrupts.checkpoint(NOTHING); // a signal during the last batch's bookkeeping
        dir = join(outRoot, outcome.info.runId);
        const { result, metrics, info } = outcome;
        // Synchronous: a signal from here on is handled once the run directory is in place (and ignored: the run is complete).
        summary = writeRunOutputs(dir, result.parts.recorder, {
          info,
          scenario: resolvedScenario(scenario),
          metrics,
          eventCount: result.eventLogEvents,
          extraFiles: scenario.report.eventLog ? { 'events.log': eventLog.join('') } : undefined,
          dataQuality: outcome.dataQuality,
          notes: outcome.notes,
        });
      } finally {
        interrupts.close();
      }
      const { result } = outcome;
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...summary, outDir: dir, engine: result.stats })}\n`);
      else process.stdout.write(formatSummary(outcome, dir));
      const warnings = outcome.dataQuality.warnings;
      if (warnings.length > 0) process.stderr.write(formatWarnings(warnings, dir, opts.strict, process.stderr.isTTY === true));
      if (opts.strict && warnings.length > 0) setExitStatus(cmd, 1);
    });
}

/** The terminal summary of a model-market run: the world, the strategy, and one table row of results. */
export function formatModelSummary(o: ModelOutcome, s: Scenario, dir: string): string {
  const m = s.data.model;
  const g = o.result.grid;
  const r = o.result;
  const strategy = configRows(resolvedScenario(s)).filter(([k]) => k.startsWith('strategy'));
  const stat = (x: { mean: number; std: number; stdErr: number }, d: number): string => `${fmt(x.mean, d)} (${fmt(x.std, d)}) ±${fmt(x.stdErr, d)}`;
  const head: [string, string][] = [
    ['run id', o.runId],
    ['data', `model world ${s.data.symbols[0]}: ${m.paths.toLocaleString('en-US')} paths × ${g.steps} steps of ${m.dtS} s; s0 ${m.s0}, σ ${m.sigma} (on the grid ${g.sigmaEffective.toPrecision(7)}), A ${m.aPerS}, k ${m.k}, q0 ${m.q0}, tick ${s.data.model.tickSize}`],
    ...strategy,
    ['output', dir],
  ];
  const w = Math.max(...head.map((x) => x[0].length));
  const lines = head.flatMap(([k, v]) => wrap(v, VALUE_WIDTH).map((part, i) => `${(i === 0 ? k : '').padEnd(w)}  ${part}`));
  const cols = ['paths', 'mean spread', 'profit mean (std) ±s.e.', 'final q mean (std) ±s.e.', 'fills/path'];
  const row = [String(m.paths), fmt(r.meanSpread, 3), stat(r.profit, 2), stat(r.finalInventory, 3), fmt(r.fills.mean, 1)];
  const widths = cols.map((c, i) => Math.max(c.length, row[i].length));
  lines.push('', cols.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd(), row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  return `${lines.join('\n')}\n`;
}

/** The store's integrity for the summary: files verified, unverified (old format), damaged, damaged imports. */
function storeLine(s: NonNullable<BacktestOutcome['dataQuality']['store']>): string {
  const parts = [`${s.verified} read and matched their SHA-256`];
  if (s.unverified.length > 0) parts.push(`${s.unverified.length} without a recorded hash (maker-store/2: re-import to verify)`);
  if (s.damaged.length > 0) parts.push(`${s.damaged.length} DAMAGED, read anyway (data.verify: false)`);
  if (s.inputDamage.length > 0) parts.push(`${s.inputDamage.length} partition(s) imported from damaged input`);
  if (s.noMatchTime.length > 0) parts.push(`${s.noMatchTime.length} partition(s) WITHOUT MATCH TIME (before maker-store/4: re-import)`);
  return parts.join('; ');
}

export function setExitStatus(cmd: Command, code: number): void {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  (root as Command & { exitStatus?: number }).exitStatus = code;
}

/** The data-quality warnings for stderr: one line each, then what they mean (and, with --strict, the exit status). */
export function formatWarnings(warnings: readonly DataQualityWarning[], dir: string, strict: boolean, color = false): string {
  const loud = (t: string): string => (color ? `\x1b[1;31m${t}\x1b[0m` : t);
  const lines = warnings.map((w) => loud(`maker: WARNING [${w.code}] ${w.message}`));
  const n = `${warnings.length} data-quality warning${warnings.length === 1 ? '' : 's'}`;
  lines.push(
    strict
      ? loud(`maker: --strict: ${n}; exit status 1 (the report is in ${dir}; see "Data quality" in report.html)`)
      : `maker: ${n}: read the numbers above with this in mind (see "Data quality" in ${join(dir, 'report.html')}); --strict makes this exit 1`,
  );
  return `${lines.join('\n')}\n`;
}

function fmt(n: number | null | undefined, digits = 2): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

/** Width of a summary value before it wraps (at ", " or "; "). */
const VALUE_WIDTH = 100;

function wrap(v: string, width: number): string[] {
  if (v.length <= width) return [v];
  const parts = v.split(/(?<=[,;] )/);
  const out: string[] = [];
  let line = '';
  for (const p of parts) {
    if (line !== '' && line.length + p.length > width) {
      out.push(line.trimEnd());
      line = '';
    }
    line += p;
  }
  if (line !== '') out.push(line.trimEnd());
  return out;
}

export function formatSummary(o: BacktestOutcome, dir: string): string {
  const { result, metrics: m, info, dataQuality: q } = o;
  const st = result.stats;
  const unit = m.pnl.asset;
  const money = (v: string): string => `${v} ${unit}`;
  const config = configRows(resolvedScenario(o.scenario)).filter(([k]) => k !== 'data');
  const ratios = m.ratios.sharpe === null && m.ratios.sortino === null ? m.ratios.note : `${fmt(m.ratios.sharpe)} / ${fmt(m.ratios.sortino)} (${m.ratios.note})`;
  const rows: [string, string][] = [
    ['run id', info.runId],
    ['data', `${info.dataKind}; ${result.data.instruments.map((i) => i.symbol).join(', ')}`],
    ['requested', `${q.requested.text} (${fmtDuration(q.requested.seconds)})`],
    ['period', `${formatUs(st.firstUs)} .. ${formatUs(st.lastUs)}`],
    ['market events', `${st.marketEvents.toLocaleString('en-US')} (mean feed latency ${fmt(st.meanFeedLatencyUs / 1000, 2)} ms, clock offset ${st.clockOffsetUs} µs)`],
    ['match order', `exchange side in match-time order: ${st.reorderedEvents.toLocaleString('en-US')} events moved before earlier-read ones${st.lateMatchEvents > 0 ? `, ${st.lateMatchEvents.toLocaleString('en-US')} later than the window (placed at its edge)` : ''}`],
    ...config,
    ['coverage', q.symbols.map((s) => `${s.symbol}: ${s.streams.map((x) => `${x.stream} ${x.events === 0 ? 'no events' : fmtPct(x.coveragePct)}`).join(', ')}`).join('; ')],
    [
      'book sync',
      q.symbols
        .map((s) => {
          // The feed can fall silent without breaking the book (it is then stale, not invalid): say how long.
          const stream = s.book.mode === 'depth' ? 'depth' : 'bookTicker';
          const silence = s.streams.find((x) => x.stream === stream)?.longestSilenceSeconds ?? null;
          return `${s.symbol}: valid ${fmtPct(s.book.validPct)} of the run; out of sync ${fmtDuration(s.book.outOfSyncSeconds)} (${fmtPct(s.book.outOfSyncPct)}; initial sync ${fmtDuration(s.book.initialSyncSeconds)}); ${s.book.gaps} gaps, ${s.book.resyncs} resyncs, ${s.book.crossed} crossed${silence === null ? '' : `; longest ${stream} silence ${fmtDuration(silence)}`}`;
        })
        .join('; '),
    ],
    [
      'first quote',
      q.symbols
        .map((s) => {
          const x = s.quoting;
          const why = x.reasons.map((r) => `${r.reason} ${fmtDuration(r.seconds)}`).join(', ');
          return `${s.symbol}: ${x.secondsToFirstQuote === null ? 'never' : `after ${fmtDuration(x.secondsToFirstQuote)}`}${why === '' ? '' : ` (before: ${why})`}`;
        })
        .join('; '),
    ],
    ...(q.store === undefined ? [] : [['store files', storeLine(q.store)] as [string, string]]),
    ['data warnings', q.warnings.length === 0 ? 'none' : `${q.warnings.length} (on stderr)`],
    ['orders sent', `${st.commandsSent.toLocaleString('en-US')} commands, ${m.trading.ordersPlaced.toLocaleString('en-US')} orders placed`],
    ['fills', `${m.trading.fills.toLocaleString('en-US')} (maker share ${fmt(m.trading.makerShareNotionalPct, 1)} % of notional, fill ratio ${fmt(m.trading.fillRatioNotional, 3)})`],
    ['capital', `${money(m.pnl.initialCapital)} → final equity ${money(m.pnl.finalEquity)}`],
    ['PnL total', `${money(m.pnl.total)} (return ${fmt(m.pnl.returnPct, 4)} %)`],
    ['  spread capture', money(m.pnl.spreadCapture)],
    ['  inventory', money(m.pnl.inventory)],
    ['  fees', money(m.pnl.fees)],
    ['  funding', money(m.pnl.funding)],
    ['Sharpe / Sortino', ratios],
    ['max drawdown', `${fmt(m.drawdown.maxAbs)} ${unit} (${fmt(m.drawdown.maxPct, 3)} %, ${fmt(m.drawdown.maxDurationSeconds, 0)} s under water)`],
    ['rejects', formatRejects(m.rejectsByReason)],
    ['risk trips', `halt ${m.risk.haltTrips}, reduce ${m.risk.reduceTrips}`],
    ...o.notes.map((n, i): [string, string] => [i === 0 ? 'notes' : '', n]),
    ['event log hash', info.determinismHash],
    ['output', dir],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const lines: string[] = [];
  for (const [k, v] of rows) wrap(v, VALUE_WIDTH).forEach((part, i) => lines.push(`${(i === 0 ? k : '').padEnd(w)}  ${part}`));
  return `${lines.join('\n')}\n`;
}
