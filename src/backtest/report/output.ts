/**
 * The run directory: summary.json, report.html, fills.parquet, orders.parquet, timeseries.parquet
 * (and events.log when asked).
 *
 * Nothing it did not create is ever removed. `writeRunOutputs(dir)` writes the run directory `dir`
 * (the CLI passes `<--out>/<run-id>`, `reports/<run-id>` by default), creating its parent if
 * missing. An existing `dir` is replaced only when it is empty or recognisably an earlier copy of
 * the same run: a real directory (not a symbolic link) holding only regular files a run writes
 * (RUN_FILES, events.log), all of RUN_FILES among them, and a summary.json of this run id
 * (`replaceableRunDir`). Anything else at that path is refused with a RunOutputError (E_IO, exit 2)
 * naming the path and what is there, before a byte is written.
 *
 * Atomicity: everything is written into a staging directory next to the final one
 * (`.<name>.partial-<pid>` in the same parent, hence the same file system) and renamed into place
 * at the very end; an earlier copy of the run is moved aside just before (and moved back if the
 * rename fails), then its files are removed by name. A failure at any point removes the staging
 * directory and the parent directories this call created (when still empty), so no half-written
 * run ever looks complete and nothing is left behind; the error names the file being written and
 * the real cause (`ioError`: ENOSPC, EROFS, EACCES, ...). The recorder may stream fills/orders into
 * the staging directory during the run (`stagingDirFor` + `RunRecorderOptions.spillDir`).
 *
 * Determinism: no file holds a generation time; every byte follows from the run.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ioError, MakerError } from '../../core/errors.ts';
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

/** Files a run may write besides RUN_FILES (`extraFiles` of the CLI). */
export const RUN_OPTIONAL_FILES = ['events.log'] as const;

const REFUSE_HINT = 'maker replaces a run directory only when it is empty or holds an earlier copy of the same run: move it away, or write the run elsewhere (--out)';

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw ioError(e, `look at ${p}`, { file: p });
  }
}

/**
 * Why the existing directory `dir` may not be replaced by a run `runId`, or null when it may: it is
 * an empty directory, or a real directory holding only regular files a run writes (`allowed`), all
 * of RUN_FILES among them, and its summary.json is a maker summary of `runId`.
 */
export function replaceableRunDir(dir: string, runId: string, allowed: ReadonlySet<string> = new Set([...RUN_FILES, ...RUN_OPTIONAL_FILES]), required: readonly string[] = RUN_FILES): string | null {
  const st = lstatOrNull(dir);
  if (st === null) return null;
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isDirectory()) return 'the output path exists and is not a directory';
  const names = readdirSync(dir).sort();
  const foreign = names.filter((n) => !allowed.has(n) || !lstatSync(join(dir, n)).isFile());
  if (foreign.length > 0) return `it holds ${foreign.slice(0, 3).map((n) => `"${n}"`).join(', ')}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ''}, which a run does not write`;
  if (names.length === 0) return null; // nothing to lose
  const missing = required.filter((n) => !names.includes(n));
  if (missing.length > 0) return `it is not a complete run directory (no ${missing.join(', ')})`;
  let summary: { schema?: unknown; runId?: unknown };
  try {
    summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as typeof summary;
  } catch {
    return 'its summary.json is not a maker run summary';
  }
  if (typeof summary?.schema !== 'string' || !summary.schema.startsWith('maker.backtest.summary/')) return 'its summary.json is not a maker run summary';
  if (summary.runId !== runId) return `it holds the run "${String(summary.runId)}", not "${runId}"`;
  return null;
}

/**
 * Throws a RunOutputError (exit 2) unless `dir` can become a run directory: its nearest existing
 * ancestor is a directory, and when `dir` exists it is a directory, and (given `runId`) one that
 * `replaceableRunDir` accepts. Cheap and read-only.
 */
export function assertRunDirUsable(dir: string, runId?: string, allowed?: ReadonlySet<string>, required?: readonly string[]): void {
  const st = lstatOrNull(dir);
  if (st !== null) {
    if (!st.isDirectory() && !st.isSymbolicLink()) throw new RunOutputError('the output path exists and is not a directory; refusing to replace it', dir);
    if (runId !== undefined) {
      const why = replaceableRunDir(dir, runId, allowed, required);
      if (why !== null) throw new RunOutputError(`the run directory exists and ${why}; refusing to replace it (${REFUSE_HINT})`, dir);
    } else if (st.isSymbolicLink() && !statSync(dir).isDirectory()) {
      throw new RunOutputError('the output path exists and is not a directory; refusing to replace it', dir);
    }
    return;
  }
  let parent = dirname(resolve(dir));
  let pst = lstatOrNull(parent);
  while (pst === null && dirname(parent) !== parent) {
    parent = dirname(parent);
    pst = lstatOrNull(parent);
  }
  if (pst !== null && !statSync(parent).isDirectory()) throw new RunOutputError(`cannot create the run directory: "${parent}" is not a directory (ENOTDIR)`, dir);
}

