/**
 * The run catalogue of `maker ui`: what lies under a reports directory, read from the files that
 * exist and never trusted further than they go.
 *
 * A directory holding `summary.json` is a run (its summary parsed and checked field by field: a
 * missing or mistyped field is a listed problem, never an exception). A directory holding
 * `results.parquet` and `leaderboard.html` is a sweep (its `runs/` are scanned too). A directory
 * holding run files but no summary is a partial run, and a staging directory
 * (`.<run-id>.partial-<pid>`, see backtest/report/output.ts) a run in progress or interrupted.
 * Directories with nothing of a run (e.g. `screenshots/`) are walked through, not listed.
 * Symbolic links are not followed (listed as such): everything served lies inside the reports
 * directory.
 *
 * Order: entries sorted by their path (code-unit order), so the same tree gives the same list.
 * Bounds: at most `MAX_DEPTH` levels and `MAX_ENTRIES` directories are looked at; a summary over
 * `MAX_SUMMARY_BYTES` is not parsed. Summaries are cached by (size, mtime).
 */
import { lstatSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { MODEL_SUMMARY_SCHEMA } from '../backtest/index.ts';

export const BACKTEST_SUMMARY_SCHEMA = 'maker.backtest.summary/1';
export const MAX_DEPTH = 5;
export const MAX_ENTRIES = 20_000;
export const MAX_SUMMARY_BYTES = 32 * 1024 * 1024;
/** Files whose presence makes a directory run-like (what a backtest or model run writes). */
const RUN_LIKE = new Set(['summary.json', 'report.html', 'timeseries.parquet', 'fills.parquet', 'orders.parquet', 'paths.csv', 'events.log']);
const STAGING = /^\.(.+)\.partial-(\d+)$/;

export type RunStatus = 'ok' | 'partial' | 'broken' | 'in-progress' | 'link';
export type RunKind = 'backtest' | 'model' | 'sweep' | 'live' | null;

/** A number that may be absent. */
type Num = number | null;

export interface RunMetrics {
  asset: string | null;
  pnlTotal: string | null;
  returnPct: Num;
  sharpe: Num;
  sortino: Num;
  maxDrawdownPct: Num;
  maxDrawdownAbs: Num;
  fills: Num;
  ordersPlaced: Num;
  filledNotional: Num;
  fillRatio: Num;
  orderToTrade: Num;
  quoteUptimePct: Num;
  makerSharePct: Num;
  /** The markout at the first horizon over 0 s (else the 0 s one), bps. */
  markoutBps: Num;
  markoutHorizonS: Num;
  haltTrips: Num;
  reduceTrips: Num;
  pnlSpreadCapture: string | null;
  pnlInventory: string | null;
  pnlFees: string | null;
  pnlFunding: string | null;
  /** Model runs: mean profit over paths (price units) and its standard error. */
  modelProfitMean: Num;
  modelProfitStdErr: Num;
  modelPaths: Num;
}

export interface RunQuality {
  /** Data-quality warning codes (summary.dataQuality.warnings), in the summary's order. */
  warnings: string[];
  gaps: number;
  resyncs: number;
  /** Lowest stream coverage of a stream that had events, %. */
  minCoveragePct: Num;
  /** Highest book out-of-sync share over the symbols, %. */
  maxOutOfSyncPct: Num;
}

export interface RunEntry {
  /** Path below the reports directory, '/'-separated: the key in URLs. */
  key: string;
  status: RunStatus;
  kind: RunKind;
  /** Why the entry is not `ok` (and smaller findings), one sentence each. */
  problems: string[];
  runId: string | null;
  scenario: string | null;
  scenarioSource: string | null;
  seed: Num;
  symbols: string[];
  period: { fromUs: number; toUs: number; seconds: number } | null;
  codeVersion: string | null;
  eventLogHash: string | null;
  files: string[];
  hasReport: boolean;
  hasTimeseries: boolean;
  metrics: RunMetrics | null;
  quality: RunQuality | null;
  notes: string[];
}

interface Cached {
  size: number;
  mtimeMs: number;
  entry: Omit<RunEntry, 'key' | 'files' | 'hasReport' | 'hasTimeseries'>;
  /** The parsed summary (for the comparison's scenario diff). */
  summary: Record<string, unknown> | null;
}

/** Reads a reports directory; keep one per directory so summaries are parsed once. */
export class RunCatalogue {
  readonly root: string;
  private readonly cache = new Map<string, Cached>();
  private lastScan: RunEntry[] = [];

  constructor(root: string) {
    this.root = root;
  }

  /** Scans the tree again (cheap: unchanged summaries come from the cache). */
  scan(): { entries: RunEntry[]; truncated: boolean } {
    const out: RunEntry[] = [];
    let seen = 0;
    let truncated = false;
    const walk = (dir: string, key: string, depth: number): void => {
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch (e) {
        if (key !== '') out.push(bare(key, 'broken', [`the directory cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]));
        else throw e;
        return;
      }
      const stats = new Map<string, Stats>();
      for (const n of names) {
        try {
          stats.set(n, lstatSync(join(dir, n)));
        } catch {
          // vanished between readdir and lstat: skip
        }
      }
      const files = names.filter((n) => stats.get(n)?.isFile());
      if (key !== '') {
        const entry = this.classify(dir, key, files, stats);
        if (entry !== null) {
          out.push(entry);
          if (entry.kind !== 'sweep') return;
        }
      }
      if (depth >= MAX_DEPTH) return;
      for (const n of names) {
        const st = stats.get(n);
        if (st === undefined) continue;
        const childKey = key === '' ? n : `${key}/${n}`;
        if (st.isSymbolicLink()) {
          out.push(bare(childKey, 'link', ['a symbolic link: not followed (the server serves only what lies inside the reports directory)']));
          continue;
        }
        if (!st.isDirectory()) continue;
        if (++seen > MAX_ENTRIES) {
          truncated = true;
          return;
        }
        const staging = STAGING.exec(n);
        if (staging !== null) {
          out.push(bare(childKey, 'in-progress', [`the staging directory of run ${staging[1]} (process ${staging[2]}): a run still writing, or one that was interrupted`]));
          continue;
        }
        if (n.startsWith('.')) continue;
        walk(join(dir, n), childKey, depth + 1);
      }
    };
    walk(this.root, '', 0);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.lastScan = out;
    return { entries: out, truncated };
  }

  /** The entry of `key` from the last scan (scanning when there was none). */
  find(key: string): RunEntry | undefined {
    if (this.lastScan.length === 0) this.scan();
    return this.lastScan.find((e) => e.key === key);
  }

  /** The parsed summary of a run entry (from the cache), or null. */
  summaryOf(key: string): Record<string, unknown> | null {
    return this.cache.get(key)?.summary ?? null;
  }

  private classify(dir: string, key: string, files: string[], stats: Map<string, Stats>): RunEntry | null {
    const has = (f: string): boolean => files.includes(f);
    if (has('results.parquet') && has('leaderboard.html') && !has('summary.json')) {
      return { ...bare(key, 'ok', []), kind: 'sweep', files: files.filter((f) => f === 'results.parquet' || f === 'leaderboard.html' || f === 'sweep.json'), hasReport: true };
    }
    if (!has('summary.json')) {
      const runFiles = files.filter((f) => RUN_LIKE.has(f));
      if (runFiles.length === 0) return null;
      return { ...bare(key, 'partial', [`no summary.json (found ${runFiles.join(', ')}): the run did not finish writing, or the directory was copied in part`]), files: runFiles, hasReport: has('report.html'), hasTimeseries: has('timeseries.parquet') };
    }
    const st = stats.get('summary.json')!;
    let c = this.cache.get(key);
    if (c === undefined || c.size !== st.size || c.mtimeMs !== st.mtimeMs) {
      c = { size: st.size, mtimeMs: st.mtimeMs, ...readSummary(join(dir, 'summary.json'), st.size) };
      this.cache.set(key, c);
    }
    const entry: RunEntry = { ...c.entry, key, problems: [...c.entry.problems], files: files.filter((f) => RUN_LIKE.has(f)), hasReport: has('report.html'), hasTimeseries: has('timeseries.parquet') };
    if (entry.status === 'ok' || entry.status === 'partial') {
      const listed = c.summary !== null && Array.isArray(c.summary.files) ? (c.summary.files as unknown[]).filter((f): f is string => typeof f === 'string') : [];
      const missing = listed.filter((f) => !has(f));
      if (missing.length > 0) {
        entry.status = 'partial';
        entry.problems.push(`files the summary lists are missing: ${missing.join(', ')}`);
      }
    }
    return entry;
  }
}

function bare(key: string, status: RunStatus, problems: string[]): RunEntry {
  return { key, status, kind: null, problems, runId: null, scenario: null, scenarioSource: null, seed: null, symbols: [], period: null, codeVersion: null, eventLogHash: null, files: [], hasReport: false, hasTimeseries: false, metrics: null, quality: null, notes: [] };
}

/** A reader of one JSON object that records what is missing or mistyped instead of throwing. */
class Fields {
  readonly problems: string[] = [];
  constructor(private readonly root: Record<string, unknown>) {}
  private at(path: string): unknown {
    let v: unknown = this.root;
    for (const k of path.split('.')) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  }
  num(path: string, required = false): Num {
    const v = this.at(path);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (v === null && !required) return null;
    if (v !== undefined || required) this.problems.push(`summary.json: ${path} ${v === undefined ? 'is missing' : `is not a number (${JSON.stringify(v)?.slice(0, 40)})`}`);
    return null;
  }
  str(path: string, required = false): string | null {
    const v = this.at(path);
    if (typeof v === 'string') return v;
    if (v === null && !required) return null;
    if (v !== undefined || required) this.problems.push(`summary.json: ${path} ${v === undefined ? 'is missing' : 'is not a string'}`);
    return null;
  }
  /** An exact decimal written as a string (money), checked for its shape. */
  dec(path: string, required = false): string | null {
    const s = this.str(path, required);
    if (s === null) return null;
    if (!/^-?\d+(\.\d+)?$/.test(s)) {
      this.problems.push(`summary.json: ${path} is not a decimal (${JSON.stringify(s.slice(0, 40))})`);
      return null;
    }
    return s;
  }
  list(path: string): unknown[] {
    const v = this.at(path);
    if (Array.isArray(v)) return v;
    if (v !== undefined) this.problems.push(`summary.json: ${path} is not a list`);
    return [];
  }
  obj(path: string): Record<string, unknown> | null {
    const v = this.at(path);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  }
}

function readSummary(file: string, size: number): Omit<Cached, 'size' | 'mtimeMs'> {
  const broken = (why: string): Omit<Cached, 'size' | 'mtimeMs'> => ({ entry: { ...bare('', 'broken', [why]) }, summary: null });
  if (size > MAX_SUMMARY_BYTES) return broken(`summary.json is ${size} bytes, over the ${MAX_SUMMARY_BYTES} this server reads`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return broken(`summary.json cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return broken(`summary.json is not valid JSON: ${(e as Error).message}${text.length === 0 ? ' (the file is empty)' : ''}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return broken('summary.json is not a JSON object');
  const s = json as Record<string, unknown>;
  if (s.schema === undefined && isLiveSummary(s)) return { entry: liveEntry(s), summary: s };
  if (s.schema !== BACKTEST_SUMMARY_SCHEMA && s.schema !== MODEL_SUMMARY_SCHEMA) {
    return broken(`summary.json: schema ${JSON.stringify(s.schema) ?? 'missing'} is not a maker backtest summary (${BACKTEST_SUMMARY_SCHEMA} or ${MODEL_SUMMARY_SCHEMA})`);
  }
  const f = new Fields(s);
  const model = s.schema === MODEL_SUMMARY_SCHEMA;
  const entry = bare('', 'ok', []);
  entry.kind = model ? 'model' : 'backtest';
  entry.runId = f.str('runId', true);
  entry.scenario = f.str('scenarioName', true);
  entry.scenarioSource = f.str('scenarioSource');
  entry.seed = f.num('seed', true);
  entry.codeVersion = f.str('codeVersion');
  entry.eventLogHash = model ? null : f.str('determinism.eventLogHash');
  entry.notes = f.list('notes').filter((n): n is string => typeof n === 'string');
  if (model) {
    const sym = f.str('model.world.symbol');
    entry.symbols = sym === null ? [] : [sym];
    entry.metrics = { ...emptyMetrics(), modelProfitMean: f.num('model.profit.mean'), modelProfitStdErr: f.num('model.profit.stdErr'), modelPaths: f.num('model.paths'), fills: f.num('model.fills.mean') };
  } else {
    entry.symbols = f.list('instruments').map((i) => (i !== null && typeof i === 'object' ? (i as Record<string, unknown>).symbol : undefined)).filter((x): x is string => typeof x === 'string');
    const from = f.num('metrics.period.startUs', true);
    const to = f.num('metrics.period.endUs', true);
    if (from !== null && to !== null) entry.period = { fromUs: from, toUs: to, seconds: (to - from) / 1e6 };
    const marks = f.list('metrics.markoutsBps').filter((m): m is Record<string, unknown> => m !== null && typeof m === 'object');
    const mark = marks.find((m) => typeof m.horizonSeconds === 'number' && m.horizonSeconds > 0) ?? marks[0];
    entry.metrics = {
      ...emptyMetrics(),
      asset: f.str('metrics.pnl.asset'),
      pnlTotal: f.dec('metrics.pnl.total', true),
      pnlSpreadCapture: f.dec('metrics.pnl.spreadCapture'),
      pnlInventory: f.dec('metrics.pnl.inventory'),
      pnlFees: f.dec('metrics.pnl.fees'),
      pnlFunding: f.dec('metrics.pnl.funding'),
      returnPct: f.num('metrics.pnl.returnPct'),
      sharpe: f.num('metrics.ratios.sharpe'),
      sortino: f.num('metrics.ratios.sortino'),
      maxDrawdownPct: f.num('metrics.drawdown.maxPct'),
      maxDrawdownAbs: f.num('metrics.drawdown.maxAbs'),
      fills: f.num('metrics.trading.fills'),
      ordersPlaced: f.num('metrics.trading.ordersPlaced'),
      filledNotional: f.num('metrics.trading.filledNotional'),
      fillRatio: f.num('metrics.trading.fillRatioNotional'),
      orderToTrade: f.num('metrics.trading.orderToTradeRatio'),
      quoteUptimePct: f.num('metrics.trading.quoteUptimePct'),
      makerSharePct: f.num('metrics.trading.makerShareNotionalPct'),
      markoutBps: mark !== undefined && typeof mark.bps === 'number' ? mark.bps : null,
      markoutHorizonS: mark !== undefined && typeof mark.horizonSeconds === 'number' ? mark.horizonSeconds : null,
      haltTrips: f.num('metrics.risk.haltTrips'),
      reduceTrips: f.num('metrics.risk.reduceTrips'),
    };
    entry.quality = quality(f);
  }
  if (f.problems.length > 0) {
    entry.status = 'partial';
    entry.problems.push(...f.problems.slice(0, 10));
    if (f.problems.length > 10) entry.problems.push(`… and ${f.problems.length - 10} more problems in summary.json`);
  }
  return { entry, summary: s };
}

/** `maker live` writes its run directories under the same reports/ (docs/LIVE.md): a summary without a schema, with these keys. */
function isLiveSummary(s: Record<string, unknown>): boolean {
  return typeof s.runId === 'string' && typeof s.startedUs === 'number' && 'exitCode' in s && 'journal' in s && 'shutdown' in s;
}

/**
 * A live session in the list: its id, the scenario name its id carries, the period on the wall clock,
 * the symbols it held positions in, and how it ended (exit status, shutdown confirmed or not) as a
 * note. Its page is the session's own report.html (live vs simulated); it is not comparable with
 * backtests (no metrics block in its summary).
 */
function liveEntry(s: Record<string, unknown>): RunEntry {
  const f = new Fields(s);
  const entry = bare('', 'ok', []);
  entry.kind = 'live';
  entry.runId = f.str('runId', true);
  entry.scenario = entry.runId === null ? null : (/-live-(.+)$/.exec(entry.runId)?.[1] ?? null);
  const from = f.num('startedUs', true);
  const to = f.num('endedUs');
  if (from !== null && to !== null) entry.period = { fromUs: from, toUs: to, seconds: (to - from) / 1e6 };
  entry.symbols = Object.keys(f.obj('positions') ?? {}).sort();
  const exit = f.num('exitCode');
  const confirmed = f.obj('shutdown')?.confirmed;
  const fatal = typeof s.fatal === 'string' ? s.fatal : null;
  entry.notes = [
    `live session (${s.paper === true ? 'paper' : `venue ${typeof s.venue === 'string' ? s.venue : '?'}`}), exit ${exit ?? '?'}, shutdown ${confirmed === true ? 'confirmed' : 'NOT confirmed'}`,
    ...(fatal !== null ? [`fatal: ${fatal}`] : []),
  ];
  if (to === null) entry.problems.push('summary.json: endedUs is missing (the session did not end cleanly)');
  if (exit !== 0 || confirmed !== true) entry.status = 'partial';
  if (exit !== 0) entry.problems.push(`the session exited ${exit ?? '(unknown)'}${fatal !== null ? `: ${fatal}` : ''}`);
  if (confirmed !== true) entry.problems.push('its shutdown was not confirmed: orders may have been left on the venue');
  entry.problems.push(...f.problems);
  if (f.problems.length > 0) entry.status = 'partial';
  return entry;
}

function quality(f: Fields): RunQuality {
  const warnings = f
    .list('dataQuality.warnings')
    .map((w) => (w !== null && typeof w === 'object' ? (w as Record<string, unknown>).code : undefined))
    .filter((c): c is string => typeof c === 'string');
  let gaps = 0;
  let resyncs = 0;
  let minCov: Num = null;
  let maxOos: Num = null;
  for (const sym of f.list('dataQuality.symbols')) {
    if (sym === null || typeof sym !== 'object') continue;
    const s = sym as Record<string, unknown>;
    const book = (s.book ?? {}) as Record<string, unknown>;
    if (typeof book.gaps === 'number') gaps += book.gaps;
    if (typeof book.resyncs === 'number') resyncs += book.resyncs;
    if (typeof book.outOfSyncPct === 'number') maxOos = Math.max(maxOos ?? 0, book.outOfSyncPct);
    for (const st of Array.isArray(s.streams) ? (s.streams as Record<string, unknown>[]) : []) {
      if (st === null || typeof st !== 'object' || typeof st.coveragePct !== 'number' || !(typeof st.events === 'number' && st.events > 0)) continue;
      minCov = minCov === null ? st.coveragePct : Math.min(minCov, st.coveragePct);
    }
  }
  return { warnings, gaps, resyncs, minCoveragePct: minCov, maxOutOfSyncPct: maxOos };
}

function emptyMetrics(): RunMetrics {
  return {
    asset: null,
    pnlTotal: null,
    returnPct: null,
    sharpe: null,
    sortino: null,
    maxDrawdownPct: null,
    maxDrawdownAbs: null,
    fills: null,
    ordersPlaced: null,
    filledNotional: null,
    fillRatio: null,
    orderToTrade: null,
    quoteUptimePct: null,
    makerSharePct: null,
    markoutBps: null,
    markoutHorizonS: null,
    haltTrips: null,
    reduceTrips: null,
    pnlSpreadCapture: null,
    pnlInventory: null,
    pnlFees: null,
    pnlFunding: null,
    modelProfitMean: null,
    modelProfitStdErr: null,
    modelPaths: null,
  };
}
