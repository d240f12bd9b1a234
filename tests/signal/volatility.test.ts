import { describe, expect, it } from 'vitest';
import { RealizedVolatility, TradeFlow } from '../../src/signal/index.ts';

describe('RealizedVolatility', () => {
  it('matches a hand-computed debiased EWMA', () => {
    // interval 1 s, half-life 1 s → λ = ½. Changes +2, 0, −1.
    const v = new RealizedVolatility(1_000_000, 1, 3);
    v.onSample(NaN); // no mid yet: ignored
    v.onSample(100);
    expect(v.ready).toBe(false);
    expect(v.sigmaTicksPerSqrtS).toBeNaN();
    v.onSample(102);
    v.onSample(102);
    expect(v.ready).toBe(false);
    v.onSample(101);
    expect(v.ready).toBe(true);
    // v after each change: ½·4 = 2, ½·2 + 0 = 1, ½·1 + ½·1 = 1; w: 0.5, 0.75, 0.875
    expect(v.sigmaTicksPerSqrtS).toBeCloseTo(Math.sqrt(1 / 0.875), 12);
  });

  it('k unchanged samples at once equal k single zero-change samples', () => {
    const a = new RealizedVolatility(100_000, 2, 0);
    const b = new RealizedVolatility(100_000, 2, 0);
    for (const m of [100, 101, 99.5, 100]) {
      a.onSample(m);
      b.onSample(m);
    }
    a.onUnchangedSamples(37);
    for (let i = 0; i < 37; i++) b.onSample(100);
    expect(a.samples).toBe(b.samples);
    expect(a.sigmaTicksPerSqrtS).toBeCloseTo(b.sigmaTicksPerSqrtS, 12);
  });

  it('scales to per-second units: a ±1 tick move every 100 ms reads √10 ticks/√s', () => {
    const v = new RealizedVolatility(100_000, 5, 1);
    for (let i = 0; i < 200; i++) v.onSample(i % 2 === 0 ? 100 : 101);
    expect(v.sigmaTicksPerSqrtS).toBeCloseTo(Math.sqrt(10), 10);
  });

  it('ignores unchanged samples before any mid', () => {
    const v = new RealizedVolatility(100_000, 5, 0);
    v.onUnchangedSamples(10);
    expect(v.samples).toBe(0);
    v.onUnchangedSamples(0);
    expect(v.ready).toBe(false);
  });
});

describe('TradeFlow', () => {
  it('decays buy and sell volume with the half-life', () => {
    const f = new TradeFlow(1, 0);
    f.advance(0);
    f.onTrade(8, false); // taker buy
    expect(f.ready).toBe(false); // nothing observed yet (elapsed 0)
    f.advance(1_000_000);
    f.onTrade(2, true); // taker sell; buy decayed to 4
    expect(f.imbalance).toBeCloseTo((4 - 2) / 6, 12);
    // τ = 1/ln2; covered = τ·(1 − ½) = 0.5/ln2 s
    expect(f.volumeRateLotsPerS).toBeCloseTo(6 / (0.5 / Math.LN2), 10);
    f.advance(500_000); // backwards: ignored
    expect(f.imbalance).toBeCloseTo(1 / 3, 12);
  });

  it('reads a constant flow of r lots/s as r, from the start', () => {
    const f = new TradeFlow(30, 1);
    f.advance(0);
    for (let i = 1; i <= 20_000; i++) {
      f.advance(i * 1000); // a trade every ms
      f.onTrade(3, i % 2 === 0);
      if (i === 1500) expect(f.volumeRateLotsPerS).toBeCloseTo(3000, -1);
    }
    expect(f.volumeRateLotsPerS).toBeCloseTo(3000, -1);
    expect(Math.abs(f.imbalance)).toBeLessThan(0.01);
  });

  it('is not ready before the warm-up, and the imbalance needs volume', () => {
    const f = new TradeFlow(10, 5);
    expect(f.ready).toBe(false);
    expect(f.volumeRateLotsPerS).toBeNaN();
    f.advance(0);
    f.advance(4_999_999);
    expect(f.ready).toBe(false);
    f.advance(5_000_000);
    expect(f.ready).toBe(true);
    expect(f.volumeRateLotsPerS).toBe(0);
    expect(f.imbalanceReady).toBe(false);
    expect(f.imbalance).toBeNaN();
  });
});
