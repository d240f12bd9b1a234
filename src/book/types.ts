/**
 * The read-only view of an L2 order book that other modules (signal, strategy, risk, the simulated
 * exchange) depend on. Prices are integer ticks, quantities integer lots.
 *
 * Conventions: an empty side has best price `NaN` (never a sentinel number that could be mistaken
 * for a price); levels iterate from the best price outwards.
 */
import type { BookSide } from '../model/events.ts';

export interface BookLevel {
  priceTicks: number;
  qtyLots: number;
}

export interface BookView {
  readonly symbol: string;
  /** Best bid in ticks, NaN when the bid side is empty. O(1). */
  bestBidTicks(): number;
  /** Best ask in ticks, NaN when the ask side is empty. O(1). */
  bestAskTicks(): number;
  /** Quantity resting at the best bid / ask (0 when empty). O(1). */
  bestBidLots(): number;
  bestAskLots(): number;
  /** Quantity at a price on one side (0 when there is no level). */
  qtyAt(side: BookSide, priceTicks: number): number;
  /** Number of non-empty levels on a side. */
  levelCount(side: BookSide): number;
  /** Up to `n` levels from the best outwards. */
  topLevels(side: BookSide, n: number): BookLevel[];
  /** Sum of quantity on a side within `distanceTicks` of that side's best price (inclusive). */
  depthWithin(side: BookSide, distanceTicks: number): number;
  /** Visits levels from the best outwards; return `false` from the visitor to stop. */
  forEachLevel(side: BookSide, visit: (priceTicks: number, qtyLots: number) => boolean | void): void;
  /** True while the book is in sync with the exchange (see the sync state machine). */
  isValid(): boolean;
  /** Final update id (`u`) of the last applied event, -1 if none or unknown. */
  lastUpdateId(): number;
}