const stagingPath = (dir: string): string => join(dirname(dir), `.${basename(dir)}.partial-${process.pid}`);

/** Parent directories created by `stagingDirFor`, per staging directory: removed with it when empty. */
const createdParents = new Map<string, string>();

/** The staging directory `writeRunOutputs(dir)` will use (created if missing, with `dir`'s parent). */
export function stagingDirFor(dir: string): string {
  assertRunDirUsable(dir);
  const staging = stagingPath(dir);
  try {
    const created = mkdirSync(dirname(dir), { recursive: true });
    if (created !== undefined && !createdParents.has(staging)) createdParents.set(staging, created);
    // Not recursive: a failure reports its own cause (a recursive mkdir may say ENOENT for EROFS).
    if (lstatOrNull(staging) === null) mkdirSync(staging);
  } catch (e) {
    discardRunStaging(dir);
    throw ioError(e, 'create the run directory', { file: dir });
  }
  return staging;
}

/**
 * Removes the staging directory of `dir` (after a failed run that spilled into it), and the parent
 * directories `stagingDirFor` created for it when they are empty.
 */
export function discardRunStaging(dir: string): void {
  const staging = stagingPath(dir);
  rmSync(staging, { recursive: true, force: true });
  const top = createdParents.get(staging);
  createdParents.delete(staging);
  if (top === undefined) return;
  for (let p = resolve(dirname(dir)); ; p = dirname(p)) {
    try {
      rmdirSync(p); // only ever removes an empty directory
    } catch {
      return;
    }
    if (p === resolve(top) || dirname(p) === p) return;
  }
}

/**
 * Cleans up after run writers of this process that were stopped mid-write in `parent` (a sweep's
 * worker threads terminated on SIGINT: they share this pid, and no `finally` of theirs ran):
 * removes each `.<name>.partial-<pid>` staging directory, and puts an earlier copy moved aside as
 * `.<name>.old-<pid>` back when `<name>` is missing (the thread died between the two renames of
 * `publishRunDir`), or removes its run files when the new copy is in place. Returns the names
 * removed or restored. Call only once no writer of this process is running there.
 */
export function discardStagingLeftIn(parent: string): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const done: string[] = [];
  const suffix = new RegExp(`^\\.(.+)\\.(partial|old)-${process.pid}$`);
  for (const name of names.sort()) {
    const m = suffix.exec(name);
    if (m === null) continue;
    const path = join(parent, name);
    if (m[2] === 'partial') rmSync(path, { recursive: true, force: true });
    else if (lstatOrNull(join(parent, m[1])) === null) renameSync(path, join(parent, m[1]));
    else {
      const runFiles = new Set<string>([...RUN_FILES, ...RUN_OPTIONAL_FILES]);
      for (const f of readdirSync(path)) if (runFiles.has(f) && lstatSync(join(path, f)).isFile()) unlinkSync(join(path, f));
      try {
        rmdirSync(path); // only when nothing but run files was there
      } catch {
        continue;
      }
    }
    done.push(name);
  }
  return done;
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
  /**
   * Leave the finished run in its staging directory; the caller moves it into place with
   * `publishStagedRun` (a sweep's worker thread: the sweep publishes it and journals the run in one
   * step, so a stop between the two cannot leave a run directory the journal does not hold).
   */
  stageOnly?: boolean;
}

/**
 * Writes every output of a finished run into `dir`, atomically and without removing anything it did
 * not write (see the header). Returns the summary object that was written.
 */
