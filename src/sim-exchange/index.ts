/**
 * The simulated Binance USDⓈ-M matching engine that replaces the adapter in backtests.
 *
 * Pure and synchronous: no I/O, no clock, no ambient randomness. Time is the timestamps it is
 * given (market events at their exchange time `tsExchangeUs`, commands at their arrival time);
 * reports carry those times. Same inputs in the same order (+ the same `Rng`) → the same reports.
 *
 * Units: prices integer ticks, quantities integer lots, times integer µs; commission, funding,
 * rates and mark prices are exact decimal strings (BigInt arithmetic, never rounded).
 *
 * Book. One replayed book per symbol (`MarketBook`, marketdata/market-book.ts): by default (book
 * source `auto`) the fused book, i.e. the depth book (`L2Book` + `BookSync`, diffs and snapshots)
 * with every bookTicker newer than it (update id above the book's) laid over its top: the ticker's
 * best bid/ask and quantities, the levels crossing them removed, until the next depth event
 * restores those levels and applies (the diff is authoritative). So post-only checks, taker walks
 * and crossing checks read the real-time best, not the conflated depth stream's, and the overlay's
 * level changes reach the queue model like any other (F6). Source `depth` is the depth book alone,
 * `bookTicker` (or data that is top of book only) a 1-level book from bookTickers. Our orders are
 * overlaid on the book, never inserted: `book(symbol)` is exactly the replayed book. What our taker fills take from a level
 * is remembered and subtracted from that level until the market next updates it (F1). While the
 * replayed book is invalid (a sequence gap, until the next snapshot) matching uses the levels it
 * still holds; the engine decides whether to trade then. docs/SIM_EXCHANGE.md has the long form,
 * with Binance and hftbacktest side by side.
 *
 * Requests (`onCommand`), checked in this order, rejects carry Binance's codes:
 *   unknown symbol −1121; clientOrderId already open −4116; a `positionSide` that does not match the
 *   position mode −4061, reduce-only in hedge mode −1106 (margin.ts: hedge mode and isolated margin
 *   are options of the local exchange, off in the backtest); filters (filters.ts: −4003, −4001,
 *   −4013, −4002, −4004, −4005, −4016/−4024 PERCENT_PRICE vs the last mark price when one is known, −4131 for a MARKET order whose counterparty best is outside that band,
 *   −4164 MIN_NOTIONAL unless reduce-only); MAX_NUM_ORDERS −2025; reduce-only that cannot reduce
 *   the exchange's position −2022; with an account, initial margin not covered −2019 (margin.ts); GTX that would take −5022 and FOK that cannot fill completely
 *   against the replayed book (within its limit) −5021 — both with no order record (orderId −1).
 *   Cancel of an order that is not open (never existed, filled, cancelled, expired) → CANCEL_REJECTED
 *   −2011: a cancel that arrives after the fill it raced with gets −2011.
 *   Modify (PUT: new price and quantity; LIMIT only, −5025; no change −5027; filters as on submit,
 *   order unchanged) → AMENDMENT and the order loses its queue priority (placed again behind the
 *   level at its new price and behind our other orders). Binance's cancel-on-modify cases cancel
 *   instead (CANCELED report): the new quantity ≤ the filled quantity, or a GTX whose new price
 *   would take. A GTC modified to a crossing price takes liquidity like a new order.
 *
 * Fill rules (each covered by tests/sim-exchange):
 *   F1 Taker. MARKET and marketable LIMIT (GTC/IOC/FOK) orders walk the opposite side of the replayed
 *      book from the best level, filling min(remaining, level qty − what our earlier taker fills
 *      took from that level since the market last updated it) at each level's own price (one TRADE
 *      report per level), up to the limit price. The rest of a GTC rests at its limit; the rest of
 *      an IOC or MARKET order is EXPIRED. FOK's "can it fill completely" counts the same quantities.
 *   F2 Maker at our price. A resting order always fills at its own price, never at the price of the
 *      print that caused the fill (a buy at P hit by a sell print at p < P fills at P).
 *   F3 Print at our price. A print at P where the taker hit our side: the queue model first takes
 *      the print off the queue ahead; we fill min(remaining, print qty − queue ahead before the
 *      print − lots our earlier orders at P took from the same print, what is left of the print
 *      after F4), if ≥ 1 lot. After a fill we are at the front (queue ahead 0). Option
 *      `partialFills: false`: only if that covers the whole remaining quantity (all or nothing; the
 *      print still brings us to the front).
 *   F4 Print through our price (a sell print below our bid, a buy print above our ask): the level at
 *      our price was exhausted, so the order fills at its price, from the print's quantity.
 *      Conserved volume: one print gives all our orders together at most its quantity, in price-time
 *      priority: through orders first (best price first, time priority within a price), then F3.
 *      An order that reached the exchange after the print's match time (`T`) takes nothing from it.
 *   F5 Crossing book (option `crossingFills`, default off: optimistic): when the opposite best moves to or
 *      through a resting order's price without a print, the order fills completely at its price.
 *      An order that rests against a book that already crosses it (the rest of a GTC after its
 *      taker walk, since the book is not depleted) is not filled by that same book: it must first
 *      be seen uncrossed.
 *   F6 Level changes at our price (depth diffs, snapshots, bookTickers) only move the queue ahead
 *      (queue.ts); they never fill. With top-of-book data a level behind the best is unknown and
 *      leaves the queue alone.
 *   F7 A fill that reaches the remaining quantity exactly ends the order FILLED (integer lots, no
 *      dust). Cumulative filled quantity only grows and never exceeds the order quantity.
 *   F8 Reduce-only: a fill is capped at the lots that reduce the exchange's position (per symbol,
 *      from our fills); an order with nothing left to reduce is EXPIRED, including resting
 *      reduce-only orders when the position closes.
 *   F9 Post-only (GTX) never takes: a GTX that would cross is rejected (−5022) or, on modify,
 *      cancelled.
 *   F10 Self-trade prevention: a taker order of ours that reaches one of our resting orders (after the
 *      market queue ahead of it, in price-time priority, also at prices inside the market spread)
 *      applies its `selfTradePreventionMode` (option `selfTradePrevention`, default EXPIRE_MAKER):
 *      the resting order, the taker's rest, or both end EXPIRED_IN_MATCH; NONE trades them with
 *      each other. A GTX that would meet one of ours is rejected −5022 like any crossing GTX.
 *      Prints are taken from `trade` events, or `aggTrade` events while the symbol has no `trade`
 *      events (option `tradeSource`).
 *   F11 Top-of-book data: an order placed behind the best has an unknown queue; it fills only from
 *      prints through its price until its level is first seen, then joins behind all of it.
 *   Fees: commission = fill price × fill qty × rate (maker or taker rate of the symbol; a negative
 *   rate is a rebate), exact, in the report's `commission`.
 *   Funding: see funding.ts (markPrice data, an imported history, or a fixed rate); settlements are
 *   events of kind `funding`.
 *   Account (option `account`, margin.ts): one cross wallet, Binance's leverage brackets; liquidation
 *   at maintenance margin on the mark (or the mid) cancels every open order and closes every
 *   position with CALCULATED `autoclose-` fills and the insurance clearance fee.
 *
 * Ordering: reports are appended in the order things happen; within one market event, orders are
 * visited in time priority (order id; a modified order moves to the back). Funding settlements of
 * one time are in instrument order.
 *
 * Cost: a market event of a symbol with no open orders costs the book update only (O(1) beyond the
 * diff's own levels, no allocation); with open orders, O(open orders) per book event and print.
 */
export { SimExchange } from './exchange.ts';
export { createQueueModel, ProbQueueModel, RiskAverseQueueModel, type ProbFamily, type ProbVariant, type QueueModel, type QueueModelConfig, type QueueState } from './queue.ts';
export { OrderFilters, REJECT, type Reject } from './filters.ts';
export { DEFAULT_FUNDING_INTERVAL_US } from './funding.ts';
export { DEFAULT_LIQUIDATION_FEE_RATE, type PositionSide, type SimAccountConfig, type TransferOutcome } from './margin.ts';
export { DEFAULT_LEVERAGE_BRACKETS, FALLBACK_LEVERAGE_BRACKETS, type LeverageBracket } from './leverage-brackets.ts';
export type { FeeRates, FeeSchedule, FundingConfig, SimExchangeCounters, SimExchangeOptions, SimOrderView, StpMode } from './types.ts';
