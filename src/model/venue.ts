/**
 * The venue contract: what crosses between a trader and a venue, in both worlds. A venue is the
 * simulated exchange in a backtest (`SimExchange`, driven by the backtest engine at exchange
 * time), and Binance USDⓈ-M live (a gateway over REST, the user-data stream and ws-fapi, or
 * `maker exchange` on loopback). The trader (`TradingCore`, through `TraderPort` in src/trader)
 * sends `VenueCommand`s and takes `VenueEvent`s; it never learns which venue it talks to.
 *
 * Commands are imperative (`submit`, `cancel`, `modify`, `query`); events are what happened
 * (`report`, `funding`, `requestUnknown`, `queryAnswer`, `accountSync`, `streamState`, `throttled`). Every
 * type here is data: readonly, no methods, no I/O.
 *
 * Units: prices integer ticks, quantities integer lots of the symbol's instrument, times integer
 * µs since the Unix epoch; money, rates and mark prices exact decimal strings in the margin asset.
 *
 * Semantics a trader may rely on, whatever the venue:
 * - Reports may arrive duplicated or out of order (a fill before its ack): consumers de-duplicate
 *   by (`orderId`, `tradeId`) for trades and by (`orderId`, `execType`, `status`, `cumFilledLots`)
 *   otherwise.
 * - A request whose outcome the venue cannot know (timeout, HTTP 503 "unknown", -1006/-1007,
 *   -1000/-1001) is a `requestUnknown`, never a reject: the order may be live. The trader settles
 *   it by `query` (answered by `queryAnswer`) or by a later report; it never re-sends it blind.
 * - An `accountSync` is the venue's whole view at `tsUs`: positions, balances and open orders of
 *   the symbols it covers (start-up, and after every reconnect of the user-data stream).
 * - `streamState` says when the market stream of some symbols, or the user-data stream, went down
 *   or came back. A market stream that comes back does not make a book valid: the book re-syncs
 *   from a snapshot first. A user-data stream that comes back is followed by an `accountSync`.
 */
import type { BookTicker, FlatDepthDiff, MarketEvent, MarketEventType, Side, Trade } from './events.ts';

export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'GTX';
export type OrderType = 'LIMIT' | 'MARKET';
export type Liquidity = 'maker' | 'taker';

/** An order as sent to a venue. */
export interface OrderRequest {
  readonly symbol: string;
  readonly clientOrderId: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  /** Limit price in ticks (ignored for MARKET). */
  readonly priceTicks: number;
  readonly qtyLots: number;
  readonly reduceOnly: boolean;
  /** Binance `selfTradePreventionMode`; absent: the venue's default (the simulated exchange's option, EXPIRE_MAKER). */
  readonly selfTradePrevention?: 'NONE' | 'EXPIRE_TAKER' | 'EXPIRE_MAKER' | 'EXPIRE_BOTH';
  /**
   * Binance `positionSide` in hedge mode: the position the order opens (BUY LONG, SELL SHORT) or
   * closes (SELL LONG, BUY SHORT). Absent: one-way mode (BOTH), the only mode of the backtest.
   */
  readonly positionSide?: 'LONG' | 'SHORT';
}

/** A command from a trader to a venue. */
export type VenueCommand =
  | { readonly kind: 'submit'; readonly order: OrderRequest }
  | { readonly kind: 'cancel'; readonly symbol: string; readonly clientOrderId: string }
  /** Binance `PUT /fapi/v1/order`: new price and/or quantity (the order's total), loses queue priority. */
  | { readonly kind: 'modify'; readonly symbol: string; readonly clientOrderId: string; readonly side: Side; readonly priceTicks: number; readonly qtyLots: number }
  /** Binance `GET /fapi/v1/order` by client id: the answer is a `queryAnswer`. `orderId` -1 when not known. */
  | { readonly kind: 'query'; readonly symbol: string; readonly clientOrderId: string; readonly orderId: number };

export type VenueCommandKind = VenueCommand['kind'];

/** Binance order statuses (`X` in ORDER_TRADE_UPDATE). */
export type ExchangeOrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED' | 'EXPIRED_IN_MATCH';

