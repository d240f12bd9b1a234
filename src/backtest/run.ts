/**
 * One backtest run from a resolved `Scenario`: instruments, data sources, the simulated exchange,
 * the trading core, the recorder and the engine, wired together. A run is a pure function of
 * (data, scenario, seed): the only randomness is `new Rng(scenario.seed)` and its labelled forks
 * (`exchange`, `latency`, `synthetic/<symbol>`), so a different seed changes only what draws from it.
 *
 * Data: `store` replays `data.symbols` of `data.venue` from the Parquet store over `data.range`
 * (receive time), merged in one clock; `synthetic` generates each symbol with the seeded generator.
 * Book mode: `depth` when the selected data has depth events, else `top-of-book` (a 1-level book
 * built from bookTickers by the exchange and the core); the result states which.
 *
 * Errors (all `MakerError`s, raised before any output is written): a missing store or symbol
 * (with `data.missingHint`), a symbol without an instrument spec, a time range with no data, a
 * corrupt store file (the reader's `StoreError` names it).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimClock } from '../core/clock.ts';
import { ConfigError, InputError, MakerError, MissingSpecError, StoreError } from '../core/errors.ts';
import { Rng } from '../core/random.ts';
import type { MarketEvent } from '../model/events.ts';
import { loadExchangeInfoFile } from '../adapter/binance/index.ts';
import { Instrument } from '../model/instrument.ts';
import type { Scenario } from '../scenario/index.ts';
import { TABLES, compareWithMeta, hashFiles, mergeSources, openStore, tableLacksMatchTime, type DecodeThreadMode, type EventBatches, type FileCheck, type PartitionMeta, type TableName } from '../store/index.ts';
import { DEFAULT_SYNTHETIC, syntheticInstrument, type SyntheticConfig } from '../synthetic/index.ts';
import type { SimVenue } from '../model/venue.ts';
import type { TraderPort } from '../trader/index.ts';
import { BacktestEngine, type EngineObserver, type EngineStats } from './engine.ts';
import { STREAM_TABLES, STREAM_TYPES, storeSource, syntheticSource } from './feed.ts';
import { ConstantLatency, FeedRelativeLatency, RandomLatency, RecordedLatency, type OrderLatencyModel } from './latency.ts';
import { EventLog } from './event-log.ts';
import { CoverageMeter, type SymbolCoverage } from './coverage.ts';
import { checkNotionalSize, guardMinNotional } from './min-notional.ts';
import { encodeThreadFromEnv, encodeWorkerBundle, useEncodeThread, type EncodeThreadMode } from './report/encode-thread.ts';
import { readFundingHistory, type FundingRecord } from '../importers/index.ts';

export type BookMode = 'depth' | 'top-of-book';

/** What the run's check of the store files found (store runs only). */
export interface DataIntegrity {
  /** Files read whose SHA-256 matched their partition's meta.json. */
  verified: number;
  /** Files of maker-store/2 partitions (no recorded hash): read unverified. */
  unverified: string[];
  /** Files that are not what meta.json says (only when `data.verify` is false; else the run stops). */
  damaged: FileCheck[];
}

