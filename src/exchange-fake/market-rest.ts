/**
 * REST market data built from what the replayed market has delivered, so it agrees with the
 * streams (same ids, prices, quantities and mapped times as `@trade`, `@aggTrade`, `@markPrice`):
 * `GET /fapi/v1/trades`, `historicalTrades`, `aggTrades`, `klines` and `premiumIndex`.
 *
 * - Trades: a bounded ring of the latest trades per symbol (`tradeCapacity`, default 2,000).
 * - Aggregate trades: the data's `aggTrade` events when it has them; otherwise built from its trades
 *   as Binance aggregates them (consecutive trades of one taker order: same match time, price and
 *   side). A built aggregate is served once it is closed (by the next trade that does not belong
 *   to it, or any other event of the symbol), so a served aggregate never changes.
 * - Klines 1m … 1d from the trades (from aggregate trades for data without trades), the open one
 *   included; intervals without trades are flat at the previous close with zero volume, as
 *   Binance's. At most `klineCapacity` (1,500) per interval are kept.
 * - premiumIndex from the latest markPrice event; without one, the mark and index are the book's
 *   mid, the funding rate 0 and the next funding time the next 8-hour boundary.
 */
import { formatScaled, parseDecimal, type ScaledDecimal } from '../model/money.ts';
import type { Instrument } from '../model/instrument.ts';
import type { MarketEvent, MarkPrice } from '../model/events.ts';
import { BinanceError, ERR } from './errors.ts';
import type { ExchangeServer, Reply } from './server.ts';
import { limitParam, optionalInt, timeRange } from './params.ts';

const ms = (us: number): number => Math.floor(us / 1000);
const HOUR_MS = 3_600_000;
const FUNDING_INTERVAL_MS = 8 * HOUR_MS;

export const KLINE_INTERVALS_MS: Readonly<Record<string, number>> = {
  '1m': 60_000, '3m': 180_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000,
  '1h': HOUR_MS, '2h': 2 * HOUR_MS, '4h': 4 * HOUR_MS, '6h': 6 * HOUR_MS, '8h': 8 * HOUR_MS, '12h': 12 * HOUR_MS, '1d': 24 * HOUR_MS,
};

interface TradeRec {
  id: number;
  priceTicks: number;
  qtyLots: number;
  timeMs: number;
  buyerIsMaker: boolean;
}

interface AggRec {
  a: number;
  priceTicks: number;
  qtyLots: number;
  f: number;
  l: number;
  timeMs: number;
  buyerIsMaker: boolean;
  /** Match time of a built aggregate's trades (data µs), to know which trades belong to it. */
  matchUs: number;
}

export interface Kline {
  openMs: number;
  /** First and last trade id in it (the `@kline_<i>` stream's `f`, `L`). */
  firstId: number;
  lastId: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volLots: number;
  /** Σ ticks × lots (quote volume in tick·lot units). */
  quote: bigint;
  count: number;
  takerBuyLots: number;
  takerBuyQuote: bigint;
}

/** An array kept to its last `cap` elements (trimmed in chunks). */
function pushBounded<T>(a: T[], x: T, cap: number): void {
  a.push(x);
  if (a.length > cap + Math.max(16, cap >> 3)) a.splice(0, a.length - cap);
}

class SymbolHistory {
  readonly trades: TradeRec[] = [];
  readonly aggs: AggRec[] = [];
  /** The aggregate being built from trades (not served until closed). */
  pending: AggRec | undefined;
  nextAggId = 1;
  dataHasAggs = false;
  dataHasTrades = false;
  readonly klines = new Map<string, Kline[]>();
  mark: MarkPrice | undefined;
  markAtMs = 0;

  constructor() {
    for (const k of Object.keys(KLINE_INTERVALS_MS)) this.klines.set(k, []);
  }
}

export interface MarketHistoryOptions {
  tradeCapacity?: number;
  klineCapacity?: number;
}

/** What the replayed market has delivered, per symbol, for the REST history endpoints. */
export class MarketHistory {
  private readonly bySymbol = new Map<string, SymbolHistory>();
  private readonly tradeCap: number;
  private readonly klineCap: number;

  constructor(
    private readonly srv: ExchangeServer,
    o: MarketHistoryOptions = {},
  ) {
    this.tradeCap = o.tradeCapacity ?? 2000;
    this.klineCap = o.klineCapacity ?? 1500;
    for (const s of srv.ex.instruments.keys()) this.bySymbol.set(s, new SymbolHistory());
    srv.ex.onMarket((e, at) => this.onEvent(e, at));
  }

