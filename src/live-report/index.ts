/**
 * live-report: the report of a `maker live` session (issue 12): the backtest's report of the
 * session itself, rebuilt from its journal, and "live vs simulated", a backtest of the same
 * scenario on the market the session received, compared fill by fill (count, volume, prices,
 * match rate by order and by time), markouts and PnL decomposition side by side. It sits above
 * `backtest/` and `live/` (which never import each other) and is used by `maker live` (at the end
 * of a session) and `maker replay --report`.
 */
export { liveSessionReport, writeLiveSessionReport, REPORT_FILE, type LiveReport, type LiveReportOptions } from './report.ts';
export { fillStats, matchByOrder, matchByTime, MATCH_WINDOW_US, type FillStats, type OrderMatch, type TimeMatch } from './compare.ts';
export { collectOrdersAndFills, orderSeq, recordLiveSession, restsAtVenue, type BookedFill, type CreatedOrder, type LiveSideRecord, type SideRecord } from './record.ts';
export { simulateSession, simulationScenario, type SimSideRecord } from './simulate.ts';
export { compareSides, differencesCaption, type LiveVsSimulated } from './render.ts';
