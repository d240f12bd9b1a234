/**
 * Binance USDⓈ-M market streams from the replayed market (binance-usdm.md §6): stream names, the
 * payload of each event at its mapped time, and diff-depth conflation per update speed.
 *
 * Depth speeds. `<s>@depth@0ms` passes every recorded diff through (`pu` = the previous diff's `u`,
 * as recorded). `<s>@depth` (250 ms), `@depth@500ms` and `@depth@100ms` merge the diffs of each
 * window of that length (aligned to the epoch, in server time) into one message: `U` of the first,
 * `u` of the last, `pu` = the `u` of the stream's previous message, the last quantity of each level;
 * a window's message goes out when the first event after it is delivered. So a client following
 * Binance's book algorithm (snapshot, drop `u < lastUpdateId`, then `pu` chaining) on any depth
 * stream builds the replayed book exactly.
 */
import type { AggTrade, BookTicker, DepthDiff, ForceOrder, MarketEvent, MarkPrice, Trade } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { ExecutionReport } from '../model/venue.ts';

const ms = (us: number): number => Math.floor(us / 1000);

export const DEPTH_SPEEDS_MS: Readonly<Record<string, number>> = { depth: 250, 'depth@500ms': 500, 'depth@100ms': 100, 'depth@0ms': 0 };
const OTHER_KINDS = new Set(['trade', 'aggTrade', 'bookTicker', 'markPrice', 'markPrice@1s', 'forceOrder']);

/** Every symbol's liquidation orders on one stream (each message one symbol's `forceOrder`, as `<s>@forceOrder`). */
export const ALL_FORCE_ORDERS = '!forceOrder@arr';

/** A stream name split into symbol and kind, or null when it is not one we serve. */
export function parseStreamName(name: string, symbols: ReadonlySet<string>): { symbol: string; kind: string } | null {
  const at = name.indexOf('@');
  if (at <= 0) return null;
  const symbol = name.slice(0, at).toUpperCase();
  const kind = name.slice(at + 1);
  if (name.slice(0, at) !== name.slice(0, at).toLowerCase() || !symbols.has(symbol)) return null;
  if (!(kind in DEPTH_SPEEDS_MS) && !OTHER_KINDS.has(kind)) return null;
  return { symbol, kind };
}

type Levels = [string, string][];

function levels(inst: Instrument, ticks: readonly number[], lots: readonly number[]): Levels {
  const out: Levels = [];
  for (let i = 0; i < ticks.length; i++) out.push([inst.ticksToPrice(ticks[i]), inst.lotsToQty(lots[i])]);
  return out;
}

/** Payloads of the non-depth streams; `mapUs` turns data time into server time. */
export function tradePayload(e: Trade, inst: Instrument, mapUs: (us: number) => number): object {
  return { e: 'trade', E: ms(mapUs(e.tsExchangeUs)), T: ms(mapUs(e.tsTransactUs)), s: e.symbol, t: e.tradeId, p: inst.ticksToPrice(e.priceTicks), q: inst.lotsToQty(e.qtyLots), X: 'MARKET', m: e.buyerIsMaker };
}

export function aggTradePayload(e: AggTrade, inst: Instrument, mapUs: (us: number) => number): object {
  const q = inst.lotsToQty(e.qtyLots);
  return { e: 'aggTrade', E: ms(mapUs(e.tsExchangeUs)), a: e.aggTradeId, s: e.symbol, p: inst.ticksToPrice(e.priceTicks), q, nq: q, f: e.firstTradeId, l: e.lastTradeId, T: ms(mapUs(e.tsTransactUs)), m: e.buyerIsMaker };
}

export function bookTickerPayload(e: BookTicker, inst: Instrument, mapUs: (us: number) => number): object {
  return { e: 'bookTicker', u: e.updateId, s: e.symbol, b: inst.ticksToPrice(e.bidTicks), B: inst.lotsToQty(e.bidLots), a: inst.ticksToPrice(e.askTicks), A: inst.lotsToQty(e.askLots), T: ms(mapUs(e.tsTransactUs)), E: ms(mapUs(e.tsExchangeUs)) };
}

export function markPricePayload(e: MarkPrice, mapUs: (us: number) => number): object {
  return { e: 'markPriceUpdate', E: ms(mapUs(e.tsExchangeUs)), s: e.symbol, p: e.markPrice, ap: e.markPrice, i: e.indexPrice, P: '0', r: e.fundingRate, T: ms(mapUs(e.nextFundingTimeUs)) };
}

/** `forceOrder` with the order object `o` in Binance's key order (binance-usdm.md §6; fixture liquidation_stream.json). */
export function forceOrderPayload(e: ForceOrder, inst: Instrument, mapUs: (us: number) => number): object {
  return {
    e: 'forceOrder',
    E: ms(mapUs(e.tsExchangeUs)),
    o: {
      s: e.symbol,
      S: e.side === 'buy' ? 'BUY' : 'SELL',
      o: e.orderType,
      f: e.timeInForce,
      q: inst.lotsToQty(e.origQtyLots),
      p: inst.ticksToPrice(e.priceTicks),
      ap: e.avgPrice,
      X: e.status,
      l: inst.lotsToQty(e.lastFilledQtyLots),
      z: inst.lotsToQty(e.filledQtyLots),
      T: ms(mapUs(e.tsTransactUs)),
    },
  };
}

