/**
 * What the risk engine needs to know about the world, as plain values (the portfolio, OMS and
 * book are other modules; the engine does not import them). Prices are integer ticks, quantities
 * integer lots, times integer microseconds. Money is an exact decimal string in the margin asset,
 * because that is how the portfolio's ledger hands it across module boundaries; the engine compares
 * it exactly (scaled bigints, model/money.ts), never through floats.
 */
import type { Instrument } from '../model/instrument.ts';
import type { Side } from '../model/events.ts';

/** One of our resting orders, as the OMS sees it (including orders whose cancel is in flight). */
export interface OpenOrderView {
  side: Side;
  priceTicks: number;
  /**
   * Quantity that can still fill, lots; counted as if it will fill. For an order with a modify in
   * flight: the larger of its current and its target remaining (it may fill before or after the
   * modify lands).
   */
  remainingLots: number;
  /**
   * The OMS would keep this order for a quote of exactly its side, price and remaining quantity
   * (it rests or is being placed; no cancel or modify of it is in flight). Such an order and the
   * quote that keeps it are one resting order, counted once. Absent = false (counted separately).
   */
  keepable?: boolean;
}

export interface RiskContext {
  /** Time of the check, µs. Drives every timer in the engine; must not go backwards. */
  tsUs: number;
  /** The guarded instrument; `intent.symbol` must equal `instrument.symbol`. */
  instrument: Instrument;
  /** Signed position, lots (+ long, − short). */
  positionLots: number;
  /** Every open order of this symbol, including ones being cancelled. Order does not matter. */
  openOrders: readonly OpenOrderView[];
  /** Mark price rounded to ticks; NaN when unknown (the mid is used instead). */
  markPriceTicks: number;
  /** Best bid / ask, ticks; NaN when that side is empty. */
  bestBidTicks: number;
  bestAskTicks: number;
  /** The book is in sync with the exchange (BookView.isValid()). */
  bookValid: boolean;
  /** Receive time of the last applied book update, µs. */
  lastBookUpdateUs: number;
  /** Account equity (wallet balance + unrealized PnL), margin asset. */
  equity: string;
  /** Highest equity seen since the portfolio's baseline, margin asset. */
  peakEquity: string;
  /** Equity at the start of the current UTC day, margin asset. */
  dayStartEquity: string;
  /** Initial margin in use (positions + open orders), margin asset. */
  marginUsed: string;
  /** Volatility estimate from the signal module, ticks per √second; NaN when not yet known. */
  sigmaTicksPerSqrtS: number;
  /**
   * Our orders and position are in sync with the venue: its user-data stream is up and, after it
   * came back, its account snapshot was taken in. Absent = true (a backtest's simulated venue).
   */
  accountInSync?: boolean;
}
