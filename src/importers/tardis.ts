/**
 * Tardis.dev downloadable CSV files (exchange `binance-futures`). Times are µs: `timestamp` is the
 * exchange time, `local_timestamp` the receive time. Columns are found by header name.
 *
 * - `incremental_book_L2`: rows of one message share `local_timestamp`; consecutive rows with the same
 *   (symbol, local_timestamp, is_snapshot) become one DepthDiff (or DepthSnapshot when is_snapshot),
 *   with update ids -1 because Tardis drops them. Rows before a symbol's first snapshot are skipped.
 * - `trades` → Trade (side is the taker side: sell ⇒ buyerIsMaker; "unknown" ⇒ false, with a warning).
 * - `quotes` → BookTicker with updateId -1; a row with an empty side is skipped (counted).
 * - `book_snapshot_25` / `book_snapshot_5` → top-N DepthSnapshot, lastUpdateId -1; empty levels end the side.
 * - `derivative_ticker` → MarkPrice (mark_price, index_price, funding_rate, funding_timestamp).
 *
 * Match time (tsTransactUs): each row has one exchange time, `timestamp`, and it is the event's only
 * stamp: tsTransactUs = tsExchangeUs. Tardis (tardis-node's Binance mappers) takes it from `T` for
 * trades and quotes (bookTicker), so those carry the match time; from `E` for book diffs, and from
 * the REST snapshot's `T` for snapshots. Tardis also leaves out INSURANCE_FUND and ADL trades.
 */
import type { BookTicker, DepthDiff, DepthSnapshot, MarketEvent, MarkPrice, Trade } from '../model/events.ts';
import { CsvParser } from './csv.ts';
import { csvBool, csvInt, decimalText, epochInUnitToUs, fieldError, priceTicks, qtyLots, type ParseContext } from '../wire/index.ts';
import type { FileImportStats } from './types.ts';

const BASE = ['exchange', 'symbol', 'timestamp', 'local_timestamp'] as const;

export const TARDIS_HEADERS = {
  'tardis-incremental-book-l2': [...BASE, 'is_snapshot', 'side', 'price', 'amount'],
  'tardis-trades': [...BASE, 'id', 'side', 'price', 'amount'],
  'tardis-quotes': [...BASE, 'ask_amount', 'ask_price', 'bid_price', 'bid_amount'],
  'tardis-derivative-ticker': [...BASE, 'funding_timestamp', 'funding_rate', 'predicted_funding_rate', 'open_interest', 'last_price', 'index_price', 'mark_price'],
} as const;

abstract class TardisParser extends CsvParser {
  protected readonly iSymbol = this.col('symbol');
  protected readonly iTs = this.col('timestamp');
  protected readonly iLocal = this.col('local_timestamp');

  /** Stamps of a row: [tsExchangeUs, tsReceiveUs], with the receive-time order check. */
  protected stamps(cells: string[], ctx: ParseContext): [number, number] {
    const ex = epochInUnitToUs(cells[this.iTs], 'us', ctx, 'timestamp');
    const rx = epochInUnitToUs(cells[this.iLocal], 'us', ctx, 'local_timestamp');
    ctx.receiveTime(rx, 'local_timestamp');
    return [ex, rx];
  }

  protected symbol(cells: string[], ctx: ParseContext): string {
    const s = cells[this.iSymbol];
    if (s.length === 0) throw fieldError(ctx, 'symbol', 'empty symbol');
    return s.toUpperCase();
  }

  override receiveTimeUnit(): FileImportStats['receiveTimeUnit'] {
    return this.rows > 0 ? 'us' : null;
  }
}

export class TardisTradesParser extends TardisParser {
  private readonly iId = this.col('id');
  private readonly iSide = this.col('side');
  private readonly iPrice = this.col('price');
  private readonly iAmount = this.col('amount');
  private unknownSides = 0;