/**
 * The `forceOrder` Binance publishes for a liquidation of one of our accounts (a CALCULATED fill of
 * an `autoclose-` order, sim-exchange/margin.ts): LIMIT IOC at the order's price, filled at once
 * at that price, times in server time already. Null for any other report.
 */
export function liquidationForceOrder(r: ExecutionReport, inst: Instrument): ForceOrder | null {
  if (r.execType !== 'CALCULATED' || r.lastFillLots <= 0) return null;
  return {
    type: 'forceOrder',
    symbol: r.symbol,
    tsExchangeUs: r.tsExchangeUs,
    tsReceiveUs: r.tsExchangeUs,
    tsTransactUs: r.tsExchangeUs,
    side: r.side,
    orderType: 'LIMIT',
    timeInForce: 'IOC',
    origQtyLots: r.origQtyLots,
    priceTicks: r.priceTicks,
    avgPrice: inst.ticksToPrice(r.lastFillPriceTicks),
    status: r.status,
    lastFilledQtyLots: r.lastFillLots,
    filledQtyLots: r.cumFilledLots,
  };
}

export function depthPayload(symbol: string, eMs: number, tMs: number, U: number, u: number, pu: number, b: Levels, a: Levels): object {
  return { e: 'depthUpdate', E: eMs, T: tMs, s: symbol, U, u, pu, b, a };
}

/** One conflated depth stream of one symbol. */
export class DepthConflater {
  private bids = new Map<number, number>();
  private asks = new Map<number, number>();
  private first = -1;
  private last = -1;
  private lastTUs = 0;
  private window = -1;
  /** `u` of the previous message sent (its `pu`), -1 before the first. */
  private prevU = -1;

  constructor(
    readonly symbol: string,
    private readonly inst: Instrument,
    readonly speedMs: number,
    private readonly emit: (payload: object) => void,
  ) {}

  /** Any delivered event at server time `atUs`: closes the current window if it has ended. */
  tick(atUs: number): void {
    if (this.first >= 0 && Math.floor(atUs / 1000 / this.speedMs) !== this.window) this.flush();
  }

  add(d: DepthDiff, atUs: number): void {
    this.tick(atUs);
    if (this.first < 0) {
      this.first = d.firstUpdateId;
      this.window = Math.floor(atUs / 1000 / this.speedMs);
      if (this.prevU < 0) this.prevU = d.prevFinalUpdateId;
    }
    this.last = d.finalUpdateId;
    this.lastTUs = atUs;
    for (let i = 0; i < d.bidTicks.length; i++) this.bids.set(d.bidTicks[i], d.bidLots[i]);
    for (let i = 0; i < d.askTicks.length; i++) this.asks.set(d.askTicks[i], d.askLots[i]);
  }

  /**
   * The window being collected (`first` −1: none) and the chain's previous `u` (−1: none since the
   * start or a snapshot), so a partial-depth stream starting mid-window can share this window.
   */
  state(): { first: number; last: number; lastTUs: number; window: number; prevU: number } {
    return { first: this.first, last: this.last, lastTUs: this.lastTUs, window: this.window, prevU: this.prevU };
  }

  /** After a snapshot the chain restarts (the next message's `pu` is its diff's own `pu`). */
  reset(): void {
    this.bids.clear();
    this.asks.clear();
    this.first = -1;
    this.prevU = -1;
  }

  private flush(): void {
    const side = (m: Map<number, number>, desc: boolean) => {
      const ticks = [...m.keys()].sort((x, y) => (desc ? y - x : x - y));
      return levels(this.inst, ticks, ticks.map((t) => m.get(t)!));
    };
    const endMs = (this.window + 1) * this.speedMs;
    this.emit(depthPayload(this.symbol, Math.max(endMs, ms(this.lastTUs)), ms(this.lastTUs), this.first, this.last, this.prevU, side(this.bids, true), side(this.asks, false)));
    this.prevU = this.last;
    this.bids = new Map();
    this.asks = new Map();
    this.first = -1;
  }
}

/** The payload of a pass-through event on its stream kind (not conflated depth). */
export function payloadOf(e: MarketEvent, inst: Instrument, mapUs: (us: number) => number): object | null {
  switch (e.type) {
    case 'trade':
      return tradePayload(e, inst, mapUs);
    case 'aggTrade':
      return aggTradePayload(e, inst, mapUs);
    case 'bookTicker':
      return bookTickerPayload(e, inst, mapUs);
    case 'markPrice':
      return markPricePayload(e, mapUs);
    case 'forceOrder':
      return forceOrderPayload(e, inst, mapUs);
    case 'depth': {
      return depthPayload(e.symbol, ms(mapUs(e.tsExchangeUs)), ms(mapUs(e.tsTransactUs)), e.firstUpdateId, e.finalUpdateId, e.prevFinalUpdateId, levels(inst, e.bidTicks, e.bidLots), levels(inst, e.askTicks, e.askLots));
    }
    case 'snapshot':
      return null;
  }
}
