import { describe, expect, it } from 'vitest';
import type { TradingState } from '../../src/model/trading.ts';
import { TRANSITIONS, TradingStateMachine, type StateTrigger } from '../../src/risk/index.ts';

describe('TRANSITIONS table', () => {
  it('has a row for every (state, trigger) that can happen: only VOLATILITY_CLEAR outside HALTED and THROTTLE_CLEAR from ACTIVE are missing', () => {
    const states: TradingState[] = ['ACTIVE', 'REDUCING', 'HALTED'];
    const triggers: StateTrigger[] = ['KILL', 'STOP_REDUCING', 'STOP_HALTED', 'VOLATILITY_TRIP', 'VOLATILITY_CLEAR', 'THROTTLE_TRIP', 'THROTTLE_CLEAR', 'RESET'];
    const missing: string[] = [];
    for (const s of states) for (const t of triggers) if (TRANSITIONS[s][t] === undefined) missing.push(`${s}/${t}`);
    expect(missing).toEqual(['ACTIVE/VOLATILITY_CLEAR', 'ACTIVE/THROTTLE_CLEAR', 'REDUCING/VOLATILITY_CLEAR']);
  });

  it('never leaves HALTED on a trip, and kill always halts', () => {
    for (const t of ['KILL', 'STOP_REDUCING', 'STOP_HALTED', 'VOLATILITY_TRIP', 'THROTTLE_TRIP'] as const) expect(TRANSITIONS.HALTED[t]).toBe('HALTED');
    for (const s of ['ACTIVE', 'REDUCING', 'HALTED'] as const) expect(TRANSITIONS[s].KILL).toBe('HALTED');
  });
});

describe('every row of the table, driven through the public API', () => {
  const enter: Record<TradingState, (m: TradingStateMachine) => void> = {
    ACTIVE: () => {},
    REDUCING: (m) => m.tripStop('drawdown', 'REDUCING', 1, 'dd'),
    HALTED: (m) => m.tripVolatility(1, 100, 'v'),
  };
  const fire: Record<StateTrigger, (m: TradingStateMachine) => unknown> = {
    KILL: (m) => m.kill(2, 'k'),
    STOP_REDUCING: (m) => m.tripStop('dailyLoss', 'REDUCING', 2, 'dl'),
    STOP_HALTED: (m) => m.tripStop('dailyLoss', 'HALTED', 2, 'dl'),
    VOLATILITY_TRIP: (m) => m.tripVolatility(2, 200, 'v2'),
    VOLATILITY_CLEAR: (m) => m.clearVolatility(2),
    THROTTLE_TRIP: (m) => m.tripThrottle(2, 300, 't'),
    THROTTLE_CLEAR: (m) => m.clearThrottle(2),
    RESET: (m) => m.reset(2, 'r'),
  };
  // Expected next state, written out by hand (not read from TRANSITIONS).
  const rows: [TradingState, StateTrigger, TradingState][] = [
    ['ACTIVE', 'KILL', 'HALTED'],
    ['ACTIVE', 'STOP_REDUCING', 'REDUCING'],
    ['ACTIVE', 'STOP_HALTED', 'HALTED'],
    ['ACTIVE', 'VOLATILITY_TRIP', 'HALTED'],
    ['ACTIVE', 'THROTTLE_TRIP', 'REDUCING'],
    ['ACTIVE', 'RESET', 'ACTIVE'],
    ['REDUCING', 'KILL', 'HALTED'],
    ['REDUCING', 'STOP_REDUCING', 'REDUCING'],
    ['REDUCING', 'STOP_HALTED', 'HALTED'],
    ['REDUCING', 'VOLATILITY_TRIP', 'HALTED'],
    ['REDUCING', 'THROTTLE_TRIP', 'REDUCING'],
    ['REDUCING', 'THROTTLE_CLEAR', 'REDUCING'], // no throttle hold: the drawdown stop that put it there stays
    ['REDUCING', 'RESET', 'ACTIVE'],
    ['HALTED', 'KILL', 'HALTED'],
    ['HALTED', 'STOP_REDUCING', 'HALTED'],
    ['HALTED', 'STOP_HALTED', 'HALTED'],
    ['HALTED', 'VOLATILITY_TRIP', 'HALTED'],
    ['HALTED', 'VOLATILITY_CLEAR', 'ACTIVE'],
    ['HALTED', 'THROTTLE_TRIP', 'HALTED'],
    ['HALTED', 'THROTTLE_CLEAR', 'HALTED'],
    ['HALTED', 'RESET', 'HALTED'], // the volatility halt that put it there runs on
  ];
  it.each(rows)('%s + %s → %s', (from, trigger, to) => {
    const m = new TradingStateMachine();
    enter[from](m);
    expect(m.state).toBe(from);
    const t = fire[trigger](m) as { from: string; to: string; trigger: string; tsUs: number } | null;
    expect(m.state).toBe(to);
    if (from === to) expect(t).toBeNull();
    else expect(t).toMatchObject({ from, to, trigger, tsUs: 2 });
    if (from !== to) expect(m.stateSinceUs).toBe(2);
  });
});