  protected parseRow(c: string[], ctx: ParseContext, out: MarketEvent[]): void {
    const symbol = this.symbol(c, ctx);
    const inst = ctx.instrument(symbol);
    const [tsExchangeUs, tsReceiveUs] = this.stamps(c, ctx);
    const side = c[this.iSide];
    let buyerIsMaker: boolean;
    if (side === 'sell') buyerIsMaker = true;
    else if (side === 'buy') buyerIsMaker = false;
    else if (side === 'unknown') {
      buyerIsMaker = false;
      this.unknownSides++;
    } else throw fieldError(ctx, 'side', `expected buy, sell or unknown, got "${side}"`);
    ctx.field = 'price';
    const p = priceTicks(inst, c[this.iPrice], ctx);
    ctx.field = 'amount';
    const q = qtyLots(inst, c[this.iAmount], ctx);
    const ev: Trade = { type: 'trade', symbol, tsExchangeUs, tsReceiveUs, tsTransactUs: tsExchangeUs, tradeId: csvInt(c[this.iId], ctx, 'id'), priceTicks: p, qtyLots: q, buyerIsMaker };
    out.push(ev);
  }

  override finish(ctx: ParseContext): void {
    if (this.unknownSides > 0) ctx.warn('W_UNKNOWN_SIDE', `${this.unknownSides} trades with side "unknown" were imported with buyerIsMaker = false`);
  }
}

export class TardisQuotesParser extends TardisParser {
  private readonly iAskQty = this.col('ask_amount');
  private readonly iAskPx = this.col('ask_price');
  private readonly iBidPx = this.col('bid_price');
  private readonly iBidQty = this.col('bid_amount');

  protected parseRow(c: string[], ctx: ParseContext, out: MarketEvent[]): void {
    const symbol = this.symbol(c, ctx);
    const inst = ctx.instrument(symbol);
    const [tsExchangeUs, tsReceiveUs] = this.stamps(c, ctx);
    if (c[this.iAskPx] === '' || c[this.iBidPx] === '') {
      // One side of the book was empty: there is no best bid/ask pair to report.
      ctx.skipRow();
      return;
    }
    ctx.field = 'bid_price';
    const bidTicks = priceTicks(inst, c[this.iBidPx], ctx);
    ctx.field = 'bid_amount';
    const bidLots = qtyLots(inst, c[this.iBidQty], ctx);
    ctx.field = 'ask_price';
    const askTicks = priceTicks(inst, c[this.iAskPx], ctx);
    ctx.field = 'ask_amount';
    const askLots = qtyLots(inst, c[this.iAskQty], ctx);
    const ev: BookTicker = { type: 'bookTicker', symbol, tsExchangeUs, tsReceiveUs, tsTransactUs: tsExchangeUs, updateId: -1, bidTicks, bidLots, askTicks, askLots };
    out.push(ev);
  }
}

export class TardisBookSnapshotParser extends TardisParser {
  private readonly levels: { bidPx: number[]; bidQty: number[]; askPx: number[]; askQty: number[] } = { bidPx: [], bidQty: [], askPx: [], askQty: [] };

  constructor(columns: readonly string[], hasHeader: boolean) {
    super(columns, hasHeader);
    for (let i = 0; this.hasCol(`asks[${i}].price`) || this.hasCol(`bids[${i}].price`); i++) {
      if (this.hasCol(`asks[${i}].price`)) {
        this.levels.askPx.push(this.col(`asks[${i}].price`));
        this.levels.askQty.push(this.col(`asks[${i}].amount`));
      }
      if (this.hasCol(`bids[${i}].price`)) {
        this.levels.bidPx.push(this.col(`bids[${i}].price`));
        this.levels.bidQty.push(this.col(`bids[${i}].amount`));
      }
    }
  }

  protected parseRow(c: string[], ctx: ParseContext, out: MarketEvent[]): void {
    const symbol = this.symbol(c, ctx);
    const inst = ctx.instrument(symbol);
    const [tsExchangeUs, tsReceiveUs] = this.stamps(c, ctx);
    const ev: DepthSnapshot = { type: 'snapshot', symbol, tsExchangeUs, tsReceiveUs, tsTransactUs: tsExchangeUs, lastUpdateId: -1, bidTicks: [], bidLots: [], askTicks: [], askLots: [] };
    this.side(c, ctx, inst, 'bids', this.levels.bidPx, this.levels.bidQty, ev.bidTicks, ev.bidLots);
    this.side(c, ctx, inst, 'asks', this.levels.askPx, this.levels.askQty, ev.askTicks, ev.askLots);
    out.push(ev);
  }

  private side(c: string[], ctx: ParseContext, inst: ReturnType<ParseContext['instrument']>, name: string, px: number[], qty: number[], ticks: number[], lots: number[]): void {
    for (let i = 0; i < px.length; i++) {
      const p = c[px[i]];
      if (p === '') break;
      ctx.field = `${name}[${i}].price`;
      ticks.push(priceTicks(inst, p, ctx));
      ctx.field = `${name}[${i}].amount`;
      lots.push(qtyLots(inst, c[qty[i]], ctx));
    }
  }
}

