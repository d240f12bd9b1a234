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
 *
 * The fused book (`fused`): that oracle covers only the bookTickers whose `u` lines up with a depth
 * event (~1 % on real recordings). Every bookTicker is also checked against the fused book (a
 * `MarketBook` of source `auto`, the book both sides of a backtest read), while the depth book is
 * in sync:
 *   - `depthAgreed`: the depth book's best (bid and ask, price and quantity) at the bookTicker's
 *     arrival equals the bookTicker (what a depth-only book gets right); `depthPriceAgreed`: the
 *     best bid and ask prices do;
 *   - `fusedAgreed` / `fusedPriceAgreed`: the same for the fused book once the bookTicker is applied;
 *   - `stale`: its `u` is at or below the depth book's last applied `u` (the depth book is newer;
 *     the fused book rightly keeps the depth top);
 *   - `mismatched`: anything else, and every depth event after which the fused book's best is not
 *     the newest of (depth top, last bookTicker): the fused book is wrong (or the bookTicker was
 *     crossed / one-sided, which Binance does not send). Not clean.
 * Lag (`lag*Us`): for each bookTicker newer than the depth book at its arrival, the receive time
 * from it to the first depth event whose final update id `u` reaches its `u` (the depth event that
 * contains the change the bookTicker showed), in µs; median and 99th percentile per symbol over a
 * deterministic subsample. Measured on ids, not on prices: the depth book may never show a given
 * bookTicker's best (a later change at the same levels supersedes it within one conflated event).
 */
import { MarketBook } from './market-book.ts';
import type { BookTicker, MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { GapRecord, SessionRecord, StoreIntegrity } from '../store/index.ts';

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
  /** Liquidation orders (`forceOrder`): counted only; nothing is checked against them. */
  forceOrders: number;
  bookTicker: { total: number; checked: number; matched: number };
  /** Every bookTicker against the fused book (see the header). */
  fused: FusedCheck;
  firstTsUs: number | null;
  lastTsUs: number | null;
  /** Median of receive − exchange time, µs (a steady recorder clock offset shows here). */
  clockOffsetUs: number | null;
  finalBook: { bestBid: string | null; bestAsk: string | null; bidLevels: number; askLevels: number; valid: boolean };
  /** First few bookTicker mismatches, for diagnosis. */
  mismatches: { updateId: number; expected: string; replayed: string }[];
  /**
   * A store written by `maker record`: its sessions and marked gaps per partition (meta.json
   * `recording`), and what the checks set aside because the recorder marked it. A depth gap whose
   * first diff after it is a marked depth gap's `after`, a trade-id jump onto a marked trade or
   * aggTrade gap's `after`, are counted here and not in `gaps` / `tradeIdGaps`: they are known
   * stretches the recorder did not hear, not damage. bookTickers received inside a marked stretch
   * of the depth or bookTicker stream (after `before`, up to `after`; without `before`: from the
   * start of the session that marked it) are not checked against the book.
   */
  recording?: RecordingCheck;
}

export interface RecordingCheck {
  partitions: { date: string; sessions: SessionRecord[]; gaps: GapRecord[] }[];
  markedDepthGaps: number;
  markedTradeIdGaps: number;
  /** bookTickers inside marked stretches (counted in bookTicker.total, not checked). */
  bookTickersInMarked: number;
}