describe('the venue-throttle hold', () => {
  it('REDUCING until its end; a second throttle extends it; a reset does not lift it; its end gives what remains', () => {
    const m = new TradingStateMachine();
    expect(m.tripThrottle(10, 100, 'HTTP 429')).toEqual({ from: 'ACTIVE', to: 'REDUCING', trigger: 'THROTTLE_TRIP', code: 'VENUE_THROTTLED', message: 'HTTP 429', tsUs: 10 });
    expect(m.tripThrottle(20, 150, 'HTTP 418')).toBeNull();
    expect(m.hold('throttle')).toMatchObject({ untilUs: 150, message: 'HTTP 418', sinceUs: 10, state: 'REDUCING' });
    expect(m.tripThrottle(30, 120, 'shorter')).toBeNull();
    expect(m.hold('throttle')?.untilUs).toBe(150);
    expect(m.reset(40, 'operator')).toBeNull();
    expect(m.state).toBe('REDUCING');
    expect(m.cause()?.code).toBe('VENUE_THROTTLED');
    // A drawdown stop during the hold: the hold's end leaves the stop's REDUCING.
    m.tripStop('drawdown', 'REDUCING', 50, 'dd');
    expect(m.clearThrottle(150)).toBeNull();
    expect(m.state).toBe('REDUCING');
    expect(m.cause()?.code).toBe('DRAWDOWN_STOP');
    m.reset(160, 'r');
    expect(m.state).toBe('ACTIVE');
    // Volatility over a throttle: HALTED; the halt's end leaves the throttle's REDUCING, its end ACTIVE.
    m.tripThrottle(200, 400, 't');
    m.tripVolatility(210, 300, 'v');
    expect(m.state).toBe('HALTED');
    expect(m.clearVolatility(300)).toMatchObject({ from: 'HALTED', to: 'REDUCING' });
    expect(m.clearThrottle(400)).toMatchObject({ from: 'REDUCING', to: 'ACTIVE', trigger: 'THROTTLE_CLEAR', code: 'VENUE_THROTTLED' });
    expect(m.clearThrottle(401)).toBeNull();
  });
});