  private onEvent(e: MarketEvent, atUs: number): void {
    const h = this.bySymbol.get(e.symbol);
    // A liquidation order is information only: it closes no aggregate and is no print.
    if (h === undefined || e.type === 'forceOrder') return;
    const t = ms(atUs);
    if (e.type !== 'trade') this.closePending(h, e);
    switch (e.type) {
      case 'trade': {
        h.dataHasTrades = true;
        pushBounded(h.trades, { id: e.tradeId, priceTicks: e.priceTicks, qtyLots: e.qtyLots, timeMs: t, buyerIsMaker: e.buyerIsMaker }, this.tradeCap);
        this.addToKlines(h, t, e.priceTicks, e.qtyLots, 1, !e.buyerIsMaker, e.tradeId, e.tradeId);
        if (!h.dataHasAggs) {
          const p = h.pending;
          if (p !== undefined && p.matchUs === e.tsTransactUs && p.priceTicks === e.priceTicks && p.buyerIsMaker === e.buyerIsMaker) {
            p.qtyLots += e.qtyLots;
            p.l = e.tradeId;
          } else {
            this.closePending(h, e);
            h.pending = { a: h.nextAggId++, priceTicks: e.priceTicks, qtyLots: e.qtyLots, f: e.tradeId, l: e.tradeId, timeMs: t, buyerIsMaker: e.buyerIsMaker, matchUs: e.tsTransactUs };
          }
        }
        break;
      }
      case 'aggTrade':
        if (!h.dataHasAggs) {
          h.dataHasAggs = true;
          h.aggs.length = 0;
          h.pending = undefined;
        }
        pushBounded(h.aggs, { a: e.aggTradeId, priceTicks: e.priceTicks, qtyLots: e.qtyLots, f: e.firstTradeId, l: e.lastTradeId, timeMs: t, buyerIsMaker: e.buyerIsMaker, matchUs: e.tsTransactUs }, this.tradeCap);
        if (!h.dataHasTrades) this.addToKlines(h, t, e.priceTicks, e.qtyLots, Math.max(1, e.lastTradeId - e.firstTradeId + 1), !e.buyerIsMaker, e.firstTradeId, e.lastTradeId);
        break;
      case 'markPrice':
        h.mark = e;
        h.markAtMs = t;
        break;
      default:
        break;
    }
  }

  /** Closes the aggregate being built (`by`: the event that closed it): served from now on, by REST and on `@aggTrade`. */
  private closePending(h: SymbolHistory, by: MarketEvent): void {
    const p = h.pending;
    if (p === undefined) return;
    pushBounded(h.aggs, p, this.tradeCap);
    h.pending = undefined;
    this.srv.streams.publishBuiltAggTrade({ type: 'aggTrade', symbol: by.symbol, tsExchangeUs: by.tsExchangeUs, tsReceiveUs: by.tsReceiveUs, tsTransactUs: p.matchUs, aggTradeId: p.a, firstTradeId: p.f, lastTradeId: p.l, priceTicks: p.priceTicks, qtyLots: p.qtyLots, buyerIsMaker: p.buyerIsMaker });
  }

  /** The klines of an interval built so far (oldest first, the open one last); empty for an unknown symbol or interval. */
  klinesOf(symbol: string, interval: string): readonly Kline[] {
    return this.bySymbol.get(symbol)?.klines.get(interval) ?? [];
  }

  private addToKlines(h: SymbolHistory, tMs: number, ticks: number, lots: number, count: number, takerBuy: boolean, firstId: number, lastId: number): void {
    const q = BigInt(ticks) * BigInt(lots);
    for (const [name, len] of Object.entries(KLINE_INTERVALS_MS)) {
      const list = h.klines.get(name)!;
      const open = Math.floor(tMs / len) * len;
      let k = list.length > 0 ? list[list.length - 1] : undefined;
      if (k === undefined || k.openMs < open) {
        k = { openMs: open, firstId, lastId, open: ticks, high: ticks, low: ticks, close: ticks, volLots: 0, quote: 0n, count: 0, takerBuyLots: 0, takerBuyQuote: 0n };
        pushBounded(list, k, this.klineCap);
      } else if (k.openMs > open) continue; // the clock never goes back; a late print is not rewritten into a past kline
      if (ticks > k.high) k.high = ticks;
      if (ticks < k.low) k.low = ticks;
      k.close = ticks;
      k.lastId = lastId;
      k.volLots += lots;
      k.quote += q;
      k.count += count;
      if (takerBuy) {
        k.takerBuyLots += lots;
        k.takerBuyQuote += q;
      }
    }
  }

