import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { DEFAULT_RISK_CONFIG, parseRiskConfig } from '../../src/risk/index.ts';

function configError(raw: unknown): ConfigError {
  try {
    parseRiskConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseRiskConfig', () => {
  it('returns the defaults for an empty config, with Binance ORDERS limits', () => {
    const c = parseRiskConfig({});
    expect(c).toEqual(DEFAULT_RISK_CONFIG);
    expect(c.orderRate).toEqual({ perSecond: null, per10s: 300, perMinute: 1200 });
    expect(parseRiskConfig()).toEqual(DEFAULT_RISK_CONFIG);
  });

  it('merges nested sections key by key and normalises money', () => {
    const c = parseRiskConfig({
      maxPositionLots: 50,
      maxOrderNotional: '2500.50',
      maxPositionNotional: 10000,
      orderRate: { perSecond: 20 },
      volatility: { cooldownUs: 5_000_000, maxMidJumpBps: null },
      stopState: 'HALTED',
    });
    expect(c.maxPositionLots).toBe(50);
    expect(c.maxOrderNotional).toBe('2500.5');
    expect(c.maxPositionNotional).toBe('10000');
    expect(c.orderRate).toEqual({ perSecond: 20, per10s: 300, perMinute: 1200 });
    expect(c.volatility.cooldownUs).toBe(5_000_000);
    expect(c.volatility.maxMidJumpBps).toBeNull();
    expect(c.volatility.jumpWindowUs).toBe(DEFAULT_RISK_CONFIG.volatility.jumpWindowUs);
    expect(c.stopState).toBe('HALTED');
  });

  it('uses a given base instead of the defaults and a custom key prefix in errors', () => {
    const base = parseRiskConfig({ maxPositionLots: 7 });
    expect(parseRiskConfig({ maxOpenOrders: 3 }, 'scenario.risk', base).maxPositionLots).toBe(7);
    let err: unknown;
    try {
      parseRiskConfig({ maxOpenOrders: -1 }, 'scenario.risk', base);
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).location.field).toBe('scenario.risk.maxOpenOrders');
  });

  it.each([
    [{ maxPositonLots: 1 }, 'risk.maxPositonLots', /unknown key/],
    [{ orderRate: { per10sec: 1 } }, 'risk.orderRate.per10sec', /unknown key/],
    [{ volatility: { cooldown: 1 } }, 'risk.volatility.cooldown', /unknown key/],
    [{ maxPositionLots: 1.5 }, 'risk.maxPositionLots', /integer/],
    [{ maxPositionLots: -1 }, 'risk.maxPositionLots', /≥ 0/],
    [{ maxPositionLots: '5' }, 'risk.maxPositionLots', /finite number/],
    [{ maxOpenOrders: Number.NaN }, 'risk.maxOpenOrders', /finite number/],
    [{ maxDrawdownFraction: 0 }, 'risk.maxDrawdownFraction', /> 0/],
    [{ maxDrawdownFraction: 1.5 }, 'risk.maxDrawdownFraction', /≤ 1/],
    [{ maxDailyLossFraction: 2 }, 'risk.maxDailyLossFraction', /≤ 1/],
    [{ maxCapitalUsage: -0.1 }, 'risk.maxCapitalUsage', /> 0/],
    [{ maxOrderNotional: 'abc' }, 'risk.maxOrderNotional', /not a decimal/],
    [{ maxOrderNotional: '-5' }, 'risk.maxOrderNotional', /> 0/],
    [{ maxDailyLoss: '0' }, 'risk.maxDailyLoss', /> 0/],
    [{ maxPositionNotional: true }, 'risk.maxPositionNotional', /decimal string/],
    [{ stopState: 'ACTIVE' }, 'risk.stopState', /REDUCING/],
    [{ enforcePercentPrice: 'yes' }, 'risk.enforcePercentPrice', /true or false/],
    [{ maxBookAgeUs: 0 }, 'risk.maxBookAgeUs', /> 0/],
    [{ maxBookAgeUs: 1.5 }, 'risk.maxBookAgeUs', /integer/],
    [{ orderRate: { per10s: -1 } }, 'risk.orderRate.per10s', /≥ 0/],
    [{ orderRate: 5 }, 'risk.orderRate', /mapping/],
    [{ volatility: [] }, 'risk.volatility', /mapping/],
    [{ volatility: { jumpWindowUs: 0 } }, 'risk.volatility.jumpWindowUs', /> 0/],
    [{ volatility: { cooldownUs: -1 } }, 'risk.volatility.cooldownUs', /≥ 0/],
    [{ volatility: { maxSigmaTicksPerSqrtS: 0 } }, 'risk.volatility.maxSigmaTicksPerSqrtS', /> 0/],
    [{ maxDistanceFromMidBps: 0 }, 'risk.maxDistanceFromMidBps', /> 0/],
  ])('rejects %j naming the key', (raw, key, msg) => {
    const err = configError(raw);
    expect(err.code).toBe('E_CONFIG');
    expect(err.location.field).toBe(key);
    expect(err.message).toContain(key);
    expect(err.message).toMatch(msg);
  });

  it('rejects a non-mapping section', () => {
    expect(configError('x').location.field).toBe('risk');
    expect(configError(null).location.field).toBe('risk');
  });

  it('accepts null for every optional rule', () => {
    const c = parseRiskConfig({
      maxPositionNotional: null,
      maxOrderNotional: null,
      maxCapitalUsage: null,
      maxDrawdownFraction: null,
      maxDailyLoss: null,
      maxDailyLossFraction: null,
      maxDistanceFromMidBps: null,
      maxBookAgeUs: null,
      orderRate: { perSecond: null, per10s: null, perMinute: null },
      volatility: { maxSigmaTicksPerSqrtS: null, maxMidJumpTicks: null, maxMidJumpBps: null },
    });
    expect(c.maxCapitalUsage).toBeNull();
    expect(c.orderRate.per10s).toBeNull();
    expect(c.volatility.maxMidJumpTicks).toBeNull();
  });
});
