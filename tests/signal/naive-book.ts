// A deliberately naive BookView for the signal tests (sorted arrays, linear scans), so these tests
// do not depend on the real L2Book in src/book.
import type { BookLevel, BookView } from '../../src/book/types.ts';
import type { BookSide } from '../../src/model/events.ts';

export type Level = readonly [priceTicks: number, qtyLots: number];

export class NaiveBook implements BookView {
  readonly symbol: string;
  private bids: BookLevel[] = [];
  private asks: BookLevel[] = [];
  private valid = true;

  constructor(symbol = 'TEST', bids: Level[] = [], asks: Level[] = []) {
    this.symbol = symbol;
    this.set(bids, asks);
  }

  /** Replaces both sides (levels with qty 0 are dropped); bids sorted down, asks up. */
  set(bids: Level[], asks: Level[]): this {
    this.bids = bids.filter(([, q]) => q > 0).map(([p, q]) => ({ priceTicks: p, qtyLots: q })).sort((a, b) => b.priceTicks - a.priceTicks);
    this.asks = asks.filter(([, q]) => q > 0).map(([p, q]) => ({ priceTicks: p, qtyLots: q })).sort((a, b) => a.priceTicks - b.priceTicks);
    return this;
  }

  /** L1 only, as a bookTicker gives it. */
  setTop(bidTicks: number, bidLots: number, askTicks: number, askLots: number): this {
    return this.set([[bidTicks, bidLots]], [[askTicks, askLots]]);
  }

  setValid(v: boolean): this {
    this.valid = v;
    return this;
  }

  private side(s: BookSide): BookLevel[] {
    return s === 'bid' ? this.bids : this.asks;
  }

  bestBidTicks(): number {
    return this.bids.length ? this.bids[0].priceTicks : NaN;
  }
  bestAskTicks(): number {
    return this.asks.length ? this.asks[0].priceTicks : NaN;
  }
  bestBidLots(): number {
    return this.bids.length ? this.bids[0].qtyLots : 0;
  }
  bestAskLots(): number {
    return this.asks.length ? this.asks[0].qtyLots : 0;
  }
  qtyAt(side: BookSide, priceTicks: number): number {
    return this.side(side).find((l) => l.priceTicks === priceTicks)?.qtyLots ?? 0;
  }
  levelCount(side: BookSide): number {
    return this.side(side).length;
  }
  topLevels(side: BookSide, n: number): BookLevel[] {
    return this.side(side).slice(0, n).map((l) => ({ ...l }));
  }
  depthWithin(side: BookSide, distanceTicks: number): number {
    const levels = this.side(side);
    if (!levels.length) return 0;
    const best = levels[0].priceTicks;
    return levels.filter((l) => Math.abs(l.priceTicks - best) <= distanceTicks).reduce((s, l) => s + l.qtyLots, 0);
  }
  forEachLevel(side: BookSide, visit: (priceTicks: number, qtyLots: number) => boolean | void): void {
    for (const l of this.side(side)) if (visit(l.priceTicks, l.qtyLots) === false) return;
  }
  isValid(): boolean {
    return this.valid;
  }
  lastUpdateId(): number {
    return -1;
  }
}
