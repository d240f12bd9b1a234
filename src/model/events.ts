/**
 * Market events, normalised. Prices are integer ticks and quantities integer lots of the event's
 * instrument; times are integer microseconds since the Unix epoch: `tsExchangeUs` (the exchange's
 * push stamp: `E`, or `T` where that is the only one), `tsReceiveUs` (when the recorder received
 * it) and, on every event but mark prices, `tsTransactUs`: the match time `T` (when the matching
 * engine made the change or the trade; T ≤ E; a liquidation order's trade time), equal to
 * tsExchangeUs when the source has no `T`.
 * Update ids that a source does not carry are -1.
 */

export type Side = 'buy' | 'sell';
export type BookSide = 'bid' | 'ask';

export interface EventStamp {
  readonly symbol: string;
  /** Exchange event time (`E`), µs. */
  readonly tsExchangeUs: number;
  /** Local receive time, µs (as recorded; may carry a steady clock offset). */
  readonly tsReceiveUs: number;
}

/** A diff-depth update (`depthUpdate`): absolute quantities, 0 = remove the level. */
export interface DepthDiff extends EventStamp {
  readonly type: 'depth';
  /** Transaction time (`T`), µs; equals tsExchangeUs when the source has none. */
  readonly tsTransactUs: number;
  /** `U`: first update id in the event (-1 if unknown). */
  readonly firstUpdateId: number;
  /** `u`: final update id in the event (-1 if unknown). */
  readonly finalUpdateId: number;
  /** `pu`: final update id of the previous event (-1 if unknown). */
  readonly prevFinalUpdateId: number;
  readonly bidTicks: number[];
  readonly bidLots: number[];
  readonly askTicks: number[];
  readonly askLots: number[];
}

/**
 * A diff given as flat arrays with ranges, for replay from columnar batches: the levels of one
 * side are `ticks[i], lots[i]` for `start <= i < end`. The caller may reuse one object and its
 * arrays for every diff; `BookSync` copies what it needs to keep.
 */
export interface FlatDepthDiff {
  tsExchangeUs: number;
  firstUpdateId: number;
  finalUpdateId: number;
  prevFinalUpdateId: number;
  bidTicks: ArrayLike<number>;
  bidLots: ArrayLike<number>;
  bidStart: number;
  bidEnd: number;
  askTicks: ArrayLike<number>;
  askLots: ArrayLike<number>;
  askStart: number;
  askEnd: number;
}

/** Fills `out` with a flat view of `d` (its arrays are shared, not copied) and returns it. */
export function flatViewOf(d: DepthDiff, out: FlatDepthDiff): FlatDepthDiff {
  out.tsExchangeUs = d.tsExchangeUs;
  out.firstUpdateId = d.firstUpdateId;
  out.finalUpdateId = d.finalUpdateId;
  out.prevFinalUpdateId = d.prevFinalUpdateId;
  out.bidTicks = d.bidTicks;
  out.bidLots = d.bidLots;
  out.bidStart = 0;
  out.bidEnd = d.bidTicks.length;
  out.askTicks = d.askTicks;
  out.askLots = d.askLots;
  out.askStart = 0;
  out.askEnd = d.askTicks.length;
  return out;
}

/** A full (or top-N) book: a REST `/fapi/v1/depth` snapshot or a snapshot block of a CSV source. */
export interface DepthSnapshot extends EventStamp {
  readonly type: 'snapshot';
  readonly tsTransactUs: number;
  /** `lastUpdateId` (-1 if unknown). */
  readonly lastUpdateId: number;
  readonly bidTicks: number[];
  readonly bidLots: number[];
  readonly askTicks: number[];
  readonly askLots: number[];
}

/** An individual trade (`trade` stream, data.binance.vision `trades`, Tardis `trades`). */
export interface Trade extends EventStamp {
  readonly type: 'trade';
  /** Match time (`T`), µs; equals tsExchangeUs when the source has none. */
  readonly tsTransactUs: number;
  readonly tradeId: number;
  readonly priceTicks: number;
  readonly qtyLots: number;
  /** `m`: buyer is maker, i.e. the taker sold. */
  readonly buyerIsMaker: boolean;
}

