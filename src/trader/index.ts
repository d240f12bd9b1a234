/**
 * trader: `TradingCore`, the per-symbol decision pipeline (book → signal → strategy → risk → OMS,
 * with the portfolio booking fills and funding) that runs unchanged in backtest and live.
 *
 * Units: prices integer ticks, quantities integer lots, times integer µs from the injected clock,
 * money exact decimal strings. Ordering: symbols in the order of `instruments`; commands in the
 * order the OMS produced them; bus events synchronously as they happen. The decision rule (when
 * the pipeline runs) is stated in core.ts.
 *
 * Contract for the drivers around it (`TraderPort`, port.ts; the venue vocabulary is model/venue.ts):
 *   new TradingCore({ clock, bus?, instruments, config, initialBalance, portfolio? })
 *   onMarketEvent(e), onFlatDepthDiff?(symbol, d), accepts(type, symbol)   at the event's receive time
 *   onVenueEvent(e)         every venue event: report (duplicates / reordering allowed), funding,
 *                           requestUnknown, queryAnswer, accountSync, streamState; re-decides each
 *                           changed symbol once
 *   onTimer(tsUs), nextTimerUs()   requote / deferred / order-age timers and queries of unknown
 *                           outcomes (Infinity = none)
 *   drainCommands()         venue commands to send (submit, cancel, modify, query), in order
 *   setPaused(symbol, paused), isPaused(symbol)   operator pause (every decision cancels everything)
 *   portfolio, oms, risk(symbol), signals(symbol), book(symbol), kill(symbol), bus
 */
export { TradingCore, type TradingCoreCounters, type TradingCoreOptions } from './core.ts';
export type { TraderPort } from './port.ts';
export {
  DEFAULT_DECISION_CONFIG,
  parseTraderConfig,
  type BookSource,
  type DecisionConfig,
  type MarkSource,
  type MicropriceSource,
  type ObiSource,
  type TraderConfig,
  type TraderConfigInput,
} from './config.ts';
export type { AccountSynced, BookValidityCause, BookValidityChanged, CommandsQueued, DecisionTrigger, IntentDecided, PauseChanged, PositionAdjusted, PositionLiquidated, RiskDecided, StreamChanged, TraderEvents, TraderOwnEvents } from './events.ts';
export { emptyStrategySignals, toStrategySignals, writeStrategySignals, type FullStrategySignals } from './signals.ts';
