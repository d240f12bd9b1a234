/**
 * What a strategy sees and what it is. Prices are integer ticks on the book and float ticks for
 * fair / reservation prices; quantities are integer lots; times are integer microseconds; signal
 * values carry their unit in their name (`sigmaTicksPerSqrtS`, `intensityKPerTick`, …).
 */
import type { BookView } from '../book/index.ts';
import type { Instrument } from '../model/instrument.ts';
import type { Side } from '../model/events.ts';
import type { Intent } from '../model/trading.ts';

/**
 * One signal value and whether its producer considers it usable (warm-up done, window full). A
 * reading that is absent, not ready, or not a finite number counts as "not ready".
 */
export interface SignalReading {
  value: number;
  ready: boolean;
}

/**
 * The signal values a strategy may use, as plain numbers (the strategy does not depend on the
 * signal module). Every field is optional: a strategy that needs an absent one does not quote.
 */
export interface StrategySignals {
  /** Volatility of the mid, ticks per √second. */
  sigmaTicksPerSqrtS?: SignalReading;
  /** Fill intensity λ(δ) = A·e^{−kδ}: A in fills per second. */
  intensityAPerS?: SignalReading;
  /** Fill intensity decay k, per tick of distance from the fair price. */
  intensityKPerTick?: SignalReading;
  /** Signed order-book imbalance (Qb − Qa)/(Qb + Qa), in [−1, 1]. */
  obi?: SignalReading;
  /** Order-flow imbalance (Cont–Kukanov–Stoikov e_n summed over the window), lots. */
  ofiLots?: SignalReading;
  /** Micro-price (or weighted mid), float ticks. */
  micropriceTicks?: SignalReading;
  /** A fair price computed elsewhere, float ticks (used when `fairPriceSource` is `external`). */
  fairPriceTicks?: SignalReading;
  /** Exchange mark price, float ticks. */
  markPriceTicks?: SignalReading;
}

/** One of our orders resting on the exchange, as the OMS knows it. */
export interface LiveQuote {
  side: Side;
  priceTicks: number;
  /** Open (unfilled) quantity. */
  qtyLots: number;
  /** When the order was placed (or last modified), µs. */
  placedAtUs: number;
}

export interface StrategyContext {
  /** Decision time, µs (the engine clock). */
  tsUs: number;
  instrument: Instrument;
  book: BookView;
  /** Signed position: positive long, negative short, lots. */
  positionLots: number;
  signals: StrategySignals;
  /** Our resting orders of this symbol, any order. */
  liveQuotes: readonly LiveQuote[];
}

export type StrategyKind = 'fixed' | 'avellaneda-stoikov' | 'glft';

/** A pure, synchronous quoting policy: the same context always gives the same intent. */
export interface Strategy {
  readonly kind: StrategyKind;
  decide(ctx: StrategyContext): Intent;
}