/** Binance execution types (`x` in ORDER_TRADE_UPDATE), plus the request-level rejects. */
export type ExecutionType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED' | 'AMENDMENT' | 'REJECTED' | 'CANCEL_REJECTED' | 'MODIFY_REJECTED' | 'CALCULATED';

/**
 * What a venue reports about one of our orders, shaped like Binance's ORDER_TRADE_UPDATE (and the
 * REST replies and refusals of our requests). See the header for duplicates and reordering.
 */
export interface ExecutionReport {
  readonly symbol: string;
  readonly clientOrderId: string;
  /** Exchange order id (-1 when the request was rejected before an order existed). */
  readonly orderId: number;
  readonly execType: ExecutionType;
  readonly status: ExchangeOrderStatus;
  readonly side: Side;
  readonly priceTicks: number;
  readonly origQtyLots: number;
  /** Cumulative filled quantity of the order after this report. */
  readonly cumFilledLots: number;
  /** For TRADE: this fill's quantity and price, the trade id, maker or taker, and the commission. */
  readonly lastFillLots: number;
  readonly lastFillPriceTicks: number;
  readonly tradeId: number;
  readonly liquidity: Liquidity | null;
  /** Commission of this fill in the margin asset, exact decimal string; negative = rebate. "0" when none. */
  readonly commission: string;
  /** For rejects: the Binance error code (e.g. -5022 post-only would take, -2011 unknown order). */
  readonly errorCode: number;
  readonly errorMessage: string;
  readonly reduceOnly: boolean;
  /** Exchange time of the event, µs. */
  readonly tsExchangeUs: number;
  /**
   * CALCULATED (a liquidation fill of an `autoclose-` order the exchange placed): the insurance
   * clearance fee taken from the wallet with it (Binance's ACCOUNT_UPDATE INSURANCE_CLEAR), exact
   * decimal string, ≥ 0. Absent otherwise.
   */
  readonly insuranceClearance?: string;
  /** The order's `positionSide` in hedge mode (absent: one-way mode, BOTH). */
  readonly positionSide?: 'LONG' | 'SHORT';
}

/**
 * A funding settlement of a position in one symbol: at a funding time the account receives
 * −position × mark × rate (a positive rate means longs pay shorts).
 */
export interface FundingSettlement {
  readonly symbol: string;
  /** The funding time, µs. */
  readonly tsUs: number;
  /** Mark price used, exact decimal string. */
  readonly markPrice: string;
  /** Rate charged, decimal fraction per funding interval. */
  readonly rate: string;
  /** The position at the funding time, lots (signed). */
  readonly positionLots: number;
  /** −position × mark × rate, received by the account (negative = paid), exact decimal string. */
  readonly payment: string;
}

/** One order as the venue knows it (an open-orders listing or the answer to a query). */
export interface VenueOrder {
  readonly symbol: string;
  readonly clientOrderId: string;
  readonly orderId: number;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly reduceOnly: boolean;
  readonly status: ExchangeOrderStatus;
  readonly priceTicks: number;
  readonly origQtyLots: number;
  readonly cumFilledLots: number;
  /** Average fill price in ticks when known (used for fills the stream has not delivered). */
  readonly avgFillPriceTicks?: number;
}

/** The query of an order whose outcome is unknown (what the OMS wants asked). */
export interface OrderQuery {
  readonly symbol: string;
  readonly clientOrderId: string;
  /** -1 when the exchange id is not known yet (query by client id). */
  readonly orderId: number;
}

/** The answer to `GET /fapi/v1/order` by client id. `found: false` is -2013 "Order does not exist". */
export type OrderQueryResult =
  | { readonly clientOrderId: string; readonly found: false }
  | {
      readonly clientOrderId: string;
      readonly found: true;
      readonly orderId: number;
      readonly status: ExchangeOrderStatus;
      readonly priceTicks: number;
      readonly origQtyLots: number;
      readonly cumFilledLots: number;
      /** Average fill price in ticks when known (used for fills the stream has not delivered). */
      readonly avgFillPriceTicks?: number;
    };

/** A position as the venue holds it. */
export interface VenuePosition {
  readonly symbol: string;
  /** Signed position, lots. */
  readonly lots: number;
  /** Average entry price, exact decimal string ('' when flat or unknown). */
  readonly entryPrice: string;
}

