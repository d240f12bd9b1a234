/**
 * Binance's own CSV files: data.binance.vision USDⓈ-M dumps and the historical order-book product
 * (`depth-snap` / `depth-update`). Neither carries a receive time, so every event has
 * tsReceiveUs = tsExchangeUs. Epoch columns are read by magnitude (ms today; µs if Binance moves
 * futures to µs as it did spot). The symbol of a data.binance.vision file comes from its name
 * (`BTCUSDT-trades-2024-01-01.zip`) or the `symbol` option; the order-book CSV names it per row.
 *
 * - `trades` → Trade, `aggTrades` → AggTrade, `bookTicker` → BookTicker (event_time is the exchange time).
 *   Match time (tsTransactUs): trades `time` and aggTrades `transact_time` are Binance's `T`, the
 *   only stamp those files have (so tsExchangeUs = tsTransactUs = T); bookTicker `transaction_time`.
 * - `fundingRate` → MarkPrice with only fundingRate set, at calc_time; nextFundingTimeUs = calc_time,
 *   the funding time that rate is charged at.
 * - `klines` / `markPriceKlines` / `indexPriceKlines` → MarkPrice at close_time carrying the close:
 *   as markPrice (klines: the last-trade close, a proxy for the mark) or as indexPrice.
 * - depth CSV: rows sharing (timestamp, last_update_id, update_type) form one event; `snap` rows a
 *   DepthSnapshot (lastUpdateId = last_update_id), `set` rows a DepthDiff (U, u, pu).
 */
import type { AggTrade, BookTicker, DepthDiff, DepthSnapshot, MarketEvent, MarkPrice, Trade } from '../model/events.ts';
import { CsvParser } from './csv.ts';
import { csvBool, csvInt, decimalText, epochToUs, fieldError, priceTicks, qtyLots, type ParseContext } from '../wire/index.ts';
import type { FormatId } from './types.ts';

const KLINE = ['open_time', 'open', 'high', 'low', 'close', 'volume', 'close_time', 'quote_volume', 'count', 'taker_buy_volume', 'taker_buy_quote_volume', 'ignore'] as const;

export const VISION_HEADERS = {
  'vision-trades': ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker'],
  'vision-aggtrades': ['agg_trade_id', 'price', 'quantity', 'first_trade_id', 'last_trade_id', 'transact_time', 'is_buyer_maker'],
  'vision-bookticker': ['update_id', 'best_bid_price', 'best_bid_qty', 'best_ask_price', 'best_ask_qty', 'transaction_time', 'event_time'],
  'vision-funding-rate': ['calc_time', 'funding_interval_hours', 'last_funding_rate'],
  'vision-klines': KLINE,
  'vision-mark-price-klines': KLINE,
  'vision-index-price-klines': KLINE,
  'binance-depth-csv': ['symbol', 'timestamp', 'first_update_id', 'last_update_id', 'side', 'update_type', 'price', 'qty', 'pu'],
} as const satisfies Partial<Record<FormatId, readonly string[]>>;

/** A data.binance.vision file: one symbol, fixed column order (checked against the header when there is one). */
export class VisionParser extends CsvParser {
  constructor(
    private readonly format: Exclude<keyof typeof VISION_HEADERS, 'binance-depth-csv'>,
    hasHeader: boolean,
    private readonly symbol: string,
  ) {
    super(VISION_HEADERS[format], hasHeader);
  }

  private time(text: string, ctx: ParseContext, field: string): number {
    const us = epochToUs(text, ctx, field);
    ctx.receiveTime(us, field);
    return us;
  }

