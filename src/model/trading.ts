/**
 * Types of the decision pipeline: strategy → `Intent` → risk → `RiskDecision` → OMS. What the OMS
 * then sends to a venue and hears back (orders, reports, funding, ...) is in venue.ts. Prices are
 * integer ticks, quantities integer lots, times integer microseconds; money crossing module
 * boundaries is an exact decimal string in the margin asset (USDT or USDC).
 */
import type { Side } from './events.ts';

/** One desired resting quote. `level` 0 is the quote nearest the touch on its side. */
export interface Quote {
  readonly side: Side;
  readonly priceTicks: number;
  readonly qtyLots: number;
  readonly level: number;
}

/** What the strategy wants the book to look like after this decision. */
export interface Intent {
  readonly symbol: string;
  /** Decision time, µs. */
  readonly tsUs: number;
  /** The full desired set of resting quotes; an order not matched by a quote is to be cancelled. */
  readonly quotes: readonly Quote[];
  /** Cancel every resting order of this symbol (quotes must then be empty). */
  readonly cancelAll: boolean;
  /** Close the position with a reduce-only order. */
  readonly flatten: boolean;
  /** Human-readable why, for the event log. */
  readonly reason: string;
}

/**
 * `intent` as a plain object with other quotes, its reason read now: what `{ ...intent, quotes }`
 * is for a plain intent, also right for one whose reason is a prototype getter (a spread drops it).
 */
export function plainIntent(intent: Intent, quotes: readonly Quote[]): Intent {
  return { symbol: intent.symbol, tsUs: intent.tsUs, quotes, cancelAll: intent.cancelAll, flatten: intent.flatten, reason: intent.reason };
}

/** Trading state machine of the risk engine. */
export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';

/** Stable codes for risk denials and trims. */
export type RiskReasonCode =
  | 'MAX_POSITION'
  | 'MAX_POSITION_NOTIONAL'
  | 'MAX_ORDER_NOTIONAL'
  | 'MAX_OPEN_ORDERS'
  | 'CAPITAL_USAGE'
  | 'DRAWDOWN_STOP'
  | 'DAILY_LOSS_STOP'
  | 'ORDER_RATE'
  | 'PRICE_BAND'
  | 'PERCENT_PRICE'
  | 'STALE_DATA'
  | 'BOOK_INVALID'
  | 'ACCOUNT_UNSYNCED'
  | 'VOLATILITY_HALT'
  | 'VENUE_THROTTLED'
  | 'KILL_SWITCH'
  | 'REDUCING_ONLY'
  | 'HALTED'
  | 'FILTER';

export interface RiskReason {
  readonly code: RiskReasonCode;
  readonly message: string;
}

/** A quote removed or shrunk by risk, and why. */
export interface RiskTrim {
  readonly quote: Quote;
  /** Quantity left after the trim (0 = removed). */
  readonly keptLots: number;
  readonly reason: RiskReason;
}

export type RiskDecision =
  | { approved: true; intent: Intent; trims: RiskTrim[]; state: TradingState }
  | { approved: false; reason: RiskReason; state: TradingState; /** Cancels still allowed while denied. */ cancelAll: boolean };