  /** Registers the endpoints on the server. */
  register(): void {
    const srv = this.srv;
    srv.route('GET /fapi/v1/trades', ({ params }) => {
      srv.ex.pump();
      const inst = srv.instrument(params);
      const limit = limitParam(params, 500, 1000);
      const list = this.history(inst).trades;
      return ok(list.slice(Math.max(0, list.length - limit)).map((t) => tradeJson(t, inst)));
    });
    srv.route('GET /fapi/v1/historicalTrades', ({ params, apiKey }) => {
      srv.auth.account(apiKey); // MARKET_DATA: the API key is required, no signature
      srv.ex.pump();
      const inst = srv.instrument(params);
      const limit = limitParam(params, 100, 500);
      const fromId = optionalInt(params, 'fromId');
      const list = this.history(inst).trades;
      const from = fromId === undefined ? Math.max(0, list.length - limit) : lowerBound(list, fromId, (t) => t.id);
      return ok(list.slice(from, from + limit).map((t) => tradeJson(t, inst)));
    });
    srv.route('GET /fapi/v1/aggTrades', ({ params }) => {
      srv.ex.pump();
      const inst = srv.instrument(params);
      return ok(this.aggTrades(inst, params).map((a) => ({ a: a.a, p: inst.ticksToPrice(a.priceTicks), q: inst.lotsToQty(a.qtyLots), f: a.f, l: a.l, T: a.timeMs, m: a.buyerIsMaker })));
    });
    srv.route('GET /fapi/v1/klines', ({ params }) => {
      srv.ex.pump();
      const inst = srv.instrument(params);
      const iv = params.get('interval');
      if (iv === undefined || iv === '') throw ERR.mandatory('interval');
      const len = KLINE_INTERVALS_MS[iv];
      if (len === undefined) throw new BinanceError(-1120, 'Invalid interval.');
      const limit = limitParam(params, 500, 1500);
      const { start, end } = timeRange(params);
      return ok(this.klines(inst, iv, len, limit, start, end, srv.nowMs()));
    });
    srv.route('GET /fapi/v1/premiumIndex', ({ params }) => {
      srv.ex.pump();
      const now = srv.nowMs();
      if (params.get('symbol') === undefined) return ok([...srv.ex.instruments.values()].map((i) => this.premiumIndex(i, now)));
      return ok(this.premiumIndex(srv.instrument(params), now));
    });
  }

  private history(inst: Instrument): SymbolHistory {
    return this.bySymbol.get(inst.symbol)!;
  }

  private aggTrades(inst: Instrument, p: Map<string, string>): AggRec[] {
    const limit = limitParam(p, 500, 1000);
    const fromId = optionalInt(p, 'fromId');
    const { start, end } = timeRange(p);
    if (start !== undefined && end !== undefined && end - start > HOUR_MS) throw new BinanceError(-1127, 'More than 1 hours between startTime and endTime.');
    const list = this.history(inst).aggs;
    let lo = 0;
    let hi = list.length; // exclusive
    if (fromId !== undefined) lo = lowerBound(list, fromId, (a) => a.a);
    if (start !== undefined) lo = Math.max(lo, lowerBound(list, start, (a) => a.timeMs));
    if (end !== undefined) hi = Math.min(hi, lowerBound(list, end + 1, (a) => a.timeMs));
    if (hi <= lo) return [];
    // From a start (id or time): the first `limit`; otherwise the latest `limit` up to the end.
    return fromId !== undefined || start !== undefined ? list.slice(lo, Math.min(hi, lo + limit)) : list.slice(Math.max(lo, hi - limit), hi);
  }

  private klines(inst: Instrument, name: string, len: number, limit: number, start: number | undefined, end: number | undefined, nowMs: number): unknown[] {
    const list = this.history(inst).klines.get(name)!;
    if (list.length === 0) return [];
    const nowOpen = Math.floor(nowMs / len) * len;
    const lo = Math.max(list[0].openMs, start === undefined ? -Infinity : Math.ceil(start / len) * len);
    const hi = Math.min(nowOpen, end === undefined ? Infinity : Math.floor(end / len) * len);
    if (hi < lo) return [];
    const count = Math.min(limit, (hi - lo) / len + 1);
    const first = start !== undefined ? lo : hi - (count - 1) * len;
    const out: unknown[] = [];
    const tick = parseDecimal(inst.spec.tickSize);
    const step = parseDecimal(inst.spec.stepSize);
    let i = lowerBound(list, first, (k) => k.openMs);
    let prevClose = i > 0 ? list[i - 1].close : list[0].open;
    for (let t = first, n = 0; n < count; t += len, n++) {
      let k: Kline;
      if (i < list.length && list[i].openMs === t) k = list[i++];
      else k = { openMs: t, firstId: -1, lastId: -1, open: prevClose, high: prevClose, low: prevClose, close: prevClose, volLots: 0, quote: 0n, count: 0, takerBuyLots: 0, takerBuyQuote: 0n };
      prevClose = k.close;
      out.push([
        k.openMs, inst.ticksToPrice(k.open), inst.ticksToPrice(k.high), inst.ticksToPrice(k.low), inst.ticksToPrice(k.close), inst.lotsToQty(k.volLots),
        k.openMs + len - 1, quoteString(k.quote, tick, step), k.count, inst.lotsToQty(k.takerBuyLots), quoteString(k.takerBuyQuote, tick, step), '0',
      ]);
    }
    return out;
  }

