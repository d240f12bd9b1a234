/**
 * What the OMS publishes on the typed bus. Events are immutable and past tense; handlers run
 * synchronously in the order the OMS emits them (see EventBus). Quantities are lots, prices ticks,
 * times µs; commissions exact decimal strings in the margin asset (negative = rebate).
 */
import type { Side } from '../model/events.ts';
import type { Liquidity } from '../model/venue.ts';
import type { OrderView } from './order.ts';
import type { OrderEvent, OrderState } from './table.ts';

/** A change of our position caused by one of our orders filling. */
export interface OmsFill {
  symbol: string;
  clientOrderId: string;
  orderId: number;
  side: Side;
  /**
   * Quantity this report adds to the order's cumulative filled quantity (≥ 0). The position moves by
   * exactly this; it can be 0 for a trade delivered after a later report already counted it (its
   * commission still has to reach the ledger).
   */
  fillLots: number;
  /** +fillLots for a buy, −fillLots for a sell. */
  signedLots: number;
  priceTicks: number;
  /** -1 when inferred (no trade report: a status report or a query showed more filled quantity). */
  tradeId: number;
  liquidity: Liquidity | null;
  commission: string;
  /** True when the quantity came from a cumulative jump without its trade report. */
  inferred: boolean;
  /** Order's cumulative filled quantity after this fill, and its quantity. */
  orderFilledLots: number;
  orderQtyLots: number;
  /** Exchange time of the report (the OMS clock for query results), µs. */
  tsExchangeUs: number;
  /** OMS clock when it was applied, µs. */
  tsUs: number;
}

export interface OmsOrderEvent {
  order: OrderView;
  tsUs: number;
}

export interface OmsRejectEvent extends OmsOrderEvent {
  /** Binance error code of the refusal (0 when none was given, e.g. a query said "does not exist"). */
  errorCode: number;
  message: string;
}

/** One row of the transition table taken. */
export interface OmsTransition {
  clientOrderId: string;
  from: OrderState;
  event: OrderEvent;
  to: OrderState;
  unknown: boolean;
  tsUs: number;
}

/** Input the OMS could not apply (no table row, a report for an id it does not know, an impossible quantity). */
export interface OmsAnomaly {
  clientOrderId: string;
  /**
   * `stale-snapshot`: an account snapshot lists as open an order a newer report ended;
   * `venue-differs`: the venue shows a resting order at another price or quantity than tracked
   * (the venue's is taken).
   */
  kind: 'no-row' | 'unknown-client-order-id' | 'overfill' | 'symbol-mismatch' | 'stale-snapshot' | 'venue-differs';
  state: OrderState | null;
  event: OrderEvent | null;
  message: string;
  tsUs: number;
}

export type OmsEvents = {
  'order.created': OmsOrderEvent;
  /** An open order the OMS did not track, taken over from a venue's account snapshot (an earlier session's). */
  'order.adopted': OmsOrderEvent;
  'order.acked': OmsOrderEvent;
  'order.filled': OmsFill;
  'order.amended': OmsOrderEvent;
  'order.canceled': OmsOrderEvent;
  'order.rejected': OmsRejectEvent;
  'order.expired': OmsOrderEvent;
  /** The outcome of a request became unknown: the order is in flight until a query or the stream settles it. */
  'order.unknown': OmsOrderEvent;
  'order.transition': OmsTransition;
  'order.anomaly': OmsAnomaly;
};