export interface PreparedData {
  instruments: Instrument[];
  sources: EventBatches[];
  /**
   * sha256 over what identifies the data: the synthetic config, or the store partitions' metas and
   * the SHA-256 of every file read, as read (set by `runScenario` once the files are hashed).
   */
  fingerprint: string;
  /** Store runs: partitions read whose import kept going past damaged input. */
  inputDamage?: { symbol: string; date: string; count: number; first: { file: string; line: number; kind: string; message: string }[] }[];
  /** Store runs: partitions read whose tables have no recorded match time (written before maker-store/4). */
  noMatchTime?: { symbol: string; date: string; tables: TableName[] }[];
  /** Store runs: the files read, hashed in a worker while the run goes (see `runScenario`). */
  contentCheck?: Promise<{ checks: FileCheck[]; fingerprint: string }>;
  integrity?: DataIntegrity;
  bookMode: BookMode;
  /** Start of the run (range start, or the first receive time in the store), µs. */
  startUs: number;
  /** Rows the selection holds (store) or an estimate (synthetic), for the progress bar. */
  expectedEvents: number;
  /** Store tables replayed, or the synthetic streams kept. */
  streams: string[];
  /** Store runs: imported funding histories (the store's side table, `maker data import`) of the symbols that have one. */
  fundingHistory?: Record<string, FundingRecord[]>;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function missing(scenario: Scenario, what: string, file: string): StoreError {
  const hint = scenario.data.missingHint ? `; ${scenario.data.missingHint}` : '';
  return new StoreError(`${what}${hint}`, { file });
}

function specOverrides(scenario: Scenario): Map<string, Instrument> {
  const out = new Map<string, Instrument>();
  if (scenario.data.spec === null) return out;
  if (!existsSync(scenario.data.spec)) throw new ConfigError('the exchangeInfo file does not exist', { file: scenario.data.spec, field: 'data.spec' });
  for (const s of loadExchangeInfoFile(scenario.data.spec)) out.set(s.symbol.toUpperCase(), new Instrument(s));
  return out;
}

/**
 * Resolves instruments and opens the sources of a scenario's data (no events read yet).
 * `hashContent: false` skips hashing the store files (no `contentCheck`): for callers that want only
 * the fingerprint of what the store's partition metadata says (the distributed sweep's job ids).
 * `decodeThread`: where the store's row groups are decoded (src/store/decode-thread.ts).
 */
export async function prepareData(scenario: Scenario, batchRows = 65_536, opts: { hashContent?: boolean; decodeThread?: DecodeThreadMode } = {}): Promise<PreparedData> {
  const d = scenario.data;
  if (d.source === 'model') throw new ConfigError('data.source "model" runs in the model world (runModelScenario, src/backtest/model.ts), not through the event engine', { field: 'data.source' });
  const overrides = specOverrides(scenario);
  const wantedStreams = d.streams ?? Object.keys(STREAM_TABLES);
  if (d.source === 'synthetic') {
    const range = d.range!;
    const instruments = d.symbols.map((s) => overrides.get(s) ?? syntheticInstrument(s));
    const keep = new Set(wantedStreams.flatMap((s) => STREAM_TYPES[s]));
    const rng = new Rng(scenario.seed);
    const configs: SyntheticConfig[] = instruments.map((inst) => ({
      ...(d.syntheticConfig ?? DEFAULT_SYNTHETIC),
      symbol: inst.symbol,
      seed: rng.fork(`synthetic/${inst.symbol}`).seed,
      startUs: range.fromUs,
      durationS: (range.toUs - range.fromUs) / 1e6,
    }));
    const sources = configs.map((cfg, i) => syntheticSource(cfg, instruments[i], keep.size === 6 ? undefined : keep));
    const rate = configs.reduce((a, c) => a + c.depthDiffsPerS + c.takerOrdersPerS * 3 + c.touchUpdatesPerS, 0);
    const bookMode: BookMode = d.book === 'top-of-book' || (d.book === 'auto' && !keep.has('depth')) ? 'top-of-book' : 'depth';
    return { instruments, sources, fingerprint: sha256(JSON.stringify({ source: 'synthetic', configs, streams: wantedStreams })), bookMode, startUs: range.fromUs, expectedEvents: Math.round(rate * configs[0].durationS), streams: wantedStreams };
  }

  const root = d.store!;
  if (!existsSync(root)) throw missing(scenario, `the store directory ${root} does not exist`, root);
  const store = await openStore(root);
  const instruments: Instrument[] = [];
  const sources: EventBatches[] = [];
  const metas: unknown[] = [];
  const files: { meta: PartitionMeta; table: TableName; path: string }[] = [];
  const inputDamage: NonNullable<PreparedData['inputDamage']> = [];
  const noMatchTime: NonNullable<PreparedData['noMatchTime']> = [];
  let expected = 0;
  let hasDepth = false;
  let startUs = d.range?.fromUs ?? Infinity;
  const fundingHistory: Record<string, FundingRecord[]> = {};
  const tables = wantedStreams.map((s) => STREAM_TABLES[s]) as TableName[];
  for (const symbol of d.symbols) {
    const dates = existsSync(join(root, d.venue, symbol)) ? store.dates(d.venue, symbol) : [];
    if (dates.length === 0) throw missing(scenario, `the store has no data for ${d.venue}/${symbol}`, join(root, d.venue, symbol));
    let spec: Instrument | undefined = overrides.get(symbol);
    if (spec === undefined) {
      try {
        spec = new Instrument(store.spec(d.venue, symbol));
      } catch (e) {
        if (e instanceof StoreError) throw e;
        throw new MissingSpecError(symbol, `the store's meta.json has no usable instrument spec (${(e as Error).message}); set data.spec to an exchangeInfo file`);
      }
    }
    instruments.push(spec);
    const funding = readFundingHistory(root, d.venue, symbol);
    if (funding.length > 0) fundingHistory[symbol] = funding;
    let rows = 0;
    for (const date of dates) {
      const meta = store.meta(d.venue, symbol, date);
      const damaged = meta.imports.filter((r) => r.damage !== undefined && r.damage.count > 0);
      const inRange = !d.range || Object.values(meta.tables).some((m) => m !== undefined && !(m.maxTsReceiveUs < d.range!.fromUs || m.minTsReceiveUs >= d.range!.toUs));
      if (damaged.length > 0 && inRange) {
        inputDamage.push({ symbol, date, count: damaged.reduce((n, r) => n + r.damage!.count, 0), first: damaged.flatMap((r) => r.damage!.first).slice(0, 5) });
      }
      const lacking: TableName[] = [];
      for (const t of tables) {
        const m = meta.tables[t];
        if (!m) continue;
        if (d.range && (m.maxTsReceiveUs < d.range.fromUs || m.minTsReceiveUs >= d.range.toUs)) continue;
        if (tableLacksMatchTime(meta, t)) lacking.push(t);
        rows += m.rows;
        if (t === 'depth') hasDepth = true;
        if (!d.range && m.minTsReceiveUs < startUs) startUs = m.minTsReceiveUs;
        metas.push({ symbol, date, table: t, m, instrument: meta.instrument, imports: meta.imports });
        files.push({ meta, table: t, path: join(root, d.venue, symbol, date, m.file) });
      }
      if (lacking.length > 0) noMatchTime.push({ symbol, date, tables: TABLES.filter((t) => lacking.includes(t)) });
    }
    if (rows === 0) {
      const range = d.range ? ` in ${d.range.text}` : '';
      throw new InputError(`no market data for ${symbol}${range} in the store (streams ${wantedStreams.join(', ')}; it holds ${dates[0]}..${dates[dates.length - 1]})`, { file: join(root, d.venue, symbol) }, 'E_INPUT_EMPTY');
    }
    expected += rows;
    sources.push(storeSource({ root, venue: d.venue, symbol, fromUs: d.range?.fromUs, toUs: d.range?.toUs, tables, batchRows, decodeThread: opts.decodeThread }));
  }
  const bookMode: BookMode = d.book === 'depth' ? 'depth' : d.book === 'top-of-book' ? 'top-of-book' : hasDepth ? 'depth' : 'top-of-book';
  const hasFunding = Object.keys(fundingHistory).length > 0;
  // The funding history changes results: it is part of the data's identity (only when there is one, so other fingerprints stay).
  const identity = { source: 'store', venue: d.venue, range: d.range ? [d.range.fromUs, d.range.toUs] : null, metas, ...(hasFunding ? { funding: fundingHistory } : {}) };
  // The files are hashed in a worker thread while the replay reads them; the fingerprint covers
  // their bytes as read, whatever meta.json says.
  if (opts.hashContent === false) {
    return { instruments, sources, fingerprint: sha256(JSON.stringify(identity)), inputDamage, noMatchTime, bookMode, startUs: Number.isFinite(startUs) ? startUs : 0, expectedEvents: expected, streams: wantedStreams, ...(hasFunding ? { fundingHistory } : {}) };
  }
  const contentCheck = hashFiles(files.map((f) => f.path)).then((digests) => {
    const checks = digests.map((dg, i) => compareWithMeta(files[i].meta, files[i].table, files[i].path, dg, null));
    return { checks, fingerprint: sha256(JSON.stringify({ ...identity, content: digests.map((dg) => dg.sha256) })) };
  });
  contentCheck.catch(() => undefined); // awaited by runScenario; never an unhandled rejection meanwhile
  return { instruments, sources, fingerprint: sha256(JSON.stringify(identity)), contentCheck, inputDamage, noMatchTime, bookMode, startUs: Number.isFinite(startUs) ? startUs : 0, expectedEvents: expected, streams: wantedStreams, ...(hasFunding ? { fundingHistory } : {}) };
}

export function orderLatencyModel(scenario: Scenario, rng: Rng): OrderLatencyModel {
  const l = scenario.execution.orderLatency;
  switch (l.model) {
    case 'constant':
      return new ConstantLatency(l.entryUs, l.responseUs);
    case 'feed':
      return new FeedRelativeLatency(l);
    case 'random':
      return new RandomLatency(rng.fork('latency'), l);
    case 'recorded': {
      const file = l.file!;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new ConfigError(`cannot read the order-latency file: ${(e as Error).message}`, { file, field: 'execution.orderLatency.file' });
      }
      return RecordedLatency.fromCsv(text, file);
    }
  }
}

