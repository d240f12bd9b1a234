/**
 * Data quality of a run: what was asked for against what the data held, how long the trader's book
 * was out of sync, and when (and why not before) the strategy first quoted. Every figure is defined
 * in docs/METRICS.md ("Data quality"); the thresholds that raise a warning are the constants below.
 *
 * Sources:
 * - coverage: the run's `CoverageMeter` (receive times of what the data sources delivered);
 * - book: the trading core's `trader.bookValidityChanged` events (trader time) and its depth sync
 *   counters (`bookSyncCounters`) at the end; market streams going down from `venue.streamChanged`;
 * - first quote: the core's `trader.intentDecided` (the strategy's intent and its reason) and
 *   `trader.riskDecided` (risk's verdict, with the denial's code) of every decision up to the first
 *   one that leaves quotes to rest; the listeners are removed then (nothing per decision after it).
 *
 * Deterministic: only run data, no wall-clock time; symbols in the run's order, reasons sorted.
 */
import type { Intent, RiskDecision } from '../../model/trading.ts';
import type { BookSyncCounters } from '../../book/index.ts';
import type { StreamCoverage, SymbolCoverage } from '../coverage.ts';
import { REIMPORT_FOR_MATCH_TIME } from '../../store/index.ts';

/** A stream covering less than this share of the requested time raises a warning. */
export const MIN_COVERAGE_PCT = 99;
/** A book out of sync for more than this share of the run raises a warning. */
export const MAX_OUT_OF_SYNC_PCT = 1;
/** Out-of-sync episodes listed in the summary (all are counted). */
export const MAX_EPISODES_LISTED = 20;

const US = 1_000_000;

export type DataQualityWarningCode = 'COVERAGE' | 'NO_EVENTS' | 'OUT_OF_SYNC' | 'NEVER_QUOTED' | 'DAMAGED_DATA' | 'DAMAGED_INPUT' | 'NO_MATCH_TIME' | 'NO_FUNDING';

export interface DataQualityWarning {
  code: DataQualityWarningCode;
  /** null: about the run's data as a whole. */
  symbol: string | null;
  stream: string | null;
  message: string;
}

export interface StreamQuality {
  stream: string;
  /** Named in `data.streams` (a stream missing then is a warning; otherwise it may just not be in the data). */
  requested: boolean;
  events: number;
  firstUs: number | null;
  lastUs: number | null;
  /** |[first − g, last + g] ∩ [requested from, requested to]|, s; g = the stream's longest silence (0 with < 2 events). */
  coveredSeconds: number;
  /** 100 · covered / requested. */
  coveragePct: number | null;
  longestSilenceSeconds: number | null;
  longestSilenceFromUs: number | null;
}

export interface OutOfSyncEpisode {
  fromUs: number;
  /** null: still out of sync at the end of the run. */
  toUs: number | null;
  seconds: number;
  cause: string;
}

export interface BookQuality {
  /** 'depth' (diffs + snapshots through the Binance sync) or 'top-of-book' (bookTickers). */
  mode: string;
  /** Trader time of the first book event and of the first valid book, µs; null if none. */
  firstBookEventUs: number | null;
  firstValidUs: number | null;
  /** Sequence gaps, re-syncs after the first sync, crossed books (the trader's depth sync counters). */
  gaps: number;
  resyncs: number;
  crossed: number;
  /** Times the venue's market stream of the symbol went down. */
  streamDowns: number;
  /** Time with a valid book, s, and as % of the run. */
  validSeconds: number;
  validPct: number | null;
  /** Time without a valid book from the first book event to the end, s, and as % of the run. */
  outOfSyncSeconds: number;
  outOfSyncPct: number | null;
  /** Of which waiting for the first sync (first book event → first valid book). */
  initialSyncSeconds: number;
  episodes: OutOfSyncEpisode[];
  episodesTotal: number;
}

export interface QuoteReason {
  reason: string;
  decisions: number;
  /** Time this reason held: from each decision to the next one (or the first quote / end of run). */
  seconds: number;
}

export interface FirstQuoteQuality {
  /** Trader time of the first decision that left quotes to rest, µs; null if never. */
  firstQuoteUs: number | null;
  /** From the run start; null if never. */
  secondsToFirstQuote: number | null;
  /** Decisions before it (all of them if never). */
  decisionsBefore: number;
  /** Why not before, longest first. */
  reasons: QuoteReason[];
}

