/**
 * adapter/binance: the Binance USDⓈ-M wire format, in one place. Today: stream messages
 * (combined-stream envelopes of depth, trade, aggTrade, bookTicker, markPrice, forceOrder) and REST depth
 * snapshots → `MarketEvent`s (market.ts, with a byte-level fast path in market-fast.ts that gives
 * exactly the events of the JSON path), and `exchangeInfo` → instrument specs (exchange-info.ts).
 * The live gateway (docs/EXCHANGE_ADAPTER_SPEC.md "Our adapter"): request signing (sign.ts), the
 * signed REST client with its outcomes and 429/418 waits (rest.ts), the weight and order budget
 * REST and ws-fapi share (rate-budget.ts), the `Venue` over REST (gateway.ts) and over ws-fapi
 * (ws-gateway.ts, its connection in ws-api-client.ts), both with the same parameters and reply →
 * event mapping (order-entry.ts), the user-data stream (user-stream.ts) and its wire parsing
 * (user-data.ts). Network code lives here with injected clock and timers (the wall clock's come
 * from live/). Market data over the network, shared by `maker record` and `maker live`'s feed:
 * the route table and wire names of the market streams (market-routes.ts), one combined-stream
 * connection with stall detection (stream-connection.ts), a route kept flowing through drops and
 * planned rotations (route-stream.ts), and the unsigned REST client with its
 * weight budget for exchangeInfo, the clock offset and depth snapshots (public-rest.ts).
 *
 * Units: prices integer ticks and quantities integer lots of the symbol's scale; Binance's ms
 * times become integer µs. Bad input fails with an `InputError` naming file, line and field.
 */
export { parseBinanceMessage, parseDepthSnapshot, parseStreamData, streamKind, type StreamKind } from './market.ts';
export { parseStreamBytesFast, scanDecimalSecondsHead, scanReceiveDigits, scannedTo } from './market-fast.ts';
export { messageHead, ROUTE_OF, SPARSE_STREAMS, routeStreams, selectedStreams, StreamMarks, wireName, type MessageHead, type Route, type StreamMark, type StreamName, type StreamSelection } from './market-routes.ts';
export { StreamConnection, type ConnectionHandlers, type StreamConnectionOptions } from './stream-connection.ts';
export { RouteStream, type RouteStreamCounters, type RouteStreamOptions } from './route-stream.ts';
export { PublicRest, RestError, type PublicRestOptions, type Snapshot } from './public-rest.ts';
export { loadExchangeInfoFile, specsFromExchangeInfo } from './exchange-info.ts';
export { Signer, type Credentials, type KeyType } from './sign.ts';
export { BinanceRest, retryAfterUs, UNKNOWN_OUTCOME_CODES, type RequestSpec, type RestClientOptions, type RestOutcome, type RestStats, type Throttle, type Timers } from './rest.ts';
export { BinanceGateway, type GatewayOptions } from './gateway.ts';
export { UserStream, type UserStreamOptions, type UserStreamState, type UserStreamStats } from './user-stream.ts';
export { accountSyncOf, backfillReports, parseBalances, parseOpenOrders, parseOrderTradeUpdate, parsePositions, type RestOrderForBackfill } from './user-data.ts';
export { HANDSHAKE_RETRY_AFTER_MAX_MS, handshakeRetryAfterMs, RateBudget, type BudgetCounts, type BudgetOptions, type Refusal } from './rate-budget.ts';
export { orderParams, outcomeEvent, OrderGateway, type OrderOutcome } from './order-entry.ts';
export { WsApiClient, type ServerTime, type WsApiClientOptions, type WsApiState, type WsApiStats, type WsRequestSpec } from './ws-api-client.ts';
export { wsPayload } from './ws-api-frames.ts';
export { BinanceWsGateway, type WsGatewayOptions } from './ws-gateway.ts';
