/**
 * Self-trade prevention (fill rule F10 of index.ts), a layer of the `SimExchange` chain
 * (exchange.ts): whether a price reaches one of our own orders on the other side (`crossesOwn`:
 * STP for a taker, −5022 for a post-only), the own orders a taker walk meets in price-time
 * priority (`ownOpposite`), and what happens when it meets one (`meetOwn`: the order's
 * `selfTradePreventionMode`, EXPIRE_MAKER by default, or NONE trading them with each other).
 */
import { byPriceAsc, byPriceDesc } from './exchange-state.ts';
import { Liquidation } from './liquidation.ts';
import type { SimOrder } from './order.ts';
import type { SymbolState } from './symbol-state.ts';

/** Our taker orders meeting our own resting orders. */
export abstract class SelfTradePrevention extends Liquidation {
  /** Whether one of our own open orders on the other side is at or through `priceTicks` (a self-cross: STP or -5022). */
  protected crossesOwn(s: SymbolState, isBuy: boolean, priceTicks: number, except?: SimOrder): boolean {
    for (const m of s.resting) {
      if (m.isOpen && m.isBuy !== isBuy && m !== except && (isBuy ? m.priceTicks <= priceTicks : m.priceTicks >= priceTicks)) return true;
    }
    return false;
  }

  /** Our open orders on the other side of taker `o` that it can reach (within its limit), in price-time priority. */
  protected ownOpposite(s: SymbolState, o: SimOrder, isMarket: boolean): SimOrder[] {
    const out = this.scratch;
    out.length = 0;
    for (const m of s.resting) {
      if (!m.isOpen || m.isBuy === o.isBuy || m === o) continue;
      if (isMarket || (o.isBuy ? m.priceTicks <= o.priceTicks : m.priceTicks >= o.priceTicks)) out.push(m);
    }
    if (out.length > 1) out.sort(o.isBuy ? byPriceAsc : byPriceDesc);
    return out;
  }

  /**
   * Taker `o` reaches our own resting order `m`: self-trade prevention (Binance `selfTradePreventionMode`).
   * EXPIRE_MAKER expires `m`, EXPIRE_TAKER the rest of `o`, EXPIRE_BOTH both (status EXPIRED_IN_MATCH);
   * NONE lets them trade with each other (both fills booked, the position nets out). Returns whether
   * the walk goes on.
   */
  protected meetOwn(s: SymbolState, o: SimOrder, m: SimOrder, tsUs: number): boolean {
    if (!o.isOpen) return false;
    if (!m.isOpen) return true;
    this.counters.selfTradesPrevented++;
    switch (o.stpMode) {
      case 'EXPIRE_MAKER':
        this.close(s, m, 'EXPIRED_IN_MATCH', tsUs);
        return true;
      case 'EXPIRE_TAKER':
        this.close(s, o, 'EXPIRED_IN_MATCH', tsUs);
        return false;
      case 'EXPIRE_BOTH':
        this.close(s, m, 'EXPIRED_IN_MATCH', tsUs);
        this.close(s, o, 'EXPIRED_IN_MATCH', tsUs);
        return false;
      case 'NONE': {
        this.counters.selfTradesPrevented--;
        const got = this.fill(s, o, Math.min(o.remainingLots, m.remainingLots), m.priceTicks, 'taker', tsUs);
        if (got > 0) this.fill(s, m, got, m.priceTicks, 'maker', tsUs);
        return o.isOpen;
      }
    }
  }
}
