// Closed forms against the check values in reference/market-making.md §2.1–2.2.
import { describe, expect, it } from 'vitest';
import { avellanedaStoikov, glftCoefficients, glftDepths } from '../../src/strategy/index.ts';

describe('Avellaneda–Stoikov closed form (paper eqs. 29–30)', () => {
  const base = { midTicks: 100, q: 0, sigmaTicksPerSqrtS: 2, kPerTick: 1.5, horizonS: 1 };
  it.each([
    [0.1, 1.69077, 99.6],
    [0.01, 1.368909, 99.96],
    [0.5, 3.150728, 98.0],
  ])('γ=%f: spread %f, r(q=1) %f', (gamma, spread, r1) => {
    expect(avellanedaStoikov({ ...base, gammaPerTick: gamma }).spreadTicks).toBeCloseTo(spread, 6);
    expect(avellanedaStoikov({ ...base, gammaPerTick: gamma, q: 1 }).reservationTicks).toBeCloseTo(r1, 10);
  });
  it('spread tends to 2/k as γ → 0', () => {
    expect(avellanedaStoikov({ ...base, gammaPerTick: 1e-9 }).spreadTicks).toBeCloseTo(2 / 1.5, 6);
  });
  it('quotes sit spread/2 either side of the reservation price', () => {
    const as = avellanedaStoikov({ ...base, gammaPerTick: 0.1, q: 1 });
    expect(as.askTicks - as.bidTicks).toBeCloseTo(as.spreadTicks, 12);
    expect((as.askTicks + as.bidTicks) / 2).toBeCloseTo(99.6, 12);
    // δb = (1 + 2q)γσ²τ/2 + (1/γ)ln(1+γ/k) measured from s.
    expect(100 - as.bidTicks).toBeCloseTo((3 * 0.4) / 2 + 10 * Math.log(1 + 0.1 / 1.5), 12);
  });
  it('the horizon scales only the inventory term', () => {
    const one = avellanedaStoikov({ ...base, gammaPerTick: 0.1, q: 2 });
    const two = avellanedaStoikov({ ...base, gammaPerTick: 0.1, q: 2, horizonS: 2 });
    expect(100 - two.reservationTicks).toBeCloseTo(2 * (100 - one.reservationTicks), 12);
    expect(two.spreadTicks - one.spreadTicks).toBeCloseTo(0.4, 12);
  });
});

describe('GLFT closed form (Guéant 2017 eqs. 4.6/4.7, Δ = 1, ξ = γ)', () => {
  const coef = glftCoefficients({ gammaPerTick: 0.01, xiPerTick: 0.01, deltaUnits: 1, sigmaTicksPerSqrtS: 0.3, aPerS: 0.9, kPerTick: 0.3 });
  it('matches the paper-parameter check values', () => {
    expect(coef.c1).toBeCloseTo(3.278982, 6);
    expect(coef.skewTicks).toBeCloseTo(0.0678658, 7);
    expect(coef.halfSpreadTicks).toBeCloseTo(3.312915, 6);
    const d0 = glftDepths(coef, 0);
    expect(d0.bidDepthTicks).toBeCloseTo(3.312915, 6);
    expect(d0.askDepthTicks).toBeCloseTo(3.312915, 6);
    expect(d0.bidDepthTicks + d0.askDepthTicks).toBeCloseTo(6.62583, 5);
    const d1 = glftDepths(coef, 1);
    expect(d1.bidDepthTicks).toBeCloseTo(3.380781, 6);
    expect(d1.askDepthTicks).toBeCloseTo(3.245049, 6);
    const dm1 = glftDepths(coef, -1);
    expect(dm1.bidDepthTicks).toBeCloseTo(3.245049, 6);
    expect(dm1.askDepthTicks).toBeCloseTo(3.380781, 6);
  });
  it('applies the tuning factors to half spread and skew separately', () => {
    const d = glftDepths(coef, 2, 1.5, 0.5);
    expect(d.bidDepthTicks).toBeCloseTo(1.5 * 3.312915 + 0.5 * 0.0678658 * 2, 6);
    expect(d.askDepthTicks).toBeCloseTo(1.5 * 3.312915 - 0.5 * 0.0678658 * 2, 6);
  });
  it('c2 scales with √γ/√A', () => {
    const c = glftCoefficients({ gammaPerTick: 0.01, xiPerTick: 0.01, deltaUnits: 1, sigmaTicksPerSqrtS: 0.3, aPerS: 3.6, kPerTick: 0.3 });
    expect(c.c2).toBeCloseTo(coef.c2 / 2, 12);
    expect(c.c1).toBe(coef.c1);
  });
});