  protected parseRow(c: string[], ctx: ParseContext, out: MarketEvent[]): void {
    const symbol = this.symbol;
    // Funding and kline rows carry decimal strings only (no ticks or lots), so they need no spec.
    const inst = this.format === 'vision-funding-rate' || this.format.endsWith('klines') ? null : ctx.instrument(symbol);
    switch (this.format) {
      case 'vision-trades': {
        const ts = this.time(c[4], ctx, 'time');
        ctx.field = 'price';
        const p = priceTicks(inst!, c[1], ctx);
        ctx.field = 'qty';
        const q = qtyLots(inst!, c[2], ctx);
        const ev: Trade = { type: 'trade', symbol, tsExchangeUs: ts, tsReceiveUs: ts, tsTransactUs: ts, tradeId: csvInt(c[0], ctx, 'id'), priceTicks: p, qtyLots: q, buyerIsMaker: csvBool(c[5], ctx, 'is_buyer_maker') };
        out.push(ev);
        return;
      }
      case 'vision-aggtrades': {
        const ts = this.time(c[5], ctx, 'transact_time');
        ctx.field = 'price';
        const p = priceTicks(inst!, c[1], ctx);
        ctx.field = 'quantity';
        const q = qtyLots(inst!, c[2], ctx);
        const ev: AggTrade = {
          type: 'aggTrade',
          symbol,
          tsExchangeUs: ts,
          tsReceiveUs: ts,
          tsTransactUs: ts,
          aggTradeId: csvInt(c[0], ctx, 'agg_trade_id'),
          firstTradeId: csvInt(c[3], ctx, 'first_trade_id'),
          lastTradeId: csvInt(c[4], ctx, 'last_trade_id'),
          priceTicks: p,
          qtyLots: q,
          buyerIsMaker: csvBool(c[6], ctx, 'is_buyer_maker'),
        };
        out.push(ev);
        return;
      }
      case 'vision-bookticker': {
        const ts = this.time(c[6], ctx, 'event_time');
        ctx.field = 'best_bid_price';
        const bidTicks = priceTicks(inst!, c[1], ctx);
        ctx.field = 'best_bid_qty';
        const bidLots = qtyLots(inst!, c[2], ctx);
        ctx.field = 'best_ask_price';
        const askTicks = priceTicks(inst!, c[3], ctx);
        ctx.field = 'best_ask_qty';
        const askLots = qtyLots(inst!, c[4], ctx);
        const tsTransactUs = epochToUs(c[5], ctx, 'transaction_time');
        const ev: BookTicker = { type: 'bookTicker', symbol, tsExchangeUs: ts, tsReceiveUs: ts, tsTransactUs, updateId: csvInt(c[0], ctx, 'update_id'), bidTicks, bidLots, askTicks, askLots };
        out.push(ev);
        return;
      }
      case 'vision-funding-rate': {
        const ts = this.time(c[0], ctx, 'calc_time');
        const rate = decimalText(c[2], ctx, 'last_funding_rate');
        if (rate === '') throw fieldError(ctx, 'last_funding_rate', 'empty funding rate');
        const ev: MarkPrice = { type: 'markPrice', symbol, tsExchangeUs: ts, tsReceiveUs: ts, markPrice: '', indexPrice: '', fundingRate: rate, nextFundingTimeUs: ts };
        out.push(ev);
        return;
      }
      default: {
        const ts = this.time(c[6], ctx, 'close_time');
        const close = decimalText(c[4], ctx, 'close');
        if (close === '' || close.startsWith('-')) throw fieldError(ctx, 'close', `price must be positive, got "${c[4]}"`);
        const isIndex = this.format === 'vision-index-price-klines';
        const ev: MarkPrice = { type: 'markPrice', symbol, tsExchangeUs: ts, tsReceiveUs: ts, markPrice: isIndex ? '' : close, indexPrice: isIndex ? close : '', fundingRate: '', nextFundingTimeUs: -1 };
        out.push(ev);
      }
    }
  }
}

interface PendingDepth {
  key: string;
  symbol: string;
  snapshot: boolean;
  tsUs: number;
  firstUpdateId: number;
  lastUpdateId: number;
  pu: number;
  bidTicks: number[];
  bidLots: number[];
  askTicks: number[];
  askLots: number[];
}

/** Binance historical order-book CSV (`symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu`). */
export class BinanceDepthCsvParser extends CsvParser {
  private pending: PendingDepth | null = null;

  constructor(hasHeader: boolean) {
    super(VISION_HEADERS['binance-depth-csv'], hasHeader);
  }

  protected parseRow(c: string[], ctx: ParseContext, out: MarketEvent[]): void {
    const updateType = c[5];
    if (updateType !== 'snap' && updateType !== 'set') throw fieldError(ctx, 'update_type', `expected snap or set, got "${updateType}"`);
    const key = `${c[0]},${c[1]},${c[3]},${updateType}`;
    if (this.pending === null || this.pending.key !== key) {
      this.flush(out);
      const symbol = c[0].toUpperCase();
      if (symbol.length === 0) throw fieldError(ctx, 'symbol', 'empty symbol');
      const tsUs = epochToUs(c[1], ctx, 'timestamp');
      ctx.receiveTime(tsUs, 'timestamp');
      this.pending = {
        key,
        symbol,
        snapshot: updateType === 'snap',
        tsUs,
        firstUpdateId: csvInt(c[2], ctx, 'first_update_id'),
        lastUpdateId: csvInt(c[3], ctx, 'last_update_id'),
        pu: csvInt(c[8], ctx, 'pu', true),
        bidTicks: [],
        bidLots: [],
        askTicks: [],
        askLots: [],
      };
    }
    const g = this.pending;
    const inst = ctx.instrument(g.symbol);
    ctx.field = 'price';
    const t = priceTicks(inst!, c[6], ctx);
    ctx.field = 'qty';
    const l = qtyLots(inst!, c[7], ctx);
    const side = c[4];
    if (side === 'b') {
      g.bidTicks.push(t);
      g.bidLots.push(l);
    } else if (side === 'a') {
      g.askTicks.push(t);
      g.askLots.push(l);
    } else throw fieldError(ctx, 'side', `expected a or b, got "${side}"`);
  }

  private flush(out: MarketEvent[]): void {
    const g = this.pending;
    if (g === null) return;
    this.pending = null;
    if (g.snapshot) {
      const ev: DepthSnapshot = { type: 'snapshot', symbol: g.symbol, tsExchangeUs: g.tsUs, tsReceiveUs: g.tsUs, tsTransactUs: g.tsUs, lastUpdateId: g.lastUpdateId, bidTicks: g.bidTicks, bidLots: g.bidLots, askTicks: g.askTicks, askLots: g.askLots };
      out.push(ev);
    } else {
      const ev: DepthDiff = {
        type: 'depth',
        symbol: g.symbol,
        tsExchangeUs: g.tsUs,
        tsReceiveUs: g.tsUs,
        tsTransactUs: g.tsUs,
        firstUpdateId: g.firstUpdateId,
        finalUpdateId: g.lastUpdateId,
        prevFinalUpdateId: g.pu,
        bidTicks: g.bidTicks,
        bidLots: g.bidLots,
        askTicks: g.askTicks,
        askLots: g.askLots,
      };
      out.push(ev);
    }
  }

  override finish(_ctx: ParseContext, out: MarketEvent[]): void {
    this.flush(out);
  }
}
