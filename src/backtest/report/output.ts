/**
 * The run directory: summary.json, report.html, fills.parquet, orders.parquet, timeseries.parquet.
 *
 * Atomicity: everything is written into a staging directory next to the final one
 * (`.<name>.partial-<pid>` in the same parent, hence the same file system) and renamed into place
 * at the very end; an existing run directory of that name is replaced only then. A failure at any
 * point removes the staging directory, so no half-written run ever looks complete. The recorder
 * may stream fills/orders into the staging directory during the run (`stagingDirFor` +
 * `RunRecorderOptions.spillDir`).
 *
 * Determinism: no file holds a generation time; every byte follows from the run.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MakerError } from '../../core/errors.ts';
import { fsyncDir } from '../../store/index.ts';
import { renderReportHtml, type RunInfo } from './html.ts';
import type { RunMetrics } from './metrics.ts';
import type { DataQuality } from './quality.ts';
import { ParquetTableStream, type OutColumn, type OutColumnData } from './parquet-out.ts';
import type { RunRecorder } from './recorder.ts';

export const RUN_FILES = ['fills.parquet', 'orders.parquet', 'report.html', 'summary.json', 'timeseries.parquet'] as const;

export const TIMESERIES_COLUMNS: readonly OutColumn[] = [
  { name: 'ts_us', type: 'INT64' },
  { name: 'symbol', type: 'STRING' },
  { name: 'equity', type: 'DOUBLE' },
  { name: 'wallet_balance', type: 'DOUBLE' },
  { name: 'unrealized_pnl', type: 'DOUBLE' },
  { name: 'pnl_spread_capture', type: 'DOUBLE' },
  { name: 'pnl_inventory', type: 'DOUBLE' },
  { name: 'fees_paid', type: 'DOUBLE' },
  { name: 'funding_received', type: 'DOUBLE' },
  { name: 'pnl_total', type: 'DOUBLE' },
  { name: 'position_lots', type: 'INT64' },
  { name: 'position_qty', type: 'DOUBLE' },
  { name: 'best_bid_price', type: 'DOUBLE', nullable: true },
  { name: 'best_ask_price', type: 'DOUBLE', nullable: true },
  { name: 'mid_price', type: 'DOUBLE', nullable: true },
  { name: 'bid_quote_price', type: 'DOUBLE', nullable: true },
  { name: 'ask_quote_price', type: 'DOUBLE', nullable: true },
];

/** Samples per time-series row group (× symbols rows). */
const TIMESERIES_GROUP_SAMPLES = 65_536;

export class RunOutputError extends MakerError {
  constructor(message: string, file: string, cause?: unknown) {
    super('E_IO', message, { location: { file }, exitCode: 2, cause });
  }
}

/**
 * Throws a RunOutputError (exit 2) unless `dir` can become a run directory: it must not exist as
 * anything but a directory (a file there is never replaced), and its parent must be creatable.
 * Cheap; the CLI calls it before a run so that a bad `--out` fails at once.
 */
