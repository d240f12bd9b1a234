/**
 * Types shared by the trading core: strategy → `Intent` → risk → `RiskDecision` → OMS → gateway
 * commands → exchange `ExecutionReport`s → OMS and portfolio. Prices are integer ticks, quantities
 * integer lots, times integer microseconds; money crossing module boundaries is an exact decimal
 * string in the margin asset (USDT or USDC).
 */
import type { Side } from './events.ts';

export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'GTX';
export type OrderType = 'LIMIT' | 'MARKET';
export type Liquidity = 'maker' | 'taker';

/** One desired resting quote. `level` 0 is the quote nearest the touch on its side. */
export interface Quote {
  side: Side;
  priceTicks: number;
  qtyLots: number;
  level: number;
}

/** What the strategy wants the book to look like after this decision. */
export interface Intent {
  symbol: string;
  /** Decision time, µs. */
  tsUs: number;
  /** The full desired set of resting quotes; an order not matched by a quote is to be cancelled. */
  quotes: Quote[];
  /** Cancel every resting order of this symbol (quotes must then be empty). */
  cancelAll: boolean;
  /** Close the position with a reduce-only order. */
  flatten: boolean;
  /** Human-readable why, for the event log. */
  reason: string;
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
  | 'VOLATILITY_HALT'
  | 'KILL_SWITCH'
  | 'REDUCING_ONLY'
  | 'HALTED'
  | 'FILTER';

export interface RiskReason {
  code: RiskReasonCode;
  message: string;
}

/** A quote removed or shrunk by risk, and why. */
export interface RiskTrim {
  quote: Quote;
  /** Quantity left after the trim (0 = removed). */
  keptLots: number;
  reason: RiskReason;
}

export type RiskDecision =
  | { approved: true; intent: Intent; trims: RiskTrim[]; state: TradingState }
  | { approved: false; reason: RiskReason; state: TradingState; /** Cancels still allowed while denied. */ cancelAll: boolean };

/** An order as sent to a gateway (simulated exchange or Binance). */
export interface OrderRequest {
  symbol: string;
  clientOrderId: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  /** Limit price in ticks (ignored for MARKET). */
  priceTicks: number;
  qtyLots: number;
  reduceOnly: boolean;
}

export type GatewayCommand =
  | { kind: 'submit'; order: OrderRequest }
  | { kind: 'cancel'; symbol: string; clientOrderId: string }
  /** Binance `PUT /fapi/v1/order`: new price and/or quantity, loses queue priority. */
  | { kind: 'modify'; symbol: string; clientOrderId: string; side: Side; priceTicks: number; qtyLots: number };

/** Binance order statuses (`X` in ORDER_TRADE_UPDATE). */
export type ExchangeOrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED' | 'EXPIRED_IN_MATCH';

/** Binance execution types (`x` in ORDER_TRADE_UPDATE), plus the request-level rejects. */
export type ExecutionType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED' | 'AMENDMENT' | 'REJECTED' | 'CANCEL_REJECTED' | 'MODIFY_REJECTED';

/**
 * What a gateway reports about one of our orders, shaped like Binance's ORDER_TRADE_UPDATE.
 * Reports may arrive duplicated or out of order (a fill before its ack); consumers de-duplicate by
 * (`orderId`, `tradeId`) for trades and by (`orderId`, `execType`, `status`, `cumFilledLots`) otherwise.
 */
export interface ExecutionReport {
  symbol: string;
  clientOrderId: string;
  /** Exchange order id (-1 when the request was rejected before an order existed). */
  orderId: number;
  execType: ExecutionType;
  status: ExchangeOrderStatus;
  side: Side;
  priceTicks: number;
  origQtyLots: number;
  /** Cumulative filled quantity of the order after this report. */
  cumFilledLots: number;
  /** For TRADE: this fill's quantity and price, the trade id, maker or taker, and the commission. */
  lastFillLots: number;
  lastFillPriceTicks: number;
  tradeId: number;
  liquidity: Liquidity | null;
  /** Commission of this fill in the margin asset, exact decimal string; negative = rebate. "0" when none. */
  commission: string;
  /** For rejects: the Binance error code (e.g. -5022 post-only would take, -2011 unknown order). */
  errorCode: number;
  errorMessage: string;
  reduceOnly: boolean;
  /** Exchange time of the event, µs. */
  tsExchangeUs: number;
}

/**
 * A funding settlement of a position in one symbol: at a funding time the account receives
 * −position × mark × rate (a positive rate means longs pay shorts). Published by the exchange
 * (simulated or Binance), booked by the portfolio, logged by the backtest.
 */
export interface FundingSettlement {
  symbol: string;
  /** The funding time, µs. */
  tsUs: number;
  /** Mark price used, exact decimal string. */
  markPrice: string;
  /** Rate charged, decimal fraction per funding interval. */
  rate: string;
  /** The position at the funding time, lots (signed). */
  positionLots: number;
  /** −position × mark × rate, received by the account (negative = paid), exact decimal string. */
  payment: string;
}
