import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { COMMON_DEFAULTS, createStrategy, parseStrategyConfig } from '../../src/strategy/index.ts';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).location.field;
  }
  throw new Error('expected a ConfigError');
}

describe('parseStrategyConfig', () => {
  it('fills defaults', () => {
    const c = parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5 });
    expect(c).toMatchObject({
      kind: 'fixed', levels: COMMON_DEFAULTS.levels, levelSpacingTicks: 1, sizeLots: 1, sizeNotionalQuote: null, minSpreadTicks: 1,
      requoteToleranceTicks: 0, maxOrderAgeUs: 30_000_000, fairPriceSource: 'mid', tilt: null, flattenAtPositionLots: null,
      halfSpreadTicks: 1, skewTicksPerLot: 0,
    });
    const as = parseStrategyConfig({ kind: 'avellaneda-stoikov', maxPositionLots: 5, gammaPerTick: 0.1, sizeLots: 3 });
    expect(as).toMatchObject({ horizonS: 1, inventoryUnitLots: 3, overrides: { sigmaTicksPerSqrtS: null, intensityAPerS: null, intensityKPerTick: null } });
    const g = parseStrategyConfig({ kind: 'glft', maxPositionLots: 5, gammaPerTick: 0.1, tilt: { obiTicksPerUnit: 2 } });
    expect(g).toMatchObject({ halfSpreadAdj: 1, skewAdj: 1, inventoryUnitLots: 1, tilt: { obiTicksPerUnit: 2, ofiTicksPerLot: 0, micropriceWeight: 0, maxTiltTicks: 10 } });
  });

  it('names the offending key', () => {
    expect(fieldOf(() => parseStrategyConfig(null))).toBe('strategy');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'martingale' }))).toBe('strategy.kind');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed' }))).toBe('strategy.maxPositionLots');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 1.5 }))).toBe('strategy.maxPositionLots');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, halfSpread: 2 }))).toBe('strategy.halfSpread');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, halfSpreadTicks: -1 }))).toBe('strategy.halfSpreadTicks');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, levels: 0 }))).toBe('strategy.levels');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, sizeLots: 'big' }))).toBe('strategy.sizeLots');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, sizeLots: 1, sizeNotionalQuote: 100 }))).toBe('strategy.sizeNotionalQuote');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, fairPriceSource: 'vwap' }))).toBe('strategy.fairPriceSource');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, flattenAtPositionLots: 5 }))).toBe('strategy.flattenAtPositionLots');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, tilt: 3 }))).toBe('strategy.tilt');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, tilt: { obiWeight: 1 } }))).toBe('strategy.tilt.obiWeight');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, tilt: { maxTiltTicks: -1 } }))).toBe('strategy.tilt.maxTiltTicks');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, gammaPerTick: 0.1 }))).toBe('strategy.gammaPerTick');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'glft', maxPositionLots: 5 }))).toBe('strategy.gammaPerTick');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'glft', maxPositionLots: 5, gammaPerTick: 0 }))).toBe('strategy.gammaPerTick');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'glft', maxPositionLots: 5, gammaPerTick: Number.NaN }))).toBe('strategy.gammaPerTick');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'glft', maxPositionLots: 5, gammaPerTick: 0.1, sizeNotionalQuote: 50 }))).toBe('strategy.inventoryUnitLots');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'glft', maxPositionLots: 5, gammaPerTick: 0.1, overrides: [] }))).toBe('strategy.overrides');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'glft', maxPositionLots: 5, gammaPerTick: 0.1, overrides: { sigma: 1 } }))).toBe('strategy.overrides.sigma');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'glft', maxPositionLots: 5, gammaPerTick: 0.1, overrides: { intensityKPerTick: 0 } }))).toBe('strategy.overrides.intensityKPerTick');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'avellaneda-stoikov', maxPositionLots: 5, gammaPerTick: 0.1, horizonS: 0 }))).toBe('strategy.horizonS');
    expect(fieldOf(() => createStrategy({ kind: 'glft', maxPositionLots: 5, gammaPerTick: 0.1, skewAdj: -1 }, 'scenario.strategy'))).toBe('scenario.strategy.skewAdj');
  });

  it('puts the key in the message too', () => {
    expect(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, levelSpacingTicks: 0 })).toThrow(/strategy\.levelSpacingTicks: must be ≥ 1/);
  });

  it('accepts a notional size with an explicit inventory unit', () => {
    const c = parseStrategyConfig({ kind: 'glft', maxPositionLots: 50, gammaPerTick: 0.05, sizeNotionalQuote: 100, inventoryUnitLots: 2 });
    expect(c).toMatchObject({ sizeLots: null, sizeNotionalQuote: 100, inventoryUnitLots: 2 });
  });

  it('takes exactly one of gammaPerTick and gamma, and checks the model-market options', () => {
    expect(parseStrategyConfig({ kind: 'glft', maxPositionLots: 5, gamma: 0.01 })).toMatchObject({ gammaPerTick: null, gamma: 0.01, quoteThroughMid: false });
    expect(parseStrategyConfig({ kind: 'avellaneda-stoikov', maxPositionLots: 5, gammaPerTick: 0.1 })).toMatchObject({ gammaPerTick: 0.1, gamma: null, horizonMode: 'rolling', symmetric: false });
    expect(fieldOf(() => parseStrategyConfig({ kind: 'glft', maxPositionLots: 5, gamma: 0.1, gammaPerTick: 0.1 }))).toBe('strategy.gamma');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'glft', maxPositionLots: 5, gamma: 0 }))).toBe('strategy.gamma');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'avellaneda-stoikov', maxPositionLots: 5, gamma: 0.1, horizonMode: 'fixed' }))).toBe('strategy.horizonMode');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'avellaneda-stoikov', maxPositionLots: 5, gamma: 0.1, symmetric: 'yes' }))).toBe('strategy.symmetric');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'fixed', maxPositionLots: 5, quoteThroughMid: 1 }))).toBe('strategy.quoteThroughMid');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'avellaneda-stoikov', maxPositionLots: 5, gamma: 0.1, spreadRiskTerm: 0 }))).toBe('strategy.spreadRiskTerm');
    expect(fieldOf(() => parseStrategyConfig({ kind: 'glft', maxPositionLots: 5, symmetric: true, gamma: 1 }))).toBe('strategy.symmetric');
  });

  it('builds the strategy of each kind', () => {
    expect(createStrategy({ kind: 'fixed', maxPositionLots: 1 }).kind).toBe('fixed');
    expect(createStrategy({ kind: 'avellaneda-stoikov', maxPositionLots: 1, gammaPerTick: 0.1 }).kind).toBe('avellaneda-stoikov');
    expect(createStrategy({ kind: 'glft', maxPositionLots: 1, gammaPerTick: 0.1 }).kind).toBe('glft');
  });
});
