import { describe, expect, it } from 'vitest';
import { depthsExceeded, FillIntensity, fitIntensity, INTENSITY_K_MIN } from '../../src/signal/index.ts';

describe('depthsExceeded (half-tick depth grid δ_i = (i+1)/2)', () => {
  it('counts depths strictly below the trade distance', () => {
    expect(depthsExceeded(0.5, 40)).toBe(0); // a trade at the touch fills no quote at the touch
    expect(depthsExceeded(1, 40)).toBe(1); // beyond δ=0.5 only
    expect(depthsExceeded(1.5, 40)).toBe(2);
    expect(depthsExceeded(3, 40)).toBe(5);
    expect(depthsExceeded(-2, 40)).toBe(0);
    expect(depthsExceeded(100, 40)).toBe(40);
  });
});

describe('fitIntensity', () => {
  it('recovers A and k from an exact exponential, R² = 1', () => {
    const windowS = 50;
    const counts = Array.from({ length: 10 }, (_, i) => windowS * 3 * Math.exp(-0.4 * ((i + 1) / 2)));
    const fit = fitIntensity(counts, windowS, 3)!;
    expect(fit.a).toBeCloseTo(3, 10);
    expect(fit.k).toBeCloseTo(0.4, 10);
    expect(fit.r2).toBeCloseTo(1, 10);
    expect(fit.points).toBe(10);
  });

  it('uses only the leading positive counts and needs minPoints', () => {
    expect(fitIntensity([5, 3, 0, 1], 10, 3)).toBeNull();
    expect(fitIntensity([5, 3, 1], 0, 3)).toBeNull();
    const fit = fitIntensity([8, 4, 2, 0, 7], 1, 3)!;
    expect(fit.points).toBe(3);
    expect(fit.k).toBeCloseTo(2 * Math.LN2, 10); // halves every half tick
    expect(fit.a).toBeCloseTo(16, 10);
  });

  it('clamps k > 0 on a flat curve and reports R² 0', () => {
    const fit = fitIntensity([4, 4, 4], 1, 3)!;
    expect(fit.k).toBe(INTENSITY_K_MIN);
    expect(fit.r2).toBe(0);
    expect(fit.a).toBeCloseTo(4, 12);
  });
});

describe('FillIntensity', () => {
  it('records the deepest trade per interval from the previous mid, on a rolling window', () => {
    // interval 1 s, window 3 s, depths up to 2 ticks (4 grid points).
    const f = new FillIntensity(1_000_000, 3, 0, 2, 2);
    f.onTrade(200, false); // before any mid: ignored
    f.onSample(100.5); // first mid
    expect(f.coveredIntervals).toBe(0);
    f.onTrade(102, false); // buy 1.5 beyond the mid → δ 0.5, 1.0
    f.onTrade(99, true); // sell 1.5 below → same
    f.onTrade(98, true); // sell 2.5 → 4 depths
    f.onSample(101);
    expect(Array.from(f.counts)).toEqual([1, 1, 1, 1]);
    f.onTrade(102, false); // 1 tick from 101 → 1 depth
    f.onSample(101);
    expect(Array.from(f.counts)).toEqual([2, 1, 1, 1]);
    f.onSample(101); // quiet interval
    expect(Array.from(f.counts)).toEqual([2, 1, 1, 1]);
    f.onSample(101); // window full: the first interval expires
    expect(Array.from(f.counts)).toEqual([1, 0, 0, 0]);
    f.refit();
    expect(f.ready).toBe(false); // one point < minPoints
    expect(f.k).toBeNaN();
  });

  it('fits once warm and resets on a gap longer than the window', () => {
    const f = new FillIntensity(1_000_000, 10, 4, 5, 2);
    f.onSample(100);
    for (let i = 0; i < 5; i++) {
      f.onTrade(100 + 1 + (i % 3), false); // distances 1, 2, 3 ticks
      f.onSample(100);
      f.refit();
      if (i < 3) expect(f.ready).toBe(false);
    }
    expect(f.ready).toBe(true);
    expect(f.k).toBeGreaterThan(0);
    expect(f.a).toBeGreaterThan(0);
    expect(f.r2).toBeGreaterThanOrEqual(0);
    f.onQuietSamples(3);
    expect(f.coveredIntervals).toBe(8);
    f.onQuietSamples(100);
    expect(f.coveredIntervals).toBe(10);
    expect(Array.from(f.counts).every((c) => c === 0)).toBe(true);
    f.refit();
    expect(f.ready).toBe(false);
  });
});
