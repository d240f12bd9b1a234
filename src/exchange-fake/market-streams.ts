/**
 * The market streams served beside stream-hub.ts's own (binance-usdm.md §6), sent through the hub:
 *
 * - Partial depth `<s>@depth<5|10|20>[@100ms|@500ms]` (250 ms by default): Binance's `depthUpdate`
 *   envelope (`U` of the window's first diff, `u` of its last, `pu` the stream's previous `u`), with
 *   `b`/`a` the whole top N of the book at the end of the window. The book is this module's own copy
 *   (taken from the replayed book at the first subscription of the symbol, then every diff applied),
 *   so a window's message shows the book as of its last diff, not later ones. Windows without diffs
 *   send nothing.
 * - `!bookTicker`: every symbol's `bookTicker` events on one stream.
 * - Klines `<s>@kline_<1m…1d>`: the klines the REST `klines` endpoint serves (market-rest.ts builds
 *   them from the trades), at most one update per 250 ms window while trades change the open one,
 *   and the closed kline (`x: true`) once when its interval ends (by the clock or by a trade of the
 *   next interval). Intervals without trades send nothing.
 */
import { L2Book } from '../book/index.ts';
import type { BookSide, MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { LocalExchange } from './local-exchange.ts';
import { KLINE_INTERVALS_MS, klineStreamPayload, type MarketHistory } from './market-rest.ts';
import type { StreamHub } from './stream-hub.ts';
import { bookTickerPayload, depthPayload } from './streams.ts';

const ms = (us: number): number => Math.floor(us / 1000);
const PARTIAL = /^([a-z0-9]+)@depth(5|10|20)(?:@(100|500)ms)?$/;
const KLINE = /^([a-z0-9]+)@kline_([0-9]+[mhd])$/;
const PARTIAL_LEVELS = [5, 10, 20] as const;
const PARTIAL_SPEEDS: readonly { suffix: string; ms: number }[] = [
  { suffix: '', ms: 250 },
  { suffix: '@100ms', ms: 100 },
  { suffix: '@500ms', ms: 500 },
];
const KLINE_PUSH_MS = 250;

interface Window {
  speedMs: number;
  suffix: string;
  first: number;
  last: number;
  lastTUs: number;
  window: number;
  prevU: number;
}

/** Partial depth of one symbol: its own book and one window per update speed. */
interface Partial {
  book: L2Book;
  windows: Window[];
}

interface KlineSub {
  symbol: string;
  interval: string;
  len: number;
  /** Open time of the kline last seen open. */
  openMs: number;
  closedSent: boolean;
  /** The 250 ms window in which the open kline changed (−1: nothing to send). */
  dirtyWindow: number;
}

export class MarketStreams {
  private readonly partials = new Map<string, Partial>();
  private readonly klines = new Map<string, KlineSub>();

  constructor(
    private readonly ex: LocalExchange,
    private readonly hub: StreamHub,
    private readonly history: MarketHistory,
  ) {
    hub.addProvider({ valid: (n) => this.valid(n), subscribed: (n) => this.subscribed(n) });
    ex.onMarket((e, at) => this.onMarket(e, at));
    ex.onTick((now) => this.onTick(now));
  }

  private symbolOf(lower: string): Instrument | undefined {
    return lower === lower.toLowerCase() ? this.ex.instruments.get(lower.toUpperCase()) : undefined;
  }

  private valid(name: string): boolean {
    if (name === '!bookTicker') return true;
    const p = PARTIAL.exec(name);
    if (p !== null) return this.symbolOf(p[1]) !== undefined;
    const k = KLINE.exec(name);
    return k !== null && this.symbolOf(k[1]) !== undefined && k[2] in KLINE_INTERVALS_MS;
  }

  private subscribed(name: string): void {
    const p = PARTIAL.exec(name);
    if (p !== null) {
      const symbol = p[1].toUpperCase();
      if (!this.partials.has(symbol)) this.partials.set(symbol, this.startPartial(symbol));
      return;
    }
    const k = KLINE.exec(name);
    if (k !== null && !this.klines.has(name)) {
      const symbol = k[1].toUpperCase();
      const list = this.history.klinesOf(symbol, k[2]);
      const openMs = list.length > 0 ? list[list.length - 1].openMs : -1;
      // The open kline goes to the new subscriber at the next window.
      this.klines.set(name, { symbol, interval: k[2], len: KLINE_INTERVALS_MS[k[2]], openMs, closedSent: false, dirtyWindow: openMs < 0 ? -1 : Math.floor(ms(this.ex.nowUs()) / KLINE_PUSH_MS) - 1 });
    }
  }

  /** A copy of the replayed book as it is now (everything delivered so far applied), and its windows. */
  private startPartial(symbol: string): Partial {
    const src = this.ex.book(symbol)!;
    const book = new L2Book(symbol);
    const side = (s: BookSide) => {
      const ticks: number[] = [];
      const lots: number[] = [];
      src.forEachLevel(s, (t, l) => {
        ticks.push(t);
        lots.push(l);
      });
      return { ticks, lots };
    };
    const b = side('bid');
    const a = side('ask');
    book.loadSnapshot(b.ticks, b.lots, a.ticks, a.lots);
    const lastU = src.lastUpdateId();
    // Each window starts as the diff stream's of the same speed: a subscription in the middle of a
    // window still sends that window's U and pu, as the @depth@<speed> message with the same u has.
    const windows = PARTIAL_SPEEDS.map((s): Window => {
      const w = this.hub.depthConflater(symbol, s.ms)?.state();
      if (w === undefined || w.first < 0) return { speedMs: s.ms, suffix: s.suffix, first: -1, last: -1, lastTUs: 0, window: -1, prevU: w !== undefined && w.prevU >= 0 ? w.prevU : lastU };
      return { speedMs: s.ms, suffix: s.suffix, ...w };
    });
    return { book, windows };
  }

  private onMarket(e: MarketEvent, at: number): void {
    if (e.type === 'bookTicker') {
      if (this.hub.subscribers('!bookTicker') > 0) this.hub.publishStream('!bookTicker', bookTickerPayload(e, this.ex.instruments.get(e.symbol)!, (us) => this.ex.mapUs(us)));
      return;
    }
    if (e.type === 'depth' || e.type === 'snapshot') {
      const p = this.partials.get(e.symbol);
      if (p === undefined) return;
      if (e.type === 'snapshot') {
        p.book.loadSnapshot(e.bidTicks, e.bidLots, e.askTicks, e.askLots);
        // The chain restarts: the next message's pu is its first diff's own pu.
        for (const w of p.windows) Object.assign(w, { first: -1, prevU: -1 });
        return;
      }
      for (const w of p.windows) {
        this.tickWindow(e.symbol, p, w, at);
        if (w.first < 0) {
          w.first = e.firstUpdateId;
          w.window = Math.floor(at / 1000 / w.speedMs);
          if (w.prevU < 0) w.prevU = e.prevFinalUpdateId;
        }
        w.last = e.finalUpdateId;
        w.lastTUs = at;
      }
      for (let i = 0; i < e.bidTicks.length; i++) p.book.applyLevel('bid', e.bidTicks[i], e.bidLots[i]);
      for (let i = 0; i < e.askTicks.length; i++) p.book.applyLevel('ask', e.askTicks[i], e.askLots[i]);
      return;
    }
    if (e.type === 'trade' || e.type === 'aggTrade') {
      const w = Math.floor(ms(at) / KLINE_PUSH_MS);
      for (const [name, k] of this.klines) if (k.symbol === e.symbol) this.klineStep(name, k, ms(at), w);
    }
  }

  private onTick(nowUs: number): void {
    for (const [symbol, p] of this.partials) for (const w of p.windows) this.tickWindow(symbol, p, w, nowUs);
    const now = ms(nowUs);
    for (const [name, k] of this.klines) this.klineStep(name, k, now, -1);
  }

  /** Closes a partial-depth window that has ended: its message on each subscribed level count. */
  private tickWindow(symbol: string, p: Partial, w: Window, atUs: number): void {
    if (w.first < 0 || Math.floor(atUs / 1000 / w.speedMs) === w.window) return;
    const inst = this.ex.instruments.get(symbol)!;
    const sym = symbol.toLowerCase();
    const endMs = (w.window + 1) * w.speedMs;
    for (const n of PARTIAL_LEVELS) {
      const name = `${sym}@depth${n}${w.suffix}`;
      if (this.hub.subscribers(name) === 0) continue;
      const top = (side: BookSide) => p.book.topLevels(side, n).map((l): [string, string] => [inst.ticksToPrice(l.priceTicks), inst.lotsToQty(l.qtyLots)]);
      this.hub.publishStream(name, depthPayload(symbol, Math.max(endMs, ms(w.lastTUs)), ms(w.lastTUs), w.first, w.last, w.prevU, top('bid'), top('ask')));
    }
    w.prevU = w.last;
    w.first = -1;
  }

  /**
   * A kline stream at `nowMs`: the closed kline once its interval is over, then the open one at most
   * once per 250 ms window. `tradeWindow` ≥ 0: a trade of the symbol just changed the open kline.
   */
  private klineStep(name: string, k: KlineSub, nowMs: number, tradeWindow: number): void {
    const inst = this.ex.instruments.get(k.symbol)!;
    const list = this.history.klinesOf(k.symbol, k.interval);
    if (list.length === 0) return;
    const cur = list[list.length - 1];
    const subscribed = this.hub.subscribers(name) > 0;
    if (k.openMs >= 0 && !k.closedSent && (cur.openMs > k.openMs || nowMs >= k.openMs + k.len)) {
      const closed = cur.openMs === k.openMs ? cur : list.findLast((x) => x.openMs === k.openMs);
      if (closed !== undefined && subscribed) this.hub.publishStream(name, klineStreamPayload(inst, k.interval, closed, true, Math.max(nowMs, k.openMs + k.len)));
      k.closedSent = true;
      if (cur.openMs === k.openMs) k.dirtyWindow = -1;
    }
    if (cur.openMs > k.openMs) {
      k.openMs = cur.openMs;
      k.closedSent = false;
    }
    if (tradeWindow >= 0 && cur.openMs === k.openMs && !k.closedSent && k.dirtyWindow < 0) k.dirtyWindow = tradeWindow;
    if (k.dirtyWindow >= 0 && Math.floor(nowMs / KLINE_PUSH_MS) > k.dirtyWindow) {
      if (subscribed && !k.closedSent) this.hub.publishStream(name, klineStreamPayload(inst, k.interval, cur, false, nowMs));
      k.dirtyWindow = -1;
    }
  }
}