/** The parts a run needs besides the data; tests pass fakes, the CLI the real ones (parts.ts). */
export interface RunParts {
  trader: TraderPort;
  venue: SimVenue;
  observer?: EngineObserver;
}

export interface PartsContext {
  scenario: Scenario;
  data: PreparedData;
  clock: SimClock;
  rng: Rng;
  /** The recorder encodes its tables in a worker thread running this (report/encode-thread.ts), or null: in the run's thread. */
  encodeThread: { bundle: string | null } | null;
}

export interface RunOptions {
  /** Rows per store batch (determinism does not depend on it). */
  batchRows?: number;
  /**
   * Where the store's row groups are decoded (store/decode-thread.ts; default: the
   * MAKER_DECODE_THREAD environment variable, else `auto`). Determinism does not depend on it.
   */
  decodeThread?: DecodeThreadMode;
  /**
   * Where the recorder's fills / orders tables are encoded (report/encode-thread.ts; default: the
   * MAKER_ENCODE_THREAD environment variable, else `auto`). The files do not depend on it.
   */
  encodeThread?: EncodeThreadMode;
  /** Receives the event log as text (events.log; see event-log.ts), in order. */
  eventLogSink?: (chunk: string) => void;
  onProgress?: (eventsDone: number, expectedEvents: number, localUs: number) => void;
  /** Awaited between batches; a throw stops the run with that error (the CLI's SIGINT / SIGTERM: EngineOptions.checkpoint). */
  checkpoint?: () => Promise<void>;
}

