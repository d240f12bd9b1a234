/**
 * live: the wall-clock shells of `maker live` (issue 12): the wall clock and timers handed to the
 * Binance adapter, and the live market feed (market-feed.ts: routed streams, book-sync snapshots,
 * reconnects, stall detection, rotation). The runner and reconciliation come next.
 */
export { WallClock, wallTimers } from './clock.ts';
export { LiveMarketFeed, type MarketFeedOptions, type MarketFeedStats } from './market-feed.ts';
