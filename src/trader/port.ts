/**
 * `TraderPort`: what every driver (the backtest engine, the live runner) does with a trader. The
 * driver delivers market events at their receive time, venue events as they arrive and timers
 * when due, each with the injected clock at that time; after every call it drains the commands
 * and sends them to the venue, and re-arms one timer at `nextTimerUs()`.
 *
 * `onMarketEvent`, `onFlatDepthDiff` and `accepts` are the `MarketSink` of model/venue.ts (the
 * two optional ones are replay fast paths; `accepts` is pure).
 */
import type { MarketSink, VenueCommand, VenueEvent } from '../model/venue.ts';

export interface TraderPort extends MarketSink {
  /** A venue event (any kind; reports duplicated or reordered allowed). Re-triggers decisions at most once per symbol. */
  onVenueEvent(e: VenueEvent): void;
  /** Runs what is due at `tsUs` (decisions, queries of unknown outcomes). */
  onTimer(tsUs: number): void;
  /** When `onTimer` wants to be called next, µs; Infinity when nothing is scheduled. Changes only when a method of the trader is called. */
  nextTimerUs(): number;
  /** Commands to send, in order; the queue is emptied. */
  drainCommands(): VenueCommand[];
}