  private premiumIndex(inst: Instrument, nowMs: number): Record<string, unknown> {
    const m = this.history(inst).mark;
    const mid = midPrice(this.srv, inst);
    const markPrice = m !== undefined && m.markPrice !== '' ? m.markPrice : mid;
    const indexPrice = m !== undefined && m.indexPrice !== '' ? m.indexPrice : markPrice;
    const rate = m !== undefined && m.fundingRate !== '' ? m.fundingRate : '0.00000000';
    const next = m !== undefined && m.nextFundingTimeUs >= 0 ? ms(this.srv.ex.mapUs(m.nextFundingTimeUs)) : Math.floor(nowMs / FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS;
    return { symbol: inst.symbol, markPrice, indexPrice, estimatedSettlePrice: indexPrice, lastFundingRate: rate, nextFundingTime: next, interestRate: '0.00010000', time: nowMs };
  }
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function tradeJson(t: TradeRec, inst: Instrument): Record<string, unknown> {
  const price = inst.ticksToPrice(t.priceTicks);
  const qty = inst.lotsToQty(t.qtyLots);
  const p = parseDecimal(price);
  const q = parseDecimal(qty);
  return { id: t.id, price, qty, quoteQty: formatScaled(p.units * q.units, p.scale + q.scale), time: t.timeMs, isBuyerMaker: t.buyerIsMaker, isRPITrade: false };
}

/** Σ ticks × lots as a quote amount: × tickSize × stepSize, exact. */
/** A kline as the `<s>@kline_<i>` stream sends it (`x`: closed). */
export function klineStreamPayload(inst: Instrument, interval: string, k: Kline, closed: boolean, eventMs: number): object {
  const tick = parseDecimal(inst.spec.tickSize);
  const step = parseDecimal(inst.spec.stepSize);
  const len = KLINE_INTERVALS_MS[interval];
  return {
    e: 'kline', E: eventMs, s: inst.symbol,
    k: {
      t: k.openMs, T: k.openMs + len - 1, s: inst.symbol, i: interval, f: k.firstId, L: k.lastId,
      o: inst.ticksToPrice(k.open), c: inst.ticksToPrice(k.close), h: inst.ticksToPrice(k.high), l: inst.ticksToPrice(k.low),
      v: inst.lotsToQty(k.volLots), n: k.count, x: closed, q: quoteString(k.quote, tick, step), V: inst.lotsToQty(k.takerBuyLots), Q: quoteString(k.takerBuyQuote, tick, step), B: '0',
    },
  };
}

function quoteString(tickLots: bigint, tick: ScaledDecimal, step: ScaledDecimal): string {
  return formatScaled(tickLots * tick.units * step.units, tick.scale + step.scale);
}

/** The book's mid at 8 decimals ("0" without a two-sided book). */
function midPrice(srv: ExchangeServer, inst: Instrument): string {
  const book = srv.ex.book(inst.symbol)!;
  const bid = book.bestBidTicks();
  const ask = book.bestAskTicks();
  if (!Number.isFinite(bid) || !Number.isFinite(ask)) return '0.00000000';
  const tick = parseDecimal(inst.spec.tickSize);
  // (bid + ask) / 2 × tick at 8 decimals: exact while the tick has at most 7 decimals, as every USDⓈ-M tick has.
  const units = (BigInt(bid + ask) * tick.units * 10n ** BigInt(8 - tick.scale)) / 2n;
  const digits = units.toString().padStart(9, '0');
  return `${digits.slice(0, -8)}.${digits.slice(-8)}`;
}

/** First index whose key is ≥ `x` in a list sorted by key. */
function lowerBound<T>(list: readonly T[], x: number, key: (t: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
