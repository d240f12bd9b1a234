/**
 * live: the wall-clock shells of `maker live` (issue 12). Today: the wall clock and timers handed
 * to the Binance adapter. The runner, the market feed and reconciliation come next.
 */
export { WallClock, wallTimers } from './clock.ts';
