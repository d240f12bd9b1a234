import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import type { MarkPrice, Trade } from '../../src/model/events.ts';
import { resolveSignalConfig, SignalEngine } from '../../src/signal/index.ts';
import { NaiveBook } from './naive-book.ts';
import { touchWalk } from './synthetic.ts';

function trade(tsUs: number, priceTicks: number, qtyLots: number, buyerIsMaker: boolean, tsExchangeUs = tsUs): Trade {
  return { type: 'trade', symbol: 'T', tsExchangeUs, tsReceiveUs: tsUs, tsTransactUs: tsExchangeUs, tradeId: tsUs, priceTicks, qtyLots, buyerIsMaker };
}

function mark(tsUs: number, markPrice: string, indexPrice: string): MarkPrice {
  return { type: 'markPrice', symbol: 'T', tsExchangeUs: tsUs + 7, tsReceiveUs: tsUs, markPrice, indexPrice, fundingRate: '0.0001', nextFundingTimeUs: -1 };
}

describe('resolveSignalConfig', () => {
  it('fills defaults and rejects bad values naming the key', () => {
    const c = resolveSignalConfig({ tickSize: '0.1' });
    expect(c.sampleIntervalUs).toBe(100_000);
    const bad: [string, object][] = [
      ['signal.tickSize', { tickSize: 'x' }],
      ['signal.obiLevels', { tickSize: '0.1', obiLevels: 0 }],
      ['signal.sampleIntervalUs', { tickSize: '0.1', sampleIntervalUs: 1.5 }],
      ['signal.volHalfLifeS', { tickSize: '0.1', volHalfLifeS: -1 }],
      ['signal.volWarmupS', { tickSize: '0.1', volWarmupS: NaN }],
      ['signal.intensityMinPoints', { tickSize: '0.1', intensityMinPoints: 1 }],
    ];
    for (const [field, cfg] of bad) {
      let err: unknown;
      try {
        resolveSignalConfig(cfg as { tickSize: string });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).location.field).toBe(field);
    }
  });
});

