/**
 * What the simulated exchange keeps about one symbol (`SymbolState`): its replayed book, filters
 * and fee rates, our open orders in time priority, the exchange's position (one-way and hedge
 * sides), the last mark price, the data-mode funding announcement, and what our taker fills took
 * from each level of the book (`depletedBid`/`depletedAsk`, with `availableLots` and
 * `refreshLevels`). Prices ticks, quantities lots; fee rates and the mark exact decimals.
 */
import type { L2Book } from '../book/index.ts';
import { MarketBook, type BookSource } from '../marketdata/index.ts';
import type { Instrument } from '../model/instrument.ts';
import { parseDecimal, type ScaledDecimal } from '../model/money.ts';
import { OrderFilters, type FilterMarket } from './filters.ts';
import type { SymbolFunding } from './funding.ts';
import type { MarginSymbol } from './margin.ts';
import type { SimOrder } from './order.ts';
import type { FeeRates } from './types.ts';

/** A level's market quantity less what our own taker fills took from it. */
export function availableLots(depleted: Map<number, number>, priceTicks: number, lots: number): number {
  const d = depleted.get(priceTicks);
  return d === undefined ? lots : lots > d ? lots - d : 0;
}

/** The market updated these levels: our depletion of them is over. */
export function refreshLevels(depleted: Map<number, number>, ticks: ArrayLike<number>, start: number, end: number): void {
  for (let i = start; i < end; i++) depleted.delete(ticks[i]);
}

/** Everything the exchange keeps about one symbol. */
export class SymbolState implements SymbolFunding, MarginSymbol {
  /** The replayed book (fused depth + bookTicker by default, depth only, or top of book): marketdata's one book keeper. */
  readonly marketBook: MarketBook;
  readonly filters: OrderFilters;
  readonly makerRate: ScaledDecimal;
  readonly takerRate: ScaledDecimal;
  /** Open orders in time priority (a modified order moves to the back). */
  resting: SimOrder[] = [];
  readonly open = new Map<string, SimOrder>();
  reduceOnlyResting = 0;
  /** Set when an order in `resting` has closed; `compact` clears it. */
  needsCompact = false;
  positionLots = 0;
  /** Hedge mode: the LONG and SHORT positions (both ≥ 0; `positionLots` stays their net). */
  longLots = 0;
  shortLots = 0;
  /** Last mark price (null until one is seen), and in ticks (a float, for the liquidation trigger). */
  mark: ScaledDecimal | null = null;
  markTicks = NaN;
  tradeSeen = false;
  readonly market: FilterMarket = { mark: null, maxBuyTicks: Infinity, minSellTicks: -Infinity, oppositeBestTicks: NaN };
  // Funding (data mode): the announced next funding time and the rate announced for it.
  pendingFundingUs = -1;
  pendingRate = '';
  lastSettledUs = -Infinity;
  /**
   * Lots our own taker fills took from each level of the replayed book (price → lots), subtracted
   * from that level until the market next updates it (a diff or bookTicker naming the price, or a
   * snapshot): the replayed book itself never holds our trades.
   */
  readonly depletedBid = new Map<number, number>();
  readonly depletedAsk = new Map<number, number>();

  constructor(readonly inst: Instrument, fees: FeeRates, bookSource: BookSource) {
    this.marketBook = new MarketBook(inst.symbol, bookSource);
    this.filters = new OrderFilters(inst);
    this.makerRate = parseDecimal(fees.makerRate, `fees.${inst.symbol}.makerRate`);
    this.takerRate = parseDecimal(fees.takerRate, `fees.${inst.symbol}.takerRate`);
  }

  /** The book matching reads: the replayed book without our orders. */
  get book(): L2Book {
    return this.marketBook.book;
  }

  /** Σ remaining lots of open orders of one side that are not reduce-only (margin.ts). */
  openLots(isBuy: boolean): number {
    let n = 0;
    for (const o of this.resting) if (o.isOpen && o.isBuy === isBuy && !o.closing) n += o.remainingLots;
    return n;
  }

  /** Hedge mode: Σ remaining lots of open orders opening `side` (BUY LONG, SELL SHORT). */
  openingLots(side: 'LONG' | 'SHORT'): number {
    let n = 0;
    for (const o of this.resting) if (o.isOpen && o.positionSide === side && !o.closing) n += o.remainingLots;
    return n;
  }

  /** Book mid as an exact decimal, null when a side is empty. */
  midExact(): ScaledDecimal | null {
    const b = this.book.bestBidTicks();
    const a = this.book.bestAskTicks();
    if (Number.isNaN(b) || Number.isNaN(a)) return null;
    return { units: BigInt(a + b) * BigInt(this.inst.tickUnits) * 5n, scale: this.inst.priceDecimals + 1 };
  }
}
