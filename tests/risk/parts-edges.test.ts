// Edges of the risk module's parts (config parser, instrument limits, order-rate limiter, state
// machine, mid window) that the mutation run of issue 15 found unpinned: exact error messages and
// keys, inclusive bounds, and the mid window after a clear. Equivalent mutants are listed in
// docs/mutation/risk-equivalents.md.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { Instrument } from '../../src/model/instrument.ts';
import { MidRangeWindow, OrderRateLimiter, TradingStateMachine, instrumentLimits, parseRiskConfig } from '../../src/risk/index.ts';
import { INSTRUMENT, makeSpec } from './fixtures.ts';

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseRiskConfig: exact messages and bounds', () => {
  it.each([
    [5, 'risk: expected a mapping, got 5'],
    [{ maxOpenOrders: 2.5 }, 'risk.maxOpenOrders: expected an integer, got 2.5'],
    [{ orderRate: { perSecond: 1.5 } }, 'risk.orderRate.perSecond: expected an integer, got 1.5'],
    [{ volatility: { jumpWindowUs: 1.5 } }, 'risk.volatility.jumpWindowUs: expected an integer, got 1.5'],
    [{ volatility: { cooldownUs: 1.5 } }, 'risk.volatility.cooldownUs: expected an integer, got 1.5'],
    [{ volatility: { maxMidJumpTicks: 0 } }, 'risk.volatility.maxMidJumpTicks: must be > 0, got 0'],
    [{ volatility: { maxMidJumpBps: 0 } }, 'risk.volatility.maxMidJumpBps: must be > 0, got 0'],
    [{ maxDrawdownFraction: 1.01 }, 'risk.maxDrawdownFraction: must be ≤ 1, got 1.01'],
    [{ maxDailyLoss: Number.NaN }, 'risk.maxDailyLoss: expected a decimal string (margin asset) or null, got null'],
    [{ maxDailyLoss: true }, 'risk.maxDailyLoss: expected a decimal string (margin asset) or null, got true'],
  ])('%j → %s', (raw, message) => {
    expect(configError(() => parseRiskConfig(raw)).message).toBe(message);
  });

  it('names the known keys for an unknown one', () => {
    expect(configError(() => parseRiskConfig({ maxPosition: 1 })).message).toMatch(/^risk\.maxPosition: unknown key \(known: maxPositionLots, .*\bvolatility\b.*\)$/);
  });

  it('accepts a fraction of exactly 1 and trims money strings', () => {
    expect(parseRiskConfig({ maxDrawdownFraction: 1 }).maxDrawdownFraction).toBe(1);
    expect(parseRiskConfig({ maxDailyLoss: ' 250 ' }).maxDailyLoss).toBe('250');
  });
});

describe('instrumentLimits: exact bounds', () => {
  it('a cap of exactly 2^53 − 1 tick-lots is allowed; one more names the key', () => {
    // One tick-lot is 0.0001 USDT.
    expect(instrumentLimits(parseRiskConfig({ maxOrderNotional: '900719925474.0991' }), INSTRUMENT).maxOrderTickLots).toBe(Number.MAX_SAFE_INTEGER);
    const e = configError(() => instrumentLimits(parseRiskConfig({ maxOrderNotional: '900719925474.1' }), INSTRUMENT));
    expect(e.message).toBe('risk.maxOrderNotional: 900719925474.1 is too large for BTCUSDT (over 2^53 tick-lots)');
    expect(e.location).toEqual({ field: 'risk.maxOrderNotional' });
    const p = configError(() => instrumentLimits(parseRiskConfig({ maxPositionNotional: '900719925474.1' }), INSTRUMENT));
    expect(p.message).toBe('risk.maxPositionNotional: 900719925474.1 is too large for BTCUSDT (over 2^53 tick-lots)');
  });

  it('an instrument MAX_NUM_ORDERS of 0 means unknown: the config limit applies', () => {
    expect(instrumentLimits(parseRiskConfig({ maxOpenOrders: 30 }), new Instrument(makeSpec({ maxNumOrders: 0 }))).maxOpenOrders).toBe(30);
  });
});

describe('OrderRateLimiter edges', () => {
  it('ignores a zero or negative weight', () => {
    const r = new OrderRateLimiter({ perSecond: 10, per10s: null, perMinute: null });
    r.recordOrderSent(0, -3);
    r.recordOrderSent(0, 0);
    expect(r.usage(0)).toEqual([{ label: '1s', lengthUs: 1_000_000, maxOrders: 10, used: 0 }]);
    expect(r.remaining(0)).toBe(10);
  });

  it('names time going backwards exactly', () => {
    const r = new OrderRateLimiter({ perSecond: 10, per10s: null, perMinute: null });
    r.recordOrderSent(10);
    expect(() => r.remaining(9)).toThrow('order rate limiter: time went backwards (9 < 10)');
  });
});

describe('TradingStateMachine edges', () => {
  it('the cause is the hold that demands the current state, not the first hold', () => {
    const m = new TradingStateMachine(0);
    m.tripStop('drawdown', 'REDUCING', 1, 'dd');
    m.tripStop('dailyLoss', 'HALTED', 2, 'daily');
    expect(m.state).toBe('HALTED');
    expect(m.cause()).toMatchObject({ kind: 'dailyLoss', code: 'DAILY_LOSS_STOP', message: 'daily' });
  });

  it('the end of a volatility cooldown is a VOLATILITY_CLEAR with its code and message', () => {
    const m = new TradingStateMachine(0);
    m.tripVolatility(1, 10, 'jump');
    expect(m.clearVolatility(10)).toEqual({ from: 'HALTED', to: 'ACTIVE', trigger: 'VOLATILITY_CLEAR', code: 'VOLATILITY_HALT', message: 'volatility cooldown ended', tsUs: 10 });
  });
});

describe('MidRangeWindow edges', () => {
  it('after a clear, old mids still expire with the window', () => {
    const w = new MidRangeWindow(1000);
    w.observe(0, 99, 101);
    w.observe(1, 199, 201);
    w.clear();
    w.observe(10, 99, 101); // mid 100
    w.observe(2000, 199, 201); // mid 200; the mid at 10 left the window at 1010
    expect(w.range(2000)).toEqual({ rangeTicks: 0, rangeBps: 0 });
  });

  it('names time going backwards exactly', () => {
    const w = new MidRangeWindow(1000);
    w.observe(10, 99, 101);
    expect(() => w.observe(9, 99, 101)).toThrow('mid window: time went backwards (9 < 10)');
  });
});