export function writeRunOutputs(dir: string, rec: RunRecorder, o: WriteRunOptions): Record<string, unknown> {
  const allowed = new Set<string>([...RUN_FILES, ...RUN_OPTIONAL_FILES, ...Object.keys(o.extraFiles ?? {})]);
  assertRunDirUsable(dir, o.info.runId, allowed);
  const staging = stagingDirFor(dir);
  let doing = 'write the run directory';
  let file = dir;
  try {
    if (rec.endUs === null) throw new RunOutputError('the recorder is not finished', dir);
    const write = (name: string, data: string | Uint8Array): void => {
      doing = `write ${name}`;
      file = join(dir, name);
      writeFileSync(join(staging, name), data);
      o.afterFile?.(name, staging);
    };
    for (const [name, table] of [['fills.parquet', rec.fills], ['orders.parquet', rec.orders]] as const) {
      if (rec.spillDir === null) write(name, table.bytes());
      else {
        doing = `write ${name}`;
        file = join(dir, name);
        if (rec.spillDir !== staging) renameSync(join(rec.spillDir, name), join(staging, name));
        o.afterFile?.(name, staging);
      }
    }
    write('timeseries.parquet', timeseriesParquet(rec));
    for (const name of Object.keys(o.extraFiles ?? {}).sort()) write(name, o.extraFiles![name]);
    write('report.html', renderReportHtml(o.info, o.metrics, rec, o));
    const summary = buildSummary(rec, o);
    write('summary.json', summaryJson(summary));
    doing = 'move the run directory into place';
    file = dir;
    fsyncDir(staging);
    if (o.stageOnly === true) return summary;
    publishRunDir(staging, dir, o.info.runId, allowed);
    return summary;
  } catch (e) {
    discardRunStaging(dir);
    throw ioError(e, doing, { file }, 'the run directory was not written, and nothing of it is left behind');
  }
}

/**
 * Moves a run that `writeRunOutputs(dir, …, { stageOnly: true })` left in its staging directory
 * (by a thread of this process: the staging name carries the pid) into place, with the same rules
 * as `writeRunOutputs`. On failure the staging directory is removed and the error names the cause.
 */
export function publishStagedRun(dir: string, runId: string): void {
  const allowed = new Set<string>([...RUN_FILES, ...RUN_OPTIONAL_FILES]);
  const staging = stagingPath(dir);
  try {
    publishRunDir(staging, dir, runId, allowed);
  } catch (e) {
    discardRunStaging(dir);
    throw ioError(e, 'move the run directory into place', { file: dir }, 'the run directory was not written, and nothing of it is left behind');
  }
}

/** The files of a model-market run directory (src/backtest/model.ts). */
export const MODEL_RUN_FILES = ['paths.csv', 'summary.json'] as const;

/**
 * Writes a model-market run directory (MODEL_RUN_FILES, `files` name → content) with the same
 * rules as `writeRunOutputs`: atomic, and an existing `dir` replaced only when empty or an earlier
 * copy of the same run.
 */
export function writeModelRunOutputs(dir: string, runId: string, files: Readonly<Record<(typeof MODEL_RUN_FILES)[number], string>>): void {
  const allowed = new Set<string>(MODEL_RUN_FILES);
  assertRunDirUsable(dir, runId, allowed, MODEL_RUN_FILES);
  const staging = stagingDirFor(dir);
  let doing = 'write the run directory';
  let file = dir;
  try {
    for (const name of MODEL_RUN_FILES) {
      doing = `write ${name}`;
      file = join(dir, name);
      writeFileSync(join(staging, name), files[name]);
    }
    doing = 'move the run directory into place';
    file = dir;
    fsyncDir(staging);
    publishRunDir(staging, dir, runId, allowed, MODEL_RUN_FILES);
  } catch (e) {
    discardRunStaging(dir);
    throw ioError(e, doing, { file }, 'the run directory was not written, and nothing of it is left behind');
  }
}

/**
 * Moves the staging directory into place as `dir` (`renameIntoPlace`), forgets the parents created
 * for it (they now hold the run) and makes the rename durable (fsync of the parent).
 */
function publishRunDir(staging: string, dir: string, runId: string, allowed: ReadonlySet<string>, required: readonly string[] = RUN_FILES): void {
  renameIntoPlace(staging, dir, runId, allowed, required);
  createdParents.delete(staging);
  fsyncDir(dirname(dir));
}

/**
 * Renames `staging` to `dir`. An existing `dir` (checked again here: still an earlier copy of this
 * run) is moved aside first, put back if the rename fails, and its files removed by name after.
 */
function renameIntoPlace(staging: string, dir: string, runId: string, allowed: ReadonlySet<string>, required: readonly string[]): void {
  if (lstatOrNull(dir) === null) {
    renameSync(staging, dir);
    return;
  }
  assertRunDirUsable(dir, runId, allowed, required);
  const old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}`);
  renameSync(dir, old);
  try {
    renameSync(staging, dir);
  } catch (e) {
    renameSync(old, dir);
    throw e;
  }
  // Only the files a run writes, then the (then empty) directory: should anything else have
  // appeared there meanwhile, it stays, in the hidden directory, rather than being lost.
  try {
    for (const name of readdirSync(old)) if (allowed.has(name) && lstatSync(join(old, name)).isFile()) unlinkSync(join(old, name));
    rmdirSync(old);
  } catch {
    // best effort: the new run is in place and nothing was lost
  }
}