export class TardisDerivativeTickerParser extends TardisParser {
  private readonly iFundingTs = this.col('funding_timestamp');
  private readonly iFunding = this.col('funding_rate');
  private readonly iIndex = this.col('index_price');
  private readonly iMark = this.col('mark_price');

  protected parseRow(c: string[], ctx: ParseContext, out: MarketEvent[]): void {
    const symbol = this.symbol(c, ctx);
    // Mark/index/funding stay decimal strings (no ticks or lots), so these rows need no spec.
    const [tsExchangeUs, tsReceiveUs] = this.stamps(c, ctx);
    const ft = c[this.iFundingTs];
    const ev: MarkPrice = {
      type: 'markPrice',
      symbol,
      tsExchangeUs,
      tsReceiveUs,
      markPrice: decimalText(c[this.iMark], ctx, 'mark_price'),
      indexPrice: decimalText(c[this.iIndex], ctx, 'index_price'),
      fundingRate: decimalText(c[this.iFunding], ctx, 'funding_rate'),
      nextFundingTimeUs: ft === '' ? -1 : epochInUnitToUs(ft, 'us', ctx, 'funding_timestamp'),
    };
    out.push(ev);
  }
}

interface PendingGroup {
  symbol: string;
  localText: string;
  snapshot: boolean;
  tsExchangeUs: number;
  tsReceiveUs: number;
  bidTicks: number[];
  bidLots: number[];
  askTicks: number[];
  askLots: number[];
}

export class TardisIncrementalBookParser extends TardisParser {
  private readonly iSnap = this.col('is_snapshot');
  private readonly iSide = this.col('side');
  private readonly iPrice = this.col('price');
  private readonly iAmount = this.col('amount');
  private readonly synced = new Set<string>();
  private pending: PendingGroup | null = null;

  protected parseRow(c: string[], ctx: ParseContext, out: MarketEvent[]): void {
    const symbol = this.symbol(c, ctx);
    const snapshot = csvBool(c[this.iSnap], ctx, 'is_snapshot');
    const localText = c[this.iLocal];
    const p = this.pending;
    if (p === null || p.symbol !== symbol || p.localText !== localText || p.snapshot !== snapshot) {
      this.flush(out);
      if (snapshot) this.synced.add(symbol);
      const [tsExchangeUs, tsReceiveUs] = this.stamps(c, ctx);
      if (!this.synced.has(symbol)) {
        ctx.skipRow();
        return;
      }
      this.pending = { symbol, localText, snapshot, tsExchangeUs, tsReceiveUs, bidTicks: [], bidLots: [], askTicks: [], askLots: [] };
    }
    const g = this.pending as PendingGroup;
    const inst = ctx.instrument(symbol);
    const side = c[this.iSide];
    ctx.field = 'price';
    const t = priceTicks(inst, c[this.iPrice], ctx);
    ctx.field = 'amount';
    const l = qtyLots(inst, c[this.iAmount], ctx);
    if (side === 'bid') {
      g.bidTicks.push(t);
      g.bidLots.push(l);
    } else if (side === 'ask') {
      g.askTicks.push(t);
      g.askLots.push(l);
    } else throw fieldError(ctx, 'side', `expected bid or ask, got "${side}"`);
  }

  private flush(out: MarketEvent[]): void {
    const g = this.pending;
    if (g === null) return;
    this.pending = null;
    const base = { symbol: g.symbol, tsExchangeUs: g.tsExchangeUs, tsReceiveUs: g.tsReceiveUs, tsTransactUs: g.tsExchangeUs };
    if (g.snapshot) {
      const ev: DepthSnapshot = { type: 'snapshot', ...base, lastUpdateId: -1, bidTicks: g.bidTicks, bidLots: g.bidLots, askTicks: g.askTicks, askLots: g.askLots };
      out.push(ev);
    } else {
      const ev: DepthDiff = { type: 'depth', ...base, firstUpdateId: -1, finalUpdateId: -1, prevFinalUpdateId: -1, bidTicks: g.bidTicks, bidLots: g.bidLots, askTicks: g.askTicks, askLots: g.askLots };
      out.push(ev);
    }
  }

  override finish(_ctx: ParseContext, out: MarketEvent[]): void {
    this.flush(out);
  }
}