export interface SymbolQuality {
  symbol: string;
  streams: StreamQuality[];
  book: BookQuality;
  quoting: FirstQuoteQuality;
}

export interface DataQuality {
  /** The requested window (data.range), or the data's own span when no range was given. */
  requested: { fromUs: number; toUs: number; seconds: number; text: string };
  run: { startUs: number; endUs: number; seconds: number };
  thresholds: { minCoveragePct: number; maxOutOfSyncPct: number };
  symbols: SymbolQuality[];
  /**
   * Store runs: the files read, checked against their recorded SHA-256 (`unverified`: files of
   * maker-store/2 partitions, which have none; `damaged`: files that did not match, read only
   * because `data.verify` is false), and the partitions whose import kept going past damaged input
   * (a file cut short, skipped lines: they may end early or miss lines), and the partitions
   * without a recorded match time (`noMatchTime`, before maker-store/4).
   */
  store?: StoreQuality;
  warnings: DataQualityWarning[];
}

export interface StoreQuality {
  verified: number;
  unverified: string[];
  damaged: { path: string; message: string }[];
  inputDamage: { symbol: string; date: string; count: number; first: { file: string; line: number; kind: string; message: string }[] }[];
  /**
   * Partitions read whose tables (book_ticker, trades, agg_trades) have no recorded match time `T`:
   * written before maker-store/4, their T reads as the push time E.
   */
  noMatchTime: { symbol: string; date: string; tables: string[] }[];
}

/** Adds a store run's integrity findings to the data quality, with their warnings. */
export function addStoreQuality(q: DataQuality, store: StoreQuality): void {
  q.store = store;
  if (store.damaged.length > 0) {
    q.warnings.push({ code: 'DAMAGED_DATA', symbol: null, stream: null, message: `${store.damaged.length} store file(s) do not match their recorded SHA-256 and were read anyway (data.verify: false), first ${store.damaged[0].path}: the results stand on damaged data` });
  }
  for (const d of store.inputDamage) {
    const f = d.first[0];
    q.warnings.push({ code: 'DAMAGED_INPUT', symbol: d.symbol, stream: null, message: `${d.symbol} ${d.date}: imported from damaged input (${d.count} place(s), first ${f ? `${f.file}:${f.line} ${f.kind}` : '?'}): the partition may end early or miss lines` });
  }
  // One warning per symbol: which partitions and tables, and how to get the match time in.
  const bySymbol = new Map<string, { date: string; tables: string[] }[]>();
  for (const p of store.noMatchTime) {
    let l = bySymbol.get(p.symbol);
    if (l === undefined) bySymbol.set(p.symbol, (l = []));
    l.push(p);
  }
  for (const [symbol, parts] of bySymbol) {
    const tables = [...new Set(parts.flatMap((p) => p.tables))].sort();
    const dates = parts.length === 1 ? parts[0].date : `${parts.length} partitions, ${parts[0].date}..${parts[parts.length - 1].date}`;
    q.warnings.push({
      code: 'NO_MATCH_TIME',
      symbol,
      stream: null,
      message: `${symbol} ${dates}: ${tables.join(', ')} have no match time T (stored before maker-store/4), so T = the push time E: the exchange takes prints at their publication time, which may be later than their match. To fix: ${REIMPORT_FOR_MATCH_TIME}`,
    });
  }
}