export interface RunResult<P extends RunParts = RunParts> {
  stats: EngineStats;
  eventLogHash: string;
  eventLogEvents: number;
  data: PreparedData;
  parts: P;
  /** What the data sources delivered per symbol and stream (coverage.ts). */
  coverage: SymbolCoverage[];
}

export async function runScenario<P extends RunParts>(scenario: Scenario, makeParts: (ctx: PartsContext) => P | Promise<P>, opts: RunOptions = {}): Promise<RunResult<P>> {
  const data = await prepareData(scenario, opts.batchRows, { decodeThread: opts.decodeThread });
  checkNotionalSize(scenario, data.instruments);
  const clock = new SimClock(0);
  const rng = new Rng(scenario.seed);
  const encodeThread = useEncodeThread(opts.encodeThread ?? encodeThreadFromEnv(), data.expectedEvents) ? { bundle: await encodeWorkerBundle() } : null;
  const parts = await makeParts({ scenario, data, clock, rng, encodeThread });
  const eventLog = new EventLog(opts.eventLogSink);
  const f = scenario.execution.feedLatency;
  const engine = new BacktestEngine({
    clock,
    trader: parts.trader,
    venue: parts.venue,
    latency: orderLatencyModel(scenario, rng),
    feed: f,
    matchWindowUs: scenario.execution.matchWindowUs,
    observer: parts.observer,
    eventLog,
    onProgress: (done, localUs) => opts.onProgress?.(done, data.expectedEvents, localUs),
    checkpoint: opts.checkpoint,
  });
  const coverage = new CoverageMeter(data.instruments.map((i) => i.symbol));
  let stats: EngineStats;
  try {
    stats = await engine.run(mergeSources(data.sources.map((src, i) => coverage.wrap(guardMinNotional(scenario, data.instruments[i], src), i)), opts.batchRows));
  } catch (e) {
    // Damage the hashes explain is reported as such, not as whatever decoding it broke. A run
    // stopped on purpose (SIGINT) is just that: no waiting for the hashes.
    if (data.contentCheck !== undefined && !(e instanceof MakerError && e.code === 'E_INTERRUPTED')) await settleContent(scenario, data, e);
    throw e;
  }
  if (data.contentCheck !== undefined) await settleContent(scenario, data);
  if (stats.marketEvents === 0) {
    const where = scenario.data.source === 'store' ? (scenario.data.store ?? '') : 'synthetic';
    throw new InputError(`no market events for ${scenario.data.symbols.join(', ')}${scenario.data.range ? ` in ${scenario.data.range.text}` : ''}`, { file: where }, 'E_INPUT_EMPTY');
  }
  eventLog.end(stats);
  return { stats, eventLogHash: eventLog.digest(), eventLogEvents: eventLog.records, data, parts, coverage: coverage.result() };
}