describe('TradingStateMachine', () => {
  it('starts ACTIVE with no holds', () => {
    const m = new TradingStateMachine(5);
    expect(m.state).toBe('ACTIVE');
    expect(m.stateSinceUs).toBe(5);
    expect(m.holds()).toEqual([]);
    expect(m.cause()).toBeUndefined();
  });

  it('ACTIVE → HALTED on kill, stays until reset, reset → ACTIVE', () => {
    const m = new TradingStateMachine();
    expect(m.kill(10, 'operator')).toEqual({ from: 'ACTIVE', to: 'HALTED', trigger: 'KILL', code: 'KILL_SWITCH', message: 'operator', tsUs: 10 });
    expect(m.kill(11, 'again')).toBeNull();
    expect(m.hold('kill')?.message).toBe('again');
    expect(m.state).toBe('HALTED');
    expect(m.stateSinceUs).toBe(10);
    expect(m.reset(20, 'ok')).toEqual({ from: 'HALTED', to: 'ACTIVE', trigger: 'RESET', code: null, message: 'ok', tsUs: 20 });
    expect(m.stateSinceUs).toBe(20);
  });

  it('ACTIVE → REDUCING on a reducing stop; latched; REDUCING → HALTED on kill; reset → ACTIVE', () => {
    const m = new TradingStateMachine();
    expect(m.tripStop('drawdown', 'REDUCING', 1, 'dd')).toMatchObject({ from: 'ACTIVE', to: 'REDUCING', trigger: 'STOP_REDUCING', code: 'DRAWDOWN_STOP' });
    expect(m.tripStop('drawdown', 'REDUCING', 2, 'dd again')).toBeNull();
    expect(m.hold('drawdown')?.message).toBe('dd');
    expect(m.tripStop('dailyLoss', 'REDUCING', 3, 'dl')).toBeNull(); // REDUCING → REDUCING, no change
    expect(m.hasHold('dailyLoss')).toBe(true);
    expect(m.kill(4, 'k')).toMatchObject({ from: 'REDUCING', to: 'HALTED' });
    expect(m.cause()?.kind).toBe('kill');
    expect(m.reset(5, 'r')).toMatchObject({ from: 'HALTED', to: 'ACTIVE' });
    expect(m.holds()).toEqual([]);
  });

  it('a halting stop goes straight to HALTED; the daily-loss code is kept', () => {
    const m = new TradingStateMachine();
    expect(m.tripStop('dailyLoss', 'HALTED', 1, 'dl')).toMatchObject({ to: 'HALTED', trigger: 'STOP_HALTED', code: 'DAILY_LOSS_STOP' });
    expect(m.cause()?.code).toBe('DAILY_LOSS_STOP');
  });

  it('REDUCING → HALTED on a halting stop, and a reset from REDUCING returns to ACTIVE', () => {
    const m = new TradingStateMachine();
    m.tripStop('dailyLoss', 'REDUCING', 1, 'dl');
    expect(m.tripStop('drawdown', 'HALTED', 2, 'dd')).toMatchObject({ from: 'REDUCING', to: 'HALTED', trigger: 'STOP_HALTED' });
    const m2 = new TradingStateMachine();
    m2.tripStop('drawdown', 'REDUCING', 1, 'dd');
    expect(m2.reset(2, 'r')).toMatchObject({ from: 'REDUCING', to: 'ACTIVE', trigger: 'RESET' });
  });

  it('volatility halt: trip, extend, clear back to the residual state', () => {
    const m = new TradingStateMachine();
    m.tripStop('drawdown', 'REDUCING', 1, 'dd');
    expect(m.tripVolatility(2, 100, 'jump')).toMatchObject({ from: 'REDUCING', to: 'HALTED', trigger: 'VOLATILITY_TRIP', code: 'VOLATILITY_HALT' });
    expect(m.tripVolatility(50, 150, 'jump 2')).toBeNull();
    expect(m.hold('volatility')?.untilUs).toBe(150);
    expect(m.tripVolatility(60, 120, 'smaller')).toBeNull();
    expect(m.hold('volatility')?.untilUs).toBe(150); // never shortened
    expect(m.clearVolatility(150)).toMatchObject({ from: 'HALTED', to: 'REDUCING', trigger: 'VOLATILITY_CLEAR' });
    expect(m.clearVolatility(151)).toBeNull();
  });

  it('reset during a volatility halt lifts the latches but keeps HALTED until the cooldown ends', () => {
    const m = new TradingStateMachine();
    m.kill(1, 'k');
    m.tripVolatility(2, 100, 'sigma');
    expect(m.reset(3, 'r')).toBeNull(); // HALTED → HALTED
    expect(m.holds().map((h) => h.kind)).toEqual(['volatility']);
    expect(m.cause()?.kind).toBe('volatility');
    expect(m.clearVolatility(100)).toMatchObject({ from: 'HALTED', to: 'ACTIVE' });
  });

  it('a volatility halt over a kill switch clears into HALTED (no change)', () => {
    const m = new TradingStateMachine();
    m.tripVolatility(1, 10, 'v');
    m.kill(2, 'k');
    expect(m.clearVolatility(10)).toBeNull();
    expect(m.state).toBe('HALTED');
    expect(m.cause()?.kind).toBe('kill');
  });

  it('a reset in ACTIVE is a no-op', () => {
    expect(new TradingStateMachine().reset(1, 'r')).toBeNull();
  });

  it('holds() returns copies in a fixed order', () => {
    const m = new TradingStateMachine();
    m.tripStop('dailyLoss', 'REDUCING', 1, 'dl');
    m.tripVolatility(2, 9, 'v');
    m.kill(3, 'k');
    m.tripStop('drawdown', 'HALTED', 4, 'dd');
    const hs = m.holds();
    expect(hs.map((h) => h.kind)).toEqual(['kill', 'volatility', 'drawdown', 'dailyLoss']);
    hs[0].message = 'mutated';
    expect(m.hold('kill')?.message).toBe('k');
  });
});
