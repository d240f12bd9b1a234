import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { CALIBRATION, DEFAULT_SYNTHETIC, parseSyntheticConfig } from '../../src/synthetic/index.ts';

function error(input: unknown): ConfigError {
  try {
    parseSyntheticConfig(input, 'data.synthetic', 'scn.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('synthetic config', () => {
  it('defaults derive from the calibration constant', () => {
    expect(DEFAULT_SYNTHETIC.depthDiffsPerS).toBe(CALIBRATION.BTCUSDT.depthDiffsPerS);
    expect(DEFAULT_SYNTHETIC.takerOrdersPerS).toBe(CALIBRATION.BTCUSDT.takerOrdersPerS);
    expect(DEFAULT_SYNTHETIC.sigmaTicksPerSqrtS).toBe(CALIBRATION.BTCUSDT.sigmaTicksPerSqrtS.at1s);
    expect(parseSyntheticConfig(undefined)).toEqual(DEFAULT_SYNTHETIC);
    const eth = parseSyntheticConfig({ calibration: 'ETHUSDT', symbol: 'ETHUSDT' });
    expect(eth.takerOrdersPerS).toBe(CALIBRATION.ETHUSDT.takerOrdersPerS);
    expect(eth.startMidTicks).toBe(CALIBRATION.ETHUSDT.firstMidTicks);
  });

  it('overrides keys and keeps the rest', () => {
    const c = parseSyntheticConfig({ seed: 'abc', durationS: 5, fundingRate: '-0.0002', regimes: [{ kind: 'volBurst', startS: 1, durationS: 2, sigmaMultiplier: 3 }] });
    expect([c.seed, c.durationS, c.fundingRate, c.regimes.length, c.depthDiffsPerS]).toEqual(['abc', 5, '-0.0002', 1, DEFAULT_SYNTHETIC.depthDiffsPerS]);
  });

  it('errors name the key path and the file', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ durationSecs: 5 }, 'data.synthetic.durationSecs', /unknown key/],
      [{ durationS: -1 }, 'data.synthetic.durationS', /positive/],
      [{ durationS: '5' }, 'data.synthetic.durationS', /finite number/],
      [{ takerSignAutocorr: 1.5 }, 'data.synthetic.takerSignAutocorr', /\[0, 1\]/],
      [{ fundingRate: '1e-4' }, 'data.synthetic.fundingRate', /decimal string/],
      [{ calibration: 'DOGE' }, 'data.synthetic.calibration', /one of BTCUSDT, ETHUSDT/],
      [{ regimes: {} }, 'data.synthetic.regimes', /list/],
      [{ regimes: [{ kind: 'meteor' }] }, 'data.synthetic.regimes[0].kind', /one of/],
      [{ regimes: [{ kind: 'feedGap', startS: 1 }] }, 'data.synthetic.regimes[0].durationS', /missing/],
      [{ regimes: [{ kind: 'flashMove', startS: 1, movePct: 95, sweepS: 1, recoveryShare: 0.5, recoveryS: 1, depthFactor: 0.5 }] }, 'data.synthetic.regimes[0].movePct', /within/],
      [{ regimes: [{ kind: 'fundingSpike', startS: 1, fundingRate: 'x', extra: 1 }] }, 'data.synthetic.regimes[0].extra', /unknown key/],
      [{ takerInterArrivalCv: 2 }, 'data.synthetic.takerInterArrivalCv', /at most/],
      ['fast', 'data.synthetic', /mapping/],
    ];
    for (const [input, field, msg] of cases) {
      const e = error(input);
      expect(e.code).toBe('E_CONFIG');
      expect(e.location.field).toBe(field);
      expect(e.location.file).toBe('scn.yaml');
      expect(e.message).toMatch(msg);
    }
  });
});
