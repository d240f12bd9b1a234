/**
 * The trading state machine: ACTIVE → REDUCING (only position-reducing quotes) → HALTED (no new
 * orders; cancels always pass).
 *
 * Two pieces work together:
 * - `TRANSITIONS`, the table of (state, trigger) → next state. A missing row is a bug and throws.
 *   `RESIDUAL` means "whatever the holds that remain demand" (used when something is lifted).
 * - Holds: why the state is what it is. Each trip adds a hold (kill switch, drawdown stop, daily-loss
 *   stop, volatility halt, venue throttle); a reset or a cooldown end removes some. The state always equals the most
 *   severe remaining hold (none → ACTIVE), and every transition is checked against that, so the table
 *   and the holds cannot drift apart silently.
 *
 * Latching: the kill switch and the drawdown / daily-loss stops stay until `reset`; the volatility
 * halt lifts itself at `untilUs` (the engine calls `clearVolatility`), and so does the venue-throttle
 * hold (REDUCING from a 429/418 until the ban's end plus a cool-down; `clearThrottle`). A reset does
 * not lift either: they are automatic and end on their own timers.
 */
import { InvariantError } from '../core/errors.ts';
import type { RiskReasonCode, TradingState } from '../model/trading.ts';

export type StateTrigger = 'KILL' | 'STOP_REDUCING' | 'STOP_HALTED' | 'VOLATILITY_TRIP' | 'VOLATILITY_CLEAR' | 'THROTTLE_TRIP' | 'THROTTLE_CLEAR' | 'RESET';

export type TransitionTarget = TradingState | 'RESIDUAL';

/**
 * The transition table. Odd rows, explained:
 * - `HALTED` + `STOP_REDUCING` stays HALTED: the more severe state wins; the stop is remembered and
 *   shows once the halt lifts.
 * - `VOLATILITY_CLEAR` exists only from HALTED: a volatility hold always makes the state HALTED.
 * - `RESET` from ACTIVE is a no-op row (an operator may press reset at any time); from REDUCING it
 *   gives what remains (a running throttle hold keeps it REDUCING).
 * - `THROTTLE_CLEAR` does not exist from ACTIVE: a throttle hold always makes the state REDUCING or
 *   worse.
 */
export const TRANSITIONS: Readonly<Record<TradingState, Readonly<Partial<Record<StateTrigger, TransitionTarget>>>>> = {
  ACTIVE: { KILL: 'HALTED', STOP_REDUCING: 'REDUCING', STOP_HALTED: 'HALTED', VOLATILITY_TRIP: 'HALTED', THROTTLE_TRIP: 'REDUCING', RESET: 'ACTIVE' },
  REDUCING: { KILL: 'HALTED', STOP_REDUCING: 'REDUCING', STOP_HALTED: 'HALTED', VOLATILITY_TRIP: 'HALTED', THROTTLE_TRIP: 'REDUCING', THROTTLE_CLEAR: 'RESIDUAL', RESET: 'RESIDUAL' },
  HALTED: { KILL: 'HALTED', STOP_REDUCING: 'HALTED', STOP_HALTED: 'HALTED', VOLATILITY_TRIP: 'HALTED', VOLATILITY_CLEAR: 'RESIDUAL', THROTTLE_TRIP: 'HALTED', THROTTLE_CLEAR: 'RESIDUAL', RESET: 'RESIDUAL' },
};

export type HoldKind = 'kill' | 'volatility' | 'drawdown' | 'dailyLoss' | 'throttle';

/** One reason the engine is not fully ACTIVE. */
export interface Hold {
  kind: HoldKind;
  state: Exclude<TradingState, 'ACTIVE'>;
  code: RiskReasonCode;
  message: string;
  sinceUs: number;
  /** For the volatility halt and the throttle hold: when it lifts, µs. Null for latched holds. */
  untilUs: number | null;
}

export interface StateTransition {
  from: TradingState;
  to: TradingState;
  trigger: StateTrigger;
  code: RiskReasonCode | null;
  message: string;
  tsUs: number;
}

const SEVERITY: Record<TradingState, number> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };
/** Which hold is reported as "the" cause when several demand the same state. */
const HOLD_ORDER: readonly HoldKind[] = ['kill', 'volatility', 'drawdown', 'dailyLoss', 'throttle'];

export class TradingStateMachine {
  private current: TradingState = 'ACTIVE';
  private sinceUs: number;
  private readonly holdsByKind = new Map<HoldKind, Hold>();

  constructor(startUs = 0) {
    this.sinceUs = startUs;
  }

  get state(): TradingState {
    return this.current;
  }

  /** When the current state was entered, µs. */
  get stateSinceUs(): number {
    return this.sinceUs;
  }

  hasHold(kind: HoldKind): boolean {
    return this.holdsByKind.has(kind);
  }

  hold(kind: HoldKind): Hold | undefined {
    return this.holdsByKind.get(kind);
  }

