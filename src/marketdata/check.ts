/**
 * `maker data check`: replays market events per symbol through the Binance book sync and reports
 * what a careful user wants to know before trusting a recording.
 *
 * Per symbol: depth events, sequence gaps, resyncs, crossed books, trades, trade-id gaps, and the
 * bookTicker oracle: a bookTicker whose update id `u` equals a depth event's final id `u` must show
 * exactly the replayed book's best bid/ask price and quantity as of that depth event. The order of
 * the two in a recording does not matter: a bookTicker that comes before its depth event waits for
 * it, one that comes after it is compared with the top of book remembered for that `u` (the last
 * `RECENT_TOPS` depth events are remembered). A bookTicker whose `u` never matches is counted in
 * `total` only.
 */
import { MarketBook } from './market-book.ts';
import type { BookTicker, MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { StoreIntegrity } from '../store/index.ts';

export interface SymbolCheck {
  depthEvents: number;
  snapshots: number;
  gaps: number;
  /**
   * The gaps, in order: exchange time of the diff that broke the chain, the id it had to connect
   * to (`prevU`: the snapshot's lastUpdateId when bridging, else the last applied u), and its own
   * `pu`, `U`, `u`. The first `MAX_GAPS_LISTED`; `gaps` counts them all.
   */
  gapList: { tsUs: number; prevU: number; pu: number; U: number; u: number }[];
  resyncs: number;
  crossed: number;
  trades: number;
  aggTrades: number;
  tradeIdGaps: number;
  markPrices: number;
  bookTicker: { total: number; checked: number; matched: number };
  firstTsUs: number | null;
  lastTsUs: number | null;
  /** Median of receive − exchange time, µs (a steady recorder clock offset shows here). */
  clockOffsetUs: number | null;
  finalBook: { bestBid: string | null; bestAsk: string | null; bidLevels: number; askLevels: number; valid: boolean };
  /** First few bookTicker mismatches, for diagnosis. */
  mismatches: { updateId: number; expected: string; replayed: string }[];
}

export interface CheckReport {
  symbols: Record<string, SymbolCheck>;
  /** Raw inputs: damage found and read past (every bad line, a file cut short), with file:line. */
  damage?: { count: number; list: { file: string; line: number; kind: string; message: string; bytesLost?: number }[] };
  /** Messages of streams the importers do not map, by stream name (raw inputs only; skipped safely). */
  skippedStreams: Record<string, number>;
  /** A store's files checked against their partitions' meta.json (store inputs only). */
  store?: StoreIntegrity;
}

const RECENT_TOPS = 4096;
export const MAX_GAPS_LISTED = 100;
const MAX_PENDING = 65536;
const MAX_OFFSET_SAMPLES = 1 << 20;
const MAX_MISMATCHES = 5;

interface Top {
  bidTicks: number;
  bidLots: number;
  askTicks: number;
  askLots: number;
}

class SymbolChecker {
  readonly stats: SymbolCheck;
  private readonly recentTops = new Map<number, Top>(); // u → top of book right after that diff (in sync only)
  private readonly pending = new Map<number, BookTicker[]>();
  private lastAppliedU = -1;
  private readonly market: MarketBook;
  private lastTradeId = -1;
  private lastAggLastId = -1;
  private offsets = new Float64Array(1024);
  private offsetCount = 0;
  private offsetStride = 1;
  private offsetSeen = 0;

  constructor(readonly instrument: Instrument) {
    // Every diff applied with the book in sync (also diffs replayed from the buffer when the
    // snapshot comes late) records the top of book as of its `u`.
    this.market = new MarketBook(instrument.symbol, 'depth', {
      onApplied: (u) => this.recordTop(u),
      onEvent: (e) => {
        if (e.type === 'gap' && this.stats.gapList.length < MAX_GAPS_LISTED) this.stats.gapList.push({ tsUs: e.tsExchangeUs, prevU: e.expectedId, pu: e.prevFinalUpdateId, U: e.firstUpdateId, u: e.finalUpdateId });
      },
    });
    this.stats = {
      depthEvents: 0, snapshots: 0, gaps: 0, gapList: [], resyncs: 0, crossed: 0, trades: 0, aggTrades: 0, tradeIdGaps: 0, markPrices: 0,
      bookTicker: { total: 0, checked: 0, matched: 0 }, firstTsUs: null, lastTsUs: null, clockOffsetUs: null,
      finalBook: { bestBid: null, bestAsk: null, bidLevels: 0, askLevels: 0, valid: false }, mismatches: [],
    };
  }

  onEvent(e: MarketEvent): void {
    const s = this.stats;
    if (s.firstTsUs === null || e.tsExchangeUs < s.firstTsUs) s.firstTsUs = e.tsExchangeUs;
    if (s.lastTsUs === null || e.tsExchangeUs > s.lastTsUs) s.lastTsUs = e.tsExchangeUs;
    this.sampleOffset(e.tsReceiveUs - e.tsExchangeUs);
    switch (e.type) {
      case 'snapshot':
        s.snapshots++;
        this.market.applySnapshot(e);
        break;
      case 'depth':
        s.depthEvents++;
        this.market.applyDiff(e);
        break;
      case 'trade':
        s.trades++;
        if (this.lastTradeId >= 0 && e.tradeId !== this.lastTradeId + 1) s.tradeIdGaps++;
        this.lastTradeId = e.tradeId;
        break;
      case 'aggTrade':
        s.aggTrades++;
        if (this.lastAggLastId >= 0 && e.firstTradeId !== this.lastAggLastId + 1) s.tradeIdGaps++;
        this.lastAggLastId = e.lastTradeId;
        break;
      case 'bookTicker':
        this.onBookTicker(e);
        break;
      case 'markPrice':
        s.markPrices++;
        break;
    }
  }

  private recordTop(u: number): void {
    if (u < 0) return;
    const book = this.market.depthBook;
    const top: Top = { bidTicks: book.bestBidTicks(), bidLots: book.bestBidLots(), askTicks: book.bestAskTicks(), askLots: book.bestAskLots() };
    this.lastAppliedU = u;
    this.recentTops.set(u, top);
    if (this.recentTops.size > RECENT_TOPS) this.recentTops.delete(this.recentTops.keys().next().value!);
    const waiting = this.pending.get(u);
    if (waiting) {
      this.pending.delete(u);
      for (const bt of waiting) this.compare(bt, top);
    }
    // Bookticker ids below the depth chain can no longer match a future depth event.
    if (this.pending.size > 0) for (const k of this.pending.keys()) if (k < u) this.pending.delete(k);
  }

  private onBookTicker(bt: BookTicker): void {
    this.stats.bookTicker.total++;
    if (bt.updateId < 0) return;
    if (this.recentTops.has(bt.updateId)) {
      this.compare(bt, this.recentTops.get(bt.updateId)!);
    } else if (bt.updateId > this.lastAppliedU && this.pending.size < MAX_PENDING) {
      const list = this.pending.get(bt.updateId);
      if (list) list.push(bt);
      else this.pending.set(bt.updateId, [bt]);
    }
  }

  private compare(bt: BookTicker, top: Top): void {
    const s = this.stats.bookTicker;
    s.checked++;
    if (top.bidTicks === bt.bidTicks && top.bidLots === bt.bidLots && top.askTicks === bt.askTicks && top.askLots === bt.askLots) {
      s.matched++;
    } else if (this.stats.mismatches.length < MAX_MISMATCHES) {
      const i = this.instrument;
      const fmt = (p: number, q: number, p2: number, q2: number) => `${i.ticksToPrice(p)}x${i.lotsToQty(q)} / ${i.ticksToPrice(p2)}x${i.lotsToQty(q2)}`;
      this.stats.mismatches.push({
        updateId: bt.updateId,
        expected: fmt(bt.bidTicks, bt.bidLots, bt.askTicks, bt.askLots),
        replayed: fmt(top.bidTicks, top.bidLots, top.askTicks, top.askLots),
      });
    }
  }

  /** Keeps a deterministic subsample (every `stride`-th value) of at most MAX_OFFSET_SAMPLES offsets. */
  private sampleOffset(v: number): void {
    if (this.offsetSeen++ % this.offsetStride !== 0) return;
    if (this.offsetCount === this.offsets.length) {
      if (this.offsets.length < MAX_OFFSET_SAMPLES) {
        const grown = new Float64Array(this.offsets.length * 2);
        grown.set(this.offsets);
        this.offsets = grown;
      } else {
        for (let i = 0; i < this.offsetCount / 2; i++) this.offsets[i] = this.offsets[2 * i];
        this.offsetCount = Math.floor(this.offsetCount / 2);
        this.offsetStride *= 2;
      }
    }
    this.offsets[this.offsetCount++] = v;
  }

  finish(): SymbolCheck {
    const s = this.stats;
    s.gaps = this.market.sync.counters.gaps;
    s.resyncs = this.market.sync.counters.resyncs;
    s.crossed = this.market.sync.counters.crossed;
    if (this.offsetCount > 0) {
      const sorted = this.offsets.slice(0, this.offsetCount).sort();
      const mid = this.offsetCount >> 1;
      s.clockOffsetUs = this.offsetCount % 2 === 1 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
    }
    const b = this.market.depthBook;
    const i = this.instrument;
    s.finalBook = {
      bestBid: Number.isNaN(b.bestBidTicks()) ? null : i.ticksToPrice(b.bestBidTicks()),
      bestAsk: Number.isNaN(b.bestAskTicks()) ? null : i.ticksToPrice(b.bestAskTicks()),
      bidLevels: b.levelCount('bid'),
      askLevels: b.levelCount('ask'),
      valid: b.isValid(),
    };
    return s;
  }
}

/** Runs the checks over a stream of event batches (any number of symbols, interleaved). */
export class DataChecker {
  private readonly checkers = new Map<string, SymbolChecker>();

  constructor(private readonly instrumentOf: (symbol: string) => Instrument) {}

  onEvent(e: MarketEvent): void {
    let c = this.checkers.get(e.symbol);
    if (!c) {
      c = new SymbolChecker(this.instrumentOf(e.symbol));
      this.checkers.set(e.symbol, c);
    }
    c.onEvent(e);
  }

  onBatch(events: readonly MarketEvent[]): void {
    for (const e of events) this.onEvent(e);
  }

  report(): CheckReport {
    const symbols: Record<string, SymbolCheck> = {};
    for (const sym of [...this.checkers.keys()].sort()) symbols[sym] = this.checkers.get(sym)!.finish();
    return { symbols, skippedStreams: {} };
  }
}

/**
 * Clean means: no gaps, no crossed book, no trade-id gaps, every checked bookTicker matched, a
 * symbol with depth events ends with its book in sync (depth without a usable snapshot never syncs,
 * so nothing could be checked: that is a finding, not a pass), and (a store) every file is what its
 * partition's meta.json recorded. Leftovers of dead writers are reported but do not make data
 * unclean: readers ignore them.
 */
export function isClean(report: CheckReport): boolean {
  if (report.store !== undefined && report.store.damaged.length > 0) return false;
  if (report.damage !== undefined && report.damage.count > 0) return false;
  return Object.values(report.symbols).every(
    (s) =>
      s.gaps === 0 &&
      s.crossed === 0 &&
      s.tradeIdGaps === 0 &&
      s.bookTicker.checked === s.bookTicker.matched &&
      (s.depthEvents === 0 || s.finalBook.valid),
  );
}