/** An aggregated trade (`aggTrade` stream, data.binance.vision `aggTrades`). */
export interface AggTrade extends EventStamp {
  readonly type: 'aggTrade';
  /** Match time (`T`) of the aggregate's trades, µs; equals tsExchangeUs when the source has none. */
  readonly tsTransactUs: number;
  readonly aggTradeId: number;
  readonly firstTradeId: number;
  readonly lastTradeId: number;
  readonly priceTicks: number;
  readonly qtyLots: number;
  readonly buyerIsMaker: boolean;
}

/** Best bid/ask (`bookTicker`, Tardis `quotes`). `updateId` is -1 when the source has none. */
export interface BookTicker extends EventStamp {
  readonly type: 'bookTicker';
  /** Transaction time (`T`) of the best-price change, µs; equals tsExchangeUs when the source has none. */
  readonly tsTransactUs: number;
  readonly updateId: number;
  readonly bidTicks: number;
  readonly bidLots: number;
  readonly askTicks: number;
  readonly askLots: number;
}

/**
 * Mark price, index price and funding (`markPriceUpdate`, Tardis `derivative_ticker`,
 * data.binance.vision `fundingRate` and mark/index klines). These prices carry more decimals than
 * the tick, so they stay exact decimal strings; absent fields are the empty string.
 */
export interface MarkPrice extends EventStamp {
  readonly type: 'markPrice';
  readonly markPrice: string;
  readonly indexPrice: string;
  /** Funding rate as a decimal fraction per funding interval ("0.0001"). */
  readonly fundingRate: string;
  /** Next funding time, µs (-1 if unknown). */
  readonly nextFundingTimeUs: number;
}

/**
 * A liquidation order (`forceOrder` stream, `o` of `{e:"forceOrder", E, o:{…}}`): an order the
 * exchange's liquidation engine sent for some account. Binance publishes at most one per symbol per
 * 1000 ms, the largest liquidation of that second, so it is a sample, not every liquidation. It is
 * information only: its fills reach the book and the trade streams like any taker's, so nothing
 * that matches, fills or keeps a book reads it (MarketBook, the simulated exchange and the trading
 * core ignore it). The order's words stay Binance's (`LIMIT`, `IOC`, `FILLED`); the average price
 * carries more decimals than the tick, so it stays an exact decimal string.
 */
export interface ForceOrder extends EventStamp {
  readonly type: 'forceOrder';
  /** `o.T`: the order's trade time, µs. */
  readonly tsTransactUs: number;
  /** `o.S`. */
  readonly side: Side;
  /** `o.o`: order type, as Binance writes it ("LIMIT"). */
  readonly orderType: string;
  /** `o.f`: time in force ("IOC"). */
  readonly timeInForce: string;
  /** `o.q`: original quantity, lots. */
  readonly origQtyLots: number;
  /** `o.p`: order price, ticks. */
  readonly priceTicks: number;
  /** `o.ap`: average fill price, exact decimal text ("9910.12345678"). */
  readonly avgPrice: string;
  /** `o.X`: order status ("FILLED", "PARTIALLY_FILLED", ...). */
  readonly status: string;
  /** `o.l`: quantity of the last fill, lots. */
  readonly lastFilledQtyLots: number;
  /** `o.z`: accumulated filled quantity, lots. */
  readonly filledQtyLots: number;
}

export type MarketEvent = DepthDiff | DepthSnapshot | Trade | AggTrade | BookTicker | MarkPrice | ForceOrder;
export type MarketEventType = MarketEvent['type'];

export function takerSide(buyerIsMaker: boolean): Side {
  return buyerIsMaker ? 'sell' : 'buy';
}

export function oppositeSide(side: Side): Side {
  return side === 'buy' ? 'sell' : 'buy';
}
