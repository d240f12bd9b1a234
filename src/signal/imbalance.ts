/**
 * Book-shape signals read straight from a `BookView`: weighted mid and order-book imbalance (OBI).
 * Prices in ticks (floats where a mid is involved), quantities in lots. All functions return NaN
 * when a side is empty or the quantities involved sum to zero.
 *
 * - weighted mid = I·Pa + (1 − I)·Pb with I = Qb/(Qb + Qa) (Stoikov 2018; = VAMP at the touch).
 * - OBI, signed: ρ = (ΣQb − ΣQa)/(ΣQb + ΣQa) ∈ [−1, 1]; L1 (the touch), over N levels per side, or
 *   over a price band mid·(1 ± d): bids priced ≥ mid·(1 − d), asks priced ≤ mid·(1 + d).
 */
import type { BookView } from '../book/index.ts';

/** Stoikov's I = Qb/(Qb + Qa) ∈ [0, 1]. */
export function imbalanceFraction(bidLots: number, askLots: number): number {
  const total = bidLots + askLots;
  return total > 0 ? bidLots / total : NaN;
}

/** Signed imbalance ρ = (b − a)/(b + a) = 2I − 1 ∈ [−1, 1]. */
export function signedImbalance(bidLots: number, askLots: number): number {
  const total = bidLots + askLots;
  return total > 0 ? (bidLots - askLots) / total : NaN;
}

/** I·Pa + (1 − I)·Pb in ticks; always within [Pb, Pa]. */
export function weightedMid(bidTicks: number, bidLots: number, askTicks: number, askLots: number): number {
  const i = imbalanceFraction(bidLots, askLots);
  return i * askTicks + (1 - i) * bidTicks;
}

/**
 * Multi-level and band imbalance. Visits only the levels it needs (N per side, or those inside the
 * band), through visitors bound once so that a reading allocates nothing.
 */
export class DepthImbalance {
  private remainingLevels = 0;
  private sumLots = 0;
  private limitTicks = 0;
  private readonly visitTopN = (_priceTicks: number, qtyLots: number): boolean => {
    this.sumLots += qtyLots;
    return --this.remainingLevels > 0;
  };
  private readonly visitBidBand = (priceTicks: number, qtyLots: number): boolean => {
    if (priceTicks < this.limitTicks) return false;
    this.sumLots += qtyLots;
    return true;
  };
  private readonly visitAskBand = (priceTicks: number, qtyLots: number): boolean => {
    if (priceTicks > this.limitTicks) return false;
    this.sumLots += qtyLots;
    return true;
  };

  /** Lots on the best `levels` levels of each side → signed imbalance. */
  overLevels(book: BookView, levels: number): number {
    const bid = this.sumTopN(book, 'bid', levels);
    const ask = this.sumTopN(book, 'ask', levels);
    return signedImbalance(bid, ask);
  }

  /** Lots priced within mid·(1 ± bandBps/10⁴) → signed imbalance. NaN when a side is empty. */
  overBand(book: BookView, bandBps: number): number {
    const bestBid = book.bestBidTicks();
    const bestAsk = book.bestAskTicks();
    if (Number.isNaN(bestBid) || Number.isNaN(bestAsk)) return NaN;
    const mid = (bestBid + bestAsk) / 2;
    const d = bandBps / 10_000;
    this.sumLots = 0;
    this.limitTicks = mid * (1 - d);
    book.forEachLevel('bid', this.visitBidBand);
    const bid = this.sumLots;
    this.sumLots = 0;
    this.limitTicks = mid * (1 + d);
    book.forEachLevel('ask', this.visitAskBand);
    return signedImbalance(bid, this.sumLots);
  }

  private sumTopN(book: BookView, side: 'bid' | 'ask', levels: number): number {
    this.sumLots = 0;
    this.remainingLevels = levels;
    if (levels > 0) book.forEachLevel(side, this.visitTopN);
    return this.sumLots;
  }
}