/**
 * Waits for the hashes of the store files the run read. A file that is not what its meta.json
 * says stops the run with a `StoreError` naming it, unless `data.verify` is false (then it is
 * listed in `data.integrity`); the data fingerprint becomes the one over the bytes read.
 *
 * `cause`: the run failed. With a damaged file that is taken as the damage showing (a file too
 * damaged to decode stops the run whatever `data.verify` says: there is nothing to run on), and the
 * message says so, with the reader's error, rather than suggesting `data.verify=false`.
 */
async function settleContent(scenario: Scenario, data: PreparedData, cause?: unknown): Promise<void> {
  const { checks, fingerprint } = await data.contentCheck!;
  const damaged = checks.filter((c) => c.problem !== null);
  data.fingerprint = fingerprint;
  data.integrity = { verified: checks.filter((c) => c.problem === null && c.expected.sha256 !== null).length, unverified: checks.filter((c) => c.problem === null && c.expected.sha256 === null).map((c) => c.path), damaged };
  if (damaged.length === 0) return;
  const first = damaged[0];
  const more = damaged.length > 1 ? ` (and ${damaged.length - 1} more file(s))` : '';
  if (cause !== undefined) {
    const causeFile = cause instanceof MakerError ? cause.location.file : undefined;
    const own = damaged.find((d) => d.path === causeFile) ?? first;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new StoreError(`${own.message}${more}, and it cannot be read (${why}): a file too damaged to decode stops the run even with data.verify: false; re-import the data (maker import)`, { file: own.path }, cause);
  }
  if (scenario.data.verify) throw new StoreError(`${first.message}${more}; re-import the data (maker import), or set data.verify=false to run on it anyway`, { file: first.path });
}

/** For tests: a whole event list as one source. */
export function listSource(events: MarketEvent[]): EventBatches {
  return [events];
}