  /** Current holds, most important first (kill, volatility, drawdown, daily loss, throttle). */
  holds(): Hold[] {
    const out: Hold[] = [];
    for (const kind of HOLD_ORDER) {
      const h = this.holdsByKind.get(kind);
      if (h) out.push({ ...h });
    }
    return out;
  }

  /** The hold that explains the current state; undefined when ACTIVE. */
  cause(): Hold | undefined {
    for (const kind of HOLD_ORDER) {
      const h = this.holdsByKind.get(kind);
      if (h && h.state === this.current) return h;
    }
    return undefined;
  }

  /** Manual kill switch → HALTED until `reset`. Pressing it again refreshes the message only. */
  kill(tsUs: number, message: string): StateTransition | null {
    this.holdsByKind.set('kill', { kind: 'kill', state: 'HALTED', code: 'KILL_SWITCH', message, sinceUs: tsUs, untilUs: null });
    return this.fire('KILL', tsUs, 'KILL_SWITCH', message);
  }

  /** A drawdown or daily-loss stop; latched, so a second trip of the same kind does nothing. */
  tripStop(kind: 'drawdown' | 'dailyLoss', stopState: 'REDUCING' | 'HALTED', tsUs: number, message: string): StateTransition | null {
    if (this.holdsByKind.has(kind)) return null;
    const code: RiskReasonCode = kind === 'drawdown' ? 'DRAWDOWN_STOP' : 'DAILY_LOSS_STOP';
    this.holdsByKind.set(kind, { kind, state: stopState, code, message, sinceUs: tsUs, untilUs: null });
    return this.fire(stopState === 'REDUCING' ? 'STOP_REDUCING' : 'STOP_HALTED', tsUs, code, message);
  }

  /** Volatility halt until `untilUs`; a breach during a halt only pushes `untilUs` later. */
  tripVolatility(tsUs: number, untilUs: number, message: string): StateTransition | null {
    const existing = this.holdsByKind.get('volatility');
    if (existing) {
      existing.untilUs = Math.max(existing.untilUs ?? untilUs, untilUs);
      existing.message = message;
      return null;
    }
    this.holdsByKind.set('volatility', { kind: 'volatility', state: 'HALTED', code: 'VOLATILITY_HALT', message, sinceUs: tsUs, untilUs });
    return this.fire('VOLATILITY_TRIP', tsUs, 'VOLATILITY_HALT', message);
  }

  /** Lifts the volatility halt (the cooldown ended). */
  clearVolatility(tsUs: number): StateTransition | null {
    if (!this.holdsByKind.delete('volatility')) return null;
    return this.fire('VOLATILITY_CLEAR', tsUs, 'VOLATILITY_HALT', 'volatility cooldown ended');
  }

  /**
   * The venue throttled us (HTTP 429/418): REDUCING until `untilUs` (the ban's end plus the
   * cool-down); a throttle during the hold only pushes `untilUs` later (and refreshes the message).
   */
  tripThrottle(tsUs: number, untilUs: number, message: string): StateTransition | null {
    const existing = this.holdsByKind.get('throttle');
    if (existing) {
      existing.untilUs = Math.max(existing.untilUs ?? untilUs, untilUs);
      existing.message = message;
      return null;
    }
    this.holdsByKind.set('throttle', { kind: 'throttle', state: 'REDUCING', code: 'VENUE_THROTTLED', message, sinceUs: tsUs, untilUs });
    return this.fire('THROTTLE_TRIP', tsUs, 'VENUE_THROTTLED', message);
  }

  /** Lifts the throttle hold (its cool-down ended). */
  clearThrottle(tsUs: number): StateTransition | null {
    if (!this.holdsByKind.delete('throttle')) return null;
    return this.fire('THROTTLE_CLEAR', tsUs, 'VENUE_THROTTLED', 'venue throttle cool-down ended');
  }

  /** Operator reset: lifts the kill switch and the latched stops (not a running volatility halt). */
  reset(tsUs: number, message: string): StateTransition | null {
    this.holdsByKind.delete('kill');
    this.holdsByKind.delete('drawdown');
    this.holdsByKind.delete('dailyLoss');
    return this.fire('RESET', tsUs, null, message);
  }

  /** The state the remaining holds demand. */
  private residual(): TradingState {
    let s: TradingState = 'ACTIVE';
    for (const h of this.holdsByKind.values()) if (SEVERITY[h.state] > SEVERITY[s]) s = h.state;
    return s;
  }

  private fire(trigger: StateTrigger, tsUs: number, code: RiskReasonCode | null, message: string): StateTransition | null {
    const from = this.current;
    const row = TRANSITIONS[from][trigger];
    if (row === undefined) throw new InvariantError(`risk state machine: no transition from ${from} on ${trigger}`);
    const to = row === 'RESIDUAL' ? this.residual() : row;
    if (to !== this.residual()) throw new InvariantError(`risk state machine: ${from} on ${trigger} gives ${to} but the holds demand ${this.residual()}`);
    if (to === from) return null;
    this.current = to;
    this.sinceUs = tsUs;
    return { from, to, trigger, code, message, tsUs };
  }
}
