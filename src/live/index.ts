/**
 * live: the wall-clock shells of `maker live` (issue 12): the wall clock and timers handed to the
 * Binance adapter, the runner (runner.ts: the core's inputs in, its commands out, journalled), the
 * journal and its replay (journal.ts, replay.ts), the market feed (market-feed.ts) and the session
 * (session.ts: keys, start-up reconciliation, run directory, kill switch and confirmed shutdown;
 * with credentials.ts, venue-orders.ts, ws-order-entry.ts and stream-health.ts beside it)
 * and the dashboard (dashboard/: page, SSE, controls, /metrics).
 */
export { WallClock, wallTimers } from './clock.ts';
export { commandText, JOURNAL_FILE, LiveJournal, readJournal, type OperatorInput, type JournalHeader, type JournalRecord, type ParsedJournal } from './journal.ts';
export { LatencySamples, LiveRunner, type LiveRunnerOptions, type RunnerStats, type RunnerTrader } from './runner.ts';
export { journalPathOf, journalToStore, replayJournal, type ReplayHooks, type ReplayResult } from './replay.ts';
export { liveTrader, runTagOf, scenarioBalances } from './trader.ts';
export { EXIT, LiveSession, runIdOf, type SessionView, type FeedFactory, type FeedFactoryOptions, type FeedLike, type SessionOptions, type SessionSummary, type ShutdownResult } from './session.ts';
export { credentialsFrom } from './credentials.ts';
export { type SessionHealth } from './stream-health.ts';
export { LiveMarketFeed, type MarketFeedOptions, type MarketFeedStats } from './market-feed.ts';
export { LiveDashboard, LIVE_METRIC_NAMES, randomToken, TOKEN_HEADER, type DashboardOptions, type DashboardTarget } from './dashboard/index.ts';
export { acquireFileLease, FileLease, LEASE_HELD_EXIT, type FileLeaseOptions } from './lease.ts';
