// The generator reproduces the statistics measured on real BTCUSDT (calibration.ts), measured with
// the same code (MarketStatsMeter) that measured the recording.
import { describe, expect, it } from 'vitest';
import { CALIBRATION, DEFAULT_SYNTHETIC, generateSynthetic, measureMarket, syntheticInstrument } from '../../src/synthetic/index.ts';

const real = CALIBRATION.BTCUSDT;
const stats = measureMarket('BTCUSDT', generateSynthetic({ ...DEFAULT_SYNTHETIC, seed: 11, durationS: 600 }, syntheticInstrument()));
const sum = (a: readonly number[], from: number, to: number) => a.slice(from, to).reduce((x, y) => x + y, 0);

/** |measured / calibrated − 1| <= tol. */
function within(name: string, measured: number, calibrated: number, tol: number): void {
  expect(Math.abs(measured / calibrated - 1), `${name}: measured ${measured.toFixed(3)} vs calibrated ${calibrated}`).toBeLessThanOrEqual(tol);
}

describe('synthetic market vs the BTCUSDT calibration (10 min, seed 11)', () => {
  it('event rates within ±30 % (diffs, trades, taker orders, bookTickers, levels per diff)', () => {
    within('depth diffs/s', stats.depthDiffsPerS, real.depthDiffsPerS, 0.3);
    within('trades/s', stats.tradesPerS, real.tradesPerS, 0.3);
    within('taker orders/s', stats.takerOrdersPerS, real.takerOrdersPerS, 0.3);
    within('bookTickers/s', stats.bookTickersPerS, real.bookTickersPerS, 0.3);
    within('levels/diff', stats.levelsPerDiff, real.levelsPerDiff, 0.3);
    expect(stats.markPricesPerS).toBeCloseTo(1, 1);
  });

  it('spread: same mode (1 tick), mean within ±30 %, at 1 tick most of the time', () => {
    expect(stats.spread.modeTicks).toBe(real.spread.modeTicks);
    within('mean spread', stats.spread.meanTicks, real.spread.meanTicks, 0.3);
    expect(stats.spread.shares[0]).toBeGreaterThan(0.95);
  });

  it('depth profile: touch, levels 1–9 and 10–49 within ±30 %', () => {
    within('touch lots', stats.depthProfileLots[0], real.depthProfileLots[0], 0.3);
    within('levels 1-9', sum(stats.depthProfileLots, 1, 10), sum(real.depthProfileLots, 1, 10), 0.3);
    within('levels 10-49', sum(stats.depthProfileLots, 10, 50), sum(real.depthProfileLots, 10, 50), 0.3);
  });

  it('trade sizes within ±30 % (prints and taker orders), sign clustering and burstiness within ±0.1 / ±30 %', () => {
    within('print mean', stats.print.meanLots, real.print.meanLots, 0.3);
    within('taker order mean', stats.takerOrder.meanLots, real.takerOrder.meanLots, 0.3);
    within('median print', stats.print.quantilesLots[6], real.print.quantilesLots[6], 0.5);
    expect(Math.abs(stats.signAutocorrLag1 - real.signAutocorrLag1)).toBeLessThan(0.1);
    within('inter-arrival CV', stats.takerInterArrivalCv, real.takerInterArrivalCv, 0.3);
  });

  it('volatility at 100 ms and 1 s within ±35 %; touch-move share within ±0.1', () => {
    within('sigma 100ms', stats.sigmaTicksPerSqrtS.at100ms, real.sigmaTicksPerSqrtS.at100ms, 0.35);
    within('sigma 1s', stats.sigmaTicksPerSqrtS.at1s, real.sigmaTicksPerSqrtS.at1s, 0.35);
    expect(Math.abs(stats.touchMoveShare - real.touchMoveShare)).toBeLessThan(0.1);
  });
});
