/**
 * The one way a live session builds its trading core, used by the session and by `maker replay`
 * (so the replay's core is the session's, by construction): the scenario's trader sections with
 * the session's run tag in the client order ids, the venue's instruments, the start balances.
 */
import type { Clock } from '../core/clock.ts';
import type { Instrument } from '../model/instrument.ts';
import type { Scenario } from '../scenario/index.ts';
import { TradingCore } from '../trader/index.ts';

export function liveTrader(s: Scenario, instruments: Instrument[], clock: Clock, runTag: string, initialBalance: readonly { asset: string; amount: string }[]): TradingCore {
  const config = { ...s.trader, oms: { ...s.trader.oms, runTag } };
  return new TradingCore({ clock, instruments, config, initialBalance: initialBalance.map((b) => ({ ...b })), portfolio: { defaults: { leverage: s.account.leverage } } });
}

/** The scenario's start balances (upper-case assets, sorted), as the backtest takes them. */
export function scenarioBalances(s: Scenario): { asset: string; amount: string }[] {
  return Object.keys(s.account.balances)
    .sort()
    .map((asset) => ({ asset: asset.toUpperCase(), amount: s.account.balances[asset] }));
}

/**
 * A run tag unique per session (client order ids are never reused across sessions): the session
 * start in ms, base 36 (8 characters until 2059).
 */
export function runTagOf(startMs: number): string {
  return startMs.toString(36);
}