export function assertRunDirUsable(dir: string): void {
  let parent = dirname(dir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new RunOutputError(`the output path exists and is not a directory; refusing to replace it`, dir);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  if (existsSync(parent) && !statSync(parent).isDirectory()) throw new RunOutputError(`cannot create the run directory: "${parent}" is not a directory`, dir);
}

/** The staging directory `writeRunOutputs(dir)` will use (created if missing). */
export function stagingDirFor(dir: string): string {
  assertRunDirUsable(dir);
  const staging = join(dirname(dir), `.${basename(dir)}.partial-${process.pid}`);
  try {
    mkdirSync(staging, { recursive: true });
  } catch (e) {
    throw new RunOutputError(`cannot create the run directory: ${(e as Error).message}`, dir, e);
  }
  return staging;
}

/** Removes the staging directory of `dir` (after a failed run that spilled into it). */
export function discardRunStaging(dir: string): void {
  rmSync(join(dirname(dir), `.${basename(dir)}.partial-${process.pid}`), { recursive: true, force: true });
}

export interface SummaryInputs {
  info: RunInfo;
  /** The resolved scenario (plain JSON data), as the run used it. */
  scenario: unknown;
  metrics: RunMetrics;
  /** Events fed to the EventLogHasher. */
  eventCount: number;
  /** Requested vs covered data, book out of sync, first quote, and the warnings (quality.ts). */
  dataQuality?: DataQuality;
  /** Plain statements a reader should not miss (e.g. fees above the edge per fill). */
  notes?: readonly string[];
}

/** The summary.json object: run identity, determinism hash, data quality, notes, metrics, resolved scenario. */
export function buildSummary(rec: RunRecorder, s: SummaryInputs): Record<string, unknown> {
  return {
    schema: 'maker.backtest.summary/1',
    runId: s.info.runId,
    scenarioName: s.info.scenarioName,
    scenarioSource: s.info.scenarioSource ?? null,
    seed: s.info.seed,
    codeVersion: s.info.codeVersion,
    dataFingerprint: s.info.dataFingerprint,
    dataKind: s.info.dataKind ?? null,
    determinism: { eventLogHash: s.info.determinismHash, events: s.eventCount, hashOf: 'SHA-256 of the canonical binary event log: commands, reports and funding in processing order (src/backtest/event-log.ts)' },
    instruments: rec.instruments.map((i) => ({ symbol: i.symbol, tickSize: i.spec.tickSize, stepSize: i.spec.stepSize, marginAsset: i.spec.marginAsset, source: i.spec.source })),
    files: [...RUN_FILES],
    dataQuality: s.dataQuality ?? null,
    notes: [...(s.notes ?? [])],
    metrics: s.metrics,
    scenario: s.scenario,
  };
}

/** summary.json bytes: 2-space JSON, NaN/Infinity as null, trailing newline. */
export function summaryJson(summary: Record<string, unknown>): string {
  return `${JSON.stringify(summary, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

/** timeseries.parquet: one row per (sample, symbol), symbols sorted; account columns repeat per symbol. */
export function timeseriesParquet(rec: RunRecorder): Uint8Array {
  const t = new ParquetTableStream(TIMESERIES_COLUMNS, { 'maker.table': 'timeseries', 'maker.time_unit': 'microseconds since the Unix epoch (UTC)', 'maker.sample_interval_us': String(rec.sampleIntervalUs), 'maker.money': 'floats in the margin asset, for charts; exact values in summary.json' });
  const n = rec.sampleTs.length;
  const syms = rec.symbols();
  const nul = (v: number, f: (x: number) => number): number | null => (Number.isFinite(v) ? f(v) : null);
  for (let from = 0; from < n; from += TIMESERIES_GROUP_SAMPLES) {
    const to = Math.min(n, from + TIMESERIES_GROUP_SAMPLES);
    const cols: Record<string, OutColumnData> = {};
    for (const c of TIMESERIES_COLUMNS) cols[c.name] = [] as never;
    const push = (name: string, v: number | string | null): void => void (cols[name] as (number | string | null)[]).push(v);
    for (let i = from; i < to; i++) {
      for (const r of syms) {
        const ins = r.instrument;
        const px = (x: number): number => ins.ticksToFloat(x);
        push('ts_us', rec.sampleTs.data[i]);
        push('symbol', ins.symbol);
        push('equity', rec.equity.data[i]);
        push('wallet_balance', rec.wallet.data[i]);
        push('unrealized_pnl', rec.unrealized.data[i]);
        push('pnl_spread_capture', rec.spreadCapture.data[i]);
        push('pnl_inventory', rec.inventory.data[i]);
        push('fees_paid', rec.fees.data[i]);
        push('funding_received', rec.funding.data[i]);
        push('pnl_total', rec.total.data[i]);
        push('position_lots', r.position.data[i]);
        push('position_qty', ins.lotsToFloat(r.position.data[i]));
        push('best_bid_price', nul(r.bestBid.data[i], px));
        push('best_ask_price', nul(r.bestAsk.data[i], px));
        push('mid_price', nul(r.mid.data[i], px));
        push('bid_quote_price', nul(r.bidQuote.data[i], px));
        push('ask_quote_price', nul(r.askQuote.data[i], px));
      }
    }
    t.appendRowGroup(cols, (to - from) * syms.length);
  }
  t.finish();
  return t.bytes();
}

export interface WriteRunOptions extends SummaryInputs {
  /** Extra files to place in the run directory (name → content), e.g. an event log. */
  extraFiles?: Record<string, string | Uint8Array>;
  /** Test hook: runs after each file is written into the staging directory. */
  afterFile?: (name: string, stagingDir: string) => void;
}

/**
 * Writes every output of a finished run into `dir`, atomically (see the header). Returns the
 * summary object that was written.
 */
export function writeRunOutputs(dir: string, rec: RunRecorder, o: WriteRunOptions): Record<string, unknown> {
  const staging = stagingDirFor(dir);
  try {
    if (rec.endUs === null) throw new RunOutputError('the recorder is not finished', dir);
    const write = (name: string, data: string | Uint8Array): void => {
      writeFileSync(join(staging, name), data);
      o.afterFile?.(name, staging);
    };
    for (const [name, table] of [['fills.parquet', rec.fills], ['orders.parquet', rec.orders]] as const) {
      if (rec.spillDir === null) write(name, table.stream.bytes());
      else {
        if (rec.spillDir !== staging) renameSync(join(rec.spillDir, name), join(staging, name));
        o.afterFile?.(name, staging);
      }
    }
    write('timeseries.parquet', timeseriesParquet(rec));
    for (const name of Object.keys(o.extraFiles ?? {}).sort()) write(name, o.extraFiles![name]);
    write('report.html', renderReportHtml(o.info, o.metrics, rec, o));
    const summary = buildSummary(rec, o);
    write('summary.json', summaryJson(summary));
    fsyncDir(staging);
    const old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}`);
    const replacing = existsSync(dir);
    if (replacing) renameSync(dir, old);
    renameSync(staging, dir);
    if (replacing) rmSync(old, { recursive: true, force: true });
    fsyncDir(dirname(dir));
    return summary;
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (e instanceof MakerError) throw e;
    throw new RunOutputError(`cannot write the run directory: ${(e as Error).message}`, dir, e);
  }
}
