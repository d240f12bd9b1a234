/**
 * trader: `TradingCore`, the per-symbol decision pipeline (book → signal → strategy → risk → OMS,
 * with the portfolio booking fills and funding) that runs unchanged in backtest and live.
 *
 * Units: prices integer ticks, quantities integer lots, times integer µs from the injected clock,
 * money exact decimal strings. Ordering: symbols in the order of `instruments`; commands in the
 * order the OMS produced them; bus events synchronously as they happen. The decision rule (when
 * the pipeline runs) is stated in core.ts.
 *
 * Contract for the engines around it:
 *   new TradingCore({ clock, bus?, instruments, config, initialBalance, portfolio? })
 *   onMarketEvent(e)        strategy side, at the event's receive time
 *   onExecutionReport(r)    any report of our orders (duplicates / reordering allowed)
 *   onFunding(f)            a funding settlement the exchange booked ({symbol, tsUs, markPrice, rate, payment?})
 *   onTimer(tsUs), nextTimerUs()   requote / deferred / order-age timers (Infinity = none)
 *   drainCommands()         gateway commands to send, in order
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
export type { AccountSynced, CommandsQueued, DecisionTrigger, IntentDecided, PositionAdjusted, RiskDecided, StreamChanged, TraderEvents, TraderOwnEvents } from './events.ts';
export { emptyStrategySignals, toStrategySignals, writeStrategySignals, type FullStrategySignals } from './signals.ts';