describe('SignalEngine', () => {
  it('computes book signals per event and clears them on an invalid or one-sided book', () => {
    const e = new SignalEngine({ tickSize: '0.1', obiLevels: 2, obiBandBps: 200 });
    const book = new NaiveBook('T', [[100, 30], [99, 10], [90, 5]], [[101, 10], [102, 20]]);
    e.onBook(1_000, book);
    const s = e.signal;
    expect(s.midTicks).toBe(100.5);
    expect(s.spreadTicks).toBe(1);
    expect(s.weightedMid).toBe(100.75);
    expect(s.obiL1).toBe(0.5);
    expect(s.imbalanceL1).toBe(0.75);
    expect(s.obiLevels).toBe(10 / 70);
    expect(s.obiBand).toBe(10 / 70); // 90 is outside 100.5·(1 − 2 %)
    expect(s.ready.weightedMid && s.ready.obiL1 && s.ready.obiLevels && s.ready.obiBand).toBe(true);
    expect(s.ready.microprice).toBe(false);
    expect(s.microprice).toBeNaN();
    expect(s.ready.ofi).toBe(false);
    expect(s.ofiCurrent).toBe(0);
    e.onBook(2_000, book.set([[100, 35]], [[101, 10]]));
    expect(s.ofiCurrent).toBe(5);
    e.onBook(3_000, book.setValid(false));
    expect(s.ready.weightedMid).toBe(false);
    expect(s.weightedMid).toBeNaN();
    expect(s.bidTicks).toBeNaN();
    e.onBook(4_000, book.setValid(true).set([[100, 1]], []));
    expect(s.ready.obiL1).toBe(false);
    expect(s.obiLevels).toBeNaN();
    const copy = e.snapshot();
    e.onBook(5_000, book.set([[100, 1]], [[101, 1]]));
    expect(copy.ready.obiL1).toBe(false);
    expect(s.ready.obiL1).toBe(true);
  });

  it('reports mark and index deviations in ticks and bps, and goes stale', () => {
    const e = new SignalEngine({ tickSize: '0.1', markMaxAgeUs: 1_000_000 });
    const book = new NaiveBook().setTop(1000, 1, 1001, 1); // mid 1000.5 ticks = 100.05
    e.onMarkPrice(mark(0, '100.00', ''));
    expect(e.signal.ready.markDeviation).toBe(false); // no mid yet
    expect(e.signal.markPriceTicks).toBeCloseTo(1000, 9);
    e.onBook(10, book);
    expect(e.signal.ready.markDeviation).toBe(true);
    expect(e.signal.markDeviationTicks).toBeCloseTo(0.5, 9);
    expect(e.signal.markDeviationBps).toBeCloseTo(5, 9);
    expect(e.signal.ready.indexDeviation).toBe(false);
    expect(e.signal.indexDeviationBps).toBeNaN();
    e.onMarkPrice(mark(500_000, '100.10', '100.05'));
    expect(e.signal.markDeviationTicks).toBeCloseTo(-0.5, 9);
    expect(e.signal.markDeviationBps).toBeCloseTo((-0.5 / 1001) * 1e4, 9);
    expect(e.signal.indexDeviationTicks).toBeCloseTo(0, 9);
    expect(e.signal.ready.indexDeviation).toBe(true);
    e.onBook(1_500_000, book);
    expect(e.signal.ready.markDeviation).toBe(true);
    e.onBook(1_500_001, book);
    expect(e.signal.ready.markDeviation).toBe(false);
    expect(e.signal.markDeviationBps).toBeNaN();
  });

  it('uses receive time by default, exchange time on request, and never runs backwards', () => {
    const recv = new SignalEngine({ tickSize: '1', tradeWarmupS: 1, tradeHalfLifeS: 100 });
    const exch = new SignalEngine({ tickSize: '1', tradeWarmupS: 1, tradeHalfLifeS: 100, eventTime: 'exchange' });
    for (const e of [recv, exch]) {
      e.onTrade(trade(0, 100, 1, false, 0));
      e.onTrade(trade(500_000, 100, 1, true, 2_000_000));
    }
    expect(recv.signal.tsUs).toBe(500_000);
    expect(recv.signal.ready.volumeRate).toBe(false);
    expect(exch.signal.tsUs).toBe(2_000_000);
    expect(exch.signal.ready.volumeRate).toBe(true);
    expect(exch.signal.tradeImbalance).toBeCloseTo((Math.pow(2, -2 / 100) - 1) / (Math.pow(2, -2 / 100) + 1), 12);
    exch.onTrade(trade(0, 100, 1, false, 1_000_000)); // earlier than the clock: applied at 2 s
    expect(exch.signal.tsUs).toBe(2_000_000);
  });

  it('keeps σ, OFI and intensity not ready until warm, then ready and finite', () => {
    const e = new SignalEngine({ tickSize: '1', sampleIntervalUs: 100_000, volWarmupS: 1, ofiIntervalUs: 500_000, intensityWarmupS: 2, intensityMinPoints: 2 });
    const book = new NaiveBook();
    let bid = 1000;
    for (let i = 0; i <= 40; i++) {
      const ts = i * 100_000 + 50_000;
      bid += i % 3 === 0 ? 1 : i % 3 === 1 ? -1 : 0;
      e.onBook(ts, book.setTop(bid, 5 + (i % 4), bid + 1, 6));
      e.onTrade(trade(ts + 10, bid + 1 + (i % 4), 2, false));
      const s = e.signal;
      if (i < 10) expect(s.ready.sigma).toBe(false);
      if (i < 5) expect(s.ready.ofi).toBe(false);
      if (i < 20) expect(s.ready.intensity).toBe(false);
      for (const [key, value] of [
        ['sigma', s.sigmaTicksPerSqrtS],
        ['ofi', s.ofi],
        ['intensity', s.intensityK],
      ] as const) {
        expect(s.ready[key]).toBe(Number.isFinite(value));
      }
    }
    const s = e.signal;
    expect(s.ready.sigma && s.ready.ofi && s.ready.intensity).toBe(true);
    expect(s.sigmaTicksPerSqrtS).toBeGreaterThan(0);
    expect(s.intensityK).toBeGreaterThan(0);
    expect(s.intensityA).toBeGreaterThan(0);
    expect(s.intensityR2).toBeLessThanOrEqual(1);
  });

  it('a long quiet gap decays σ towards 0 and empties the intensity window in O(1)', () => {
    const e = new SignalEngine({ tickSize: '1', volWarmupS: 0.1, volHalfLifeS: 1, intensityWindowS: 1, intensityWarmupS: 0.5, intensityMinPoints: 2 });
    const book = new NaiveBook();
    for (let i = 0; i < 30; i++) {
      e.onBook(i * 100_000 + 1, book.setTop(1000 + (i % 2), 3, 1001 + (i % 2), 3));
      e.onTrade(trade(i * 100_000 + 2, 1004, 1, false));
    }
    expect(e.signal.sigmaTicksPerSqrtS).toBeGreaterThan(1);
    expect(e.signal.ready.intensity).toBe(true);
    e.onBook(3_600_000_000, book);
    expect(e.signal.sigmaTicksPerSqrtS).toBeLessThan(1e-6);
    expect(e.signal.ready.intensity).toBe(false);
  });

  it('fits the micro-price after the warm-up and refits on its cadence', () => {
    const e = new SignalEngine({
      tickSize: '1',
      sampleIntervalUs: 1_000,
      micropriceMaxSpreadTicks: 2,
      micropriceWarmupS: 20,
      micropriceRefitS: 10,
      micropriceWindowS: 100,
      micropriceMinTransitions: 500,
      micropriceMinStateExits: 5,
    });
    const book = new NaiveBook();
    let ts = 0;
    let firstFitAt = NaN;
    const fitTimes: number[] = [];
    let lastModel = e.micropriceModel();
    for (const st of touchWalk('engine-mp', 60_000)) {
      ts += 1_000;
      e.onBook(ts, book.setTop(st.bidTicks, st.bidLots, st.askTicks, st.askLots));
      if (Number.isNaN(firstFitAt) && e.micropriceModel() !== null) firstFitAt = ts;
      if (e.micropriceModel() !== lastModel) {
        lastModel = e.micropriceModel();
        fitTimes.push(ts);
      }
    }
    // first fit at the first boundary ≥ 20 s, then every 10 s
    expect(fitTimes.map((t) => Math.round(t / 1e6))).toEqual([20, 30, 40, 50]);
    expect(firstFitAt).toBeGreaterThan(20_000_000);
    expect(firstFitAt).toBeLessThanOrEqual(20_002_000);
    const model = e.micropriceModel()!;
    expect(model.status).toBe('converged');
    expect(model.transitions).toBeGreaterThanOrEqual(500);
    // The snapshot is read through `signal` after each event (the micro-price is written when read).
    e.onBook(ts + 1, book.setTop(1000, 9, 1001, 1));
    let s = e.signal;
    expect(s.ready.microprice).toBe(true);
    expect(s.microprice).toBeGreaterThan(s.midTicks);
    expect(s.microprice).toBeLessThan(s.askTicks);
    expect(e.snapshot().microprice).toBe(s.microprice);
    e.onBook(ts + 2, book.setTop(1000, 5, 1001, 5));
    s = e.signal;
    expect(s.microprice).toBe(s.midTicks);
    e.onBook(ts + 3, book.setTop(1000, 5, 1010, 5)); // spread outside the model
    expect(e.snapshot().ready.microprice).toBe(false);
    s = e.signal;
    expect(s.ready.microprice).toBe(false);
    expect(s.microprice).toBeNaN();
    // A book event after an empty side: the micro-price comes back with the next two-sided touch.
    e.onBook(ts + 4, book.setTop(1000, 9, 1001, 1));
    expect(e.signal.ready.microprice).toBe(true);
    expect(e.signal.microprice).toBeGreaterThan(e.signal.midTicks);
  });
});