export interface FusedCheck {
  /** bookTickers that arrived while the depth book was in sync. */
  compared: number;
  /** Best bid and ask prices and quantities equal. */
  depthAgreed: number;
  fusedAgreed: number;
  /** Best bid and ask prices equal (quantities may differ). */
  depthPriceAgreed: number;
  fusedPriceAgreed: number;
  stale: number;
  mismatched: number;
  /** bookTickers newer than the depth book at their arrival (the lag is measured on these). */
  ahead: number;
  lagMedianUs: number | null;
  lagP99Us: number | null;
  /** First few fused-book mismatches, for diagnosis. */
  mismatches: { updateId: number; expected: string; fused: string }[];
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

function topOf(b: { bestBidTicks(): number; bestBidLots(): number; bestAskTicks(): number; bestAskLots(): number }): Top {
  return { bidTicks: b.bestBidTicks(), bidLots: b.bestBidLots(), askTicks: b.bestAskTicks(), askLots: b.bestAskLots() };
}

/** Equal prices, an empty side (NaN) equal to an empty side. */
function samePrice(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

function sameTop(a: Top, b: Top): boolean {
  return samePrice(a.bidTicks, b.bidTicks) && a.bidLots === b.bidLots && samePrice(a.askTicks, b.askTicks) && a.askLots === b.askLots;
}

function samePrices(a: Top, b: Top): boolean {
  return samePrice(a.bidTicks, b.bidTicks) && samePrice(a.askTicks, b.askTicks);
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

/** A deterministic subsample (every `stride`-th value) of at most MAX_OFFSET_SAMPLES values. */
class Subsample {
  private values = new Float64Array(1024);
  private count = 0;
  private stride = 1;
  private seen = 0;

  add(v: number): void {
    if (this.seen++ % this.stride !== 0) return;
    if (this.count === this.values.length) {
      if (this.values.length < MAX_OFFSET_SAMPLES) {
        const grown = new Float64Array(this.values.length * 2);
        grown.set(this.values);
        this.values = grown;
      } else {
        for (let i = 0; i < this.count / 2; i++) this.values[i] = this.values[2 * i];
        this.count = Math.floor(this.count / 2);
        this.stride *= 2;
      }
    }
    this.values[this.count++] = v;
  }

  /** The median (mean of the two middle values, rounded, for an even count); null when empty. */
  median(): number | null {
    if (this.count === 0) return null;
    const sorted = this.values.slice(0, this.count).sort();
    const mid = this.count >> 1;
    return this.count % 2 === 1 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
  }

  /** The q-quantile by the nearest-rank rule (the ceil(q·n)-th smallest); null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const sorted = this.values.slice(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.max(0, Math.ceil(q * this.count) - 1))];
  }
}

class SymbolChecker {
  readonly stats: SymbolCheck;
  private readonly recentTops = new Map<number, Top>(); // u → top of book right after that diff (in sync only)
  private readonly pending = new Map<number, BookTicker[]>();
  private lastAppliedU = -1;
  private readonly market: MarketBook;
  private lastTradeId = -1;
  private lastAggLastId = -1;
  private readonly offsets = new Subsample();
  /** The fused book (source auto), checked against every bookTicker. */
  private readonly fusedBook: MarketBook;
  /** Top of the depth book after the last diff applied in sync (read only while the depth book is valid, i.e. after such a diff). */
  private lastTop: Top = { bidTicks: NaN, bidLots: 0, askTicks: NaN, askLots: 0 };
  /** The last bookTicker seen (its u and top), for the check after each depth event. */
  private lastTicker: BookTicker | null = null;
  /** bookTickers ahead of the depth book waiting for a depth event to reach their u: ids and receive times, FIFO from `aheadHead`. */
  private aheadU: number[] = [];
  private aheadRxUs: number[] = [];
  private aheadHead = 0;
  private depthRxUs = 0;
  private readonly lags = new Subsample();
  /** Marked gaps (a recorder's store): depth diffs, trade ids and aggTrade ids that start again after one. */
  private readonly markedAfter = { depth: new Set<number>(), trade: new Set<number>(), aggTrade: new Set<number>() };
  /** Receive-time stretches (start exclusive, end inclusive) of the marked depth and bookTicker gaps, disjoint and sorted. */
  private stretches: [number, number][] = [];
  private stretchAt = 0;
  private recording: RecordingCheck | undefined;

  constructor(readonly instrument: Instrument) {
    // Every diff applied with the book in sync (also diffs replayed from the buffer when the
    // snapshot comes late) records the top of book as of its `u`.
    this.market = new MarketBook(instrument.symbol, 'depth', {
      onApplied: (u) => this.recordTop(u),
      onEvent: (e) => {
        if (e.type !== 'gap') return;
        if (this.recording !== undefined && this.markedAfter.depth.has(e.finalUpdateId)) {
          this.recording.markedDepthGaps++;
          return;
        }
        if (this.stats.gapList.length < MAX_GAPS_LISTED) this.stats.gapList.push({ tsUs: e.tsExchangeUs, prevU: e.expectedId, pu: e.prevFinalUpdateId, U: e.firstUpdateId, u: e.finalUpdateId });
      },
    });
    this.fusedBook = new MarketBook(instrument.symbol, 'auto');
    this.stats = {
      depthEvents: 0, snapshots: 0, gaps: 0, gapList: [], resyncs: 0, crossed: 0, trades: 0, aggTrades: 0, tradeIdGaps: 0, markPrices: 0, forceOrders: 0,
      bookTicker: { total: 0, checked: 0, matched: 0 },
      fused: { compared: 0, depthAgreed: 0, fusedAgreed: 0, depthPriceAgreed: 0, fusedPriceAgreed: 0, stale: 0, mismatched: 0, ahead: 0, lagMedianUs: null, lagP99Us: null, mismatches: [] },
      firstTsUs: null, lastTsUs: null, clockOffsetUs: null,
      finalBook: { bestBid: null, bestAsk: null, bidLevels: 0, askLevels: 0, valid: false }, mismatches: [],
    };
  }

  /** The recorder's notes for this symbol (before any event). */
  markRecording(partitions: RecordingCheck['partitions']): void {
    this.recording = { partitions, markedDepthGaps: 0, markedTradeIdGaps: 0, bookTickersInMarked: 0 };
    const spans: [number, number][] = [];
    const starts = partitions.flatMap((p) => p.sessions.map((x) => x.startUs));
    // A gap without a `before` (a restart with nothing known of the last message) starts with the session that marked it.
    const sessionStart = (us: number) => starts.reduce((best, t) => (t <= us && t > best ? t : best), -Infinity);
    for (const p of partitions) {
      for (const g of p.gaps) {
        if (g.stream === 'depth' || g.stream === 'trade' || g.stream === 'aggTrade') this.markedAfter[g.stream].add(g.after.id);
        if (g.stream === 'depth' || g.stream === 'bookTicker') spans.push([g.before === null ? sessionStart(g.after.tsReceiveUs) : g.before.tsReceiveUs, g.after.tsReceiveUs]);
      }
    }
    spans.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const sp of spans) {
      const last = merged[merged.length - 1];
      if (last !== undefined && sp[0] <= last[1]) last[1] = Math.max(last[1], sp[1]);
      else merged.push([sp[0], sp[1]]);
    }
    this.stretches = merged;
  }

  /** Whether receive time `t` lies in a marked stretch (events come in receive-time order). */
  private inMarked(t: number): boolean {
    while (this.stretchAt < this.stretches.length && this.stretches[this.stretchAt][1] < t) this.stretchAt++;
    const sp = this.stretches[this.stretchAt];
    return sp !== undefined && t > sp[0];
  }

  onEvent(e: MarketEvent): void {
    const s = this.stats;
    if (s.firstTsUs === null || e.tsExchangeUs < s.firstTsUs) s.firstTsUs = e.tsExchangeUs;
    if (s.lastTsUs === null || e.tsExchangeUs > s.lastTsUs) s.lastTsUs = e.tsExchangeUs;
    this.offsets.add(e.tsReceiveUs - e.tsExchangeUs);
    switch (e.type) {
      case 'snapshot':
        s.snapshots++;
        this.depthRxUs = e.tsReceiveUs;
        this.market.applySnapshot(e);
        this.fusedBook.applySnapshot(e);
        this.checkFusedAfterDepth();
        break;
      case 'depth':
        s.depthEvents++;
        this.depthRxUs = e.tsReceiveUs;
        this.market.applyDiff(e);
        this.fusedBook.applyDiff(e);
        this.checkFusedAfterDepth();
        break;
      case 'trade':
        s.trades++;
        if (this.lastTradeId >= 0 && e.tradeId !== this.lastTradeId + 1) {
          if (this.recording !== undefined && this.markedAfter.trade.has(e.tradeId)) this.recording.markedTradeIdGaps++;
          else s.tradeIdGaps++;
        }
        this.lastTradeId = e.tradeId;
        break;
      case 'aggTrade':
        s.aggTrades++;
        if (this.lastAggLastId >= 0 && e.firstTradeId !== this.lastAggLastId + 1) {
          if (this.recording !== undefined && this.markedAfter.aggTrade.has(e.aggTradeId)) this.recording.markedTradeIdGaps++;
          else s.tradeIdGaps++;
        }
        this.lastAggLastId = e.lastTradeId;
        break;
      case 'bookTicker':
        if (this.recording !== undefined && this.stretches.length > 0 && this.inMarked(e.tsReceiveUs)) {
          // A stretch the recorder marked: the book around it is not vouched for; keep the ticker for the fused book only.
          s.bookTicker.total++;
          this.recording.bookTickersInMarked++;
          this.lastTicker = e;
          this.fusedBook.applyTicker(e);
          break;
        }
        this.onBookTicker(e);
        this.checkFusedTicker(e);
        break;
      case 'markPrice':
        s.markPrices++;
        break;
      case 'forceOrder':
        s.forceOrders++;
        break;
    }
  }

  private recordTop(u: number): void {
    if (u < 0) return;
    const book = this.market.depthBook;
    const top: Top = { bidTicks: book.bestBidTicks(), bidLots: book.bestBidLots(), askTicks: book.bestAskTicks(), askLots: book.bestAskLots() };
    this.lastTop = top;
    this.lastAppliedU = u;
    // The depth stream has reached these bookTickers' changes: their lag ends here.
    while (this.aheadHead < this.aheadU.length && this.aheadU[this.aheadHead] <= u) {
      this.lags.add(this.depthRxUs - this.aheadRxUs[this.aheadHead]);
      this.aheadHead++;
    }
    if (this.aheadHead > 1024 && this.aheadHead * 2 > this.aheadU.length) {
      this.aheadU = this.aheadU.slice(this.aheadHead);
      this.aheadRxUs = this.aheadRxUs.slice(this.aheadHead);
      this.aheadHead = 0;
    }
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

  /** Every bookTicker while the depth book is in sync: depth-only vs fused agreement, and the start of its lag. */
  private checkFusedTicker(bt: BookTicker): void {
    this.lastTicker = bt;
    this.fusedBook.applyTicker(bt);
    const depth = this.market.depthBook;
    if (!depth.isValid() || bt.updateId < 0) return;
    const f = this.stats.fused;
    f.compared++;
    if (sameTop(this.lastTop, bt)) f.depthAgreed++;
    if (samePrices(this.lastTop, bt)) f.depthPriceAgreed++;
    const fusedTop = topOf(this.fusedBook.book);
    if (sameTop(fusedTop, bt)) f.fusedAgreed++;
    if (samePrices(fusedTop, bt)) f.fusedPriceAgreed++;
    if (bt.updateId <= depth.lastUpdateId()) {
      f.stale++;
      return;
    }
    f.ahead++;
    this.aheadU.push(bt.updateId);
    this.aheadRxUs.push(bt.tsReceiveUs);
    if (!sameTop(fusedTop, bt)) this.fusedMismatch(bt, fusedTop);
  }

  /** After a depth event: the fused book's best is the last bookTicker's if that is newer than the depth book, else the depth book's. */
  private checkFusedAfterDepth(): void {
    const depth = this.market.depthBook;
    if (!depth.isValid()) {
      // Out of sync: bookTickers waiting for their depth event will never see it in this chain.
      this.aheadU.length = 0;
      this.aheadRxUs.length = 0;
      this.aheadHead = 0;
      return;
    }
    const t = this.lastTicker;
    const fusedTop = topOf(this.fusedBook.book);
    if (t !== null && t.updateId > depth.lastUpdateId()) {
      if (!sameTop(fusedTop, t)) this.fusedMismatch(t, fusedTop);
    } else {
      const depthTop = topOf(depth);
      if (!sameTop(fusedTop, depthTop)) this.fusedMismatch({ ...depthTop, updateId: depth.lastUpdateId() }, fusedTop);
    }
  }

  private fusedMismatch(expected: Top & { updateId?: number }, fused: Top): void {
    const f = this.stats.fused;
    f.mismatched++;
    if (f.mismatches.length < MAX_MISMATCHES) f.mismatches.push({ updateId: expected.updateId ?? this.market.depthBook.lastUpdateId(), expected: this.fmtTop(expected), fused: this.fmtTop(fused) });
  }

  private fmtTop(t: Top): string {
    const i = this.instrument;
    const p = (x: number) => (Number.isNaN(x) ? '-' : i.ticksToPrice(x));
    return `${p(t.bidTicks)}x${i.lotsToQty(t.bidLots)} / ${p(t.askTicks)}x${i.lotsToQty(t.askLots)}`;
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

  finish(): SymbolCheck {
    const s = this.stats;
    s.gaps = this.market.sync.counters.gaps - (this.recording?.markedDepthGaps ?? 0);
    if (this.recording !== undefined) s.recording = this.recording;
    s.resyncs = this.market.sync.counters.resyncs;
    s.crossed = this.market.sync.counters.crossed;
    s.clockOffsetUs = this.offsets.median();
    s.fused.lagMedianUs = this.lags.median();
    s.fused.lagP99Us = this.lags.quantile(0.99);
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

  /** A recorder's sessions and marked gaps for `symbol`, per partition (meta.json `recording`); before the symbol's events. */
  markRecording(symbol: string, partitions: RecordingCheck['partitions']): void {
    let c = this.checkers.get(symbol);
    if (!c) {
      c = new SymbolChecker(this.instrumentOf(symbol));
      this.checkers.set(symbol, c);
    }
    c.markRecording(partitions);
  }

  report(): CheckReport {
    const symbols: Record<string, SymbolCheck> = {};
    for (const sym of [...this.checkers.keys()].sort()) symbols[sym] = this.checkers.get(sym)!.finish();
    return { symbols, skippedStreams: {} };
  }
}

/**
 * Clean means: no gaps, no crossed book, no trade-id gaps, every checked bookTicker matched, the
 * fused book never disagreed with the newest of depth and bookTicker, a
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
      s.fused.mismatched === 0 &&
      (s.depthEvents === 0 || s.finalBook.valid),
  );
}