/** A wallet balance of one margin asset. */
export interface VenueBalance {
  readonly asset: string;
  /** Wallet balance (deposits + realized PnL − fees ± funding), exact decimal string. */
  readonly walletBalance: string;
}

/** The venue's whole account view at `tsUs`, for the symbols it covers. */
export interface AccountSync {
  /** When the venue took the snapshot (exchange time), µs. */
  readonly tsUs: number;
  /** Symbols the snapshot covers (their positions and open orders are complete). */
  readonly symbols: readonly string[];
  /** Positions of the covered symbols; a covered symbol without an entry is flat. */
  readonly positions: readonly VenuePosition[];
  readonly balances: readonly VenueBalance[];
  /** Every open order of the covered symbols. */
  readonly openOrders: readonly VenueOrder[];
}

/**
 * `orderEntry`: the live gateway's connection for orders (the ws-fapi WebSocket); while it is down
 * every command would be refused at once without reaching the venue.
 */
export type VenueStream = 'market' | 'user' | 'orderEntry';

/** What a venue tells a trader. */
export type VenueEvent =
  /** A report about one of our orders (stream or REST reply). */
  | { readonly kind: 'report'; readonly report: ExecutionReport }
  | { readonly kind: 'funding'; readonly settlement: FundingSettlement }
  /** A request about this order has an unknown outcome (timeout, 503, -1006/-1007, -1000/-1001). */
  | { readonly kind: 'requestUnknown'; readonly symbol: string; readonly clientOrderId: string; readonly request: 'submit' | 'cancel' | 'modify'; readonly cause: string }
  | { readonly kind: 'queryAnswer'; readonly symbol: string; readonly result: OrderQueryResult }
  | { readonly kind: 'accountSync'; readonly sync: AccountSync }
  /**
   * A stream went down or came back. `symbols`: the market-data symbols affected (all of the
   * trader's when absent); ignored for the user stream and order entry.
   */
  | { readonly kind: 'streamState'; readonly stream: VenueStream; readonly up: boolean; readonly tsUs: number; readonly symbols?: readonly string[]; readonly reason: string }
  /**
   * The venue refuses requests until `untilUs` (Binance 429/418 with `Retry-After`, or the client's
   * own budget spent): the trader sends nothing (no order, cancel, modify or query) before then, and
   * decides again at `untilUs`.
   */
  | { readonly kind: 'throttled'; readonly tsUs: number; readonly untilUs: number; readonly httpStatus: number; readonly reason: string };

export type VenueEventKind = VenueEvent['kind'];

/**
 * Something that takes market events: a trader at receive time, a simulated venue at exchange
 * time. The optional methods are replay fast paths: `onFlatDepthDiff` takes a depth diff as
 * flat level ranges (equal to `onMarketEvent` of the same `DepthDiff`), `onFlatBookTicker` a
 * bookTicker and `onFlatTrade` a trade in an object the driver refills for the next one (equal to
 * `onMarketEvent` of it; the sink reads it during the call and keeps no reference), and `accepts` says whether
 * an event of this type and symbol would change anything now (false: the driver may skip building
 * and delivering it; it is pure and counts nothing).
 */
export interface MarketSink {
  /** `atUs`: the time the driver delivers it at (a venue's clock; a trader may ignore it). */
  onMarketEvent(e: MarketEvent, atUs?: number): void;
  onFlatDepthDiff?(symbol: string, d: FlatDepthDiff, atUs?: number): void;
  accepts?(type: MarketEventType, symbol: string): boolean;
  onFlatBookTicker?(e: BookTicker, atUs?: number): void;
  /** A trade in an object the driver refills for the next one (equal to `onMarketEvent` of it; read during the call, no reference kept). */
  onFlatTrade?(e: Trade, atUs?: number): void;
}

/**
 * A venue: commands in (stamped with the time they reach it), events out (in the order they
 * happened). Synchronous; a live gateway is an async shell that queues its events for the driver.
 */
export interface Venue {
  send(cmd: VenueCommand, tsUs: number): void;
  drainEvents(): VenueEvent[];
}

/** A venue that also sees the market, at exchange time (the simulated exchange). */
export interface SimVenue extends Venue, MarketSink {}