/** "12.3 s", "5.0 min", "3.0 h", "31.0 d": a duration for people. */
export function fmtDuration(seconds: number): string {
  const a = Math.abs(seconds);
  if (a < 120) return `${Number(seconds.toFixed(a < 1 ? 3 : 1))} s`;
  if (a < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (a < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/** A percentage for people: 2 decimals, 3 significant digits below 0.1 %. */
export function fmtPct(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return '–';
  if (p !== 0 && Math.abs(p) < 0.1) return `${Number(p.toPrecision(2))} %`;
  return `${p.toFixed(2)} %`;
}

/** The strategy's reason without its numbers, so that decisions group ("glft: signal intensityAPerS not ready"). */
export function normaliseReason(reason: string): string {
  return reason.replace(/: no quotes:/, ':').replace(/-?\d+(\.\d+)?/g, '#');
}

interface BookTrack {
  firstUs: number | null;
  valid: boolean;
  sinceUs: number;
  firstValidUs: number | null;
  validUs: number;
  invalidUs: number;
  cause: string;
  episodes: OutOfSyncEpisode[];
  episodesTotal: number;
  streamDowns: number;
}

interface QuoteTrack {
  quotedUs: number | null;
  lastDecisionUs: number | null;
  lastReason: string;
  decisions: number;
  intent: Intent | null;
  reasons: Map<string, { decisions: number; us: number }>;
}

const NO_DECISION = 'no decision yet (no book data)';

export class DataQualityTracker {
  private readonly books = new Map<string, BookTrack>();
  private readonly quotes = new Map<string, QuoteTrack>();
  private unquoted: number;

  constructor(
    readonly symbols: readonly string[],
    readonly startUs: number,
  ) {
    for (const s of symbols) {
      this.books.set(s, { firstUs: null, valid: false, sinceUs: startUs, firstValidUs: null, validUs: 0, invalidUs: 0, cause: '', episodes: [], episodesTotal: 0, streamDowns: 0 });
      this.quotes.set(s, { quotedUs: null, lastDecisionUs: null, lastReason: NO_DECISION, decisions: 0, intent: null, reasons: new Map() });
    }
    this.unquoted = symbols.length;
  }

  /** `trader.bookValidityChanged`. */
  onBookValidity(e: { symbol: string; tsUs: number; valid: boolean; cause: string }): void {
    const b = this.books.get(e.symbol);
    if (b === undefined) return;
    const t = Math.max(e.tsUs, this.startUs);
    if (b.firstUs === null) b.firstUs = t;
    else this.closeBook(b, t);
    b.valid = e.valid;
    b.sinceUs = t;
    b.cause = e.cause;
    if (e.valid && b.firstValidUs === null) b.firstValidUs = t;
  }

  /** `venue.streamChanged`. */
  onStreamChanged(e: { stream: string; up: boolean; symbols: readonly string[] }): void {
    if (e.stream !== 'market' || e.up) return;
    for (const s of e.symbols) {
      const b = this.books.get(s);
      if (b !== undefined) b.streamDowns++;
    }
  }

  /** `trader.intentDecided`. */
  onIntent(e: { symbol: string; intent: Intent }): void {
    const q = this.quotes.get(e.symbol);
    if (q !== undefined && q.quotedUs === null) q.intent = e.intent;
  }

  /** `trader.riskDecided`. Returns true once every symbol has quoted (the listeners may go). */
  onRiskDecided(e: { symbol: string; tsUs: number; decision: RiskDecision }): boolean {
    const q = this.quotes.get(e.symbol);
    if (q === undefined || q.quotedUs !== null) return this.unquoted === 0;
    const t = Math.max(e.tsUs, this.startUs);
    this.closeQuote(q, t);
    const intent = q.intent;
    q.intent = null;
    const d = e.decision;
    let reason: string | null;
    if (intent !== null && intent.quotes.length === 0) reason = normaliseReason(intent.reason);
    else if (!d.approved) reason = `risk denied: ${d.reason.code}`;
    else if (d.intent.quotes.length === 0) reason = `risk trimmed every quote: ${[...new Set(d.trims.map((x) => x.reason.code))].sort().join(', ') || 'no reason given'}`;
    else reason = null;
    if (reason === null) {
      q.quotedUs = t;
      this.unquoted--;
      return this.unquoted === 0;
    }
    q.decisions++;
    q.lastReason = reason;
    const r = q.reasons.get(reason);
    if (r === undefined) q.reasons.set(reason, { decisions: 1, us: 0 });
    else r.decisions++;
    return false;
  }

  /** The data-quality block at the end of the run. */
  finish(o: {
    endUs: number;
    /** data.range, or null for "all data". */
    range: { fromUs: number; toUs: number; text: string } | null;
    /** data.streams as written (null: not given). */
    explicitStreams: readonly string[] | null;
    /** The streams the run replayed (data.streams or all). */
    streams: readonly string[];
    coverage: readonly SymbolCoverage[];
    bookMode: string;
    syncCounters: (symbol: string) => Readonly<BookSyncCounters> | null;
  }): DataQuality {
    const endUs = Math.max(o.endUs, this.startUs);
    const runUs = endUs - this.startUs;
    let fromUs: number;
    let toUs: number;
    let text: string;
    if (o.range !== null) {
      ({ fromUs, toUs, text } = o.range);
    } else {
      fromUs = Infinity;
      toUs = -Infinity;
      for (const c of o.coverage) {
        for (const s of c.streams) {
          if (s.firstUs !== null && s.firstUs < fromUs) fromUs = s.firstUs;
          if (s.lastUs !== null && s.lastUs > toUs) toUs = s.lastUs;
        }
      }
      if (!Number.isFinite(fromUs)) fromUs = toUs = this.startUs;
      text = 'all data (no data.range): the span of the data';
    }
    const reqUs = toUs - fromUs;
    const pct = (part: number, whole: number): number | null => (whole > 0 ? 100 * (part / whole) : null);
    const warnings: DataQualityWarning[] = [];
    const symbols: SymbolQuality[] = this.symbols.map((symbol) => {
      const cov = o.coverage.find((c) => c.symbol === symbol);
      const streams: StreamQuality[] = o.streams.map((name) => {
        const s: StreamCoverage = cov?.streams.find((x) => x.stream === name) ?? { stream: name, events: 0, firstUs: null, lastUs: null, longestSilenceUs: null, longestSilenceFromUs: null };
        // A stream covers its longest silence g before its first and after its last event: a quiet
        // edge no longer than a quiet spell inside the data is the stream's own cadence (a 1 Hz stream
        // over 30 s covers the 30 s, a bursty trade stream its quiet first second), not missing data.
        let covered = 0;
        if (s.firstUs !== null && s.lastUs !== null) {
          const g = s.longestSilenceUs ?? 0;
          covered = Math.max(0, Math.min(s.lastUs + g, toUs) - Math.max(s.firstUs - g, fromUs));
        }
        return {
          stream: name,
          requested: o.explicitStreams?.includes(name) ?? false,
          events: s.events,
          firstUs: s.firstUs,
          lastUs: s.lastUs,
          coveredSeconds: covered / US,
          coveragePct: s.events === 0 ? 0 : pct(covered, reqUs),
          longestSilenceSeconds: s.longestSilenceUs === null ? null : s.longestSilenceUs / US,
          longestSilenceFromUs: s.longestSilenceFromUs,
        };
      });
      const any = streams.some((s) => s.events > 0);
      if (!any) warnings.push({ code: 'NO_EVENTS', symbol, stream: null, message: `${symbol}: no market data at all in ${text}` });
      for (const s of streams) {
        if (s.events === 0) {
          if (s.requested && any) warnings.push({ code: 'NO_EVENTS', symbol, stream: s.stream, message: `${symbol} ${s.stream}: no events, though data.streams asks for it` });
        } else if (s.coveragePct !== null && s.coveragePct < MIN_COVERAGE_PCT) {
          warnings.push({ code: 'COVERAGE', symbol, stream: s.stream, message: `${symbol} ${s.stream}: the data covers ${fmtDuration(s.coveredSeconds)} of the ${fmtDuration(reqUs / US)} requested (${fmtPct(s.coveragePct)}, below ${MIN_COVERAGE_PCT} %)` });
        }
      }

      const b = this.books.get(symbol)!;
      if (b.firstUs !== null) this.closeBook(b, endUs, true);
      b.sinceUs = endUs;
      const c = o.syncCounters(symbol);
      const initialUs = b.firstUs === null ? 0 : (b.firstValidUs ?? endUs) - b.firstUs;
      // The wait for the first sync is warm-up, reported apart; out of sync is what follows it (all
      // of it when the book never synced).
      const afterSyncUs = b.firstValidUs === null ? b.invalidUs : b.invalidUs - initialUs;
      const book: BookQuality = {
        mode: o.bookMode,
        firstBookEventUs: b.firstUs,
        firstValidUs: b.firstValidUs,
        gaps: c?.gaps ?? 0,
        resyncs: c?.resyncs ?? 0,
        crossed: c?.crossed ?? 0,
        streamDowns: b.streamDowns,
        validSeconds: b.validUs / US,
        validPct: pct(b.validUs, runUs),
        outOfSyncSeconds: afterSyncUs / US,
        outOfSyncPct: pct(afterSyncUs, runUs),
        initialSyncSeconds: initialUs / US,
        episodes: b.episodes,
        episodesTotal: b.episodesTotal,
      };
      if (book.outOfSyncPct !== null && book.outOfSyncPct > MAX_OUT_OF_SYNC_PCT) {
        warnings.push({ code: 'OUT_OF_SYNC', symbol, stream: null, message: `${symbol}: the trader's book was out of sync for ${fmtDuration(book.outOfSyncSeconds)} (${fmtPct(book.outOfSyncPct)} of the run, above ${MAX_OUT_OF_SYNC_PCT} %; ${book.gaps} gaps, ${book.resyncs} resyncs, ${book.crossed} crossed)` });
      }

      const q = this.quotes.get(symbol)!;
      if (q.quotedUs === null) this.closeQuote(q, endUs);
      const reasons = [...q.reasons.entries()]
        .map(([reason, r]) => ({ reason, decisions: r.decisions, seconds: r.us / US }))
        .sort((x, y) => y.seconds - x.seconds || (x.reason < y.reason ? -1 : x.reason > y.reason ? 1 : 0));
      const quoting: FirstQuoteQuality = {
        firstQuoteUs: q.quotedUs,
        secondsToFirstQuote: q.quotedUs === null ? null : (q.quotedUs - this.startUs) / US,
        decisionsBefore: q.decisions,
        reasons,
      };
      if (q.quotedUs === null && any) {
        const top = reasons[0];
        warnings.push({ code: 'NEVER_QUOTED', symbol, stream: null, message: `${symbol}: the strategy never quoted${top ? ` (mostly: ${top.reason}, for ${fmtDuration(top.seconds)})` : ''}` });
      }
      return { symbol, streams, book, quoting };
    });
    return {
      requested: { fromUs, toUs, seconds: reqUs / US, text },
      run: { startUs: this.startUs, endUs, seconds: runUs / US },
      thresholds: { minCoveragePct: MIN_COVERAGE_PCT, maxOutOfSyncPct: MAX_OUT_OF_SYNC_PCT },
      symbols,
      warnings,
    };
  }

  /** Ends the book's current interval at `t` (an invalid one is an episode; `atEnd`: still open when the run ended). */
  private closeBook(b: BookTrack, t: number, atEnd = false): void {
    const d = Math.max(0, t - b.sinceUs);
    if (b.valid) {
      b.validUs += d;
      return;
    }
    b.invalidUs += d;
    b.episodesTotal++;
    if (b.episodes.length < MAX_EPISODES_LISTED) b.episodes.push({ fromUs: b.sinceUs, toUs: atEnd ? null : t, seconds: d / US, cause: b.cause });
  }

  /** Charges the time since the last decision (or the run start) to the reason that held then. */
  private closeQuote(q: QuoteTrack, t: number): void {
    const d = Math.max(0, t - (q.lastDecisionUs ?? this.startUs));
    q.lastDecisionUs = t;
    const r = q.reasons.get(q.lastReason);
    if (r !== undefined) r.us += d;
    else if (d > 0) q.reasons.set(q.lastReason, { decisions: 0, us: d });
  }
}

/** What the funding check of a run needs (`addFundingQuality`). */
export interface FundingCheck {
  /** `execution.funding.mode`. */
  mode: 'data' | 'rate' | 'off';
  startUs: number;
  endUs: number;
  symbols: readonly string[];
  /** Funding settlements booked per symbol during the run. */
  settled: (symbol: string) => number;
  /** Funding interval the schedule check uses, µs (Binance's 8 h unless the data said otherwise). */
  intervalUs: number;
}

/** The funding times (k × interval from 00:00 UTC) in (start, end]. */
export function fundingTimesCrossed(startUs: number, endUs: number, intervalUs: number): number {
  if (!(endUs > startUs) || !(intervalUs > 0)) return 0;
  return Math.max(0, Math.floor(endUs / intervalUs) - Math.floor(startUs / intervalUs));
}

/**
 * NO_FUNDING: the run crossed funding times (00/08/16 UTC) but a symbol was settled fewer times
 * than that: no markPrice data and no imported fundingRate history in `data` mode, or funding
 * turned `off`. Such a run's PnL leaves out a cost (or income) the real account would have had.
 */
export function addFundingQuality(q: DataQuality, c: FundingCheck): void {
  const crossed = fundingTimesCrossed(c.startUs, c.endUs, c.intervalUs);
  if (crossed === 0) return;
  for (const symbol of c.symbols) {
    const n = c.settled(symbol);
    if (n >= crossed) continue;
    const why =
      c.mode === 'off'
        ? 'execution.funding.mode is off'
        : 'the data has no markPrice stream and the store no imported fundingRate history for it (maker data import of a data.binance.vision fundingRate file), and execution.funding.mode is data; set mode: rate with ratePerInterval to charge a configured rate at the mid';
    q.warnings.push({ code: 'NO_FUNDING', symbol, stream: null, message: `${symbol}: the run crosses ${crossed} funding time(s) but ${n === 0 ? 'no funding was' : `only ${n} funding settlement(s) were`} charged: ${why}` });
  }
}
