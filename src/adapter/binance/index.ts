/**
 * adapter/binance: the Binance USDⓈ-M wire format, in one place. Today: stream messages
 * (combined-stream envelopes of depth, trade, aggTrade, bookTicker, markPrice, forceOrder) and REST depth
 * snapshots → `MarketEvent`s (market.ts, with a byte-level fast path in market-fast.ts that gives
 * exactly the events of the JSON path), and `exchangeInfo` → instrument specs (exchange-info.ts).
 * The live gateway (docs/EXCHANGE_ADAPTER_SPEC.md "Our adapter"): request signing (sign.ts), the
 * signed REST client with its outcomes, budgets and 429/418 waits (rest.ts), the `Venue` over REST
 * (gateway.ts), the user-data stream (user-stream.ts) and its wire parsing (user-data.ts). Network
 * code lives here with injected clock and timers (the wall clock's come from live/); ws-fapi order
 * entry is next.
 *
 * Units: prices integer ticks and quantities integer lots of the symbol's scale; Binance's ms
 * times become integer µs. Bad input fails with an `InputError` naming file, line and field.
 */
export { parseBinanceMessage, parseDepthSnapshot, parseStreamData, streamKind, type StreamKind } from './market.ts';
export { parseStreamBytesFast, scanDecimalSecondsHead, scanReceiveDigits, scannedTo } from './market-fast.ts';
export { loadExchangeInfoFile, specsFromExchangeInfo } from './exchange-info.ts';
export { Signer, type Credentials, type KeyType } from './sign.ts';
export { BinanceRest, retryAfterUs, UNKNOWN_OUTCOME_CODES, type RequestSpec, type RestClientOptions, type RestOutcome, type RestStats, type Throttle, type Timers } from './rest.ts';
export { BinanceGateway, type GatewayOptions } from './gateway.ts';
export { UserStream, type UserStreamOptions, type UserStreamState, type UserStreamStats } from './user-stream.ts';
export { accountSyncOf, parseBalances, parseOpenOrders, parseOrderTradeUpdate, parsePositions } from './user-data.ts';
