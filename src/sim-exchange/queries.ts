/**
 * Queries, a layer of the `SimExchange` chain (exchange.ts): what the exchange shows without
 * changing anything — the account as it sees it (`accountSync`, equity, reference prices), the
 * replayed book, our open orders and positions, and the answer to `GET /fapi/v1/order`
 * (`query`: open orders, and ended ones within the retention). Also `changeLeverage`, the
 * account's leverage setting. Prices ticks, quantities lots, amounts exact decimal strings.
 */
import type { BookView } from '../book/index.ts';
import type { Side } from '../model/events.ts';
import { formatScaled } from '../model/money.ts';
import type { AccountSync, VenueOrder } from '../model/venue.ts';
import { PositionModes } from './position-modes.ts';
import type { SimOrderView } from './types.ts';

/** The read side of the exchange (and its leverage setting). */
export abstract class ExchangeQueries extends PositionModes {
  /**
   * The account as the exchange sees it at `tsUs`: positions (from our fills) and open orders of
   * every symbol. The simulated exchange keeps no wallet, so `balances` is empty.
   */
  accountSync(tsUs: number): AccountSync {
    const positions = this.ordered.filter((s) => s.positionLots !== 0).map((s) => ({ symbol: s.inst.symbol, lots: s.positionLots, entryPrice: '' }));
    const openOrders: VenueOrder[] = [];
    for (const s of this.ordered) for (const o of s.resting) if (o.isOpen) openOrders.push(o.view());
    return { tsUs, symbols: this.ordered.map((s) => s.inst.symbol), positions, balances: [], openOrders };
  }

  /** The exchange-side margin balance (wallet + unrealized PnL at the reference prices, margin.ts), exact decimal string; null without an account. */
  accountEquity(): string | null {
    return this.account === null ? null : formatScaled(this.account.equityM(this.ordered), 24);
  }

  /**
   * Binance `POST /fapi/v1/leverage` on the exchange-side account: the symbol's new leverage for
   * the initial-margin check of later orders; false (unchanged) when lowering it would leave the
   * open positions and orders uncovered (-2028). Without an account it always succeeds.
   */
  changeLeverage(symbol: string, leverage: number): boolean {
    this.mustState(symbol);
    return this.account === null || this.account.changeLeverage(this.ordered, symbol, leverage);
  }

  /** The price margin and liquidation use for a symbol: its last mark, else the book mid; null when neither is known. */
  referencePrice(symbol: string): string | null {
    const s = this.mustState(symbol);
    const p = s.mark ?? s.midExact();
    return p === null ? null : formatScaled(p.units, p.scale);
  }

  /** The exchange's replayed book of a symbol (without our orders). */
  book(symbol: string): BookView {
    return this.mustState(symbol).book;
  }

  /** Open orders of a symbol in time priority. */
  openOrders(symbol: string): SimOrderView[] {
    return this.mustState(symbol).resting.map((o) => ({
      symbol: o.symbol, clientOrderId: o.clientOrderId, orderId: o.orderId, side: o.side, type: o.type, timeInForce: o.timeInForce,
      priceTicks: o.priceTicks, origQtyLots: o.origQtyLots, filledLots: o.filledLots, reduceOnly: o.reduceOnly, status: o.status,
      queueAheadLots: Math.max(o.front, 0),
    }));
  }

  /**
   * The best price of the orders `openOrders(symbol)` lists on one side (the highest buy, the
   * lowest sell), NaN when there is none; without a view per order (the report samples it every
   * second of a run).
   */
  bestOpenPriceTicks(symbol: string, side: Side): number {
    let best = NaN;
    const buy = side === 'buy';
    for (const o of this.mustState(symbol).resting) {
      if (o.side !== side) continue;
      if (buy ? !(o.priceTicks <= best) : !(o.priceTicks >= best)) best = o.priceTicks;
    }
    return best;
  }

  /** The symbols the exchange trades, in its order. */
  tradedSymbols(): string[] {
    return this.ordered.map((x) => x.inst.symbol);
  }

  /** Number of open orders of a symbol (no allocation, unlike `openOrders`). */
  openOrderCount(symbol: string): number {
    return this.mustState(symbol).resting.length;
  }

  /** The exchange's position of a symbol, lots (signed, from our fills only). */
  positionLots(symbol: string): number {
    return this.mustState(symbol).positionLots;
  }

  /** `GET /fapi/v1/order`: an open order, or one that ended within the retention; else -2013. */
  protected query(symbol: string, clientOrderId: string): void {
    const o = this.symbols.get(symbol)?.open.get(clientOrderId) ?? this.closed.get(clientOrderId);
    const result = o === undefined || o.symbol !== symbol ? { clientOrderId, found: false as const } : { found: true as const, ...o.view() };
    this.events.push({ kind: 'queryAnswer', symbol, result });
  }
}
