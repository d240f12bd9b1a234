/**
 * An L2 (price-level) order book for one instrument.
 *
 * Units: prices are integer ticks, quantities integer lots of the instrument; both must be
 * integers (not checked on the hot path). Updates carry absolute quantities: 0 removes the level,
 * and removing a level that is not there is normal (Binance sends such deletes).
 *
 * Semantics: the book stores exactly what it is told. It does not repair a crossed book (best bid
 * >= best ask); `isCrossed()` reports it and the owner (see `BookSync`) decides. Validity and the
 * last update id are set by the owner; a bare book is valid and has update id -1.
 *
 * Speed: each side is a dense `PriceLadder` (see ladder.ts): setting a level is an array write plus
 * O(1) best-price bookkeeping, with no allocation. `applySideLevels` takes flat arrays with a
 * range so a replay from columnar batches needs no per-level objects.
 */
import type { BookSide } from '../model/events.ts';
import { PriceLadder } from './ladder.ts';
import type { BookLevel, BookView } from './types.ts';

export interface L2BookOptions {
  /**
   * Ticks held densely per side (default 131072, i.e. 1 MiB per side). Levels beyond it stay
   * correct but go through a Map.
   */
  windowTicks?: number;
}

export const DEFAULT_WINDOW_TICKS = 1 << 17;

export class L2Book implements BookView {
  readonly symbol: string;
  private readonly bids: PriceLadder;
  private readonly asks: PriceLadder;
  private valid = true;
  private updateId = -1;

  constructor(symbol: string, opts: L2BookOptions = {}) {
    this.symbol = symbol;
    const w = opts.windowTicks ?? DEFAULT_WINDOW_TICKS;
    this.bids = new PriceLadder(true, w);
    this.asks = new PriceLadder(false, w);
  }

  // ---- updates ----------------------------------------------------------------------------------

  /** Sets the absolute quantity of one level; 0 deletes it. */
  applyLevel(side: BookSide, priceTicks: number, qtyLots: number): void {
    (side === 'bid' ? this.bids : this.asks).set(priceTicks, qtyLots);
  }

  /** Sets the levels `ticks[i], lots[i]` for `start <= i < end` on one side, in order. */
  applySideLevels(side: BookSide, ticks: ArrayLike<number>, lots: ArrayLike<number>, start: number, end: number): void {
    const ladder = side === 'bid' ? this.bids : this.asks;
    for (let i = start; i < end; i++) ladder.set(ticks[i], lots[i]);
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }

  /** Replaces the whole book. Levels with quantity 0 are skipped. */
  loadSnapshot(bidTicks: ArrayLike<number>, bidLots: ArrayLike<number>, askTicks: ArrayLike<number>, askLots: ArrayLike<number>): void {
    if (bidTicks.length !== bidLots.length || askTicks.length !== askLots.length) {
      throw new RangeError(`snapshot price and quantity arrays differ in length (bids ${bidTicks.length}/${bidLots.length}, asks ${askTicks.length}/${askLots.length})`);
    }
    this.clear();
    // Own loops rather than applySideLevels: snapshots usually arrive as plain arrays and diffs as
    // typed arrays, and sharing one loop would make its element loads polymorphic.
    const bids = this.bids;
    for (let i = 0; i < bidTicks.length; i++) bids.set(bidTicks[i], bidLots[i]);
    const asks = this.asks;
    for (let i = 0; i < askTicks.length; i++) asks.set(askTicks[i], askLots[i]);
  }

  /** Set by the owner of the book (the sync state machine). */
  setValid(valid: boolean): void {
    this.valid = valid;
  }

  setLastUpdateId(id: number): void {
    this.updateId = id;
  }

  // ---- BookView ---------------------------------------------------------------------------------

  bestBidTicks(): number {
    return this.bids.best;
  }

  bestAskTicks(): number {
    return this.asks.best;
  }

  bestBidLots(): number {
    return this.bids.bestLots();
  }

  bestAskLots(): number {
    return this.asks.bestLots();
  }

  /** True when both sides are non-empty and best bid >= best ask. O(1). */
  isCrossed(): boolean {
    return this.bids.best >= this.asks.best; // false when either is NaN
  }

  qtyAt(side: BookSide, priceTicks: number): number {
    return (side === 'bid' ? this.bids : this.asks).get(priceTicks);
  }

  levelCount(side: BookSide): number {
    return (side === 'bid' ? this.bids : this.asks).count();
  }

  topLevels(side: BookSide, n: number): BookLevel[] {
    const out: BookLevel[] = [];
    if (n <= 0) return out;
    (side === 'bid' ? this.bids : this.asks).forEach((priceTicks, qtyLots) => {
      out.push({ priceTicks, qtyLots });
      return out.length < n;
    });
    return out;
  }

  depthWithin(side: BookSide, distanceTicks: number): number {
    return (side === 'bid' ? this.bids : this.asks).depthWithin(distanceTicks);
  }

  forEachLevel(side: BookSide, visit: (priceTicks: number, qtyLots: number) => boolean | void): void {
    (side === 'bid' ? this.bids : this.asks).forEach(visit);
  }

  isValid(): boolean {
    return this.valid;
  }

  lastUpdateId(): number {
    return this.updateId;
  }
}
