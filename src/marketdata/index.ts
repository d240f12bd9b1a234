/**
 * marketdata: what every consumer of Binance market data shares. `MarketBook` is the one
 * per-symbol book keeper (depth book through the sync state machine, top-of-book book, the book
 * source rule, invalidation when a stream goes down), used by the trading core, the simulated
 * exchange and the data checker; `DataChecker` is `maker data check`. Units: ticks, lots, µs.
 */
export { MarketBook, type BookSource } from './market-book.ts';
export { DataChecker, isClean, type CheckReport, type RecordingCheck, type SymbolCheck } from './check.ts';
